"""The ImportAu graph as ONE bare PySpark script: the yardstick of the framework's overhead.

One SparkSession started exactly like the local runner's (`build_local_session`), the
landing CSVs read with explicit schemas, the SAME pure transforms the Glue scripts call,
Parquet written layer by layer (bronze, silver, gold, each read back by the next layer as
the jobs do). No Dagster, no Pipes, no quarantine, no quality rules, no Iceberg commits,
no masking. Never imports dagster.

`full` then runs the specs' quality rules on what it wrote, table after table, as a script
would that checks its outputs the way the framework does; they are timed apart (phase
`checks`), so that the yardstick can be taken with or without them.

    python -m lakehouse_assets.bench.bare_pipeline full --landing DIR --load-date D \
        --out DIR --result FILE
    python -m lakehouse_assets.bench.bare_pipeline silver-gold --bronze-root ROOT \
        --out DIR --result FILE

`silver-gold` reads the bronze tables the framework wrote under ROOT and times silver and
gold only (Spark start and a first trivial action excluded): the Spark side of the DuckDB
comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from glue_scripts.importau import fact_changes
from glue_scripts.importau import gold_agregado_fluxo_de_caixa_mensal as gold_cash
from glue_scripts.importau import gold_features_risco_cambial_mensal as gold_fx
from glue_scripts.importau import silver_fato_pedido_correlacionado as silver
from glue_scripts.lib.fs import normalize_root, spark_path
from glue_scripts.lib.landing import find_source_files
from lakehouse_assets.bench.bare_read import read_source
from lakehouse_assets.bench.procs import started_at, tree_memory_mb
from lakehouse_assets.domains.importau.specs import BRONZE, TABLES

SILVER_INPUTS = ("itens_pedido", "pedidos", "produtos", "fornecedores", "pagamentos", "cambio")
FACT = "fato_pedido_correlacionado"
CASH = "agregado_fluxo_de_caixa_mensal"
FX = "features_risco_cambial_mensal"


def write_bronze(spark: SparkSession, landing: str, load_date: str, out: Path) -> None:
    root = normalize_root(landing)
    for spec in BRONZE:
        files = [spark_path(f) for f in find_source_files(root, spec.source, load_date)]
        frame = read_source(spark, files, spec).select("*", F.lit(load_date).alias("anomesdia"))
        frame.write.mode("overwrite").partitionBy("anomesdia").parquet(str(out / spec.name))


def write_silver(bronze: dict[str, DataFrame], out: Path, *, one_load: bool) -> None:
    """The silver fact. `one_load`: each input holds a single load, so one version per key,
    and a hand-written script hands it over as it is (as the framework's `read_latest` does);
    otherwise the current version of each key is picked first (as DuckDB's SQL does)."""
    loads = {name: bronze[name] for name in SILVER_INPUTS}
    inputs = loads if one_load else silver.current_versions(loads)
    fact = silver.transform(**inputs).write.mode("overwrite").partitionBy(fact_changes.MONTH)
    fact.parquet(str(out / FACT))


def write_gold(fato: DataFrame, emprestimos: DataFrame, cambio: DataFrame, out: Path) -> None:
    gold_cash.transform(fato, emprestimos).write.mode("overwrite").parquet(str(out / CASH))
    gold_fx.transform(fato, cambio).write.mode("overwrite").parquet(str(out / FX))


def run_checks(spark: SparkSession, out: Path) -> int:
    """The quality rules of every ImportAu table on the written outputs (the same SQL the
    jobs run before they publish); returns how many blocking ones failed (the script keeps
    the rows the framework quarantines, so some may)."""
    from glue_scripts.lib import quality
    from glue_scripts.lib.local_rows import local_rows

    folders = {spec.name: out / "bronze" / spec.name for spec in BRONZE}
    folders |= {FACT: out / "silver" / FACT, CASH: out / "gold" / CASH, FX: out / "gold" / FX}
    for name, folder in folders.items():
        _parquet(spark, folder).createOrReplaceTempView(name)
    # A fresh script keeps no partitions.
    local_rows(spark, [], "name string, rows bigint").createOrReplaceTempView(quality.KEPT)
    # One load of each source: one row per key, as the jobs know of what they read.
    unique_views = {spec.name: spec.primary_key for spec in BRONZE}
    failed = 0
    for spec in TABLES:
        spark.table(spec.name).createOrReplaceTempView(quality.THIS)
        rules = [rule.payload() for rule in spec.rules]
        outcomes, _ = quality.evaluate_with_queries(spark, rules, {}, unique_views)
        failed += len(quality.blocking_failures(outcomes))
    return failed


def framework_bronze(spark: SparkSession, root: str) -> dict[str, DataFrame]:
    from glue_scripts.lib.spark_io import read_table
    from glue_scripts.lib.tables import TableStore

    return {
        spec.name: read_table(spark, TableStore(root, spec.database, spec.name)) for spec in BRONZE
    }


def _parquet(spark: SparkSession, folder: Path) -> DataFrame:
    return spark.read.parquet(str(folder))


def run(args: argparse.Namespace, spark: SparkSession, phases: dict[str, float]) -> int | None:
    """Write the layers (and, in `full` mode, check them), timing each phase; returns how
    many rules failed, if checked."""
    out = Path(args.out)
    tick = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal tick
        now = time.perf_counter()
        phases[name] = now - tick
        tick = now

    if args.mode == "full":
        write_bronze(spark, args.landing, args.load_date, out / "bronze")
        lap("bronze")
        bronze = {s.name: _parquet(spark, out / "bronze" / s.name) for s in BRONZE}
    else:
        bronze = framework_bronze(spark, args.bronze_root)
    write_silver(bronze, out / "silver", one_load=args.mode == "full")
    lap("silver")
    fato = _parquet(spark, out / "silver" / FACT)
    write_gold(fato, bronze["emprestimos"], bronze["cambio"], out / "gold")
    lap("gold")
    if args.mode != "full":
        return None
    failed = run_checks(spark, out)
    lap("checks")
    return failed


def main(argv: Sequence[str]) -> int:
    entered = time.time()
    parser = argparse.ArgumentParser(prog="python -m lakehouse_assets.bench.bare_pipeline")
    parser.add_argument("mode", choices=["full", "silver-gold"])
    parser.add_argument("--landing")
    parser.add_argument("--load-date", default="20240101")
    parser.add_argument("--bronze-root")
    parser.add_argument("--out", required=True)
    parser.add_argument("--result", required=True)
    args = parser.parse_args(argv)
    from lakehouse_assets.local_runner.session import build_local_session

    phases: dict[str, float] = {}
    born = started_at(os.getpid())
    if born is not None:
        phases["python_start"] = entered - born
    start = time.perf_counter()
    spark = build_local_session("lakehouse-bench-bare")
    phases["spark_start"] = time.perf_counter() - start
    if args.mode == "silver-gold":
        # A cold start is the session plus one trivial action (as `cold_start` measures it):
        # excluded here, so that only silver and gold are timed.
        start = time.perf_counter()
        spark.range(1).count()
        phases["first_action"] = time.perf_counter() - start
    failed_checks = run(args, spark, phases)
    memory = tree_memory_mb(os.getpid())
    start = time.perf_counter()
    spark.stop()
    phases["spark_stop"] = time.perf_counter() - start
    report = {
        "phases": phases,
        "memory_mb": memory,
        "pid": os.getpid(),
        "failed_checks": failed_checks,
    }
    Path(args.result).write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
