"""BIX's silver and gold Glue jobs end to end, on real Spark, Parquet and the commit protocol
(run through a Pipes channel, without Dagster), over bronze tables committed as two loads of
the bronze job would leave them: a sale read again by the lookback with a corrected amount,
sales of an unknown employee and an unknown category, a renamed employee, an absurd amount."""

from __future__ import annotations

from pathlib import Path

import pytest

from glue_scripts.bix import gold_vendas_mensais, silver_vendas
from glue_scripts.lib.fs import normalize_root
from glue_scripts.lib.spark_io import write_snapshot
from glue_scripts.lib.tables import TableStore
from lakehouse_assets.domains.bix import specs
from lakehouse_assets.duckdb_iceberg import connect, scan
from tests.bix.bix_frames import categoria, funcionario, ingestion, venda
from tests.glue_scripts.pipes_harness import run_job

EMPLOYEES = [
    (1, "Rob Carsson"),
    (2, "Eli Preston"),
    (3, "Tom Lindwall"),
    (4, "Leif Shine"),
    (5, "Ingrid Hendrix"),
    (6, "Lennart Skoglund"),
    (7, "Rock Rollman"),
    (8, "Helen Brolin"),
    (9, "Joan Callins"),
]
CATEGORIES = [
    (1, "Babywear"),
    (2, "Womens wear"),
    (3, "Womens Footwear"),
    (4, "Sportwear"),
    (5, "Mens Clothes"),
    (6, "Bath Clothes"),
    (7, "Mens Footwear"),
    (8, "Childrens wear"),
]
# (id_venda, id_funcionario, id_categoria, data_venda, venda)
FIRST_LOAD = [
    (1, 1, 1, "2020-01-10", "100.00"),
    (2, 1, 1, "2020-01-11", "200.00"),
    (3, 2, 2, "2020-01-12", "300.00"),
    (4, 2, 2, "2020-01-13", "400.00"),
    (5, 1, 2, "2020-02-01", "500.00"),
    (6, 1, 1, "2020-02-02", "600.00"),
    (7, 2, 1, "2020-02-03", "700.00"),
    (8, 2, 2, "2020-02-04", "800.00"),
    (9, 9, 1, "2020-02-05", "900.00"),
    (10, 1, 1, "2020-03-01", "917025.00"),
    (11, 2, 2, "2020-03-02", "1000.00"),
    (12, 1, 1, "2020-03-03", "1200.00"),
]
# The lookback reads sale 11 again, corrected; sales 13 (employee 10) and 14 (category 9) are new.
SECOND_LOAD = [
    (11, 2, 2, "2020-03-02", "1100.00"),
    (12, 1, 1, "2020-03-03", "1200.00"),
    (13, 10, 1, "2020-03-04", "1300.00"),
    (14, 2, 9, "2020-03-05", "1400.00"),
]
SILVER = [specs.VENDA.qualified_name, specs.FUNCIONARIO.qualified_name]
SILVER.append(specs.CATEGORIA.qualified_name)
GOLD = [t.qualified_name for t in specs.GOLD]


def _sales(spark, load: str, sales: list[tuple]):
    names = ("id_venda", "id_funcionario", "id_categoria", "data_venda", "venda")
    return venda(spark, *({**dict(zip(names, s, strict=True)), **ingestion(load)} for s in sales))


