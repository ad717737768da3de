"""Silver and gold on the same bronze Parquet: Spark (start excluded) vs DuckDB."""

from __future__ import annotations

import shutil
from pathlib import Path

from lakehouse_assets.bench import outputs, runs
from lakehouse_assets.bench.landing_data import GeneratedData
from lakehouse_assets.bench.overhead import LOAD_DATE, framework_args
from lakehouse_assets.bench.results import ScaleResult, add


def bronze_lake(ctx: runs.Context, data: GeneratedData, base: Path) -> Path:
    """Bronze written by the framework, when the overhead runs left no lake behind."""
    run_dir = runs.fresh(base / "bronze")
    args = framework_args(data.landing, run_dir / "lake", "key:importau/bronze/*")
    runs.framework(ctx, run_dir, [*args, "--load-date", LOAD_DATE])
    return run_dir / "lake"


def measure_scale(
    ctx: runs.Context, data: GeneratedData, sc: ScaleResult, lake: Path | None, count: int
) -> None:
    base = runs.fresh(ctx.work / "runs" / sc.label / "engines")
    lake = lake or bronze_lake(ctx, data, base)
    for run in range(count):
        spark_dir, duck_dir = base / f"spark-{run}", base / f"duckdb-{run}"
        sides = ("spark", "duckdb") if run % 2 == 0 else ("duckdb", "spark")
        for side in sides:
            if side == "spark":
                args = ["silver-gold", "--bronze-root", str(lake), "--out", str(spark_dir / "out")]
                child = ctx.child(
                    spark_dir, "lakehouse_assets.bench.bare_pipeline", args, what="Spark side"
                )
            else:
                args = ["--bronze-root", str(lake), "--out", str(duck_dir / "out")]
                child = ctx.child(
                    duck_dir, "lakehouse_assets.bench.duckdb_child", args, what="DuckDB side"
                )
            phases = child.report["phases"]
            if side == "duckdb":
                sc.duckdb_memory = child.report.get("memory_limit")
            getattr(sc, f"{side}_silver_gold").append(phases["silver"] + phases["gold"])
            add(sc.engine_parts, {f"{side}_{k}": phases[k] for k in ("silver", "gold")})
        differ = outputs.compare(
            outputs.engine_files(spark_dir / "out"), outputs.engine_files(duck_dir / "out")
        )
        sc.engines_differ = sorted(set(sc.engines_differ or []) | set(differ))
        ctx.progress(
            f"  {sc.label} run {run + 1}/{count}: Spark {sc.spark_silver_gold[-1]:.1f} s, "
            f"DuckDB {sc.duckdb_silver_gold[-1]:.1f} s, same output: "
            f"{'yes' if not differ else 'NO'}"
        )
        shutil.rmtree(spark_dir / "out", ignore_errors=True)
        shutil.rmtree(duck_dir / "out", ignore_errors=True)
