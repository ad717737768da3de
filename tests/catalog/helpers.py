"""Test data for the catalog: real specs, real Iceberg commits, real Dagster materializations."""

from __future__ import annotations

import copy
import dataclasses
import re
from datetime import date, timedelta

import pyarrow as pa
from dagster import AssetKey, MaterializeResult, asset, materialize

from glue_scripts.lib.tables import TableStore
from lakehouse_assets.catalog.aws import AwsConnection
from lakehouse_assets.catalog.export import ExportOptions, export_catalog
from lakehouse_assets.catalog.report import ExportReport
from lakehouse_assets.registry import Registry, registry
from lakehouse_assets.specs import TableSpec

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account


def load_dates(count: int, start: date = date(2024, 1, 1)) -> list[str]:
    return [(start + timedelta(days=i)).strftime("%Y%m%d") for i in range(count)]


_PRIMITIVES = {
    "string": pa.string(),
    "int": pa.int32(),
    "bigint": pa.int64(),
    "double": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
}
_ATOM = re.compile(r"decimal\((\d+),(\d+)\)|[a-z]+")


def _parse_type(text: str, at: int) -> tuple[pa.DataType, int]:
    """One Hive type of a spec (`array<struct<a:int>>`) at `at`: (its Arrow type, where it ends)."""
    if text.startswith("array<", at):
        element, at = _parse_type(text, at + len("array<"))
        return pa.list_(element), at + 1
    if text.startswith("map<", at):
        key, at = _parse_type(text, at + len("map<"))
        value, at = _parse_type(text, at + 1)
        return pa.map_(key, value), at + 1
    if text.startswith("struct<", at):
        fields, at = [], at + len("struct<")
        while text[at] != ">":
            name, _, _ = text[at:].partition(":")
            kind, at = _parse_type(text, at + len(name) + 1)
            fields.append(pa.field(name, kind))
            at += text[at] == ","
        return pa.struct(fields), at + 1
    atom = _ATOM.match(text, at)
    assert atom is not None, text[at:]
    if atom[1]:
        return pa.decimal128(int(atom[1]), int(atom[2])), atom.end()
    return _PRIMITIVES[atom[0]], atom.end()


def arrow_schema(spec: TableSpec) -> pa.Schema:
    """The frame a job writes for a table: the spec's columns, typed as the spec says."""
    return pa.schema(
        pa.field(c.name, _parse_type(c.type.replace(" ", "").lower(), 0)[0]) for c in spec.columns
    )


def commit(root: str, spec: TableSpec, partitions: int = 2, run_id: str = "", rows: int = 7):
    """Commit the table as the jobs do, with the spec's columns (no data files: the catalog
    reads only the Iceberg metadata and the commit's state)."""
    store = TableStore(root, spec.database, spec.name)
    if spec.partition_by:
        counts = {
            "/".join(f"{column}={d}" for column in spec.partition_by): rows
            for d in load_dates(partitions)
        }
    else:
        counts = {"": rows}
    return store.commit(
        f"snap-{run_id or 'x'}",
        spec.partition_by,
        counts,
        replace_all=True,
        run_id=run_id,
        schema=arrow_schema(spec),
    )


def commit_all(root: str, reg: Registry, run_id: str = "") -> None:
    """Every table committed once; partitioned ones with two load dates."""
    for spec in reg.tables.values():
        commit(root, spec, 2, run_id)


def connect(url: str, max_attempts: int = 1) -> AwsConnection:
    return AwsConnection(region=REGION, endpoint_url=url, max_attempts=max_attempts)


def export(
    reg: Registry, url: str, root: str, instance=None, max_attempts: int = 1, **options
) -> ExportReport:
    options.setdefault("openlineage", False)
    return export_catalog(
        reg, connect(url, max_attempts), ExportOptions(root=root, **options), instance=instance
    )


def record_materializations(instance, specs, rows: int = 7, code_version: str = "cv1") -> str:
    """Materialize stand-ins with the tables' asset keys: the instance then holds real events."""

    def stand_in(spec: TableSpec):
        @asset(key=AssetKey(spec.key_path), code_version=code_version)
        def _table() -> MaterializeResult:
            return MaterializeResult(metadata={"dagster/row_count": rows})

        return _table

    result = materialize([stand_in(s) for s in specs], instance=instance)
    assert result.success
    return result.run_id


def domain_registry(domain: str) -> Registry:
    """The registry of one domain's tables and jobs."""
    reg = registry()
    return Registry.build(
        tables=[t for t in reg.tables.values() if t.domain == domain],
        jobs=[j for j in reg.jobs.values() if j.domain == domain],
    )


def with_spec(reg: Registry, name: str, **changes) -> Registry:
    """The registry with one table's spec changed (validated as usual)."""
    tables = [dataclasses.replace(t, **changes) if n == name else t for n, t in reg.tables.items()]
    return Registry.build(tables=tables, jobs=reg.jobs.values())


def forced(reg: Registry, table: str, **changes) -> Registry:
    """The registry with a spec the spec validation would reject: the catalog's own checks
    are the last line before AWS, and must hold even when something bypassed the specs."""
    spec = copy.copy(reg.tables[table])
    for key, value in changes.items():
        object.__setattr__(spec, key, value)
    return Registry(tables={**reg.tables, table: spec}, jobs=reg.jobs)
