"""The lake side of a load: which version of a table is current, its files, and its rows as
Arrow.

The files are the ones Iceberg's plan gives for the version, by partition. Partition columns
live only in the folder names (`.../snapshot=X/anomesdia=20240110/`), so the reader adds them
from the partition's name, typed like the spec says.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.dataset as ds

from glue_scripts.lib.fs import local_path, normalize_root
from glue_scripts.lib.tables import TableStore, partition_values
from lakehouse_assets.specs import Column, TableSpec
from lakehouse_assets.table_reader import files_by_partition, partition_files
from lakehouse_assets.warehouse.sql import _DECIMAL

_ARROW = {
    "string": pa.string(),
    "int": pa.int32(),
    "bigint": pa.int64(),
    "smallint": pa.int16(),
    "tinyint": pa.int16(),
    "double": pa.float64(),
    "float": pa.float32(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "binary": pa.binary(),
}
BATCH_ROWS = 64_000


def arrow_type(column: Column) -> pa.DataType:
    kind = column.type.replace(" ", "").lower()
    decimal = _DECIMAL.match(kind)
    if decimal:
        return pa.decimal128(int(decimal[1]), int(decimal[2]))
    return _ARROW[kind]


def arrow_schema(table: TableSpec) -> pa.Schema:
    return pa.schema([pa.field(c.name, arrow_type(c), nullable=c.nullable) for c in table.columns])


@dataclass(frozen=True)
class DataPartition:
    """One non-empty partition of a version (the whole table when unpartitioned)."""

    name: str
    values: dict[str, str]
    rows: int
    files: tuple[str, ...]


@dataclass(frozen=True)
class LakeSnapshot:
    """One committed version of a lake table: what a warehouse load copies."""

    table: TableSpec
    root: str  # the storage root the table lives under
    table_version: int
    snapshots: tuple[str, ...]
    partitions: tuple[DataPartition, ...]
    rows: int

    @classmethod
    def current(cls, root: str, table: TableSpec) -> LakeSnapshot:
        """The table's current version (`TableNotFoundError` if nothing is committed)."""
        store = TableStore(normalize_root(root), table.database, table.name)
        version = store.require_current()
        entries = sorted(version.partitions.items())
        found = files_by_partition(store, version)
        partitions = tuple(
            DataPartition(
                name,
                partition_values(name),
                entry.rows,
                tuple(partition_files(store, version, found, name)),
            )
            for name, entry in entries
            if entry.rows > 0
        )
        return cls(
            table=table,
            root=store.root,
            table_version=version.version,
            snapshots=tuple(sorted({entry.snapshot for _, entry in entries})),
            partitions=partitions,
            rows=version.rows,
        )

    @property
    def file_count(self) -> int:
        return sum(len(p.files) for p in self.partitions)

    @property
    def file_columns(self) -> list[Column]:
        """The columns inside the data files, in order: the spec's, less partition columns."""
        return [c for c in self.table.columns if c.name not in self.table.partition_by]

    def batches(self) -> Iterator[pa.RecordBatch]:
        """Every row in the spec's column order and types, a batch at a time."""
        schema = arrow_schema(self.table)
        names = [c.name for c in self.file_columns]
        for partition in self.partitions:
            files = [_local(uri) for uri in partition.files]
            # One write's files: one schema, so the first file's serves the whole partition.
            dataset = ds.dataset(files, format="parquet", exclude_invalid_files=False)
            for batch in dataset.to_batches(columns=names, batch_size=BATCH_ROWS):
                yield _conform(batch, partition.values, schema)


def _local(uri: str) -> str:
    if not uri.startswith("file://"):
        raise ValueError(
            f"{uri} is not on the local file system; the local warehouse loads a local lake "
            "(on the aws target Redshift reads S3 itself)"
        )
    return str(local_path(uri))


def _conform(batch: pa.RecordBatch, partition: dict[str, str], schema: pa.Schema) -> pa.RecordBatch:
    arrays = []
    for field in schema:
        if field.name in partition:
            text = pa.array([partition[field.name]] * batch.num_rows, pa.string())
            arrays.append(text.cast(field.type))
        else:
            arrays.append(batch.column(field.name).cast(field.type))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)
