"""The ML training dataset: the 48 metric columns of the gold sessions created in a window.

One CSV with a header, the 48 columns in the order the model was trained on, one row per
session whose `created_at` day (UTC) is in `[start, end]`, both days included; that is
`start 00:00:00 <= created_at <= end 23:59:59`. It reads the gold table's current version
with pyarrow (no Spark), and writes beside the CSV a `manifest.json` of what it was built from.

    <root>/ml-training-data/<start>_to_<end>/conversations_<start>_to_<end>.csv
    <root>/ml-training-data/<start>_to_<end>/manifest.json

Values are written so that a reader gets them back exactly: floats as Python's shortest
round-trip text (`repr`: `0.1`, `1e-05`), integers and flags as integers, an empty window as
a header-only file of the same shape.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import hashlib
import io
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from glue_scripts.lib.fs import arrow_filesystem, join, normalize_root
from glue_scripts.lib.tables import BUILT_FROM_FILE, TableStore, TableVersion, partition_values
from lakehouse_assets.domains.conversas import specs
from lakehouse_assets.table_reader import files_by_partition, partition_files, read_files

GOLD_DATABASE, GOLD_TABLE = specs.GOLD_DATABASE, specs.GOLD_TABLE
DAY_COLUMN = "dia"
VERSION_COLUMN = "versao_definicoes"
OUTPUT_FOLDER = "ml-training-data"
MANIFEST_FILE = "manifest.json"

DEFINITIONS_VERSION: str = specs.DEFINITIONS_VERSION
# The 48 columns of the training data, in the order the model was trained on.
COLUMNS: tuple[str, ...] = tuple(getattr(specs, "METRIC_COLUMNS", None) or specs.FEATURE_NAMES)


class WindowError(ValueError):
    """The window's days are not dates or are out of order; the message says what to pass."""


class GoldTableError(LookupError):
    """The gold table cannot give the dataset's columns; the message says what to do."""


@dataclass(frozen=True)
class Window:
    """Both days included, in UTC."""

    start: dt.date
    end: dt.date

    @property
    def name(self) -> str:
        return f"{self.start.isoformat()}_to_{self.end.isoformat()}"

    @property
    def file_name(self) -> str:
        return f"conversations_{self.name}.csv"

    def contains(self, day: str) -> bool:
        return self.start.isoformat() <= day <= self.end.isoformat()

    def describe(self) -> dict[str, str]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            # What "both days included" means for created_at, to the second.
            "created_at_from": f"{self.start.isoformat()}T00:00:00Z",
            "created_at_to": f"{self.end.isoformat()}T23:59:59Z",
        }


def _month_before(day: dt.date) -> dt.date:
    year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def default_window(today: dt.date | None = None) -> Window:
    """The last month up to yesterday: from the same day a month before today (the month's
    last day when it has no such day, e.g. 03-31 -> 02-29) to yesterday."""
    today = today or dt.datetime.now(dt.UTC).date()
    return Window(_month_before(today), today - dt.timedelta(days=1))


def _day(label: str, value: str | dt.date) -> dt.date:
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        if len(text) != 10:
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise WindowError(
            f"{label} {value!r} is not a date; write it as YYYY-MM-DD, e.g. 2024-12-01"
        ) from None


def parse_window(
    start: str | dt.date | None, end: str | dt.date | None, today: dt.date | None = None
) -> Window:
    """The window of two days (both or neither: the default, `default_window`)."""
    if start in (None, "") and end in (None, ""):
        return default_window(today)
    if start in (None, "") or end in (None, ""):
        missing = "start" if start in (None, "") else "end"
        raise WindowError(
            f"the window's {missing} day is missing; give both start and end (YYYY-MM-DD), "
            "or neither for the last month up to yesterday"
        )
    window = Window(_day("start", start), _day("end", end))
    if window.start > window.end:
        raise WindowError(
            f"start {window.start} is after end {window.end}; the start day must not be "
            "after the end day (swap them?)"
        )
    return window


