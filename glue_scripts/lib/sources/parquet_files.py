"""Parquet files in the landing (`<source>/anomesdia=D/*.parquet`, `<source>/*.parquet` or
`<source>.parquet`), read by batches and staged as text."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from urllib.parse import urlparse

import pyarrow as pa
import pyarrow.parquet as pq

from glue_scripts.lib.landing import find_source_files
from glue_scripts.lib.sources import RECORD_COLUMN, Extracted, ExtractRequest, SourceError
from glue_scripts.lib.sources.staging import (
    StagingWriter,
    record_json,
    staged_names,
    text_column,
)

BATCH_ROWS = 50_000


def extract(request: ExtractRequest) -> Extracted:
    database, source = request.table.split(".", 1)
    domain = database.removesuffix("_bronze")
    files = find_source_files(request.landing, source, request.load_date, domain, ".parquet")
    writer: StagingWriter | None = None
    names: list[str] | None = None
    try:
        for uri in files:
            with _opened(uri) as parquet:
                file_names = staged_names(parquet.schema_arrow.names, uri)
                if names is None:
                    names = file_names
                    writer = StagingWriter(request.staging_uri, names)
                elif file_names != names:
                    raise SourceError(
                        f"landing file {uri} has the columns {file_names}, the other files of "
                        f"source '{source}' have {names}; re-export them with one layout"
                    )
                for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
                    writer.write(_staged(batch, uri))
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    staged = writer.close()
    folder = files[0].rsplit("/", 1)[0]
    request.log.info(f"staged {writer.rows} rows of {len(files)} Parquet file(s) from {folder}")
    return Extracted(
        files=staged, rows=writer.rows, columns=names, watermark=None, source_uri=folder
    )


def _staged(batch: pa.RecordBatch, uri: str) -> pa.Table:
    texts = [text_column(batch.column(i), f"landing file {uri}") for i in range(batch.num_columns)]
    records = [record_json(row) for row in batch.to_pylist()]
    names = [*batch.schema.names, RECORD_COLUMN]
    return pa.Table.from_arrays([*texts, pa.array(records, pa.string())], names)


@contextmanager
def _opened(uri: str):
    """A `ParquetFile` of a landing URI (an S3 object is read from a local temporary copy)."""
    local = None
    try:
        if uri.startswith("s3://"):
            import boto3

            handle, local = tempfile.mkstemp(suffix=".parquet", prefix="landing-")
            os.close(handle)
            parsed = urlparse(uri)
            boto3.client("s3").download_file(parsed.netloc, parsed.path.lstrip("/"), local)
            path = local
        else:
            path = uri.removeprefix("file://")
        try:
            parquet = pq.ParquetFile(path)
        except (pa.ArrowInvalid, OSError) as err:
            raise SourceError(
                f"landing file {uri} is not a readable Parquet file ({err}); re-export it as "
                "Parquet or remove it from the landing, then load the day again"
            ) from None
        with parquet:
            yield parquet
    finally:
        if local:
            os.unlink(local)
