"""What a commit of `tables.py` asks of pyiceberg: schemas, data file entries, expiry.

Spark writes the files in the Hive layout, so a partition column lives in the folder names,
not in the files. Iceberg's own import of Hive tables registers such files with their
partition values taken from the folder names, and every engine then reads the column from the
partition metadata: that is what `data_files` does (pyiceberg's `add_files` instead reads the
values from the files' statistics and would record NULL partitions).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

from glue_scripts.lib.fs import FileSystem, arrow_filesystem
from glue_scripts.lib.tables import STATE_PROPERTY, partition_value_of, partition_values

if TYPE_CHECKING:
    from pyiceberg.manifest import DataFile
    from pyiceberg.table import Table, Transaction

NAME_MAPPING = "schema.name-mapping.default"


def all_optional(schema: pa.Schema) -> pa.Schema:
    """The table's columns for Iceberg: all optional (a column Spark wrote as required may
    hold NULLs in a later write) and timestamps in microseconds, as Spark writes them."""
    fields = []
    for f in schema:
        if pa.types.is_timestamp(f.type):
            f = f.with_type(pa.timestamp("us", tz=f.type.tz))
        fields.append(f.with_nullable(True))
    return pa.schema(fields)


def schema_of(fs: FileSystem, files: Sequence[str], partition_by: Sequence[str]) -> pa.Schema:
    """The columns of the first file, then the partition columns as text (a commit given no
    schema, such as the migration of a table of no rows)."""
    fields: list[pa.Field] = []
    if files:
        filesystem, path = arrow_filesystem(files[0])
        with filesystem.open_input_file(path) as handle:
            fields = list(file_schema(pq.read_metadata(handle)))
    names = {f.name for f in fields}
    fields += [pa.field(p, pa.string()) for p in partition_by if p not in names]
    return pa.schema(fields)


def file_schema(parquet_metadata: pq.FileMetaData) -> pa.Schema:
    """A Parquet file's columns as its table holds them. Before `TIMESTAMP_MICROS`, Spark wrote
    timestamps as INT96 (the files of tables migrated from the manifest log): Arrow reads them as
    nanoseconds of no zone, but they are UTC instants, the `timestamptz` Spark writes now."""
    columns = parquet_metadata.schema
    int96 = {
        columns.column(i).path
        for i in range(len(columns))
        if columns.column(i).physical_type == "INT96"
    }
    return pa.schema(
        f.with_type(pa.timestamp("us", tz="UTC")) if f.name in int96 else f
        for f in columns.to_arrow_schema()
    )


def align(tx: Transaction, schema: pa.Schema, partition_by: Sequence[str], table: str) -> None:
    """Give the table the write's new columns and partitioning, in the commit's transaction."""
    from pyiceberg.exceptions import ValidationError

    metadata = tx.table_metadata
    held = {f.name.lower() for f in metadata.schema().fields}
    new = [f.name for f in schema if f.name.lower() not in held]
    if new:
        try:
            with tx.update_schema() as update:
                update.union_by_name(all_optional(schema))
        except (ValidationError, ValueError) as err:
            raise ValueError(
                f"the columns of {table} changed in a way Iceberg cannot evolve ({err}); "
                "rename the changed column in the spec, or drop the table and load it again"
            ) from err
    fields = tx.table_metadata.schema()
    spec = tx.table_metadata.spec()
    partitioned = [fields.find_column_name(f.source_id) for f in spec.fields]
    if partitioned != list(partition_by):
        with tx.update_spec() as update:
            for name in partitioned:
                update.remove_field(name)
            for name in partition_by:
                update.add_identity(name)
    mapping = tx.table_metadata.schema().name_mapping.model_dump_json()
    if new or tx.table_metadata.properties.get(NAME_MAPPING) != mapping:
        # Files written without Iceberg's field ids are read by column name.
        tx.set_properties(**{NAME_MAPPING: mapping})


def data_files(
    tx: Transaction, uris: Sequence[str], partition_of: Callable[[str], str]
) -> list[DataFile]:
    """Iceberg's entries of written Parquet files: statistics from each footer, partition
    values from its folders."""
    if not uris:
        return []
    metadata = tx.table_metadata
    io = tx._table.io

    def entry(uri: str) -> DataFile:
        return _data_file(io, metadata, uri, partition_values(partition_of(uri)))

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(entry, uris))


def _data_file(io, metadata, uri: str, values: dict[str, str]) -> DataFile:
    from pyiceberg.io.pyarrow import (
        _check_pyarrow_schema_compatible,
        compute_statistics_plan,
        data_file_statistics_from_parquet_metadata,
        parquet_path_to_id_mapping,
    )
    from pyiceberg.manifest import DataFile, DataFileContent, FileFormat
    from pyiceberg.typedef import Record

    input_file = io.new_input(uri)
    with input_file.open() as stream:
        parquet_metadata = pq.read_metadata(stream)
    schema = metadata.schema()
    _check_pyarrow_schema_compatible(
        schema, file_schema(parquet_metadata), format_version=metadata.format_version
    )
    statistics = data_file_statistics_from_parquet_metadata(
        parquet_metadata=parquet_metadata,
        stats_columns=compute_statistics_plan(schema, metadata.properties),
        parquet_column_mapping=parquet_path_to_id_mapping(schema),
    )
    spec = metadata.spec()
    partition = []
    for spec_field in spec.fields:
        column = schema.find_column_name(spec_field.source_id)
        iceberg_type = schema.find_field(spec_field.source_id).field_type
        partition.append(partition_value_of(values[column], iceberg_type))
    return DataFile.from_args(
        content=DataFileContent.DATA,
        file_path=uri,
        file_format=FileFormat.PARQUET,
        partition=Record(*partition),
        file_size_in_bytes=len(input_file),
        sort_order_id=None,
        spec_id=metadata.default_spec_id,
        equality_ids=None,
        key_metadata=None,
        **statistics.to_serialized_dict(),
    )


def expire(table: Table, expired: list, kept: list, fs: FileSystem) -> Table | None:
    """Expire snapshots, then delete the manifests and state files only they used; None when
    another commit came first (the next clean-up expires them)."""
    from pyiceberg.exceptions import CommitFailedException

    def used(snapshots: list) -> set[str]:
        paths: set[str] = set()
        for snapshot in snapshots:
            paths.add(snapshot.manifest_list)
            paths.update(m.manifest_path for m in snapshot.manifests(table.io))
            if snapshot.summary and snapshot.summary[STATE_PROPERTY]:
                paths.add(snapshot.summary[STATE_PROPERTY])
        return paths

    orphaned = used(expired) - used(kept)
    try:
        with table.maintenance.expire_snapshots() as expiry:
            expiry.by_ids([s.snapshot_id for s in expired])
    except CommitFailedException:
        return None
    for path in sorted(orphaned):
        fs.delete_file(path)
    return table.refresh()
