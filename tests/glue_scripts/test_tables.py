"""The commit protocol (glue_scripts/lib/tables.py): snapshot folders Spark writes, published by
Iceberg commits through the catalog of the storage root, read back as any engine reads them."""

from __future__ import annotations

import datetime as dt
import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyiceberg.table.snapshots import Operation
from pyiceberg.typedef import Record
from pyiceberg.types import DateType, TimestamptzType

from glue_scripts.lib.fs import join, local_path, normalize_root
from glue_scripts.lib.iceberg_catalog import local_catalog_uri
from glue_scripts.lib.spark_io import read_table, write_snapshot
from glue_scripts.lib.tables import (
    BUILT_FROM_FILE,
    METADATA_DIR,
    STATE_PROPERTY,
    UNPARTITIONED,
    CommitConflictError,
    PartitionEntry,
    TableNotFoundError,
    TableStore,
    TableVersion,
    WriteOnceError,
    matches,
    new_snapshot_id,
    partition_name,
)
from tests.glue_scripts.table_files import (
    BY_DAY,
    COLUMNS,
    DAY1,
    DAY2,
    DAY3,
    commit,
    files_with_rows,
    lose_the_race_once,
    query,
    registered_files,
    scanned,
    state_files,
    write,
)

EVENT_COLUMNS = "pedido_id string, valor int, dia string, anomesdia string"
EVENT_LAYOUT = ("dia", "anomesdia")


@pytest.fixture
def store(tmp_path: Path) -> TableStore:
    return TableStore(str(tmp_path / "lake"), "importau_bronze", "pedidos")


def other_run(store: TableStore) -> TableStore:
    """The same table as another job run sees it (a store of its own)."""
    return TableStore(store.root, store.database, store.table)


def summary(store: TableStore) -> dict[str, str]:
    return store.iceberg_table().current_snapshot().summary.additional_properties


# --- layout ------------------------------------------------------------------------------


def test_layout_of_a_table(store, tmp_path):
    root = normalize_root(str(tmp_path / "lake"))
    table = f"{root}/importau_bronze/pedidos"
    assert store.qualified_name == "importau_bronze.pedidos"
    assert store.location == table
    assert store.snapshot_uri("s1") == f"{table}/snapshot=s1"
    assert store.data_uri("s1") == f"{table}/snapshot=s1"
    assert store.data_uri("s1", DAY2) == f"{table}/snapshot=s1/anomesdia=20241015"
    assert store.partition_of(f"{table}/snapshot=s1/anomesdia=20241015/part-0.parquet") == DAY2
    assert store.partition_of(f"{table}/snapshot=s1/part-0.parquet") == UNPARTITIONED
    # Spark escapes characters such as `:` in folder names; the partition name holds the value.
    assert store.partition_of(f"{table}/snapshot=s1/dia=2024-01-01 10%3A00/a=x/part-0.parquet") == (
        "dia=2024-01-01 10:00/a=x"
    )


def test_partition_name():
    assert partition_name(("anomesdia",), ("20241015",)) == "anomesdia=20241015"
    assert partition_name(("a", "b"), ("1", "x")) == "a=1/b=x"
    assert partition_name((), ()) == UNPARTITIONED
    with pytest.raises(ValueError):
        partition_name(("a", "b"), ("1",))


def test_selectors_match_partitions_by_some_of_their_values():
    name = "dia=2024-01-01/anomesdia=L1"
    assert matches(name, [{"anomesdia": "L1"}])
    assert matches(name, [{"anomesdia": "L2"}, {"dia": "2024-01-01", "anomesdia": "L1"}])
    assert matches(name, [{}])
    assert not matches(name, [{"anomesdia": "L2"}])
    assert not matches(name, [])


def test_snapshot_ids_are_unique_and_sort_by_time():
    before = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}"
    ids = [new_snapshot_id() for _ in range(200)]
    after = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}~"
    assert len(set(ids)) == 200
    assert all(before <= i <= after for i in ids)


