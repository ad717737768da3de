"""DuckDB's silver and gold equal the Spark transforms' on the same bronze Parquet.

Bronze holds two loads (a third of the keys reloaded with other values the next day), so the
latest-load-wins rule, split installments, foreign currencies and loans are all exercised.
Spark's side is exactly what the bench times (`bare_pipeline.write_silver/write_gold` on the
framework's bronze layout); both sides are written to Parquet and read back by DuckDB.
"""

from __future__ import annotations

import json
import math

import duckdb
import pytest
from pyspark.sql import functions as F

from glue_scripts.importau import fact_changes
from glue_scripts.lib.fs import normalize_root
from glue_scripts.lib.spark_io import arrow_schema, write_snapshot
from glue_scripts.lib.tables import TableStore
from lakehouse_assets.bench import bare_pipeline, duckdb_child, outputs
from lakehouse_assets.bench.bare_read import read_source
from lakehouse_assets.bench.seed_history import publish_bronze
from lakehouse_assets.domains.importau.generator import generate
from lakehouse_assets.domains.importau.specs import BRONZE

DAY1, DAY2 = "20241201", "20241202"
ORDERS = 1200
FACT = "silver/fato_pedido_correlacionado"
CASH = "gold/agregado_fluxo_de_caixa_mensal"
FX = "gold/features_risco_cambial_mensal"
# Columns Spark computes in DOUBLE (or averages through doubles): equal up to rounding.
DOUBLES = {
    CASH: (),
    FX: ("ptax_volatilidade_mes", "ptax_variacao_mes_percentual", "prazo_medio_pagamento_dias"),
}
KEYS = {CASH: ("mes_referencia", "moeda"), FX: ("fornecedor_id", "moeda", "mes_referencia")}


def _load(spark, folder, spec, day):
    path = str(folder / spec.source / f"{spec.source}.csv")
    return read_source(spark, [path], spec).select("*", F.lit(day).alias("anomesdia"))


@pytest.fixture(scope="module")
def both(spark, tmp_path_factory):
    base = tmp_path_factory.mktemp("equivalence")
    generate(base / "day1", scale=ORDERS, seed=7)
    generate(base / "day2", scale=ORDERS, seed=8)
    root = str(base / "lake")
    for spec in BRONZE:
        key = F.concat_ws("|", *(F.col(k).cast("string") for k in spec.primary_key))
        reloaded = _load(spark, base / "day2", spec, DAY2).where(F.crc32(key) % 3 == 0)
        publish_bronze(
            _load(spark, base / "day1", spec, DAY1).unionByName(reloaded), root, spec, [DAY1, DAY2]
        )
    spark_out, duck_out = base / "spark", base / "duckdb"
    bronze = bare_pipeline.framework_bronze(spark, root)
    bare_pipeline.write_silver(bronze, spark_out / "silver", one_load=False)
    fato = spark.read.parquet(str(spark_out / FACT))
    bare_pipeline.write_gold(fato, bronze["emprestimos"], bronze["cambio"], spark_out / "gold")
    con = duckdb.connect()
    duckdb_child.silver_and_gold(con, duckdb_child.bronze_files(root), duck_out)
    items = bronze["itens_pedido"]
    yield {
        "root": root,
        "spark": spark_out,
        "duckdb": duck_out,
        "con": con,
        "items": items.select("item_id").distinct().count(),
        "reloaded": items.where(F.col("anomesdia") == DAY2).count(),
    }
    con.close()


def _rows(con, folder, table, columns="*"):
    # Spark's fact is partitioned by month; the folders add no column on either side.
    files = f"'{folder / table}/**/*.parquet', hive_partitioning = false"
    return f"(SELECT {columns} FROM read_parquet({files}))"


def test_row_counts_and_money_sums_are_equal(both):
    spark_files, duck_files = (outputs.engine_files(both[e]) for e in ("spark", "duckdb"))
    assert outputs.compare(spark_files, duck_files) == []
    summary = outputs.summary(both["con"], duck_files)
    # One fact row per distinct item of the loads (the grain), and every table is non-trivial.
    assert summary[FACT]["rows"] == both["items"]
    assert summary[CASH]["rows"] > 0
    assert summary[FX]["rows"] > 0


