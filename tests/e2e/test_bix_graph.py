"""The BIX graph through Dagster, the warm runner and the local services: sales from a real
PostgreSQL, employees from the API stand-in over HTTP, categories from a Parquet file, two
incremental loads and a re-run, then the warehouse read back from PostgreSQL."""

from __future__ import annotations

import uuid

import adbc_driver_postgresql.dbapi as pg
import pytest
from dagster import AssetKey, instance_for_test, materialize

from glue_scripts.lib.tables import TableStore
from lakehouse_assets.domains.bix import generator
from lakehouse_assets.factory import build_all_assets
from lakehouse_assets.local_services.endpoints import database_uri
from lakehouse_assets.registry import registry
from lakehouse_assets.warehouse.assets import build_warehouse_assets
from lakehouse_assets.warehouse.resource import Warehouse
from tests.e2e.helpers import (
    assert_published_through_iceberg,
    checks,
    domain_keys,
    iceberg_query,
    materializations,
)

pytestmark = pytest.mark.e2e

# (id_venda, id_funcionario, id_categoria, data_venda, venda): quartiles of the amounts
# 350 and 850 (IQR 500), so 917025.00 alone is beyond Q3 + 3 IQR = 2350.
SALES = [
    (1, 1, 1, "2020-01-10", "100.00"),
    (2, 2, 2, "2020-01-15", "200.00"),
    (3, 1, 2, "2020-01-20", "300.00"),
    (4, 3, 3, "2020-01-25", "400.00"),
    (5, 2, 1, "2020-02-01", "500.00"),
    (6, 1, 1, "2020-02-03", "600.00"),
    (7, 3, 2, "2020-02-05", "700.00"),
    (8, 2, 3, "2020-02-07", "800.00"),
    (9, 1, 3, "2020-02-10", "900.00"),
    (10, 3, 1, "2020-02-12", "917025.00"),
    (11, 2, 2, "2020-02-18", "1000.00"),
]
NEW_SALES = [(12, 1, 1, "2020-02-20", "1200.00"), (13, 3, 3, "2020-02-21", "1300.00")]
EMPLOYEES = [
    "Rob Carsson",
    "Eli Preston",
    "Tom Lindwall",
    "Leif Shine",
    "Ingrid Hendrix",
    "Lennart Skoglund",
    "Rock Rollman",
    "Helen Brolin",
    "Joan Callins",
]


def execute(uri: str, *statements: str, autocommit: bool = False) -> None:
    with pg.connect(uri, autocommit=autocommit) as conn, conn.cursor() as cur:
        for statement in statements:
            cur.execute(statement)
        if not autocommit:
            conn.commit()


def query(uri: str, sql: str) -> list[tuple]:
    with pg.connect(uri) as conn, conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


def insert(uri: str, rows) -> None:
    values = ", ".join(f"({a}, {b}, {c}, DATE '{d}', {v})" for a, b, c, d, v in rows)
    execute(uri, f"INSERT INTO public.venda VALUES {values}")


@pytest.fixture
def bix(local_services, lake, monkeypatch):
    """A sales database and a warehouse of this test's own on the suite's PostgreSQL."""
    suffix = uuid.uuid4().hex[:8]
    source, warehouse = f"bix_e2e_{suffix}", f"bix_wh_{suffix}"
    execute(
        local_services["postgres_uri"],
        f"CREATE DATABASE {source}",
        f"CREATE DATABASE {warehouse}",
        autocommit=True,
    )
    source_uri = database_uri(local_services, source)
    execute(
        source_uri,
        "CREATE TABLE public.venda (id_venda int PRIMARY KEY, id_funcionario int, "
        "id_categoria int, data_venda date, venda numeric)",
    )
    insert(source_uri, SALES)
    generator.generate(lake["landing"], scale=generator.SAMPLE_SCALE, seed=1)
    monkeypatch.setenv("BIX_POSTGRES_URI", source_uri)
    monkeypatch.setenv("BIX_EMPLOYEE_API_URL", local_services["apis"]["bix_funcionarios"])
    monkeypatch.setenv("LAKEHOUSE_WAREHOUSE_URI", database_uri(local_services, warehouse))
    return {"source": source_uri, "warehouse": database_uri(local_services, warehouse)}


def run_bix(launcher, lake, instance, partition_key: str):
    reg = registry()
    warehouse_assets = build_warehouse_assets(reg, "local")
    lake_keys = [AssetKey(t.key_path) for t in reg.tables.values() if t.domain == "bix"]
    warehouse_keys = [k for a in warehouse_assets for k in a.keys]
    return materialize(
        [*build_all_assets(reg), *warehouse_assets],
        resources={
            "launcher": launcher,
            "warehouse": Warehouse(target="local", lakehouse_root=str(lake["root"])),
        },
        instance=instance,
        partition_key=partition_key,
        selection=[*lake_keys, *warehouse_keys],
        raise_on_error=False,
    )


EVERY_ROW = "SELECT * FROM t ORDER BY ALL"


def bronze_sales(lake) -> TableStore:
    return TableStore(str(lake["root"]), "bix_bronze", "venda")


def bronze_ids(lake, day: str) -> list[int]:
    sql = f"SELECT id_venda FROM t WHERE anomesdia = '{day}' ORDER BY 1"
    return [r[0] for r in iceberg_query(bronze_sales(lake).metadata_location(), sql)]


