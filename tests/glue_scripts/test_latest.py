"""The incrementally kept current version per key (glue_scripts/lib/latest.py): always the
same rows as `latest_by_key` over every load, whatever happened to the loads."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyspark.sql import functions as F
from pyspark.sql import types as T

from glue_scripts.lib.latest import CONSUMED_FILE, load_week, read_latest, state_store, week_of
from glue_scripts.lib.spark_io import read_table, write_snapshot
from glue_scripts.lib.tables import TableStore, new_snapshot_id
from glue_scripts.lib.transforms import LOAD_ORDER, latest_by_key

KEY = ["pedido_id"]
BY_DAY = ("anomesdia",)
SCHEMA = T.StructType(
    [
        T.StructField("pedido_id", T.StringType()),
        T.StructField("status", T.StringType()),
        T.StructField("ingested_at", T.StringType()),
        T.StructField("source_file", T.StringType()),
        T.StructField("anomesdia", T.StringType()),
    ]
)


@pytest.fixture
def store(tmp_path: Path) -> TableStore:
    return TableStore(str(tmp_path / "lake"), "importau_bronze", "pedidos")


def load(spark, store: TableStore, day: str, ingested_at: str, **status: str) -> None:
    """Commit one load (one `anomesdia` partition), as the bronze job does."""
    load_rows(spark, store, day, ingested_at, *status.items())


def load_rows(spark, store: TableStore, day: str, ingested_at: str, *keyed) -> None:
    """`load` for (key, status) pairs, whose key may be NULL."""
    rows = [(key, value, ingested_at, f"{day}.csv", day) for key, value in keyed]
    written = write_snapshot(spark.createDataFrame(rows, SCHEMA), store, BY_DAY)
    store.commit(written.snapshot, BY_DAY, written.rows_by_partition, replace_all=False)


def latest(spark, store: TableStore, keys=KEY):
    """`read_latest`'s frame and account of how it got it."""
    result = read_latest(spark, store, keys)
    return result.frame, result.how


def rows(frame) -> list[tuple]:
    return sorted(
        (tuple(r[c] for c in ("pedido_id", "status", "anomesdia")) for r in frame.collect()),
        key=lambda row: tuple(value or "" for value in row),
    )


def from_scratch(spark, store) -> list[tuple]:
    return rows(read_table(spark, store).transform(latest_by_key(KEY, LOAD_ORDER)))


def test_one_load_is_read_as_it_is_and_keeps_no_state(spark, store):
    load(spark, store, "20241001", "2024-10-01 06:00:00", P1="NOVO", P2="NOVO")
    frame, how = latest(spark, store, KEY)
    assert how == "one load: read as it is"
    assert rows(frame) == [("P1", "NOVO", "20241001"), ("P2", "NOVO", "20241001")]
    assert state_store(store, KEY, LOAD_ORDER).current() is None


def test_new_loads_merge_into_the_state_and_match_a_recompute(spark, store):
    load(spark, store, "20241001", "2024-10-01 06:00:00", P1="NOVO", P2="NOVO")
    load(spark, store, "20241002", "2024-10-02 06:00:00", P1="PAGO", P3="NOVO")
    frame, how = latest(spark, store, KEY)
    state = state_store(store, KEY, LOAD_ORDER)
    assert how == f"state {state.table} rebuilt from all 2 loads"
    expected = [("P1", "PAGO", "20241002"), ("P2", "NOVO", "20241001"), ("P3", "NOVO", "20241002")]
    assert rows(frame) == expected == from_scratch(spark, store)

    again, how = latest(spark, store, KEY)
    assert how == f"state {state.table} is up to date (2 loads)"
    assert rows(again) == expected
    assert state.current().version == 1  # nothing was rewritten

    load(spark, store, "20241003", "2024-10-03 06:00:00", P2="CANCELADO", P4="NOVO")
    frame, how = latest(spark, store, KEY)
    assert how == f"state {state.table} + 1 new load(s) of 3"
    assert rows(frame) == [
        ("P1", "PAGO", "20241002"),
        ("P2", "CANCELADO", "20241003"),
        ("P3", "NOVO", "20241002"),
        ("P4", "NOVO", "20241003"),
    ]
    assert rows(frame) == from_scratch(spark, store)


