"""Runs translated statements on PostgreSQL through ADBC; COPY reads Parquet from S3."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from lakehouse_assets.redshift_standin.translate import CopyCommand, translate

STAGING = "lakehouse_standin_copy"


class StatementError(RuntimeError):
    """A statement failed; the message is what Redshift's `Error` would say."""


@dataclass
class Outcome:
    rows: int = -1
    result: pa.Table | None = None
    columns: list[tuple[str, str]] = field(default_factory=list)  # (name, PostgreSQL type)


def connect(uri: str) -> Any:
    import adbc_driver_postgresql.dbapi as pg

    connection = pg.connect(uri)
    with connection.cursor() as cursor:
        # Redshift's clock is UTC; TIMESTAMP WITH TIME ZONE values convert as there.
        cursor.execute("SET TIME ZONE 'UTC'")
    connection.commit()
    return connection


class Engine:
    """Args: s3: returns a boto3 S3 client of the endpoint (for COPY)."""

    def __init__(self, s3: Callable[[], Any]):
        self._s3 = s3

    def run(self, connection: Any, text: str) -> Outcome:
        statement = translate(text)
        with connection.cursor() as cursor:
            try:
                if isinstance(statement, CopyCommand):
                    return Outcome(rows=self._copy(cursor, statement))
                cursor.execute(statement)
                if not cursor.description:
                    return Outcome(rows=max(cursor.rowcount, -1))
                table = cursor.fetch_arrow_table()
                return Outcome(rows=table.num_rows, result=table, columns=_types(cursor))
            except StatementError:
                raise
            except Exception as err:
                raise StatementError(_message(err)) from None

    def _copy(self, cursor: Any, copy: CopyCommand) -> int:
        cursor.execute(f"SELECT * FROM {copy.table} WHERE false")
        target = [d[0] for d in cursor.description]
        cursor.fetch_arrow_table()
        loaded = 0
        for uri in self._files(copy):
            data = self._read(uri)
            if data.num_columns != len(target):
                raise StatementError(
                    f"COPY of {uri}: the file has {data.num_columns} columns and table "
                    f"{copy.table} has {len(target)}; COPY from Parquet matches columns by "
                    "position and needs the same number"
                )
            # By position, as Redshift: the file's columns take the table's names, and
            # PostgreSQL's assignment casts convert them on insert.
            data = data.rename_columns(target)
            cursor.adbc_ingest(STAGING, data, mode="replace", temporary=True)
            cursor.execute(f"INSERT INTO {copy.table} SELECT * FROM {STAGING}")
            cursor.execute(f"DROP TABLE {STAGING}")
            loaded += data.num_rows
        return loaded

    def _files(self, copy: CopyCommand) -> list[str]:
        s3 = self._s3()
        bucket, key = _split(copy.source)
        if copy.manifest:
            try:
                body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            except Exception as err:
                raise StatementError(
                    f"COPY: cannot read the manifest {copy.source}: {err}"
                ) from None
            entries = json.loads(body)["entries"]
            return [e["url"] for e in entries]
        uris = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key):
            uris += [f"s3://{bucket}/{o['Key']}" for o in page.get("Contents", [])]
        if not uris:
            raise StatementError(f"COPY: the specified S3 prefix '{copy.source}' does not exist")
        return uris

    def _read(self, uri: str) -> pa.Table:
        bucket, key = _split(uri)
        try:
            body = self._s3().get_object(Bucket=bucket, Key=key)["Body"].read()
            return pq.read_table(io.BytesIO(body))
        except Exception as err:
            raise StatementError(f"COPY: {uri} is not a readable Parquet file: {err}") from None


def _split(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def _types(cursor: Any) -> list[tuple[str, str]]:
    return [(d[0], _pg_type(d[1])) for d in cursor.description]


def _pg_type(kind: Any) -> str:
    text = str(kind)
    for arrow, pg in (
        ("int16", "int2"),
        ("int32", "int4"),
        ("int64", "int8"),
        ("float", "float4"),
        ("double", "float8"),
        ("bool", "bool"),
        ("date32", "date"),
        ("timestamp", "timestamp"),
        ("numeric", "numeric"),
        ("binary", "varbyte"),
    ):
        if arrow in text:
            return pg
    return "varchar"


def _message(err: Exception) -> str:
    text = str(err).strip()
    # ADBC wraps libpq's message: keep PostgreSQL's own words.
    if "ERROR:" in text:
        text = "ERROR:" + text.split("ERROR:", 1)[1]
    return " ".join(text.replace(". SQLSTATE:", " SQLSTATE:").split())
