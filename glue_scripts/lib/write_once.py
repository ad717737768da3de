"""Write-once partitions: an immutable history that each write may extend, never rewrite.

A table whose spec says `write_once` (daily snapshots "as known on day D", for instance) keeps
every partition exactly as it was first published. `GlueJob.write` drops the rows of
partitions the table already holds, commits only new ones (the commit itself refuses to
replace a partition, also under a race), records a fingerprint of each new partition's files,
and evaluates the table's `immutable_partitions` rules: every partition published before is
still there with the very files it was committed with.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from glue_scripts.lib.quality import CheckOutcome, outcome
from glue_scripts.lib.tables import TableStore, TableVersion, matches, partition_name

KIND = "immutable_partitions"
# Partitions named in a check's metadata, at most (the count is always complete).
LISTED = 50


def partition_name_column(partition_by: Sequence[str]) -> Column:
    """The `column=value/...` folder name of each row's partition, as the state spells it."""
    parts = (F.concat(F.lit(f"{c}="), F.col(c).cast("string")) for c in partition_by)
    return F.concat_ws("/", *parts)


def without_committed(
    frame: DataFrame, partition_by: Sequence[str], committed: Iterable[str]
) -> DataFrame:
    """The rows of `frame` that belong to partitions the table does not hold yet."""
    names = sorted(committed)
    if not names:
        return frame
    return frame.where(~partition_name_column(partition_by).isin(names))


def selectors_and_partitions(
    partitions: Sequence[Mapping[str, str]], partition_by: Sequence[str]
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Split a write's `partitions` into partial selectors and complete partition values."""
    partial = [dict(p) for p in partitions if set(p) != set(partition_by)]
    complete = [dict(p) for p in partitions if set(p) == set(partition_by)]
    unknown = sorted({c for p in partitions for c in p} - set(partition_by))
    if unknown:
        raise ValueError(f"partitions name columns {unknown} that do not partition the table")
    return partial, complete


def history_outcomes(
    rules: Sequence[Mapping[str, Any]], store: TableStore, version: TableVersion | None
) -> list[CheckOutcome]:
    """Outcomes of the `immutable_partitions` rules: published partitions whose files changed."""
    rules = [r for r in rules if r["kind"] == KIND]
    if not rules:
        return []
    entries = sorted(version.partitions.items()) if version else []
    unverifiable = [name for name, entry in entries if not entry.fingerprint]
    changed = [
        name
        for name, entry in entries
        if entry.fingerprint and store.fingerprint(entry.snapshot, name) != entry.fingerprint
    ]
    metadata = {
        "published_partitions": len(entries),
        "changed_partitions": {"type": "json", "raw_value": changed[:LISTED]},
        "partitions_without_fingerprint": len(unverifiable),
    }
    return [outcome(rule, failed=len(changed), metadata=metadata) for rule in rules]


@dataclass(frozen=True)
class WritePlan:
    """How one write treats the partitions a table already holds."""

    once: bool
    previous: TableVersion | None
    selectors: list[dict[str, str]]
    complete: list[dict[str, str]]

    @property
    def committed(self) -> set[str]:
        return set(self.previous.partitions) if self.previous else set()

    def rows_by_partition(
        self, written: Mapping[str, int], partition_by: Sequence[str]
    ) -> dict[str, int]:
        """Rows per partition to commit: the written ones, and the complete partition values
        asked for that hold no rows (never a partition a write-once table already holds)."""
        rows = dict(written)
        committed = self.committed
        for values in self.complete:
            name = partition_name(tuple(partition_by), tuple(values[c] for c in partition_by))
            if name not in committed:
                rows.setdefault(name, 0)
        return rows

    def kept(self, current: TableVersion | None, partition_by: Sequence[str]) -> dict[str, int]:
        """Rows of the committed partitions this write does not name for replacement (it
        still replaces those it writes rows into)."""
        if current is None:
            return {}
        named = {
            partition_name(tuple(partition_by), tuple(v[c] for c in partition_by))
            for v in self.complete
        }
        return {
            name: entry.rows
            for name, entry in current.partitions.items()
            if name not in named and not matches(name, self.selectors)
        }

    def metadata(self, rows_by_partition: Mapping[str, int]) -> dict[str, Any]:
        if not self.once:
            return {}
        return {
            "lakehouse/partitions_written": {
                "type": "json",
                "raw_value": sorted(rows_by_partition),
            },
            "lakehouse/partitions_kept": {"type": "int", "raw_value": len(self.committed)},
        }

    def commit_options(
        self, store: TableStore, snapshot: str, rows_by_partition: Mapping[str, int]
    ) -> dict[str, Any]:
        fingerprints = (
            {name: store.fingerprint(snapshot, name) for name in rows_by_partition}
            if self.once
            else None
        )
        return {
            "replace_matching": self.selectors,
            "write_once": self.once,
            "fingerprints": fingerprints,
        }


def plan(
    spec: Mapping[str, Any], store: TableStore, partitions: Sequence[Mapping[str, str]]
) -> WritePlan:
    """The write plan of `spec`'s table for the `partitions` a write names."""
    partition_by = tuple(spec.get("partition_by", ()))
    selectors, complete = selectors_and_partitions(partitions, partition_by)
    once = bool(spec.get("write_once"))
    if once and selectors:
        raise ValueError(f"{store.qualified_name} is write-once: its partitions cannot be replaced")
    return WritePlan(once, store.current() if once else None, selectors, complete)