def _as_day_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_date(column.type) or pa.types.is_timestamp(column.type):
        return pc.strftime(column, format="%Y-%m-%d")
    return column.cast(pa.string())


def _in_window(table: pa.Table, window: Window) -> pa.Table:
    days = _as_day_text(table.column(DAY_COLUMN))
    keep = pc.and_(
        pc.greater_equal(days, window.start.isoformat()),
        pc.less_equal(days, window.end.isoformat()),
    )
    return table.filter(pc.fill_null(keep, False))


@dataclass(frozen=True)
class GoldVersion:
    """The version of the gold table a dataset reads: every partition from that one version."""

    store: TableStore
    version: TableVersion

    @classmethod
    def current(cls, root: str) -> GoldVersion:
        store = TableStore(normalize_root(root), GOLD_DATABASE, GOLD_TABLE)
        return cls(store, store.require_current())

    def partitions_in(self, window: Window) -> dict[str, Any]:
        """Non-empty partitions that may hold days of the window (all, if not by day)."""
        chosen = {}
        for name, entry in sorted(self.version.partitions.items()):
            day = partition_values(name).get(DAY_COLUMN)
            if entry.rows and (day is None or window.contains(day)):
                chosen[name] = entry
        return chosen

    def read(self, window: Window, columns: Sequence[str] | None) -> pa.Table | None:
        """The rows of the window (`columns` and the day), None when there are none."""
        wanted = None if columns is None else [*dict.fromkeys([*columns, DAY_COLUMN])]
        chosen = self.partitions_in(window)
        found = files_by_partition(self.store, self.version, list(chosen)) if chosen else {}
        parts = []
        for name in chosen:
            files = partition_files(self.store, self.version, found, name)
            table = read_files(files, name, columns=wanted)
            missing = [c for c in (wanted or []) if c not in table.column_names]
            if missing:
                raise GoldTableError(
                    f"{self.store.qualified_name} (version {self.version.version}, partition "
                    f"{name or '(whole table)'}) has no column(s) {missing}; the dataset needs "
                    "the 48 metric columns and `dia`: rebuild the gold table with its current "
                    "spec (`lakehouse run --domain conversas`)"
                )
            parts.append(_in_window(table, window))
        parts = [p for p in parts if p.num_rows]
        if not parts:
            return None
        return pa.concat_tables(parts, promote_options="permissive")

    def count(self, window: Window) -> int:
        """The rows of the window, counted from the files' own day values: the dataset
        check's reference, computed apart from the dataset's rows."""
        table = self.read(window, [DAY_COLUMN])
        return 0 if table is None else table.num_rows

    def describe(self, window: Window) -> dict[str, Any]:
        return {
            "table": self.store.qualified_name,
            "location": self.store.location,
            "table_version": self.version.version,
            "iceberg_snapshot_id": self.version.snapshot_id,
            "committed_at": self.version.committed_at,
            "run_id": self.version.run_id,
            "snapshot": self.version.history[-1] if self.version.history else "",
            "partition_by": list(self.version.partition_by),
            "partitions_read": {
                name: {"snapshot": e.snapshot, "rows": e.rows}
                for name, e in self.partitions_in(window).items()
            },
        }


