"""A MongoDB collection, streamed with pymongo to the staged Parquet.

Each document becomes a row: its top-level fields as text (objects and lists as JSON), the
whole document as JSON in the spec's `document_column` and in `_record`, and with
`day_column` the UTC day of the cursor. A collection has no fixed columns and the staged
parts must share one schema, so documents are first spilled to local Parquet parts of the
fields each batch has, then re-written to the staging folder with the union of the fields
(plus the spec's columns, so a field absent from every document read is NULL, not drift).

The cursor is a unix-seconds number. The new watermark is the greatest cursor value staged,
floored to whole seconds (the bronze column is a `bigint`; flooring never skips a document
on the next `$gte` read).
"""

from __future__ import annotations

import json
import math
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from glue_scripts.lib.sources import RECORD_COLUMN, Extracted, ExtractRequest, SourceError
from glue_scripts.lib.sources.connections import (
    SECRET_ARG,
    redact,
    resolve,
    scrub,
    secrets_of,
)
from glue_scripts.lib.sources.staging import StagingWriter, staged_names

DEFAULT_PORT = 27017
# Short, so a server that is down fails the job in seconds; a URI option overrides each.
TIMEOUTS_MS = {
    "serverSelectionTimeoutMS": 5_000,
    "connectTimeoutMS": 5_000,
    "socketTimeoutMS": 600_000,
}
AUTH_FAILED, UNAUTHORIZED = 18, 13
ID_FIELD = "_id"
LISTED_NAMES = 20


def extract(request: ExtractRequest) -> Extracted:
    source = request.source
    setting = source["connection"]
    uri = resolve(
        setting,
        args=request.args,
        root=request.root,
        local_default=lambda endpoints: endpoints.get("mongodb_uri"),
    )
    database = _setting(source["database_setting"], source["database_default"], request)
    collection = _setting(source["collection_setting"], source["collection_default"], request)
    where = f"{database}.{collection} at {redact(uri)}"
    cursor = source.get("cursor")
    full = str(request.args.get("full_refresh", "")).lower() == "true" or request.watermark is None
    query = _query(source, None if full else request.watermark, request.table)
    order = [(cursor, 1), (ID_FIELD, 1)] if cursor else [(ID_FIELD, 1)]
    batch_rows = int(source["batch_rows"])
    client = _client(uri, setting)
    spill = Path(tempfile.mkdtemp(prefix="lakehouse-mongodb-"))
    try:
        documents = _collection(client, database, collection, uri, source)
        request.log.info(f"reading {where}: find({query}) sorted by {order}")
        found = documents.find(query, sort=order, batch_size=batch_rows)
        fields, newest = _spill(found, spill, source, batch_rows, where)
        staged = _staged_columns(fields, request.columns, source, where)
        files, rows = _stage(spill, staged, request.staging_uri)
    except _driver_error() as err:
        raise SourceError(_problem(err, uri, setting, f"{database}.{collection}")) from None
    finally:
        client.close()
        shutil.rmtree(spill, ignore_errors=True)
    watermark = (str(newest) if newest is not None else request.watermark) if cursor else None
    request.log.info(f"staged {rows} documents; watermark {request.watermark} -> {watermark}")
    return Extracted(
        files=files,
        rows=rows,
        columns=staged,
        watermark=watermark,
        source_uri=lineage_uri(uri, database, collection),
    )


def _setting(name: str, default: str, request: ExtractRequest) -> str:
    """A setting's value (environment, then the connections secret), else the default."""
    return resolve(
        name, args=request.args, root=request.root, local_default=lambda _: None, default=default
    )


def _driver_error():
    import pymongo.errors

    return pymongo.errors.PyMongoError


def _client(uri: str, setting: str):
    import pymongo  # on Glue through --additional-python-modules
    from bson.codec_options import DatetimeConversion

    given = {key.lower() for key in _options(uri)}
    timeouts = {key: ms for key, ms in TIMEOUTS_MS.items() if key.lower() not in given}
    try:
        return pymongo.MongoClient(
            uri,
            appname="lakehouse-bronze",
            # A date outside Python's range must not fail the read: it stays milliseconds.
            datetime_conversion=DatetimeConversion.DATETIME_AUTO,
            **timeouts,
        )
    except (_driver_error(), ValueError, TypeError) as err:
        raise SourceError(
            f"the setting {setting} is not a usable MongoDB URI ({redact(uri)}): "
            f"{_message(err, uri)}; fix it (mongodb://user:password@host:port or "
            "mongodb+srv://user:password@cluster.example.net)"
        ) from None


def _options(uri: str) -> list[str]:
    query = uri.partition("?")[2]
    return [pair.partition("=")[0] for pair in query.split("&") if pair]


