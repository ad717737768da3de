"""Materialize an asset selection in-process: one line per step as it finishes, Dagster's
full event log in a file (or on the terminal with `verbose`), and a summary at the end."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from dagster import (
    AssetSelection,
    DagsterInstance,
    DagsterRunStatus,
    Definitions,
    LoggerDefinition,
    colored_console_logger,
    define_asset_job,
)
from dagster._core.utils import make_new_run_id

from lakehouse_assets.definitions import build_definitions
from lakehouse_assets.resources.launcher import JOB_ARG_TAG
from lakehouse_assets.run_progress import StepProgress, format_seconds
from lakehouse_assets.settings import Settings

CLI_JOB = "lakehouse_cli_run"
PROGRESS_LOGGER = "lakehouse_progress"
EVENT_LOG_LOGGER = "lakehouse_event_log"
LOG_FORMAT = "%(asctime)s - dagster - %(levelname)s - %(message)s"


def event_log_path(instance: DagsterInstance, run_id: str) -> Path:
    """Where a CLI run's full event log goes: `$DAGSTER_HOME/logs/run-<run id>.log`."""
    return Path(instance.root_directory) / "logs" / f"run-{run_id}.log"


def _file_logger(path: Path) -> tuple[logging.Logger, logging.Handler]:
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    log = logging.Logger(f"lakehouse.event_log.{path.stem}", level=logging.DEBUG)
    log.addHandler(handler)
    return log, handler


def run_selection(
    settings: Settings,
    selection: str,
    load_date: str,
    job_args: Mapping[str, str] | None = None,
    verbose: bool = False,
    out: TextIO | None = None,
    started: float | None = None,
) -> bool:
    """Run the selected assets for one load date; print each step as it finishes, then what
    was published and checked.

    `job_args` become run tags that the launcher passes to every Glue job as `--name value`.
    `verbose` also sends Dagster's event log to the terminal. `started` (a `time.monotonic()`)
    is where the elapsed times count from: by default, now.
    """
    out = out or sys.stdout
    started = time.monotonic() if started is None else started
    instance = DagsterInstance.get()
    run_id = make_new_run_id()
    log_path = event_log_path(instance, run_id)
    file_log, file_handler = _file_logger(log_path)
    loggers = {
        PROGRESS_LOGGER: LoggerDefinition(lambda _: progress.logger),
        EVENT_LOG_LOGGER: LoggerDefinition(lambda _: file_log),
        "console": colored_console_logger,
    }
    logger_config: dict = {PROGRESS_LOGGER: {}, EVENT_LOG_LOGGER: {}}
    if verbose:
        logger_config["console"] = {"config": {"log_level": "DEBUG"}}
    progress = StepProgress(out=out, started=started)
    base = build_definitions(settings)
    job = define_asset_job(CLI_JOB, selection=AssetSelection.from_string(selection))
    defs = Definitions.merge(base, Definitions(jobs=[job], loggers=loggers))
    job_def = defs.resolve_job_def(CLI_JOB)
    steps = job_def.graph.node_names()
    progress.width = max((len(name) for name in steps), default=0)
    print(
        f"run {run_id}: {len(steps)} step(s); Dagster's event log goes to {log_path}",
        file=out,
        flush=True,
    )
    try:
        result = job_def.execute_in_process(
            instance=instance,
            run_id=run_id,
            # Only bronze is partitioned (by load date); a selection without it takes no key.
            partition_key=load_date if job_def.partitions_def else None,
            raise_on_error=False,
            run_config={"loggers": logger_config},
            tags={
                "lakehouse/trigger": "cli",
                **{f"{JOB_ARG_TAG}{name}": value for name, value in (job_args or {}).items()},
            },
        )
    finally:
        file_handler.close()
    _print_summary(result, out=out, elapsed=time.monotonic() - started, log_path=log_path)
    return result.success and result.dagster_run.status == DagsterRunStatus.SUCCESS


def _print_summary(result, out: TextIO | None = None, elapsed: float | None = None, log_path=None):
    out = out or sys.stdout

    def say(line: str = "") -> None:
        print(line, file=out)

    took = f" in {format_seconds(elapsed)}" if elapsed is not None else ""
    say()
    say(f"run {result.run_id}: {'SUCCESS' if result.success else 'FAILURE'}{took}")
    for event in result.get_asset_materialization_events():
        mat = event.event_specific_data.materialization
        rows = mat.metadata.get("dagster/row_count")
        # A lake table's Iceberg metadata file (what engines read), or a warehouse table where
        # it went (no password).
        where = mat.metadata.get("dagster/uri") or mat.metadata.get("lakehouse/warehouse_target")
        table = mat.metadata.get("lakehouse/warehouse_table")
        place = (
            f"{where.value} {table.value}" if where and table else (where.value if where else "")
        )
        detail = f"{rows.value:>10,} rows  {place}" if rows else ""
        say(f"  published {mat.asset_key.to_user_string():<48} {detail}".rstrip())
    checks = result.get_asset_check_evaluations()
    failed = [c for c in checks if not c.passed]
    if checks:
        say(f"  checks: {len(checks) - len(failed)} passed, {len(failed)} failed")
    for event in failed:
        say(
            f"  check {event.asset_key.to_user_string()}:{event.check_name} "
            f"FAILED ({event.severity.value})"
        )
    if not result.success:
        for event in result.all_events:
            if event.is_failure and event.step_key:
                say(f"  step {event.step_key} failed: {event.message}")
                error = getattr(event.event_specific_data, "error", None)
                if error is not None:
                    say("    " + error.message.strip().replace("\n", "\n    "))
    if log_path is not None:
        say(f"  Dagster's event log of the run: {log_path}")
    out.flush()