def test_state_json_round_trip():
    version = TableVersion(
        version=3,
        partition_by=BY_DAY,
        partitions={
            DAY1: PartitionEntry("s1", 4, fingerprint="f1", watermark="w1"),
            DAY2: PartitionEntry("s2", 0),
        },
        committed_at="2024-10-15T10:00:00+00:00",
        run_id="run-1",
        history=("s1", "s2"),
        records={BUILT_FROM_FILE: {"inputs": {"a.b": 7}}},
        snapshot_id=99,
        metadata_location="file:///lake/t/metadata/00002.metadata.json",
    )
    body = json.loads(version.state_json())
    # The version number, snapshot and metadata file are Iceberg's, not the state's.
    assert body == {
        "partition_by": ["anomesdia"],
        "partitions": {
            DAY1: {"snapshot": "s1", "rows": 4, "fingerprint": "f1", "watermark": "w1"},
            DAY2: {"snapshot": "s2", "rows": 0},
        },
        "committed_at": "2024-10-15T10:00:00+00:00",
        "run_id": "run-1",
        "history": ["s1", "s2"],
        "records": {BUILT_FROM_FILE: {"inputs": {"a.b": 7}}},
    }
    parsed = TableVersion.from_state(
        version.state_json(), 3, 99, "file:///lake/t/metadata/00002.metadata.json"
    )
    assert parsed == version
    assert version.rows == 4


# --- before the first commit ---------------------------------------------------------------


def test_nothing_is_readable_before_the_first_commit(store):
    assert store.current() is None
    assert store.iceberg_table() is None
    assert store.metadata_location() is None
    assert store.versions() == []
    with pytest.raises(TableNotFoundError) as err:
        store.require_current()
    assert str(err.value) == (
        f"table importau_bronze.pedidos has no committed data under {store.location}; "
        "materialize it first (e.g. `lakehouse run`)"
    )
    with pytest.raises(TableNotFoundError):
        store.current_data_uris()
    assert store.cleanup() == []
    assert store.watermark_before(DAY2) is None
    assert store.last_record(BUILT_FROM_FILE) is None


@pytest.mark.faults
def test_a_first_write_never_committed_is_not_readable(spark, store):
    """A killed job: its files are written, its commit never happened."""
    write(spark, store, ("P1", 1, "20241014"))
    assert store.current() is None
    assert store.metadata_location() is None
    with pytest.raises(TableNotFoundError):
        store.current_data_uris()


# --- unpartitioned tables ------------------------------------------------------------------


def test_commit_of_an_unpartitioned_table_replaces_it(spark, store):
    s1 = write(spark, store, ("P1", 1, "x"), ("P2", 2, "x"), partition_by=())
    first = commit(store, s1, (), replace_all=True, run_id="r1")
    assert first.version == 1
    assert first.partitions == {UNPARTITIONED: PartitionEntry(s1.snapshot, 2)}
    assert first.rows == 2
    assert first.history == (s1.snapshot,)
    assert store.current_data_uris() == files_with_rows(store, s1.snapshot)
    assert scanned(store) == [("P1", 1, "x"), ("P2", 2, "x")]

    s2 = write(spark, store, ("P3", 3, "y"), partition_by=())
    second = commit(store, s2, (), replace_all=True, run_id="r2")
    assert second.version == 2
    assert second.partitions == {UNPARTITIONED: PartitionEntry(s2.snapshot, 1)}
    assert second.history == (s1.snapshot, s2.snapshot)
    assert store.current() == second
    assert store.current().run_id == "r2"
    assert second.metadata_location == store.metadata_location()
    assert store.current_data_uris() == files_with_rows(store, s2.snapshot)
    assert scanned(store) == [("P3", 3, "y")]
    lakehouse = {k: v for k, v in summary(store).items() if k.startswith("lakehouse.")}
    assert lakehouse == {
        STATE_PROPERTY: lakehouse[STATE_PROPERTY],
        "lakehouse.write-id": s2.snapshot,
        "lakehouse.run-id": "r2",
    }
    assert [(v.version, v.snapshot_id) for v in store.versions()] == [
        (1, first.snapshot_id),
        (2, second.snapshot_id),
    ]
    # The catalog that serializes the commits of a local root is a SQLite file under it.
    assert local_path(local_catalog_uri(store.root)).is_file()


