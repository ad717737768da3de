"""The current version of each key of a table that keeps every load, maintained incrementally.

Bronze keeps every load of a source (one `anomesdia` partition each), and a consumer wants
one current version per key (`transforms.latest_by_key`). Recomputing that from every load
costs more with each day kept. Instead the result is kept as a small state table next to
the lakehouse (`_lakehouse_state/<database>__<table>__<digest of keys and order>`), with the
input partitions it was computed from. The next read merges only the partitions committed
since, so a new day costs the current state plus that day, whatever the number of days kept.

The state is a cache: any doubt (a consumed partition was replaced or removed, the columns
changed, no state yet) recomputes it from every load, which gives the same answer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from pyspark.sql import DataFrame, SparkSession

from glue_scripts.lib.fs import filesystem_for, join
from glue_scripts.lib.spark_io import read_table, write_files
from glue_scripts.lib.tables import UNPARTITIONED, TableStore
from glue_scripts.lib.transforms import LOAD_ORDER, latest_by_key

STATE_DATABASE = "_lakehouse_state"
# Written into the state's snapshot folder; Spark skips files starting with `_`.
CONSUMED_FILE = "_consumed.json"


def state_store(store: TableStore, keys: Sequence[str], order: Sequence[str]) -> TableStore:
    digest = hashlib.sha256(json.dumps([list(keys), list(order)]).encode()).hexdigest()[:10]
    return TableStore(store.root, STATE_DATABASE, f"{store.database}__{store.table}__{digest}")


def read_latest(
    spark: SparkSession,
    store: TableStore,
    keys: Sequence[str],
    order: Sequence[str] = LOAD_ORDER,
    keep_versions: int = 5,
) -> tuple[DataFrame, str]:
    """The table's current version of each key, and how it was obtained (for the job's log).

    Within one load a key is unique (bronze's blocking `chave_unica`), so a table holding a
    single load is returned as it is.
    """
    live = {
        name: entry.snapshot
        for name, entry in store.require_current().partitions.items()
        if entry.rows > 0
    }
    if len(live) <= 1:
        return read_table(spark, store), "one load: read as it is"
    state = state_store(store, keys, order)
    consumed, previous = _load_state(spark, state)
    new = {name: snap for name, snap in live.items() if consumed.get(name) != snap}
    still_current = consumed and all(live.get(n) == s for n, s in consumed.items())
    if still_current and previous is not None and not new:
        return previous, f"state {state.table} is up to date ({len(live)} loads)"
    if still_current and previous is not None:
        fresh = read_table(spark, store, partitions=sorted(new))
        if _same_columns(previous, fresh):
            merged = previous.unionByName(fresh).transform(latest_by_key(keys, order))
            frame = _save_state(spark, state, merged, live, keep_versions)
            return frame, f"state {state.table} + {len(new)} new load(s) of {len(live)}"
    everything = read_table(spark, store).transform(latest_by_key(keys, order))
    frame = _save_state(spark, state, everything, live, keep_versions)
    return frame, f"state {state.table} rebuilt from all {len(live)} loads"


def _load_state(spark: SparkSession, state: TableStore):
    manifest = state.current()
    if manifest is None or UNPARTITIONED not in manifest.partitions:
        return {}, None
    snapshot = manifest.partitions[UNPARTITIONED].snapshot
    text = filesystem_for(state.location).read_text(
        join(state.snapshot_uri(snapshot), CONSUMED_FILE)
    )
    if not text:
        return {}, None
    return json.loads(text), read_table(spark, state)


def _same_columns(a: DataFrame, b: DataFrame) -> bool:
    return sorted((f.name, f.dataType.simpleString()) for f in a.schema.fields) == sorted(
        (f.name, f.dataType.simpleString()) for f in b.schema.fields
    )


def _save_state(
    spark: SparkSession,
    state: TableStore,
    frame: DataFrame,
    consumed: dict[str, str],
    keep_versions: int,
) -> DataFrame:
    snapshot, written = write_files(frame, state, ())
    fs = filesystem_for(state.location)
    fs.create_exclusive(join(state.snapshot_uri(snapshot), CONSUMED_FILE), json.dumps(consumed))
    rows = written.count()
    state.commit(snapshot, (), {UNPARTITIONED: rows}, replace_all=True)
    state.cleanup(keep_versions)
    return written
