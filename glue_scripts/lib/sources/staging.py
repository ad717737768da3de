"""The staged Parquet every source kind writes: STRING columns plus `_record`, in parts.

Batches are written as they arrive (one row group each), so no source is ever held whole
in memory; on S3 each part is written to a local temporary file first and then uploaded.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from urllib.parse import urlparse

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from glue_scripts.lib.fs import join, local_path
from glue_scripts.lib.sources import RECORD_COLUMN, SourceError

ROWS_PER_FILE = 1_000_000


def staged_names(source_columns: Sequence[str], where: str) -> list[str]:
    """The staged (lower-cased) names of a source's columns; refused when two collide."""
    names = [name.lower() for name in source_columns]
    clashes = sorted({n for n in names if names.count(n) > 1 or n == RECORD_COLUMN})
    if clashes:
        raise SourceError(
            f"{where}: the columns {clashes} collide once lower-cased (or with "
            f"{RECORD_COLUMN!r}, which the staging adds); rename them in the source"
        )
    return names


class StagingWriter:
    """Writes part-NNNNN.parquet files of STRING columns into a staging folder."""

    def __init__(self, staging_uri: str, names: Sequence[str], rows_per_file: int = ROWS_PER_FILE):
        if not staging_uri.startswith(("file://", "s3://")):
            raise SourceError(f"unsupported staging URI {staging_uri!r}: use file:// or s3://")
        self.staging_uri = staging_uri.rstrip("/")
        self.schema = pa.schema([pa.field(n, pa.string()) for n in [*names, RECORD_COLUMN]])
        self.rows_per_file = rows_per_file
        self.files: list[str] = []
        self.rows = 0
        self._writer: pq.ParquetWriter | None = None
        self._local: str | None = None
        self._rows_in_file = 0

    def write(self, batch: pa.RecordBatch | pa.Table) -> None:
        """Append one batch (columns in the writer's order, any string-like type)."""
        if batch.num_rows == 0:
            return
        arrays = [pc.cast(batch.column(i), pa.string()) for i in range(batch.num_columns)]
        table = pa.Table.from_arrays(arrays, schema=self.schema)
        if self._writer is None:
            self._open()
        self._writer.write_table(table, row_group_size=table.num_rows)
        self.rows += table.num_rows
        self._rows_in_file += table.num_rows
        if self._rows_in_file >= self.rows_per_file:
            self._finish_file()

    def close(self) -> list[str]:
        """Finish the last part; the staged URIs."""
        if self._writer is not None:
            self._finish_file()
        return list(self.files)

    def abort(self) -> None:
        """Drop the part being written (after a failure); finished parts stay listed."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._local and self.staging_uri.startswith("s3://"):
            os.unlink(self._local)
        self._local = None

    def _open(self) -> None:
        uri = join(self.staging_uri, f"part-{len(self.files):05d}.parquet")
        if uri.startswith("file://"):
            path = local_path(uri)
            path.parent.mkdir(parents=True, exist_ok=True)
            self._local = str(path)
        else:
            handle, self._local = tempfile.mkstemp(suffix=".parquet", prefix="staged-")
            os.close(handle)
        self._writer = pq.ParquetWriter(self._local, self.schema)
        self._uri = uri
        self._rows_in_file = 0

    def _finish_file(self) -> None:
        self._writer.close()
        self._writer = None
        if self._uri.startswith("s3://"):
            try:
                _upload(self._local, self._uri)
            finally:
                os.unlink(self._local)
        self.files.append(self._uri)
        self._local = None


def _upload(path: str, uri: str) -> None:
    import boto3  # on Glue, and locally against the local AWS endpoint (AWS_ENDPOINT_URL)

    parsed = urlparse(uri)
    boto3.client("s3").upload_file(path, parsed.netloc, parsed.path.lstrip("/"))


def text_column(array: pa.Array | pa.ChunkedArray, where: str) -> pa.Array:
    """A typed Arrow column as the staged text (see the package docstring)."""
    kind = array.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return pc.cast(array, pa.string())
    if pa.types.is_timestamp(kind):
        naive = pc.cast(array, pa.timestamp(kind.unit))  # tz-aware values are UTC instants
        text = (
            pc.strftime(naive, "%Y-%m-%d %H:%M:%S")
            if kind.unit == "s"
            else pc.cast(naive, pa.string())
        )
        return _trim_fraction(text)
    if pa.types.is_time(kind):
        return _trim_fraction(pc.cast(array, pa.string()))
    if (
        pa.types.is_integer(kind)
        or pa.types.is_floating(kind)
        or pa.types.is_decimal(kind)
        or pa.types.is_boolean(kind)
        or pa.types.is_date(kind)
        or pa.types.is_null(kind)
    ):
        return pc.cast(array, pa.string())
    raise SourceError(
        f"{where}: a column of type {kind} cannot be staged as text; export it as a string, "
        "number, boolean, date or timestamp"
    )


def _trim_fraction(text):
    """`12:00:00.120000` -> `12:00:00.12`, `12:00:00.000000` -> `12:00:00`."""
    trimmed = pc.replace_substring_regex(text, r"(\.\d*?)0+$", r"\1")
    return pc.replace_substring_regex(trimmed, r"\.$", "")


def record_json(row: dict) -> str:
    """One record as JSON text, values kept exact (decimals and dates as their text)."""
    return json.dumps(row, ensure_ascii=False, default=_json_default, allow_nan=True)


def _json_default(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return str(value)
