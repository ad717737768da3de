"""One line per step of a run as it finishes, read from Dagster's events as a Dagster logger
receives them (no polling of the instance).

    ok      bix_bronze_ingest                    3 tables     1,017 rows     4.2 s  (elapsed 12.3 s)
    FAILED  bix_silver_vendas                                                3.1 s  (elapsed 15.4 s)
            SourceError: no value for the connection setting BIX_POSTGRES_URI: ...
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any, TextIO

STEP_WIDTH = 30
# Dagster wraps an exception raised by the asset's code in these; the user's error is inside.
_WRAPPERS = {"DagsterExecutionStepExecutionError", "DagsterUserCodeExecutionError"}


def format_seconds(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{minutes} min {rest:02d} s"


def first_error_line(error: Any) -> str:
    """The first line of the user's error inside Dagster's wrappers (a SerializableErrorInfo)."""
    while error is not None and error.cls_name in _WRAPPERS and error.cause is not None:
        error = error.cause
    if error is None:
        return ""
    lines = [line.strip() for line in (error.message or "").splitlines() if line.strip()]
    return lines[0] if lines else (error.cls_name or "")


@dataclass
class _Step:
    started: float
    tables: int = 0
    rows: int | None = None
    failed_checks: int = 0


@dataclass
class StepProgress:
    """Prints a line per finished step to `out`; `logger` is the Dagster logger to attach."""

    out: TextIO
    started: float = field(default_factory=time.monotonic)
    clock: Any = time.monotonic
    width: int = STEP_WIDTH
    steps: dict[str, _Step] = field(default_factory=dict)
    logger: logging.Logger = field(init=False)

    def __post_init__(self) -> None:
        self.logger = logging.Logger("lakehouse.progress", level=logging.DEBUG)
        self.logger.addHandler(_EventHandler(self))

    def on_event(self, event: Any) -> None:
        """React to one DagsterEvent."""
        kind = event.event_type_value
        key = event.step_key
        if key is None:
            return
        if kind == "STEP_START":
            self.steps[key] = _Step(started=self.clock())
            return
        step = self.steps.setdefault(key, _Step(started=self.started))
        if kind == "ASSET_MATERIALIZATION":
            step.tables += 1
            rows = event.event_specific_data.materialization.metadata.get("dagster/row_count")
            if rows is not None:
                step.rows = (step.rows or 0) + int(rows.value)
        elif kind == "ASSET_CHECK_EVALUATION":
            if not event.event_specific_data.passed:
                step.failed_checks += 1
        elif kind == "STEP_SUCCESS":
            self._line("ok", key, step)
        elif kind == "STEP_FAILURE":
            self._line("FAILED", key, step)
            self._detail(first_error_line(getattr(event.event_specific_data, "error", None)))
        elif kind == "STEP_UP_FOR_RETRY":
            self._line("retry", key, step)
            self._detail(first_error_line(getattr(event.event_specific_data, "error", None)))
        elif kind == "STEP_SKIPPED":
            self._write(f"  {'skipped':<7} {key}")

    def _line(self, status: str, key: str, step: _Step) -> None:
        now = self.clock()
        tables = f"{step.tables} table{'' if step.tables == 1 else 's'}" if step.tables else ""
        rows = f"{step.rows:,} row{'' if step.rows == 1 else 's'}" if step.rows is not None else ""
        n = step.failed_checks
        checks = f"  {n} check{'' if n == 1 else 's'} failed" if n else ""
        self._write(
            f"  {status:<7} {key:<{self.width}} {tables:>9} {rows:>14} "
            f"{format_seconds(now - step.started):>10}  (elapsed "
            f"{format_seconds(now - self.started)}){checks}"
        )

    def _detail(self, text: str) -> None:
        if text:
            self._write(f"  {'':<7} {text}")

    def _write(self, line: str) -> None:
        self.out.write(line + "\n")
        self.out.flush()


class _EventHandler(logging.Handler):
    def __init__(self, progress: StepProgress):
        super().__init__(level=logging.DEBUG)
        self.progress = progress

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        if event is None:
            return
        try:
            self.progress.on_event(event)
        except Exception:  # a progress line must never fail the run
            self.handleError(record)
