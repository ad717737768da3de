"""Extractors of the bronze job: read a source named by a spec and stage it as Parquet.

Every kind stages the same format, so the bronze load types, quarantines, checks and commits
any source like a CSV file: one STRING column per source column (lower-cased, the value as
text: dates `yyyy-MM-dd`, timestamps `yyyy-MM-dd HH:mm:ss[.f]` in UTC, exact decimals,
`true`/`false`) plus `_record`, the whole record as JSON as the source sent it.

A new kind of source is a new module here with an `extract(request) -> Extracted`, named in
`KINDS`.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

RECORD_COLUMN = "_record"

# source kind (the spec's `extract.kind`) -> module of this package
KINDS = {
    "postgres": "postgres",
    "http_api": "http_api",
    "parquet_files": "parquet_files",
    "mongodb": "mongodb",
}


@dataclass(frozen=True)
class ExtractRequest:
    table: str  # database.table of the bronze table
    source: Mapping[str, Any]  # spec["extract"]
    columns: Sequence[Mapping[str, Any]]  # the spec's source columns (no ingestion columns)
    staging_uri: str  # folder (file://... or s3://...) to write part-NNNNN.parquet into
    root: str  # the lakehouse root URI (for the local endpoints file)
    landing: str  # the landing root URI (file sources)
    load_date: str  # yyyymmdd of this load
    args: Mapping[str, str]  # the job's arguments (e.g. connections_secret, full_refresh)
    watermark: str | None  # the committed watermark to start from (None: read everything)
    log: Any  # has .info/.warning


@dataclass(frozen=True)
class Extracted:
    files: list[str]  # staged Parquet URIs (empty when no rows)
    rows: int
    columns: list[str]  # the source's own column names, as it sent them (for drift)
    watermark: str | None  # max cursor value read, as text; see ExtractRequest.watermark
    source_uri: str  # the source's name for lineage, WITHOUT credentials


class SourceError(RuntimeError):
    """A source cannot be read; the message says what to do."""


def extract(request: ExtractRequest) -> Extracted:
    """Stage the rows of the request's source, with the module of its kind."""
    kind = request.source.get("kind")
    module = KINDS.get(kind)
    if module is None:
        raise SourceError(
            f"{request.table}: unknown source kind {kind!r}; the known kinds are "
            f"{sorted(KINDS)} (a new kind needs a module in glue_scripts/lib/sources/)"
        )
    return importlib.import_module(f"{__name__}.{module}").extract(request)
