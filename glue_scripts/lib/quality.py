"""Quality rules of a table spec, compiled to SQL and evaluated on the written snapshot.

Every rule kind becomes one query over temporary views (`this` is the table being written,
each input is visible under its table name) that returns the number of failing rows or keys
in a column named `failed`, plus optional metric columns that go into the check's metadata.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import SparkSession

THIS = "this"
# Rule kinds only the ingestion can evaluate: it alone knows the landing files and counts.
INGESTION_KINDS = ("row_conservation", "schema_drift")
# Rule kinds the write evaluates against the table's committed history (lib/write_once.py).
HISTORY_KINDS = ("immutable_partitions",)


class RuleError(ValueError):
    """A rule in a spec cannot be compiled."""


@dataclass(frozen=True)
class CheckOutcome:
    name: str
    passed: bool
    severity: str
    blocking: bool
    failed: int
    metadata: dict[str, Any] = field(default_factory=dict)
    description: str = ""


def _cols(rule: Mapping[str, Any]) -> list[str]:
    columns = list(rule.get("columns") or [])
    if not columns:
        raise RuleError(f"rule {rule['name']!r} ({rule['kind']}) needs `columns`")
    return columns


def _q(name: str) -> str:
    return f"`{name}`"


def _view(table: str) -> str:
    return table.split(".")[-1]


def compile_rule(rule: Mapping[str, Any]) -> str:
    """The SQL that counts the rule's failures."""
    kind = rule["kind"]
    params = rule.get("params") or {}
    if kind == "not_null":
        cond = " OR ".join(f"{_q(c)} IS NULL" for c in _cols(rule))
        return f"SELECT COUNT(*) AS failed FROM {THIS} WHERE {cond}"
    if kind == "unique":
        keys = ", ".join(_q(c) for c in _cols(rule))
        return (
            "SELECT COUNT(*) AS failed, COALESCE(SUM(n), 0) AS duplicated_rows FROM "
            f"(SELECT {keys}, COUNT(*) AS n FROM {THIS} GROUP BY {keys} HAVING COUNT(*) > 1)"
        )
    if kind == "non_negative":
        cond = " OR ".join(f"{_q(c)} < 0" for c in _cols(rule))
        return f"SELECT COUNT(*) AS failed FROM {THIS} WHERE {cond}"
    if kind == "accepted_values":
        (column,) = _cols(rule)
        values = ", ".join("'" + str(v).replace("'", "''") + "'" for v in params["values"])
        return (
            f"SELECT COUNT(*) AS failed FROM {THIS} "
            f"WHERE {_q(column)} IS NOT NULL AND {_q(column)} NOT IN ({values})"
        )
    if kind == "referential":
        (column,) = _cols(rule)
        ref = _view(params["table"])
        ref_col = params.get("column", column)
        return (
            f"SELECT COUNT(*) AS failed FROM {THIS} t LEFT ANTI JOIN {ref} r "
            f"ON t.{_q(column)} = r.{_q(ref_col)} WHERE t.{_q(column)} IS NOT NULL"
        )
    if kind == "row_count_equals":
        # The table's grain: as many rows as distinct keys of an input.
        ref = _view(params["table"])
        keys = ", ".join(_q(c) for c in (params.get("keys") or _cols(rule)))
        return (
            f"SELECT ABS(a.n - b.n) AS failed, a.n AS rows, b.n AS expected_rows FROM "
            f"(SELECT COUNT(*) AS n FROM {THIS}) a CROSS JOIN "
            f"(SELECT COUNT(*) AS n FROM (SELECT DISTINCT {keys} FROM {ref})) b"
        )
    if kind == "sql":
        return params["query"]
    raise RuleError(f"rule {rule['name']!r} has unknown kind {kind!r}")


def evaluate_rules(spark: SparkSession, rules: Sequence[Mapping[str, Any]]) -> list[CheckOutcome]:
    """Run each rule's query; the views must already be registered."""
    outcomes = []
    for rule in rules:
        if rule["kind"] in INGESTION_KINDS or rule["kind"] in HISTORY_KINDS:
            continue
        row = spark.sql(compile_rule(rule)).collect()[0].asDict()
        failed = int(row.pop("failed") or 0)
        metadata = {k: _plain(v) for k, v in row.items()}
        outcomes.append(outcome(rule, failed, metadata))
    return outcomes


def outcome(rule: Mapping[str, Any], failed: int, metadata: dict[str, Any]) -> CheckOutcome:
    return CheckOutcome(
        name=rule["name"],
        passed=failed == 0,
        severity=rule.get("severity", "ERROR"),
        blocking=bool(rule.get("blocking", True)),
        failed=failed,
        metadata={"failed": failed, **metadata},
        description=rule.get("description", ""),
    )


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return float(value) if hasattr(value, "as_tuple") else str(value)


def blocking_failures(outcomes: Sequence[CheckOutcome]) -> list[CheckOutcome]:
    return [o for o in outcomes if not o.passed and o.blocking and o.severity == "ERROR"]