def built_from(gold: GoldVersion, window: Window) -> dict[str, Any]:
    """What the gold version was built from: its own record when its job wrote one
    (`gold_record`), and the current versions of the tables upstream of it, walked through
    the specs, with their partitions of the window's days (`upstream`). An upstream version
    committed after gold's is marked `newer_than_gold`: gold read an earlier one."""
    record = gold.version.records.get(BUILT_FROM_FILE)
    recorded = record if isinstance(record, dict) else None
    upstream = {}
    for qualified in _upstream_tables(gold.store.qualified_name):
        database, table = qualified.split(".", 1)
        store = TableStore(gold.store.root, database, table)
        version = store.current()
        if version is None:
            upstream[qualified] = None
            continue
        upstream[qualified] = {
            "table_version": version.version,
            "iceberg_snapshot_id": version.snapshot_id,
            "committed_at": version.committed_at,
            "run_id": version.run_id,
            # Committed after the gold version: gold was built from an earlier version.
            "newer_than_gold": version.committed_at > gold.version.committed_at,
            "partition_by": list(version.partition_by),
            "partitions": {
                name: {"snapshot": e.snapshot, "rows": e.rows, **_watermark(e)}
                for name, e in sorted(version.partitions.items())
                if _relevant(name, window)
            },
        }
    return {"gold_record": recorded, "upstream": upstream}


def _watermark(entry) -> dict[str, str]:
    return {"watermark": entry.watermark} if entry.watermark else {}


def _relevant(partition: str, window: Window) -> bool:
    day = partition_values(partition).get(DAY_COLUMN)
    return day is None or window.contains(day)


def _upstream_tables(qualified: str) -> list[str]:
    """Every table upstream of `qualified`, nearest first, from the registry's specs."""
    try:
        from lakehouse_assets.registry import registry

        tables = {t.qualified_name: t for t in registry().tables.values()}
    except Exception:  # the domain's specs may not load: the gold record still stands
        return []
    seen: list[str] = []
    pending = list(getattr(tables.get(qualified), "upstream", ()) or ())
    while pending:
        name = pending.pop(0)
        if name in seen:
            continue
        seen.append(name)
        pending += list(getattr(tables.get(name), "upstream", ()) or ())
    return seen


def csv_text(value: Any) -> str:
    """A value as the CSV holds it: read back exactly by `float()`/`int()`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def ordered(table: pa.Table | None) -> pa.Table | None:
    """The window's rows by day then session, so a dataset is the same file every time."""
    if table is None:
        return None
    keys = [(DAY_COLUMN, "ascending"), ("session_id", "ascending")]
    days = _as_day_text(table.column(DAY_COLUMN))
    table = table.set_column(table.schema.get_field_index(DAY_COLUMN), DAY_COLUMN, days)
    return table.take(pc.sort_indices(table, sort_keys=keys))


def csv_lines(table: pa.Table | None) -> Iterable[list[str]]:
    yield list(COLUMNS)
    if table is None:
        return
    for batch in table.select(list(COLUMNS)).to_batches(max_chunksize=10_000):
        columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
        for row in zip(*columns, strict=True):
            yield [csv_text(v) for v in row]


@dataclass(frozen=True)
class Dataset:
    """A written dataset: its window, rows, files, manifest and the gold version it read."""

    window: Window
    rows: int
    csv_uri: str
    manifest_uri: str
    manifest: dict[str, Any]
    gold: GoldVersion


def output_folder(root: str, window: Window) -> str:
    return join(normalize_root(root), OUTPUT_FOLDER, window.name)


def _write_csv(table: pa.Table | None, handle) -> tuple[int, str]:
    """Write the CSV to a binary handle; (data rows, sha256)."""
    digest = hashlib.sha256()
    rows = -1
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for line in csv_lines(table):
        writer.writerow(line)
        rows += 1
        if buffer.tell() > 1 << 20:
            _flush(buffer, handle, digest)
    _flush(buffer, handle, digest)
    return rows, digest.hexdigest()


def _flush(buffer: io.StringIO, handle, digest) -> None:
    data = buffer.getvalue().encode("utf-8")
    handle.write(data)
    digest.update(data)
    buffer.seek(0)
    buffer.truncate()


def _versions(table: pa.Table | None) -> list[str]:
    if table is None or VERSION_COLUMN not in table.column_names:
        return []
    return sorted(v for v in pc.unique(table.column(VERSION_COLUMN)).to_pylist() if v)


