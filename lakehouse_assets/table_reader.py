"""Read a published table through its manifest with pyarrow: no Spark and no catalog needed,
so a command answers in a second what is published under `LAKEHOUSE_ROOT` right now."""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from glue_scripts.lib.fs import local_path, normalize_root
from glue_scripts.lib.tables import (
    UNPARTITIONED,
    PartitionEntry,
    TableStore,
    TableVersion,
    partition_values,
)


def _filesystem(uri: str) -> tuple[pafs.FileSystem, str]:
    if uri.startswith("file://"):
        # Not from_uri: a normalized file:// URI is not percent-encoded (see normalize_root).
        return pafs.LocalFileSystem(), str(local_path(uri))
    return pafs.FileSystem.from_uri(uri)


class PublishedTable:
    """The current version of one table: its partitions and their data."""

    def __init__(self, root: str, database: str, table: str):
        self.store = TableStore(normalize_root(root), database, table)
        self.manifest: TableVersion = self.store.require_current()

    @property
    def name(self) -> str:
        return self.store.qualified_name

    def partitions(self) -> dict[str, PartitionEntry]:
        """Partition name -> entry, sorted by name (empty partitions included)."""
        return dict(sorted(self.manifest.partitions.items()))

    def read(
        self, partition: str = UNPARTITIONED, filters: Sequence[tuple] | None = None
    ) -> pa.Table | None:
        """One partition's rows (the whole table when unpartitioned), with its partition
        columns as text; None when it holds no rows (an empty partition has no files)."""
        entry = self.manifest.partitions[partition]
        if entry.rows == 0:
            return None
        filesystem, path = _filesystem(self.store.data_uri(entry.snapshot, partition))
        table = pq.read_table(path, filesystem=filesystem, filters=filters)
        for column, value in partition_values(partition).items():
            table = table.append_column(column, pa.array([value] * table.num_rows, pa.string()))
        return table
