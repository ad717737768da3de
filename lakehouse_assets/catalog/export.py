"""`lakehouse catalog export`: specs + graph + manifests + Dagster -> the Glue Data Catalog.

Builds every entry first (pure), validates them all against Glue's limits (no call is made
if one fails), then hands them to the applier, which writes only what changed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from glue_scripts.lib.fs import normalize_root
from lakehouse_assets.catalog import openlineage_events
from lakehouse_assets.catalog.apply import CatalogApplier
from lakehouse_assets.catalog.aws import AwsConnection
from lakehouse_assets.catalog.facts import (
    MaterializationFacts,
    data_location,
    materialization_from_manifest,
    materializations_from_dagster,
)
from lakehouse_assets.catalog.report import ExportReport
from lakehouse_assets.catalog.table_input import TableEntry, database_input, table_entry, validate
from lakehouse_assets.registry import Registry


@dataclass(frozen=True)
class ExportOptions:
    root: str
    lake_formation: bool = False
    delete_undefined: bool = False
    openlineage: bool = True


@dataclass(frozen=True)
class Plan:
    databases: list[dict]
    entries: list[TableEntry]
    warnings: list[str]


def code_versions(reg: Registry) -> dict[str, str]:
    """The current code version of each table's asset (script, library and spec)."""
    from lakehouse_assets.factory import code_version

    return {
        name: code_version(reg.jobs[spec.job], spec) for name, spec in sorted(reg.tables.items())
    }


def build_plan(
    reg: Registry,
    root: str,
    materializations: Mapping[str, MaterializationFacts],
    versions: Mapping[str, str],
) -> Plan:
    """What the catalog should hold; reads only the manifests under `root`."""
    layers = sorted({(t.domain, t.layer) for t in reg.tables.values()})
    databases = [database_input(domain, layer, normalize_root(root)) for domain, layer in layers]
    entries, missing = [], []
    for name, spec in sorted(reg.tables.items()):
        location = data_location(root, spec)
        if not location.committed:
            missing.append(name)
        facts = materializations.get(name) or materialization_from_manifest(location)
        entries.append(table_entry(spec, reg.downstream(name), location, facts, versions.get(name)))
    warnings = []
    if missing:
        warnings.append(
            f"{len(missing)} table(s) have no committed data under {root} and were exported "
            f"without data location: {', '.join(missing)} (materialize them, or check "
            "LAKEHOUSE_ROOT)"
        )
    return Plan(databases, entries, warnings)


def export_catalog(
    reg: Registry,
    connection: AwsConnection,
    options: ExportOptions,
    instance=None,
    progress: Callable[[str], None] = lambda _: None,
) -> ExportReport:
    """Export every table; raises CatalogValidationError before any call if a limit breaks."""
    materializations = (
        materializations_from_dagster(instance, reg.tables.values()) if instance else {}
    )
    plan = build_plan(reg, options.root, materializations, code_versions(reg))
    validate(plan.databases, plan.entries, options.lake_formation)

    report = ExportReport(endpoint=connection.describe(), warnings=list(plan.warnings))
    glue = connection.client("glue")
    emit = None
    if options.openlineage:
        client = openlineage_events.build_client(options.root)
        if client is not None:
            emit = openlineage_events.emitter(
                client,
                connection.region,
                lambda: connection.client("sts").get_caller_identity()["Account"],
            )
    applier = CatalogApplier(
        glue,
        report,
        lakeformation=connection.client("lakeformation") if options.lake_formation else None,
        delete_undefined=options.delete_undefined,
        emit=emit,
        progress=progress,
    )
    applier.apply(plan.databases, plan.entries)
    report.reads = connection.counter.by_kind(read=True)
    report.writes = connection.counter.by_kind(read=False)
    return report
