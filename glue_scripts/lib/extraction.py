"""A bronze table whose rows come from a source system: extract once, then load like files.

The source's module (`lib/sources/`) streams the rows to staged Parquet under the storage
root; the load then types, quarantines and checks them as it does landing lines, and the
commit records the source's new watermark in the load's partition entry, so a load that
fails or is killed never advances it. Staged files are deleted once the load ends, whatever
its outcome: a re-run extracts again from the committed watermark.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pyspark.sql import SparkSession

from glue_scripts.lib import sources
from glue_scripts.lib.fs import filesystem_for, join
from glue_scripts.lib.ingest import LOAD_DATE_COLUMN, Ingested, StagedRecords, ingest_records
from glue_scripts.lib.quality import CheckOutcome, outcome
from glue_scripts.lib.tables import TableStore, new_snapshot_id, partition_name

STAGING = "_staging"
# Sources read as they are now: each load is a picture of the source at the time it ran, so
# one job run cannot load several past days from them.
LIVE_KINDS = ("postgres", "http_api", "mongodb")
FULL_REFRESH_ARG = "full_refresh"


class ExtractionError(ValueError):
    """A bronze load of a source system cannot run as asked."""


def is_extracted(spec: Mapping[str, Any]) -> bool:
    return bool(spec.get("extract"))


@dataclass
class Extraction:
    """The rows of one load of a source system, staged, with the watermarks around them."""

    table: str
    spec: Mapping[str, Any]
    load_date: str
    extracted: sources.Extracted
    previous_watermark: str | None
    staging_uri: str

    @property
    def partition(self) -> str:
        return partition_name((LOAD_DATE_COLUMN,), (self.load_date,))

    @property
    def cursor(self) -> str | None:
        return self.spec["extract"].get("cursor")

    @property
    def watermark(self) -> str | None:
        """What the commit records: never behind the previous load's watermark."""
        new, old = self.extracted.watermark, self.previous_watermark
        if not self.cursor or new is None:
            return old
        return new if old is None or _after_or_equal(new, old, self._cursor_type()) else old

    def ingest(self, spark: SparkSession, ingested_at: str, *, single_pass: bool) -> Ingested:
        staged = StagedRecords(
            files=list(self.extracted.files),
            columns=list(self.extracted.columns),
            source_uri=self.extracted.source_uri,
        )
        return ingest_records(spark, staged, self.spec, ingested_at, single_pass=single_pass)

    def watermarks(self) -> dict[str, str]:
        watermark = self.watermark
        return {self.partition: watermark} if watermark else {}

    def checks(self) -> list[CheckOutcome]:
        """The watermark check: the newest cursor value read is not older than what the
        previous load committed (else rows the look-back window read again left the source,
        or it was restored from an older copy; the watermark stays where it was). A load that
        read nothing reports the previous watermark, so it passes: it saw no evidence."""
        rules = [r for r in self.spec.get("rules", []) if r["kind"] == "watermark"]
        new, old = self.extracted.watermark, self.previous_watermark
        went_back = (
            self.cursor is not None
            and new is not None
            and old is not None
            and not _after_or_equal(new, old, self._cursor_type())
        )
        metadata = {
            "previous_watermark": old or "",
            "source_newest": new or "",
            "committed_watermark": self.watermark or "",
        }
        return [outcome(rule, failed=int(went_back), metadata=metadata) for rule in rules]

    def metadata(self) -> dict[str, Any]:
        body = {
            "lakehouse/source": {"type": "url", "raw_value": self.extracted.source_uri},
            "lakehouse/extracted_rows": {"type": "int", "raw_value": self.extracted.rows},
        }
        if self.cursor:
            body["lakehouse/watermark"] = {"type": "text", "raw_value": self.watermark or ""}
            body["lakehouse/previous_watermark"] = {
                "type": "text",
                "raw_value": self.previous_watermark or "",
            }
        return body

    def release(self) -> None:
        filesystem_for(self.staging_uri).delete_tree(self.staging_uri)

    def _cursor_type(self) -> str:
        name = self.cursor
        return next(c["type"] for c in self.spec["columns"] if c["name"] == name).lower()


def _after_or_equal(new: str, old: str, kind: str) -> bool:
    # Integer cursors compare as numbers; ISO dates and timestamps compare as text.
    if kind in ("tinyint", "smallint", "int", "bigint"):
        return int(new) >= int(old)
    return new >= old


def refuse_past_days(table: str, spec: Mapping[str, Any], load_dates: Sequence[str]) -> None:
    kind = spec["extract"]["kind"]
    if kind in LIVE_KINDS and len(load_dates) > 1:
        raise ExtractionError(
            f"{table} is read from a live source ({kind}) as it is now, so one run loads one "
            f"day, not {len(load_dates)} ({load_dates[0]}..{load_dates[-1]}); materialize "
            "the latest partition only (a backfill of past days cannot recover past states)"
        )


def extract(job: Any, table: str, spec: Mapping[str, Any], landing: str, load_date: str):
    """Extract the rows of `table`'s load of `load_date` from its source into staged Parquet."""
    kind = spec["extract"]["kind"]
    database, name = table.split(".", 1)
    store = TableStore(job.root, database, name)
    full_refresh = job.args.get(FULL_REFRESH_ARG, "").lower() == "true"
    partition = partition_name((LOAD_DATE_COLUMN,), (load_date,))
    previous = None if full_refresh else store.watermark_before(partition)
    staging_uri = join(job.root, STAGING, database, name, new_snapshot_id())
    request = sources.ExtractRequest(
        table=table,
        source=spec["extract"],
        columns=[c for c in spec["columns"] if c["name"] not in _FRAMEWORK_COLUMNS],
        staging_uri=staging_uri,
        root=job.root,
        landing=landing,
        load_date=load_date,
        args=job.args,
        watermark=previous,
        log=job.log,
    )
    start = f"from watermark {previous}" if previous else "everything"
    job.log.info(f"{table}: extracting from its {kind} source ({start})")
    try:
        extracted = sources.extract(request)
    except BaseException:
        filesystem_for(staging_uri).delete_tree(staging_uri)
        raise
    job.log.info(f"{table}: extracted {extracted.rows} row(s) from {extracted.source_uri}")
    return Extraction(table, spec, load_date, extracted, previous, staging_uri)


_FRAMEWORK_COLUMNS = ("ingested_at", "source_file", LOAD_DATE_COLUMN)