def test_an_older_day_loaded_late_does_not_win(spark, store):
    load(spark, store, "20241002", "2024-10-02 06:00:00", P1="PAGO")
    load(spark, store, "20241003", "2024-10-03 06:00:00", P2="NOVO")
    read_latest(spark, store, KEY)
    # Day 1 arrives after days 2 and 3: the newest load date still wins for P1.
    load(spark, store, "20241001", "2024-10-04 06:00:00", P1="NOVO", P5="NOVO")
    frame, how = latest(spark, store, KEY)
    assert how.endswith("+ 1 new load(s) of 3")
    assert rows(frame) == [
        ("P1", "PAGO", "20241002"),
        ("P2", "NOVO", "20241003"),
        ("P5", "NOVO", "20241001"),
    ]
    assert rows(frame) == from_scratch(spark, store)


def remove(spark, store: TableStore, day: str) -> None:
    """Commit an empty partition for `day`, as a load that turned out to be wrong."""
    written = write_snapshot(spark.createDataFrame([], SCHEMA), store, BY_DAY)
    store.commit(written.snapshot, BY_DAY, {f"anomesdia={day}": 0}, replace_all=False)


def state_partitions(store: TableStore) -> dict[str, int]:
    manifest = state_store(store, KEY, LOAD_ORDER).current()
    return {name: entry.rows for name, entry in manifest.partitions.items() if entry.rows}


def changed(result) -> list[tuple]:
    """`Changes.rows` as (key, status before, status after), None for a missing side."""
    if result.changes.rows is None:
        return []

    def status(side):
        return None if side is None else (side["pedido_id"], side["status"])

    return sorted(
        ((status(r["before"]), status(r["after"])) for r in result.changes.rows.collect()),
        key=repr,
    )


def test_a_merge_tells_which_keys_changed_and_a_repeated_row_is_no_change(spark, store):
    load(spark, store, "20241001", "2024-10-01 06:00:00", P1="NOVO", P2="NOVO")
    load(spark, store, "20241002", "2024-10-02 06:00:00", P1="NOVO", P2="NOVO")
    first = read_latest(spark, store, KEY)
    assert first.changes is None  # built from scratch: what changed is not known
    # A full extract: P1 repeated as it was, P2 paid, P3 new.
    load(spark, store, "20241003", "2024-10-03 06:00:00", P1="NOVO", P2="PAGO", P3="NOVO")
    second = read_latest(spark, store, KEY)
    assert second.changes.since == first.version != second.version
    assert changed(second) == [(("P2", "NOVO"), ("P2", "PAGO")), (None, ("P3", "NOVO"))]

    again = read_latest(spark, store, KEY)
    assert (again.changes.since, again.changes.rows) == (second.version, None)

    remove(spark, store, "20241003")
    third = read_latest(spark, store, KEY)
    assert third.changes.since == second.version
    assert changed(third) == [(("P2", "PAGO"), ("P2", "NOVO")), (("P3", "NOVO"), None)]


def test_a_reloaded_day_that_was_consumed_is_merged_again(spark, store):
    load(spark, store, "20241001", "2024-10-01 06:00:00", P1="NOVO", P2="NOVO")
    load(spark, store, "20241002", "2024-10-02 06:00:00", P1="PAGO", P3="NOVO")
    read_latest(spark, store, KEY)
    # Day 2 is loaded again with corrected data: P3 was never there, P1 is still open.
    load(spark, store, "20241002", "2024-10-05 06:00:00", P1="PENDENTE")
    frame, how = latest(spark, store, KEY)
    assert how.endswith("+ 1 new load(s), 1 replaced or removed of 2")
    assert rows(frame) == [("P1", "PENDENTE", "20241002"), ("P2", "NOVO", "20241001")]
    assert rows(frame) == from_scratch(spark, store)


