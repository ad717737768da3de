"""The Redshift Data API stand-in over real HTTP, running on this test's PostgreSQL."""

from __future__ import annotations

import time

import boto3
import pyarrow as pa
import pytest
from botocore.exceptions import ClientError

from tests.warehouse.conftest import BUCKET, COPY_ROLE, fetch, parquet_bytes, put

WHERE = {"WorkgroupName": "bix-workgroup", "Database": "bix_db"}


def wait(client, statement_id: str) -> dict:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        description = client.describe_statement(Id=statement_id)
        if description["Status"] in ("FINISHED", "FAILED", "ABORTED"):
            return description
        time.sleep(0.02)
    raise AssertionError(f"statement {statement_id} did not finish")


@pytest.fixture
def data_api(aws_env):
    return boto3.client("redshift-data")


def test_a_batch_runs_as_one_transaction_with_redshift_syntax(data_api, warehouse_uri):
    started = data_api.batch_execute_statement(
        Sqls=[
            "CREATE SCHEMA IF NOT EXISTS silver",
            "CREATE TABLE IF NOT EXISTS silver.categoria (id BIGINT NOT NULL PRIMARY KEY, "
            "nome_categoria VARCHAR(65535) ENCODE zstd) DISTSTYLE ALL SORTKEY(id)",
            "INSERT INTO silver.categoria VALUES (1, 'Babywear'), (2, 'Womens wear')",
            "SELECT id, nome_categoria, 1.5::float8 AS peso, DATE '2020-01-02' AS dia, "
            "NULL::int AS nada, true AS ok FROM silver.categoria ORDER BY id",
        ],
        **WHERE,
    )

    description = wait(data_api, started["Id"])

    assert description["Status"] == "FINISHED"
    assert [s["Status"] for s in description["SubStatements"]] == ["FINISHED"] * 4
    assert [s["Id"] for s in description["SubStatements"]] == [
        f"{started['Id']}:{i}" for i in range(1, 5)
    ]
    result = data_api.get_statement_result(Id=f"{started['Id']}:4")
    assert result["TotalNumRows"] == 2
    assert [c["name"] for c in result["ColumnMetadata"]] == [
        "id",
        "nome_categoria",
        "peso",
        "dia",
        "nada",
        "ok",
    ]
    assert [c["typeName"] for c in result["ColumnMetadata"]] == [
        "int8",
        "varchar",
        "float8",
        "date",
        "int4",
        "bool",
    ]
    assert result["Records"][0] == [
        {"longValue": 1},
        {"stringValue": "Babywear"},
        {"doubleValue": 1.5},
        {"stringValue": "2020-01-02"},
        {"isNull": True},
        {"booleanValue": True},
    ]
    assert fetch(warehouse_uri, "SELECT * FROM silver.categoria ORDER BY id") == [
        (1, "Babywear"),
        (2, "Womens wear"),
    ]


def test_a_failing_statement_rolls_the_whole_batch_back(data_api, warehouse_uri):
    wait(
        data_api, data_api.execute_statement(Sql="CREATE TABLE t (id INT NOT NULL)", **WHERE)["Id"]
    )
    started = data_api.batch_execute_statement(
        Sqls=[
            "INSERT INTO t VALUES (1)",
            "INSERT INTO t VALUES (NULL)",
            "INSERT INTO t VALUES (3)",
        ],
        **WHERE,
    )

    description = wait(data_api, started["Id"])

    assert description["Status"] == "FAILED"
    assert [s["Status"] for s in description["SubStatements"]] == ["FINISHED", "FAILED", "ABORTED"]
    failing = description["SubStatements"][1]
    assert failing["Error"].startswith('ERROR: null value in column "id" of relation "t"')
    assert description["Error"] == failing["Error"]
    assert fetch(warehouse_uri, "SELECT count(*) FROM t") == [(0,)]


def test_copy_reads_parquet_from_s3_by_position(data_api, warehouse_uri):
    data = pa.table({"a": pa.array([7, 8], pa.int64()), "b": ["x", None]})
    put(f"s3://{BUCKET}/in/part-0.parquet", parquet_bytes(data))
    put(f"s3://{BUCKET}/in/part-1.parquet", parquet_bytes(data.slice(0, 1)))
    started = data_api.batch_execute_statement(
        Sqls=[
            "CREATE TABLE c (id BIGINT, nome VARCHAR(65535))",
            f"COPY c FROM 's3://{BUCKET}/in/' IAM_ROLE '{COPY_ROLE}' FORMAT AS PARQUET",
        ],
        **WHERE,
    )

    assert wait(data_api, started["Id"])["Status"] == "FINISHED"
    assert fetch(warehouse_uri, "SELECT id, nome FROM c ORDER BY id, nome") == [
        (7, "x"),
        (7, "x"),
        (8, None),
    ]


def test_copy_fails_like_redshift_when_the_column_count_differs(data_api, warehouse_uri):
    put(f"s3://{BUCKET}/two/part-0.parquet", parquet_bytes(pa.table({"a": [1], "b": [2]})))
    started = data_api.batch_execute_statement(
        Sqls=[
            "CREATE TABLE three (a INT, b INT, c INT)",
            f"COPY three FROM 's3://{BUCKET}/two/' IAM_ROLE '{COPY_ROLE}' FORMAT AS PARQUET",
        ],
        **WHERE,
    )

    description = wait(data_api, started["Id"])

    assert description["Status"] == "FAILED"
    assert description["SubStatements"][1]["Error"] == (
        f"COPY of s3://{BUCKET}/two/part-0.parquet: the file has 2 columns and table three has "
        "3; COPY from Parquet matches columns by position and needs the same number"
    )
    assert fetch(warehouse_uri, "SELECT to_regclass('three')") == [(None,)]


def test_external_schemas_are_refused_with_the_reason(data_api):
    started = data_api.execute_statement(
        Sql="CREATE EXTERNAL SCHEMA IF NOT EXISTS bix_silver_spectrum FROM DATA CATALOG "
        f"DATABASE 'bix_silver' IAM_ROLE '{COPY_ROLE}'",
        **WHERE,
    )

    description = wait(data_api, started["Id"])

    assert description["Status"] == "FAILED"
    assert "exist only on Redshift" in description["Error"]


def test_unknown_statements_and_oversized_batches_are_refused(data_api):
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        data_api.describe_statement(Id="4e0a6f5c-0000-0000-0000-000000000000")
    with pytest.raises(ClientError, match="Sqls must hold 1 to 40 statements"):
        data_api.batch_execute_statement(Sqls=["SELECT 1"] * 41, **WHERE)
