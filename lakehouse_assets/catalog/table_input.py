"""Spec + graph + data location + last materialization -> Glue DatabaseInput/TableInput.

Pure: no AWS, no Dagster. Everything the catalog contract (docs/GOVERNANCE.md) promises
is built here, and validated against Glue's limits before the applier sends anything.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from lakehouse_assets.catalog.facts import DataLocation, MaterializationFacts
from lakehouse_assets.catalog.lf_tags import column_lf_tags, table_lf_tags
from lakehouse_assets.catalog.limits import (
    CatalogValidationError,
    Problem,
    validate_database_input,
    validate_lf_tags,
    validate_table_input,
)
from lakehouse_assets.specs import RESERVED_PARAMETERS, TableSpec

MANAGED_BY = "lakehouse"
NOT_PII = "none"

# An Iceberg table's registration in Glue, as Iceberg's own catalogs write it.
TABLE_TYPE = "table_type"
ICEBERG = "ICEBERG"
METADATA_LOCATION = "metadata_location"
PREVIOUS_METADATA_LOCATION = "previous_metadata_location"
ICEBERG_PARAMETERS = frozenset({TABLE_TYPE, METADATA_LOCATION, PREVIOUS_METADATA_LOCATION})
# What exports wrote before the tables were Iceberg: a re-export removes them.
RETIRED_PARAMETERS = frozenset({"classification", "EXTERNAL", "lakehouse_manifest_version"})

# Every table parameter the export owns: a key in this set that the export no longer
# sends is a change (removed); keys others add (Athena, crawlers, Lake Formation, pyiceberg's
# table properties) are kept.
MANAGED_PARAMETERS = (
    RESERVED_PARAMETERS
    | RETIRED_PARAMETERS
    | ICEBERG_PARAMETERS
    | {
        "lakehouse_table_version",
        "lakehouse_snapshot_id",
        "last_materialization_run_id",
        "last_materialization_time",
        "last_materialization_row_count",
        "last_materialization_partition",
        "last_materialization_code_version",
    }
)


@dataclass(frozen=True)
class TableEntry:
    """One table as the catalog should hold it."""

    database: str
    name: str
    table_input: dict
    lf_table_tags: dict[str, str] = field(default_factory=dict)
    lf_column_tags: dict[str, str] = field(default_factory=dict)
    materialization: MaterializationFacts | None = None

    @property
    def qualified_name(self) -> str:
        return f"{self.database}.{self.name}"


def database_input(domain: str, layer: str, root: str | None = None) -> dict:
    name = f"{domain}_{layer}"
    body = {
        "Name": name,
        "Description": (
            f"The {layer} layer of the {domain} domain of the lakehouse: one table per "
            "Dagster asset, published by `lakehouse catalog export`."
        ),
        "Parameters": {"domain": domain, "layer": layer, "managed_by": MANAGED_BY},
    }
    if root:
        body["LocationUri"] = f"{root.rstrip('/')}/{name}"
    return body


def _column(name: str, type_: str, comment: str, pii: str | None) -> dict:
    return {
        "Name": name,
        "Type": type_.replace(" ", "").lower(),
        "Comment": comment,
        "Parameters": {"pii_class": pii or NOT_PII},
    }


def table_parameters(
    spec: TableSpec,
    downstream: Sequence[str],
    location: DataLocation,
    materialization: MaterializationFacts | None,
    code_version: str | None,
) -> dict[str, str]:
    parameters = {
        "managed_by": MANAGED_BY,
        "dagster_asset_key": "/".join(spec.key_path),
        "layer": spec.layer,
        "domain": spec.domain,
        "business_tags": ",".join(spec.business_tags),
        "pii_columns": ",".join(f"{c}:{k}" for c, k in spec.pii_columns.items()),
        "primary_key": ",".join(spec.primary_key),
        "partition_by": ",".join(spec.partition_by),
        "upstream_tables": ",".join(sorted(spec.upstream)),
        "downstream_tables": ",".join(sorted(downstream)),
        "glue_job_name": spec.job,
    }
    if spec.parameters:
        # The spec's own settings (validated not to shadow the keys above), and their names:
        # a setting removed from the spec changes `lakehouse_parameters`, so it leaves too.
        parameters.update(spec.parameters)
        parameters["lakehouse_parameters"] = ",".join(sorted(spec.parameters))
    if spec.extract is not None:
        # Lineage starts at the source system: its kind from the spec, its address (without
        # credentials) from the load that last read it.
        parameters["source_kind"] = spec.extract.kind
    if materialization is not None and materialization.source:
        parameters["source_system"] = materialization.source
    if spec.write_once:
        # Partitions are an immutable history: readers may cache them, nobody rewrites them.
        parameters["write_once"] = "true"
    if code_version:
        parameters["code_version"] = code_version
    if location.committed:
        parameters[TABLE_TYPE] = ICEBERG
        parameters[METADATA_LOCATION] = location.metadata_location or ""
        parameters["recordCount"] = str(location.rows)
        parameters["lakehouse_table_version"] = str(location.table_version)
        parameters["lakehouse_snapshot_id"] = str(location.snapshot_id)
    if materialization is not None:
        parameters["last_materialization_run_id"] = materialization.run_id
        parameters["last_materialization_time"] = materialization.time_iso
        if materialization.row_count is not None:
            parameters["last_materialization_row_count"] = str(materialization.row_count)
        if materialization.partition:
            parameters["last_materialization_partition"] = materialization.partition
        if materialization.code_version:
            parameters["last_materialization_code_version"] = materialization.code_version
    return parameters


def table_input(
    spec: TableSpec,
    downstream: Sequence[str],
    location: DataLocation,
    materialization: MaterializationFacts | None = None,
    code_version: str | None = None,
) -> dict:
    """The TableInput of one table: an Iceberg table once committed.

    Iceberg tables have no partition keys in Glue (their partitioning is in their metadata),
    so the partition columns are columns like the others.
    """
    columns = [_column(c.name, c.type, c.comment, c.pii) for c in spec.columns]
    descriptor: dict = {"Columns": columns}
    if location.committed and location.location:
        descriptor["Location"] = location.location
    return {
        "Name": spec.name,
        "Description": spec.description,
        "Owner": spec.owner,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": table_parameters(spec, downstream, location, materialization, code_version),
        "StorageDescriptor": descriptor,
    }


def table_entry(
    spec: TableSpec,
    downstream: Sequence[str],
    location: DataLocation,
    materialization: MaterializationFacts | None = None,
    code_version: str | None = None,
) -> TableEntry:
    return TableEntry(
        database=spec.database,
        name=spec.name,
        table_input=table_input(spec, downstream, location, materialization, code_version),
        lf_table_tags=table_lf_tags(spec),
        lf_column_tags=column_lf_tags(spec),
        materialization=materialization,
    )


def is_iceberg_table(table: Mapping | None) -> bool:
    parameters = (table or {}).get("Parameters") or {}
    return str(parameters.get(TABLE_TYPE, "")).upper() == ICEBERG


def registration(desired: Mapping, existing: Mapping | None, glue_is_iceberg_catalog: bool) -> dict:
    """The TableInput to send, given what Glue holds now (None: no entry yet).

    An update replaces the whole entry, so what others keep there stays: the parameters the
    export does not manage and the parameters of each column besides its PII class. Where Glue
    is the Iceberg catalog, `table_type`, `metadata_location` and `previous_metadata_location`
    belong to the commits: they are sent back exactly as read, never changed. Elsewhere the
    export registers the table itself, keeping the metadata file it replaces as the previous one.
    """
    body = copy.deepcopy(dict(desired))
    old = dict((existing or {}).get("Parameters") or {})
    parameters = {k: v for k, v in old.items() if k not in MANAGED_PARAMETERS}
    parameters.update({k: v for k, v in body["Parameters"].items() if k not in ICEBERG_PARAMETERS})
    if glue_is_iceberg_catalog:
        parameters.update({k: old[k] for k in sorted(ICEBERG_PARAMETERS) if k in old})
    elif METADATA_LOCATION in body["Parameters"]:
        current = body["Parameters"][METADATA_LOCATION]
        parameters[TABLE_TYPE] = body["Parameters"][TABLE_TYPE]
        parameters[METADATA_LOCATION] = current
        before = old.get(METADATA_LOCATION) if is_iceberg_table(existing) else None
        if before and before != current:
            parameters[PREVIOUS_METADATA_LOCATION] = before
        elif before == current and PREVIOUS_METADATA_LOCATION in old:
            parameters[PREVIOUS_METADATA_LOCATION] = old[PREVIOUS_METADATA_LOCATION]
    body["Parameters"] = parameters
    registered = {
        c["Name"]: c.get("Parameters") or {}
        for c in ((existing or {}).get("StorageDescriptor") or {}).get("Columns") or []
    }
    for column in body["StorageDescriptor"]["Columns"]:
        column["Parameters"] = {**registered.get(column["Name"], {}), **column["Parameters"]}
    return body


def validate(
    databases: Sequence[Mapping], entries: Sequence[TableEntry], lake_formation: bool
) -> None:
    """Raise CatalogValidationError listing every problem, before any call to AWS."""
    problems: list[Problem] = []
    for database in databases:
        problems += validate_database_input(database)
    for entry in entries:
        problems += validate_table_input(entry.database, entry.table_input)
        if lake_formation:
            problems += validate_lf_tags(
                entry.qualified_name, "business_tags (as LF-Tags)", entry.lf_table_tags
            )
            for column, pii_class in entry.lf_column_tags.items():
                problems += validate_lf_tags(
                    entry.qualified_name, f"columns.{column}.lf_tags", {"pii_class": pii_class}
                )
    if problems:
        raise CatalogValidationError(problems)