def test_a_version_state_is_a_file_its_snapshot_names(spark, store):
    written = write(spark, store, ("P1", 1, "20241015"))
    version = commit(store, written, run_id="r1", records={"note": {"a": 1}})
    state = summary(store)[STATE_PROPERTY]
    assert state.startswith(join(store.location, METADATA_DIR, "lakehouse-state-"))
    assert state_files(store) == [state.rsplit("/", 1)[1]]
    body = json.loads(local_path(state).read_text())
    assert body == {
        "partition_by": ["anomesdia"],
        "partitions": {DAY2: {"snapshot": written.snapshot, "rows": 1}},
        "committed_at": version.committed_at,
        "run_id": "r1",
        "history": [written.snapshot],
        "records": {"note": {"a": 1}},
    }


def test_an_unpartitioned_commit_of_no_rows_lists_no_data_file(spark, store):
    commit(store, write(spark, store, ("P1", 1, "x"), partition_by=()), (), replace_all=True)
    empty = write(spark, store, partition_by=())
    assert empty.rows_by_partition == {UNPARTITIONED: 0}
    version = commit(store, empty, (), replace_all=True)
    assert version.rows == 0
    assert version.partitions == {UNPARTITIONED: PartitionEntry(empty.snapshot, 0)}
    assert store.current_data_uris() == []
    assert scanned(store) == []


def test_a_replacing_commit_drops_the_files_of_no_rows_too(spark, store):
    """Spark writes a file for each empty task of an unpartitioned write: a replacing commit
    must drop those as well, or they pile up in every later version."""
    for n in (1, 2, 3):
        frame = spark.createDataFrame([(f"P{n}", n, "x")], COLUMNS).repartition(2)
        written = write_snapshot(frame, store, ())
        commit(store, written, (), replace_all=True)
    folder = local_path(store.snapshot_uri(written.snapshot))
    on_disk = [f"{store.snapshot_uri(written.snapshot)}/{p.name}" for p in folder.glob("part-*")]
    by_rows = sorted(on_disk, key=lambda uri: pq.read_metadata(local_path(uri)).num_rows)
    assert [pq.read_metadata(local_path(uri)).num_rows for uri in by_rows] == [0, 1]
    assert registered_files(store) == sorted(on_disk)
    assert store.current_data_uris() == by_rows[1:]
    assert scanned(store) == [("P3", 3, "x")]


# --- partitioned tables (dynamic partition overwrite) --------------------------------------


def test_commit_of_a_partitioned_table_replaces_only_the_partitions_written(spark, store):
    s1 = write(spark, store, ("P1", 1, "20241014"), ("P2", 2, "20241015"), ("P3", 3, "20241015"))
    first = commit(store, s1)
    assert first.partitions == {
        DAY1: PartitionEntry(s1.snapshot, 1),
        DAY2: PartitionEntry(s1.snapshot, 2),
    }
    s2 = write(spark, store, ("P2", 20, "20241015"), ("P4", 4, "20241016"))
    version = commit(store, s2)

    assert version.version == 2
    assert version.partitions == {
        DAY1: PartitionEntry(s1.snapshot, 1),
        DAY2: PartitionEntry(s2.snapshot, 1),
        DAY3: PartitionEntry(s2.snapshot, 1),
    }
    assert version.rows == 3
    assert store.current_data_uris() == sorted(
        files_with_rows(store, s1.snapshot, DAY1)
        + files_with_rows(store, s2.snapshot, DAY2)
        + files_with_rows(store, s2.snapshot, DAY3)
    )
    assert store.current_data_uris([DAY2]) == files_with_rows(store, s2.snapshot, DAY2)
    assert scanned(store) == [("P1", 1, "20241014"), ("P2", 20, "20241015"), ("P4", 4, "20241016")]
    # New partitions only: an append; a replaced partition: an overwrite of its files.
    operations = [s.summary.operation for s in store.iceberg_table().snapshots()]
    assert operations == [Operation.APPEND, Operation.OVERWRITE]


def test_an_append_of_new_partitions_keeps_every_committed_file(spark, store):
    s1 = write(spark, store, ("P1", 1, "20241014"))
    commit(store, s1)
    s2 = write(spark, store, ("P2", 2, "20241015"))
    version = commit(store, s2)
    assert version.partitions == {
        DAY1: PartitionEntry(s1.snapshot, 1),
        DAY2: PartitionEntry(s2.snapshot, 1),
    }
    assert store.current_data_uris() == sorted(
        files_with_rows(store, s1.snapshot, DAY1) + files_with_rows(store, s2.snapshot, DAY2)
    )
    assert scanned(store) == [("P1", 1, "20241014"), ("P2", 2, "20241015")]


