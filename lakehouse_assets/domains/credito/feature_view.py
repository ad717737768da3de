"""The inference feature view: each applicant's latest feature row as of a date.

Point in time: only the partitions of `credito_gold.feature_store` dated on or before the
as-of date are opened (the files of a later date are never read), and each of their rows was
built from applications dated on or before its own date (the gold check `sem_dados_do_futuro`).
It reads the files Iceberg's plan gives for the table's current version with pyarrow, so a
scoring service or a notebook gets features in well under a second, without Spark.

    from lakehouse_assets.domains.credito.feature_view import features_as_of
    view = features_as_of("2024-06-30", applicants=["CR000123456"])
    view.frame  # pandas: one row per applicant found, gold's columns + feature_age_days
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from glue_scripts.lib.fs import normalize_root
from glue_scripts.lib.masking import hash_key, hash_value
from glue_scripts.lib.tables import TableStore
from lakehouse_assets.table_reader import files_by_partition, partition_files, read_files

DATABASE, TABLE = "credito_gold", "feature_store"
PARTITION = "anomesdia"
REQUESTED = "requested_applicant_id"


class FeatureViewError(ValueError):
    """The as-of date or the options are unusable; the message says what to pass."""


@dataclass(frozen=True)
class FeatureView:
    as_of: str
    frame: pd.DataFrame
    partitions_read: list[str]
    table_version: int
    missing: list[str] = field(default_factory=list)


def as_of_key(value: str | dt.date) -> str:
    """`2024-06-30`, `20240630` or a date -> `20240630` (the partition spelling)."""
    if isinstance(value, dt.date):
        return value.strftime("%Y%m%d")
    text = value.strip()
    for pattern in ("%Y%m%d", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, pattern).strftime("%Y%m%d")
        except ValueError:
            continue
    raise FeatureViewError(
        f"as-of date {value!r} is not a date; write it as 2024-06-30 or 20240630"
    )


def _day(key: str) -> dt.date:
    return dt.datetime.strptime(key, "%Y%m%d").date()


def _partitions(store: TableStore, as_of: str, max_age_days: int | None):
    """(date, partition, files) of each non-empty partition dated on or before `as_of`, newest
    first, and the table's version."""
    version = store.require_current()
    oldest = (
        (_day(as_of) - dt.timedelta(days=max_age_days)).strftime("%Y%m%d")
        if max_age_days is not None
        else ""
    )
    names = {
        name.split("=", 1)[1]: name
        for name, entry in version.partitions.items()
        if entry.rows and oldest <= name.split("=", 1)[1] <= as_of
    }
    found = files_by_partition(store, version, list(names.values())) if names else {}
    chosen = [
        (date, name, partition_files(store, version, found, name)) for date, name in names.items()
    ]
    return sorted(chosen, reverse=True), version.version


def _read(files: list[str], partition: str, ids: list[str] | None) -> pa.Table:
    filters = [("applicant_id", "in", ids)] if ids else None
    return read_files(files, partition, filters=filters)


def features_as_of(
    as_of: str | dt.date,
    *,
    root: str | None = None,
    applicants: Sequence[str] | None = None,
    hashed_ids: bool = False,
    max_age_days: int | None = None,
) -> FeatureView:
    """The latest feature row of each applicant as of `as_of` (inclusive).

    Args:
        as_of: the scoring date; no partition dated after it is read.
        root: the lakehouse storage root (default: `LAKEHOUSE_ROOT`'s setting).
        applicants: only these applicants; raw ids are hashed with the lakehouse's PII key
            (the one silver used), unless `hashed_ids`.
        hashed_ids: `applicants` are already the hashed ids of the feature store.
        max_age_days: ignore feature rows older than this many days before `as_of`.
    """
    key = as_of_key(as_of)
    if max_age_days is not None and max_age_days < 0:
        raise FeatureViewError(f"max_age_days must be 0 or more, got {max_age_days}")
    if root is None:
        from lakehouse_assets.settings import Settings

        root = Settings.from_env().root
    root = normalize_root(root)
    requested = list(dict.fromkeys(applicants or []))
    by_hash = {}
    if requested:
        secret = None if hashed_ids else hash_key({"lakehouse_root": root})
        by_hash = {(r if hashed_ids else hash_value(r, secret)): r for r in requested}
    partitions, version = _partitions(TableStore(root, DATABASE, TABLE), key, max_age_days)
    pending = set(by_hash)
    tables, read = [], []
    for date, partition, files in partitions:
        if requested and not pending:
            break  # newest first: every requested applicant already has its latest row
        table = _read(files, partition, sorted(pending) if requested else None)
        read.append(date)
        if table.num_rows:
            tables.append(table)
            pending -= set(table.column("applicant_id").to_pylist())
    frame = _latest(tables, key)
    if requested and not frame.empty:
        frame.insert(0, REQUESTED, frame["applicant_id"].map(by_hash))
    missing = [by_hash[h] for h in by_hash if h in pending]
    return FeatureView(key, frame, sorted(read), version, missing)


def _latest(tables: list[pa.Table], as_of: str) -> pd.DataFrame:
    if not tables:
        return pd.DataFrame()
    table = pa.concat_tables(tables, promote_options="default")
    order = pc.sort_indices(
        table, sort_keys=[("applicant_id", "ascending"), (PARTITION, "descending")]
    )
    frame = table.take(order).to_pandas()
    frame = frame.drop_duplicates("applicant_id", keep="first").reset_index(drop=True)
    age = pd.Timestamp(_day(as_of)) - pd.to_datetime(frame[PARTITION], format="%Y%m%d")
    frame["feature_age_days"] = age.dt.days.astype("int64")
    return frame
