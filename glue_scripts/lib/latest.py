"""The current version of each key of a table that keeps every load, maintained incrementally.

Bronze keeps every load of a source (one `anomesdia` partition each), and a consumer wants
one current version per key (`transforms.latest_by_key`). Recomputing that from every load
costs more with each day kept. Instead the result is kept as a state table next to the
lakehouse (`_lakehouse_state/<database>__<table>__<digest>`), partitioned by the week of the
load (`load_week`, the week's Monday): its partition `load_week=W` holds the rows of the loads
of week W that are still current. A new load touches only the keys it brings: their rows
leave the partitions that held them, and the winners land in their week's. So a new day
rewrites its week and the weeks whose keys it supersedes (a full-extract source: yesterday's),
whatever the number of days kept.

Weeks, not days: every read of the state opens one file per partition, and a consumer reads
the states several times a run; a year of daily partitions made each read cost a second more
than a month of them. A week bounds what a day rewrites to seven days of rows.

A load that was consumed and then replaced or removed is handled the same way: its keys
are recomputed from every version bronze holds of them. The state is a cache: without one,
or when the columns changed, it is rebuilt from every load, which gives the same answer.

A merge also tells what it changed (`Changes`): the previous and the current row of each key
whose content changed, the load columns left out, so a full extract that repeats yesterday's
rows changes nothing. A consumer that remembers the state version it was built from can then
recompute only what those keys touch (silver of ImportAu does).
"""

from __future__ import annotations

import hashlib
import json
import operator
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import reduce

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from glue_scripts.lib.local_rows import local_rows
from glue_scripts.lib.spark_io import arrow_schema, read_table, write_snapshot
from glue_scripts.lib.tables import TableStore, partition_name, partition_values
from glue_scripts.lib.transforms import LOAD_ORDER, latest_by_key

STATE_DATABASE = "_lakehouse_state"
# Written into the snapshot folder of each state commit; Spark skips files starting with `_`.
CONSUMED_FILE = "_consumed.json"
# The state's partition column: the Monday (yyyyMMdd) of the week of the row's load.
WEEK = "load_week"
DATE = re.compile(r"[0-9]{8}")


def load_week(load: str) -> str:
    """The state partition of a load date (yyyyMMdd): its week's Monday. A load value that is
    not such a date is a partition of its own. `week_of` is the same function in Spark."""
    if DATE.fullmatch(load):
        try:
            day = datetime.strptime(load, "%Y%m%d")
        except ValueError:
            return load
        return (day - timedelta(days=day.weekday())).strftime("%Y%m%d")
    return load


def week_of(load: F.Column) -> F.Column:
    day = F.to_date(load, "yyyyMMdd")
    # dayofweek: Sunday 1 .. Saturday 7; days since Monday: (dayofweek + 5) % 7.
    monday = F.date_format(F.date_sub(day, (F.dayofweek(day) + 5) % 7), "yyyyMMdd")
    return F.when(load.rlike("^[0-9]{8}$") & day.isNotNull(), monday).otherwise(load)


def state_store(
    store: TableStore,
    keys: Sequence[str],
    order: Sequence[str],
    partition_by: Sequence[str] = ("anomesdia",),
) -> TableStore:
    # The layout is in the name: a state of another layout is never read, and never refuses
    # a commit for being partitioned differently.
    layout = [list(keys), list(order), list(partition_by), WEEK]
    digest = hashlib.sha256(json.dumps(layout).encode()).hexdigest()[:10]
    return TableStore(store.root, STATE_DATABASE, f"{store.database}__{store.table}__{digest}")


@dataclass(frozen=True)
class Changes:
    """What one state commit changed, relative to the state version `since`: one row per key
    whose content changed, with the struct columns `before` (NULL for a new key) and `after`
    (NULL for a removed key) holding every column of the state. None: nothing changed."""

    since: str
    rows: DataFrame | None

    def values(self, *columns: str) -> DataFrame | None:
        """The distinct values of `columns` among the changed rows, before and after; None
        when nothing changed."""
        if self.rows is None:
            return None
        sides = (
            self.rows.where(F.col(side).isNotNull()).select(
                *(F.col(f"{side}.{c}").alias(c) for c in columns)
            )
            for side in ("before", "after")
        )
        return reduce(DataFrame.unionByName, sides).distinct()


@dataclass(frozen=True)
class Latest:
    """`read_latest`'s answer. `version` is the state version `frame` reads (None without a
    state); `changes` is what changed since the state's previous version, None when unknown
    (a state built from scratch)."""

    frame: DataFrame
    how: str
    version: str | None = None
    changes: Changes | None = None


