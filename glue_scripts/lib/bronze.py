"""The generic bronze load: every selected table of a job from its landing source."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

from pyspark.sql import functions as F

from glue_scripts.lib.args import require
from glue_scripts.lib.ingest import QUARANTINE_COLUMNS, ingest
from glue_scripts.lib.job import GlueJob
from glue_scripts.lib.landing import find_source_files
from glue_scripts.lib.quality import outcome
from glue_scripts.lib.spark_io import WrittenSnapshot, write_snapshot
from glue_scripts.lib.tables import TableStore, partition_name

QUARANTINE_SUFFIX = "__quarantine"


def load_dates(job: GlueJob) -> list[str]:
    keys = [k for k in job.args.get("partition_keys", "").split(",") if k]
    return keys or [datetime.now(UTC).strftime("%Y%m%d")]


def ingest_tables(job: GlueJob) -> None:
    """Load each selected bronze table for each requested load date, then publish it."""
    landing = require(job.args, "landing")
    ingested_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    for table, spec in job.tables.items():
        (partition,) = spec["partition_by"]
        rows = quarantine = None
        landing_rows = 0
        drift: dict[str, list[str]] = {}
        files: list[str] = []
        for load_date in load_dates(job):
            source_files = find_source_files(landing, spec["source"], load_date)
            loaded = ingest(job.spark, source_files, spec, ingested_at)
            day = F.lit(load_date).alias(partition)
            good = loaded.rows.select("*", day)
            bad = loaded.quarantine.select("*", day)
            rows = good if rows is None else rows.unionByName(good)
            quarantine = bad if quarantine is None else quarantine.unionByName(bad)
            landing_rows += loaded.landing_rows
            drift.update(loaded.drift)
            files.extend(source_files)
        quarantined = _write_quarantine(job, table, quarantine, partition)
        job.write(
            table,
            rows,
            extra_checks=partial(conservation_checks, spec, landing_rows, quarantined),
            partitions=[{partition: d} for d in load_dates(job)],
            extra_metadata={
                "lakehouse/landing_rows": {"type": "int", "raw_value": landing_rows},
                "lakehouse/quarantined_rows": {"type": "int", "raw_value": quarantined},
                "lakehouse/source_files": {"type": "json", "raw_value": files},
                "lakehouse/schema_drift": {"type": "json", "raw_value": drift},
            },
        )


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


def _write_quarantine(job: GlueJob, table: str, frame, partition: str) -> int:
    """Publish the rejected rows of this load next to the table; return how many."""
    database, name = table.split(".", 1)
    store = TableStore(job.root, database, name + QUARANTINE_SUFFIX)
    written = write_snapshot(frame.select(*QUARANTINE_COLUMNS, partition), store, (partition,))
    rows = dict(written.rows_by_partition)
    for load_date in load_dates(job):
        rows.setdefault(partition_name((partition,), (load_date,)), 0)
    store.commit(written.snapshot, (partition,), rows, replace_all=False, run_id=job.run_id)
    store.cleanup(job.keep_versions)
    if written.rows:
        job.log.warning(f"{table}: {written.rows} row(s) quarantined in {store.location}")
    return written.rows
