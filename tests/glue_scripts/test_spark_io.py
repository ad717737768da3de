"""Writing snapshots and reading tables with Spark (glue_scripts/lib/spark_io.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from pyspark.sql import types as T

from glue_scripts.lib.spark_io import (
    EmptyTableError,
    get_spark,
    read_table,
    write_snapshot,
)
from glue_scripts.lib.tables import UNPARTITIONED, TableStore

BY_DAY = ("anomesdia",)
SCHEMA = T.StructType(
    [
        T.StructField("pedido_id", T.StringType()),
        T.StructField("valor_total_brl", T.DecimalType(18, 2)),
        T.StructField("data_pedido", T.DateType()),
        T.StructField("prazo_dias", T.IntegerType()),
    ]
)
PARTITIONED_SCHEMA = T.StructType([*SCHEMA.fields, T.StructField("anomesdia", T.StringType())])


def row(pedido_id: str, valor: str, day: int, prazo: int | None, *partition: str) -> tuple:
    return (pedido_id, Decimal(valor), dt.date(2024, 10, day), prazo, *partition)


@pytest.fixture
def store(tmp_path: Path) -> TableStore:
    return TableStore(str(tmp_path / "lake"), "importau_bronze", "pedidos")


def collected(frame) -> list[tuple]:
    return sorted(tuple(r) for r in frame.collect())


def test_get_spark_reuses_the_session_and_keeps_partition_values_as_strings(spark):
    assert get_spark("test") is spark
    assert spark.conf.get("spark.sql.sources.partitionColumnTypeInference.enabled") == "false"
    assert spark.conf.get("spark.sql.ansi.enabled") == "false"


def test_unpartitioned_round_trip(spark, store):
    rows = [row("PED001", "15750.50", 15, 30), row("PED002", "8920.00", 16, None)]
    frame = spark.createDataFrame(rows, SCHEMA)

    written = write_snapshot(frame, store, ())

    assert written.rows_by_partition == {UNPARTITIONED: 2}
    assert written.rows == 2
    assert written.data.schema == SCHEMA
    assert collected(written.data) == sorted(rows)
    # Nothing points at the snapshot before the commit.
    assert store.current() is None

    store.commit(written.snapshot, (), written.rows_by_partition, replace_all=True)
    table = read_table(spark, store)
    assert table.schema == SCHEMA  # no `snapshot` column from the folder name
    assert collected(table) == sorted(rows)

    # A rewrite replaces the whole table.
    again = [row("PED003", "3.00", 17, 3)]
    rewritten = write_snapshot(spark.createDataFrame(again, SCHEMA), store, ())
    store.commit(rewritten.snapshot, (), rewritten.rows_by_partition, replace_all=True)
    assert collected(read_table(spark, store)) == again


def test_partitioned_round_trip_keeps_the_partition_column_a_string(spark, store):
    rows = [
        row("PED001", "15750.50", 15, 30, "20241015"),
        row("PED002", "8920.00", 16, 45, "20241015"),
        row("PED003", "100.00", 16, None, "20241016"),
    ]
    frame = spark.createDataFrame(rows, PARTITIONED_SCHEMA)

    written = write_snapshot(frame, store, BY_DAY)

    assert written.rows_by_partition == {"anomesdia=20241015": 2, "anomesdia=20241016": 1}
    assert written.rows == 3
    assert written.data.schema == PARTITIONED_SCHEMA
    assert collected(written.data) == sorted(rows)
    folder = Path(store.snapshot_uri(written.snapshot).removeprefix("file://"))
    assert sorted(p.name for p in folder.iterdir() if p.is_dir()) == [
        "anomesdia=20241015",
        "anomesdia=20241016",
    ]

    store.commit(written.snapshot, BY_DAY, written.rows_by_partition, replace_all=False)
    table = read_table(spark, store)
    assert table.schema == PARTITIONED_SCHEMA
    assert table.schema["anomesdia"].dataType == T.StringType()
    assert collected(table) == sorted(rows)
    assert sorted(r.anomesdia for r in table.select("anomesdia").distinct().collect()) == [
        "20241015",
        "20241016",
    ]


def test_partition_values_with_leading_zeros_stay_as_written(spark, store):
    frame = spark.createDataFrame([("a", "007")], "id string, lote string")
    written = write_snapshot(frame, store, ("lote",))
    assert written.rows_by_partition == {"lote=007": 1}
    store.commit(written.snapshot, ("lote",), written.rows_by_partition, replace_all=False)
    assert [tuple(r) for r in read_table(spark, store).collect()] == [("a", "007")]


def test_partitioned_rewrite_replaces_only_its_partitions_and_uncommitted_data_is_unseen(
    spark, store
):
    first = write_snapshot(
        spark.createDataFrame(
            [row("PED001", "1.00", 14, 1, "20241014"), row("PED002", "2.00", 15, 2, "20241015")],
            PARTITIONED_SCHEMA,
        ),
        store,
        BY_DAY,
    )
    store.commit(first.snapshot, BY_DAY, first.rows_by_partition, replace_all=False)
    rerun = [row("PED009", "9.00", 15, 9, "20241015"), row("PED010", "10.00", 15, 10, "20241015")]
    second = write_snapshot(spark.createDataFrame(rerun, PARTITIONED_SCHEMA), store, BY_DAY)
    manifest = store.commit(second.snapshot, BY_DAY, second.rows_by_partition, replace_all=False)

    assert manifest.rows == 3
    expected = sorted([row("PED001", "1.00", 14, 1, "20241014"), *rerun])
    assert collected(read_table(spark, store)) == expected

    # A run that wrote both partitions again and was killed before its commit: unseen.
    write_snapshot(
        spark.createDataFrame(
            [row("PED666", "6.00", 14, 6, "20241014"), row("PED667", "6.00", 15, 6, "20241015")],
            PARTITIONED_SCHEMA,
        ),
        store,
        BY_DAY,
    )
    assert collected(read_table(spark, store)) == expected


def test_an_empty_partitioned_frame_gives_zero_rows_and_empties_only_its_partition(spark, store):
    kept = [row("PED001", "1.00", 14, 1, "20241014")]
    first = write_snapshot(
        spark.createDataFrame(
            [*kept, row("PED002", "2.00", 15, 2, "20241015")], PARTITIONED_SCHEMA
        ),
        store,
        BY_DAY,
    )
    store.commit(first.snapshot, BY_DAY, first.rows_by_partition, replace_all=False)

    # An empty partitioned frame gives a snapshot of 0 rows, not an error.
    empty = write_snapshot(spark.createDataFrame([], PARTITIONED_SCHEMA), store, BY_DAY)
    assert empty.rows_by_partition == {}
    assert empty.rows == 0
    assert empty.data.schema == PARTITIONED_SCHEMA
    assert empty.data.count() == 0
    # Spark writes no folder for it: the job names the partition it replaces.
    rows = {**empty.rows_by_partition, "anomesdia=20241015": 0}
    assert rows == {"anomesdia=20241015": 0}
    manifest = store.commit(empty.snapshot, BY_DAY, rows, replace_all=False)

    assert manifest.rows == 1
    assert collected(read_table(spark, store)) == kept


def test_reading_a_committed_table_without_rows_explains_itself(spark, store):
    empty = write_snapshot(spark.createDataFrame([], PARTITIONED_SCHEMA), store, BY_DAY)
    store.commit(
        empty.snapshot,
        BY_DAY,
        {"anomesdia=20241015": 0},
        replace_all=False,
    )
    with pytest.raises(EmptyTableError) as err:
        read_table(spark, store)
    assert str(err.value) == (
        "table importau_bronze.pedidos is committed but holds no rows; load data into its "
        "sources and materialize it again"
    )


def test_reading_a_hundred_load_dates_lists_them_on_the_driver(spark, store):
    """A table keeps a folder per load date; reading 100 of them must not schedule a
    distributed listing (one task per folder, seconds per read of a year of loads). The
    one task left reads a file's schema."""
    days = [f"2024{month:02d}{day:02d}" for month in range(1, 11) for day in range(1, 11)]
    rows = [row(f"P{d}", "1.00", 1, 1, d) for d in days]
    written = write_snapshot(spark.createDataFrame(rows, PARTITIONED_SCHEMA), store, BY_DAY)
    store.commit(written.snapshot, BY_DAY, written.rows_by_partition, replace_all=False)
    tracker = spark.sparkContext.statusTracker()
    group = "read-a-hundred-load-dates"
    spark.sparkContext.setJobGroup(group, "reading 100 load dates")
    try:
        frame = read_table(spark, store)
        stages = [
            tracker.getStageInfo(stage)
            for job in tracker.getJobIdsForGroup(group)
            for stage in tracker.getJobInfo(job).stageIds
        ]
        assert sum(stage.numTasks for stage in stages) <= 1
    finally:
        for key in ("spark.jobGroup.id", "spark.job.description"):
            spark.sparkContext.setLocalProperty(key, None)
    assert frame.count() == 100
