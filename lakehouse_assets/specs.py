"""Table and job specs: the single source of truth for assets, checks, jobs and the catalog.

Specs are validated when they are built; an error names the table and the field, and says
what Glue or the framework would reject.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from lakehouse_assets.source_specs import SourceSpec
from lakehouse_assets.warehouse_specs import WarehouseTable

LAYERS = ("bronze", "silver", "gold")
# What each class means is documented in docs/GOVERNANCE.md; the catalog exports them as
# column parameters and, with Lake Formation on, as LF-Tag values.
PII_CLASSES = MappingProxyType(
    {
        "email": "e-mail address of a person or company contact",
        "phone": "telephone number of a person or company contact",
        "tax_id": "tax identifier (CNPJ, CPF, EIN, ...)",
        "employee_username": "user name identifying an employee",
        "person_name": "name of a natural person",
        "customer_id": "pseudonymous identifier of a customer or applicant",
    }
)
RULE_KINDS = (
    "not_null",
    "unique",
    "non_negative",
    "accepted_values",
    "referential",
    "row_count_equals",
    "row_conservation",
    "schema_drift",
    "immutable_partitions",
    "sql",
    "watermark",
)
# What a row_count_equals rule counts (glue_scripts/lib/quality.py): the rows a write
# publishes, or the whole table as it will be (a write replacing only some partitions).
ROW_COUNT_OVER = ("written", "table")
# How the framework masks a PII column in silver and gold (glue_scripts/lib/masking.py):
# "hash" = keyed HMAC-SHA256 in hex (joins still work, the value is not readable), "redact" =
# NULL. Bronze keeps the source as it landed; access to it is governed by the catalog.
MASKS = ("hash", "redact")
# Table parameters the catalog export writes itself (lakehouse_assets/catalog/table_input.py):
# a spec's own `parameters` may not shadow them.
RESERVED_PARAMETERS = frozenset(
    {
        "classification",
        "EXTERNAL",
        "write_once",
        "managed_by",
        "dagster_asset_key",
        "layer",
        "domain",
        "business_tags",
        "pii_columns",
        "primary_key",
        "partition_by",
        "upstream_tables",
        "downstream_tables",
        "glue_job_name",
        "code_version",
        "recordCount",
        "lakehouse_table_version",
        "lakehouse_snapshot_id",
        "table_type",
        "metadata_location",
        "previous_metadata_location",
        "lakehouse_parameters",
        "source_kind",
        "source_system",
    }
)
MAX_PARAMETER_VALUE = 512_000
SEVERITIES = ("ERROR", "WARN")
# Glue's limits (CreateTable): names, Description, column Comment.
NAME = re.compile(r"^[a-z][a-z0-9_]{0,254}$")
MAX_DESCRIPTION = 2048
MAX_COMMENT = 255
NUMERIC_TYPE = re.compile(
    r"^(tinyint|smallint|int|bigint|float|double|decimal\(\d{1,2},\d{1,2}\))$"
)
_SCALAR_TYPE = re.compile(
    r"^(string|boolean|tinyint|smallint|int|bigint|float|double|date|timestamp|binary"
    r"|decimal\(\d{1,2},\d{1,2}\))$"
)


class SpecError(ValueError):
    """A spec is invalid; the message names the table and the field."""


def _valid_type(type_string: str) -> bool:
    text = type_string.replace(" ", "").lower()
    if _SCALAR_TYPE.match(text):
        return True
    if text.startswith("array<") and text.endswith(">"):
        return _valid_type(text[6:-1])
    if text.startswith("struct<") and text.endswith(">"):
        return all(_valid_field(f) for f in _split_fields(text[7:-1]))
    return False


def _valid_field(text: str) -> bool:
    name, _, kind = text.partition(":")
    return bool(NAME.match(name)) and _valid_type(kind)


def _split_fields(body: str) -> list[str]:
    fields, depth, start = [], 0, 0
    for i, char in enumerate(body):
        if char in "<(":
            depth += 1
        elif char in ">)":
            depth -= 1
        if char == "," and depth == 0:
            fields.append(body[start:i])
            start = i + 1
    fields.append(body[start:])
    return fields


@dataclass(frozen=True)
class Column:
    """A column: its Spark/Hive type, a comment for the catalog, its PII class and mask.

    `mask` ("hash" or "redact", see `MASKS`) is applied by the framework to the job's output,
    so the transform selects the raw value under the column's name. `min_value` (bronze,
    numeric columns) quarantines a landing row whose value is below it, with the reason.
    """

    name: str
    type: str
    comment: str
    pii: str | None = None
    nullable: bool = True
    null_values: tuple[str, ...] = ()
    format: str | None = None
    mask: str | None = None
    min_value: int | float | None = None

    def payload(self) -> dict[str, Any]:
        body = {
            "name": self.name,
            "type": self.type,
            "comment": self.comment,
            "pii": self.pii,
            "nullable": self.nullable,
            "null_values": list(self.null_values),
            "format": self.format,
            "mask": self.mask,
        }
        # Only when set: the payload is part of every asset's code version, which must not
        # change for tables that do not use the option.
        if self.min_value is not None:
            body["min_value"] = self.min_value
        return body


@dataclass(frozen=True)
class Rule:
    """A quality rule, run by the job on the data it is about to publish.

    A failing `blocking` rule of severity ERROR keeps the new data unpublished and stops the
    downstream assets; severity WARN reports known inconsistencies with their counts.
    """

    name: str
    kind: str
    description: str
    columns: tuple[str, ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict)
    severity: str = "ERROR"
    blocking: bool = True

    def payload(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "columns": list(self.columns),
            "params": dict(self.params),
            "severity": self.severity,
            "blocking": self.blocking and self.severity == "ERROR",
            "description": self.description,
        }


@dataclass(frozen=True)
class JobSpec:
    """One Glue job: a script under `glue_scripts/` writing one or more tables."""

    name: str
    domain: str
    script: str
    description: str
    worker_type: str = "G.1X"
    number_of_workers: int = 2
    timeout_minutes: int = 60
    max_retries: int = 0


@dataclass(frozen=True)
class TableSpec:
    """One lakehouse table: everything the asset, its checks, its job and the catalog need."""

    domain: str
    layer: str
    name: str
    description: str
    owner: str
    job: str
    columns: tuple[Column, ...]
    business_tags: tuple[str, ...] = ()
    partition_by: tuple[str, ...] = ()
    primary_key: tuple[str, ...] = ()
    upstream: tuple[str, ...] = ()
    rules: tuple[Rule, ...] = ()
    source: str | None = None
    daily_partitions_start: str | None = None
    # Settings of the table that its job reads and the catalog publishes as table parameters
    # (a model's vocabulary version, a training window): text values, one source of truth.
    parameters: Mapping[str, str] = field(default_factory=dict)
    # Partitions are published once and never replaced (an immutable history such as daily
    # snapshots): a write adds the partitions the table does not hold yet and skips the others.
    write_once: bool = False
    # Where a bronze table's rows come from when it is not CSV files in the landing
    # (`lakehouse_assets/source_specs.py`); `source` still names it.
    extract: SourceSpec | None = None
    # A copy of the table in the warehouse (`lakehouse_assets/warehouse_specs.py`).
    warehouse: WarehouseTable | None = None
    # Bronze: (SQL condition over the typed source columns, reason) pairs; a row meeting a
    # condition is quarantined with its reason, like a value that does not parse.
    invalid_when: tuple[tuple[str, str], ...] = ()

    @property
    def database(self) -> str:
        return f"{self.domain}_{self.layer}"

    @property
    def qualified_name(self) -> str:
        return f"{self.database}.{self.name}"

    @property
    def key_path(self) -> list[str]:
        return [self.domain, self.layer, self.name]

    @property
    def pii_columns(self) -> dict[str, str]:
        return {c.name: c.pii for c in self.columns if c.pii}

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    def payload(self) -> dict[str, Any]:
        """What the Glue script gets about this table (through the Pipes context)."""
        body = {
            "database": self.database,
            "name": self.name,
            "columns": [c.payload() for c in self.columns],
            "partition_by": list(self.partition_by),
            "primary_key": list(self.primary_key),
            "upstream": list(self.upstream),
            "rules": [r.payload() for r in self.rules],
            "source": self.source,
            "parameters": dict(self.parameters),
        }
        if self.write_once:
            body["write_once"] = True
        # Only when set, like `write_once`: other tables' code versions stay as they were.
        if self.extract is not None:
            body["extract"] = self.extract.payload()
        if self.invalid_when:
            body["invalid_when"] = [list(pair) for pair in self.invalid_when]
        return body

    def __post_init__(self) -> None:
        validate_table(self)


def _fail(table: str, field_name: str, problem: str) -> None:
    raise SpecError(f"table {table}: field `{field_name}` {problem}")


def _validate_mask(where: str, layer: str, c: Column) -> None:
    field_name = f"columns.{c.name}.mask"
    if c.mask not in MASKS:
        _fail(where, field_name, f"{c.mask!r} is not one of {list(MASKS)}")
    if layer == "bronze":
        _fail(where, field_name, "is set on a bronze table; mask in silver or gold")
    if not c.pii:
        _fail(where, field_name, "masks a column without a `pii` class; classify it")
    if c.mask == "hash" and c.type.replace(" ", "").lower() != "string":
        _fail(where, field_name, f"'hash' gives a hex string; the column's type is {c.type!r}")


def _validate_parameters(where: str, parameters: Mapping[str, str]) -> None:
    for key, value in parameters.items():
        field_name = f"parameters.{key}"
        if not NAME.match(key):
            _fail(where, field_name, "name must be lower-case letters, digits and _")
        if key in RESERVED_PARAMETERS or key.startswith("last_materialization_"):
            _fail(where, field_name, "is written by the catalog export itself; rename it")
        if not isinstance(value, str):
            _fail(where, field_name, f"is a {type(value).__name__}; parameters are text")
        if len(value) > MAX_PARAMETER_VALUE:
            _fail(where, field_name, f"has {len(value)} characters; Glue accepts 512000")


def _validate_min_value(where: str, layer: str, c: Column) -> None:
    field_name = f"columns.{c.name}.min_value"
    if layer != "bronze":
        _fail(where, field_name, f"is set on a {layer} table; use a `non_negative` or `sql` rule")
    if not NUMERIC_TYPE.match(c.type.replace(" ", "").lower()):
        _fail(where, field_name, f"needs a numeric column; the column's type is {c.type!r}")


def _validate_write_once(where: str, spec: TableSpec) -> None:
    kinds = [r.kind for r in spec.rules]
    if not spec.write_once:
        if "immutable_partitions" in kinds:
            _fail(where, "rules", "has an `immutable_partitions` rule; set write_once or drop it")
        return
    if not spec.partition_by:
        _fail(where, "write_once", "needs `partition_by`: only partitions can be written once")
    if spec.layer == "bronze":
        _fail(where, "write_once", "is set on a bronze table; a re-load must replace its load")
    if "immutable_partitions" not in kinds:
        _fail(
            where,
            "rules",
            "lacks a rule of kind `immutable_partitions`: a write_once table proves on every "
            "write that its published partitions are unchanged",
        )


def _validate_extract(where: str, spec: TableSpec, names: list[str]) -> None:
    extract = spec.extract
    if extract is None:
        return
    if spec.layer != "bronze":
        _fail(where, "extract", f"is set on a {spec.layer} table; only bronze tables extract")
    for field_name in ("cursor", "id_column", "text_column", "document_column", "day_column"):
        column = getattr(extract, field_name, None)
        if column is not None and column not in names:
            _fail(where, f"extract.{field_name}", f"names unknown column {column!r}")
    cursor = getattr(extract, "cursor", None)
    if any(r.kind == "watermark" for r in spec.rules) and cursor is None:
        _fail(where, "rules", "has a `watermark` rule but its source has no cursor")
    if cursor is not None:
        kind = spec.column(cursor).type.lower()
        if kind not in ("date", "timestamp", "tinyint", "smallint", "int", "bigint"):
            _fail(where, "extract.cursor", f"is a {kind} column; use a date, timestamp or integer")


def _validate_warehouse(where: str, spec: TableSpec, names: list[str]) -> None:
    if spec.warehouse is None:
        return
    unknown = [c for c in spec.warehouse.columns_named() if c not in names]
    if unknown:
        _fail(where, "warehouse", f"names unknown columns {unknown} as dist or sort keys")
    nested = [c.name for c in spec.columns if not _SCALAR_TYPE.match(c.type.replace(" ", ""))]
    if nested:
        _fail(where, "warehouse", f"cannot copy nested columns {nested}; flatten them first")


def validate_table(spec: TableSpec) -> None:
    where = f"{spec.domain}_{spec.layer}.{spec.name}"
    if spec.layer not in LAYERS:
        _fail(where, "layer", f"is {spec.layer!r}; use one of {list(LAYERS)}")
    for field_name, value in (("domain", spec.domain), ("name", spec.name), ("job", spec.job)):
        if not NAME.match(value or ""):
            _fail(where, field_name, f"{value!r} must be lower-case letters, digits and _")
    if len(f"{spec.domain}_{spec.layer}") > 255:
        _fail(where, "domain", "makes a database name longer than Glue's 255 characters")
    if not spec.description.strip():
        _fail(where, "description", "is empty; say what the table is for")
    if len(spec.description) > MAX_DESCRIPTION:
        _fail(
            where,
            "description",
            f"has {len(spec.description)} characters; Glue accepts {MAX_DESCRIPTION}: shorten it",
        )
    if not (spec.owner.startswith("team:") or "@" in spec.owner):
        _fail(where, "owner", f"{spec.owner!r} must be 'team:<name>' or an e-mail address")
    names = [c.name for c in spec.columns]
    if not names:
        _fail(where, "columns", "is empty")
    if len(set(names)) != len(names):
        _fail(
            where, "columns", f"repeats a name: {sorted({n for n in names if names.count(n) > 1})}"
        )
    for c in spec.columns:
        col = f"columns.{c.name}"
        if not NAME.match(c.name):
            _fail(where, col, "must be lower-case letters, digits and _ (Glue lower-cases names)")
        if not _valid_type(c.type):
            _fail(where, f"{col}.type", f"{c.type!r} is not a Spark/Hive type Glue accepts")
        if not c.comment.strip():
            _fail(where, f"{col}.comment", "is empty; the catalog needs it")
        if len(c.comment) > MAX_COMMENT:
            _fail(where, f"{col}.comment", f"has {len(c.comment)} characters; Glue accepts 255")
        if c.pii and c.pii not in PII_CLASSES:
            _fail(where, f"{col}.pii", f"{c.pii!r} is not one of {sorted(PII_CLASSES)}")
        if c.mask:
            _validate_mask(where, spec.layer, c)
        if c.min_value is not None:
            _validate_min_value(where, spec.layer, c)
    for field_name, cols in (
        ("partition_by", spec.partition_by),
        ("primary_key", spec.primary_key),
    ):
        unknown = [c for c in cols if c not in names]
        if unknown:
            _fail(where, field_name, f"names unknown columns {unknown}")
    rule_names = [r.name for r in spec.rules]
    if len(set(rule_names)) != len(rule_names):
        _fail(where, "rules", "repeats a rule name")
    for rule in spec.rules:
        if not NAME.match(rule.name):
            _fail(where, f"rules.{rule.name}", "name must be lower-case letters, digits and _")
        if rule.kind not in RULE_KINDS:
            _fail(where, f"rules.{rule.name}.kind", f"{rule.kind!r} is not one of {RULE_KINDS}")
        if rule.severity not in SEVERITIES:
            _fail(where, f"rules.{rule.name}.severity", f"must be one of {SEVERITIES}")
        needs_columns = rule.kind in ("not_null", "unique", "non_negative", "referential")
        if needs_columns and not rule.columns:
            _fail(where, f"rules.{rule.name}.columns", f"is required by kind {rule.kind}")
        if rule.kind in ("referential", "row_count_equals") and not rule.params.get("table"):
            _fail(where, f"rules.{rule.name}.params.table", f"is required by kind {rule.kind}")
        over = rule.params.get("over", "written")
        if rule.kind == "row_count_equals" and over not in ROW_COUNT_OVER:
            _fail(where, f"rules.{rule.name}.params.over", f"must be one of {ROW_COUNT_OVER}")
        if rule.kind == "sql" and "failed" not in str(rule.params.get("query", "")):
            _fail(where, f"rules.{rule.name}.params.query", "must select a `failed` count")
        unknown = [c for c in rule.columns if c not in names]
        if unknown:
            _fail(where, f"rules.{rule.name}.columns", f"names unknown columns {unknown}")
        ref = rule.params.get("table")
        if ref and ref not in spec.upstream:
            _fail(
                where,
                f"rules.{rule.name}.params.table",
                f"{ref!r} is not an upstream table of {where}; rules may only read inputs",
            )
    _validate_parameters(where, spec.parameters)
    _validate_write_once(where, spec)
    _validate_extract(where, spec, names)
    if spec.invalid_when and spec.layer != "bronze":
        _fail(where, "invalid_when", "is set on a non-bronze table; use rules in silver and gold")
    for condition, reason in spec.invalid_when:
        if not condition.strip() or not reason.strip():
            _fail(where, "invalid_when", "needs a condition and a reason in every pair")
    _validate_warehouse(where, spec, names)
    if spec.layer == "bronze" and not spec.source:
        _fail(where, "source", "is required for a bronze table: name its landing source")
    for ref in spec.upstream:
        if ref.count(".") != 1:
            _fail(where, "upstream", f"{ref!r} must be 'database.table'")
