"""The aws target's loader: Redshift Data API calls to the stand-in, lake on the endpoint's S3."""

from __future__ import annotations

import datetime
import json

import boto3
import pytest
from dagster import materialize

from lakehouse_assets.warehouse.assets import build_warehouse_asset
from lakehouse_assets.warehouse.config import open_warehouse
from lakehouse_assets.warehouse.errors import WarehouseSchemaError, WarehouseStatementError
from lakehouse_assets.warehouse.lake import LakeSnapshot
from lakehouse_assets.warehouse.redshift import load_statements
from lakehouse_assets.warehouse.resource import Warehouse
from tests.warehouse.conftest import (
    BUCKET,
    PAGAMENTO,
    PREFIX,
    VENDA,
    VENDA_ROWS,
    arrow_rows,
    fetch,
    parquet_bytes,
    put,
)

ROOT = f"s3://{BUCKET}/{PREFIX}"
VENDA_TABLE = [
    (1, 3, 2, datetime.date(2017, 1, 5), 120.5),
    (2, 1, 8, datetime.date(2019, 7, 14), 917025.0),
    (3, 9, 1, None, None),
]


def load(spec):
    return open_warehouse("aws", ROOT).load(LakeSnapshot.current(ROOT, spec))


def pagamentos(days: int) -> list[dict]:
    return [
        {
            "id_pagamento": day,
            "valor": f"{day}.50",
            "pago_em": None,
            "metodo": "pix",
            "anomesdia": f"202401{day:02d}",
        }
        for day in range(1, days + 1)
    ]


def test_loads_an_unpartitioned_table_through_the_data_api(aws_env, warehouse_uri, commit_table):
    store = commit_table(VENDA, VENDA_ROWS, root=ROOT)

    result = load(VENDA)

    assert (result.table, result.rows_loaded, result.lake_rows, result.created) == (
        "bix_silver.venda",
        3,
        3,
        True,
    )
    assert result.target == "redshift workgroup bix-workgroup database bix_db"
    assert fetch(warehouse_uri, "SELECT * FROM bix_silver.venda ORDER BY 1") == VENDA_TABLE
    again = load(VENDA)
    assert (again.rows_loaded, again.created) == (3, False)
    assert fetch(warehouse_uri, "SELECT * FROM bix_silver.venda ORDER BY 1") == VENDA_TABLE
    s3 = boto3.client("s3")
    manifest = json.loads(
        s3.get_object(
            Bucket=BUCKET, Key=f"{PREFIX}/_warehouse/bix_silver/venda/v000000000001/00000.manifest"
        )["Body"].read()
    )
    # Exactly the version's file as Iceberg's plan names it (not Spark's `_SUCCESS` beside it).
    [uri] = store.data_uris(store.require_current())
    size = s3.head_object(Bucket=BUCKET, Key=uri.removeprefix(f"s3://{BUCKET}/"))["ContentLength"]
    assert manifest == {
        "entries": [{"url": uri, "mandatory": True, "meta": {"content_length": size}}]
    }


def test_the_statements_are_redshift_s(aws_env, commit_table):
    commit_table(VENDA, VENDA_ROWS, root=ROOT)
    snapshot = LakeSnapshot.current(ROOT, VENDA)

    prepare, final = load_statements(snapshot, ["s3://b/m.manifest"], "arn:role")

    assert prepare == []
    assert final == [
        'CREATE SCHEMA IF NOT EXISTS "bix_silver"',
        'CREATE TABLE IF NOT EXISTS "bix_silver"."venda" ("id_venda" INTEGER NOT NULL, '
        '"id_funcionario" INTEGER NOT NULL, "id_categoria" INTEGER NOT NULL, "data_venda" DATE, '
        '"venda" DOUBLE PRECISION, PRIMARY KEY ("id_venda")) DISTSTYLE KEY '
        'DISTKEY("id_funcionario") SORTKEY("id_categoria", "id_funcionario")',
        'DELETE FROM "bix_silver"."venda"',
        "COPY \"bix_silver\".\"venda\" FROM 's3://b/m.manifest' IAM_ROLE 'arn:role' "
        "FORMAT AS PARQUET MANIFEST",
        'SELECT COUNT(*) AS row_count FROM "bix_silver"."venda"',
    ]


