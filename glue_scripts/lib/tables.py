"""Table layout and the commit protocol that keeps the last good data readable.

A table lives under `<root>/<database>/<table>/`:

    snapshot=<id>/[<partition column>=<value>/]part-*.parquet   data, never modified
    _lakehouse/manifest/v<NNNNNNNNNNNN>.json                    commit log

Every write goes to a new `snapshot=<id>` folder. Nothing points at it until the next
manifest version is created, with an exclusive create (a hard link locally, a conditional
PUT on S3), so a killed run leaves the previous version current, and two runs writing
different partitions of one table both land: the loser re-reads the log and retries.
This is the log-of-manifests pattern of Delta Lake and Iceberg, reduced to what plain
Parquet on local Spark needs; the Glue catalog then points each partition at its folder.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from glue_scripts.lib.fs import FileSystem, filesystem_for, join, normalize_root

UNPARTITIONED = ""
MANIFEST_DIR = "_lakehouse/manifest"
# A job's record of what an output's snapshot was built from (`TableStore.write_record`).
BUILT_FROM_FILE = "_built_from.json"
# How long a snapshot nobody committed is left alone by `cleanup`: longer than a job can run
# (Glue's default job timeout is 48 hours).
UNCOMMITTED_GRACE = timedelta(days=2)


class TableNotFoundError(LookupError):
    """A table was read before anything was committed to it."""


class CommitConflictError(RuntimeError):
    """Too many concurrent commits to one table."""


class WriteOnceError(RuntimeError):
    """A write would replace a partition of a write-once table."""


@dataclass(frozen=True)
class PartitionEntry:
    snapshot: str
    rows: int
    # Of write-once partitions: what their files were when committed (`TableStore.fingerprint`).
    fingerprint: str = ""
    # Of a load extracted from a source read incrementally: the cursor value it read up to.
    # Committed with the load's rows, so a load that fails never moves it (docs/SOURCES.md).
    watermark: str = ""


@dataclass(frozen=True)
class Manifest:
    version: int
    partition_by: tuple[str, ...]
    partitions: dict[str, PartitionEntry]
    committed_at: str
    run_id: str = ""
    history: tuple[str, ...] = field(default=())

    def to_json(self) -> str:
        body = asdict(self)
        body["partition_by"] = list(self.partition_by)
        body["history"] = list(self.history)
        for entry in body["partitions"].values():
            for optional in ("fingerprint", "watermark"):
                if not entry[optional]:
                    del entry[optional]
        return json.dumps(body, indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        body = json.loads(text)
        return cls(
            version=body["version"],
            partition_by=tuple(body["partition_by"]),
            partitions={k: PartitionEntry(**v) for k, v in body["partitions"].items()},
            committed_at=body["committed_at"],
            run_id=body.get("run_id", ""),
            history=tuple(body.get("history", ())),
        )

    @property
    def rows(self) -> int:
        return sum(entry.rows for entry in self.partitions.values())


def partition_name(partition_by: tuple[str, ...], values: tuple[str, ...]) -> str:
    """`anomesdia=20241015` style name of a partition (empty for an unpartitioned table)."""
    return "/".join(f"{col}={val}" for col, val in zip(partition_by, values, strict=True))


def partition_values(name: str) -> dict[str, str]:
    """`transaction_date=2023-01-20/anomesdia=20240110` -> {column: value}."""
    return dict(part.split("=", 1) for part in name.split("/") if "=" in part)


def matches(name: str, selectors: Sequence[Mapping[str, str]]) -> bool:
    """Whether partition `name` has the values of one of `selectors` ({} matches every one)."""
    values = partition_values(name)
    return any(all(values.get(c) == v for c, v in s.items()) for s in selectors)


def new_snapshot_id() -> str:
    # Sortable by time, unique across concurrent writers.
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}"


class TableStore:
    """Locations, manifest log and retention of one table."""

    def __init__(self, root: str, database: str, table: str, fs: FileSystem | None = None):
        self.root = normalize_root(root)
        self.database = database
        self.table = table
        self.location = join(self.root, database, table)
        self._fs = fs or filesystem_for(self.location)

    @property
    def qualified_name(self) -> str:
        return f"{self.database}.{self.table}"

    def snapshot_uri(self, snapshot: str) -> str:
        return join(self.location, f"snapshot={snapshot}")

    def data_uri(self, snapshot: str, partition: str = UNPARTITIONED) -> str:
        """The folder holding exactly one partition's (or the table's) committed data."""
        base = self.snapshot_uri(snapshot)
        return join(base, partition) if partition else base

    def _manifest_versions(self) -> list[int]:
        names = self._fs.list_children(join(self.location, MANIFEST_DIR))
        return sorted(int(n[1:-5]) for n in names if n.startswith("v") and n.endswith(".json"))

    def current(self) -> Manifest | None:
        versions = self._manifest_versions()
        if not versions:
            return None
        text = self._fs.read_text(self._manifest_uri(versions[-1]))
        return Manifest.from_json(text) if text else None

    def require_current(self) -> Manifest:
        manifest = self.current()
        if manifest is None:
            raise TableNotFoundError(
                f"table {self.qualified_name} has no committed data under {self.location}; "
                "materialize it first (e.g. `lakehouse run`)"
            )
        return manifest

    def _manifest_uri(self, version: int) -> str:
        return join(self.location, MANIFEST_DIR, f"v{version:012d}.json")

    def current_data_uris(self, partitions: list[str] | None = None) -> list[str]:
        """Folders of the current data, one per non-empty partition (of `partitions` if
        given)."""
        return self.data_uris(self.require_current(), partitions)

    def data_uris(self, manifest: Manifest, partitions: list[str] | None = None) -> list[str]:
        """Folders of the data of one version, one per non-empty partition (of `partitions`
        if given)."""
        return [
            self.data_uri(entry.snapshot, name)
            for name, entry in sorted(manifest.partitions.items())
            if entry.rows > 0 and (partitions is None or name in partitions)
        ]

    def has_data(self, uri: str) -> bool:
        """Whether a data folder is still there (retention deletes old snapshots)."""
        return self._fs.exists(uri)

    def commit(
        self,
        snapshot: str,
        partition_by: tuple[str, ...],
        rows_by_partition: dict[str, int],
        *,
        replace_all: bool,
        run_id: str = "",
        attempts: int = 20,
        replace_matching: Sequence[Mapping[str, str]] = (),
        write_once: bool = False,
        fingerprints: Mapping[str, str] | None = None,
        watermarks: Mapping[str, str] | None = None,
    ) -> Manifest:
        """Make a written snapshot current.

        Args:
            snapshot: the snapshot folder just written.
            partition_by: the table's partition columns.
            rows_by_partition: rows written per partition name (`UNPARTITIONED` if none).
            replace_all: the snapshot replaces the whole table (otherwise only the
                partitions it holds, like Hive's dynamic partition overwrite).
            run_id: the Dagster run that wrote it, kept for the catalog.
            attempts: retries when another writer commits at the same time.
            replace_matching: also drop every committed partition whose values match one of
                these selectors (`{"anomesdia": "20240110"}`: a re-load of that day replaces
                all its partitions, whatever their other values).
            write_once: refuse (`WriteOnceError`) to replace any committed partition.
            fingerprints: per partition name, what `fingerprint` gave for its files.
            watermarks: per load (a selector name such as `anomesdia=20240110`), the
                source's watermark after it, recorded on every partition of that load.
        """
        for attempt in range(attempts):
            previous = self.current()
            repartitioned = previous is not None and previous.partition_by != tuple(partition_by)
            if repartitioned and not replace_all:
                raise ValueError(
                    f"{self.qualified_name} is partitioned by {list(previous.partition_by)} "
                    f"but this write uses {list(partition_by)}; a change of partitioning needs "
                    "a new table or a rebuild that replaces every partition"
                )
            partitions = {} if replace_all or previous is None else dict(previous.partitions)
            if write_once:
                self._refuse_replacing(partitions, rows_by_partition)
            for name in [n for n in partitions if matches(n, replace_matching)]:
                del partitions[name]
            for name, rows in rows_by_partition.items():
                fingerprint = (fingerprints or {}).get(name, "")
                watermark = next(
                    (
                        w
                        for load, w in (watermarks or {}).items()
                        if matches(name, [partition_values(load)])
                    ),
                    "",
                )
                partitions[name] = PartitionEntry(snapshot, rows, fingerprint, watermark)
            version = (previous.version + 1) if previous else 1
            manifest = Manifest(
                version=version,
                partition_by=tuple(partition_by),
                partitions=partitions,
                committed_at=datetime.now(UTC).isoformat(timespec="seconds"),
                run_id=run_id,
                history=((previous.history if previous else ()) + (snapshot,))[-100:],
            )
            if self._fs.create_exclusive(self._manifest_uri(version), manifest.to_json()):
                return manifest
            time.sleep(min(0.05 * (attempt + 1), 1.0))
        raise CommitConflictError(
            f"could not commit {self.qualified_name} after {attempts} attempts: other runs keep "
            "committing to it; retry when they are done"
        )

    def _refuse_replacing(
        self, committed: Mapping[str, PartitionEntry], written: Mapping[str, int]
    ) -> None:
        taken = sorted(set(committed) & set(written))
        if taken:
            raise WriteOnceError(
                f"{self.qualified_name} is written once per partition and already holds "
                f"{taken}; another run published them first. Nothing was changed: run again "
                "to publish the partitions that are still missing"
            )

    def watermark_before(self, load: str) -> str | None:
        """The watermark committed by the latest load before `load` (the load's partition
        selector, such as `anomesdia=20240110`); None when no earlier load recorded one.

        Keyed on the loads before, not on the latest: a re-run of a day reads from where the
        day before left off, so it gives the same rows again instead of only what is new.
        """
        manifest = self.current()
        if manifest is None:
            return None
        column, _, day = load.partition("=")
        earlier = sorted(
            (values[column], entry.watermark)
            for name, entry in manifest.partitions.items()
            if entry.watermark
            and column in (values := partition_values(name))
            and values[column] < day
        )
        return earlier[-1][1] if earlier else None

    def write_record(self, snapshot: str, name: str, record: Any) -> None:
        """Leave a JSON record in a snapshot folder, before committing it (Spark skips files
        whose name starts with `_`)."""
        self._fs.create_exclusive(join(self.snapshot_uri(snapshot), name), json.dumps(record))

    def last_record(self, name: str) -> tuple[Manifest, dict] | None:
        """The current manifest and the record `name` its last snapshot holds; None when the
        table is not committed or the record is missing, cut short or not an object."""
        manifest = self.current()
        if manifest is None or not manifest.history:
            return None
        text = self._fs.read_text(join(self.snapshot_uri(manifest.history[-1]), name))
        try:
            record = json.loads(text) if text else None
        except json.JSONDecodeError:
            return None
        return (manifest, record) if isinstance(record, dict) else None

    def fingerprint(self, snapshot: str, partition: str = UNPARTITIONED) -> str:
        """A digest of the names, sizes and contents of one partition's files."""
        digest = hashlib.sha256()
        for name, size, tag in self._fs.list_files(self.data_uri(snapshot, partition)):
            digest.update(f"{name}\t{size}\t{tag}\n".encode())
        return digest.hexdigest()

    def discard(self, snapshot: str) -> None:
        """Delete a snapshot folder this writer made and will not commit."""
        self._fs.delete_tree(self.snapshot_uri(snapshot))

    def cleanup(
        self, keep_versions: int = 5, uncommitted_grace: timedelta = UNCOMMITTED_GRACE
    ) -> list[str]:
        """Delete snapshots no longer referenced by the last `keep_versions` manifests (by a
        partition, or as the snapshot a manifest committed, which holds its records).

        A snapshot that was committed (it is in the log's history) and is referenced by none
        of the kept manifests goes. A snapshot that was never committed goes only once it is
        older than `uncommitted_grace`: until then it may belong to a write that is about to
        commit, such as a concurrent run writing another partition of this table, which may
        have started before the commit that triggered this clean-up. Older ones are left by
        killed runs or rejected by blocking checks (kept that long for inspection).
        """
        versions = self._manifest_versions()
        if not versions:
            return []
        kept: set[str] = set()
        committed: set[str] = set()
        for version in versions[-keep_versions:]:
            text = self._fs.read_text(self._manifest_uri(version))
            if text:
                manifest = Manifest.from_json(text)
                kept.update(e.snapshot for e in manifest.partitions.values())
                # A commit that replaced no partition still keeps its records there.
                kept.update(manifest.history[-1:])
                committed.update(manifest.history)
        # Snapshot ids start with their UTC creation time, so they compare with this cut-off.
        cutoff = f"{datetime.now(UTC) - uncommitted_grace:%Y%m%dT%H%M%S%f}"
        removed = []
        for name in self._fs.list_children(self.location):
            if not name.startswith("snapshot="):
                continue
            snapshot = name.split("=", 1)[1]
            if snapshot not in kept and (snapshot in committed or snapshot < cutoff):
                self._fs.delete_tree(self.snapshot_uri(snapshot))
                removed.append(snapshot)
        for version in versions[:-keep_versions]:
            self._fs.delete_file(self._manifest_uri(version))
        return removed
