"""Silver and gold in DuckDB over the bronze Parquet the framework wrote, timed.

    python -m lakehouse_assets.bench.duckdb_child --bronze-root ROOT --out DIR --result FILE

The same threads as the Spark driver's cores and the same memory as its heap, so the two
engines get the same machine share; if DuckDB runs out of that memory, it runs again with
its own default limit (80% of RAM) and the result says so. Writes `<out>/silver/<table>/`
and `<out>/gold/<table>/`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from lakehouse_assets.bench import duckdb_sql

SILVER_TABLE = "silver/fato_pedido_correlacionado"
GOLD_TABLES = {
    "gold/agregado_fluxo_de_caixa_mensal": duckdb_sql.GOLD_CASH,
    "gold/features_risco_cambial_mensal": duckdb_sql.GOLD_FX,
}
BRONZE_TABLES = ("cambio", "emprestimos", "fornecedores", "itens_pedido", "pagamentos", "pedidos")
BRONZE_TABLES += ("produtos",)


def bronze_files(root: str) -> dict[str, list[str]]:
    """Each bronze table's current Parquet files, as Iceberg's plan gives them (the files
    Spark reads); their load date is in their folder names."""
    from glue_scripts.lib.fs import local_path, normalize_root
    from glue_scripts.lib.tables import TableStore

    files = {}
    for table in BRONZE_TABLES:
        store = TableStore(normalize_root(root), "importau_bronze", table)
        files[table] = [str(local_path(uri)) for uri in store.current_data_uris()]
    return files


def _copy(con, query: str, target: Path) -> None:
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    con.execute(f"COPY ({query}) TO '{target / 'data.parquet'}' (FORMAT parquet)")


def silver_and_gold(con, files: dict[str, list[str]], out: Path) -> dict[str, float]:
    """Write silver then gold; seconds per layer."""
    duckdb_sql.bronze_views(con, files)
    start = time.perf_counter()
    _copy(con, duckdb_sql.SILVER, out / SILVER_TABLE)
    silver_done = time.perf_counter()
    fact_files = out / SILVER_TABLE / "*.parquet"
    con.execute(f"CREATE OR REPLACE VIEW fato AS SELECT * FROM read_parquet('{fact_files}')")
    for table, query in GOLD_TABLES.items():
        _copy(con, query, out / table)
    return {"silver": silver_done - start, "gold": time.perf_counter() - silver_done}


def _memory_limit() -> str:
    # The Spark driver's heap (LAKEHOUSE_SPARK_DRIVER_MEMORY, e.g. 4g) in DuckDB's notation.
    return os.environ.get("LAKEHOUSE_SPARK_DRIVER_MEMORY", "4g").upper() + "B"


def _threads() -> int:
    cores = os.environ.get("LAKEHOUSE_SPARK_CORES", "*")  # the runner's default: every core
    return int(cores) if cores.isdigit() else os.cpu_count() or 1


def _run(args: argparse.Namespace, threads: int, limit: str | None, spill: Path) -> dict:
    import duckdb

    # As a single-node user would run it at 10M items: free to spill past its memory limit and
    # not bound to keep the input order of the rows (the outputs are compared as sets).
    config = {"threads": threads, "preserve_insertion_order": False, "temp_directory": str(spill)}
    if limit is not None:
        config["memory_limit"] = limit
    con = duckdb.connect(config=config)
    try:
        return silver_and_gold(con, bronze_files(args.bronze_root), Path(args.out))
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)


def main(argv: Sequence[str]) -> int:
    import duckdb

    parser = argparse.ArgumentParser(prog="python -m lakehouse_assets.bench.duckdb_child")
    parser.add_argument("--bronze-root", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--result", required=True)
    args = parser.parse_args(argv)
    threads = _threads()
    spill = Path(args.out) / "duckdb_spill"
    report: dict = {"threads": threads, "memory_limit": _memory_limit()}
    try:
        report["phases"] = _run(args, threads, _memory_limit(), spill)
    except duckdb.OutOfMemoryException as err:
        # Not every DuckDB operator spills to disk, so the driver's budget can be too small.
        # A single-node user would then give DuckDB the machine's memory: so does this run,
        # and the report says so.
        print(f"DuckDB ran out of {_memory_limit()}: {err}; again with its own default", flush=True)
        report["failed_limit"] = report["memory_limit"]
        report["memory_limit"] = "DuckDB default (80% of RAM)"
        report["phases"] = _run(args, threads, None, spill)
    Path(args.result).write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
