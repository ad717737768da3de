"""The warehouse asset in Dagster: materialized in process, in a partitioned domain job."""

from __future__ import annotations

from urllib.parse import urlsplit

from dagster import (
    AssetKey,
    AssetSelection,
    DailyPartitionsDefinition,
    Definitions,
    asset,
    define_asset_job,
    materialize,
)

from glue_scripts.lib.sources.connections import redact
from lakehouse_assets.warehouse.assets import (
    RECONCILIATION_CHECK,
    build_warehouse_asset,
    warehouse_asset_key,
)
from lakehouse_assets.warehouse.resource import Warehouse
from tests.warehouse.conftest import PAGAMENTO, VENDA, VENDA_ROWS, fetch


def test_materializing_loads_the_table_and_reports_the_reconciliation(
    warehouse_uri, lake, commit_table, monkeypatch
):
    monkeypatch.setenv("LAKEHOUSE_WAREHOUSE_URI", warehouse_uri)
    commit_table(VENDA, VENDA_ROWS)
    warehouse_asset = build_warehouse_asset(VENDA)

    result = materialize(
        [warehouse_asset],
        resources={"warehouse": Warehouse(target="local", lakehouse_root=str(lake["root"]))},
    )

    assert result.success
    [event] = result.get_asset_materialization_events()
    assert event.asset_key == AssetKey(["bix", "warehouse", "silver", "venda"])
    metadata = {k: v.value for k, v in event.materialization.metadata.items()}
    assert metadata["dagster/row_count"] == 3
    assert metadata["lakehouse/warehouse_table"] == "bix_silver.venda"
    assert metadata["lakehouse/lake_table_version"] == 1
    assert metadata["lakehouse/data_files"] == 1
    assert metadata["lakehouse/lake_rows"] == 3
    assert metadata["lakehouse/warehouse_target"] == redact(warehouse_uri)
    password = urlsplit(warehouse_uri).password
    assert not password or password not in str(metadata)
    [check] = result.get_asset_check_evaluations()
    assert (check.check_name, check.passed) == (RECONCILIATION_CHECK, True)
    assert {k: v.value for k, v in check.metadata.items()} == {
        "warehouse_rows": 3,
        "lake_rows": 3,
        "lake_table_version": 1,
    }
    assert fetch(warehouse_uri, "SELECT count(*) FROM bix_silver.venda") == [(3,)]


def test_the_asset_follows_the_lake_table_in_its_group_with_its_schema():
    spec = build_warehouse_asset(PAGAMENTO, target="aws").specs_by_key[
        warehouse_asset_key(PAGAMENTO)
    ]

    assert spec.key == AssetKey(["bix", "warehouse", "bronze", "pagamentos"])
    assert [d.asset_key for d in spec.deps] == [AssetKey(["bix", "bronze", "pagamento"])]
    assert (spec.group_name, spec.owners, spec.kinds) == ("bix", ["team:vendas"], {"redshift"})
    assert spec.partitions_def is None
    columns = spec.metadata["dagster/column_schema"].columns
    assert [c.name for c in columns] == ["id_pagamento", "valor", "pago_em", "metodo", "anomesdia"]
    assert build_warehouse_asset(VENDA).specs_by_key[warehouse_asset_key(VENDA)].kinds == {
        "postgres"
    }


def test_a_partitioned_domain_job_runs_the_unpartitioned_warehouse_asset(
    warehouse_uri, lake, commit_table, monkeypatch
):
    monkeypatch.setenv("LAKEHOUSE_WAREHOUSE_URI", warehouse_uri)
    daily = DailyPartitionsDefinition(start_date="20240101", fmt="%Y%m%d", end_offset=1)

    @asset(key=["bix", "bronze", "pagamento"], group_name="bix", partitions_def=daily)
    def pagamento(context):
        rows = [
            {
                "id_pagamento": 1,
                "valor": "9.99",
                "pago_em": None,
                "metodo": "pix",
                "anomesdia": context.partition_key,
            }
        ]
        commit_table(PAGAMENTO, rows)

    job = define_asset_job("bix_daily", selection=AssetSelection.groups("bix"))
    defs = Definitions(
        assets=[pagamento, build_warehouse_asset(PAGAMENTO)],
        jobs=[job],
        resources={"warehouse": Warehouse(target="local", lakehouse_root=str(lake["root"]))},
    )

    result = defs.resolve_job_def("bix_daily").execute_in_process(partition_key="20240110")

    assert result.success
    keys = [e.asset_key for e in result.get_asset_materialization_events()]
    assert keys == [AssetKey(["bix", "bronze", "pagamento"]), warehouse_asset_key(PAGAMENTO)]
    assert fetch(warehouse_uri, "SELECT id_pagamento, anomesdia FROM bix_bronze.pagamentos") == [
        (1, "20240110")
    ]