def read_latest(
    spark: SparkSession,
    store: TableStore,
    keys: Sequence[str],
    order: Sequence[str] = LOAD_ORDER,
    keep_versions: int = 5,
    empty: str | None = None,
) -> Latest:
    """The table's current version of each key, how it was obtained (for the job's log) and
    what changed.

    Within one load a key is unique (bronze's blocking `chave_unica`), so a table holding a
    single load is returned as it is. `empty` is the schema (`spark_io.read_schema`) of the
    frame of no rows returned for a table committed with no rows; without it that is an error.
    """
    source = store.require_current()
    live = {name: e.snapshot for name, e in source.partitions.items() if e.rows > 0}
    by = source.partition_by
    if not live and empty is not None:
        # Nothing to keep a state of; a later load rebuilds it (its record no longer matches).
        return Latest(local_rows(spark, [], empty), "no rows: read as empty")
    if _loads(live, by) <= 1:
        return Latest(read_table(spark, store), "one load: read as it is")
    state = state_store(store, keys, order, by)
    since, consumed, previous = _load_state(spark, state)
    if previous is not None and consumed == live:
        how = f"state {state.table} is up to date ({_loads(live, by)} loads)"
        return Latest(previous, how, since, Changes(since, None))
    if previous is not None:
        changed = sorted(n for n in live if consumed.get(n) != live[n])
        dropped = sorted(n for n in consumed if live.get(n) != consumed[n])
        fresh = read_table(spark, store, partitions=changed) if changed else None
        if fresh is None or _same_columns(previous, fresh):
            merge = _Merge(spark, store, state, keys, order, by)
            frame, changes = merge.apply(previous, fresh, changed, dropped, live, keep_versions)
            how = f"{_loads(changed, by)} new load(s)" + (
                f", {_loads(dropped, by)} replaced or removed" if dropped else ""
            )
            return Latest(
                frame,
                f"state {state.table} + {how} of {_loads(live, by)}",
                merge.committed,
                Changes(since, changes),
            )
    merge = _Merge(spark, store, state, keys, order, by)
    frame = merge.rebuild(live, keep_versions)
    how = f"state {state.table} rebuilt from all {_loads(live, by)} loads"
    return Latest(frame, how, merge.committed)


def _loads(partitions: Iterable[str], partition_by: Sequence[str]) -> int:
    """How many load dates these partitions hold (the load date is the last partition
    column; an event source has a partition per event day within a load)."""
    if not partition_by:
        return len(set(partitions))
    return len({partition_values(name)[partition_by[-1]] for name in partitions})


def _load_state(
    spark: SparkSession, state: TableStore
) -> tuple[str | None, dict[str, str], DataFrame | None]:
    """The state's version, the loads it consumed and its rows; no rows when it must be
    rebuilt (none yet, or a missing or cut-short record: the state is a cache)."""
    last = state.last_record(CONSUMED_FILE)
    if last is None or last[0].rows == 0:
        return None, {}, None
    manifest, consumed = last
    return manifest.history[-1], consumed, _read_state(spark, state)


def _read_state(
    spark: SparkSession, state: TableStore, partitions: list[str] | None = None
) -> DataFrame:
    """The state's rows (of some of its partitions) as the source's rows: the week column is
    the state's layout, not data."""
    return read_table(spark, state, partitions).drop(WEEK)


def _same_columns(a: DataFrame, b: DataFrame) -> bool:
    return sorted((f.name, f.dataType.simpleString()) for f in a.schema.fields) == sorted(
        (f.name, f.dataType.simpleString()) for f in b.schema.fields
    )