def test_a_removed_day_brings_back_the_older_versions_it_had_superseded(spark, store):
    # One load a week: each lands in a state partition of its own.
    load(spark, store, "20240924", "2024-09-24 06:00:00", P1="NOVO", P2="NOVO", P4="NOVO")
    load(spark, store, "20241001", "2024-10-01 06:00:00", P1="PAGO", P3="NOVO")
    load(spark, store, "20241008", "2024-10-08 06:00:00", P5="NOVO")
    read_latest(spark, store, KEY)
    remove(spark, store, "20241001")
    frame, how = latest(spark, store, KEY)
    assert how.endswith("+ 0 new load(s), 1 replaced or removed of 2")
    # P1's first version comes back beside P2 and P4, which its week's partition kept.
    assert rows(frame) == [
        ("P1", "NOVO", "20240924"),
        ("P2", "NOVO", "20240924"),
        ("P4", "NOVO", "20240924"),
        ("P5", "NOVO", "20241008"),
    ]
    assert rows(frame) == from_scratch(spark, store)
    assert state_partitions(store) == {"load_week=20240923": 3, "load_week=20241007": 1}


def test_a_full_extract_empties_last_weeks_state_partition(spark, store):
    """Master data arrives whole every day: the state keeps only the current week's
    partition, so a new day rewrites at most two partitions, however many days bronze
    keeps."""
    for day in ("20241004", "20241005", "20241006"):  # Friday to Sunday
        load(spark, store, day, f"{day[:4]}-{day[4:6]}-{day[6:]} 06:00:00", P1=day, P2=day)
        frame, _ = latest(spark, store, KEY)
        assert rows(frame) == from_scratch(spark, store)
    assert state_partitions(store) == {"load_week=20240930": 2}
    before = state_store(store, KEY, LOAD_ORDER).current().partitions
    load(spark, store, "20241007", "2024-10-07 06:00:00", P1="20241007", P2="20241007")
    read_latest(spark, store, KEY)
    after = state_store(store, KEY, LOAD_ORDER).current().partitions
    touched = {n for n in after if before.get(n) != after[n]}
    assert touched == {"load_week=20240930", "load_week=20241007"}
    assert state_partitions(store) == {"load_week=20241007": 2}


@pytest.mark.parametrize(
    "load",
    [
        "20241007",
        "20241013",
        "20241006",
        "20240101",
        "20241231",
        "20240229",
        "20241399",
        "2024101",
        "batch-17",
        "",
    ],
)
def test_the_week_of_a_load_is_the_same_on_the_driver_and_in_spark(spark, load):
    """The merge names the partitions it rewrites on the driver and writes rows to them in
    Spark: both must give a load the same week (a value that is no date is its own)."""
    in_spark = spark.createDataFrame([(load,)], "anomesdia string").select(
        week_of(F.col("anomesdia")).alias("w")
    )
    assert in_spark.first()["w"] == load_week(load)
    if load in ("20241007", "20241013"):
        assert load_week(load) == "20241007"  # Monday to Sunday
    if load in ("20241399", "2024101", "batch-17", ""):
        assert load_week(load) == load


def test_a_null_key_is_one_key_like_in_a_recompute(spark, store):
    load_rows(spark, store, "20241001", "2024-10-01 06:00:00", (None, "NOVO"))
    load(spark, store, "20241002", "2024-10-02 06:00:00", P1="NOVO")
    read_latest(spark, store, KEY)
    load_rows(spark, store, "20241003", "2024-10-03 06:00:00", (None, "PAGO"))
    frame, how = latest(spark, store, KEY)
    assert how.endswith("+ 1 new load(s) of 3")
    assert rows(frame) == [(None, "PAGO", "20241003"), ("P1", "NOVO", "20241002")]
    assert rows(frame) == from_scratch(spark, store)


