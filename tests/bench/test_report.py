"""A results object renders to markdown with every goal judged from its numbers."""

from __future__ import annotations

from lakehouse_assets.bench.goals import MET, MISSED, NOT_MEASURED, evaluate
from lakehouse_assets.bench.report import render
from lakehouse_assets.bench.results import (
    BenchResults,
    CatalogResult,
    GraphTiming,
    HistoryResult,
    IncrementalResult,
    ScaleResult,
    StartupResult,
)


def _scale(items, label, framework, bare, spark=(), duckdb=(), generation=None, checks=()):
    return ScaleResult(
        items=items,
        label=label,
        orders=round(items / 1.379),
        rows={"itens_pedido": items + 4},
        generation_seconds=generation,
        framework_cold=list(framework),
        framework_warm=[v - 10 for v in framework],
        bare_cold=list(bare),
        bare_warm=[v - 5 for v in bare],
        bare_checks=list(checks),
        framework_parts={"importau_bronze_ingest": [4.0, 5.0, 6.0]},
        outputs_differ=[],
        memory_mb={"dagster_process": [120.0, 130.0], "runner_jvm": [2000.0, 2100.0]},
        spark_silver_gold=list(spark),
        duckdb_silver_gold=list(duckdb),
        engines_differ=[] if spark else None,
    )


def results(second_writes=(0, 0, 0)) -> BenchResults:
    return BenchResults(
        machine={"cpu": "Test CPU", "cores": "2", "ram_gib": "8.0", "pyspark": "3.5.6"},
        command="lakehouse bench --runs 3",
        total_seconds=3000.0,
        items_per_order=1.379,
        scales=[
            _scale(
                1_000_000,
                "1M",
                [120.0, 130.0, 150.0],
                [90.0, 100.0, 110.0],
                checks=[10.0, 20.0, 15.0],  # paired with the runs: 100, 120, 125
            ),
            _scale(10_000_000, "10M", [600.0], [500.0], [300.0], [50.0], generation=250.0),
        ],
        startup=StartupResult(
            bare_cold_start=[11.0, 12.0, 13.0],
            default_cold_start=[14.0, 15.0, 30.0],
            sample=GraphTiming("generated sample, scale 30", graph=[20.0, 21.0, 30.0]),
            real=GraphTiming(
                "real exports",
                graph=[25.0, 24.0, 26.0],
                bare=[18.0, 17.0, 19.0],
                bare_checks=[2.0, 3.0, 4.0],
            ),
        ),
        incremental=IncrementalResult(
            items=1_000_000,
            orders=725_000,
            new_load_date="20241023",
            new_day_rows={"pedidos": 2000},
            histories=[
                HistoryResult(30, steps_total=[10.0, 11.0, 12.0], wall=[20.0, 21.0, 22.0]),
                HistoryResult(365, steps_total=[12.1, 13.2, 14.0], wall=[23.0, 24.0, 25.0]),
            ],
        ),
        catalog=CatalogResult(
            tables=1000,
            first_seconds=[40.0, 41.0, 42.0],
            second_seconds=[8.0, 9.0, 12.0],
            first_calls={"CreateTable": 1000, "GetTables": 30},
            second_calls={"GetTables": 30, "GetPartitions": 400},
            second_writes=list(second_writes),
        ),
    )