def _collection(client, database: str, collection: str, uri: str, source: Mapping[str, Any]):
    """The collection, refused with the names that exist when it does not (an empty one is
    fine). Listing is also the first round trip, so connection problems surface here."""
    names = client[database].list_collection_names()
    if collection not in names:
        try:
            databases = client.list_database_names()
        except _driver_error():  # a user may read a database without listing the others
            databases = None
        known = f"its collections: {_some(names)}" + (
            f"; databases: {_some(databases)}" if databases is not None else ""
        )
        raise SourceError(
            f"MongoDB at {redact(uri)} has no collection {collection!r} in database "
            f"{database!r} ({known}): check the settings {source['database_setting']} "
            f"(default {source['database_default']!r}) and {source['collection_setting']} "
            f"(default {source['collection_default']!r})"
        )
    return client[database][collection]


def _some(names: Iterable[str]) -> str:
    names = sorted(names)
    more = len(names) - LISTED_NAMES
    return str(names[:LISTED_NAMES]) + (f" and {more} more" if more > 0 else "")


def _query(source: Mapping[str, Any], watermark: str | None, table: str) -> dict:
    cursor = source.get("cursor")
    if cursor is None or watermark is None:
        return {}
    try:
        newest = int(watermark)
    except ValueError:
        raise SourceError(
            f"the committed watermark {watermark!r} of {table} is not a whole number of unix "
            f"seconds (the cursor {cursor!r}); load once with full_refresh=true"
        ) from None
    # MongoDB compares numbers with numbers only; `$type` makes the local stand-in (which
    # compares across types) read the same documents.
    return {cursor: {"$gte": newest - int(source["lookback"]), "$type": "number"}}


def _spill(documents, spill: Path, source, batch_rows: int, where: str):
    """Write the documents, `batch_rows` at a time, as local parts of their own fields; the
    fields seen (staged name -> field name, in order of appearance) and the newest cursor."""
    cursor, day_column = source.get("cursor"), source.get("day_column")
    reserved = {source["document_column"].lower(), RECORD_COLUMN}
    if day_column:
        reserved.add(day_column.lower())
    fields: dict[str, str] = {}
    newest: int | None = None
    batch: list[dict] = []
    parts = 0
    for document in documents:
        for name in document:
            staged = name.lower()
            if fields.get(staged, name) != name or staged in reserved:
                raise SourceError(
                    f"{where}: the field {name!r} collides with "
                    f"{fields.get(staged) or staged!r} once lower-cased, or with a column the "
                    f"staging adds ({sorted(reserved)}); rename it in the source, or "
                    "`document_column` / `day_column` in the spec"
                )
            fields.setdefault(staged, name)
        seconds = _seconds(document.get(cursor)) if cursor else None
        if seconds is not None and (newest is None or seconds > newest):
            newest = seconds
        batch.append(document)
        if len(batch) >= batch_rows:
            _write_part(spill / f"{parts:05d}.parquet", batch, source)
            parts, batch = parts + 1, []
    if batch:
        _write_part(spill / f"{parts:05d}.parquet", batch, source)
    return fields, newest


def _write_part(path: Path, documents: list[dict], source) -> None:
    cursor, day_column = source.get("cursor"), source.get("day_column")
    columns: dict[str, list[str | None]] = {}
    for row, document in enumerate(documents):
        for name, value in document.items():
            values = columns.setdefault(name.lower(), [None] * len(documents))
            values[row] = text(value)
    records = [document_json(document) for document in documents]
    columns[source["document_column"].lower()] = records
    if day_column:
        columns[day_column.lower()] = [_day(d.get(cursor)) for d in documents]
    columns[RECORD_COLUMN] = records
    table = pa.table({name: pa.array(values, pa.string()) for name, values in columns.items()})
    pq.write_table(table, path)


def _staged_columns(fields: dict[str, str], spec_columns, source, where: str) -> list[str]:
    """The spec's columns, then the fields the spec does not name, then the added columns.
    `_id` is a column only when the spec names it: every document has one (it is in the
    document's JSON anyway), and reporting it as an added column on every load is noise."""
    names = [column["name"].lower() for column in spec_columns]
    added = [source["document_column"], source.get("day_column")]
    for name in [*fields, *(a.lower() for a in added if a)]:
        if name not in names and name != ID_FIELD:
            names.append(name)
    return staged_names(names, where)


def _stage(spill: Path, staged: list[str], staging_uri: str) -> tuple[list[str], int]:
    """Re-write the spilled parts with every staged column, in order (absent ones NULL)."""
    writer = StagingWriter(staging_uri, staged)
    try:
        for part in sorted(spill.glob("*.parquet")):
            table = pq.read_table(part)
            arrays = [
                table.column(name)
                if name in table.column_names
                else pa.nulls(table.num_rows, pa.string())
                for name in [*staged, RECORD_COLUMN]
            ]
            writer.write(pa.Table.from_arrays(arrays, names=[*staged, RECORD_COLUMN]))
            part.unlink()
    except BaseException:
        writer.abort()
        raise
    return writer.close(), writer.rows


