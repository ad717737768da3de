"""The goals, each judged met or missed from the measured medians (never hard-coded).

A row marked "info" shows a measure with a goal's definition where the goal itself is judged
on another measure (the generated sample next to the real exports).
"""

from __future__ import annotations

from dataclasses import dataclass

from lakehouse_assets.bench.results import (
    BenchResults,
    GraphTiming,
    StartupResult,
    median,
    ratio,
    with_checks,
)

MET, MISSED, NOT_MEASURED, INFO = "met", "MISSED", "not measured", "info"


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


def _secs(value: float) -> str:
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


OVERHEAD_LIMIT = 1.1
SMALL_DATA_LIMIT = 1.5
CHECK_SHARE_LIMIT = 0.10
WARM_LIMIT_SECONDS = 3.0


def overhead(results: BenchResults, items: int, name: str) -> Goal:
    """The framework against the bare script that runs the same transforms and the same
    rules; the ratio to the script without checks is information."""
    scale = results.scale(items)
    fw = median(scale.framework_cold) if scale else None
    bare = median(scale.bare_cold) if scale else None
    checked = with_checks(scale.bare_cold, scale.bare_checks) if scale else None
    value = ratio(fw, checked)
    measured = _x(value)
    info = []
    if value is not None:
        info.append(f"{fw:.1f} s vs {checked:.1f} s with the same checks")
    elif fw is not None and bare is not None:
        info.append("the bare script's checks were not timed")
    if fw is not None and bare is not None:
        without = f"{_x(ratio(fw, bare))} the bare script without checks"
        info.append(
            f"{without}, {bare:.1f} s"
            if value is not None
            else f"{without}: {fw:.1f} s vs {bare:.1f} s"
        )
    if info:
        measured += f" ({'; '.join(info)}; n={len(scale.framework_cold)})"
    return Goal(
        f"framework overhead over the bare PySpark script with the same checks, full graph, "
        f"cold, {name} items",
        f"at most {OVERHEAD_LIMIT}x",
        measured,
        _judge(value, OVERHEAD_LIMIT, strict=False),
    )


def _small_measured(startup: StartupResult, timing: GraphTiming) -> tuple[float | None, str]:
    graph, bare = median(timing.graph), median(timing.bare)
    value = ratio(graph, bare)
    if graph is None:
        return value, "-"
    info = []
    if value is not None:
        info.append(f"{graph:.1f} s vs {bare:.1f} s, n={len(timing.graph)}")
    checked = with_checks(timing.bare, timing.bare_checks)
    if checked is not None:
        info.append(f"{_x(ratio(graph, checked))} the bare script with the same checks")
    cold = median(startup.bare_cold_start)
    if cold is not None:
        start = f"{_x(ratio(graph, cold))} one bare cold Spark start of {cold:.1f} s"
        default = median(startup.default_cold_start)
        if default is not None:
            start += f", {_x(ratio(graph, default))} an untuned {default:.1f} s start"
        info.append(start)
    return value, _x(value) + (" (" + "; ".join(info) + ")" if info else "")


def small_graph(results: BenchResults) -> list[Goal]:
    """The whole graph on small data against the bare script of the same transforms without
    checks: judged on the real exports; the generated sample is information."""
    startup = results.startup
    target = f"at most {SMALL_DATA_LIMIT}x"
    what = (
        "whole ImportAu graph (`lakehouse run`, cold) on small data ({}) vs the bare PySpark "
        "script of the same transforms without checks, cold"
    )
    real = startup.real if startup else None
    if real is None:
        goals = [Goal(what.format("real exports"), target, "-", NOT_MEASURED)]
    else:
        value, measured = _small_measured(startup, real)
        status = _judge(value, SMALL_DATA_LIMIT, strict=False)
        goals = [Goal(what.format(real.label), target, measured, status)]
    sample = startup.sample if startup else None
    if sample is not None and sample.graph:
        _, measured = _small_measured(startup, sample)
        info_target = f"{target} (information: the goal is judged on the real exports)"
        goals.append(Goal(what.format(sample.label), info_target, measured, INFO))
    return goals


def checks_share(results: BenchResults, items: int = 10_000_000, name: str = "10M") -> Goal:
    """The share of the framework's jobs' time the tables' rules cost: the jobs' time with
    them minus without them (the same run in the same bench), over the time with them.

    Not the summed check phases: the bronze job loads its tables in parallel threads, so
    their check phases overlap each other and other tables' writes."""
    scale = results.scale(items)
    value = scale.check_share if scale else None
    measured = "-" if value is None else f"{value * 100:.1f}%"
    if value is not None:
        jobs = median(scale.framework_job_seconds)
        runs = f"{len(scale.framework_job_seconds)} vs {len(scale.without_rules_job_seconds)}"
        measured += (
            f" ({scale.rules_seconds:.1f} s of {jobs:.1f} s of jobs; the rules' marginal cost, "
            f"with vs without rules, n={runs})"
        )
    return Goal(
        f"time the framework's jobs spend on checks, full graph, {name} items",
        f"at most {CHECK_SHARE_LIMIT:.0%} of the jobs' time",
        measured,
        _judge(value, CHECK_SHARE_LIMIT, strict=False),
    )


def warm_loop(results: BenchResults) -> Goal:
    """A data engineer's loop: one gold asset again, with the local runner already up."""
    warm = results.warm
    value = median(warm.wall) if warm else None
    measured = "-"
    if value is not None:
        measured = (
            f"{_secs(value)} (median of {len(warm.wall)}; min {_secs(min(warm.wall))}, "
            f"max {_secs(max(warm.wall))})"
        )
    return Goal(
        "warm loop: `lakehouse run --select <one gold asset>` with the runner up, sample data",
        f"at most {WARM_LIMIT_SECONDS:.0f} s",
        measured,
        _judge(value, WARM_LIMIT_SECONDS, strict=False),
    )


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
    """The goals in the order the team set them, then the earlier ones."""
    return [
        overhead(results, 1_000_000, "1M"),
        overhead(results, 10_000_000, "10M"),
        *small_graph(results),
        checks_share(results),
        warm_loop(results),
        engines(results),
        incremental(results),
        catalog(results),
        generation(results),
    ]
