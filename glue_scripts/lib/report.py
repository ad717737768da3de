"""The one place that turns a written table into Dagster metadata, the same for every job."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pyspark.sql.types import StructType


def _typed(kind: str, value: Any) -> dict[str, Any]:
    return {"type": kind, "raw_value": value}


def column_schema(schema: StructType, spec: Mapping[str, Any]) -> dict[str, Any]:
    comments = {c["name"]: c for c in spec["columns"]}
    columns = []
    for field in schema.fields:
        column = comments.get(field.name, {})
        tags = {"pii": column["pii"]} if column.get("pii") else None
        columns.append(
            {
                "name": field.name,
                "type": field.dataType.simpleString(),
                "description": column.get("comment"),
                "tags": tags,
            }
        )
    return _typed("table_schema", {"columns": columns})


def column_lineage(
    lineage: Mapping[str, Sequence[tuple[str, str]]], asset_keys: Mapping[str, Sequence[str]]
) -> dict[str, Any]:
    """`{output column: [(input table, input column), ...]}` as `dagster/column_lineage`."""
    deps = {
        column: [{"asset_key": list(asset_keys[table]), "column_name": src} for table, src in srcs]
        for column, srcs in lineage.items()
    }
    return _typed("table_column_lineage", {"deps_by_column": deps})


def materialization_metadata(
    *,
    spec: Mapping[str, Any],
    schema: StructType | None,
    uri: str,
    rows: int,
    table_rows: int,
    snapshot: str,
    table_version: int,
    iceberg_snapshot_id: int,
    inputs: Mapping[str, int],
    partitioned: bool,
    lineage: dict[str, Any] | None,
    extra: Mapping[str, Any],
) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "dagster/row_count": _typed("int", rows),
        "dagster/uri": _typed("text", uri),
        "dagster/table_name": _typed("text", f"{spec['database']}.{spec['name']}"),
        "lakehouse/table_rows": _typed("int", table_rows),
        "lakehouse/snapshot": _typed("text", snapshot),
        "lakehouse/table_version": _typed("int", table_version),
        "lakehouse/iceberg_snapshot_id": _typed("text", str(iceberg_snapshot_id)),
        "lakehouse/inputs_read": _typed("json", dict(inputs)),
    }
    if schema is not None:
        metadata["dagster/column_schema"] = column_schema(schema, spec)
    if partitioned:
        metadata["dagster/partition_row_count"] = _typed("int", rows)
    if lineage:
        metadata["dagster/column_lineage"] = lineage
    metadata.update(extra)
    return metadata