class _Merge:
    """Writing the state: all of it, or the partitions a set of changed loads touches."""

    def __init__(
        self,
        spark: SparkSession,
        store: TableStore,
        state: TableStore,
        keys: Sequence[str],
        order: Sequence[str],
        partition_by: Sequence[str],
    ):
        self.spark = spark
        self.store = store
        self.state = state
        self.keys = list(keys)
        self.order = list(order)
        self.partition_by = tuple(partition_by)
        self.committed: str | None = None  # the state version this merge published

    def rebuild(self, live: dict[str, str], keep_versions: int) -> DataFrame:
        everything = read_table(self.spark, self.store).transform(
            latest_by_key(self.keys, self.order)
        )
        self._publish(everything, set(), live, keep_versions, replace_all=True)
        return _read_state(self.spark, self.state)

    def apply(
        self,
        previous: DataFrame,
        fresh: DataFrame | None,
        changed: list[str],
        dropped: list[str],
        live: dict[str, str],
        keep_versions: int,
    ) -> tuple[DataFrame, DataFrame | None]:
        """Merge the changed loads (`fresh`) into the state (`previous`); return the new
        state and its `Changes.rows`.

        `dropped` loads were consumed but are now replaced or removed: their current rows
        leave the state, and the older versions of those keys, which the state no longer
        holds, come back from bronze.
        """
        lost = previous.where(self._in_partitions(dropped))
        parts = [f.select(*self.keys) for f in (fresh, lost) if f is not None]
        touched = reduce(DataFrame.unionByName, parts).distinct()
        # Only the keys are scanned to find where the touched keys live; whole rows are then
        # read from those partitions alone, not from every week the state holds.
        holding = self._matching(previous.select(*self.keys, self.load), touched, "left_semi")
        rewritten = self._weeks(holding)
        rewritten |= {self._week(partition_values(n)[self.load]) for n in [*changed, *dropped]}
        if dropped:
            candidates = self._matching(read_table(self.spark, self.store), touched, "left_semi")
            winners = candidates.transform(latest_by_key(self.keys, self.order))
            # An older version coming back from bronze lands in its own load's week, which
            # then has to keep the state rows it already holds.
            rewritten |= self._weeks(winners)
            held = self._read_held(rewritten)
        else:
            held = self._read_held(rewritten)
            prior = None if held is None else self._matching(held, touched, "left_semi")
            candidates = fresh if prior is None else prior.unionByName(fresh)
            winners = candidates.transform(latest_by_key(self.keys, self.order))
        if held is not None:
            winners = self._matching(held, touched, "left_anti").unionByName(winners)
        self._publish(winners, rewritten, live, keep_versions, replace_all=False)
        # The rewritten partitions before and after: a row that was not touched is in both,
        # so comparing them gives the changed keys, read back from files (no plan run again).
        after = self._read_held(rewritten)
        return _read_state(self.spark, self.state), self._changed(held, after)

    def _changed(self, before: DataFrame | None, after: DataFrame | None) -> DataFrame | None:
        """Keys whose content differs between `before` and `after` (one row each at most),
        with their rows as the structs `before` and `after`."""
        if before is None and after is None:
            return None
        # Where and when a row was loaded is not its content.
        load_columns = {*self.order, *self.partition_by}
        schema = (before if before is not None else after).schema
        columns = schema.names
        content = [c for c in columns if c not in load_columns]

        def side(frame: DataFrame | None, name: str) -> DataFrame:
            if frame is None:
                frame = local_rows(self.spark, [], schema)
            return frame.select(
                *(F.col(k).alias(f"_{name}_{k}") for k in self.keys),
                F.struct(*columns).alias(name),
                F.struct(*content).alias(f"_{name}_content"),
            )

        same_key = reduce(
            operator.and_,
            (F.col(f"_before_{k}").eqNullSafe(F.col(f"_after_{k}")) for k in self.keys),
        )
        joined = side(before, "before").join(side(after, "after"), same_key, "full_outer")
        differ = ~F.col("_before_content").eqNullSafe(F.col("_after_content"))
        return joined.where(differ).select("before", "after")

    def _publish(
        self,
        frame: DataFrame,
        rewritten: set[str],
        live: dict[str, str],
        keep_versions: int,
        replace_all: bool,
    ) -> None:
        if WEEK in frame.columns:
            raise ValueError(
                f"{self.store.qualified_name} has a column named {WEEK}, the name of the "
                "partition column of the state that keeps its current rows; rename that column "
                "in the table's spec and load it again"
            )
        # One file per partition: a state of a year of loads is read as often as bronze.
        frame = frame.withColumn(WEEK, week_of(F.col(self.load))).repartition(WEEK)
        written = write_snapshot(frame, self.state, (WEEK,))
        rows = {name: 0 for name in rewritten} | written.rows_by_partition
        self.state.commit(
            written.snapshot,
            (WEEK,),
            rows,
            replace_all=replace_all,
            records={CONSUMED_FILE: live},
            schema=arrow_schema(written.data),
        )
        self.committed = written.snapshot
        self.state.cleanup(keep_versions)

    def _matching(self, frame: DataFrame, touched: DataFrame, how: str) -> DataFrame:
        """Rows of `frame` whose key is (`left_semi`) or is not (`left_anti`) in `touched`;
        a NULL key matches a NULL key, as in `latest_by_key`'s window."""
        other = touched.select(*(F.col(k).alias(f"_touched_{k}") for k in self.keys))
        same = reduce(
            operator.and_, (F.col(k).eqNullSafe(F.col(f"_touched_{k}")) for k in self.keys)
        )
        return frame.join(other, same, how)

    def _in_partitions(self, names: Sequence[str]) -> F.Column:
        if not names:
            return F.lit(False)
        values = F.concat_ws("/", *(F.concat(F.lit(f"{c}="), F.col(c)) for c in self.partition_by))
        return values.isin(*names)

    @property
    def load(self) -> str:
        """The load date column: the source's last partition column."""
        return self.partition_by[-1]

    def _week(self, load: str) -> str:
        return partition_name((WEEK,), (load_week(load),))

    def _weeks(self, frame: DataFrame) -> set[str]:
        """The state partitions the loads of `frame`'s rows belong to."""
        loads = frame.select(self.load).distinct().collect()
        return {self._week(str(r[self.load])) for r in loads}

    def _read_held(self, rewritten: set[str]) -> DataFrame | None:
        """The current state rows of the partitions in `rewritten` (None: it holds none)."""
        manifest = self.state.current()
        filled = {n for n, e in manifest.partitions.items() if e.rows > 0} if manifest else set()
        held = sorted(rewritten & filled)
        return _read_state(self.spark, self.state, held) if held else None
