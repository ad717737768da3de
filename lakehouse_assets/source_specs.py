"""Where a bronze table's rows come from: the source kinds a spec can name.

A bronze `TableSpec` names its source with `source` (a name unique across domains) and, for
anything but CSV files in the landing, `extract` (one of the classes below). The bronze Glue
job extracts the rows (`glue_scripts/lib/sources/<kind>.py`, the same code locally and on
Glue), stages them as Parquet and then types, quarantines, checks and commits them as it does
CSV files. A new kind of source is a new class here and a new module there.

Connection settings are never in a spec: a spec names the *setting* (`BIX_POSTGRES_URI`),
whose value comes from the environment, from Secrets Manager on AWS, or, locally, from the
endpoints of `lakehouse local-services` (docs/SOURCES.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

SETTING = re.compile(r"^[A-Z][A-Z0-9_]*$")
QUALIFIED = re.compile(r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$")


class SourceSpecError(ValueError):
    """A source spec is invalid; the message names the field."""


def _require(ok: bool, field_name: str, problem: str) -> None:
    if not ok:
        raise SourceSpecError(f"source field `{field_name}` {problem}")


@dataclass(frozen=True)
class ParquetFiles:
    """Parquet files in the landing, laid out like CSV exports (`<source>/anomesdia=D/`,
    `<source>/`, or `<source>.parquet`)."""

    kind = "parquet_files"

    def payload(self) -> dict[str, Any]:
        return {"kind": self.kind}


@dataclass(frozen=True)
class PostgresTable:
    """A PostgreSQL table, read with ADBC and streamed to Parquet in batches.

    `connection` is the setting holding the URI (`postgresql://user:password@host:port/db`);
    `database` is the database on the local service when the setting is unset. With `cursor`
    (a date, timestamp or integer column) a load reads the rows whose cursor is at or after
    the watermark committed with the previous load, less `lookback` (days for dates and
    timestamps, units for integers), so late changes inside that window are read again.
    """

    connection: str
    table: str
    database: str
    cursor: str | None = None
    lookback: int = 0
    batch_rows: int = 50_000

    kind = "postgres"

    def __post_init__(self) -> None:
        _require(bool(SETTING.match(self.connection)), "connection", "must be a setting NAME")
        _require(bool(QUALIFIED.match(self.table)), "table", "must be 'schema.table'")
        _require(self.lookback >= 0, "lookback", "must be 0 or more")
        _require(self.batch_rows > 0, "batch_rows", "must be positive")
        _require(self.cursor is not None or self.lookback == 0, "lookback", "needs a cursor")

    def payload(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "connection": self.connection,
            "table": self.table,
            "database": self.database,
            "cursor": self.cursor,
            "lookback": self.lookback,
            "batch_rows": self.batch_rows,
        }


@dataclass(frozen=True)
class HttpApi:
    """An HTTP API answering one record per id in plain text, walked id by id.

    `GET <base><path>?<id_param>=<n>` for n = first_id, first_id + 1, ... until the body is
    `end_text` (or a 404); each answer becomes a row {id_column: n, text_column: body}.
    `connection` is the setting holding the base URL; `standin` names the local stand-in
    whose URL is used when the setting is unset. Requests time out, are retried with
    backoff on connection errors, time-outs and 5xx (never on 4xx), and are spaced to at
    most `requests_per_second`.
    """

    connection: str
    standin: str
    path: str
    end_text: str
    id_column: str
    text_column: str
    id_param: str = "id"
    first_id: int = 1
    max_records: int = 100_000
    requests_per_second: float = 5.0
    timeout_seconds: float = 10.0
    retries: int = 4
    backoff_seconds: float = 0.5

    kind = "http_api"

    def __post_init__(self) -> None:
        _require(bool(SETTING.match(self.connection)), "connection", "must be a setting NAME")
        _require(self.path.startswith("/"), "path", "must start with '/'")
        _require(bool(self.end_text), "end_text", "is empty: the walk would never end")
        _require(self.requests_per_second > 0, "requests_per_second", "must be positive")
        _require(self.timeout_seconds > 0, "timeout_seconds", "must be positive")
        _require(self.retries >= 0, "retries", "must be 0 or more")

    def payload(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "connection": self.connection,
            "standin": self.standin,
            "path": self.path,
            "end_text": self.end_text,
            "id_column": self.id_column,
            "text_column": self.text_column,
            "id_param": self.id_param,
            "first_id": self.first_id,
            "max_records": self.max_records,
            "requests_per_second": self.requests_per_second,
            "timeout_seconds": self.timeout_seconds,
            "retries": self.retries,
            "backoff_seconds": self.backoff_seconds,
        }


@dataclass(frozen=True)
class MongoCollection:
    """A MongoDB collection, read with pymongo and streamed to Parquet in batches.

    `connection` is the setting holding the URI; `database` and `collection` are settings
    too (their values may differ per environment), with defaults. Each document becomes a
    row: its top-level fields as text (objects and lists as JSON), the whole document as
    JSON in `document_column`, and, with `day_column`, the UTC day of `cursor` (a unix
    seconds field), so bronze can be partitioned by the day the document was created. With
    `cursor` a load reads the documents whose cursor is at or after the committed watermark
    less `lookback` seconds.
    """

    connection: str
    database_setting: str
    database_default: str
    collection_setting: str
    collection_default: str
    document_column: str
    cursor: str | None = None
    lookback: int = 0
    day_column: str | None = None
    batch_rows: int = 5_000

    kind = "mongodb"

    def __post_init__(self) -> None:
        for name in ("connection", "database_setting", "collection_setting"):
            _require(bool(SETTING.match(getattr(self, name))), name, "must be a setting NAME")
        _require(self.lookback >= 0, "lookback", "must be 0 or more")
        _require(self.batch_rows > 0, "batch_rows", "must be positive")
        _require(self.cursor is not None or self.lookback == 0, "lookback", "needs a cursor")
        _require(self.cursor is not None or self.day_column is None, "day_column", "needs a cursor")

    def payload(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "connection": self.connection,
            "database_setting": self.database_setting,
            "database_default": self.database_default,
            "collection_setting": self.collection_setting,
            "collection_default": self.collection_default,
            "document_column": self.document_column,
            "cursor": self.cursor,
            "lookback": self.lookback,
            "day_column": self.day_column,
            "batch_rows": self.batch_rows,
        }


SourceSpec = ParquetFiles | PostgresTable | HttpApi | MongoCollection


def landing_extension(extract: SourceSpec | None) -> str | None:
    """The extension of a source's files in the landing (`.csv` without `extract`); None for
    a source read from a system (a database, an API)."""
    if extract is None:
        return ".csv"
    return ".parquet" if isinstance(extract, ParquetFiles) else None


def served_connection(extract: SourceSpec | None) -> str | None:
    """The connection setting of a source read from a system (the local services can stand
    in for it); None for files in the landing."""
    return None if landing_extension(extract) else extract.connection
