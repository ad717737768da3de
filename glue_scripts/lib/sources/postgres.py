"""A PostgreSQL table, streamed with ADBC (Arrow record batches) to the staged Parquet.

Every column is converted to text in SQL (`numeric` stays exact; timestamps are rendered in
UTC), `row_to_json` gives the raw record, and the typed cursor column is selected besides, so
the new watermark is the maximum of the rows actually staged, whatever the table did since.

The lower bound of an incremental read is written into the query as a literal rebuilt from
the parsed watermark (only digits and separators, so nothing can be injected): measured with
ADBC 1.13, a query with a bound parameter is read as one result (1M rows: one batch, 3x the
memory) instead of streamed, which a large source cannot afford.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from urllib.parse import urlsplit, urlunsplit

import pyarrow as pa
import pyarrow.compute as pc

from glue_scripts.lib.sources import RECORD_COLUMN, Extracted, ExtractRequest, SourceError
from glue_scripts.lib.sources.connections import redact, resolve, scrub, secrets_of
from glue_scripts.lib.sources.staging import StagingWriter, staged_names

CURSOR_COLUMN = "__lakehouse_cursor"
CONNECT_TIMEOUT_SECONDS = 15
DATE_TYPES = {"date"}
TIMESTAMP_TYPES = {"timestamp without time zone", "timestamp with time zone"}
INTEGER_TYPES = {"smallint", "integer", "bigint"}


def extract(request: ExtractRequest) -> Extracted:
    source = request.source
    setting = source["connection"]
    uri = resolve(
        setting,
        args=request.args,
        root=request.root,
        local_default=lambda endpoints: _local_uri(endpoints, source["database"]),
    )
    schema, table = source["table"].split(".", 1)
    conn = _connect(uri, setting)
    try:
        cursor = conn.cursor()
        try:
            for statement in ("SET TIME ZONE 'UTC'", "SET DateStyle = 'ISO, YMD'"):
                cursor.execute(statement)
            columns = _columns(cursor, schema, table, uri, setting)
            staged = staged_names([name for name, _ in columns], _where(uri, source["table"]))
            cursor_type = _cursor_type(source.get("cursor"), columns, uri, source["table"])
            full = (
                str(request.args.get("full_refresh", "")).lower() == "true"
                or request.watermark is None
            )
            query = _query(source, columns, cursor_type, None if full else request.watermark)
            request.log.info(f"reading {_where(uri, source['table'])}: {query}")
            writer = StagingWriter(request.staging_uri, staged)
            try:
                cursor.execute(query)
                newest = _stream(cursor.fetch_record_batch(), writer, int(source["batch_rows"]))
            except BaseException:
                writer.abort()
                raise
            files = writer.close()
        finally:
            cursor.close()
    except _driver_error() as err:
        raise SourceError(
            f"reading {_where(uri, source['table'])} failed: {_message(err, uri)}; check the "
            f"table and the setting {setting}"
        ) from None
    finally:
        conn.close()
    watermark = _watermark(cursor_type, newest, request.watermark)
    request.log.info(f"staged {writer.rows} rows; watermark {request.watermark} -> {watermark}")
    return Extracted(
        files=files,
        rows=writer.rows,
        columns=staged,
        watermark=watermark,
        source_uri=_lineage_uri(uri, source["table"]),
    )


def _local_uri(endpoints: dict, database: str) -> str | None:
    """The local services' server, on the spec's database instead of `postgres`."""
    server = endpoints.get("postgres_uri")
    if not server:
        return None
    parts = urlsplit(server)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, ""))


def _driver_error():
    import adbc_driver_manager

    return adbc_driver_manager.Error


def _connect(uri: str, setting: str):
    import adbc_driver_postgresql.dbapi  # on Glue through --additional-python-modules

    parts = urlsplit(uri)
    target = uri
    if "connect_timeout" not in parts.query:
        # libpq waits forever on an address that drops packets; a job must fail instead.
        timeout = f"connect_timeout={CONNECT_TIMEOUT_SECONDS}"
        query = f"{parts.query}&{timeout}" if parts.query else timeout
        target = urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
    try:
        return adbc_driver_postgresql.dbapi.connect(target)
    except _driver_error() as err:
        raise SourceError(_connect_problem(err, uri, setting)) from None


def _connect_problem(err: Exception, uri: str, setting: str) -> str:
    text = str(err)
    shown = redact(uri)
    user = urlsplit(uri).username or "(the default user)"
    if "password authentication failed" in text or "no password supplied" in text:
        return (
            f"PostgreSQL at {shown} refused the password for user {user}: fix the password "
            f"in the setting {setting} (environment, --connections_secret secret or local "
            "services)"
        )
    if "does not exist" in text and "database" in text:
        return (
            f"PostgreSQL at {shown} has no such database ({_message(err, uri)}): create it "
            f"(locally `lakehouse local-services --background` creates the sources' "
            f"databases) or fix the setting {setting}"
        )
    return (
        f"cannot reach PostgreSQL at {shown} ({_message(err, uri)}): start "
        f"`lakehouse local-services --background` or set {setting}"
    )


def _message(err: Exception, uri: str) -> str:
    """The driver's message, on one line and without any secret of the URI."""
    return " ".join(scrub(str(err), *secrets_of(uri)).split())


