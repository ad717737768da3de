"""Table layout and the commit protocol: Apache Iceberg tables whose files Spark writes.

A table lives under `<root>/<database>/<table>/`:

    snapshot=<write id>/[<partition column>=<value>/]part-*.parquet   data, never modified
    metadata/                                                          Iceberg metadata

Every write goes to a new `snapshot=<write id>` folder, in the Hive layout (partition values
in folder names, as Iceberg's own import of Hive tables registers them). Nothing reads it until
one Iceberg commit adds its files, and drops those of the partitions it replaces, in a single
snapshot. The catalog (`iceberg_catalog.py`) refuses a commit made on a stale version, so a
killed run leaves the previous version current, and two runs writing different partitions of
one table both land: the loser reloads the table, checks that the winner touched none of its
partitions, and commits again. Any engine that reads Iceberg sees exactly the committed files.

Each snapshot also names, in its summary (`lakehouse.state`), a small JSON file with what
Iceberg itself does not hold: the rows of each partition including the empty ones, the write
each partition comes from, the loads' watermarks, the fingerprints of write-once partitions
and the records a job leaves for its next run (`TableVersion`).
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from glue_scripts.lib.fs import FileSystem, filesystem_for, join, normalize_root
from glue_scripts.lib.iceberg_catalog import catalog_for

if TYPE_CHECKING:
    import pyarrow as pa
    from pyiceberg.table import Table

UNPARTITIONED = ""
# A job's record of what an output's version was built from (`GlueJob.built_from`).
BUILT_FROM_FILE = "built_from"
# The snapshot summary's name of the file holding the lakehouse's state of a version.
STATE_PROPERTY = "lakehouse.state"
WATERMARK_PROPERTY = "lakehouse.watermark."
METADATA_DIR = "metadata"
# How long a snapshot nobody committed is left alone by `cleanup`: longer than a job can run
# (Glue's default job timeout is 48 hours).
UNCOMMITTED_GRACE = timedelta(days=2)
# Set on every table: merged manifests keep commits fast as versions add up, and the metadata
# files of versions past retention go with them.
TABLE_PROPERTIES = {
    "format-version": "2",
    "commit.manifest-merge.enabled": "true",
    "write.metadata.delete-after-commit.enabled": "true",
    # pyiceberg would retry a commit that lost a race by re-applying its files on the winner's
    # version, past `_refuse_conflict` and with a state computed before the winner: `commit`
    # retries itself.
    "commit.retry.num-retries": "0",
}
_HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"
# Scan options of bookkeeping: Iceberg's plan skips files of no rows (Spark writes one per empty
# task), yet they are registered files a replacing commit must drop and retention must keep.
ALL_FILES = {"include_empty_files": "true"}


class TableNotFoundError(LookupError):
    """A table was read before anything was committed to it."""


class CommitConflictError(RuntimeError):
    """Another run changed the partitions a commit replaces, or kept committing."""


class NotIcebergError(RuntimeError):
    """The catalog names a table that is not an Iceberg table (an entry from before)."""


class ForeignTableError(RuntimeError):
    """The catalog's table of that name lives under another root."""


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
class TableVersion:
    """One committed version of a table: an Iceberg snapshot and the lakehouse's state of it."""

    # Iceberg's sequence number of the snapshot: it grows by one with every commit.
    version: int
    partition_by: tuple[str, ...]
    partitions: dict[str, PartitionEntry]
    committed_at: str
    run_id: str = ""
    # The writes (snapshot folders) committed so far, oldest first (the last 100).
    history: tuple[str, ...] = field(default=())
    records: Mapping[str, Any] = field(default_factory=dict)
    snapshot_id: int = 0
    # A metadata file holding this snapshot (the one current when it was read): what engines
    # such as DuckDB's `iceberg_scan` and the Glue catalog are pointed at.
    metadata_location: str = ""

    def state_json(self) -> str:
        partitions = {}
        for name, entry in self.partitions.items():
            body = {"snapshot": entry.snapshot, "rows": entry.rows}
            body.update({k: v for k in ("fingerprint", "watermark") if (v := getattr(entry, k))})
            partitions[name] = body
        body = {
            "partition_by": list(self.partition_by),
            "partitions": partitions,
            "committed_at": self.committed_at,
            "run_id": self.run_id,
            "history": list(self.history),
            "records": dict(self.records),
        }
        return json.dumps(body, indent=1, sort_keys=True)

    @classmethod
    def from_state(
        cls, text: str, version: int, snapshot_id: int, metadata_location: str = ""
    ) -> TableVersion:
        body = json.loads(text)
        return cls(
            version=version,
            partition_by=tuple(body["partition_by"]),
            partitions={k: PartitionEntry(**v) for k, v in body["partitions"].items()},
            committed_at=body["committed_at"],
            run_id=body.get("run_id", ""),
            history=tuple(body.get("history", ())),
            records=body.get("records", {}),
            snapshot_id=snapshot_id,
            metadata_location=metadata_location,
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


def _unescape(segment: str) -> str:
    # Spark escapes characters such as `:` and `/` of partition values in folder names.
    return re.sub(r"%([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), segment)


class TableStore:
    """Locations, commits, time travel and retention of one Iceberg table."""

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
        """The folder holding one partition's (or the table's) files of one write."""
        base = self.snapshot_uri(snapshot)
        return join(base, partition) if partition else base

    def partition_of(self, uri: str) -> str:
        """The partition name of a data file of this table (from its folders)."""
        relative = uri[len(self.location) + 1 :].split("/")
        return "/".join(_unescape(s) for s in relative[1:-1])

    # Iceberg

    def iceberg_table(self) -> Table | None:
        """The Iceberg table as the catalog has it now; None before the first commit."""
        from pyiceberg.exceptions import (
            NoSuchIcebergTableError,
            NoSuchPropertyException,
            NoSuchTableError,
        )

        try:
            table = catalog_for(self.root).load_table((self.database, self.table))
        except (NoSuchIcebergTableError, NoSuchPropertyException) as err:
            # On AWS: the Glue entry of a table registered before the tables were Iceberg.
            raise NotIcebergError(
                f"the catalog holds {self.qualified_name} but not as an Iceberg table ({err}); "
                "run `lakehouse migrate` to turn it into one, then run the job again"
            ) from err
        except NoSuchTableError:
            return None
        if table.location().rstrip("/") != self.location:
            # One catalog shared by two lakehouses (two roots in one Glue account).
            raise ForeignTableError(
                f"the catalog's table {self.qualified_name} lives at {table.location()}, not "
                f"under this lakehouse's root ({self.location}); give each lakehouse its own "
                "catalog (AWS account, region or Glue databases)"
            )
        return table

    def metadata_location(self) -> str | None:
        """The current metadata file: what `iceberg_scan` and the Glue catalog point at."""
        table = self.iceberg_table()
        return table.metadata_location if table is not None else None

    def current(self) -> TableVersion | None:
        table = self.iceberg_table()
        return self.version_of(table, None) if table is not None else None

    def require_current(self) -> TableVersion:
        version = self.current()
        if version is None:
            raise TableNotFoundError(
                f"table {self.qualified_name} has no committed data under {self.location}; "
                "materialize it first (e.g. `lakehouse run`)"
            )
        return version

    def version_of(self, table: Table, snapshot_id: int | None) -> TableVersion | None:
        """The version of one snapshot (the current one for None); None for a table with no
        snapshot."""
        snapshot = (
            table.current_snapshot() if snapshot_id is None else table.snapshot_by_id(snapshot_id)
        )
        if snapshot is None:
            return None
        state = snapshot.summary[STATE_PROPERTY] if snapshot.summary else None
        if not state:
            raise TableNotFoundError(
                f"snapshot {snapshot.snapshot_id} of {self.qualified_name} was committed by "
                "another engine, not by the lakehouse (its summary has no "
                f"{STATE_PROPERTY}); commit the table again through `lakehouse run`"
            )
        text = self._fs.read_text(state)
        if text is None:
            raise TableNotFoundError(
                f"the state file {state} of snapshot {snapshot.snapshot_id} of "
                f"{self.qualified_name} is gone; restore the table's metadata folder, or "
                "commit the table again through `lakehouse run`"
            )
        return TableVersion.from_state(
            text, snapshot.sequence_number or 0, snapshot.snapshot_id, table.metadata_location
        )

    def versions(self) -> list[TableVersion]:
        """Every version still held (retention expires the older ones), oldest first."""
        table = self.iceberg_table()
        if table is None or table.current_snapshot() is None:
            return []
        found = [self.version_of(table, s.snapshot_id) for s in _ancestors(table)]
        return [v for v in reversed(found) if v is not None]

    def current_data_uris(self, partitions: list[str] | None = None) -> list[str]:
        """The files of the current version (of `partitions` if given)."""
        return self.data_uris(self.require_current(), partitions)

    def data_uris(self, version: TableVersion, partitions: list[str] | None = None) -> list[str]:
        """The data files of one version (of `partitions` if given), from Iceberg's plan."""
        table = self.iceberg_table()
        if table is None or table.snapshot_by_id(version.snapshot_id) is None:
            raise TableNotFoundError(
                f"version {version.version} of {self.qualified_name} is past retention "
                "(LAKEHOUSE_KEEP_VERSIONS); read a newer one"
            )
        wanted = None if partitions is None else set(partitions)
        files = (t.file.file_path for t in table.scan(snapshot_id=version.snapshot_id).plan_files())
        return sorted(f for f in files if wanted is None or self.partition_of(f) in wanted)

    def has_data(self, uri: str) -> bool:
        """Whether a data folder is still there (retention deletes old writes)."""
        return self._fs.exists(uri)

    # Commits

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
        records: Mapping[str, Any] | None = None,
        schema: pa.Schema | None = None,
    ) -> TableVersion:
        """Make a written snapshot folder current, in one Iceberg commit.

        Args:
            snapshot: the snapshot folder just written.
            partition_by: the table's partition columns.
            rows_by_partition: rows written per partition name (`UNPARTITIONED` if none).
            replace_all: the snapshot replaces the whole table (otherwise only the
                partitions it holds, like Hive's dynamic partition overwrite).
            run_id: the Dagster run that wrote it, kept for the catalog.
            attempts: commits tried while other runs commit to other partitions.
            replace_matching: also drop every committed partition whose values match one of
                these selectors (`{"anomesdia": "20240110"}`: a re-load of that day replaces
                all its partitions, whatever their other values).
            write_once: refuse (`WriteOnceError`) to replace any committed partition.
            fingerprints: per partition name, what `fingerprint` gave for its files.
            watermarks: per load (a selector name such as `anomesdia=20240110`), the
                source's watermark after it, recorded on every partition of that load and in
                the snapshot's summary.
            records: what the job wants to find again in its next run (`last_record`).
            schema: the written frame's columns, partition columns included; without it, the
                first file's columns and the partition columns as text.
        """
        from pyiceberg.exceptions import CommitFailedException, TableAlreadyExistsError

        files = self._written_files(snapshot)
        base: TableVersion | None = None
        for attempt in range(attempts):
            table = self.iceberg_table()
            previous = self.version_of(table, None) if table is not None else None
            if attempt == 0:
                base = previous
            else:
                self._refuse_conflict(
                    base, previous, rows_by_partition, replace_all, replace_matching
                )
            state = self._next_state(
                previous,
                snapshot,
                partition_by,
                rows_by_partition,
                replace_all=replace_all,
                run_id=run_id,
                replace_matching=replace_matching,
                write_once=write_once,
                fingerprints=fingerprints,
                watermarks=watermarks,
                records=records,
            )
            state_uri = join(
                self.location, METADATA_DIR, f"lakehouse-state-{new_snapshot_id()}.json"
            )
            self._fs.create_exclusive(state_uri, state.state_json())
            summary = {STATE_PROPERTY: state_uri, "lakehouse.write-id": snapshot}
            if run_id:
                summary["lakehouse.run-id"] = run_id
            for load, watermark in (watermarks or {}).items():
                summary[WATERMARK_PROPERTY + load] = watermark
            dropped = {
                name
                for name, entry in (previous.partitions if previous else {}).items()
                if state.partitions.get(name) != entry
            }
            added = [
                uri for name, uris in files.items() if name in rows_by_partition for uri in uris
            ]
            try:
                committed = self._commit_files(
                    table, partition_by, schema, added, dropped, replace_all, summary
                )
            except (CommitFailedException, TableAlreadyExistsError):
                self._fs.delete_file(state_uri)
                time.sleep(min(0.05 * (attempt + 1), 1.0))
                continue
            except BaseException:
                self._fs.delete_file(state_uri)
                raise
            return self.version_of(committed, committed.metadata.current_snapshot_id)
        raise CommitConflictError(
            f"could not commit {self.qualified_name} after {attempts} attempts: other runs keep "
            "committing to it; retry when they are done"
        )

    def adopt(
        self,
        state: TableVersion,
        files: Sequence[str],
        *,
        schema: pa.Schema,
        summary: Mapping[str, str] | None = None,
    ) -> TableVersion:
        """Create the table with `state` as its first version, kept as it is (the writes of
        its partitions, its history, time and records), holding `files`: data written before
        the table had Iceberg metadata, such as a table of the manifest log (`lakehouse
        migrate`). `summary` adds properties to the snapshot's summary.

        Raises `CommitConflictError` when the catalog already holds the table: a state is
        never adopted over committed versions.
        """
        from pyiceberg.exceptions import CommitFailedException, TableAlreadyExistsError

        state_uri = join(self.location, METADATA_DIR, f"lakehouse-state-{new_snapshot_id()}.json")
        self._fs.create_exclusive(state_uri, state.state_json())
        properties = {**(summary or {}), STATE_PROPERTY: state_uri}
        try:
            committed = self._commit_files(
                None, state.partition_by, schema, list(files), set(), True, properties
            )
        except (CommitFailedException, TableAlreadyExistsError) as err:
            self._fs.delete_file(state_uri)
            raise CommitConflictError(
                f"{self.qualified_name} is in the catalog already (another process created it); "
                "nothing was changed"
            ) from err
        except BaseException:
            self._fs.delete_file(state_uri)
            raise
        return self.version_of(committed, committed.metadata.current_snapshot_id)

    def _next_state(
        self,
        previous: TableVersion | None,
        snapshot: str,
        partition_by: tuple[str, ...],
        rows_by_partition: Mapping[str, int],
        *,
        replace_all: bool,
        run_id: str,
        replace_matching: Sequence[Mapping[str, str]],
        write_once: bool,
        fingerprints: Mapping[str, str] | None,
        watermarks: Mapping[str, str] | None,
        records: Mapping[str, Any] | None,
    ) -> TableVersion:
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
        return TableVersion(
            version=0,
            partition_by=tuple(partition_by),
            partitions=partitions,
            committed_at=datetime.now(UTC).isoformat(timespec="seconds"),
            run_id=run_id,
            history=((previous.history if previous else ()) + (snapshot,))[-100:],
            records=dict(records or {}),
        )

    def _refuse_conflict(
        self,
        base: TableVersion | None,
        now: TableVersion | None,
        rows_by_partition: Mapping[str, int],
        replace_all: bool,
        replace_matching: Sequence[Mapping[str, str]],
    ) -> None:
        """A commit that lost a race may retry only if the winner changed none of the
        partitions it replaces: otherwise it would silently undo the other run's data."""
        before = base.partitions if base else {}
        after = now.partitions if now else {}
        names = set(before) | set(after)
        if not replace_all:
            names = {n for n in names if n in rows_by_partition or matches(n, replace_matching)}
        changed = sorted(n for n in names if before.get(n) != after.get(n))
        if changed:
            raise CommitConflictError(
                f"another run committed {self.qualified_name} while this one was committing, "
                f"and changed the partitions this write replaces ({changed[:5]}); nothing was "
                "changed by this run: run it again to replace them with what it computes now"
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

    def _written_files(self, snapshot: str) -> dict[str, list[str]]:
        """The Parquet files of a snapshot folder by partition name."""
        base = self.snapshot_uri(snapshot)
        files: dict[str, list[str]] = {}
        for relative, _size, _tag in self._fs.list_files(base):
            name = relative.rsplit("/", 1)[-1]
            if name.startswith(("_", ".")) or not name.endswith(".parquet"):
                continue
            uri = join(base, relative)
            files.setdefault(self.partition_of(uri), []).append(uri)
        return files

    def _commit_files(
        self,
        table: Table | None,
        partition_by: tuple[str, ...],
        schema: pa.Schema | None,
        added: list[str],
        dropped: set[str],
        replace_all: bool,
        summary: dict[str, str],
    ) -> Table:
        from glue_scripts.lib import iceberg_files

        arrow_schema = (
            schema if schema is not None else iceberg_files.schema_of(self._fs, added, partition_by)
        )
        if table is None:
            catalog = catalog_for(self.root)
            _ensure_namespace(catalog, self.database)
            tx = catalog.create_table_transaction(
                (self.database, self.table),
                schema=iceberg_files.all_optional(arrow_schema),
                location=self.location,
                properties=TABLE_PROPERTIES,
            )
        else:
            tx = table.transaction()
            outdated = {
                k: v
                for k, v in TABLE_PROPERTIES.items()
                if k != "format-version" and table.properties.get(k) != v
            }
            if outdated:
                tx.set_properties(**outdated)
        iceberg_files.align(tx, arrow_schema, partition_by, self.qualified_name)
        live = {}
        if table is not None and table.current_snapshot() is not None:
            live = {t.file.file_path: t.file for t in table.scan(options=ALL_FILES).plan_files()}
        # A commit run again registers none of its files twice.
        data_files = iceberg_files.data_files(
            tx, [uri for uri in added if uri not in live], self.partition_of
        )
        kept = set(added)
        removed = [
            data_file
            for path, data_file in live.items()
            if path not in kept and (replace_all or self.partition_of(path) in dropped)
        ]
        update = tx.update_snapshot(snapshot_properties=summary)
        producer = update.overwrite() if removed else update.fast_append()
        with producer as change:
            for data_file in removed:
                change.delete_data_file(data_file)
            for data_file in data_files:
                change.append_data_file(data_file)
        return tx.commit_transaction()

    # Records, fingerprints, watermarks

    def watermark_before(self, load: str) -> str | None:
        """The watermark committed by the latest load before `load` (the load's partition
        selector, such as `anomesdia=20240110`); None when no earlier load recorded one.

        Keyed on the loads before, not on the latest: a re-run of a day reads from where the
        day before left off, so it gives the same rows again instead of only what is new.
        """
        version = self.current()
        if version is None:
            return None
        column, _, day = load.partition("=")
        earlier = sorted(
            (values[column], entry.watermark)
            for name, entry in version.partitions.items()
            if entry.watermark
            and column in (values := partition_values(name))
            and values[column] < day
        )
        return earlier[-1][1] if earlier else None

    def last_record(self, name: str) -> tuple[TableVersion, dict] | None:
        """The current version and the record `name` its commit left; None when the table is
        not committed or its last commit left no such record."""
        version = self.current()
        if version is None:
            return None
        record = version.records.get(name)
        return (version, record) if isinstance(record, dict) else None

    def fingerprint(self, snapshot: str, partition: str = UNPARTITIONED) -> str:
        """A digest of the names, sizes and contents of one partition's files."""
        digest = hashlib.sha256()
        for name, size, tag in self._fs.list_files(self.data_uri(snapshot, partition)):
            digest.update(f"{name}\t{size}\t{tag}\n".encode())
        return digest.hexdigest()

    def discard(self, snapshot: str) -> None:
        """Delete a snapshot folder this writer made and will not commit."""
        self._fs.delete_tree(self.snapshot_uri(snapshot))

    # Retention

    def cleanup(
        self,
        keep_versions: int = 5,
        uncommitted_grace: timedelta = UNCOMMITTED_GRACE,
        *,
        expire: bool = True,
    ) -> list[str]:
        """Expire the versions before the last `keep_versions` (all are kept with `expire`
        false: a write-once table's versions are its history) and delete the data files no
        kept version references, with the metadata only expired versions used.

        A snapshot folder never committed goes only once it is older than
        `uncommitted_grace`: until then it may belong to a write that is about to commit,
        such as a concurrent run writing another partition of this table. Older ones are left
        by killed runs or rejected by blocking checks (kept that long for inspection).
        Returns the snapshot folders deleted whole.
        """
        from glue_scripts.lib import iceberg_files

        table = self.iceberg_table()
        if table is None or table.current_snapshot() is None:
            return []
        chain = _ancestors(table)
        kept_snapshots = chain[:keep_versions] if expire else chain
        expired = [s for s in table.snapshots() if s not in kept_snapshots]
        if expired:
            table = iceberg_files.expire(table, expired, kept_snapshots, self._fs)
            if table is None:
                return []
        kept = [self.version_of(table, s.snapshot_id) for s in kept_snapshots]
        referenced: set[str] = set()
        for snapshot in kept_snapshots:
            referenced.update(
                t.file.file_path
                for t in table.scan(
                    snapshot_id=snapshot.snapshot_id, options=ALL_FILES
                ).plan_files()
            )
        committed = {w for v in kept if v for w in v.history}
        # Write ids start with their UTC creation time, so they compare with this cut-off.
        cutoff = f"{datetime.now(UTC) - uncommitted_grace:%Y%m%dT%H%M%S%f}"
        removed = []
        for name in self._fs.list_children(self.location):
            if not name.startswith("snapshot="):
                continue
            write = name.split("=", 1)[1]
            if write not in committed and write >= cutoff:
                continue
            folder = self.snapshot_uri(write)
            by_partition: dict[str, list[str]] = {}
            for relative, _size, _tag in self._fs.list_files(folder):
                uri = join(folder, relative)
                by_partition.setdefault(self.partition_of(uri), []).append(uri)
            used = {p for p, uris in by_partition.items() if any(u in referenced for u in uris)}
            if not used:
                self._fs.delete_tree(folder)
                removed.append(write)
                continue
            # A partition folder goes whole or not at all: a job that compares versions
            # reads an older version's partition by its folder (lib/partition_delta.py).
            for partition in sorted(set(by_partition) - used):
                if partition:
                    self._fs.delete_tree(self.data_uri(write, partition))
        return removed


def _ensure_namespace(catalog, database: str) -> None:
    try:
        catalog.create_namespace_if_not_exists(database)
    except Exception:
        # Another writer (a thread loading another table of the database) made it first.
        if not catalog.namespace_exists(database):
            raise


def _ancestors(table: Table) -> list:
    """The current snapshot and its ancestors, newest first."""
    from pyiceberg.table.snapshots import ancestors_of

    return list(ancestors_of(table.current_snapshot(), table.metadata))


def partition_value_of(text: str, iceberg_type: Any) -> Any:
    """A partition value from its folder name, as Iceberg's partition record holds it."""
    from pyiceberg.types import BooleanType, DateType, IntegerType, LongType, StringType

    if text == _HIVE_NULL:
        return None
    if isinstance(iceberg_type, StringType):
        return text
    if isinstance(iceberg_type, IntegerType | LongType):
        return int(text)
    if isinstance(iceberg_type, DateType):
        return (date.fromisoformat(text) - date(1970, 1, 1)).days
    if isinstance(iceberg_type, BooleanType):
        return text == "true"
    raise ValueError(
        f"partition values of type {iceberg_type} are not supported; partition by a text, "
        "whole number, date or boolean column"
    )
