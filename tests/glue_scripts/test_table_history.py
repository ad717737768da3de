"""Time travel and retention of the commit protocol (glue_scripts/lib/tables.py): older versions
read back as they were until `cleanup` expires their Iceberg snapshots, and then the files and
metadata only they used are gone."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from glue_scripts.lib.fs import local_path
from glue_scripts.lib.spark_io import read_files, write_snapshot
from glue_scripts.lib.tables import (
    BUILT_FROM_FILE,
    STATE_PROPERTY,
    PartitionEntry,
    TableNotFoundError,
    TableStore,
)
from tests.glue_scripts.table_files import (
    BY_DAY,
    COLUMNS,
    DAY1,
    DAY2,
    DAY3,
    commit,
    files_with_rows,
    metadata_files,
    registered_files,
    scanned,
    snapshots_on_disk,
    state_files,
    table_dir,
    write,
)


@pytest.fixture
def store(tmp_path: Path) -> TableStore:
    return TableStore(str(tmp_path / "lake"), "importau_bronze", "pedidos")


def written_ago(store: TableStore, snapshot: str, age: timedelta) -> str:
    """Rename a snapshot folder to the id a write started `age` ago would have had."""
    at = datetime.now(UTC) - age
    old = f"{at:%Y%m%dT%H%M%S%f}-{snapshot.rsplit('-', 1)[1]}"
    os.rename(local_path(store.snapshot_uri(snapshot)), local_path(store.snapshot_uri(old)))
    return old


def parquet_files(store: TableStore, snapshot: str, partition: str) -> list[str]:
    folder = local_path(store.data_uri(snapshot, partition))
    return sorted(p.name for p in folder.glob("*.parquet")) if folder.is_dir() else []


# --- time travel ---------------------------------------------------------------------------


def test_an_older_version_reads_back_as_it_was_after_a_partition_replace(spark, store):
    s1 = write(spark, store, ("P1", 1, "20241014"), ("P2", 2, "20241015"))
    first = commit(store, s1)
    s2 = write(spark, store, ("P2", 20, "20241015"), ("P3", 3, "20241016"))
    second = commit(store, s2)

    versions = store.versions()
    assert [(v.version, v.snapshot_id) for v in versions] == [
        (1, first.snapshot_id),
        (2, second.snapshot_id),
    ]
    assert versions[0].partitions == {
        DAY1: PartitionEntry(s1.snapshot, 1),
        DAY2: PartitionEntry(s1.snapshot, 1),
    }
    old_files = files_with_rows(store, s1.snapshot, DAY1) + files_with_rows(
        store, s1.snapshot, DAY2
    )
    assert store.data_uris(versions[0]) == sorted(old_files)
    assert store.data_uris(versions[0], [DAY2]) == files_with_rows(store, s1.snapshot, DAY2)
    assert store.data_uris(versions[1], [DAY2]) == files_with_rows(store, s2.snapshot, DAY2)
    old_rows = [("P1", 1, "20241014"), ("P2", 2, "20241015")]
    assert scanned(store, first.snapshot_id) == old_rows
    assert scanned(store) == [("P1", 1, "20241014"), ("P2", 20, "20241015"), ("P3", 3, "20241016")]
    frame = read_files(spark, store, store.data_uris(versions[0]))
    assert sorted(tuple(r) for r in frame.select("pedido_id", "valor", "anomesdia").collect()) == (
        old_rows
    )


def test_a_version_past_retention_cannot_be_read(spark, store):
    first = commit(store, write(spark, store, ("P1", 1, "20241014")))
    commit(store, write(spark, store, ("P1", 2, "20241014")))
    store.cleanup(keep_versions=1)
    with pytest.raises(TableNotFoundError) as err:
        store.data_uris(first)
    assert str(err.value) == (
        "version 1 of importau_bronze.pedidos is past retention (LAKEHOUSE_KEEP_VERSIONS); "
        "read a newer one"
    )
    assert [v.version for v in store.versions()] == [2]


# --- retention -----------------------------------------------------------------------------


@pytest.mark.faults
def test_cleanup_expires_old_versions_with_the_files_and_metadata_only_they_used(spark, store):
    writes = []
    for n in (1, 2, 3):
        written = write(spark, store, (f"P{n}", n, "x"), partition_by=())
        commit(store, written, (), replace_all=True)
        writes.append(written.snapshot)
    s1, s2, s3 = writes
    newer = write(spark, store, ("P4", 4, "x"), partition_by=())  # about to commit

    assert store.cleanup(keep_versions=1) == [s1, s2]

    assert snapshots_on_disk(store) == [s3, newer.snapshot]
    table = store.iceberg_table()
    current = table.current_snapshot()
    assert [s.snapshot_id for s in table.snapshots()] == [current.snapshot_id]
    assert [v.version for v in store.versions()] == [3]
    # The manifest lists, manifests and state files of the expired snapshots are gone.
    assert metadata_files(store, "snap-*.avro") == [Path(current.manifest_list).name]
    manifests = {Path(m.manifest_path).name for m in current.manifests(table.io)}
    assert set(metadata_files(store, "*-m*.avro")) == manifests
    assert state_files(store) == [Path(current.summary[STATE_PROPERTY]).name]
    assert store.current_data_uris() == files_with_rows(store, s3)
    assert scanned(store) == [("P3", 3, "x")]
    # The next commit still builds on the kept version.
    assert commit(store, newer, (), replace_all=True).version == 4
    assert scanned(store) == [("P4", 4, "x")]


@pytest.mark.faults
def test_cleanup_keeps_reads_working_when_writes_held_files_of_no_rows(spark, store):
    """Spark writes a file for each empty task of an unpartitioned write: Iceberg registers it
    like any other, so retention must not delete it while a kept version holds it."""
    for n in (1, 2, 3):
        frame = spark.createDataFrame([(f"P{n}", n, "x")], COLUMNS).repartition(2)
        written = write_snapshot(frame, store, ())
        commit(store, written, (), replace_all=True)
    store.cleanup(keep_versions=1)
    assert all(local_path(uri).is_file() for uri in registered_files(store))
    assert scanned(store) == [("P3", 3, "x")]


def test_cleanup_keeps_every_file_of_the_kept_versions(spark, store):
    s1 = write(spark, store, ("P1", 1, "20241014"), ("P2", 2, "20241015"))
    commit(store, s1)
    s2 = write(spark, store, ("P2", 3, "20241015"))
    commit(store, s2)
    s3 = write(spark, store, ("P2", 4, "20241015"))
    commit(store, s3)
    s1_files = parquet_files(store, s1.snapshot, DAY1)

    # s1 still holds DAY1 of the current version; s2 is referenced by version 2, which is kept.
    assert store.cleanup(keep_versions=2) == []
    assert snapshots_on_disk(store) == [s1.snapshot, s2.snapshot, s3.snapshot]
    assert [v.version for v in store.versions()] == [2, 3]
    assert scanned(store, store.versions()[0].snapshot_id) == [
        ("P1", 1, "20241014"),
        ("P2", 3, "20241015"),
    ]

    assert store.cleanup(keep_versions=1) == [s2.snapshot]
    assert snapshots_on_disk(store) == [s1.snapshot, s3.snapshot]
    # The replaced partition's files of s1 go; its partition still current stays.
    assert parquet_files(store, s1.snapshot, DAY2) == []
    assert parquet_files(store, s1.snapshot, DAY1) == s1_files
    assert store.current_data_uris() == sorted(
        files_with_rows(store, s1.snapshot, DAY1) + files_with_rows(store, s3.snapshot, DAY2)
    )
    assert scanned(store) == [("P1", 1, "20241014"), ("P2", 4, "20241015")]


def test_cleanup_keeps_the_records_of_a_commit_that_replaced_no_partition(spark, store):
    s1 = write(spark, store, ("P1", 1, "20241014"))
    commit(store, s1)
    # A run with nothing to rewrite still records what it was built from.
    nothing = write(spark, store)
    store.commit(
        nothing.snapshot,
        BY_DAY,
        {},
        replace_all=False,
        records={BUILT_FROM_FILE: {"inputs": {"pedidos": 7}}},
    )

    assert store.cleanup(keep_versions=1) == [nothing.snapshot]
    assert store.last_record(BUILT_FROM_FILE)[1] == {"inputs": {"pedidos": 7}}
    assert store.current().partitions == {DAY1: PartitionEntry(s1.snapshot, 1)}
    assert scanned(store) == [("P1", 1, "20241014")]


@pytest.mark.faults
def test_cleanup_spares_the_snapshot_of_a_concurrent_writer_still_running(spark, store):
    # Writers A and B start on different partitions; B commits and cleans up first.
    base = write(spark, store, ("P1", 1, "20241014"))
    commit(store, base)
    a = write(spark, store, ("P2", 2, "20241015"))
    b = write(spark, store, ("P3", 3, "20241016"))
    commit(store, b)

    assert store.cleanup(keep_versions=1) == []
    assert snapshots_on_disk(store) == [base.snapshot, a.snapshot, b.snapshot]

    commit(store, a)
    assert all(local_path(uri).is_file() for uri in store.current_data_uris())
    assert scanned(store) == [("P1", 1, "20241014"), ("P2", 2, "20241015"), ("P3", 3, "20241016")]


@pytest.mark.faults
def test_cleanup_deletes_uncommitted_snapshots_once_they_are_old(spark, store):
    # A killed run (or rejected data) older than the grace period is garbage; a recent one
    # may still be committing.
    abandoned = written_ago(
        store, write(spark, store, ("P0", 0, "20241014")).snapshot, timedelta(days=3)
    )
    committed = write(spark, store, ("P1", 1, "20241014"))
    commit(store, committed)
    recent = write(spark, store, ("P2", 2, "20241014")).snapshot

    assert store.cleanup(keep_versions=1, uncommitted_grace=timedelta(days=2)) == [abandoned]
    assert snapshots_on_disk(store) == [committed.snapshot, recent]
    assert store.cleanup(keep_versions=1, uncommitted_grace=timedelta(0)) == [recent]
    assert snapshots_on_disk(store) == [committed.snapshot]
    assert scanned(store) == [("P1", 1, "20241014")]


def test_cleanup_with_more_versions_kept_than_exist_deletes_nothing(spark, store):
    s1 = write(spark, store, ("P1", 1, "x"), partition_by=())
    commit(store, s1, (), replace_all=True)
    s2 = write(spark, store, ("P2", 2, "x"), partition_by=())
    commit(store, s2, (), replace_all=True)
    states = state_files(store)
    assert store.cleanup(keep_versions=5) == []
    assert snapshots_on_disk(store) == [s1.snapshot, s2.snapshot]
    assert [v.version for v in store.versions()] == [1, 2]
    assert state_files(store) == states


def test_cleanup_without_expiry_keeps_every_version(spark, store):
    """A write-once table's versions are its history: none is expired."""
    writes = [
        write(spark, store, ("P1", 1, "20241014")),
        write(spark, store, ("P2", 2, "20241015")),
        write(spark, store, ("P3", 3, "20241016")),
    ]
    versions = [commit(store, w, write_once=True) for w in writes]

    assert store.cleanup(keep_versions=1, expire=False) == []

    assert [v.snapshot_id for v in store.versions()] == [v.snapshot_id for v in versions]
    assert snapshots_on_disk(store) == [w.snapshot for w in writes]
    assert len(state_files(store)) == 3
    assert scanned(store, versions[0].snapshot_id) == [("P1", 1, "20241014")]
    assert scanned(store) == [("P1", 1, "20241014"), ("P2", 2, "20241015"), ("P3", 3, "20241016")]
    assert store.current().partitions == {
        DAY1: PartitionEntry(writes[0].snapshot, 1),
        DAY2: PartitionEntry(writes[1].snapshot, 1),
        DAY3: PartitionEntry(writes[2].snapshot, 1),
    }


def test_cleanup_before_the_first_commit_deletes_nothing(spark, store):
    written = write(spark, store, ("P1", 1, "20241014"))
    assert store.cleanup(keep_versions=1, uncommitted_grace=timedelta(0)) == []
    assert [p.name for p in table_dir(store).iterdir()] == [f"snapshot={written.snapshot}"]
