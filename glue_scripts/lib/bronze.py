"""The generic bronze load: every selected table of a job from its landing source."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial, reduce
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from glue_scripts.lib import extraction, sql_text
from glue_scripts.lib.args import require
from glue_scripts.lib.file_checks import SchemaDriftError
from glue_scripts.lib.ingest import LOAD_DATE_COLUMN, QUARANTINE_COLUMNS, Ingested, ingest
from glue_scripts.lib.job import ExtraChecks, GlueJob
from glue_scripts.lib.landing import LandingError, find_source_files
from glue_scripts.lib.parallel import run_concurrently
from glue_scripts.lib.quality import THIS, CheckOutcome, outcome
from glue_scripts.lib.spark_io import WrittenSnapshot, arrow_schema, private_session, write_snapshot
from glue_scripts.lib.tables import TableStore, new_snapshot_id, partition_name

QUARANTINE_SUFFIX = "__quarantine"


def load_dates(job: GlueJob) -> list[str]:
    keys = [k for k in job.args.get("partition_keys", "").split(",") if k]
    return keys or [datetime.now(UTC).strftime("%Y%m%d")]


def ingest_tables(job: GlueJob) -> None:
    """Load each selected bronze table for each requested load date, then publish it.

    A table whose landing files are refused keeps its previous content; the other tables are
    still loaded, and the job fails at the end naming every refused file and the fix.
    """
    landing = require(job.args, "landing")
    ingested_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")

    def load(table: str, spec) -> str | None:
        try:
            _load_table(job, private_session(job.spark), table, spec, landing, ingested_at)
        except LandingError as err:
            job.log.error(f"{table} was not loaded: {err}")
            return f"{table}: {err}"
        return None

    # Tables are independent: they load side by side (see lib/parallel.py).
    tasks = [partial(load, table, spec) for table, spec in job.tables.items()]
    refused = [r for r in run_concurrently(job.spark, tasks) if r]
    if refused:
        loaded = len(job.tables) - len(refused)
        raise LandingError(
            f"{len(refused)} table(s) not loaded (their previous content stays current; "
            f"{loaded} other table(s) were published):\n" + "\n".join(refused)
        )


class RepeatedKeysError(Exception):
    """A single-pass load wrote a key twice within one load: it is loaded again exactly."""


REPEATED_KEYS = "repeated_keys"


def repeated_keys_query(view: str, key: Sequence[str]) -> str:
    """SQL returning a row if a key repeats within one load of `view` (else none)."""
    columns = ", ".join(sql_text.name(c) for c in (*key, LOAD_DATE_COLUMN))
    return f"SELECT 1 AS repeated FROM {view} GROUP BY {columns} HAVING COUNT(*) > 1 LIMIT 1"


def uniqueness_rule(spec: Mapping[str, Any], key: Sequence[str]) -> str | None:
    """The name of the spec's rule that a key is unique within one load, if it has one: its
    outcome tells whether a key repeats, without a query of its own."""
    wanted = sorted((*key, LOAD_DATE_COLUMN))
    for rule in spec.get("rules", []):
        if rule["kind"] == "unique" and sorted(rule.get("columns") or ()) == wanted:
            return rule["name"]
    return None


def _load_table(
    job: GlueJob, spark: SparkSession, table: str, spec, landing: str, ingested_at: str
) -> None:
    # The load date is the last partition column; a first one, if any, is the event date.
    if spec["partition_by"][-1:] != [LOAD_DATE_COLUMN]:
        raise ValueError(f"{table} must be partitioned by {LOAD_DATE_COLUMN} last to be loaded")
    extractions: dict[str, extraction.Extraction] = {}
    try:
        if extraction.is_extracted(spec):
            extraction.refuse_past_days(table, spec, load_dates(job))
            for day in load_dates(job):
                extractions[day] = extraction.extract(job, table, spec, landing, day)
        load = partial(_TableLoad, job, spark, table, spec, landing, ingested_at, extractions)
        # Keys rarely repeat within a load (each repeat is an error at the source): the load
        # first reads each landing line once, and only a load whose written rows repeat a key
        # is parsed again, exactly, to quarantine the earlier lines of each repeated key.
        try:
            load(single_pass=True).run()
        except RepeatedKeysError:
            job.log.info(f"{table}: a key repeats within a load; loading again to keep its last")
            load(single_pass=False).run()
    finally:
        for extracted in extractions.values():
            extracted.release()


@dataclass
class _TableLoad:
    job: GlueJob
    spark: SparkSession
    table: str
    spec: Mapping[str, Any]
    landing: str
    ingested_at: str
    # By load date, for a table extracted from a source system (empty for landing files).
    extractions: Mapping[str, extraction.Extraction]
    single_pass: bool
    loads: list[Ingested] = field(default_factory=list)
    staged: _StagedQuarantine | None = None
    unique_rule: str | None = None

    def run(self) -> None:
        job, spec, partition = self.job, self.spec, LOAD_DATE_COLUMN
        try:
            rows = None
            for load_date in load_dates(job):
                loaded = self._ingest(load_date)
                self.loads.append(loaded)
                good = loaded.rows.select("*", F.lit(load_date).alias(partition))
                rows = good if rows is None else rows.unionByName(good)
            key = list(spec.get("primary_key", ()))
            queries = {}
            if self.single_pass and key:
                self.unique_rule = uniqueness_rule(spec, key)
                if self.unique_rule is None:
                    queries[REPEATED_KEYS] = repeated_keys_query(THIS, key)
            job.write(
                self.table,
                rows,
                extra_checks=self._checked,
                extra_queries=queries,
                partitions=[{partition: d} for d in load_dates(job)],
                extra_metadata={
                    "lakehouse/source_files": {
                        "type": "json",
                        "raw_value": [f for loaded in self.loads for f in loaded.files],
                    },
                    "lakehouse/schema_drift": {"type": "json", "raw_value": self._drift()},
                    **{k: v for e in self.extractions.values() for k, v in e.metadata().items()},
                },
                watermarks={
                    k: v for e in self.extractions.values() for k, v in e.watermarks().items()
                },
            )
            # After the table: a load its blocking checks refuse leaves the quarantine as well.
            _commit_quarantine(job, self.table, self.staged)
        except SchemaDriftError as err:
            # The drift check tells what changed even though nothing was published.
            job.report_checks(self.table, drift_checks(spec, err.added, err.missing, err.retyped))
            raise
        finally:
            for loaded in self.loads:
                loaded.release()

    def _ingest(self, load_date: str) -> Ingested:
        if self.extractions:
            staged = self.extractions[load_date]
            return staged.ingest(self.spark, self.ingested_at, single_pass=self.single_pass)
        spec = self.spec
        domain = spec["database"].removesuffix("_bronze")
        files = find_source_files(self.landing, spec["source"], load_date, domain)
        return ingest(self.spark, files, spec, self.ingested_at, single_pass=self.single_pass)

    def _drift(self) -> dict[str, list[str]]:
        return {uri: cols for loaded in self.loads for uri, cols in loaded.drift.items()}

    def _checked(
        self,
        written: WrittenSnapshot,
        queried: Mapping[str, list[dict]],
        outcomes: Sequence[CheckOutcome],
    ) -> ExtraChecks:
        """Runs after the rows are written, before they are committed: a raise discards them."""
        repeats = any(o.name == self.unique_rule and o.failed for o in outcomes)
        if repeats or queried.get(REPEATED_KEYS):
            raise RepeatedKeysError(self.table)
        counts = [loaded.checked() for loaded in self.loads]
        landing_rows = sum(c.landing_rows for c in counts)
        expected = sum(c.quarantined_rows for c in counts)
        quarantine = reduce(
            DataFrame.unionByName,
            (
                loaded.quarantine.select("*", F.lit(day).alias(LOAD_DATE_COLUMN))
                for loaded, day in zip(self.loads, load_dates(self.job), strict=True)
            ),
        )
        self.staged = _stage_quarantine(self.job, self.table, quarantine, expected)
        quarantined = sum(self.staged.rows.values())
        return ExtraChecks(
            outcomes=[
                *ingestion_checks(self.spec, landing_rows, quarantined, self._drift(), written),
                *(c for e in self.extractions.values() for c in e.checks()),
            ],
            metadata={
                "lakehouse/landing_rows": {"type": "int", "raw_value": landing_rows},
                "lakehouse/quarantined_rows": {"type": "int", "raw_value": quarantined},
            },
        )


def ingestion_checks(
    spec, landing_rows: int, quarantined: int, added: Mapping[str, list[str]], written
) -> list[CheckOutcome]:
    return [
        *conservation_checks(spec, landing_rows, quarantined, written),
        *drift_checks(spec, added, {}, {}),
    ]


def conservation_checks(spec, landing_rows: int, quarantined: int, written: WrittenSnapshot):
    """Landing rows = published rows + quarantined rows, or the load lost or invented rows."""
    rules = [r for r in spec["rules"] if r["kind"] == "row_conservation"]
    metadata = {
        "landing_rows": landing_rows,
        "published_rows": written.rows,
        "quarantined_rows": quarantined,
    }
    failed = abs(landing_rows - written.rows - quarantined)
    return [outcome(rule, failed=failed, metadata=metadata) for rule in rules]


def drift_checks(
    spec,
    added: Mapping[str, Sequence[str]],
    missing: Mapping[str, Sequence[str]],
    retyped: Mapping[str, Mapping[str, str]],
) -> list[CheckOutcome]:
    """Landing files whose columns differ from the spec, and how (one count per file)."""
    rules = [r for r in spec["rules"] if r["kind"] == "schema_drift"]
    files = set(added) | set(missing) | set(retyped)
    metadata: dict[str, Any] = {
        "files_with_drift": len(files),
        "added_columns": _json(added),
        "missing_columns": _json(missing),
        "retyped_columns": _json(retyped),
    }
    return [outcome(rule, failed=len(files), metadata=metadata) for rule in rules]


def _json(value: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": "json", "raw_value": {k: v for k, v in value.items()}}


@dataclass(frozen=True)
class _StagedQuarantine:
    store: TableStore
    snapshot: str
    partition: str
    rows: dict[str, int]
    schema: Any


def _stage_quarantine(job: GlueJob, table: str, frame, expected: int) -> _StagedQuarantine:
    """Write the rejected rows of this load next to the table, uncommitted.

    `expected` is the count the ingestion took; a clean load (the usual case) writes no
    files and will commit its load dates as empty, sparing two Spark jobs per table.
    """
    database, name = table.split(".", 1)
    partition = LOAD_DATE_COLUMN
    store = TableStore(job.root, database, name + QUARANTINE_SUFFIX)
    rejected = frame.select(*QUARANTINE_COLUMNS, partition)
    if expected:
        written = write_snapshot(rejected, store, (partition,))
        snapshot, rows = written.snapshot, dict(written.rows_by_partition)
    else:
        snapshot, rows = new_snapshot_id(), {}
    for load_date in load_dates(job):
        rows.setdefault(partition_name((partition,), (load_date,)), 0)
    return _StagedQuarantine(store, snapshot, partition, rows, arrow_schema(rejected))


def _commit_quarantine(job: GlueJob, table: str, staged: _StagedQuarantine) -> None:
    store = staged.store
    store.commit(
        staged.snapshot,
        (staged.partition,),
        staged.rows,
        replace_all=False,
        run_id=job.run_id,
        schema=staged.schema,
    )
    store.cleanup(job.keep_versions)
    quarantined = sum(staged.rows.values())
    if quarantined:
        job.log.warning(f"{table}: {quarantined} row(s) quarantined in {store.location}")
