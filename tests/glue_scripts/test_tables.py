"""The commit protocol (glue_scripts/lib/tables.py): snapshot folders + manifest log."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from glue_scripts.lib.fs import normalize_root
from glue_scripts.lib.tables import (
    MANIFEST_DIR,
    UNPARTITIONED,
    CommitConflictError,
    PartitionEntry,
    TableNotFoundError,
    TableStore,
    TableVersion,
    new_snapshot_id,
    partition_name,
)

BY_DAY = ("anomesdia",)
DAY1, DAY2, DAY3 = "anomesdia=20241014", "anomesdia=20241015", "anomesdia=20241016"


@pytest.fixture
def store(tmp_path: Path) -> TableStore:
    return TableStore(str(tmp_path / "lake"), "importau_bronze", "pedidos")


def table_dir(store: TableStore) -> Path:
    return Path(store.location.removeprefix("file://"))


def snapshot_id(minutes_ago: float) -> str:
    """A snapshot id as `new_snapshot_id` makes it, taken `minutes_ago` minutes ago."""
    at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return f"{at:%Y%m%dT%H%M%S%f}-{int(minutes_ago * 1000) % 10**8:08d}"


def write_files(store: TableStore, snapshot: str, *partitions: str) -> None:
    """Stand-in for Spark writing a snapshot folder (the protocol never reads the files)."""
    base = table_dir(store) / f"snapshot={snapshot}"
    for partition in partitions or (UNPARTITIONED,):
        folder = base / partition if partition else base
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "part-00000.parquet").write_bytes(b"PAR1")


def snapshots_on_disk(store: TableStore) -> list[str]:
    return sorted(
        p.name.split("=", 1)[1] for p in table_dir(store).iterdir() if p.name.startswith("snap")
    )


def manifests_on_disk(store: TableStore) -> list[str]:
    return sorted(p.name for p in (table_dir(store) / MANIFEST_DIR).iterdir())


# --- layout ------------------------------------------------------------------------------


def test_layout_of_a_table(store, tmp_path):
    root = normalize_root(str(tmp_path / "lake"))
    assert store.qualified_name == "importau_bronze.pedidos"
    assert store.location == f"{root}/importau_bronze/pedidos"
    assert store.snapshot_uri("s1") == f"{root}/importau_bronze/pedidos/snapshot=s1"
    assert store.data_uri("s1") == f"{root}/importau_bronze/pedidos/snapshot=s1"
    assert store.data_uri("s1", DAY2) == (
        f"{root}/importau_bronze/pedidos/snapshot=s1/anomesdia=20241015"
    )


def test_partition_name():
    assert partition_name(("anomesdia",), ("20241015",)) == "anomesdia=20241015"
    assert partition_name(("a", "b"), ("1", "x")) == "a=1/b=x"
    assert partition_name((), ()) == UNPARTITIONED
    with pytest.raises(ValueError):
        partition_name(("a", "b"), ("1",))


def test_snapshot_ids_are_unique_and_sort_by_time():
    before = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}"
    ids = [new_snapshot_id() for _ in range(200)]
    after = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}~"
    assert len(set(ids)) == 200
    assert all(before <= i <= after for i in ids)


def test_manifest_json_round_trip():
    manifest = TableVersion(
        version=3,
        partition_by=BY_DAY,
        partitions={DAY1: PartitionEntry("s1", 4), DAY2: PartitionEntry("s2", 0)},
        committed_at="2024-10-15T10:00:00+00:00",
        run_id="run-1",
        history=("s1", "s2"),
    )
    assert TableVersion.from_json(manifest.to_json()) == manifest
    assert manifest.rows == 4


# --- before the first commit ---------------------------------------------------------------


def test_nothing_is_readable_before_the_first_commit(store):
    assert store.current() is None
    with pytest.raises(TableNotFoundError) as err:
        store.require_current()
    assert str(err.value) == (
        f"table importau_bronze.pedidos has no committed data under {store.location}; "
        "materialize it first (e.g. `lakehouse run`)"
    )
    with pytest.raises(TableNotFoundError):
        store.current_data_uris()
    assert store.cleanup() == []


@pytest.mark.faults
def test_a_written_but_uncommitted_first_snapshot_is_not_readable(store):
    write_files(store, snapshot_id(1))
    assert store.current() is None
    with pytest.raises(TableNotFoundError):
        store.current_data_uris()


# --- unpartitioned tables ------------------------------------------------------------------


def test_commit_of_an_unpartitioned_table_replaces_it(store):
    first = store.commit("s1", (), {UNPARTITIONED: 30}, replace_all=True, run_id="r1")
    assert first.version == 1
    assert first.partitions == {UNPARTITIONED: PartitionEntry("s1", 30)}
    assert first.rows == 30
    assert store.current_data_uris() == [store.snapshot_uri("s1")]

    second = store.commit("s2", (), {UNPARTITIONED: 28}, replace_all=True, run_id="r2")
    assert second.version == 2
    assert second.partitions == {UNPARTITIONED: PartitionEntry("s2", 28)}
    assert second.history == ("s1", "s2")
    assert store.current() == second
    assert store.current().run_id == "r2"
    assert store.current_data_uris() == [store.snapshot_uri("s2")]
    assert manifests_on_disk(store) == ["v000000000001.json", "v000000000002.json"]


def test_manifest_file_content(store):
    store.commit("s1", BY_DAY, {DAY2: 30}, replace_all=False, run_id="r1")
    body = json.loads((table_dir(store) / MANIFEST_DIR / "v000000000001.json").read_text())
    assert body["version"] == 1
    assert body["partition_by"] == ["anomesdia"]
    assert body["partitions"] == {DAY2: {"snapshot": "s1", "rows": 30}}
    assert body["run_id"] == "r1"
    assert body["history"] == ["s1"]


def test_an_empty_unpartitioned_commit_has_no_data_folder(store):
    store.commit("s1", (), {UNPARTITIONED: 30}, replace_all=True)
    store.commit("s2", (), {UNPARTITIONED: 0}, replace_all=True)
    assert store.current().rows == 0
    assert store.current_data_uris() == []


# --- partitioned tables (dynamic partition overwrite) --------------------------------------


def test_commit_of_a_partitioned_table_replaces_only_the_partitions_written(store):
    store.commit("s1", BY_DAY, {DAY1: 10, DAY2: 20}, replace_all=False)
    manifest = store.commit("s2", BY_DAY, {DAY2: 25, DAY3: 5}, replace_all=False)

    assert manifest.version == 2
    assert manifest.partitions == {
        DAY1: PartitionEntry("s1", 10),
        DAY2: PartitionEntry("s2", 25),
        DAY3: PartitionEntry("s2", 5),
    }
    assert manifest.rows == 40
    assert store.current_data_uris() == [
        store.data_uri("s1", DAY1),
        store.data_uri("s2", DAY2),
        store.data_uri("s2", DAY3),
    ]


def test_partitions_with_zero_rows_are_committed_but_not_listed(store):
    store.commit("s1", BY_DAY, {DAY1: 10, DAY2: 20}, replace_all=False)
    # A re-run of DAY2 that produced no rows: the old rows of DAY2 must go away.
    manifest = store.commit("s2", BY_DAY, {DAY2: 0}, replace_all=False)
    assert manifest.partitions[DAY2] == PartitionEntry("s2", 0)
    assert manifest.rows == 10
    assert store.current_data_uris() == [store.data_uri("s1", DAY1)]


def test_replace_all_drops_partitions_not_written(store):
    store.commit("s1", BY_DAY, {DAY1: 10, DAY2: 20}, replace_all=False)
    manifest = store.commit("s2", BY_DAY, {DAY3: 7}, replace_all=True)
    assert manifest.partitions == {DAY3: PartitionEntry("s2", 7)}
    assert store.current_data_uris() == [store.data_uri("s2", DAY3)]


def test_changing_partition_columns_is_refused(store):
    store.commit("s1", BY_DAY, {DAY1: 10}, replace_all=False)
    with pytest.raises(ValueError) as err:
        store.commit("s2", ("ano", "mes"), {"ano=2024/mes=10": 10}, replace_all=False)
    assert str(err.value) == (
        "importau_bronze.pedidos is partitioned by ['anomesdia'] but this write uses "
        "['ano', 'mes']; a change of partitioning needs a new table or a rebuild that "
        "replaces every partition"
    )
    # The refused commit left the table as it was.
    assert store.current().version == 1
    assert manifests_on_disk(store) == ["v000000000001.json"]


def test_a_rebuild_may_change_the_partition_columns(store):
    store.commit("s1", (), {UNPARTITIONED: 10}, replace_all=True)
    manifest = store.commit("s2", BY_DAY, {DAY1: 4, DAY2: 6}, replace_all=True)
    assert manifest.partition_by == BY_DAY
    assert manifest.partitions == {DAY1: PartitionEntry("s2", 4), DAY2: PartitionEntry("s2", 6)}


# --- killed runs and concurrent writers ----------------------------------------------------


@pytest.mark.faults
def test_a_snapshot_written_but_never_committed_leaves_current_unchanged(store):
    old = snapshot_id(10)
    write_files(store, old, DAY1)
    committed = store.commit(old, BY_DAY, {DAY1: 10}, replace_all=False)
    # A run writes DAY1 again and is killed before its commit.
    write_files(store, snapshot_id(1), DAY1)

    assert store.current() == committed
    assert store.current_data_uris() == [store.data_uri(old, DAY1)]


def test_the_manifest_log_ignores_foreign_files(store):
    store.commit("s1", BY_DAY, {DAY1: 10}, replace_all=False)
    manifest_dir = table_dir(store) / MANIFEST_DIR
    (manifest_dir / ".v000000000002.json.1234.tmp").write_text("{half a manif")
    (manifest_dir / "notes.txt").write_text("hello")
    assert store.current().version == 1
    assert store.commit("s2", BY_DAY, {DAY2: 1}, replace_all=False).version == 2


@pytest.mark.faults
def test_a_commit_after_losing_a_race_is_based_on_the_winner(store):
    store.commit("s1", BY_DAY, {DAY1: 10}, replace_all=False)
    # Another writer commits v2 between our read of v1 and our exclusive create of v2.
    original_current = store.current
    calls = []

    def current_then_lose_the_race():
        manifest = original_current()
        if not calls:
            other = TableStore(store.root, store.database, store.table)
            other.commit("s_other", BY_DAY, {DAY3: 3}, replace_all=False)
        calls.append(manifest.version)
        return manifest

    store.current = current_then_lose_the_race
    manifest = store.commit("s2", BY_DAY, {DAY2: 20}, replace_all=False)

    assert calls == [1, 2]
    assert manifest.version == 3
    assert manifest.partitions == {
        DAY1: PartitionEntry("s1", 10),
        DAY2: PartitionEntry("s2", 20),
        DAY3: PartitionEntry("s_other", 3),
    }
    assert manifest.history == ("s1", "s_other", "s2")


@pytest.mark.faults
def test_concurrent_writers_of_different_partitions_all_land(store):
    writers = 6
    days = [f"anomesdia=202410{d:02d}" for d in range(1, writers + 1)]
    barrier = threading.Barrier(writers)
    results: dict[str, int] = {}
    errors: list[BaseException] = []

    def write(day: str, snapshot: str) -> None:
        # Each writer has its own TableStore, as each job run does.
        own = TableStore(store.root, store.database, store.table)
        barrier.wait()
        try:
            results[snapshot] = own.commit(snapshot, BY_DAY, {day: 1}, replace_all=False).version
        except BaseException as err:  # collected: the test asserts there is none
            errors.append(err)

    threads = [threading.Thread(target=write, args=(day, f"s{i}")) for i, day in enumerate(days)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(results.values()) == list(range(1, writers + 1))
    current = store.current()
    assert current.version == writers
    assert current.partitions == {day: PartitionEntry(f"s{i}", 1) for i, day in enumerate(days)}
    assert sorted(current.history) == sorted(f"s{i}" for i in range(writers))
    assert manifests_on_disk(store) == [f"v{v:012d}.json" for v in range(1, writers + 1)]
    # Every version holds the partitions of all earlier versions: no commit was lost.
    for version in range(1, writers + 1):
        text = (table_dir(store) / MANIFEST_DIR / f"v{version:012d}.json").read_text()
        assert len(TableVersion.from_json(text).partitions) == version


@pytest.mark.faults
def test_commit_gives_up_with_a_clear_error_when_it_always_loses(store, monkeypatch):
    store.commit("s1", BY_DAY, {DAY1: 10}, replace_all=False)
    monkeypatch.setattr(store._fs, "create_exclusive", lambda uri, text: False)
    monkeypatch.setattr("glue_scripts.lib.tables.time.sleep", lambda seconds: None)
    with pytest.raises(CommitConflictError) as err:
        store.commit("s2", BY_DAY, {DAY2: 1}, replace_all=False, attempts=3)
    assert str(err.value) == (
        "could not commit importau_bronze.pedidos after 3 attempts: other runs keep "
        "committing to it; retry when they are done"
    )
    assert store.current().version == 1


# --- retention -----------------------------------------------------------------------------


@pytest.mark.faults
def test_cleanup_deletes_replaced_snapshots_and_old_manifests_only(store):
    s1, s2, s3, s4 = snapshot_id(40), snapshot_id(30), snapshot_id(20), snapshot_id(1)
    for snapshot in (s1, s2, s3):
        write_files(store, snapshot)
        store.commit(snapshot, (), {UNPARTITIONED: 5}, replace_all=True)
    write_files(store, s4)  # a newer write, about to commit

    assert store.cleanup(keep_versions=1) == [s1, s2]

    assert snapshots_on_disk(store) == [s3, s4]
    assert manifests_on_disk(store) == ["v000000000003.json"]
    assert store.current().version == 3
    assert store.current_data_uris() == [store.snapshot_uri(s3)]
    # The next commit still follows the log.
    assert store.commit(s4, (), {UNPARTITIONED: 5}, replace_all=True).version == 4


def test_cleanup_keeps_every_snapshot_of_the_kept_versions(store):
    s1, s2, s3 = snapshot_id(30), snapshot_id(20), snapshot_id(10)
    write_files(store, s1, DAY1, DAY2)
    store.commit(s1, BY_DAY, {DAY1: 1, DAY2: 2}, replace_all=False)
    write_files(store, s2, DAY2)
    store.commit(s2, BY_DAY, {DAY2: 3}, replace_all=False)
    write_files(store, s3, DAY2)
    store.commit(s3, BY_DAY, {DAY2: 4}, replace_all=False)

    # s1 still holds DAY1 of the current version; s2 is referenced by v2, which is kept.
    assert store.cleanup(keep_versions=2) == []
    assert snapshots_on_disk(store) == [s1, s2, s3]
    assert manifests_on_disk(store) == ["v000000000002.json", "v000000000003.json"]

    assert store.cleanup(keep_versions=1) == [s2]
    assert snapshots_on_disk(store) == [s1, s3]
    assert manifests_on_disk(store) == ["v000000000003.json"]
    assert store.current_data_uris() == [store.data_uri(s1, DAY1), store.data_uri(s3, DAY2)]


def test_cleanup_keeps_the_records_of_a_commit_that_replaced_no_partition(store):
    s1, s2 = snapshot_id(20), snapshot_id(10)
    write_files(store, s1, DAY1)
    store.commit(s1, BY_DAY, {DAY1: 1}, replace_all=False)
    # A run with nothing to rewrite still records what it was built from.
    store.write_record(s2, "_built_from.json", {"inputs": {"pedidos": 7}})
    store.commit(s2, BY_DAY, {}, replace_all=False)

    assert store.cleanup(keep_versions=1) == []
    assert store.last_record("_built_from.json")[1] == {"inputs": {"pedidos": 7}}


@pytest.mark.faults
def test_cleanup_spares_the_snapshot_of_a_concurrent_writer_still_running(store):
    # Writers A and B start on different partitions; B commits and cleans up first.
    base, a, b = snapshot_id(30), snapshot_id(5), snapshot_id(4)
    write_files(store, base, DAY1)
    store.commit(base, BY_DAY, {DAY1: 1}, replace_all=False)
    write_files(store, a, DAY2)
    write_files(store, b, DAY3)
    store.commit(b, BY_DAY, {DAY3: 3}, replace_all=False)

    assert store.cleanup(keep_versions=1) == []
    assert snapshots_on_disk(store) == [base, a, b]

    store.commit(a, BY_DAY, {DAY2: 2}, replace_all=False)
    data = [Path(uri.removeprefix("file://")) for uri in store.current_data_uris()]
    assert [p.is_dir() for p in data] == [True, True, True]


@pytest.mark.faults
def test_cleanup_deletes_uncommitted_snapshots_once_they_are_old(store):
    # A killed run (or rejected data) older than the grace period is garbage; a recent one
    # may still be committing.
    abandoned, committed, recent = snapshot_id(3 * 24 * 60), snapshot_id(60), snapshot_id(5)
    write_files(store, abandoned, DAY1)
    write_files(store, committed, DAY1)
    store.commit(committed, BY_DAY, {DAY1: 1}, replace_all=False)
    write_files(store, recent, DAY1)

    assert store.cleanup(keep_versions=1, uncommitted_grace=timedelta(days=2)) == [abandoned]
    assert snapshots_on_disk(store) == [committed, recent]
    assert store.cleanup(keep_versions=1, uncommitted_grace=timedelta(minutes=1)) == [recent]
    assert snapshots_on_disk(store) == [committed]


def test_cleanup_with_more_versions_kept_than_exist_deletes_nothing(store):
    s1, s2 = snapshot_id(20), snapshot_id(10)
    for snapshot in (s1, s2):
        write_files(store, snapshot)
        store.commit(snapshot, (), {UNPARTITIONED: 1}, replace_all=True)
    assert store.cleanup(keep_versions=5) == []
    assert snapshots_on_disk(store) == [s1, s2]
    assert manifests_on_disk(store) == ["v000000000001.json", "v000000000002.json"]


# --- watermarks of extracted loads -----------------------------------------------------------


def test_a_watermark_is_committed_with_its_load_and_read_back_by_later_loads(store):
    assert store.watermark_before("anomesdia=20240110") is None
    store.commit(
        "s1",
        ("anomesdia",),
        {"anomesdia=20240110": 5},
        replace_all=False,
        watermarks={"anomesdia=20240110": "2020-12-31"},
    )
    store.commit(
        "s2",
        ("anomesdia",),
        {"anomesdia=20240111": 2},
        replace_all=False,
        watermarks={"anomesdia=20240111": "2021-01-03"},
    )
    assert store.current().partitions["anomesdia=20240110"].watermark == "2020-12-31"
    # A later day starts where the latest earlier load left off.
    assert store.watermark_before("anomesdia=20240112") == "2021-01-03"
    # A re-run of a day starts where the day before left off, not where it left off itself.
    assert store.watermark_before("anomesdia=20240111") == "2020-12-31"
    assert store.watermark_before("anomesdia=20240110") is None


def test_a_load_without_a_watermark_leaves_the_earlier_one_in_force(store):
    store.commit(
        "s1",
        ("anomesdia",),
        {"anomesdia=20240110": 5},
        replace_all=False,
        watermarks={"anomesdia=20240110": "2020-12-31"},
    )
    store.commit("s2", ("anomesdia",), {"anomesdia=20240111": 0}, replace_all=False)
    assert store.watermark_before("anomesdia=20240112") == "2020-12-31"


def test_the_manifest_omits_an_unset_watermark_and_keeps_a_set_one(store):
    store.commit(
        "s1",
        ("anomesdia",),
        {"anomesdia=20240110": 1},
        replace_all=False,
        watermarks={"anomesdia=20240110": "7"},
    )
    store.commit("s2", ("anomesdia",), {"anomesdia=20240111": 1}, replace_all=False)
    body = json.loads(store.current().to_json())
    assert body["partitions"]["anomesdia=20240110"]["watermark"] == "7"
    assert "watermark" not in body["partitions"]["anomesdia=20240111"]
    assert TableVersion.from_json(store.current().to_json()) == store.current()


def test_a_watermark_covers_every_partition_of_its_load(store):
    # A bronze table partitioned by event day, then load day: one load, several partitions.
    by = ("dia", "anomesdia")
    written = {"dia=2024-01-01/anomesdia=20240110": 2, "dia=2024-01-02/anomesdia=20240110": 1}
    store.commit("s1", by, written, replace_all=False, watermarks={"anomesdia=20240110": "99"})
    entries = store.current().partitions
    assert {n: e.watermark for n, e in entries.items()} == {n: "99" for n in written}
    assert store.watermark_before("anomesdia=20240111") == "99"
    assert store.watermark_before("anomesdia=20240110") is None
