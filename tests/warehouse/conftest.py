"""A warehouse database of its own per test, lake tables committed with real Parquet, and a
local AWS endpoint whose Redshift Data API runs on that database."""

from __future__ import annotations

import datetime
import io
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from glue_scripts.lib.tables import TableStore, new_snapshot_id, partition_name
from lakehouse_assets.specs import Column, TableSpec
from lakehouse_assets.warehouse_specs import WarehouseTable

REGION = "eu-west-1"
BUCKET = "acme-lake"
PREFIX = "prod"
COPY_ROLE = "arn:aws:iam::123456789012:role/lakehouse-redshift-copy"

VENDA = TableSpec(
    domain="bix",
    layer="silver",
    name="venda",
    description="Sales, one row per sale, de-duplicated by id_venda.",
    owner="team:vendas",
    job="bix_silver",
    columns=(
        Column("id_venda", "int", "Sale id.", nullable=False),
        Column("id_funcionario", "int", "Employee who sold.", nullable=False),
        Column("id_categoria", "int", "Product category.", nullable=False),
        Column("data_venda", "date", "Day of the sale."),
        Column("venda", "double", "Sale amount."),
    ),
    business_tags=("sales",),
    primary_key=("id_venda",),
    upstream=(),
    warehouse=WarehouseTable(
        dist_style="KEY", dist_key="id_funcionario", sort_keys=("id_categoria", "id_funcionario")
    ),
)

# Partitioned by load date: the partition column lives only in the folder names.
PAGAMENTO = TableSpec(
    domain="bix",
    layer="bronze",
    name="pagamento",
    description="Payments as they landed, one partition per load.",
    owner="team:vendas",
    job="bix_bronze",
    source="pagamento",
    columns=(
        Column("id_pagamento", "bigint", "Payment id.", nullable=False),
        Column("valor", "decimal(12,2)", "Amount paid."),
        Column("pago_em", "timestamp", "When it was paid (UTC)."),
        Column("metodo", "string", "Payment method."),
        Column("anomesdia", "string", "Load date (yyyymmdd).", nullable=False),
    ),
    partition_by=("anomesdia",),
    primary_key=("id_pagamento", "anomesdia"),
    daily_partitions_start="2024-01-01",
    warehouse=WarehouseTable(name="pagamentos", dist_style="EVEN", sort_keys=("id_pagamento",)),
)

VENDA_ROWS = [
    {
        "id_venda": 1,
        "id_funcionario": 3,
        "id_categoria": 2,
        "data_venda": "2017-01-05",
        "venda": 120.5,
    },
    {
        "id_venda": 2,
        "id_funcionario": 1,
        "id_categoria": 8,
        "data_venda": "2019-07-14",
        "venda": 917025.0,
    },
    {"id_venda": 3, "id_funcionario": 9, "id_categoria": 1, "data_venda": None, "venda": None},
]