def _where(uri: str, table: str) -> str:
    return f"{table} at {redact(uri)}"


def _columns(cursor, schema: str, table: str, uri: str, setting: str) -> list[tuple[str, str]]:
    cursor.execute(
        "SELECT column_name::text, data_type::text FROM information_schema.columns "
        "WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position",
        (schema, table),
    )
    columns = [(name, kind) for name, kind in cursor.fetchall()]
    if not columns:
        raise SourceError(
            f"PostgreSQL at {redact(uri)} has no table {schema}.{table} (or this user may not "
            f"see it): check `table` in the spec, the database the setting {setting} names, "
            "and the user's privileges"
        )
    return columns


def _cursor_type(cursor: str | None, columns, uri: str, table: str) -> str | None:
    if cursor is None:
        return None
    types = dict(columns)
    if cursor not in types:
        raise SourceError(
            f"{_where(uri, table)} has no cursor column {cursor!r} (its columns: "
            f"{[name for name, _ in columns]}); fix `cursor` in the spec, or load with "
            "full_refresh=true after removing it"
        )
    kind = types[cursor]
    if kind not in DATE_TYPES | TIMESTAMP_TYPES | INTEGER_TYPES:
        raise SourceError(
            f"{_where(uri, table)}: the cursor {cursor!r} is of type {kind}; a cursor must be "
            "a date, a timestamp or an integer column"
        )
    return kind


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _query(source, columns, cursor_type: str | None, watermark: str | None) -> str:
    texts = []
    for name, kind in columns:
        value = _ident(name)
        if kind == "timestamp with time zone":
            value = f"({value} AT TIME ZONE 'UTC')"
        texts.append(f"{value}::text AS {_ident(name.lower())}")
    schema, table = source["table"].split(".", 1)
    select = [*texts, f"row_to_json(t)::text AS {RECORD_COLUMN}"]
    where = order = ""
    if cursor_type is not None:
        cursor = _ident(source["cursor"])
        select.append(f"t.{cursor} AS {CURSOR_COLUMN}")
        order = f" ORDER BY t.{cursor}"
        if watermark is not None:
            where = f" WHERE t.{cursor} >= {_lower_bound(cursor_type, watermark, source)}"
    return f"SELECT {', '.join(select)} FROM {_ident(schema)}.{_ident(table)} t{where}{order}"


def _lower_bound(cursor_type: str, watermark: str, source) -> str:
    """The watermark less the lookback, as SQL of the cursor's type."""
    lookback = int(source["lookback"])
    value = _parse(cursor_type, watermark, source)
    if cursor_type in DATE_TYPES:
        return f"(DATE '{value.isoformat()}' - {lookback})"
    if cursor_type in TIMESTAMP_TYPES:
        literal = value.isoformat(sep=" ")
        typed = (
            f"TIMESTAMPTZ '{literal}+00'"
            if cursor_type == "timestamp with time zone"
            else f"TIMESTAMP '{literal}'"
        )
        return f"({typed} - INTERVAL '{lookback} days')"
    return f"(CAST({value} AS bigint) - {lookback})"


def _parse(cursor_type: str, text: str, source):
    """The committed watermark as a Python value of the cursor's kind (UTC, naive)."""
    try:
        if cursor_type in DATE_TYPES:
            return date.fromisoformat(text)
        if cursor_type in TIMESTAMP_TYPES:
            value = datetime.fromisoformat(text)
            if value.tzinfo is not None:
                value = value.astimezone(UTC).replace(tzinfo=None)
            return value
        return int(text)
    except ValueError:
        raise SourceError(
            f"the committed watermark {text!r} of {source['table']} is not a {cursor_type} "
            f"(the cursor {source['cursor']!r}); load once with full_refresh=true"
        ) from None


def _stream(reader: pa.RecordBatchReader, writer: StagingWriter, batch_rows: int):
    """Write every batch (sliced to `batch_rows`); the greatest cursor value staged."""
    newest = None
    has_cursor = CURSOR_COLUMN in reader.schema.names
    for batch in reader:
        if has_cursor:
            top = pc.max(batch.column(CURSOR_COLUMN)).as_py()
            if top is not None and (newest is None or _key(top) > _key(newest)):
                newest = top
            batch = batch.drop_columns([CURSOR_COLUMN])
        for start in range(0, batch.num_rows, batch_rows):
            writer.write(batch.slice(start, batch_rows))
    return newest


def _key(value):
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _watermark(cursor_type, newest, previous: str | None) -> str | None:
    """The greatest cursor value staged, as text (UTC for timestamps); the previous watermark
    when nothing was read. It may be older than the previous one (the newest rows left the
    source): the load decides what to commit."""
    if cursor_type is None:
        return None
    if newest is None:
        return previous
    newest = _key(newest)
    if isinstance(newest, datetime):
        text = newest.strftime("%Y-%m-%d %H:%M:%S")
        return text + (f".{newest.microsecond:06d}".rstrip("0") if newest.microsecond else "")
    if isinstance(newest, date):
        return newest.isoformat()
    return str(newest)


def _lineage_uri(uri: str, table: str) -> str:
    parts = urlsplit(uri)
    database = parts.path.lstrip("/") or "postgres"
    host = parts.hostname or "localhost"
    return f"postgres://{host}:{parts.port or 5432}/{database}/{table}"