class Lake:
    def __init__(self, base: Path):
        self.root, self.landing, self.work = base / "lake", base / "landing", base / "pipes"
        self.root.mkdir()
        self.landing.mkdir()

    def store(self, table: str) -> TableStore:
        database, name = table.split(".")
        return TableStore(normalize_root(str(self.root)), database, name)

    def commit_load(self, spec, frame) -> None:
        """What the bronze job commits for one load of a source."""
        store = self.store(spec.qualified_name)
        written = write_snapshot(frame, store, spec.partition_by)
        store.commit(
            written.snapshot, spec.partition_by, written.rows_by_partition, replace_all=False
        )

    def run(self, job, tables):
        return run_job(job.main, tables, root=self.root, landing=self.landing, workdir=self.work)

    def query(self, table: str, sql: str) -> list[tuple]:
        con = connect()
        con.execute(f"CREATE VIEW t AS SELECT * FROM {scan(self.store(table).metadata_location())}")
        return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def lake(spark, tmp_path_factory):
    lake = Lake(tmp_path_factory.mktemp("bix_jobs"))
    lake.commit_load(specs.FUNCIONARIO_BRONZE, funcionario(spark, *EMPLOYEES, load="20240101"))
    renamed = [*EMPLOYEES[:8], (9, "Joan Callins-Berg")]
    lake.commit_load(specs.FUNCIONARIO_BRONZE, funcionario(spark, *renamed, load="20240102"))
    lake.commit_load(specs.CATEGORIA_BRONZE, categoria(spark, *CATEGORIES, load="20240101"))
    lake.commit_load(specs.VENDA_BRONZE, _sales(spark, "20240101", FIRST_LOAD))
    lake.commit_load(specs.VENDA_BRONZE, _sales(spark, "20240102", SECOND_LOAD))
    lake.silver = lake.run(silver_vendas, SILVER)
    lake.gold = lake.run(gold_vendas_mensais, GOLD)
    return lake


def test_silver_keeps_one_row_per_sale_with_names_and_flags(lake):
    assert lake.query(
        specs.VENDA.qualified_name,
        "SELECT id_venda, id_funcionario, id_categoria, CAST(data_venda AS VARCHAR), "
        "CAST(venda AS VARCHAR), nome_funcionario, nome_categoria, outlier, anomesdia "
        "FROM t ORDER BY id_venda",
    ) == [
        (1, 1, 1, "2020-01-10", "100.00", "Rob Carsson", "Babywear", False, "20240101"),
        (2, 1, 1, "2020-01-11", "200.00", "Rob Carsson", "Babywear", False, "20240101"),
        (3, 2, 2, "2020-01-12", "300.00", "Eli Preston", "Womens wear", False, "20240101"),
        (4, 2, 2, "2020-01-13", "400.00", "Eli Preston", "Womens wear", False, "20240101"),
        (5, 1, 2, "2020-02-01", "500.00", "Rob Carsson", "Womens wear", False, "20240101"),
        (6, 1, 1, "2020-02-02", "600.00", "Rob Carsson", "Babywear", False, "20240101"),
        (7, 2, 1, "2020-02-03", "700.00", "Eli Preston", "Babywear", False, "20240101"),
        (8, 2, 2, "2020-02-04", "800.00", "Eli Preston", "Womens wear", False, "20240101"),
        (9, 9, 1, "2020-02-05", "900.00", "Joan Callins-Berg", "Babywear", False, "20240101"),
        (10, 1, 1, "2020-03-01", "917025.00", "Rob Carsson", "Babywear", True, "20240101"),
        (11, 2, 2, "2020-03-02", "1100.00", "Eli Preston", "Womens wear", False, "20240102"),
        (12, 1, 1, "2020-03-03", "1200.00", "Rob Carsson", "Babywear", False, "20240102"),
        (13, 10, 1, "2020-03-04", "1300.00", None, "Babywear", False, "20240102"),
        (14, 2, 9, "2020-03-05", "1400.00", "Eli Preston", None, False, "20240102"),
    ]


