"""What changed in a partitioned input since an output recorded the version it was built from
(glue_scripts/lib/partition_delta.py): the changed partitions' rows then and now, or why that
cannot be told."""

from __future__ import annotations

import shutil

import pytest

from glue_scripts.lib import partition_delta
from glue_scripts.lib.fs import local_path, normalize_root
from glue_scripts.lib.spark_io import write_snapshot
from glue_scripts.lib.tables import TableStore

BY_MONTH = ("mes",)


@pytest.fixture
def store(tmp_path) -> TableStore:
    return TableStore(normalize_root(str(tmp_path)), "importau_silver", "fato")


def _commit(spark, store, rows, partition_by=BY_MONTH, replace=()):
    frame = spark.createDataFrame(rows, "id string, valor int, mes string")
    if not partition_by:
        frame = frame.drop("mes")
    written = write_snapshot(frame, store, partition_by)
    counts = dict(written.rows_by_partition)
    counts.update({f"mes={m}": 0 for m in replace if f"mes={m}" not in counts})
    return store.commit(written.snapshot, partition_by, counts, replace_all=not partition_by)


def _ids(frame) -> list[tuple]:
    return sorted((r["id"], r["valor"], r["mes"]) for r in frame.collect()) if frame else []


def test_the_changed_partitions_then_and_now(spark, store):
    september = [(f"s{i}", i, "202409") for i in range(5)]
    first = _commit(spark, store, [*september, ("b", 2, "202410"), ("c", 3, "202411")])
    built_from = partition_delta.recorded(first)
    # October rewritten, November emptied, December new; September untouched.
    now = _commit(spark, store, [("b", 20, "202410"), ("d", 4, "202412")], replace=["202411"])

    delta, why = partition_delta.since(spark, store, built_from, now)

    assert why == ""
    assert delta.changed == ("mes=202410", "mes=202411", "mes=202412")
    assert _ids(delta.before) == [("b", 2, "202410"), ("c", 3, "202411")]
    assert _ids(delta.after) == [("b", 20, "202410"), ("d", 4, "202412")]


def test_nothing_changed_reads_nothing(spark, store):
    first = _commit(spark, store, [("a", 1, "202409"), ("b", 2, "202410")])
    delta, why = partition_delta.since(spark, store, partition_delta.recorded(first), first)
    assert (delta.changed, delta.before, delta.after, why) == ((), None, None, "")


def test_why_the_changes_cannot_be_told(spark, store):
    first = _commit(spark, store, [("a", 1, "202409"), ("b", 2, "202410")])
    recorded = partition_delta.recorded(first)

    assert partition_delta.since(spark, store, None, first) == (
        None,
        "no record of the version of importau_silver.fato it was built from",
    )
    other = {**recorded, "partition_by": ["ano"]}
    assert partition_delta.since(spark, store, other, first) == (
        None,
        "importau_silver.fato was partitioned otherwise",
    )
    # Reading the changed months then and now would read more than the whole table.
    most = _commit(spark, store, [("a", 5, "202409"), ("b", 6, "202410")])
    assert partition_delta.since(spark, store, recorded, most) == (
        None,
        "most of importau_silver.fato changed",
    )


def test_a_version_past_retention_is_not_read(spark, store):
    first = _commit(spark, store, [("a", 1, "202409"), ("b", 2, "202410")])
    now = _commit(spark, store, [("b", 20, "202410")])
    shutil.rmtree(local_path(store.snapshot_uri(first.partitions["mes=202410"].snapshot)))
    assert partition_delta.since(spark, store, partition_delta.recorded(first), now) == (
        None,
        "the version of importau_silver.fato it was built from is past retention",
    )


def test_an_unpartitioned_input_has_no_partitions_to_compare(spark, store):
    manifest = _commit(spark, store, [("a", 1, "x")], partition_by=())
    assert partition_delta.since(spark, store, partition_delta.recorded(manifest), manifest) == (
        None,
        "importau_silver.fato is not partitioned",
    )