def test_partitions_with_zero_rows_are_committed_but_not_listed(spark, store):
    s1 = write(spark, store, ("P1", 1, "20241014"), ("P2", 2, "20241015"))
    commit(store, s1)
    # A re-run of DAY2 that produced no rows: the old rows of DAY2 must go away.
    empty = write(spark, store)
    assert empty.rows_by_partition == {}
    version = store.commit(empty.snapshot, BY_DAY, {DAY2: 0}, replace_all=False)
    assert version.partitions == {
        DAY1: PartitionEntry(s1.snapshot, 1),
        DAY2: PartitionEntry(empty.snapshot, 0),
    }
    assert version.rows == 1
    assert store.current_data_uris() == files_with_rows(store, s1.snapshot, DAY1)
    assert scanned(store) == [("P1", 1, "20241014")]


def test_replace_all_drops_partitions_not_written(spark, store):
    commit(store, write(spark, store, ("P1", 1, "20241014"), ("P2", 2, "20241015")))
    s2 = write(spark, store, ("P3", 3, "20241016"))
    version = commit(store, s2, replace_all=True)
    assert version.partitions == {DAY3: PartitionEntry(s2.snapshot, 1)}
    assert store.current_data_uris() == files_with_rows(store, s2.snapshot, DAY3)
    assert scanned(store) == [("P3", 3, "20241016")]


def test_replace_matching_replaces_every_partition_of_a_load_and_nothing_else(spark, store):
    def event_write(*rows):
        return write(spark, store, *rows, partition_by=EVENT_LAYOUT, columns=EVENT_COLUMNS)

    def p(day: str, load: str) -> str:
        return f"dia={day}/anomesdia={load}"

    s1 = event_write(("P1", 1, "01", "L1"), ("P2", 2, "02", "L1"))
    commit(store, s1, EVENT_LAYOUT)
    # A later load brings a late event of day 01: it is added beside the first load's rows.
    s2 = event_write(("P3", 3, "01", "L2"))
    commit(store, s2, EVENT_LAYOUT)
    # The first load re-loaded, corrected: its event of day 02 is gone, it has one of day 03.
    s3 = event_write(("P1", 10, "01", "L1"), ("P4", 4, "03", "L1"))
    version = commit(store, s3, EVENT_LAYOUT, replace_matching=[{"anomesdia": "L1"}])
    assert version.partitions == {
        p("01", "L1"): PartitionEntry(s3.snapshot, 1),
        p("01", "L2"): PartitionEntry(s2.snapshot, 1),
        p("03", "L1"): PartitionEntry(s3.snapshot, 1),
    }
    assert store.current_data_uris() == sorted(
        files_with_rows(store, s3.snapshot, p("01", "L1"))
        + files_with_rows(store, s2.snapshot, p("01", "L2"))
        + files_with_rows(store, s3.snapshot, p("03", "L1"))
    )
    assert query(store, "SELECT pedido_id, valor, dia, anomesdia FROM t ORDER BY ALL") == [
        ("P1", 10, "01", "L1"),
        ("P3", 3, "01", "L2"),
        ("P4", 4, "03", "L1"),
    ]


def test_changing_partition_columns_is_refused(spark, store):
    committed = commit(store, write(spark, store, ("P1", 1, "20241014")))
    with pytest.raises(ValueError) as err:
        store.commit("s2", ("ano", "mes"), {"ano=2024/mes=10": 10}, replace_all=False)
    assert str(err.value) == (
        "importau_bronze.pedidos is partitioned by ['anomesdia'] but this write uses "
        "['ano', 'mes']; a change of partitioning needs a new table or a rebuild that "
        "replaces every partition"
    )
    # The refused commit left the table as it was.
    assert store.current() == committed
    assert store.metadata_location() == committed.metadata_location
    assert len(state_files(store)) == 1


