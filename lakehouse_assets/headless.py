"""Materialize an asset selection in-process, with progress and a summary at the end."""

from __future__ import annotations

from collections.abc import Mapping

from dagster import (
    AssetSelection,
    DagsterInstance,
    DagsterRunStatus,
    Definitions,
    define_asset_job,
)

from lakehouse_assets.definitions import build_definitions
from lakehouse_assets.resources.launcher import JOB_ARG_TAG
from lakehouse_assets.settings import Settings

CLI_JOB = "lakehouse_cli_run"


def run_selection(
    settings: Settings,
    selection: str,
    load_date: str,
    job_args: Mapping[str, str] | None = None,
) -> bool:
    """Run the selected assets for one load date; print what was published and checked.

    `job_args` become run tags that the launcher passes to every Glue job as `--name value`.
    """
    base = build_definitions(settings)
    job = define_asset_job(CLI_JOB, selection=AssetSelection.from_string(selection))
    defs = Definitions.merge(base, Definitions(jobs=[job]))
    job_def = defs.resolve_job_def(CLI_JOB)
    result = job_def.execute_in_process(
        instance=DagsterInstance.get(),
        # Only bronze is partitioned (by load date); a selection without it takes no key.
        partition_key=load_date if job_def.partitions_def else None,
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
        tags={
            "lakehouse/trigger": "cli",
            **{f"{JOB_ARG_TAG}{name}": value for name, value in (job_args or {}).items()},
        },
    )
    _print_summary(result)
    return result.success and result.dagster_run.status == DagsterRunStatus.SUCCESS


def _print_summary(result) -> None:
    print()
    print(f"run {result.run_id}: {'SUCCESS' if result.success else 'FAILURE'}")
    for event in result.get_asset_materialization_events():
        mat = event.event_specific_data.materialization
        rows = mat.metadata.get("dagster/row_count")
        # A lake table's folder, or a warehouse table where it went (no password).
        where = mat.metadata.get("dagster/uri") or mat.metadata.get("lakehouse/warehouse_target")
        table = mat.metadata.get("lakehouse/warehouse_table")
        place = (
            f"{where.value} {table.value}" if where and table else (where.value if where else "")
        )
        detail = f"{rows.value:>10} rows  {place}" if rows else ""
        print(f"  published {mat.asset_key.to_user_string():<48} {detail}".rstrip())
    for event in result.get_asset_check_evaluations():
        status = "passed" if event.passed else f"FAILED ({event.severity.value})"
        print(f"  check {event.asset_key.to_user_string()}:{event.check_name} {status}")
    if not result.success:
        for event in result.all_events:
            if event.is_failure and event.step_key:
                print(f"  step {event.step_key} failed: {event.message}")
                error = getattr(event.event_specific_data, "error", None)
                if error is not None:
                    print("    " + error.message.strip().replace("\n", "\n    "))
