"""Write-once partitions and partial partition selectors (glue_scripts/lib/{tables,write_once,
fs}.py): the commit refuses to replace, fingerprints catch changed files, a re-load of one
load date replaces exactly its partitions."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest

from glue_scripts.lib.fs import LocalFileSystem, local_path, normalize_root
from glue_scripts.lib.spark_io import WrittenSnapshot, arrow_schema, write_snapshot
from glue_scripts.lib.tables import (
    STATE_PROPERTY,
    PartitionEntry,
    TableStore,
    WriteOnceError,
    partition_values,
)
from glue_scripts.lib.write_once import (
    history_outcomes,
    selectors_and_partitions,
    without_committed,
)

BY_DAY = ("data_posicao",)
DAY1, DAY2, DAY3 = (f"data_posicao=2024-01-0{d}" for d in (1, 2, 3))
RULE = {"name": "historia_imutavel", "kind": "immutable_partitions", "severity": "ERROR"}


@pytest.fixture
def store(tmp_path: Path) -> TableStore:
    return TableStore(str(tmp_path / "lake"), "vendas_gold", "gmv_diario_por_subsidiaria")


def folder(store: TableStore, snapshot: str, partition: str) -> Path:
    return Path(store.data_uri(snapshot, partition).removeprefix("file://"))


def write_files(store: TableStore, snapshot: str, *partitions: str) -> None:
    """Files in a snapshot folder, never committed: what a fingerprint digests."""
    for partition in partitions:
        target = folder(store, snapshot, partition)
        target.mkdir(parents=True, exist_ok=True)
        (target / "part-00000.parquet").write_bytes(f"PAR1 {partition}".encode())


def write_days(spark, store: TableStore, *days: int) -> WrittenSnapshot:
    """Spark writing one row into each of `days` (of January 2024)."""
    rows = [(dt.date(2024, 1, d), d) for d in days]
    frame = spark.createDataFrame(rows, "data_posicao date, n int")
    return write_snapshot(frame, store, BY_DAY)


def commit_fingerprinted(store: TableStore, written: WrittenSnapshot, rows: dict[str, int]):
    """Commit a write with the fingerprint of each partition it wrote, as `GlueJob` does."""
    prints = {name: store.fingerprint(written.snapshot, name) for name in written.rows_by_partition}
    return store.commit(
        written.snapshot,
        BY_DAY,
        rows,
        replace_all=False,
        fingerprints=prints,
        schema=arrow_schema(written.data),
    )


def test_a_write_once_commit_refuses_to_replace_a_partition(store):
    store.commit("s1", BY_DAY, {DAY1: 3, DAY2: 2}, replace_all=False, write_once=True)
    with pytest.raises(WriteOnceError) as err:
        store.commit("s2", BY_DAY, {DAY2: 5, DAY3: 1}, replace_all=False, write_once=True)
    assert str(err.value) == (
        "vendas_gold.gmv_diario_por_subsidiaria is written once per partition and already "
        "holds ['data_posicao=2024-01-02']; another run published them first. Nothing was "
        "changed: run again to publish the partitions that are still missing"
    )
    assert store.require_current().version == 1
    added = store.commit("s3", BY_DAY, {DAY3: 1}, replace_all=False, write_once=True)
    assert added.partitions == {
        DAY1: PartitionEntry("s1", 3),
        DAY2: PartitionEntry("s1", 2),
        DAY3: PartitionEntry("s3", 1),
    }


def test_fingerprints_are_kept_in_the_state_of_the_partitions_that_have_one(spark, store):
    written = write_days(spark, store, 1)
    fingerprint = store.fingerprint(written.snapshot, DAY1)
    commit_fingerprinted(store, written, {DAY1: 1, DAY2: 0})
    state = store.iceberg_table().current_snapshot().summary[STATE_PROPERTY]
    body = json.loads(local_path(state).read_text())
    assert body["partitions"] == {
        DAY1: {"snapshot": written.snapshot, "rows": 1, "fingerprint": fingerprint},
        DAY2: {"snapshot": written.snapshot, "rows": 0},
    }
    assert store.require_current().partitions[DAY1].fingerprint == fingerprint
    # A fingerprint digests the files of one partition of one write folder.
    files = LocalFileSystem().list_files(store.data_uri(written.snapshot, DAY1))
    digest = hashlib.sha256()
    for name, size, tag in files:
        digest.update(f"{name}\t{size}\t{tag}\n".encode())
    assert fingerprint == digest.hexdigest()


def test_a_fingerprint_changes_with_any_byte_and_any_file(store):
    write_files(store, "s1", DAY1)
    part = folder(store, "s1", DAY1) / "part-00000.parquet"
    first = store.fingerprint("s1", DAY1)
    assert store.fingerprint("s1", DAY1) == first
    part.write_bytes(b"PAR2 data_posicao=2024-01-01")  # same size, other bytes
    second = store.fingerprint("s1", DAY1)
    (part.parent / "part-00001.parquet").write_bytes(b"")
    third = store.fingerprint("s1", DAY1)
    assert len({first, second, third}) == 3


def test_local_files_are_listed_recursively_with_size_and_digest(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "x.parquet").write_bytes(b"xyz")
    (tmp_path / "a" / "y").write_bytes(b"")
    assert LocalFileSystem().list_files(normalize_root(str(tmp_path / "a"))) == [
        ("b/x.parquet", 3, hashlib.sha256(b"xyz").hexdigest()),
        ("y", 0, hashlib.sha256(b"").hexdigest()),
    ]
    assert LocalFileSystem().list_files(normalize_root(str(tmp_path / "none"))) == []


def test_the_history_check_names_the_partitions_whose_files_changed(spark, store):
    first = write_days(spark, store, 1, 2)
    commit_fingerprinted(store, first, first.rows_by_partition)
    store.commit("s2", BY_DAY, {DAY3: 0}, replace_all=False)  # no fingerprint: unverifiable
    (intact,) = history_outcomes([RULE], store, store.current())
    assert (intact.passed, intact.failed) == (True, 0)
    (part,) = folder(store, first.snapshot, DAY2).glob("part-*.parquet")
    part.write_bytes(b"tampered")
    (changed,) = history_outcomes([RULE], store, store.current())
    assert (changed.name, changed.passed, changed.failed) == ("historia_imutavel", False, 1)
    assert changed.metadata == {
        "failed": 1,
        "published_partitions": 3,
        "changed_partitions": {"type": "json", "raw_value": [DAY2]},
        "partitions_without_fingerprint": 1,
    }
    assert history_outcomes([], store, store.current()) == []
    (never,) = history_outcomes([RULE], store, None)
    assert (never.passed, never.metadata["published_partitions"]) == (True, 0)


EVENT_LAYOUT = ("transaction_date", "anomesdia")


def p(day: str, load: str) -> str:
    return f"transaction_date={day}/anomesdia={load}"


def test_a_reload_replaces_every_partition_of_its_load_date_and_nothing_else(store):
    store.commit(
        "s1", EVENT_LAYOUT, {p("2024-01-01", "L1"): 2, p("2024-01-02", "L1"): 1}, replace_all=False
    )
    # A later load brings a late event of 01-01: it is added beside the first load's rows.
    store.commit("s2", EVENT_LAYOUT, {p("2024-01-01", "L2"): 1}, replace_all=False)
    # The first drop re-loaded, corrected: its 01-02 event is gone, it now has one of 01-03.
    manifest = store.commit(
        "s3",
        EVENT_LAYOUT,
        {p("2024-01-01", "L1"): 2, p("2024-01-03", "L1"): 1},
        replace_all=False,
        replace_matching=[{"anomesdia": "L1"}],
    )
    assert manifest.partitions == {
        p("2024-01-01", "L1"): PartitionEntry("s3", 2),
        p("2024-01-01", "L2"): PartitionEntry("s2", 1),
        p("2024-01-03", "L1"): PartitionEntry("s3", 1),
    }
    # An empty re-load of L2 removes its partitions.
    empty = store.commit(
        "s4", EVENT_LAYOUT, {}, replace_all=False, replace_matching=[{"anomesdia": "L2"}]
    )
    assert sorted(empty.partitions) == [p("2024-01-01", "L1"), p("2024-01-03", "L1")]


def test_partition_values_and_selectors():
    assert partition_values(p("2024-01-01", "20240110")) == {
        "transaction_date": "2024-01-01",
        "anomesdia": "20240110",
    }
    partial, complete = selectors_and_partitions(
        [{"anomesdia": "1"}, {"transaction_date": "d", "anomesdia": "2"}], EVENT_LAYOUT
    )
    assert partial == [{"anomesdia": "1"}]
    assert complete == [{"transaction_date": "d", "anomesdia": "2"}]
    with pytest.raises(ValueError, match=r"partitions name columns \['dia'\] that do not"):
        selectors_and_partitions([{"dia": "1"}], EVENT_LAYOUT)


def test_rows_of_committed_partitions_are_dropped(spark):
    frame = spark.createDataFrame(
        [(dt.date(2024, 1, d), d) for d in (1, 2, 2, 3)], "data_posicao date, n int"
    )
    kept = without_committed(frame, BY_DAY, {DAY1, DAY2})
    assert sorted(r.n for r in kept.collect()) == [3]
    assert without_committed(frame, BY_DAY, set()) is frame