def test_goals_are_judged_from_the_medians():
    goals = {g.goal: (g.measured, g.status) for g in evaluate(results())}
    assert goals == {
        "framework overhead over bare PySpark, full graph, cold, 1M items": (
            "1.30x (130.0 s vs 100.0 s, n=3; 1.08x of the bare script with the same checks)",
            MET,  # at most 1.3x: the limit itself is met
        ),
        "framework overhead over bare PySpark, full graph, cold, 10M items": (
            "1.20x (600.0 s vs 500.0 s, n=1)",
            MISSED,
        ),
        "whole ImportAu graph (generated sample, scale 30) vs one bare cold Spark start": (
            "1.75x (21.0 s vs a 12.0 s cold start; 1.40x of an untuned 15.0 s start)",
            MET,
        ),
        "whole ImportAu graph (real exports) vs one bare cold Spark start": (
            "2.08x (25.0 s vs a 12.0 s cold start; 1.67x of an untuned 15.0 s start; the bare "
            "script of the same transforms takes 18.0 s, 1.50x the start, and the graph 1.39x it, "
            "1.25x it with the same checks)",
            MISSED,
        ),
        "silver+gold at 10M items, Spark (start excluded) vs DuckDB": (
            "6.00x (300.0 s vs 50.0 s)",
            MISSED,
        ),
        "one new day (load + silver + gold) with 365 vs 30 days of history": (
            "+20% (1.20x)",
            MET,
        ),
        "no-change catalog export of 1,000 tables": ("9.0 s, 0 write call(s)", MET),
        "generating 10M items": ("250 s", MET),
    }


def test_a_write_in_the_no_change_export_misses_the_goal():
    goals = {g.goal: g.status for g in evaluate(results(second_writes=(0, 2, 0)))}
    assert goals["no-change catalog export of 1,000 tables"] == MISSED


def test_goals_without_their_measurement_are_not_measured():
    empty = BenchResults(scales=[_scale(10_000, "10k", [60.0], [20.0])])
    statuses = [g.status for g in evaluate(empty)]
    assert statuses == [NOT_MEASURED] * 7


def test_the_report_shows_the_goals_and_each_measurement():
    text = render(results())
    assert text.startswith("# Benchmarks\n\nMeasured by `lakehouse bench --runs 3` in 50 min.")
    assert "| CPU | Test CPU |" in text
    assert (
        "| framework overhead over bare PySpark, full graph, cold, 10M items | at most 1.1x | "
        "1.20x (600.0 s vs 500.0 s, n=1) | MISSED |"
    ) in text
    one_m = (
        "| 1M | 1,000,004 | - | 3 | 130.0 | 100.0 | 1.30x | 120.0 | 1.08x | 120.0 | 95.0 | 1.26x |"
    )
    assert one_m + " yes |" in text
    assert "| 10M | 10,000,004 | - | 1 | 600.0 | 500.0 | 1.20x | - | - |" in text  # not checked
    assert "| 10M | 1 | - | - | 300.0 | - | - | 50.0 | 6.00x | yes | - |" in text
    assert "| default PySpark cold start + one action (no JVM tuning) | 3 | 15.0 | 1.25x |" in text
    assert "| 365 | 0 | 3 | - | - | - | - | 13.2 | 24.0 |" in text
    second = "| second (nothing changed) | 3 | 9.00 | 430 | 0 | GetPartitions 400, GetTables 30 |"
    assert second in text
    assert "| 1M | 130 | - | 2,100 | - | 2,100 | - | - | - | - |" in text  # peaks, MiB
    assert "| 1M | - | - | - | 5.00 | - | - | - | - |" in text  # bronze job parts
    assert "Bare script, median seconds per phase" not in text  # no phases recorded
    assert "| `lakehouse run --domain importau`, real exports | 3 | 25.0 | 2.08x |" in text
    bare = "| bare PySpark script of the same transforms, cold (real exports) | 3 | 18.0 | 1.50x |"
    assert bare in text
    assert "| the same bare script, and the same checks (real exports) | 3 | 20.0 | 1.67x |" in text
    assert "bare PySpark script of the same transforms, cold (generated" not in text  # no runs
    assert "then `lakehouse catalog export`" not in text  # no export timed
    assert "| 10M | 7,251,632 | 10,000,004 | 250.0 | this bench |" in text
    assert "## Errors" not in text


def test_failed_sections_are_listed_and_missing_sections_left_out():
    partial = BenchResults(errors=["scale 10M: the framework run exited with code 1; log x"])
    text = render(partial)
    assert "## Errors\n\n- scale 10M: the framework run exited with code 1; log x\n" in text
    assert "## Framework overhead" not in text
    assert "## Catalog export" not in text
