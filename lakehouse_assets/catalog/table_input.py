"""Spec + graph + data location + last materialization -> Glue DatabaseInput/TableInput.

Pure: no AWS, no Dagster. Everything the catalog contract (docs/GOVERNANCE.md) promises
is built here, and validated against Glue's limits before the applier sends anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from lakehouse_assets.catalog.facts import DataLocation, MaterializationFacts
from lakehouse_assets.catalog.lf_tags import column_lf_tags, table_lf_tags
from lakehouse_assets.catalog.limits import (
    CatalogValidationError,
    Problem,
    validate_database_input,
    validate_lf_tags,
    validate_partition_input,
    validate_table_input,
)
from lakehouse_assets.specs import RESERVED_PARAMETERS, TableSpec

PARQUET_INPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
NOT_PII = "none"
MANAGED_BY = "lakehouse"

# Every table parameter the export owns: a key in this set that the export no longer
# sends is a change (removed); keys others add (Athena, crawlers, Lake Formation) are kept.
MANAGED_PARAMETERS = RESERVED_PARAMETERS | {
    "last_materialization_run_id",
    "last_materialization_time",
    "last_materialization_row_count",
    "last_materialization_partition",
    "last_materialization_code_version",
}


@dataclass(frozen=True)
class TableEntry:
    """One table as the catalog should hold it."""

    database: str
    name: str
    table_input: dict
    # None: the table has no known data, so its registered partitions are left alone.
    partitions: dict[tuple[str, ...], dict] | None
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


def _storage_descriptor(columns: list[dict], location: str | None) -> dict:
    descriptor = {
        "Columns": columns,
        "InputFormat": PARQUET_INPUT_FORMAT,
        "OutputFormat": PARQUET_OUTPUT_FORMAT,
        "SerdeInfo": {
            "SerializationLibrary": PARQUET_SERDE,
            "Parameters": {"serialization.format": "1"},
        },
        "Compressed": False,
        "StoredAsSubDirectories": False,
    }
    if location:
        descriptor["Location"] = location
    return descriptor


def table_parameters(
    spec: TableSpec,
    downstream: Sequence[str],
    location: DataLocation,
    materialization: MaterializationFacts | None,
    code_version: str | None,
) -> dict[str, str]:
    parameters = {
        "classification": "parquet",
        "EXTERNAL": "TRUE",
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
        parameters["recordCount"] = str(location.rows)
        parameters["lakehouse_manifest_version"] = str(location.manifest_version)
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
    """The TableInput of one table (partition columns become PartitionKeys, in order)."""
    by_name = {c.name: c for c in spec.columns}
    data_columns = [
        _column(c.name, c.type, c.comment, c.pii)
        for c in spec.columns
        if c.name not in spec.partition_by
    ]
    partition_keys = [
        _column(name, by_name[name].type, by_name[name].comment, by_name[name].pii)
        for name in spec.partition_by
    ]
    return {
        "Name": spec.name,
        "Description": spec.description,
        "Owner": spec.owner,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": table_parameters(spec, downstream, location, materialization, code_version),
        "StorageDescriptor": _storage_descriptor(data_columns, location.location),
        "PartitionKeys": partition_keys,
    }


def partition_inputs(table: Mapping, location: DataLocation) -> dict[tuple[str, ...], dict] | None:
    """One PartitionInput per non-empty partition, pointing at its own snapshot folder."""
    if location.partitions is None or not table["PartitionKeys"]:
        return None
    columns = table["StorageDescriptor"]["Columns"]
    return {
        p.values: {
            "Values": list(p.values),
            "StorageDescriptor": _storage_descriptor(columns, p.location),
            "Parameters": {"recordCount": str(p.rows), "lakehouse_snapshot": p.snapshot},
        }
        for p in location.partitions
    }


def table_entry(
    spec: TableSpec,
    downstream: Sequence[str],
    location: DataLocation,
    materialization: MaterializationFacts | None = None,
    code_version: str | None = None,
) -> TableEntry:
    body = table_input(spec, downstream, location, materialization, code_version)
    return TableEntry(
        database=spec.database,
        name=spec.name,
        table_input=body,
        partitions=partition_inputs(body, location),
        lf_table_tags=table_lf_tags(spec),
        lf_column_tags=column_lf_tags(spec),
        materialization=materialization,
    )


def validate(
    databases: Sequence[Mapping], entries: Sequence[TableEntry], lake_formation: bool
) -> None:
    """Raise CatalogValidationError listing every problem, before any call to AWS."""
    problems: list[Problem] = []
    for database in databases:
        problems += validate_database_input(database)
    for entry in entries:
        problems += validate_table_input(entry.database, entry.table_input)
        for partition in (entry.partitions or {}).values():
            problems += validate_partition_input(entry.qualified_name, partition)
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