def test_a_rebuild_may_change_the_partition_columns(spark, store):
    commit(store, write(spark, store, ("P1", 1, "20241014"), partition_by=()), (), replace_all=True)
    s2 = write(spark, store, ("P1", 1, "20241014"), ("P2", 2, "20241015"))
    version = commit(store, s2, replace_all=True)
    assert version.partition_by == BY_DAY
    assert version.partitions == {
        DAY1: PartitionEntry(s2.snapshot, 1),
        DAY2: PartitionEntry(s2.snapshot, 1),
    }
    table = store.iceberg_table()
    assert [table.schema().find_column_name(f.source_id) for f in table.spec().fields] == [
        "anomesdia"
    ]
    assert store.current_data_uris() == sorted(
        files_with_rows(store, s2.snapshot, DAY1) + files_with_rows(store, s2.snapshot, DAY2)
    )
    assert scanned(store) == [("P1", 1, "20241014"), ("P2", 2, "20241015")]


# --- what engines read: partition values and types -----------------------------------------


def test_a_commit_given_no_schema_takes_it_from_a_file_under_a_root_with_a_space(spark, tmp_path):
    store = TableStore(str(tmp_path / "my lake"), "importau_bronze", "pedidos")
    written = write(spark, store, ("P1", 1, "20241014"))
    store.commit(written.snapshot, BY_DAY, written.rows_by_partition, replace_all=False)

    fields = store.iceberg_table().schema().fields
    assert [(f.name, str(f.field_type)) for f in fields] == [
        ("pedido_id", "string"),
        ("valor", "int"),
        ("anomesdia", "string"),
    ]
    assert scanned(store) == [("P1", 1, "20241014")]


def test_a_date_partition_column_is_a_date_for_every_engine(spark, store):
    rows = [("P1", dt.date(2024, 1, 1)), ("P2", dt.date(2024, 1, 2)), ("P3", dt.date(2024, 1, 2))]
    written = write(
        spark, store, *rows, partition_by=("dia",), columns="pedido_id string, dia date"
    )
    assert written.rows_by_partition == {"dia=2024-01-01": 1, "dia=2024-01-02": 2}
    version = commit(store, written, ("dia",))
    assert version.partitions == {
        "dia=2024-01-01": PartitionEntry(written.snapshot, 1),
        "dia=2024-01-02": PartitionEntry(written.snapshot, 2),
    }
    table = store.iceberg_table()
    assert isinstance(table.schema().find_field("dia").field_type, DateType)
    # Iceberg holds a date partition value as days since 1970-01-01.
    assert sorted(
        (store.partition_of(t.file.file_path), t.file.partition) for t in table.scan().plan_files()
    ) == [("dia=2024-01-01", Record(19723)), ("dia=2024-01-02", Record(19724))]
    assert query(store, "SELECT pedido_id, dia FROM t ORDER BY ALL") == rows
    assert query(store, "SELECT pedido_id FROM t WHERE dia = DATE '2024-01-02' ORDER BY 1") == [
        ("P2",),
        ("P3",),
    ]


def test_timestamps_round_trip_through_iceberg(spark, store):
    paid = [dt.datetime(2024, 1, 1, 10, 0, 0, 123456), dt.datetime(1999, 12, 31, 23, 59, 59), None]
    rows = [(f"P{i}", value, "20241015") for i, value in enumerate(paid)]
    columns = "pedido_id string, pago_em timestamp, anomesdia string"
    written = write(spark, store, *rows, columns=columns)
    commit(store, written)
    # Iceberg reads timestamps as 64-bit microseconds, not Spark's default INT96.
    for file in files_with_rows(store, written.snapshot, DAY2):
        stored = pq.read_schema(local_path(file)).field("pago_em").type
        assert stored == pa.timestamp("us", tz="UTC")
    field = store.iceberg_table().schema().find_field("pago_em")
    assert isinstance(field.field_type, TimestamptzType)
    # The Spark session's time zone is UTC: a Spark timestamp is that instant in UTC.
    expected = [(f"P{i}", None if v is None else v.replace(tzinfo=UTC)) for i, v in enumerate(paid)]
    assert query(store, "SELECT pedido_id, pago_em FROM t ORDER BY 1") == expected
    read_back = sorted((r.pedido_id, r.pago_em) for r in read_table(spark, store).collect())
    assert read_back == [(f"P{i}", v) for i, v in enumerate(paid)]