def arrow_rows(spec: TableSpec, rows: list[dict]) -> pa.Table:
    """Rows typed as Spark writes them (timestamps in UTC), without partition columns."""
    from lakehouse_assets.warehouse.lake import arrow_type

    fields, arrays = [], []
    for column in spec.columns:
        if column.name in spec.partition_by:
            continue
        kind = arrow_type(column)
        values = [r.get(column.name) for r in rows]
        if pa.types.is_date(kind):
            values = [None if v is None else datetime.date.fromisoformat(v) for v in values]
        if pa.types.is_timestamp(kind):
            kind = pa.timestamp("us", tz="UTC")
            values = [
                None if v is None else datetime.datetime.fromisoformat(v + "+00:00") for v in values
            ]
        if pa.types.is_decimal(kind):
            values = [None if v is None else Decimal(v) for v in values]
        fields.append(pa.field(column.name, kind))
        arrays.append(pa.array(values, kind))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def put(uri: str, body: bytes) -> None:
    """Write a file of the lake, local or on the endpoint's S3."""
    if uri.startswith("s3://"):
        import boto3

        bucket, _, key = uri.removeprefix("s3://").partition("/")
        boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=body)
        return
    path = Path(uri.removeprefix("file://"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)


def parquet_bytes(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


@pytest.fixture
def commit_table(lake) -> Callable:
    """Commit a new version of a lake table: real Parquet in the layout, then the commit."""

    def commit(spec: TableSpec, rows: list[dict], *, root: str | None = None) -> TableStore:
        store = TableStore(root or str(lake["root"]), spec.database, spec.name)
        snapshot = new_snapshot_id()
        base = store.snapshot_uri(snapshot)
        counts: dict[str, int] = {}
        groups: dict[tuple, list[dict]] = {}
        for row in rows:
            groups.setdefault(tuple(row[c] for c in spec.partition_by), []).append(row)
        for values, members in sorted(groups.items()):
            name = partition_name(spec.partition_by, values)
            put(
                f"{base}/{name}/part-00000.parquet".replace("//part", "/part"),
                parquet_bytes(arrow_rows(spec, members)),
            )
            counts[name] = len(members)
        # What Spark leaves beside the data: never to be loaded.
        put(f"{base}/_SUCCESS", b"")
        store.commit(snapshot, spec.partition_by, counts, replace_all=True)
        return store

    return commit


def _with_database(uri: str, database: str) -> str:
    parts = urlsplit(uri)
    return urlunsplit(parts._replace(path=f"/{database}"))


@pytest.fixture
def warehouse_uri(pg_uri) -> str:
    """A database of its own for each test, in the suite's PostgreSQL."""
    import adbc_driver_postgresql.dbapi as pg

    name = f"warehouse_{uuid.uuid4().hex[:12]}"
    with pg.connect(pg_uri, autocommit=True) as connection, connection.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name}")
    yield _with_database(pg_uri, name)
    with pg.connect(pg_uri, autocommit=True) as connection, connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def fetch(uri: str, text: str) -> list[tuple]:
    import adbc_driver_postgresql.dbapi as pg

    with pg.connect(uri) as connection, connection.cursor() as cursor:
        cursor.execute(text)
        return cursor.fetchall()


@pytest.fixture(scope="session")
def endpoint():
    """The local AWS endpoint (moto + the Glue stand-in + the Redshift Data API stand-in)."""
    from lakehouse_assets.glue_standin import StandinServer

    def no_jobs():
        raise AssertionError("the warehouse tests run no Glue job")

    server = StandinServer(runner_factory=no_jobs).start()
    yield server
    server.stop()


@pytest.fixture
def aws_env(endpoint, warehouse_uri, monkeypatch):
    """The aws target on the local endpoint, its Redshift played by this test's database."""
    import urllib.request

    urllib.request.urlopen(
        urllib.request.Request(f"{endpoint.url}/moto-api/reset", method="POST"), timeout=10
    ).close()
    endpoint.standin.redshift_data.warehouse_uri = warehouse_uri
    values = {
        "AWS_ENDPOINT_URL": endpoint.url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        "LAKEHOUSE_TARGET": "aws",
        "LAKEHOUSE_BUCKET": BUCKET,
        "LAKEHOUSE_PREFIX": PREFIX,
        "LAKEHOUSE_REDSHIFT_WORKGROUP": "bix-workgroup",
        "LAKEHOUSE_REDSHIFT_DATABASE": "bix_db",
        "LAKEHOUSE_REDSHIFT_COPY_ROLE_ARN": COPY_ROLE,
        "LAKEHOUSE_REDSHIFT_POLL_SECONDS": "0.05",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "LAKEHOUSE_ROOT", "LAKEHOUSE_WAREHOUSE_URI"):
        monkeypatch.delenv(name, raising=False)
    import boto3

    boto3.client("s3").create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    yield values
    endpoint.standin.redshift_data.warehouse_uri = None
