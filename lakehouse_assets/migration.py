"""`lakehouse migrate`: the tables of the manifest log become Iceberg tables, data in place.

Before Iceberg, each table kept its own commit log, `<table>/_lakehouse/manifest/v<N>.json`,
whose last version was current, and a job left its records as JSON files in the folder of the
table's last write. Migrating a table registers the data files its current version reads (the
folders of its partitions' writes, already in the layout `glue_scripts/lib/tables.py` keeps)
as the table's first Iceberg version, whose state is the manifest's: each partition's write,
rows, fingerprint and watermark, the history, run and time of the commit, and the records.
No data file is copied, moved or rewritten: the fingerprints of write-once partitions still
match their files, and a latest-state table still matches the loads it consumed.

Safe to run again, and after a crash: the Iceberg commit is marked (`MIGRATED_PROPERTY`, the
manifest version it came from), and a table's manifest log is deleted only once its commit is
in the catalog. A run finds such a table committed, skips it and deletes a log a stopped run
left behind; a table whose commit never happened is migrated again from its log.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.parquet as pq

from glue_scripts.lib import iceberg_files
from glue_scripts.lib.fs import (
    FileSystem,
    arrow_filesystem,
    filesystem_for,
    join,
    local_path,
    normalize_root,
)
from glue_scripts.lib.iceberg_catalog import catalog_for
from glue_scripts.lib.latest import CONSUMED_FILE
from glue_scripts.lib.tables import (
    BUILT_FROM_FILE,
    METADATA_DIR,
    CommitConflictError,
    NotIcebergError,
    PartitionEntry,
    TableStore,
    TableVersion,
)
from lakehouse_assets.specs import TableSpec

LOG_DIR = "_lakehouse"
MANIFEST_DIR = f"{LOG_DIR}/manifest"
# The records a job left in the folder of a table's last write, by file name, and the name
# `TableStore.commit(records=)` keeps each under now.
RECORD_FILES = {"_built_from.json": BUILT_FROM_FILE, CONSUMED_FILE: CONSUMED_FILE}
# Set in the summary of the Iceberg snapshot a migration commits: the manifest version it holds.
MIGRATED_PROPERTY = "lakehouse.migrated-from-manifest"
# The Spark types a partition column can have in Iceberg (`tables.partition_value_of`), as
# Arrow gives them; a partition column of another type, or of no known spec, is text.
PARTITION_TYPES = {
    "string": pa.string(),
    "date": pa.date32(),
    "boolean": pa.bool_(),
    "tinyint": pa.int8(),
    "smallint": pa.int16(),
    "int": pa.int32(),
    "bigint": pa.int64(),
}

# Spark wrote no statistics of INT96 timestamps, and pyiceberg warns of each such column of
# every file it registers: the migration of a table would print a line per file.
STATISTICS_LOGGER = "pyiceberg.io.pyarrow"

MIGRATED = "migrated"
ALREADY_ICEBERG = "already Iceberg"
NOTHING_TO_DO = "nothing to do"
FAILED = "failed"
STATUSES = (MIGRATED, ALREADY_ICEBERG, NOTHING_TO_DO, FAILED)


class MigrationError(RuntimeError):
    """A table cannot be migrated as it is; the message says what to do."""


class RootNotFoundError(LookupError):
    """The storage root to migrate does not exist."""


@dataclass(frozen=True)
class TableOutcome:
    table: str
    status: str
    detail: str = ""

    def line(self) -> str:
        if self.status == FAILED:
            return f"{self.table}: FAILED: {self.detail}"
        return f"{self.table}: {self.status}" + (f" ({self.detail})" if self.detail else "")


@dataclass(frozen=True)
class MigrationReport:
    root: str
    outcomes: tuple[TableOutcome, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def failed(self) -> list[TableOutcome]:
        return [o for o in self.outcomes if o.status == FAILED]

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    def summary(self) -> str:
        if not self.outcomes:
            return f"no table under {self.root}: nothing to migrate"
        return ", ".join(f"{self.count(s)} {s}" for s in STATUSES)


def migrate(
    root: str,
    *,
    specs: Mapping[str, TableSpec] | None = None,
    progress: Callable[[str], None] | None = None,
) -> MigrationReport:
    """Migrate every table under `root` that has a manifest log, one Iceberg commit each.

    Args:
        specs: the lakehouse's tables by qualified name, which type the partition columns
            (the registry's, by default).
        progress: called with each table's outcome line as it is done.
    """
    root = normalize_root(root)
    if root.startswith("file://") and not local_path(root).is_dir():
        raise RootNotFoundError(
            f"there is no lakehouse at {root}: pass the storage root with --root, or set "
            "LAKEHOUSE_ROOT"
        )
    if specs is None:
        from lakehouse_assets.registry import registry

        specs = registry().tables
    fs = filesystem_for(root)
    outcomes = []
    for database, table in find_tables(fs, root):
        store = TableStore(root, database, table, fs)
        outcome = _migrate_one(store, fs, specs.get(store.qualified_name))
        if outcome is None:
            continue
        outcomes.append(outcome)
        if progress is not None:
            progress(outcome.line())
    return MigrationReport(root, tuple(outcomes))


def find_tables(fs: FileSystem, root: str) -> list[tuple[str, str]]:
    """(database, table) of each folder two levels under the root that has a manifest log or
    Iceberg metadata."""
    found = []
    for database in fs.list_children(root):
        for table in fs.list_children(join(root, database)):
            children = fs.list_children(join(root, database, table))
            if LOG_DIR in children or METADATA_DIR in children:
                found.append((database, table))
    return found


def partition_types(spec: TableSpec | None) -> dict[str, pa.DataType]:
    """The Arrow type of each partition column of a table the lakehouse defines."""
    if spec is None:
        return {}
    types = {}
    for name in spec.partition_by:
        kind = spec.column(name).type.replace(" ", "").lower()
        types[name] = PARTITION_TYPES.get(kind, pa.string())
    return types


def _migrate_one(store: TableStore, fs: FileSystem, spec: TableSpec | None) -> TableOutcome | None:
    name = store.qualified_name
    try:
        return migrate_table(store, fs, partition_types(spec))
    except (MigrationError, CommitConflictError) as err:
        return TableOutcome(name, FAILED, str(err))
    except Exception as err:  # one table's failure must not stop the others
        return TableOutcome(
            name,
            FAILED,
            f"{type(err).__name__}: {err}; nothing was changed for this table: fix the cause "
            "and run `lakehouse migrate` again",
        )


def migrate_table(
    store: TableStore, fs: FileSystem, types: Mapping[str, pa.DataType]
) -> TableOutcome | None:
    """Migrate one table; None for a folder that holds no table after all."""
    name = store.qualified_name
    log = join(store.location, LOG_DIR)
    versions = _manifest_versions(fs, store)
    table = _iceberg_table(store)
    if table is not None:
        if not fs.exists(log):
            return TableOutcome(name, ALREADY_ICEBERG)
        marked = [s.summary[MIGRATED_PROPERTY] for s in table.snapshots() if _migrated(s)]
        if not marked and versions:
            raise MigrationError(
                f"the catalog holds Iceberg versions of it that no migration made, yet its "
                f"manifest log (v{versions[-1]}) is still at {log}: jobs committed it as Iceberg "
                "before it was migrated, without the data of its manifest. If its current data "
                f"is complete, delete {log}; otherwise drop the Iceberg table ({name} from the "
                f"catalog and {join(store.location, METADATA_DIR)}), run `lakehouse migrate` "
                "again, and re-run the jobs that wrote it since"
            )
        fs.delete_tree(log)
        before = f"migrated from manifest v{marked[0]} before; " if marked else ""
        return TableOutcome(
            name, ALREADY_ICEBERG, f"{before}deleted the manifest log left at {log}"
        )
    if not versions:
        if fs.exists(log):
            return TableOutcome(name, NOTHING_TO_DO, "its manifest log holds no committed version")
        return None
    version, state, notes = _legacy_state(fs, store, versions[-1])
    files, schema = _current_files(fs, store, version, state, types)
    if _drop_hive_entry(store):
        notes.append(
            "its Hive entry in the Glue catalog became the Iceberg table's: run "
            "`lakehouse catalog export` to describe it again"
        )
    with _quiet(STATISTICS_LOGGER):
        committed = store.adopt(
            state,
            files,
            schema=schema,
            summary={
                MIGRATED_PROPERTY: str(version),
                **({"lakehouse.write-id": state.history[-1]} if state.history else {}),
                **({"lakehouse.run-id": state.run_id} if state.run_id else {}),
            },
        )
    detail = (
        f"manifest v{version} -> Iceberg snapshot {committed.snapshot_id}: "
        f"{len(state.partitions)} partition(s), {len(files)} file(s), {state.rows} row(s)"
    )
    try:
        fs.delete_tree(log)
    except Exception as err:
        raise MigrationError(
            f"migrated ({detail}), but its manifest log {log} could not be deleted ({err}); run "
            "`lakehouse migrate` again to delete it"
        ) from err
    return TableOutcome(name, MIGRATED, "; ".join([detail, *notes]))


def _iceberg_table(store: TableStore):
    """The table's Iceberg entry in the catalog; None when there is none, or only the Hive
    entry that `lakehouse catalog export` made in the Glue catalog before the tables were
    Iceberg (no `table_type`)."""
    try:
        return store.iceberg_table()
    except NotIcebergError:
        return None


def _drop_hive_entry(store: TableStore) -> bool:
    """Delete the table's Hive entry of the Glue catalog, if it has one: the Iceberg commit
    creates the entry anew, and cannot over another. Glue deletes no data of an external
    table; the export puts the descriptions and tags back."""
    glue = getattr(catalog_for(store.root), "glue", None)
    if glue is None:
        return False
    try:
        entry = glue.get_table(DatabaseName=store.database, Name=store.table)["Table"]
    except glue.exceptions.EntityNotFoundException:
        return False
    if str((entry.get("Parameters") or {}).get("table_type", "")).upper() == "ICEBERG":
        return False
    glue.delete_table(DatabaseName=store.database, Name=store.table)
    return True


@contextmanager
def _quiet(name: str) -> Iterator[None]:
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _migrated(snapshot) -> bool:
    return snapshot.summary is not None and bool(snapshot.summary[MIGRATED_PROPERTY])


def _manifest_versions(fs: FileSystem, store: TableStore) -> list[int]:
    names = fs.list_children(join(store.location, MANIFEST_DIR))
    return sorted(
        int(n[1:-5])
        for n in names
        if n.startswith("v") and n.endswith(".json") and n[1:-5].isdigit()
    )


def _legacy_state(
    fs: FileSystem, store: TableStore, version: int
) -> tuple[int, TableVersion, list[str]]:
    """The current manifest of a table as the state of its first Iceberg version, with notes
    on the records left out."""
    uri = join(store.location, MANIFEST_DIR, f"v{version:012d}.json")
    try:
        body = json.loads(fs.read_text(uri) or "")
        partitions = {k: PartitionEntry(**v) for k, v in body["partitions"].items()}
        partition_by = tuple(body["partition_by"])
        committed_at = body["committed_at"]
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as err:
        raise MigrationError(
            f"its current manifest {uri} cannot be read ({type(err).__name__}: {err}); restore "
            "it from a backup (or delete it, making the version before current) and run "
            "`lakehouse migrate` again"
        ) from err
    history = tuple(body.get("history", ()))
    records, notes = _records(fs, store, history)
    state = TableVersion(
        version=0,
        partition_by=partition_by,
        partitions=partitions,
        committed_at=committed_at,
        run_id=body.get("run_id", ""),
        history=history,
        records=records,
    )
    return version, state, notes


def _records(
    fs: FileSystem, store: TableStore, history: tuple[str, ...]
) -> tuple[dict[str, dict], list[str]]:
    """The records in the folder of the last write. One cut short or not an object was never
    read by its job either (it computed afresh instead), so it is left out."""
    if not history:
        return {}, []
    folder = store.snapshot_uri(history[-1])
    records, notes = {}, []
    for file_name, key in RECORD_FILES.items():
        text = fs.read_text(join(folder, file_name))
        if text is None:
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError:
            record = None
        if isinstance(record, dict):
            records[key] = record
        else:
            notes.append(f"record {file_name} is not a JSON object: left out")
    return records, notes


def _current_files(
    fs: FileSystem,
    store: TableStore,
    version: int,
    state: TableVersion,
    types: Mapping[str, pa.DataType],
) -> tuple[list[str], pa.Schema]:
    """The data files of the partitions with rows, and the table's columns."""
    writes = sorted({e.snapshot for e in state.partitions.values()})
    by_write = {w: _write_files(fs, store, w) for w in writes}
    registered: dict[str, list[str]] = {}
    for name, entry in sorted(state.partitions.items()):
        if entry.rows <= 0:
            continue
        found = by_write[entry.snapshot].get(name, [])
        if not found:
            raise MigrationError(
                f"partition {name or '(the whole table)'} holds {entry.rows} row(s) in manifest "
                f"v{version}, but {store.data_uri(entry.snapshot, name)} has no data file: "
                "restore that folder (from a backup or the bucket's object versions) and run "
                "`lakehouse migrate` again; nothing was changed for this table"
            )
        registered.setdefault(entry.snapshot, []).extend(found)
    files = [uri for write in sorted(registered) for uri in registered[write]]
    footers = _footers(files)
    for name, entry in sorted(state.partitions.items()):
        if entry.rows <= 0:
            continue
        held = sum(footers[uri].num_rows for uri in by_write[entry.snapshot][name])
        if held != entry.rows:
            raise MigrationError(
                f"partition {name or '(the whole table)'} holds {entry.rows} row(s) in manifest "
                f"v{version}, but the files of {store.data_uri(entry.snapshot, name)} hold "
                f"{held}: the folder changed after its commit. Restore it, or re-run the job "
                "that writes the table and migrate after; nothing was changed for this table"
            )
    # One file per write (the files of one write share its columns), the newest write first:
    # the table's columns come in the order it wrote them. A write of no rows still wrote its
    # columns (Spark writes a file of none).
    samples = []
    for write in reversed(writes):
        if write in registered:
            samples.append(footers[registered[write][0]])
        elif by_write[write]:
            first = min(uri for uris in by_write[write].values() for uri in uris)
            samples.append(_footers([first])[first])
    return files, _schema(samples, state.partition_by, types)


def _write_files(fs: FileSystem, store: TableStore, write: str) -> dict[str, list[str]]:
    """The Parquet files of one write's folder by partition name."""
    base = store.snapshot_uri(write)
    files: dict[str, list[str]] = {}
    for relative, _size, _tag in fs.list_files(base):
        name = relative.rsplit("/", 1)[-1]
        if name.startswith(("_", ".")) or not name.endswith(".parquet"):
            continue
        uri = join(base, relative)
        files.setdefault(store.partition_of(uri), []).append(uri)
    return {k: sorted(v) for k, v in files.items()}


def _footers(uris: list[str]) -> dict[str, pq.FileMetaData]:
    def read(uri: str) -> pq.FileMetaData:
        filesystem, path = arrow_filesystem(uri)
        with filesystem.open_input_file(path) as handle:
            return pq.read_metadata(handle)

    with ThreadPoolExecutor(max_workers=8) as pool:
        return dict(zip(uris, pool.map(read, uris), strict=True))


def _schema(
    footers: list[pq.FileMetaData],
    partition_by: tuple[str, ...],
    types: Mapping[str, pa.DataType],
) -> pa.Schema:
    """The columns of the files (of every write: a later one may have added a column), then
    the partition columns, typed by the spec (text for a table no spec defines)."""
    schemas = [iceberg_files.file_schema(f) for f in footers]
    try:
        columns = pa.unify_schemas(schemas, promote_options="permissive") if schemas else None
    except (pa.ArrowInvalid, pa.ArrowTypeError) as err:
        raise MigrationError(
            f"its writes hold columns of types that do not merge ({err}); rebuild the table "
            "(re-run the job that writes it, replacing every partition) and migrate after"
        ) from err
    fields = list(columns) if columns is not None else []
    names = {f.name for f in fields}
    fields += [pa.field(p, types.get(p, pa.string())) for p in partition_by if p not in names]
    return pa.schema(fields)
