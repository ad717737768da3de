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
from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from glue_scripts.lib.quality import CheckOutcome, outcome
from glue_scripts.lib.tables import Manifest, TableStore

KIND = "immutable_partitions"
# Partitions named in a check's metadata, at most (the count is always complete).
LISTED = 50


def partition_name_column(partition_by: Sequence[str]) -> Column:
    """The `column=value/...` folder name of each row's partition, as the manifest spells it."""
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
    rules: Sequence[Mapping[str, Any]], store: TableStore, manifest: Manifest | None
) -> list[CheckOutcome]:
    """Outcomes of the `immutable_partitions` rules: published partitions whose files changed."""
    rules = [r for r in rules if r["kind"] == KIND]
    if not rules:
        return []
    entries = sorted(manifest.partitions.items()) if manifest else []
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