# --- killed runs and concurrent writers ----------------------------------------------------


@pytest.mark.faults
def test_a_write_never_committed_changes_nothing_a_reader_sees(spark, store):
    s1 = write(spark, store, ("P1", 1, "20241014"))
    committed = commit(store, s1)
    location = store.metadata_location()
    # A run writes DAY1 again, and a new DAY2, and is killed before its commit.
    write(spark, store, ("P1", 99, "20241014"), ("P2", 2, "20241015"))

    assert store.current() == committed
    assert store.metadata_location() == location
    assert store.current_data_uris() == files_with_rows(store, s1.snapshot, DAY1)
    assert scanned(store) == [("P1", 1, "20241014")]
    assert [v.snapshot_id for v in store.versions()] == [committed.snapshot_id]


@pytest.mark.faults
def test_running_a_commit_again_changes_no_content(spark, store):
    """A commit retried after it went through (its answer lost) publishes the same rows."""
    written = write(spark, store, ("P1", 1, "20241014"), ("P2", 2, "20241015"))
    first = commit(store, written)
    again = commit(store, written)
    assert again.version == 2
    assert again.partitions == first.partitions
    assert store.current_data_uris() == sorted(
        files_with_rows(store, written.snapshot, DAY1)
        + files_with_rows(store, written.snapshot, DAY2)
    )
    assert registered_files(store) == store.current_data_uris()
    assert scanned(store) == [("P1", 1, "20241014"), ("P2", 2, "20241015")]

    whole = TableStore(store.root, store.database, "totais")
    total = write(spark, whole, ("T", 3, "x"), partition_by=())
    commit(whole, total, (), replace_all=True)
    commit(whole, total, (), replace_all=True)
    assert whole.current_data_uris() == files_with_rows(whole, total.snapshot)
    assert scanned(whole) == [("T", 3, "x")]


@pytest.mark.faults
def test_a_commit_after_losing_a_race_is_based_on_the_winner(spark, store, monkeypatch):
    s1 = write(spark, store, ("P1", 1, "20241014"))
    commit(store, s1)
    theirs = write(spark, store, ("P3", 3, "20241016"))
    ours = write(spark, store, ("P2", 2, "20241015"))
    loads = lose_the_race_once(monkeypatch, store, lambda: commit(other_run(store), theirs))

    version = commit(store, ours)

    assert loads == [1, 2]
    assert version.version == 3
    assert version.partitions == {
        DAY1: PartitionEntry(s1.snapshot, 1),
        DAY2: PartitionEntry(ours.snapshot, 1),
        DAY3: PartitionEntry(theirs.snapshot, 1),
    }
    assert version.history == (s1.snapshot, theirs.snapshot, ours.snapshot)
    assert scanned(store) == [("P1", 1, "20241014"), ("P2", 2, "20241015"), ("P3", 3, "20241016")]
    # The attempt that lost left no state file behind.
    assert len(state_files(store)) == 3


@pytest.mark.faults
def test_a_conflicting_concurrent_commit_is_refused_and_changes_nothing(spark, store, monkeypatch):
    commit(store, write(spark, store, ("P1", 1, "20241014")))
    theirs = write(spark, store, ("P2", 20, "20241015"))
    ours = write(spark, store, ("P2", 2, "20241015"), ("P3", 3, "20241016"))
    winner: list[TableVersion] = []
    lose_the_race_once(monkeypatch, store, lambda: winner.append(commit(other_run(store), theirs)))

    with pytest.raises(CommitConflictError) as err:
        commit(store, ours)

    assert str(err.value) == (
        "another run committed importau_bronze.pedidos while this one was committing, and "
        "changed the partitions this write replaces (['anomesdia=20241015']); nothing was "
        "changed by this run: run it again to replace them with what it computes now"
    )
    assert store.current() == winner[0]
    assert store.metadata_location() == winner[0].metadata_location
    assert scanned(store) == [("P1", 1, "20241014"), ("P2", 20, "20241015")]
    assert len(state_files(store)) == 2


