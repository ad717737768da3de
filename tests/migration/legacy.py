"""Tables as the manifest log kept them, written by Spark the way the jobs wrote them then.

A write went to a new `snapshot=<id>` folder in the Hive layout, with Spark's default Parquet
timestamps of the time (INT96); a job's record went into that folder as a JSON file; then the
next manifest version `_lakehouse/manifest/v<012d>.json` made the write current, holding every
partition's write, rows, fingerprint and watermark (the commit of the manifest log's
`TableStore.commit`, kept here as it was).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from glue_scripts.lib.fs import join, local_path
from glue_scripts.lib.spark_io import write_snapshot
from glue_scripts.lib.tables import TableStore

MANIFEST_DIR = "_lakehouse/manifest"


def legacy_session(spark: SparkSession) -> SparkSession:
    """A session writing Parquet as the jobs of the manifest log did."""
    session = spark.newSession()
    session.conf.set("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
    session.conf.set("spark.sql.parquet.outputTimestampType", "INT96")
    return session


@dataclass
class LegacyTable:
    spark: SparkSession
    store: TableStore

    def manifest(self) -> dict | None:
        """The current manifest (the last version of the log)."""
        folder = local_path(join(self.store.location, MANIFEST_DIR))
        versions = sorted(folder.glob("v*.json")) if folder.is_dir() else []
        return json.loads(versions[-1].read_text()) if versions else None

    def write(
        self,
        rows: list[tuple],
        ddl: str,
        partition_by: tuple[str, ...] = (),
        *,
        replace_all: bool,
        run_id: str = "",
        write_once: bool = False,
        watermarks: Mapping[str, str] | None = None,
        records: Mapping[str, Any] | None = None,
        empty_partitions: tuple[str, ...] = (),
    ) -> str:
        """Write and commit one snapshot; return its id."""
        frame: DataFrame = self.spark.createDataFrame(rows, ddl)
        written = write_snapshot(frame, self.store, partition_by)
        for file_name, record in (records or {}).items():
            path = local_path(join(self.store.snapshot_uri(written.snapshot), file_name))
            path.write_text(json.dumps(record))
        rows_by_partition = {name: 0 for name in empty_partitions} | written.rows_by_partition
        self._commit(
            written.snapshot,
            partition_by,
            rows_by_partition,
            replace_all=replace_all,
            run_id=run_id,
            write_once=write_once,
            watermarks=watermarks or {},
        )
        return written.snapshot

    def _commit(
        self,
        snapshot: str,
        partition_by: tuple[str, ...],
        rows_by_partition: dict[str, int],
        *,
        replace_all: bool,
        run_id: str,
        write_once: bool,
        watermarks: Mapping[str, str],
    ) -> None:
        previous = self.manifest()
        partitions = {} if replace_all or previous is None else dict(previous["partitions"])
        for name, rows in rows_by_partition.items():
            entry: dict[str, Any] = {"snapshot": snapshot, "rows": rows}
            if write_once:
                entry["fingerprint"] = self.store.fingerprint(snapshot, name)
            if name in watermarks:
                entry["watermark"] = watermarks[name]
            partitions[name] = entry
        version = previous["version"] + 1 if previous else 1
        body = {
            "version": version,
            "partition_by": list(partition_by),
            "partitions": partitions,
            "committed_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "run_id": run_id,
            "history": ([*previous["history"]] if previous else [])[-99:] + [snapshot],
        }
        path = local_path(join(self.store.location, MANIFEST_DIR, f"v{version:012d}.json"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(body, indent=1, sort_keys=True))