def test_silver_reports_its_fences_and_the_unknown_references(lake):
    # 14 amounts: Q1 = 400 + 0.25 x 100 = 425, Q3 = 1100 + 0.75 x 100 = 1175, IQR 750.
    assert lake.silver.value("bix/silver/venda", "bix/outlier_fences") == {
        "sales": 14,
        "q1": 425.0,
        "q3": 1175.0,
        "lower": -1825.0,
        "upper": 3425.0,
    }
    checks = lake.silver.checks
    assert lake.silver.failed_checks() == {
        "bix/silver/venda:funcionario_existe",
        "bix/silver/venda:categoria_existe",
    }
    assert checks["bix/silver/venda:funcionario_existe"]["severity"] == "WARN"
    assert checks["bix/silver/venda:uma_linha_por_chave"]["passed"] is True
    assert lake.silver.value("bix/silver/venda", "dagster/row_count") == 14


def test_silver_dimensions_hold_the_latest_load_of_each_id(lake):
    assert lake.query(specs.FUNCIONARIO.qualified_name, "SELECT id, nome FROM t ORDER BY id") == [
        *EMPLOYEES[:8],
        (9, "Joan Callins-Berg"),
    ]
    assert (
        lake.query(specs.CATEGORIA.qualified_name, "SELECT id, nome_categoria FROM t ORDER BY id")
        == CATEGORIES
    )


def test_gold_by_employee_counts_the_outlier_apart(lake):
    assert lake.query(
        "bix_gold.vendas_mensais_por_funcionario",
        "SELECT CAST(mes_referencia AS VARCHAR), id_funcionario, nome_funcionario, vendas, "
        "CAST(valor_total AS VARCHAR), vendas_atipicas, CAST(valor_atipico AS VARCHAR) "
        "FROM t ORDER BY 1, 2",
    ) == [
        ("2020-01-01", 1, "Rob Carsson", 2, "300.00", 0, "0.00"),
        ("2020-01-01", 2, "Eli Preston", 2, "700.00", 0, "0.00"),
        ("2020-02-01", 1, "Rob Carsson", 2, "1100.00", 0, "0.00"),
        ("2020-02-01", 2, "Eli Preston", 2, "1500.00", 0, "0.00"),
        ("2020-02-01", 9, "Joan Callins-Berg", 1, "900.00", 0, "0.00"),
        ("2020-03-01", 1, "Rob Carsson", 1, "1200.00", 1, "917025.00"),
        ("2020-03-01", 2, "Eli Preston", 2, "2500.00", 0, "0.00"),
        ("2020-03-01", 10, None, 1, "1300.00", 0, "0.00"),
    ]


def test_gold_by_category_counts_the_outlier_apart(lake):
    assert lake.query(
        "bix_gold.vendas_mensais_por_categoria",
        "SELECT CAST(mes_referencia AS VARCHAR), id_categoria, nome_categoria, vendas, "
        "CAST(valor_total AS VARCHAR), vendas_atipicas, CAST(valor_atipico AS VARCHAR) "
        "FROM t ORDER BY 1, 2",
    ) == [
        ("2020-01-01", 1, "Babywear", 2, "300.00", 0, "0.00"),
        ("2020-01-01", 2, "Womens wear", 2, "700.00", 0, "0.00"),
        ("2020-02-01", 1, "Babywear", 3, "2200.00", 0, "0.00"),
        ("2020-02-01", 2, "Womens wear", 2, "1300.00", 0, "0.00"),
        ("2020-03-01", 1, "Babywear", 2, "2500.00", 1, "917025.00"),
        ("2020-03-01", 2, "Womens wear", 1, "1100.00", 0, "0.00"),
        ("2020-03-01", 9, None, 1, "1400.00", 0, "0.00"),
    ]
    assert lake.gold.failed_checks() == set()
    assert "bix/gold/vendas_mensais_por_categoria:reconcilia_com_silver" in lake.gold.checks


def test_a_run_of_one_dimension_reads_only_its_bronze_table(lake):
    before = lake.store(specs.VENDA.qualified_name).require_current().version

    reported = lake.run(silver_vendas, [specs.FUNCIONARIO.qualified_name])

    assert list(reported.materializations) == ["bix/silver/funcionario"]
    assert lake.store(specs.VENDA.qualified_name).require_current().version == before
