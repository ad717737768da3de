"""Run the selected sections in order and rewrite the report after each one.

A failing section is recorded under the report's Errors (with the log to read) and the
others still run; an interrupted bench leaves the report of what finished.
"""

from __future__ import annotations

import shutil
import time
import traceback
from collections.abc import Callable
from functools import partial

from lakehouse_assets.bench import (
    catalog_section,
    engines,
    incremental,
    overhead,
    small_data,
    warm_loop,
)
from lakehouse_assets.bench.landing_data import scale_data
from lakehouse_assets.bench.machine import describe
from lakehouse_assets.bench.options import BenchOptions
from lakehouse_assets.bench.report import render
from lakehouse_assets.bench.results import BenchResults, ScaleResult
from lakehouse_assets.bench.runs import BenchError, Context
from lakehouse_assets.bench.scales import items_per_order, label

RESULTS_FILE = "results.json"


def _section(results: BenchResults, name: str, progress, work: Callable[[], None]) -> None:
    progress(f"[{name}]")
    start = time.perf_counter()
    try:
        work()
    except Exception as err:  # noqa: BLE001 - one failed section must not lose the others
        progress(traceback.format_exc())
        results.errors.append(f"{name}: {err}")
    progress(f"[{name}] done in {time.perf_counter() - start:.0f} s")


def _ratio(results: BenchResults) -> float:
    if results.items_per_order is None:
        raise BenchError("no items-per-order ratio: the calibration failed (see above)")
    return results.items_per_order


def _calibrate(ctx: Context, results: BenchResults) -> None:
    results.items_per_order = items_per_order(ctx.options.seed)
    ctx.progress(f"  {results.items_per_order:.3f} order items per order")


def _catalog(ctx: Context, results: BenchResults) -> None:
    results.catalog = catalog_section.measure(ctx, ctx.options.fixed_runs)


def _warm(ctx: Context, results: BenchResults) -> None:
    results.warm = warm_loop.measure(ctx, ctx.options.warm_runs)


def _small(ctx: Context, results: BenchResults) -> None:
    results.startup = small_data.measure(ctx, ctx.options.fixed_runs)


def _scale(ctx: Context, results: BenchResults, items: int) -> None:
    options = ctx.options
    sc = ScaleResult(items=items, label=label(items))
    results.scales.append(sc)
    data = scale_data(options.work, items, _ratio(results), options.seed, ctx.progress)
    sc.orders, sc.rows = data.orders, data.rows
    with ctx.jit_for([data.landing]) as choice:
        sc.jit = choice
        sc.generation_seconds, sc.generation_cached = data.seconds, data.cached
        lake = None
        if options.wants("overhead") or options.wants("memory"):
            # Memory alone needs one run of each side; the overhead needs the median of several.
            count = options.runs_at(items) if options.wants("overhead") else 1
            lake = overhead.measure_scale(ctx, data, sc, count)
        if options.wants("overhead"):
            # The checks' share: the rules' marginal cost, the same run without them.
            overhead.measure_without_rules(ctx, data, sc, options.without_rules_runs, lake)
        if options.wants("duckdb"):
            engines.measure_scale(ctx, data, sc, lake, options.runs_at(items))
    # The logs stay for reading; the tables (gigabytes at 10M items) go.
    for folder in list((ctx.work / "runs" / sc.label).glob("**/lake")):
        shutil.rmtree(folder, ignore_errors=True)


def _incremental(ctx: Context, results: BenchResults) -> None:
    results.incremental = incremental.measure(ctx, _ratio(results), ctx.options.fixed_runs)


def plan(ctx: Context, results: BenchResults) -> list[tuple[str, Callable[[], None]]]:
    """The sections to run, cheapest first, as (name, work)."""
    options = ctx.options
    steps: list[tuple[str, Callable[[], None]]] = []
    if options.wants("catalog"):
        steps.append(("catalog", partial(_catalog, ctx, results)))
    if options.wants("warm"):
        steps.append(("warm", partial(_warm, ctx, results)))
    if options.wants("overhead"):
        steps.append(("small data", partial(_small, ctx, results)))
    per_scale = any(options.wants(s) for s in ("overhead", "memory", "duckdb"))
    if per_scale or options.wants("incremental"):
        steps.append(("calibration", partial(_calibrate, ctx, results)))
    for items in options.scales if per_scale else []:
        steps.append((f"scale {label(items)}", partial(_scale, ctx, results, items)))
    if options.wants("incremental"):
        steps.append(("incremental", partial(_incremental, ctx, results)))
    return steps


def run_bench(options: BenchOptions, command: str = "", progress=print) -> BenchResults:
    ctx = Context(options, progress)
    results = BenchResults(machine=describe(), command=command)
    started = time.perf_counter()
    for name, work in plan(ctx, results):
        _section(results, name, progress, work)
        results.total_seconds = time.perf_counter() - started
        results.save(options.work / RESULTS_FILE)
        options.out.parent.mkdir(parents=True, exist_ok=True)
        options.out.write_text(render(results))
    return results