def build_manifest(
    window: Window, rows: int, sha256: str, gold: GoldVersion, table: pa.Table | None
) -> dict[str, Any]:
    return {
        "dataset": "conversas training dataset (per-session agent metrics)",
        "window": window.describe(),
        "rows": rows,
        "file": window.file_name,
        "sha256": sha256,
        "columns": list(COLUMNS),
        "format": "CSV, UTF-8, comma, header; floats as shortest round-trip text; flags 0/1",
        "definitions_version": DEFINITIONS_VERSION,
        # What the rows themselves say they were computed with (gold's versao_definicoes).
        "definitions_versions_in_rows": _versions(table),
        "gold": gold.describe(window),
        "built_from": built_from(gold, window),
        "written_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def _replace_local(path: Path, write: Callable[[Any], Any]) -> Any:
    """Write `path` through a temporary file in its folder, renamed over it when complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}-{id(write):x}.tmp")
    try:
        with temporary.open("wb") as handle:
            result = write(handle)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return result


def _s3_put(uri: str, body_path: str | None = None, text: str | None = None) -> None:
    import boto3

    bucket, _, key = uri.removeprefix("s3://").partition("/")
    client = boto3.client("s3")
    if body_path is not None:
        client.upload_file(body_path, bucket, key)  # multipart for big files, one object
    else:
        client.put_object(Bucket=bucket, Key=key, Body=(text or "").encode("utf-8"))


def read_window(root: str, window: Window) -> tuple[GoldVersion, pa.Table | None]:
    gold = GoldVersion.current(root)
    return gold, ordered(gold.read(window, [*COLUMNS, VERSION_COLUMN]))


def write_dataset(root: str, window: Window, out: str | os.PathLike | None = None) -> Dataset:
    """Write the window's dataset and its manifest.

    Without `out`: `<root>/ml-training-data/<window>/` (a folder, or `s3://`, uploaded CSV
    first, manifest last). With `out`: the CSV at that path and its manifest beside it as
    `<out>.manifest.json`. Either way a reader never sees a half-written file.
    """
    gold, table = read_window(root, window)
    if out is None:
        folder = output_folder(root, window)
        csv_uri, manifest_uri = join(folder, window.file_name), join(folder, MANIFEST_FILE)
    else:
        path = Path(out).expanduser().resolve()
        csv_uri, manifest_uri = path.as_uri(), f"{path.as_uri()}.manifest.json"
    if csv_uri.startswith("s3://"):
        with tempfile.TemporaryDirectory() as scratch:
            local = Path(scratch) / window.file_name
            with local.open("wb") as handle:
                rows, sha = _write_csv(table, handle)
            manifest = build_manifest(window, rows, sha, gold, table)
            _s3_put(csv_uri, body_path=str(local))
            _s3_put(manifest_uri, text=json.dumps(manifest, indent=1))
    else:
        rows, sha = _replace_local(_local(csv_uri), lambda h: _write_csv(table, h))
        manifest = build_manifest(window, rows, sha, gold, table)
        text = json.dumps(manifest, indent=1).encode("utf-8")
        _replace_local(_local(manifest_uri), lambda h: h.write(text))
    return Dataset(window, rows, csv_uri, manifest_uri, manifest, gold)


def _local(uri: str) -> Path:
    return Path(uri.removeprefix("file://")) if uri.startswith("file://") else Path(uri)


def write_stdout(root: str, window: Window, stream) -> tuple[int, GoldVersion]:
    """The window's CSV to a text stream (no manifest); (rows, the gold version read)."""
    gold, table = read_window(root, window)
    writer = csv.writer(stream, lineterminator="\n")
    rows = -1
    for line in csv_lines(table):
        writer.writerow(line)
        rows += 1
    return rows, gold


def count_csv_rows(uri: str) -> int:
    """Data rows of a written dataset, read back from the file itself."""
    filesystem, path = arrow_filesystem(uri)
    with filesystem.open_input_stream(path) as raw:
        reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8", newline=""))
        return sum(1 for _ in reader) - 1
