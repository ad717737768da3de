"""One new day on top of N days of history: does its cost grow with the history?"""

from __future__ import annotations

import shutil

from lakehouse_assets.bench import runs
from lakehouse_assets.bench.landing_data import DailyDrops, daily_drops, scale_data
from lakehouse_assets.bench.overhead import framework_args
from lakehouse_assets.bench.results import HistoryResult, IncrementalResult, add
from lakehouse_assets.bench.scales import label

STEPS = (
    "importau_bronze_ingest",
    "importau_silver_fato_pedido_correlacionado",
    "importau_gold_agregado_fluxo_de_caixa_mensal",
    "importau_gold_features_risco_cambial_mensal",
)


# What ran yesterday: silver and gold over the history, leaving the state a new day builds on.
PRIMED = "key:importau/silver/* or key:importau/gold/*"


def _seed(ctx: runs.Context, drops: DailyDrops, history: HistoryResult) -> None:
    run_dir = runs.fresh(ctx.work / "incremental" / f"history-{history.days}")
    dates = drops.history(history.days)
    lake = run_dir / "lake"
    args = ["--landing", str(drops.landing), "--root", str(lake), "--load-dates", ",".join(dates)]
    child = ctx.child(run_dir / "seed", "lakehouse_assets.bench.seed_history", args)
    history.bronze_rows = child.report["rows"]
    history.seed_seconds = child.report["seconds"]
    primed = [*framework_args(drops.landing, lake, PRIMED), "--load-date", dates[-1]]
    runs.framework(ctx, run_dir / "prime", primed)


def _new_day(ctx: runs.Context, drops: DailyDrops, history: HistoryResult, run: int) -> None:
    base = ctx.work / "incremental" / f"history-{history.days}"
    run_dir = runs.fresh(base / f"day-{run}")
    # Each run starts from yesterday's lake: re-running the new day on a lake that already
    # holds it would replace a load the state consumed, which is a correction, not a new day.
    lake = run_dir / "lake"
    shutil.copytree(base / "lake", lake)
    args = [*framework_args(drops.landing, lake), "--load-date", drops.new_load_date]
    runs.start_runner(ctx, run_dir)
    try:
        measured = runs.framework(ctx, run_dir, args, keep_runner=True)
    finally:
        runs.stop_runner(run_dir)
        shutil.rmtree(lake, ignore_errors=True)
    steps = {name: measured.parts.get(name) for name in STEPS}
    if any(v is None for v in steps.values()):
        raise runs.BenchError(f"the new-day run did not run every step: {steps}")
    add(history.steps, steps)
    history.steps_total.append(sum(steps.values()))
    history.wall.append(measured.cold)


def measure(ctx: runs.Context, ratio: float, count: int) -> IncrementalResult:
    options = ctx.options
    days = options.history
    # A year of orders (the generator spreads them over 366 days at this size).
    data = scale_data(ctx.work, options.incremental_items, ratio, options.seed, ctx.progress)
    folder = data.landing.parent / f"daily-{max(days) + 1}"
    drops = daily_drops(data, folder, max(days) + 1)
    result = IncrementalResult(
        items=options.incremental_items,
        orders=data.orders,
        new_load_date=drops.new_load_date,
        new_day_rows=drops.new_day_rows,
        histories=[HistoryResult(d) for d in days],
    )
    # As the framework would choose for a lakehouse holding the whole year.
    with ctx.jit_for([drops.landing]):
        _measure_histories(ctx, drops, result, count)
    # The lakes are large; the run logs stay for reading where the time went.
    for history in result.histories:
        shutil.rmtree(
            ctx.work / "incremental" / f"history-{history.days}" / "lake", ignore_errors=True
        )
    return result


def _measure_histories(
    ctx: runs.Context, drops: DailyDrops, result: IncrementalResult, count: int
) -> None:
    for history in result.histories:
        _seed(ctx, drops, history)
        ctx.progress(
            f"  {history.days} days of history: {sum(history.bronze_rows.values()):,} bronze rows"
            f" written in {history.seed_seconds:.1f} s"
        )
    for run in range(count):
        order = result.histories if run % 2 == 0 else result.histories[::-1]
        for history in order:
            _new_day(ctx, drops, history, run)
        ctx.progress(
            f"  new day run {run + 1}/{count} ({label(result.items)} items/year): "
            + ", ".join(f"{h.days} days {h.steps_total[-1]:.1f} s" for h in result.histories)
        )
