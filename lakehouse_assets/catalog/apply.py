"""The thin effectful part of the export: diff against Glue, write only the changes.

Reads one `get_database` and one paginated `get_tables` per database; writes create or update
calls only where something differs. A failing call is recorded with what to do, and the
export goes on with the next table. Iceberg tables have no partitions in Glue: the ones an
export made before the tables were Iceberg are deleted when their table is updated.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from lakehouse_assets.catalog.diff import changed_fields, differs, table_differs
from lakehouse_assets.catalog.lf_tags import LFTagApplier, tag_values
from lakehouse_assets.catalog.report import ExportReport
from lakehouse_assets.catalog.table_input import (
    MANAGED_PARAMETERS,
    TableEntry,
    is_iceberg_table,
    registration,
)

DELETE_CHUNK = 25  # BatchDeletePartition accepts 25
# Updates tried while commits keep changing the entry (Glue's optimistic locking).
UPDATE_ATTEMPTS = 5
AWS_ERRORS = (BotoCoreError, ClientError)

Emit = Callable[[TableEntry, str], int]


def _code(err: Exception) -> str:
    return err.response.get("Error", {}).get("Code", "") if isinstance(err, ClientError) else ""


class CatalogApplier:
    """Writes the entries into Glue.

    `glue_is_iceberg_catalog`: Glue is the tables' Iceberg catalog (the aws target), so each
    commit creates or updates the table's entry itself. The export then only updates entries
    that are Iceberg tables, never creating one (a commit would find it taken) and never
    changing what the commits own there (see `registration`).
    """

    def __init__(
        self,
        glue: Any,
        report: ExportReport,
        lakeformation: Any = None,
        delete_undefined: bool = False,
        emit: Emit | None = None,
        progress: Callable[[str], None] = lambda _: None,
        glue_is_iceberg_catalog: bool = False,
    ):
        self.glue = glue
        self.report = report
        self.lakeformation = lakeformation
        self.delete_undefined = delete_undefined
        self.emit = emit
        self.progress = progress
        self.glue_is_iceberg_catalog = glue_is_iceberg_catalog

    def apply(self, databases: Sequence[dict], entries: Sequence[TableEntry]) -> ExportReport:
        lf = None
        if self.lakeformation is not None:
            lf = LFTagApplier(self.lakeformation, self.report.fail)
            lf.ensure_tags(tag_values((e.lf_table_tags, e.lf_column_tags) for e in entries))
        for database in databases:
            mine = sorted(
                (e for e in entries if e.database == database["Name"]), key=lambda e: e.name
            )
            self._apply_database(database, mine, lf)
        if lf is not None:
            self.report.lf_tag_changes = lf.changed_resources
        return self.report

    def _apply_database(self, database: dict, entries: list[TableEntry], lf) -> None:
        name = database["Name"]
        try:
            catalog_id = self._ensure_database(database)
            existing = {
                t["Name"]: t
                for page in self.glue.get_paginator("get_tables").paginate(DatabaseName=name)
                for t in page.get("TableList", [])
            }
        except AWS_ERRORS as err:
            self.report.fail(f"database {name}", "GetDatabase/GetTables", err)
            for entry in entries:
                self.report.fail(entry.qualified_name, "export", "skipped: its database failed")
            return
        for entry in entries:
            self._apply_table(entry, existing.get(entry.name), catalog_id, lf)
        defined = {e.name for e in entries}
        for table in sorted(set(existing) - defined):
            qualified = f"{name}.{table}"
            self.report.undefined_tables.append(qualified)
            if self.delete_undefined:
                try:
                    self.glue.delete_table(DatabaseName=name, Name=table)
                    self.report.deleted_tables.append(qualified)
                    self.progress(f"  deleted {qualified} (no spec defines it)")
                except AWS_ERRORS as err:
                    self.report.fail(qualified, "DeleteTable", err)

    def _ensure_database(self, database: dict) -> str:
        name = database["Name"]
        try:
            current = self.glue.get_database(Name=name)["Database"]
        except ClientError as err:
            if _code(err) != "EntityNotFoundException":
                raise
            self.glue.create_database(DatabaseInput=database)
            self.report.databases_created.append(name)
            self.progress(f"  created database {name}")
            current = self.glue.get_database(Name=name)["Database"]
        else:
            if differs(database, current):
                self.glue.update_database(Name=name, DatabaseInput=database)
                self.report.databases_updated.append(name)
                self.progress(f"  updated database {name}")
        return current.get("CatalogId", "")

    def _apply_table(self, entry: TableEntry, existing: dict | None, catalog_id: str, lf) -> None:
        name = entry.qualified_name
        if self.glue_is_iceberg_catalog and not is_iceberg_table(existing):
            self.report.awaiting_commit.append(name)
            return
        previous_run = ((existing or {}).get("Parameters") or {}).get("last_materialization_run_id")
        mat = entry.materialization
        if self.emit is not None and mat is not None and mat.run_id and mat.run_id != previous_run:
            # Before the table write: if that write fails, the next export emits again
            # (the same run ids, so consumers see the same runs), never zero times.
            try:
                self.report.openlineage_events += self.emit(entry, catalog_id)
            except Exception as err:  # any transport: HTTP, file, Kafka, ...
                self.report.fail(name, "OpenLineage emit", err)
        operation = "CreateTable" if existing is None else "UpdateTable"
        try:
            if existing is None:
                body = registration(entry.table_input, None, self.glue_is_iceberg_catalog)
                self.glue.create_table(DatabaseName=entry.database, TableInput=body)
                self.report.tables_created.append(name)
                self.progress(f"  created {name}")
            else:
                body = self._update(entry, existing)
        except AWS_ERRORS as err:
            self.report.fail(name, operation, err)
            return
        if lf is not None:
            lf.apply(
                entry.database,
                entry.name,
                [c["Name"] for c in body["StorageDescriptor"]["Columns"]],
                entry.lf_table_tags,
                entry.lf_column_tags,
                new_table=existing is None,
            )

    def _update(self, entry: TableEntry, existing: dict) -> dict:
        """Update the entry if it differs; the TableInput it holds now."""
        name = entry.qualified_name
        attempts = 0
        while True:
            body = registration(entry.table_input, existing, self.glue_is_iceberg_catalog)
            # Partition keys: a Hive registration made before the tables were Iceberg.
            hive = bool(existing.get("PartitionKeys"))
            if not hive and not table_differs(body, existing, MANAGED_PARAMETERS):
                self.report.tables_unchanged.append(name)
                return body
            if hive:
                self._delete_partitions(entry)
            # The version read: Glue refuses the update if a commit changed the entry since,
            # instead of this update putting back the metadata file that commit replaced.
            version = {"VersionId": existing["VersionId"]} if existing.get("VersionId") else {}
            try:
                self.glue.update_table(DatabaseName=entry.database, TableInput=body, **version)
            except ClientError as err:
                attempts += 1
                if _code(err) != "ConcurrentModificationException" or attempts == UPDATE_ATTEMPTS:
                    raise
                existing = self.glue.get_table(DatabaseName=entry.database, Name=entry.name)[
                    "Table"
                ]
                continue
            fields = changed_fields(body, existing) + (["PartitionKeys"] if hive else [])
            self.report.tables_updated[name] = fields or ["Parameters"]
            self.progress(f"  updated {name} ({', '.join(self.report.tables_updated[name])})")
            return body

    def _delete_partitions(self, entry: TableEntry) -> None:
        pages = self.glue.get_paginator("get_partitions").paginate(
            DatabaseName=entry.database, TableName=entry.name
        )
        values = [p["Values"] for page in pages for p in page.get("Partitions", [])]
        for start in range(0, len(values), DELETE_CHUNK):
            chunk = values[start : start + DELETE_CHUNK]
            response = self.glue.batch_delete_partition(
                DatabaseName=entry.database,
                TableName=entry.name,
                PartitionsToDelete=[{"Values": v} for v in chunk],
            )
            errors = response.get("Errors") or []
            for error in errors:
                detail = error.get("ErrorDetail") or {}
                values = "/".join(error.get("PartitionValues") or [])
                self.report.fail(
                    f"{entry.qualified_name} partition {values}",
                    "BatchDeletePartition",
                    f"{detail.get('ErrorCode')}: {detail.get('ErrorMessage')}",
                )
            self.report.partitions_deleted += len(chunk) - len(errors)
        if values:
            self.progress(f"    deleted the {len(values)} partitions of {entry.qualified_name}")