@pytest.mark.faults
def test_concurrent_writers_of_different_partitions_all_land(spark, store):
    writers = 6
    days = [f"2024100{d}" for d in range(1, writers + 1)]
    written = [write(spark, store, (f"P{i}", i, day)) for i, day in enumerate(days)]
    barrier = threading.Barrier(writers)
    versions: list[int] = []
    errors: list[BaseException] = []

    def run(snapshot) -> None:
        # Each writer has its own TableStore, as each job run does.
        own = other_run(store)
        barrier.wait()
        try:
            versions.append(commit(own, snapshot).version)
        except BaseException as err:  # collected: the test asserts there is none
            errors.append(err)

    threads = [threading.Thread(target=run, args=(w,)) for w in written]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(versions) == list(range(1, writers + 1))
    current = store.current()
    assert current.version == writers
    assert current.partitions == {
        f"anomesdia={day}": PartitionEntry(w.snapshot, 1)
        for day, w in zip(days, written, strict=True)
    }
    assert sorted(current.history) == sorted(w.snapshot for w in written)
    # Every version holds the partitions of all earlier versions: no commit was lost.
    assert [len(v.partitions) for v in store.versions()] == list(range(1, writers + 1))
    assert scanned(store) == [(f"P{i}", i, day) for i, day in enumerate(days)]


@pytest.mark.faults
def test_commit_gives_up_with_a_clear_error_when_it_always_loses(spark, store, monkeypatch):
    commit(store, write(spark, store, ("P1", 1, "20241014")))
    stale = store.iceberg_table()
    winner = commit(other_run(store), write(spark, store, ("P3", 3, "20241016")))
    ours = write(spark, store, ("P2", 2, "20241015"))
    # Every load this run makes is outdated by another run's commit before it commits.
    monkeypatch.setattr(store, "iceberg_table", lambda: stale)
    monkeypatch.setattr("glue_scripts.lib.tables.time.sleep", lambda seconds: None)
    with pytest.raises(CommitConflictError) as err:
        commit(store, ours, attempts=3)
    assert str(err.value) == (
        "could not commit importau_bronze.pedidos after 3 attempts: other runs keep "
        "committing to it; retry when they are done"
    )
    assert other_run(store).current() == winner
    assert len(state_files(store)) == 2


def test_a_snapshot_the_lakehouse_did_not_commit_is_not_read(spark, store):
    commit(store, write(spark, store, ("P1", 1, "20241014")))
    # Another engine appends to the table without the lakehouse's state.
    arrow = pa.table({"pedido_id": ["P9"], "valor": pa.array([9], pa.int32())})
    store.iceberg_table().append(arrow.append_column("anomesdia", pa.array(["20241015"])))
    snapshot = store.iceberg_table().current_snapshot().snapshot_id
    with pytest.raises(TableNotFoundError) as err:
        store.current()
    assert str(err.value) == (
        f"snapshot {snapshot} of importau_bronze.pedidos was committed by another engine, not "
        "by the lakehouse (its summary has no lakehouse.state); commit the table again through "
        "`lakehouse run`"
    )


def test_a_version_whose_state_file_is_gone_is_not_read(spark, store):
    version = commit(store, write(spark, store, ("P1", 1, "20241014")))
    state = summary(store)[STATE_PROPERTY]
    local_path(state).unlink()
    with pytest.raises(TableNotFoundError) as err:
        store.current()
    assert str(err.value) == (
        f"the state file {state} of snapshot {version.snapshot_id} of importau_bronze.pedidos "
        "is gone; restore the table's metadata folder, or commit the table again through "
        "`lakehouse run`"
    )


# --- write-once tables ---------------------------------------------------------------------


def test_a_refused_write_once_commit_changes_nothing_a_reader_sees(spark, store):
    s1 = write(spark, store, ("P1", 1, "20241014"))
    committed = commit(store, s1, write_once=True)
    again = write(spark, store, ("P1", 99, "20241014"), ("P2", 2, "20241015"))
    with pytest.raises(WriteOnceError) as err:
        commit(store, again, write_once=True)
    assert str(err.value) == (
        "importau_bronze.pedidos is written once per partition and already holds "
        "['anomesdia=20241014']; another run published them first. Nothing was changed: "
        "run again to publish the partitions that are still missing"
    )
    assert store.current() == committed
    assert store.current_data_uris() == files_with_rows(store, s1.snapshot, DAY1)
    assert scanned(store) == [("P1", 1, "20241014")]
    assert len(state_files(store)) == 1