def test_a_partitioned_table_with_more_partitions_than_one_batch_holds(
    aws_env, warehouse_uri, commit_table
):
    # 20 partitions: 2 + 3 x 20 + 5 statements, more than the 40 of one batch.
    commit_table(PAGAMENTO, pagamentos(20), root=ROOT)

    result = load(PAGAMENTO)

    assert (result.table, result.rows_loaded) == ("bix_bronze.pagamentos", 20)
    rows = fetch(
        warehouse_uri,
        "SELECT id_pagamento, valor::text, anomesdia FROM bix_bronze.pagamentos ORDER BY 1",
    )
    assert rows[0] == (1, "1.50", "20240101") and rows[-1] == (20, "20.50", "20240120")
    assert len(rows) == 20


def test_a_file_no_version_names_is_not_copied(aws_env, warehouse_uri, commit_table):
    store = commit_table(PAGAMENTO, pagamentos(2), root=ROOT)
    [day] = store.data_uris(store.current(), ["anomesdia=20240102"])
    # Beside the committed file, one no commit registered (a killed write's, or copied by hand).
    stray = arrow_rows(PAGAMENTO, [{**pagamentos(2)[1], "id_pagamento": 99}])
    put(day.replace("part-00000", "part-00001"), parquet_bytes(stray))

    result = load(PAGAMENTO)

    assert (result.rows_loaded, result.lake_rows) == (2, 2)
    assert fetch(
        warehouse_uri, "SELECT id_pagamento, anomesdia FROM bix_bronze.pagamentos ORDER BY 1"
    ) == [(1, "20240101"), (2, "20240102")]


def test_a_failing_copy_names_the_statement_and_keeps_the_previous_rows(
    aws_env, warehouse_uri, commit_table
):
    commit_table(PAGAMENTO, pagamentos(2), root=ROOT)
    load(PAGAMENTO)
    store = commit_table(PAGAMENTO, pagamentos(3), root=ROOT)
    [damaged] = store.data_uris(store.current(), ["anomesdia=20240103"])
    put(damaged, b"junk")

    with pytest.raises(WarehouseStatementError) as failure:
        load(PAGAMENTO)

    message = str(failure.value)
    assert "FAILED: COPY: s3://acme-lake/prod/bix_bronze/pagamento/snapshot=" in message
    assert "is not a readable Parquet file" in message
    assert "Statement: COPY lakehouse_stage FROM 's3://acme-lake/prod/_warehouse/" in message
    assert message.endswith(
        "The transaction was rolled back; the warehouse table keeps its previous rows"
    )
    assert fetch(warehouse_uri, "SELECT id_pagamento FROM bix_bronze.pagamentos ORDER BY 1") == [
        (1,),
        (2,),
    ]


def test_a_table_altered_by_hand_is_refused(aws_env, warehouse_uri, commit_table):
    commit_table(VENDA, VENDA_ROWS, root=ROOT)
    load(VENDA)
    open_warehouse("aws", ROOT).query('ALTER TABLE bix_silver.venda DROP COLUMN "data_venda"')

    with pytest.raises(WarehouseSchemaError, match=r"missing columns \['data_venda'\]"):
        load(VENDA)
    assert fetch(warehouse_uri, "SELECT count(*) FROM bix_silver.venda") == [(3,)]


def test_materializing_on_the_aws_target(aws_env, warehouse_uri, commit_table):
    commit_table(VENDA, VENDA_ROWS, root=ROOT)

    result = materialize(
        [build_warehouse_asset(VENDA, target="aws")],
        resources={"warehouse": Warehouse(target="aws", lakehouse_root=ROOT)},
    )

    assert result.success
    [event] = result.get_asset_materialization_events()
    metadata = {k: v.value for k, v in event.materialization.metadata.items()}
    assert metadata["lakehouse/warehouse_target"] == (
        "redshift workgroup bix-workgroup database bix_db"
    )
    assert metadata["dagster/row_count"] == 3
    [check] = result.get_asset_check_evaluations()
    assert check.passed
