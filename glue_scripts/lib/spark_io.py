"""Reading and writing lakehouse tables with Spark, through the commit protocol."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from glue_scripts.lib import sql_text
from glue_scripts.lib.fs import spark_path
from glue_scripts.lib.local_rows import local_rows
from glue_scripts.lib.tables import UNPARTITIONED, TableStore, new_snapshot_id, partition_name

SNAPSHOT_COLUMN = "snapshot"


def get_spark(app_name: str) -> SparkSession:
    """The job's Spark session: Glue's, or the warm local runner's when one is active."""
    return configured(SparkSession.builder.appName(app_name).getOrCreate())


def private_session(spark: SparkSession) -> SparkSession:
    """A session of its own on the same SparkContext: temp views and SQL settings stay
    private, e.g. to one job run of the warm runner or one table loaded in a thread."""
    return configured(spark.newSession())


def configured(spark: SparkSession) -> SparkSession:
    # A new session starts from the SparkContext's settings, not its parent's: set them on
    # each. Partition values stay strings (`anomesdia=20241015` must not become an int), and
    # casts and parses that fail give NULL so that bad input is quarantined, not a crash.
    spark.conf.set("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
    spark.conf.set("spark.sql.ansi.enabled", "false")
    # A date or time the pattern does not match is invalid (a quarantine row), not an error
    # asking which parser generation to use.
    spark.conf.set("spark.sql.legacy.timeParserPolicy", "CORRECTED")
    # Iceberg reads timestamps as 64-bit microseconds, not Spark's default INT96.
    spark.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
    return spark


def read_table(
    spark: SparkSession,
    store: TableStore,
    partitions: list[str] | None = None,
    *,
    empty: str | None = None,
) -> DataFrame:
    """The table's current data (or only the named partitions), partition columns included;
    `empty` as in `read_files`."""
    return read_files(spark, store, store.current_data_uris(partitions), empty=empty)


def read_files(
    spark: SparkSession, store: TableStore, uris: list[str], *, empty: str | None = None
) -> DataFrame:
    """Some of the table's data files (`TableStore.data_uris`), or folders of one write
    (`TableStore.data_uri`), partition columns included (from the folder names).

    Args:
        empty: the schema (`read_schema`) of the frame of no rows to return when there is no
            file to read (a table committed with no rows); without it that is an error.
    """
    if not uris:
        if empty is not None:
            return local_rows(spark, [], empty)
        raise EmptyTableError(store.qualified_name)
    reader = spark.read.option("basePath", spark_path(store.location))
    frame = reader.parquet(*(spark_path(u) for u in uris))
    return frame.drop(SNAPSHOT_COLUMN)


def arrow_schema(frame: DataFrame):
    """The columns of a frame as Arrow gives them to Iceberg (timestamps in microseconds)."""
    from pyspark.sql.pandas.types import to_arrow_schema

    return to_arrow_schema(frame.schema)


def read_schema(columns: Sequence[Mapping[str, Any]], partition_by: Sequence[str]) -> str:
    """The schema (DDL) a read of a table of these spec columns gives: its data columns in the
    spec's order, then its partition columns, as text (their values come from folder names)."""
    data = [c for c in columns if c["name"] not in partition_by]
    types = {c["name"]: c["type"] for c in columns}
    missing = [p for p in partition_by if p not in types]
    if missing:
        raise ValueError(f"partition columns {missing} are not among the columns {list(types)}")
    fields = [f"{sql_text.name(c['name'])} {c['type']}" for c in data]
    fields += [f"{sql_text.name(p)} string" for p in partition_by]
    return ", ".join(fields)


class EmptyTableError(LookupError):
    def __init__(self, table: str):
        super().__init__(
            f"table {table} is committed but holds no rows; load data into its sources and "
            "materialize it again"
        )


@dataclass(frozen=True)
class WrittenSnapshot:
    snapshot: str
    rows_by_partition: dict[str, int]
    data: DataFrame

    @property
    def rows(self) -> int:
        return sum(self.rows_by_partition.values())


def write_files(frame: DataFrame, store: TableStore, partition_by: tuple[str, ...]):
    """Write a new snapshot folder (nothing points at it yet); return its id and a frame
    reading the written files, so checks run on exactly what a commit would publish,
    without recomputing the transform."""
    snapshot = new_snapshot_id()
    target = spark_path(store.snapshot_uri(snapshot))
    writer = frame.write.mode("errorifexists")
    if partition_by:
        writer = writer.partitionBy(*partition_by)
    writer.parquet(target)
    # An explicit schema: an empty result writes no data file to infer one from.
    written = frame.sparkSession.read.schema(frame.schema).parquet(target)
    if partition_by:
        written = written.select(*frame.columns)
    return snapshot, written


def count_query(view: str, partition_by: tuple[str, ...]) -> str:
    """SQL counting the rows of `view` per partition (columns p0, p1, ..., n)."""
    if not partition_by:
        return f"SELECT COUNT(*) AS n FROM {view}"
    keys = [sql_text.name(c) for c in partition_by]
    cols = ", ".join(f"CAST({k} AS STRING) AS p{i}" for i, k in enumerate(keys))
    return f"SELECT {cols}, COUNT(*) AS n FROM {view} GROUP BY {', '.join(keys)}"


def rows_by_partition(rows: list[dict], partition_by: tuple[str, ...]) -> dict[str, int]:
    """The result rows of `count_query` as {partition name: rows}."""
    if not partition_by:
        return {UNPARTITIONED: int(rows[0]["n"]) if rows else 0}
    return {
        partition_name(partition_by, tuple(str(r[f"p{i}"]) for i in range(len(partition_by)))): int(
            r["n"]
        )
        for r in rows
    }


def write_snapshot(
    frame: DataFrame, store: TableStore, partition_by: tuple[str, ...]
) -> WrittenSnapshot:
    """Write a new snapshot folder and count its rows per partition."""
    snapshot, written = write_files(frame, store, partition_by)
    if partition_by:
        counts = written.groupBy(*partition_by).count().collect()
        rows = {
            partition_name(partition_by, tuple(str(r[c]) for c in partition_by)): r["count"]
            for r in counts
        }
    else:
        rows = {UNPARTITIONED: written.count()}
    return WrittenSnapshot(snapshot=snapshot, rows_by_partition=rows, data=written)
