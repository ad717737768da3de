"""`lakehouse catalog export`: specs + graph + Iceberg tables + Dagster -> the Glue Data Catalog.

Builds every entry first (reading the tables' current versions), validates them all against
Glue's limits (no call is made if one fails), writes the descriptions and column comments
into the tables' Iceberg metadata where they differ, then hands the entries to the applier,
which writes only what changed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from glue_scripts.lib.fs import normalize_root
from glue_scripts.lib.tables import TableStore
from lakehouse_assets.catalog import iceberg_docs, openlineage_events
from lakehouse_assets.catalog.apply import CatalogApplier
from lakehouse_assets.catalog.aws import AwsConnection
from lakehouse_assets.catalog.facts import (
    MaterializationFacts,
    load_table,
    location_of,
    materialization_from_commit,
    materializations_from_dagster,
)
from lakehouse_assets.catalog.report import ExportReport
from lakehouse_assets.catalog.table_input import TableEntry, database_input, table_entry, validate
from lakehouse_assets.registry import Registry

if TYPE_CHECKING:
    from pyiceberg.table import Table

# Each table's store and its Iceberg table (None: none yet), loaded once per export.
Tables = dict[str, tuple[TableStore, "Table | None"]]


@dataclass(frozen=True)
class ExportOptions:
    root: str
    lake_formation: bool = False
    delete_undefined: bool = False
    openlineage: bool = True


@dataclass(frozen=True)
class Plan:
    databases: list[dict]
    entries: list[TableEntry]
    warnings: list[str]


def code_versions(reg: Registry) -> dict[str, str]:
    """The current code version of each table's asset (script, library and spec)."""
    from lakehouse_assets.factory import code_version

    return {
        name: code_version(reg.jobs[spec.job], spec) for name, spec in sorted(reg.tables.items())
    }


def load_tables(reg: Registry, root: str) -> Tables:
    tables: Tables = {}
    for name, spec in sorted(reg.tables.items()):
        store = TableStore(root, spec.database, spec.name)
        tables[name] = (store, load_table(store))
    return tables


def build_plan(
    reg: Registry,
    root: str,
    materializations: Mapping[str, MaterializationFacts],
    versions: Mapping[str, str],
    tables: Tables | None = None,
) -> Plan:
    """What the catalog should hold; reads only the tables' Iceberg catalog under `root`
    (unless given the `tables` already loaded)."""
    tables = load_tables(reg, root) if tables is None else tables
    layers = sorted({(t.domain, t.layer) for t in reg.tables.values()})
    databases = [database_input(domain, layer, normalize_root(root)) for domain, layer in layers]
    entries, missing = [], []
    for name, spec in sorted(reg.tables.items()):
        location = location_of(*tables[name])
        if not location.committed:
            missing.append(name)
        facts = materializations.get(name) or materialization_from_commit(location)
        entries.append(table_entry(spec, reg.downstream(name), location, facts, versions.get(name)))
    warnings = []
    if missing:
        warnings.append(
            f"{len(missing)} table(s) have no committed data under {root}, so no Iceberg "
            f"table to register: {', '.join(missing)} (materialize them, or check "
            "LAKEHOUSE_ROOT)"
        )
    return Plan(databases, entries, warnings)


def glue_is_iceberg_catalog(root: str) -> bool:
    """On `s3://` roots the tables' Iceberg catalog is Glue itself (`catalog_for`)."""
    return normalize_root(root).startswith("s3://")


def document_tables(
    reg: Registry, tables: Tables, report: ExportReport, progress: Callable[[str], None]
) -> bool:
    """Descriptions and column comments into each table's Iceberg metadata (`tables` then
    holds the tables as committed); True if any table got a commit."""
    committed = False
    for name, spec in sorted(reg.tables.items()):
        store, table = tables[name]
        try:
            table, changed = iceberg_docs.document(store, spec, table)
        except Exception as err:  # pyiceberg's catalogs raise their own and their clients' errors
            report.fail(name, "Iceberg metadata", err)
            continue
        tables[name] = (store, table)
        if changed:
            committed = True
            progress(f"  documented {name} in its Iceberg metadata")
    return committed


def export_catalog(
    reg: Registry,
    connection: AwsConnection,
    options: ExportOptions,
    instance=None,
    progress: Callable[[str], None] = lambda _: None,
) -> ExportReport:
    """Export every table; raises CatalogValidationError before any call if a limit breaks."""
    materializations = (
        materializations_from_dagster(instance, reg.tables.values()) if instance else {}
    )
    versions = code_versions(reg)
    tables = load_tables(reg, options.root)
    plan = build_plan(reg, options.root, materializations, versions, tables)
    validate(plan.databases, plan.entries, options.lake_formation)

    report = ExportReport(endpoint=connection.describe(), warnings=list(plan.warnings))
    if document_tables(reg, tables, report, progress):
        # Those commits wrote new metadata files: the entries must name them.
        plan = build_plan(reg, options.root, materializations, versions, tables)
    glue = connection.client("glue")
    emit = None
    if options.openlineage:
        client = openlineage_events.build_client(options.root)
        if client is not None:
            emit = openlineage_events.emitter(
                client,
                connection.region,
                lambda: connection.client("sts").get_caller_identity()["Account"],
            )
    applier = CatalogApplier(
        glue,
        report,
        lakeformation=connection.client("lakeformation") if options.lake_formation else None,
        delete_undefined=options.delete_undefined,
        emit=emit,
        progress=progress,
        glue_is_iceberg_catalog=glue_is_iceberg_catalog(options.root),
    )
    applier.apply(plan.databases, plan.entries)
    report.reads = connection.counter.by_kind(read=True)
    report.writes = connection.counter.by_kind(read=False)
    return report