# --- watermarks of extracted loads -----------------------------------------------------------


def test_a_watermark_is_committed_with_its_load_and_read_back_by_later_loads(store):
    assert store.watermark_before("anomesdia=20240110") is None
    store.commit(
        "s1",
        BY_DAY,
        {"anomesdia=20240110": 5},
        replace_all=False,
        watermarks={"anomesdia=20240110": "2020-12-31"},
    )
    assert summary(store)["lakehouse.watermark.anomesdia=20240110"] == "2020-12-31"
    store.commit(
        "s2",
        BY_DAY,
        {"anomesdia=20240111": 2},
        replace_all=False,
        watermarks={"anomesdia=20240111": "2021-01-03"},
    )
    # The snapshot summary names the watermark of the load it committed.
    assert {k: v for k, v in summary(store).items() if k.startswith("lakehouse.watermark.")} == {
        "lakehouse.watermark.anomesdia=20240111": "2021-01-03"
    }
    assert store.current().partitions["anomesdia=20240110"].watermark == "2020-12-31"
    # A later day starts where the latest earlier load left off.
    assert store.watermark_before("anomesdia=20240112") == "2021-01-03"
    # A re-run of a day starts where the day before left off, not where it left off itself.
    assert store.watermark_before("anomesdia=20240111") == "2020-12-31"
    assert store.watermark_before("anomesdia=20240110") is None


def test_a_load_without_a_watermark_leaves_the_earlier_one_in_force(store):
    store.commit(
        "s1",
        BY_DAY,
        {"anomesdia=20240110": 5},
        replace_all=False,
        watermarks={"anomesdia=20240110": "2020-12-31"},
    )
    store.commit("s2", BY_DAY, {"anomesdia=20240111": 0}, replace_all=False)
    assert store.watermark_before("anomesdia=20240112") == "2020-12-31"


def test_the_state_omits_an_unset_watermark_and_keeps_a_set_one(store):
    store.commit(
        "s1",
        BY_DAY,
        {"anomesdia=20240110": 1},
        replace_all=False,
        watermarks={"anomesdia=20240110": "7"},
    )
    store.commit("s2", BY_DAY, {"anomesdia=20240111": 1}, replace_all=False)
    current = store.current()
    body = json.loads(current.state_json())
    assert body["partitions"]["anomesdia=20240110"]["watermark"] == "7"
    assert "watermark" not in body["partitions"]["anomesdia=20240111"]
    assert (
        TableVersion.from_state(
            current.state_json(), current.version, current.snapshot_id, current.metadata_location
        )
        == current
    )


def test_a_watermark_covers_every_partition_of_its_load(store):
    # A bronze table partitioned by event day, then load day: one load, several partitions.
    by = ("dia", "anomesdia")
    written = {"dia=2024-01-01/anomesdia=20240110": 2, "dia=2024-01-02/anomesdia=20240110": 1}
    store.commit("s1", by, written, replace_all=False, watermarks={"anomesdia=20240110": "99"})
    entries = store.current().partitions
    assert {n: e.watermark for n, e in entries.items()} == {n: "99" for n in written}
    assert store.watermark_before("anomesdia=20240111") == "99"
    assert store.watermark_before("anomesdia=20240110") is None


# --- records a job leaves for its next run ---------------------------------------------------


def test_a_record_is_read_back_from_the_last_commit_only(store):
    built_from = {"code": "abc", "inputs": {"importau_bronze.pedidos": {"version": 7}}}
    version = store.commit(
        "s1",
        BY_DAY,
        {DAY1: 1},
        replace_all=False,
        records={BUILT_FROM_FILE: built_from, "listed": [1, 2]},
    )
    assert store.last_record(BUILT_FROM_FILE) == (version, built_from)
    # A record is a JSON object; anything else is no record.
    assert store.last_record("listed") is None
    assert store.last_record("missing") is None
    # The next commit leaves its own records, none here: the old one is not carried over.
    store.commit("s2", BY_DAY, {DAY2: 1}, replace_all=False)
    assert store.last_record(BUILT_FROM_FILE) is None
