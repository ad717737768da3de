"""The thin effectful part of the export: diff against Glue, write only the changes.

Reads one `get_database` and one paginated `get_tables` per database, and
`get_partitions` for each partitioned table that already exists; writes create or update
calls only where something differs. A failing call is recorded with what to do, and the
export goes on with the next table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from lakehouse_assets.catalog.diff import changed_fields, differs, partition_changes, table_differs
from lakehouse_assets.catalog.lf_tags import LFTagApplier, tag_values
from lakehouse_assets.catalog.report import ExportReport
from lakehouse_assets.catalog.table_input import MANAGED_PARAMETERS, TableEntry

CREATE_CHUNK = 100  # BatchCreatePartition / BatchUpdatePartition accept 100 entries a call
DELETE_CHUNK = 25  # BatchDeletePartition accepts 25
AWS_ERRORS = (BotoCoreError, ClientError)

Emit = Callable[[TableEntry, str], int]


def _code(err: Exception) -> str:
    return err.response.get("Error", {}).get("Code", "") if isinstance(err, ClientError) else ""


def _chunks(items: Sequence, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


class CatalogApplier:
    def __init__(
        self,
        glue: Any,
        report: ExportReport,
        lakeformation: Any = None,
        delete_undefined: bool = False,
        emit: Emit | None = None,
        progress: Callable[[str], None] = lambda _: None,
    ):
        self.glue = glue
        self.report = report
        self.lakeformation = lakeformation
        self.delete_undefined = delete_undefined
        self.emit = emit
        self.progress = progress

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
                self.glue.create_table(DatabaseName=entry.database, TableInput=entry.table_input)
                self.report.tables_created.append(name)
                self.progress(f"  created {name}")
            elif table_differs(entry.table_input, existing, MANAGED_PARAMETERS):
                self.glue.update_table(DatabaseName=entry.database, TableInput=entry.table_input)
                fields = changed_fields(entry.table_input, existing) or ["Parameters"]
                self.report.tables_updated[name] = fields
                self.progress(f"  updated {name} ({', '.join(fields)})")
            else:
                self.report.tables_unchanged.append(name)
            if entry.partitions is not None:
                operation = "partitions"
                self._apply_partitions(entry, new_table=existing is None)
        except AWS_ERRORS as err:
            self.report.fail(name, operation, err)
            return
        if lf is not None:
            columns = [c["Name"] for c in entry.table_input["StorageDescriptor"]["Columns"]]
            columns += [c["Name"] for c in entry.table_input["PartitionKeys"]]
            lf.apply(
                entry.database,
                entry.name,
                columns,
                entry.lf_table_tags,
                entry.lf_column_tags,
                new_table=existing is None,
            )

    def _apply_partitions(self, entry: TableEntry, new_table: bool) -> None:
        registered: list[dict] = []
        if not new_table:
            pages = self.glue.get_paginator("get_partitions").paginate(
                DatabaseName=entry.database, TableName=entry.name
            )
            registered = [p for page in pages for p in page.get("Partitions", [])]
        create, update, delete = partition_changes(entry.partitions or {}, registered)
        base = {"DatabaseName": entry.database, "TableName": entry.name}
        for chunk in _chunks(create, CREATE_CHUNK):
            response = self.glue.batch_create_partition(**base, PartitionInputList=chunk)
            self._partition_errors(entry, "BatchCreatePartition", response)
            self.report.partitions_created += len(chunk) - len(response.get("Errors") or [])
        for chunk in _chunks(update, CREATE_CHUNK):
            entries = [{"PartitionValueList": p["Values"], "PartitionInput": p} for p in chunk]
            response = self.glue.batch_update_partition(**base, Entries=entries)
            self._partition_errors(entry, "BatchUpdatePartition", response)
            self.report.partitions_updated += len(chunk) - len(response.get("Errors") or [])
        for chunk in _chunks(delete, DELETE_CHUNK):
            response = self.glue.batch_delete_partition(
                **base, PartitionsToDelete=[{"Values": values} for values in chunk]
            )
            self._partition_errors(entry, "BatchDeletePartition", response)
            self.report.partitions_deleted += len(chunk) - len(response.get("Errors") or [])
        if create or update or delete:
            self.progress(
                f"    partitions of {entry.qualified_name}: +{len(create)} ~{len(update)} "
                f"-{len(delete)}"
            )

    def _partition_errors(self, entry: TableEntry, operation: str, response: dict) -> None:
        for error in response.get("Errors") or []:
            values = "/".join(error.get("PartitionValues") or error.get("PartitionValueList") or [])
            detail = error.get("ErrorDetail") or {}
            self.report.fail(
                f"{entry.qualified_name} partition {values}",
                operation,
                f"{detail.get('ErrorCode')}: {detail.get('ErrorMessage')}",
            )
