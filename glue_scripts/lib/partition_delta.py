"""What changed in a partitioned input since an output was built from it, partition by partition.

An output computed partition by partition of its input (a monthly total, features by month)
need not read the whole input again when only some partitions changed: it takes back what the
changed partitions gave when it was built and adds what they give now. The output records the
input's partitions it was built from (`since_last_build` returns the record to pass to
`GlueJob.write(built_from=...)`); the next run compares them with the input's current
version (`since`). The old partitions are read from the write folders the
recorded version points at, so retention must not have deleted them yet.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from glue_scripts.lib.job import GlueJob
from glue_scripts.lib.previous import previous_output
from glue_scripts.lib.spark_io import read_files
from glue_scripts.lib.tables import TableStore, TableVersion


@dataclass(frozen=True)
class PartitionDelta:
    """The changed partitions' rows, as the output was built from them and as they are now
    (None: no rows), and their names."""

    before: DataFrame | None
    after: DataFrame | None
    changed: tuple[str, ...]


def recorded(version: TableVersion) -> dict[str, Any]:
    """What to record of an input's version to find its changes later."""
    return {
        "version": version.version,
        "partition_by": list(version.partition_by),
        "partitions": {name: [e.snapshot, e.rows] for name, e in version.partitions.items()},
    }


def since(
    spark: SparkSession, store: TableStore, built_from: Any, current: TableVersion
) -> tuple[PartitionDelta | None, str]:
    """The changes of the input between the recorded version and `current`; (None, why) when
    they cannot be told or are not worth telling."""
    if not current.partition_by:
        return None, f"{store.qualified_name} is not partitioned"
    if not isinstance(built_from, dict) or not isinstance(built_from.get("partitions"), dict):
        return None, f"no record of the version of {store.qualified_name} it was built from"
    if built_from.get("partition_by") != list(current.partition_by):
        return None, f"{store.qualified_name} was partitioned otherwise"
    old = {name: tuple(entry) for name, entry in built_from["partitions"].items()}
    new = {name: (e.snapshot, e.rows) for name, e in current.partitions.items()}
    changed = tuple(sorted(n for n in set(old) | set(new) if old.get(n) != new.get(n)))
    rows = sum(old[n][1] for n in changed if n in old) + sum(new[n][1] for n in changed if n in new)
    if rows > current.rows:
        # Then and now, the changed partitions hold more rows than the whole input.
        return None, f"most of {store.qualified_name} changed"
    before = [store.data_uri(old[n][0], n) for n in changed if n in old and old[n][1] > 0]
    if not all(store.has_data(uri) for uri in before):
        return None, f"the version of {store.qualified_name} it was built from is past retention"
    after = store.data_uris(current, list(changed))
    delta = PartitionDelta(
        before=read_files(spark, store, before) if before else None,
        after=read_files(spark, store, after) if after else None,
        changed=changed,
    )
    return delta, ""


@dataclass(frozen=True)
class SinceLastBuild:
    """An output's previous content and the changes of its input since; or, when the output
    must be computed from the whole input, why (`delta` and `previous` None). `record` is
    what the output's write keeps (`built_from`)."""

    record: dict[str, Any]
    delta: PartitionDelta | None
    previous: DataFrame | None
    why: str

    def content(
        self, whole: DataFrame, update: Callable[[DataFrame, PartitionDelta], DataFrame]
    ) -> tuple[DataFrame, str]:
        """`whole` (computed from the whole input) or `update(previous, delta)`, and which
        of the two, for the job's log."""
        if self.delta is None:
            return whole, f"from the whole input: {self.why}"
        updated = update(self.previous, self.delta)
        return updated, f"updated from {len(self.delta.changed)} changed partition(s) of the input"


def since_last_build(job: GlueJob, output: str, input_table: str, script: str) -> SinceLastBuild:
    """What changed in `input_table` (read with `job.read`) since `output` was built from it.

    `script` is the file of the job computing the output: what another version of it computed
    is never kept.
    """
    code = hashlib.sha256(Path(script).read_bytes()).hexdigest()[:16]
    record = {"code": code, "inputs": {input_table: recorded(job.read_versions[input_table])}}
    before = job.built_from(output)
    if before is None:
        return SinceLastBuild(record, None, None, f"no record of what {output} was built from")
    if before.get("code") != code:
        return SinceLastBuild(record, None, None, f"the code of {output} changed")
    read = job.read_versions[input_table]
    last = (before.get("inputs") or {}).get(input_table)
    delta, why = since(job.spark, job.store(input_table), last, read)
    previous = None if delta is None else previous_output(job, output)
    if delta is not None and previous is None:
        delta, why = None, f"{output} holds no rows yet"
    return SinceLastBuild(record, delta, previous, why)
