"""The life of one Glue job run: read inputs, write outputs atomically, check, report.

A script's `main(argv)` opens a `GlueJob`, reads its inputs with `job.read(...)`, calls its
pure transforms and hands each result to `job.write(...)`. Everything else (the Pipes
channel, the commit protocol, quality rules, lineage verification, metadata) happens here,
identically for every job and on both targets.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import DataFrame, Observation
from pyspark.sql import functions as F

from glue_scripts.lib import latest, masking, quality, report, write_once
from glue_scripts.lib.args import parse_args, require
from glue_scripts.lib.file_checks import observed_totals
from glue_scripts.lib.local_rows import local_rows
from glue_scripts.lib.pipes import open_pipes
from glue_scripts.lib.quality import CheckOutcome
from glue_scripts.lib.schema import SchemaMismatchError, conform, in_spec_order, mismatches
from glue_scripts.lib.spark_io import (
    WrittenSnapshot,
    arrow_schema,
    count_query,
    get_spark,
    private_session,
    read_files,
    read_schema,
    rows_by_partition,
    write_files,
)
from glue_scripts.lib.tables import (
    BUILT_FROM_FILE,
    TableStore,
    TableVersion,
    partition_values,
)

# Name of the row-count query evaluated together with the rules.
ROW_COUNTS = "row_counts"
# Materialization metadata: seconds a write spent on its checks once its files were written.
CHECK_SECONDS = "lakehouse/check_seconds"


class LineageMismatchError(RuntimeError):
    """A job read other tables than its outputs declare as upstream."""


class BlockingCheckError(RuntimeError):
    """A blocking quality rule failed, so the new data was not published."""


@dataclass(frozen=True)
class ExtraChecks:
    """What a job alone can check about a written snapshot, before it is committed."""

    outcomes: Sequence[CheckOutcome] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)


class GlueJob:
    """One job run. Use as a context manager: an exception is reported to Dagster."""

    def __init__(self, argv: Sequence[str], name: str):
        self.args = parse_args(argv)
        self.name = name
        self.root = require(self.args, "lakehouse_root")
        self.run_id = self.args.get("run_id", "")
        self.partition_key = self.args.get("partition_key", "")
        self.pipes = open_pipes(argv)
        extras = self.pipes.extras
        self.tables: dict[str, dict[str, Any]] = extras["tables"]
        # The columns of the tables the outputs are computed from (`launcher.job_extras`).
        self.inputs: dict[str, dict[str, Any]] = extras.get("inputs", {})
        self.asset_keys: dict[str, list[str]] = extras["asset_keys"]
        self.keep_versions = int(extras.get("keep_versions", 5))
        self.spark = private_session(get_spark(name))
        self.reads: dict[str, int] = {}
        # The version of each input `read` gave, for a job that records what it was built from.
        self.read_versions: dict[str, TableVersion] = {}
        # Views that hold one row per key (the states `read_latest` registers): counting
        # their distinct keys is counting their rows.
        self._unique_views: dict[str, tuple[str, ...]] = {}
        # Tables of one job may be published from several threads (lib/parallel.py).
        self._report_lock = threading.Lock()

    def __enter__(self) -> GlueJob:
        self.pipes.__enter__()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.pipes.__exit__(exc_type, exc, tb)

    @property
    def log(self):
        return self.pipes.log

    def wants(self, table: str) -> bool:
        """Whether Dagster asked for this output (a multi-asset job may run a subset)."""
        return table in self.tables

    def store(self, table: str) -> TableStore:
        database, name = table.split(".", 1)
        return TableStore(self.root, database, name)

    def read(self, table: str) -> DataFrame:
        """An input table's current data; the read is recorded for lineage verification.

        A table committed with no rows (a source whose export has only its header, a load
        with no news) reads as a frame of no rows with the columns a read of its data gives.
        """
        store = self.store(table)
        version = store.require_current()
        uris = store.data_uris(version)
        frame = read_files(self.spark, store, uris, empty=self.read_schema(table))
        self.reads[table] = version.version
        self.read_versions[table] = version
        view = table.split(".")[-1]
        frame.createOrReplaceTempView(view)
        self._unique_views.pop(view, None)
        self.log.info(f"read {table} (version {version.version}, {version.rows} rows)")
        return frame

    def read_schema(self, table: str) -> str | None:
        """The schema (DDL) a read of an input or output of this job gives; None for a table
        the launcher sent no columns of."""
        spec = self.inputs.get(table) or self.tables.get(table)
        if spec is None:
            return None
        return read_schema(spec["columns"], spec.get("partition_by", ()))

    def read_latest(self, table: str, keys: Sequence[str]) -> DataFrame:
        """The current version of each key of an input that keeps every load (bronze).

        Same result as `read(table).transform(latest_by_key(keys))`, kept incrementally
        (lib/latest.py) so that a new day does not cost more as the days kept add up.
        """
        return self.read_latest_changes(table, keys).frame

    def read_latest_changes(self, table: str, keys: Sequence[str]) -> latest.Latest:
        """`read_latest`, with the state version read and what changed since the previous one
        (for a job that recomputes only what changed)."""
        store = self.store(table)
        version = store.require_current()
        result = latest.read_latest(
            self.spark,
            store,
            keys,
            keep_versions=self.keep_versions,
            empty=self.read_schema(table),
        )
        self.reads[table] = version.version
        view = table.split(".")[-1]
        result.frame.createOrReplaceTempView(view)
        self._unique_views[view] = tuple(keys)
        self.log.info(
            f"read latest of {table} by {', '.join(keys)} (version {version.version}): {result.how}"
        )
        return result

    def built_from(self, table: str) -> dict[str, Any] | None:
        """What the current version of an output recorded it was built from (`write`'s
        `built_from`); None when it recorded nothing or is not committed."""
        last = self.store(table).last_record(BUILT_FROM_FILE)
        return None if last is None else last[1]

    def committed_partitions(self, table: str) -> list[dict[str, str]]:
        """The partitions an output table holds now, empty ones included (a job writing a
        write-once table computes only the missing ones)."""
        version = self.store(table).current()
        return [partition_values(n) for n in sorted(version.partitions)] if version else []

    def _verify_lineage(self, table: str) -> None:
        declared = set(self.tables[table].get("upstream", []))
        actual = set(self.reads)
        if len(self.tables) == 1 and declared != actual:
            raise LineageMismatchError(
                f"{table} declares upstream {sorted(declared)} but job {self.name} read "
                f"{sorted(actual)}; make the spec's upstream tables and the script's reads agree"
            )
        missing = declared - actual
        if missing:
            raise LineageMismatchError(
                f"{table} declares upstream {sorted(missing)} that job {self.name} never read; "
                "remove them from the spec or read them in the script"
            )

    def write(
        self,
        table: str,
        frame: DataFrame,
        *,
        column_lineage: Mapping[str, Sequence[tuple[str, str]]] | None = None,
        extra_checks: Callable[
            [WrittenSnapshot, Mapping[str, list[dict]], Sequence[CheckOutcome]], ExtraChecks
        ]
        | None = None,
        extra_queries: Mapping[str, str] | None = None,
        extra_metadata: Mapping[str, Any] | None = None,
        partitions: Sequence[Mapping[str, str]] = (),
        built_from: Mapping[str, Any] | None = None,
        carried: DataFrame | None = None,
        replace_all: bool = False,
        watermarks: Mapping[str, str] | None = None,
    ) -> None:
        """Publish `frame` as the new content of `table` if its blocking checks pass.

        Args:
            table: `database.table` of an output of this job.
            frame: the transform's result; its columns and types must match the spec.
            column_lineage: `{column: [(input table, input column)]}` where known.
            extra_checks: computes outcomes and metadata the job alone can know (e.g. row
                conservation) from the written snapshot, the rows of `extra_queries` and the
                outcomes of the spec's rules.
                Whatever it raises stops the write: the snapshot is deleted, not committed.
            extra_queries: SQL over the written snapshot (the view `quality.THIS`), run in
                the rules' Spark job.
            extra_metadata: Pipes metadata to add to the materialization.
            partitions: partition values this write replaces even where it holds no rows;
                values of only some partition columns (`{"anomesdia": "20240110"}`) replace
                every partition matching them. A write-once table keeps the partitions it
                holds: their rows are dropped from `frame` and they are never replaced.
            built_from: what the job wants to find again in its next run (`built_from`),
                such as the versions of the inputs this content was computed from.
            carried: rows of the table's current version published again as they are
                (their masks are already applied), next to `frame`'s new rows; the rules
                see both, as they see every row written.
            replace_all: the write replaces every partition of a partitioned table, also
                those it holds no rows for (a full recompute); an unpartitioned table is
                always replaced whole.
            watermarks: per load (`anomesdia=20240110`), the watermark of the source read up
                to, committed with its rows (`TableStore.watermark_before` reads it back).
        """
        spec = self.tables[table]
        partition_by = tuple(spec.get("partition_by", ()))
        store = self.store(table)
        self._verify_lineage(table)
        replaced = [{}] if replace_all and partition_by else partitions
        plan = write_once.plan(spec, store, replaced)
        if plan.once:
            frame = write_once.without_committed(frame, partition_by, plan.committed)
        key = masking.hash_key(self.args) if masking.needs_key(spec) else None
        spark = frame.sparkSession
        content = conform(frame, spec, hash_key=key)
        if carried is not None:
            content = content.unionByName(self._carried(table, carried))
        rules = spec.get("rules", [])
        observation = Observation() if quality.row_rules(rules) else None
        if observation is not None:
            metrics = [F.expr(m) for m in quality.observed_metrics(rules)]
            content = content.observe(observation, *metrics)
        snapshot, data = write_files(content, store, partition_by)
        checking = time.perf_counter()
        # None when the counts did not arrive: those rules are then queried like the others.
        observed = observed_totals(observation) if observation is not None else None
        data.createOrReplaceTempView(quality.THIS)
        if any(quality.counts_whole_table(r) for r in rules):
            kept = self._kept_partitions(store, plan, data, partition_by)
            kept.createOrReplaceTempView(quality.KEPT)
        # The row counts ride in the same Spark job as the rules.
        outcomes, extra = quality.evaluate_with_queries(
            spark,
            rules,
            {ROW_COUNTS: count_query(quality.THIS, partition_by), **(extra_queries or {})},
            unique_views=self._unique_views,
            observed=observed,
        )
        check_seconds = round(time.perf_counter() - checking, 3)
        counted = rows_by_partition(extra[ROW_COUNTS], partition_by)
        written = WrittenSnapshot(snapshot=snapshot, rows_by_partition=counted, data=data)
        committed_rows = plan.rows_by_partition(counted, partition_by)
        try:
            checked = extra_checks(written, extra, outcomes) if extra_checks else ExtraChecks()
        except BaseException:
            store.discard(written.snapshot)
            raise
        outcomes = [
            *checked.outcomes,
            *outcomes,
            *write_once.history_outcomes(rules, store, plan.previous),
        ]
        failures = quality.blocking_failures(outcomes)
        asset_key = "/".join(self.asset_keys[table])
        if failures:
            self.report_checks(table, outcomes)
            summary = "; ".join(f"{o.name} failed on {o.failed} row(s)" for o in failures)
            rejected = store.snapshot_uri(written.snapshot)
            raise BlockingCheckError(
                f"{table} was not published because blocking checks failed: {summary}. "
                f"The rejected data stays at {rejected} for inspection; "
                "the previous version remains current. Fix the input and run again."
            )
        extra_metadata = {
            **(extra_metadata or {}),
            **checked.metadata,
            **plan.metadata(committed_rows),
            CHECK_SECONDS: {"type": "float", "raw_value": check_seconds},
        }
        if plan.once and not committed_rows:
            store.discard(written.snapshot)
            self._report_unchanged(table, plan.previous, outcomes, extra_metadata)
            return
        version = store.commit(
            written.snapshot,
            partition_by,
            committed_rows,
            replace_all=replace_all or not partition_by,
            run_id=self.run_id,
            watermarks=watermarks,
            records=None if built_from is None else {BUILT_FROM_FILE: dict(built_from)},
            schema=arrow_schema(data),
            **plan.commit_options(store, written.snapshot, committed_rows),
        )
        removed = store.cleanup(self.keep_versions, expire=not plan.once)
        if removed:
            self.log.info(f"{table}: removed {len(removed)} snapshot(s) past retention")
        lineage = report.column_lineage(column_lineage, self.asset_keys) if column_lineage else None
        metadata = report.materialization_metadata(
            spec=spec,
            schema=written.data.schema,
            uri=version.metadata_location,
            rows=written.rows,
            table_rows=version.rows,
            snapshot=written.snapshot,
            table_version=version.version,
            iceberg_snapshot_id=version.snapshot_id,
            inputs=self.reads,
            partitioned=bool(partition_by),
            lineage=lineage,
            extra=extra_metadata or {},
        )
        with self._report_lock:
            self.pipes.report_asset_materialization(
                metadata=metadata, data_version=written.snapshot, asset_key=asset_key
            )
        self.report_checks(table, outcomes)
        self.log.info(f"published {table}: {written.rows} row(s), version {version.version}")

    def _kept_partitions(
        self,
        store: TableStore,
        plan: write_once.WritePlan,
        data: DataFrame,
        partition_by: tuple[str, ...],
    ) -> DataFrame:
        """(name, rows) of the committed partitions the write keeps: those it neither names
        nor writes rows into (evaluated with the rules, in the same Spark job)."""
        kept = plan.kept(store.current(), partition_by) if partition_by else {}
        committed = local_rows(self.spark, list(kept.items()), "name string, rows bigint")
        if not kept:
            return committed
        written = data.select(write_once.partition_name_column(partition_by).alias("name"))
        return committed.join(written.distinct(), "name", "left_anti")

    def _carried(self, table: str, carried: DataFrame) -> DataFrame:
        spec = self.tables[table]
        problems = mismatches(carried, spec)
        if problems:
            raise SchemaMismatchError(
                f"rows carried over into {table} do not match its spec: {'; '.join(problems)}. "
                "Carry rows only from the table's own version of the same spec; recompute "
                "everything after a change of columns."
            )
        return in_spec_order(carried, spec)

    def _report_unchanged(
        self,
        table: str,
        previous: TableVersion | None,
        outcomes: Sequence[CheckOutcome],
        extra_metadata: Mapping[str, Any],
    ) -> None:
        """A write-once table with nothing new: no commit; report the table as it stands."""
        spec = self.tables[table]
        store = self.store(table)
        snapshot = previous.history[-1] if previous and previous.history else ""
        metadata = report.materialization_metadata(
            spec=spec,
            schema=None,
            uri=previous.metadata_location if previous else store.location,
            rows=0,
            table_rows=previous.rows if previous else 0,
            snapshot=snapshot,
            table_version=previous.version if previous else 0,
            iceberg_snapshot_id=previous.snapshot_id if previous else 0,
            inputs=self.reads,
            partitioned=True,
            lineage=None,
            extra=extra_metadata,
        )
        asset_key = "/".join(self.asset_keys[table])
        with self._report_lock:
            self.pipes.report_asset_materialization(
                metadata=metadata, data_version=snapshot or None, asset_key=asset_key
            )
        self.report_checks(table, outcomes)
        self.log.info(f"{table}: every partition is already published; nothing was written")

    def report_checks(self, table: str, outcomes: Sequence[CheckOutcome]) -> None:
        """Report check results of an output table (also when it is not published)."""
        asset_key = "/".join(self.asset_keys[table])
        with self._report_lock:
            for o in outcomes:
                self.pipes.report_asset_check(
                    check_name=o.name,
                    passed=o.passed,
                    severity="WARN" if o.severity == "WARN" else "ERROR",
                    metadata=o.metadata,
                    asset_key=asset_key,
                )