@pytest.mark.parametrize("record", [None, '{"anomesdia=2024'], ids=["missing", "not an object"])
def test_a_state_without_a_readable_record_of_consumed_loads_is_rebuilt(spark, store, record):
    """A state whose last commit has no record of consumed loads (a commit that left none, a
    state from before the record existed) is never trusted."""
    load(spark, store, "20241001", "2024-10-01 06:00:00", P1="NOVO")
    load(spark, store, "20241002", "2024-10-02 06:00:00", P1="PAGO")
    read_latest(spark, store, KEY)
    state = state_store(store, KEY, LOAD_ORDER)
    kept = state.require_current()
    # A state version that changes no partition and records no readable consumed loads.
    records = None if record is None else {CONSUMED_FILE: record}
    state.commit(new_snapshot_id(), kept.partition_by, {}, replace_all=False, records=records)
    assert state.current().partitions == kept.partitions
    assert state.last_record(CONSUMED_FILE) is None
    load(spark, store, "20241003", "2024-10-03 06:00:00", P2="NOVO")
    frame, how = latest(spark, store, KEY)
    assert how.endswith("rebuilt from all 3 loads")
    assert rows(frame) == from_scratch(spark, store)


def test_each_key_and_order_has_its_own_state(spark, store):
    load(spark, store, "20241001", "2024-10-01 06:00:00", P1="NOVO")
    load(spark, store, "20241002", "2024-10-02 06:00:00", P1="PAGO")
    by_status, _ = latest(spark, store, ["status"])
    by_key, _ = latest(spark, store, KEY)
    assert rows(by_status) == [("P1", "NOVO", "20241001"), ("P1", "PAGO", "20241002")]
    assert rows(by_key) == [("P1", "PAGO", "20241002")]
    assert state_store(store, ["status"], LOAD_ORDER).location != (
        state_store(store, KEY, LOAD_ORDER).location
    )


def test_a_source_partitioned_by_event_day_and_load_is_kept_by_load_week(spark, tmp_path):
    """An event source (partitioned by event day, then load date): a key's newer version
    may belong to another event day. The state keeps rows by the week of their load, the
    event day as a column."""
    events = TableStore(str(tmp_path / "lake"), "vendas_bronze", "eventos")
    layout = ("dia", "anomesdia")
    schema = T.StructType([*SCHEMA.fields[:-1], T.StructField("dia", T.StringType()), SCHEMA[-1]])

    def commit(day: str, ingested_at: str, *rows: tuple[str, str, str]) -> None:
        data = [(key, status, ingested_at, f"{day}.csv", dia, day) for key, status, dia in rows]
        written = write_snapshot(spark.createDataFrame(data, schema), events, layout)
        events.commit(written.snapshot, layout, written.rows_by_partition, replace_all=False)

    commit(
        "20241001", "2024-10-01 06:00:00", ("P1", "NOVO", "20240930"), ("P2", "NOVO", "20241001")
    )
    # One load over two event days: a key is unique within a load, nothing to merge.
    assert latest(spark, events, KEY)[1] == "one load: read as it is"
    commit("20241002", "2024-10-02 06:00:00", ("P3", "NOVO", "20241002"))
    read_latest(spark, events, KEY)
    commit("20241003", "2024-10-03 06:00:00", ("P1", "PAGO", "20241003"))
    frame, how = latest(spark, events, KEY)
    assert how.endswith("+ 1 new load(s) of 3")
    expected = read_table(spark, events).transform(latest_by_key(KEY, LOAD_ORDER))
    assert (
        rows(frame)
        == rows(expected)
        == [
            ("P1", "PAGO", "20241003"),
            ("P2", "NOVO", "20241001"),
            ("P3", "NOVO", "20241002"),
        ]
    )
    state = state_store(events, KEY, LOAD_ORDER, layout).current()
    assert state.partition_by == ("load_week",)
    assert {n: e.rows for n, e in state.partitions.items() if e.rows} == {"load_week=20240930": 3}


def test_a_source_column_named_like_the_state_partition_is_refused(spark, store):
    """The state's partition column would replace the source's column of that name."""
    schema = T.StructType(
        [*SCHEMA.fields[:-1], T.StructField("load_week", T.StringType()), SCHEMA[-1]]
    )
    for day in ("20241001", "20241002"):
        rows = [("P1", "NOVO", f"{day} 06:00:00", f"{day}.csv", "w1", day)]
        written = write_snapshot(spark.createDataFrame(rows, schema), store, BY_DAY)
        store.commit(written.snapshot, BY_DAY, written.rows_by_partition, replace_all=False)
    with pytest.raises(ValueError, match="has a column named load_week.*rename that column"):
        read_latest(spark, store, KEY)
