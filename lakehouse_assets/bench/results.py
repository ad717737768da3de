"""What a bench measured: raw samples per configuration (seconds, MiB), never summaries.

Medians and ratios are computed when the report is rendered (`goals.py`, `report.py`), so
the JSON next to the report keeps every run.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path


def median(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def with_checks(cold: list[float], checks: list[float]) -> float | None:
    """The median bare run with its checks counted (runs paired in order)."""
    if not checks or len(checks) != len(cold):
        return None
    return median([c + k for c, k in zip(cold, checks, strict=True)])


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


@dataclass
class ScaleResult:
    """One scale (order items): framework vs bare, memory, and Spark vs DuckDB."""

    items: int
    label: str
    orders: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    generation_seconds: float | None = None
    generation_cached: bool = False
    jit: str | None = None
    framework_cold: list[float] = field(default_factory=list)
    framework_warm: list[float] = field(default_factory=list)
    framework_parts: dict[str, list[float]] = field(default_factory=dict)
    bare_cold: list[float] = field(default_factory=list)
    bare_warm: list[float] = field(default_factory=list)
    bare_parts: dict[str, list[float]] = field(default_factory=dict)
    # The bare script's checks of its outputs (the specs' rules), not in `bare_cold`.
    bare_checks: list[float] = field(default_factory=list)
    outputs_differ: list[str] | None = None
    # Per framework run: the jobs' time, the sum of its steps' durations (the first step
    # without its wait for the runner), and the wall-clock seconds of its check phases (the
    # sum of the materializations' `lakehouse/check_seconds`; left out when the jobs report
    # none). Check phases of tables loaded in parallel overlap each other and other writes,
    # so their sum is information, not the checks' cost.
    framework_job_seconds: list[float] = field(default_factory=list)
    framework_check_seconds: list[float] = field(default_factory=list)
    # The same graph, data and load date run without the tables' rules
    # (`bench/without_rules.py`): each run's jobs' time, cold seconds and parts (as
    # `framework_parts`: each job's cost of the rules is there to read), and whether its
    # silver and gold differ from the framework's (None: not compared).
    without_rules_job_seconds: list[float] = field(default_factory=list)
    without_rules_cold: list[float] = field(default_factory=list)
    without_rules_parts: dict[str, list[float]] = field(default_factory=dict)
    without_rules_differ: list[str] | None = None
    memory_mb: dict[str, list[float]] = field(default_factory=dict)
    spark_silver_gold: list[float] = field(default_factory=list)
    duckdb_silver_gold: list[float] = field(default_factory=list)
    engine_parts: dict[str, list[float]] = field(default_factory=dict)
    engines_differ: list[str] | None = None
    # The memory limit DuckDB finished with (the driver's heap, or its own default after
    # running out of that).
    duckdb_memory: str | None = None

    @property
    def generated_items(self) -> int:
        return self.rows.get("itens_pedido", 0)

    @property
    def rules_seconds(self) -> float | None:
        """The rules' marginal cost: the median jobs' time with them minus without them."""
        with_rules = median(self.framework_job_seconds)
        without = median(self.without_rules_job_seconds)
        return None if with_rules is None or without is None else with_rules - without

    @property
    def check_share(self) -> float | None:
        """The share of the jobs' time the rules cost: (with - without) / with, medians."""
        return ratio(self.rules_seconds, median(self.framework_job_seconds))


@dataclass
class GraphTiming:
    """`lakehouse run` of a small landing folder, then `lakehouse catalog export`."""

    label: str
    rows: dict[str, int] = field(default_factory=dict)
    graph: list[float] = field(default_factory=list)
    export: list[float] = field(default_factory=list)
    # The bare PySpark script of the same transforms on the same files, cold: what the data
    # costs Spark without the framework.
    bare: list[float] = field(default_factory=list)
    bare_checks: list[float] = field(default_factory=list)


@dataclass
class StartupResult:
    bare_cold_start: list[float] = field(default_factory=list)
    # PySpark untuned (no class archive, default JIT): context, not the goal's yardstick.
    default_cold_start: list[float] = field(default_factory=list)
    sample: GraphTiming | None = None
    real: GraphTiming | None = None


@dataclass
class WarmResult:
    """`lakehouse run --select <one gold asset>` (the console script) with the runner up."""

    selection: str
    landing: str
    # Spawn to exit of each timed run.
    wall: list[float] = field(default_factory=list)
    # What each run printed (None where it printed nothing), paired with `wall`: its own
    # elapsed time (from `lakehouse run`'s start, after the interpreter and the CLI's
    # imports) and the gold step's duration.
    cli_elapsed: list[float | None] = field(default_factory=list)
    step: list[float | None] = field(default_factory=list)
    # The untimed run that materialized the whole group and left the runner up.
    prime_seconds: float | None = None


@dataclass
class HistoryResult:
    days: int
    bronze_rows: dict[str, int] = field(default_factory=dict)
    seed_seconds: float | None = None
    steps_total: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)
    steps: dict[str, list[float]] = field(default_factory=dict)


@dataclass
class IncrementalResult:
    items: int
    orders: int = 0
    new_load_date: str = ""
    new_day_rows: dict[str, int] = field(default_factory=dict)
    histories: list[HistoryResult] = field(default_factory=list)


@dataclass
class CatalogResult:
    tables: int
    first_seconds: list[float] = field(default_factory=list)
    second_seconds: list[float] = field(default_factory=list)
    first_calls: dict[str, int] = field(default_factory=dict)
    second_calls: dict[str, int] = field(default_factory=dict)
    second_writes: list[int] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


@dataclass
class BenchResults:
    machine: dict[str, str] = field(default_factory=dict)
    command: str = ""
    total_seconds: float | None = None
    items_per_order: float | None = None
    scales: list[ScaleResult] = field(default_factory=list)
    startup: StartupResult | None = None
    incremental: IncrementalResult | None = None
    catalog: CatalogResult | None = None
    warm: WarmResult | None = None
    errors: list[str] = field(default_factory=list)

    def scale(self, items: int) -> ScaleResult | None:
        return next((s for s in self.scales if s.items == items), None)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=1, default=str))


def add(parts: dict[str, list[float]], values: dict[str, float | None]) -> None:
    """Append one run's named values to the per-name sample lists."""
    for name, value in values.items():
        if value is not None:
            parts.setdefault(name, []).append(value)
