"""The goals, each judged met or missed from the measured medians (never hard-coded)."""

from __future__ import annotations

from dataclasses import dataclass

from lakehouse_assets.bench.results import BenchResults, median, ratio, with_checks

MET, MISSED, NOT_MEASURED = "met", "MISSED", "not measured"


@dataclass(frozen=True)
class Goal:
    goal: str
    target: str
    measured: str
    status: str


def _judge(value: float | None, limit: float, strict: bool) -> str:
    if value is None:
        return NOT_MEASURED
    ok = value < limit if strict else value <= limit
    return MET if ok else MISSED


def _x(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def overhead(results: BenchResults, items: int, limit: float, name: str) -> Goal:
    scale = results.scale(items)
    value = None
    if scale is not None:
        value = ratio(median(scale.framework_cold), median(scale.bare_cold))
    measured = _x(value)
    if scale is not None and value is not None:
        fw, bare = median(scale.framework_cold), median(scale.bare_cold)
        measured += f" ({fw:.1f} s vs {bare:.1f} s, n={len(scale.framework_cold)}"
        checked = with_checks(scale.bare_cold, scale.bare_checks)
        if checked is not None:
            measured += f"; {_x(ratio(fw, checked))} of the bare script with the same checks"
        measured += ")"
    return Goal(
        f"framework overhead over bare PySpark, full graph, cold, {name} items",
        f"at most {limit}x",
        measured,
        _judge(value, limit, strict=False),
    )


def small_graph(results: BenchResults) -> list[Goal]:
    """The graph on the real-shaped sample (and on the real exports when present)."""
    startup = results.startup
    timings = [t for t in (startup.sample, startup.real) if t] if startup else []
    target = "under 2x"
    if not timings:
        what = "whole ImportAu graph on small data vs one bare cold Spark start"
        return [Goal(what, target, "-", NOT_MEASURED)]
    cold = median(startup.bare_cold_start)
    goals = []
    for timing in timings:
        graph = median(timing.graph)
        value = ratio(graph, cold)
        measured = _x(value)
        if value is not None:
            measured += f" ({graph:.1f} s vs a {cold:.1f} s cold start"
            default = median(startup.default_cold_start)
            if default is not None:
                measured += f"; {_x(ratio(graph, default))} of an untuned {default:.1f} s start"
            bare = median(timing.bare)
            if bare is not None:
                measured += (
                    f"; the bare script of the same transforms takes {bare:.1f} s, "
                    f"{_x(ratio(bare, cold))} the start, and the graph {_x(ratio(graph, bare))} it"
                )
            checked = with_checks(timing.bare, timing.bare_checks)
            if checked is not None:
                measured += f", {_x(ratio(graph, checked))} it with the same checks"
            measured += ")"
        what = f"whole ImportAu graph ({timing.label}) vs one bare cold Spark start"
        goals.append(Goal(what, target, measured, _judge(value, 2.0, strict=True)))
    return goals


def engines(results: BenchResults, items: int = 10_000_000) -> Goal:
    scale = results.scale(items)
    value = None
    if scale is not None:
        value = ratio(median(scale.spark_silver_gold), median(scale.duckdb_silver_gold))
    measured = _x(value)
    if value is not None:
        spark, duck = median(scale.spark_silver_gold), median(scale.duckdb_silver_gold)
        measured += f" ({spark:.1f} s vs {duck:.1f} s)"
    return Goal(
        "silver+gold at 10M items, Spark (start excluded) vs DuckDB",
        "within 5x",
        measured,
        _judge(value, 5.0, strict=False),
    )


def incremental(results: BenchResults) -> Goal:
    inc = results.incremental
    histories = sorted(inc.histories, key=lambda h: h.days) if inc else []
    value, name = None, "365 vs 30 days"
    if len(histories) >= 2:
        small, large = histories[0], histories[-1]
        name = f"{large.days} vs {small.days} days"
        value = ratio(median(large.steps_total), median(small.steps_total))
    measured = "-" if value is None else f"{(value - 1) * 100:+.0f}% ({_x(value)})"
    return Goal(
        f"one new day (load + silver + gold) with {name} of history",
        "within 20%",
        measured,
        _judge(value, 1.2, strict=False),
    )


def catalog(results: BenchResults) -> Goal:
    cat = results.catalog
    seconds = median(cat.second_seconds) if cat else None
    if cat is None or seconds is None:
        return Goal("no-change catalog export", "only reads, under 10 s", "-", NOT_MEASURED)
    writes = max(cat.second_writes, default=0)
    measured = f"{seconds:.1f} s, {writes} write call(s)"
    ok = writes == 0 and seconds < 10
    return Goal(
        f"no-change catalog export of {cat.tables:,} tables",
        "only read calls, under 10 s",
        measured,
        MET if ok else MISSED,
    )


def generation(results: BenchResults, items: int = 10_000_000) -> Goal:
    scale = results.scale(items)
    seconds = scale.generation_seconds if scale else None
    measured = "-" if seconds is None else f"{seconds:.0f} s"
    return Goal("generating 10M items", "under 5 minutes", measured, _judge(seconds, 300, True))


def evaluate(results: BenchResults) -> list[Goal]:
    return [
        overhead(results, 1_000_000, 1.3, "1M"),
        overhead(results, 10_000_000, 1.1, "10M"),
        *small_graph(results),
        engines(results),
        incremental(results),
        catalog(results),
        generation(results),
    ]
