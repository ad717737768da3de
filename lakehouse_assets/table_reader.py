"""Read a published table's current version with pyarrow: no Spark and no query engine, so a
command answers in a second what is published under `LAKEHOUSE_ROOT` right now.

The files are the ones Iceberg's plan gives for the version (`TableStore.data_uris`). They
hold no partition column (Spark writes those to the folder names), so a read adds them from
the partition's name, as text.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from glue_scripts.lib.fs import arrow_filesystem, local_path, normalize_root
from glue_scripts.lib.tables import (
    UNPARTITIONED,
    PartitionEntry,
    TableStore,
    TableVersion,
    partition_values,
)


class MissingFilesError(LookupError):
    """A version counts rows in a partition Iceberg's plan gives no file for."""


def _path(uri: str) -> str:
    return str(local_path(uri)) if uri.startswith("file://") else uri.split("://", 1)[-1]


def files_by_partition(
    store: TableStore, version: TableVersion, partitions: list[str] | None = None
) -> dict[str, list[str]]:
    """The version's data files (of `partitions` if given) by partition name, from one plan."""
    found: dict[str, list[str]] = {}
    for uri in store.data_uris(version, partitions):
        found.setdefault(store.partition_of(uri), []).append(uri)
    return found


def partition_files(
    store: TableStore, version: TableVersion, found: dict[str, list[str]], partition: str
) -> list[str]:
    """The files of one partition of `found` (`files_by_partition`); an error when the version
    counts rows there and the plan has none."""
    files = found.get(partition, [])
    entry = version.partitions.get(partition)
    if not files and entry is not None and entry.rows:
        raise MissingFilesError(
            f"version {version.version} of {store.qualified_name} counts {entry.rows} rows in "
            f"partition {partition or '(whole table)'} but Iceberg's plan gives no file for it; "
            "the table's metadata is damaged: materialize the table again"
        )
    return files


def read_files(
    uris: Sequence[str],
    partition: str = UNPARTITIONED,
    *,
    columns: Sequence[str] | None = None,
    filters: Sequence[tuple] | None = None,
) -> pa.Table:
    """The rows of one partition's files (one write's, so one schema), with its partition
    columns as text. `columns`: only these, of those the files hold or the partition gives."""
    filesystem, first = arrow_filesystem(uris[0])
    stored = pq.read_schema(first, filesystem=filesystem).names
    wanted = None if columns is None else [c for c in columns if c in stored]
    table = pq.read_table(
        [first, *(_path(u) for u in uris[1:])],
        filesystem=filesystem,
        columns=wanted,
        filters=filters,
        # The folder names hold `snapshot=` and the partition values: neither is a column here.
        partitioning=None,
    )
    for column, value in partition_values(partition).items():
        if column not in table.column_names and (columns is None or column in columns):
            table = table.append_column(column, pa.array([value] * table.num_rows, pa.string()))
    return table


class PublishedTable:
    """The current version of one table: its partitions and their data."""

    def __init__(self, root: str, database: str, table: str):
        self.store = TableStore(normalize_root(root), database, table)
        self.version: TableVersion = self.store.require_current()
        self._files: dict[str, list[str]] | None = None

    @property
    def name(self) -> str:
        return self.store.qualified_name

    def partitions(self) -> dict[str, PartitionEntry]:
        """Partition name -> entry, sorted by name (empty partitions included)."""
        return dict(sorted(self.version.partitions.items()))

    def read(
        self, partition: str = UNPARTITIONED, filters: Sequence[tuple] | None = None
    ) -> pa.Table | None:
        """One partition's rows (the whole table when unpartitioned), with its partition
        columns as text; None when it holds no rows (an empty partition has no files)."""
        if self.version.partitions[partition].rows == 0:
            return None
        if self._files is None:
            self._files = files_by_partition(self.store, self.version)
        files = partition_files(self.store, self.version, self._files, partition)
        return read_files(files, partition, filters=filters)