def test_the_framework_s_tables_are_read_from_their_committed_files(both, spark):
    # Spark's silver and gold committed as the jobs commit them (the fact by month, the
    # month then only in the folder names), read back through `framework_files`.
    root = both["root"]
    for table in outputs.TABLES:
        layer, name = table.split("/")
        frame = spark.read.parquet(str(both["spark"] / table))
        store = TableStore(normalize_root(root), f"importau_{layer}", name)
        partition_by = (fact_changes.MONTH,) if table == FACT else ()
        written = write_snapshot(frame, store, partition_by)
        store.commit(
            written.snapshot,
            partition_by,
            written.rows_by_partition,
            replace_all=True,
            schema=arrow_schema(frame),
        )

    files = outputs.framework_files(root)

    assert outputs.compare(files, outputs.engine_files(both["spark"])) == []
    months = {f.split(f"/{fact_changes.MONTH}=", 1)[1].split("/")[0] for f in files[FACT]}
    assert len(months) > 1


def test_the_data_exercises_every_path(both):
    con, fact = both["con"], _rows(both["con"], both["duckdb"], FACT)
    split, foreign = con.execute(
        "SELECT count(*) FILTER (WHERE len(list_filter(pagamentos, "
        "lambda p: p.valor_parcela_brl <> p.valor_pago_brl)) > 0), "
        "count(*) FILTER (WHERE moeda_negociacao <> 'BRL' AND taxa_ptax IS NOT NULL) "
        f"FROM {fact}"
    ).fetchone()
    assert split > 0  # installments derived from a repeated order total
    assert foreign > 0  # items converted at a PTAX found on or before the order date
    assert 0 < both["reloaded"] < both["items"]  # both loads feed the latest rows
    loans = con.execute(
        f"SELECT sum(qtd_parcelas_emprestimos) FROM {_rows(con, both['duckdb'], CASH)}"
    ).fetchone()[0]
    assert loans > 0


@pytest.mark.parametrize("table", [FACT, CASH, FX])
def test_every_row_is_equal(both, table):
    con = both["con"]
    doubles = DOUBLES.get(table, ())
    exact = f"* EXCLUDE ({', '.join(doubles)})" if doubles else "*"
    spark_rows = _rows(con, both["spark"], table, exact)
    duck_rows = _rows(con, both["duckdb"], table, exact)
    only_spark = con.execute(f"SELECT count(*) FROM ({spark_rows} EXCEPT ALL {duck_rows})")
    assert only_spark.fetchone()[0] == 0
    only_duck = con.execute(f"SELECT count(*) FROM ({duck_rows} EXCEPT ALL {spark_rows})")
    assert only_duck.fetchone()[0] == 0
    if not doubles:
        return
    keys = ", ".join(KEYS[table])
    pairs = con.execute(
        f"SELECT {', '.join(f's.{c}, d.{c}' for c in doubles)} FROM "
        f"{_rows(con, both['spark'], table)} s JOIN {_rows(con, both['duckdb'], table)} d "
        f"USING ({keys})"
    ).fetchall()
    assert len(pairs) == con.execute(f"SELECT count(*) FROM {duck_rows}").fetchone()[0]
    for row in pairs:
        for spark_value, duck_value in zip(row[::2], row[1::2], strict=True):
            assert (spark_value is None) == (duck_value is None)
            if spark_value is not None:
                assert math.isclose(spark_value, duck_value, rel_tol=1e-9, abs_tol=1e-9)


def test_duckdb_short_of_the_drivers_memory_runs_again_with_its_own_default(
    both, tmp_path, monkeypatch
):
    monkeypatch.setenv("LAKEHOUSE_SPARK_DRIVER_MEMORY", "1m")
    result = tmp_path / "result.json"
    args = ["--bronze-root", both["root"], "--out", str(tmp_path / "out"), "--result", str(result)]
    assert duckdb_child.main(args) == 0
    report = json.loads(result.read_text())
    assert report["failed_limit"] == "1MB"
    assert report["memory_limit"] == "DuckDB default (80% of RAM)"
    assert set(report["phases"]) == {"silver", "gold"}
    assert not (tmp_path / "out" / "duckdb_spill").exists()
