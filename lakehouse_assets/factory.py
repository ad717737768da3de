"""Specs -> Dagster: one multi-asset per Glue job, with its tables' checks."""

import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from datetime import datetime

from dagster import (
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    BackfillPolicy,
    DailyPartitionsDefinition,
    MaterializeResult,
    MetadataValue,
    RetryRequested,
    TableColumn,
    TableSchema,
    multi_asset,
)

from lakehouse_assets.registry import Registry
from lakehouse_assets.resources.launcher import SCRIPTS_DIR, GlueJobLauncher, script_path
from lakehouse_assets.retries import TransientRetries, is_transient
from lakehouse_assets.specs import JobSpec, TableSpec


class LineageMismatchError(RuntimeError):
    """A job reported reading other tables than the spec declares as upstream."""


class MissingMaterializationError(RuntimeError):
    """A job run succeeded without publishing one of its selected tables."""


def asset_key(table: TableSpec) -> AssetKey:
    return AssetKey(table.key_path)


def business_tag_key(tag: str) -> str:
    return "business/" + re.sub(r"[^a-z0-9]+", "-", tag.lower()).strip("-")


def code_version(job: JobSpec, table: TableSpec) -> str:
    """Changes when the script, the shared script library or the table's spec change."""
    digest = hashlib.sha256(script_path(job).read_bytes())
    for path in sorted((SCRIPTS_DIR / "lib").rglob("*.py")):
        digest.update(path.read_bytes())
    digest.update(json.dumps(table.payload(), sort_keys=True).encode())
    return digest.hexdigest()[:12]


def column_schema(table: TableSpec) -> TableSchema:
    return TableSchema(
        columns=[
            TableColumn(
                name=c.name,
                type=c.type,
                description=c.comment,
                tags={k: v for k, v in (("pii", c.pii), ("mask", c.mask)) if v},
            )
            for c in table.columns
        ]
    )


def _asset_spec(table: TableSpec, job: JobSpec, reg: Registry) -> AssetSpec:
    return AssetSpec(
        key=asset_key(table),
        deps=[asset_key(reg.tables[ref]) for ref in table.upstream],
        description=table.description,
        owners=[table.owner],
        tags={
            "lakehouse/layer": table.layer,
            **{business_tag_key(tag): "" for tag in table.business_tags},
        },
        kinds={"glue", "spark", "parquet"},
        group_name=table.domain,
        code_version=code_version(job, table),
        skippable=True,
        metadata={
            "dagster/column_schema": column_schema(table),
            "dagster/table_name": table.qualified_name,
            "lakehouse/glue_job": job.name,
            "lakehouse/business_tags": ", ".join(table.business_tags),
            "lakehouse/pii_columns": MetadataValue.json(table.pii_columns),
            "lakehouse/primary_key": ", ".join(table.primary_key),
            "lakehouse/partition_by": ", ".join(table.partition_by),
            **(
                {"lakehouse/parameters": MetadataValue.json(dict(table.parameters))}
                if table.parameters
                else {}
            ),
        },
    )


def _check_specs(table: TableSpec) -> list[AssetCheckSpec]:
    return [
        AssetCheckSpec(
            name=rule.name,
            asset=asset_key(table),
            description=rule.description,
            blocking=rule.blocking and rule.severity == "ERROR",
        )
        for rule in table.rules
    ]


def partitions_for(tables: Sequence[TableSpec]) -> DailyPartitionsDefinition | None:
    start = tables[0].daily_partitions_start
    if not start:
        return None
    # Keys are the load date as the `anomesdia` partition folders spell it; end_offset=1
    # makes today's load a valid partition.
    return DailyPartitionsDefinition(
        start_date=datetime.strptime(start, "%Y-%m-%d"), fmt="%Y%m%d", end_offset=1
    )


def verify_reported_lineage(results: Sequence[MaterializeResult], reg: Registry) -> None:
    """Second line of defence: the tables each script says it read match the spec.

    A job writing several tables reads for all of them in one run, so a table's reported
    reads may include its siblings' inputs, never a table no output of the job declares.
    """
    for result in results:
        if result.asset_key is None or "lakehouse/inputs_read" not in (result.metadata or {}):
            continue
        table = next(t for t in reg.tables.values() if asset_key(t) == result.asset_key)
        value = result.metadata["lakehouse/inputs_read"]
        read = set(getattr(value, "data", value) or {})
        declared = set(table.upstream)
        allowed = {ref for t in reg.tables_of_job(table.job) for ref in t.upstream}
        if not declared <= read or not read <= allowed:
            raise LineageMismatchError(
                f"{table.qualified_name} declares upstream {sorted(declared)} but its job "
                f"reported reading {sorted(read)}; make the spec and the script agree"
            )


def _retry_if_transient(
    context: AssetExecutionContext, error: BaseException, retries: TransientRetries
) -> None:
    """Ask Dagster to run the step again after a transient fault; data errors fail now."""
    if not is_transient(error) or context.retry_number >= retries.max_retries:
        return
    wait = retries.delay(context.retry_number)
    context.log.warning(
        f"transient failure, retry {context.retry_number + 1} of {retries.max_retries} "
        f"in {wait:.0f}s: {type(error).__name__}: {str(error).splitlines()[0]}"
    )
    raise RetryRequested(max_retries=retries.max_retries, seconds_to_wait=wait) from error


def build_job_assets(
    job: JobSpec, reg: Registry, retries: TransientRetries | None = None
) -> AssetsDefinition:
    tables = reg.tables_of_job(job.name)
    retries = retries or TransientRetries()
    partitions_def = partitions_for(tables)

    @multi_asset(
        name=job.name,
        specs=[_asset_spec(t, job, reg) for t in tables],
        check_specs=[c for t in tables for c in _check_specs(t)],
        can_subset=True,
        partitions_def=partitions_def,
        backfill_policy=BackfillPolicy.single_run() if partitions_def else None,
        description=job.description,
        op_tags={"lakehouse/glue_job": job.name},
    )
    def _glue_job(context: AssetExecutionContext, launcher: GlueJobLauncher) -> Iterator:
        selected = [t for t in tables if asset_key(t) in context.selected_asset_keys]
        try:
            outcome = launcher.run_job(context, job, selected)
        except Exception as err:
            _retry_if_transient(context, err, retries)
            raise
        # No implicit materializations: a table the script did not report was not published.
        results = list(outcome.invocation.get_results(implicit_materializations=False))
        if outcome.error is not None:
            yield from results  # checks and tables reported before the failure still count
            _retry_if_transient(context, outcome.error, retries)
            raise outcome.error
        materialized = [r for r in results if isinstance(r, MaterializeResult)]
        missing = [
            t.qualified_name
            for t in selected
            if asset_key(t) not in {r.asset_key for r in materialized}
        ]
        if missing:
            raise MissingMaterializationError(
                f"Glue job {job.name} succeeded but reported no materialization for {missing}; "
                "its script must publish every output through GlueJob.write"
            )
        verify_reported_lineage(materialized, reg)
        yield from results

    return _glue_job


def build_all_assets(
    reg: Registry, retries: TransientRetries | None = None
) -> list[AssetsDefinition]:
    return [build_job_assets(job, reg, retries) for job in reg.jobs.values()]
