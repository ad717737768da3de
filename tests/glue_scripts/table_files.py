"""Writing and inspecting real tables for the commit protocol's tests: Spark writes the
snapshot folders, DuckDB's `iceberg_scan` reads what a commit published, as any engine does."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
from pyspark.sql import SparkSession

from glue_scripts.lib.fs import local_path
from glue_scripts.lib.spark_io import WrittenSnapshot, arrow_schema, write_snapshot
from glue_scripts.lib.tables import METADATA_DIR, UNPARTITIONED, TableStore, TableVersion
from lakehouse_assets.duckdb_iceberg import connect, scan

COLUMNS = "pedido_id string, valor int, anomesdia string"
BY_DAY = ("anomesdia",)
DAY1, DAY2, DAY3 = "anomesdia=20241014", "anomesdia=20241015", "anomesdia=20241016"


def write(
    spark: SparkSession,
    store: TableStore,
    *rows: tuple,
    partition_by: tuple[str, ...] = BY_DAY,
    columns: str = COLUMNS,
) -> WrittenSnapshot:
    """Spark writing a new snapshot folder of `rows`, nothing committed."""
    return write_snapshot(spark.createDataFrame(list(rows), columns), store, partition_by)


def commit(
    store: TableStore,
    written: WrittenSnapshot,
    partition_by: tuple[str, ...] = BY_DAY,
    *,
    replace_all: bool = False,
    **options,
) -> TableVersion:
    """Commit a written snapshot folder as `GlueJob.write` does."""
    return store.commit(
        written.snapshot,
        partition_by,
        written.rows_by_partition,
        replace_all=replace_all,
        schema=arrow_schema(written.data),
        **options,
    )


def table_dir(store: TableStore) -> Path:
    return local_path(store.location)


def files_with_rows(store: TableStore, snapshot: str, partition: str = UNPARTITIONED) -> list[str]:
    """The URIs of the Parquet files holding rows of one partition of one write, from disk."""
    folder = local_path(store.data_uri(snapshot, partition))
    return sorted(
        f"{store.data_uri(snapshot, partition)}/{p.relative_to(folder).as_posix()}"
        for p in folder.rglob("*.parquet")
        if not p.name.startswith((".", "_")) and pq.read_metadata(p).num_rows
    )


def registered_files(store: TableStore) -> list[str]:
    """Every data file the current Iceberg snapshot holds, files of no rows included."""
    return sorted(store.iceberg_table().inspect.files()["file_path"].to_pylist())


def snapshots_on_disk(store: TableStore) -> list[str]:
    return sorted(
        p.name.split("=", 1)[1] for p in table_dir(store).iterdir() if p.name.startswith("snap")
    )


def metadata_files(store: TableStore, pattern: str) -> list[str]:
    return sorted(p.name for p in (table_dir(store) / METADATA_DIR).glob(pattern))


def state_files(store: TableStore) -> list[str]:
    return metadata_files(store, "lakehouse-state-*.json")


def query(store: TableStore, sql: str, snapshot_id: int | None = None) -> list[tuple]:
    """`sql` over the view `t`: DuckDB's `iceberg_scan` of the table's current metadata file
    (of the snapshot `snapshot_id` if given)."""
    con = connect()
    con.execute(f"CREATE VIEW t AS SELECT * FROM {scan(store.metadata_location(), snapshot_id)}")
    return con.execute(sql).fetchall()


def scanned(store: TableStore, snapshot_id: int | None = None) -> list[tuple]:
    """The rows (pedido_id, valor, anomesdia) an engine reading Iceberg gets."""
    return query(store, "SELECT pedido_id, valor, anomesdia FROM t ORDER BY ALL", snapshot_id)


def lose_the_race_once(monkeypatch, store: TableStore, winner) -> list:
    """Make `store`'s first load of the table go stale: `winner` commits right after it, as
    another run committing between this run's load and its commit would. Returns the version
    (sequence number) each load gave."""
    real = store.iceberg_table
    loads: list[int] = []

    def iceberg_table():
        table = real()
        loads.append(table.current_snapshot().sequence_number)
        if len(loads) == 1:
            winner()
        return table

    monkeypatch.setattr(store, "iceberg_table", iceberg_table)
    return loads