def _number(value: Any) -> int | float | Decimal | None:
    """A cursor value as a finite number (a bool is not one)."""
    from bson.decimal128 import Decimal128

    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal128):
        value = value.to_decimal()
    if isinstance(value, int):
        return value
    if isinstance(value, (float, Decimal)) and math.isfinite(value):
        return value
    return None


def _seconds(value: Any) -> int | None:
    number = _number(value)
    return None if number is None else math.floor(number)


def _day(value: Any) -> str | None:
    """The UTC day `yyyy-MM-dd` of a unix-seconds cursor; None when it is not one."""
    seconds = _seconds(value)
    if seconds is None:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC).date().isoformat()
    except (OverflowError, ValueError, OSError):
        return None


def text(value: Any) -> str | None:
    """A field's staged text: scalars as text, objects and lists as JSON."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return float_text(value)
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list, tuple)):
        return document_json(value)
    return _scalar(value)


def float_text(value: float) -> str:
    """Shortest round-trip digits, positional (`1e-07` -> `0.0000001`)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    shown = repr(value)
    return format(Decimal(shown), "f") if "e" in shown else shown


def _scalar(value: Any) -> Any:
    """BSON values that JSON has no type for, as text (dates in UTC)."""
    from bson.datetime_ms import DatetimeMS
    from bson.decimal128 import Decimal128

    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        shown = value.strftime("%Y-%m-%d %H:%M:%S")
        return shown + (f".{value.microsecond:06d}".rstrip("0") if value.microsecond else "")
    if isinstance(value, Decimal128):
        return str(value.to_decimal())
    if isinstance(value, DatetimeMS):
        return str(int(value))  # milliseconds since the epoch, outside Python's dates
    if isinstance(value, bytes):
        return value.hex()
    return str(value)  # ObjectId (its hex), UUID, Timestamp, Regex, ...


def document_json(value: Any) -> str:
    """A document (or a field's object or list) as compact JSON, BSON values as text."""
    return json.dumps(
        value, ensure_ascii=False, separators=(",", ":"), default=_scalar, allow_nan=True
    )


def _problem(err: Exception, uri: str, setting: str, namespace: str) -> str:
    import pymongo.errors as errors

    shown = redact(uri)
    code = getattr(err, "code", None)
    if isinstance(err, errors.ServerSelectionTimeoutError):
        return (
            f"cannot reach MongoDB at {shown} ({_message(err, uri)}): start "
            f"`lakehouse local-services --background` or set {setting}"
        )
    user = _user(uri)
    refused = isinstance(err, errors.OperationFailure) and "Authentication failed" in str(err)
    if code == AUTH_FAILED or refused:
        return (
            f"MongoDB at {shown} refused the credentials of user {user}: fix the user or "
            f"password in the setting {setting} (environment, --{SECRET_ARG} secret or local "
            "services)"
        )
    if code == UNAUTHORIZED:
        return (
            f"MongoDB at {shown}: user {user} may not read {namespace} "
            f"({_message(err, uri)}); grant it the `read` role on that database"
        )
    return (
        f"reading {namespace} at {shown} failed: {_message(err, uri)}; check the collection "
        f"and the setting {setting}"
    )


def _user(uri: str) -> str:
    netloc = uri.partition("://")[2].split("/", 1)[0]
    if "@" not in netloc:
        return "(none given)"
    from urllib.parse import unquote

    return unquote(netloc.rsplit("@", 1)[0].partition(":")[0])


def _message(err: Exception, uri: str) -> str:
    """The driver's message on one line, without pymongo's long topology description and
    without any secret of the URI."""
    text_ = str(err).split(", Timeout:")[0].split(", full error:")[0]
    return " ".join(scrub(text_, *secrets_of(uri)).split())


def lineage_uri(uri: str, database: str, collection: str) -> str:
    """`mongodb://host:port/db.collection`: the first host, no credentials (an SRV URI names
    a cluster, whose port the DNS gives: no port)."""
    scheme, _, rest = uri.partition("://")
    hosts = rest.split("/", 1)[0].split("?", 1)[0].rsplit("@", 1)[-1]
    first = hosts.split(",")[0]
    if first.startswith("["):  # [IPv6]:port
        host, _, port = first[1:].partition("]")
        host, port = f"[{host}]", port.lstrip(":")
    else:
        host, _, port = first.partition(":")
    host = host.lower()
    if scheme == "mongodb+srv":
        return f"mongodb://{host}/{database}.{collection}"
    return f"mongodb://{host}:{port or DEFAULT_PORT}/{database}.{collection}"
