"""The incrementally kept current version per key (glue_scripts/lib/latest.py): always the
same rows as `latest_by_key` over every load, whatever happened to the loads."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyspark.sql import types as T

from glue_scripts.lib.latest import read_latest, state_store
from glue_scripts.lib.spark_io import read_table, write_snapshot
from glue_scripts.lib.tables import TableStore
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
    rows = [(key, value, ingested_at, f"{day}.csv", day) for key, value in status.items()]
    written = write_snapshot(spark.createDataFrame(rows, SCHEMA), store, BY_DAY)
    store.commit(written.snapshot, BY_DAY, written.rows_by_partition, replace_all=False)


def rows(frame) -> list[tuple]:
    return sorted(
        tuple(r[c] for c in ("pedido_id", "status", "anomesdia")) for r in frame.collect()
    )


def from_scratch(spark, store) -> list[tuple]:
    return rows(read_table(spark, store).transform(latest_by_key(KEY, LOAD_ORDER)))


def test_one_load_is_read_as_it_is_and_keeps_no_state(spark, store):
    load(spark, store, "20241001", "2024-10-01 06:00:00", P1="NOVO", P2="NOVO")
    frame, how = read_latest(spark, store, KEY)
    assert how == "one load: read as it is"
    assert rows(frame) == [("P1", "NOVO", "20241001"), ("P2", "NOVO", "20241001")]
    assert state_store(store, KEY, LOAD_ORDER).current() is None


def test_new_loads_merge_into_the_state_and_match_a_recompute(spark, store):
    load(spark, store, "20241001", "2024-10-01 06:00:00", P1="NOVO", P2="NOVO")
    load(spark, store, "20241002", "2024-10-02 06:00:00", P1="PAGO", P3="NOVO")
    frame, how = read_latest(spark, store, KEY)
    state = state_store(store, KEY, LOAD_ORDER)
    assert how == f"state {state.table} rebuilt from all 2 loads"
    expected = [("P1", "PAGO", "20241002"), ("P2", "NOVO", "20241001"), ("P3", "NOVO", "20241002")]
    assert rows(frame) == expected == from_scratch(spark, store)

    again, how = read_latest(spark, store, KEY)
    assert how == f"state {state.table} is up to date (2 loads)"
    assert rows(again) == expected
    assert state.current().version == 1  # nothing was rewritten

    load(spark, store, "20241003", "2024-10-03 06:00:00", P2="CANCELADO", P4="NOVO")
    frame, how = read_latest(spark, store, KEY)
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
    frame, how = read_latest(spark, store, KEY)
    assert how.endswith("+ 1 new load(s) of 3")
    assert rows(frame) == [
        ("P1", "PAGO", "20241002"),
        ("P2", "NOVO", "20241003"),
        ("P5", "NOVO", "20241001"),
    ]
    assert rows(frame) == from_scratch(spark, store)


def test_a_reloaded_day_that_was_consumed_rebuilds_the_state(spark, store):
    load(spark, store, "20241001", "2024-10-01 06:00:00", P1="NOVO", P2="NOVO")
    load(spark, store, "20241002", "2024-10-02 06:00:00", P1="PAGO", P3="NOVO")
    read_latest(spark, store, KEY)
    # Day 2 is loaded again with corrected data: P3 was never there, P1 is still open.
    load(spark, store, "20241002", "2024-10-05 06:00:00", P1="PENDENTE")
    frame, how = read_latest(spark, store, KEY)
    assert how.endswith("rebuilt from all 2 loads")
    assert rows(frame) == [("P1", "PENDENTE", "20241002"), ("P2", "NOVO", "20241001")]
    assert rows(frame) == from_scratch(spark, store)


def test_each_key_and_order_has_its_own_state(spark, store):
    load(spark, store, "20241001", "2024-10-01 06:00:00", P1="NOVO")
    load(spark, store, "20241002", "2024-10-02 06:00:00", P1="PAGO")
    by_status, _ = read_latest(spark, store, ["status"])
    by_key, _ = read_latest(spark, store, KEY)
    assert rows(by_status) == [("P1", "NOVO", "20241001"), ("P1", "PAGO", "20241002")]
    assert rows(by_key) == [("P1", "PAGO", "20241002")]
    assert state_store(store, ["status"], LOAD_ORDER).location != (
        state_store(store, KEY, LOAD_ORDER).location
    )