def test_sources_to_warehouse_with_incremental_loads_and_a_rerun(bix, launcher, lake):
    with instance_for_test() as instance:
        first = run_bix(launcher, lake, instance, "20240110")
        assert first.success
        lake_tables = set(domain_keys("bix"))
        assert set(assert_published_through_iceberg(lake["root"], first)) == lake_tables
        published = materializations(first)
        rows = {k: m.metadata["dagster/row_count"].value for k, m in published.items()}
        assert rows["bix/bronze/venda"] == 11
        assert rows["bix/bronze/funcionario"] == 9
        assert rows["bix/bronze/categoria"] == 8
        assert rows["bix/silver/venda"] == 11
        venda = published["bix/bronze/venda"].metadata
        assert venda["lakehouse/watermark"].value == "2020-02-18"
        assert venda["lakehouse/previous_watermark"].value == ""
        source = venda["lakehouse/source"].value
        assert source.startswith("postgres://127.0.0.1:") and source.endswith("/public.venda")
        assert "lakehouse:" not in source  # no user, no password
        failed = {k for k, e in checks(first).items() if not e.passed}
        assert failed == set()

        # The source changes: a sale corrected inside the look-back window, two new sales.
        execute(bix["source"], "UPDATE public.venda SET venda = 1100.00 WHERE id_venda = 11")
        insert(bix["source"], NEW_SALES)
        second = run_bix(launcher, lake, instance, "20240111")
        assert second.success
        assert set(assert_published_through_iceberg(lake["root"], second)) == lake_tables
        metadata = materializations(second)["bix/bronze/venda"].metadata
        # From the committed watermark 2020-02-18 less 3 days: the corrected and new sales.
        assert bronze_ids(lake, "20240111") == [11, 12, 13]
        second_rows = iceberg_query(bronze_sales(lake).metadata_location(), EVERY_ROW)
        second_write = bronze_sales(lake).current().partitions["anomesdia=20240111"].snapshot
        assert metadata["lakehouse/previous_watermark"].value == "2020-02-18"
        assert metadata["lakehouse/watermark"].value == "2020-02-21"

        # A re-run of the day reads from where the day before left off: the same rows.
        again = run_bix(launcher, lake, instance, "20240111")
        assert again.success
        assert set(assert_published_through_iceberg(lake["root"], again)) == lake_tables
        assert bronze_ids(lake, "20240111") == [11, 12, 13]
        assert bronze_ids(lake, "20240110") == list(range(1, 12))
        # The re-run replaced the day's partition in a new Iceberg snapshot; time travel to the
        # one before reads exactly what the second load published.
        store = bronze_sales(lake)
        previous = int(metadata["lakehouse/iceberg_snapshot_id"].value)
        *_, earlier, latest = store.versions()
        assert earlier.snapshot_id == previous != latest.snapshot_id
        assert latest.partitions["anomesdia=20240111"].snapshot != second_write
        assert len(second_rows) == 14
        assert iceberg_query(store.metadata_location(), EVERY_ROW, previous) == second_rows
        counts = {
            k: m.metadata["dagster/row_count"].value for k, m in materializations(again).items()
        }
        assert counts["bix/silver/venda"] == 13

    wh = bix["warehouse"]
    assert query(wh, "SELECT id, nome FROM bix_silver.funcionario ORDER BY id") == [
        (i, name) for i, name in enumerate(EMPLOYEES, start=1)
    ]
    assert query(wh, "SELECT count(*) FROM bix_silver.categoria") == [(8,)]
    sales = query(wh, "SELECT id_venda, venda, outlier FROM bix_silver.venda ORDER BY id_venda")
    assert len(sales) == 13
    assert sales[10] == (11, "1100.00", False)  # the correction won (numeric comes as text)
    assert [s[0] for s in sales if s[2]] == [10]
    by_employee = query(
        wh,
        "SELECT CAST(mes_referencia AS text), id_funcionario, vendas, valor_total, "
        "vendas_atipicas, valor_atipico FROM bix_gold.vendas_mensais_por_funcionario "
        "ORDER BY 2, 1",
    )
    assert [tuple(str(v) for v in row) for row in by_employee] == [
        ("2020-01-01", "1", "2", "400.00", "0", "0.00"),
        ("2020-02-01", "1", "3", "2700.00", "0", "0.00"),
        ("2020-01-01", "2", "1", "200.00", "0", "0.00"),
        ("2020-02-01", "2", "3", "2400.00", "0", "0.00"),
        ("2020-01-01", "3", "1", "400.00", "0", "0.00"),
        ("2020-02-01", "3", "2", "2000.00", "1", "917025.00"),
    ]
    by_category = query(
        wh,
        "SELECT CAST(mes_referencia AS text), id_categoria, vendas, valor_total, "
        "vendas_atipicas, valor_atipico FROM bix_gold.vendas_mensais_por_categoria "
        "ORDER BY 2, 1",
    )
    assert [tuple(str(v) for v in row) for row in by_category] == [
        ("2020-01-01", "1", "1", "100.00", "0", "0.00"),
        ("2020-02-01", "1", "3", "2300.00", "1", "917025.00"),
        ("2020-01-01", "2", "2", "500.00", "0", "0.00"),
        ("2020-02-01", "2", "2", "1800.00", "0", "0.00"),
        ("2020-01-01", "3", "1", "400.00", "0", "0.00"),
        ("2020-02-01", "3", "3", "3000.00", "0", "0.00"),
    ]
