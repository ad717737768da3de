"""Quality rules of a table spec, compiled to SQL and evaluated on the written snapshot.

Every rule kind becomes one query over temporary views (`this` is the table being written,
each input is visible under its table name) that returns the number of failing rows or keys
in a column named `failed`, plus optional metric columns that go into the check's metadata.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import SparkSession

from glue_scripts.lib import sql_text

THIS = "this"
# What a partitioned write keeps of the table: (name, rows) of each committed partition it
# does not replace. `GlueJob.write` registers it for rules that count the whole table.
KEPT = "kept_partitions"
# What a `row_count_equals` rule counts: the rows written, or the whole table as it will be.
OVER = ("written", "table")
# Rule kinds only the ingestion can evaluate: it alone knows the landing files and counts,
# and the watermarks of a source it extracts from.
INGESTION_KINDS = ("row_conservation", "schema_drift", "watermark")
# Rule kinds the write evaluates against the table's committed history (lib/write_once.py).
HISTORY_KINDS = ("immutable_partitions",)
# Rule kinds that fail row by row: their failures are counted while the write runs (Spark's
# observed metrics), so they cost no query of their own over the written files.
ROW_KINDS = ("not_null", "non_negative", "accepted_values")


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
    return sql_text.name(name)


def _view(table: str) -> str:
    return table.split(".")[-1]


def compile_rule(
    rule: Mapping[str, Any], unique_views: Mapping[str, Sequence[str]] | None = None
) -> str:
    """The SQL that counts the rule's failures.

    `unique_views`: views known to hold one row per key (view -> key columns), whose
    distinct keys a `row_count_equals` counts as rows, without a shuffle.
    """
    kind = rule["kind"]
    params = rule.get("params") or {}
    if kind in ROW_KINDS:
        return f"SELECT COUNT(*) AS failed FROM {THIS} WHERE {failing_row(rule)}"
    if kind == "unique":
        keys = ", ".join(_q(c) for c in _cols(rule))
        return (
            "SELECT COUNT(*) AS failed, COALESCE(SUM(n), 0) AS duplicated_rows FROM "
            f"(SELECT {keys}, COUNT(*) AS n FROM {THIS} GROUP BY {keys} HAVING COUNT(*) > 1)"
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
        key_columns = list(params.get("keys") or _cols(rule))
        keys = ", ".join(_q(c) for c in key_columns)
        distinct = f"(SELECT DISTINCT {keys} FROM {ref})"
        if sorted((unique_views or {}).get(ref, ())) == sorted(key_columns):
            distinct = ref
        rows = f"SELECT COUNT(*) AS n FROM {THIS}"
        if counts_whole_table(rule):
            kept = f"SELECT COALESCE(SUM(`rows`), 0) FROM {KEPT}"
            rows = f"SELECT ({rows}) + ({kept}) AS n"
        return (
            f"SELECT ABS(a.n - b.n) AS failed, a.n AS rows, b.n AS expected_rows FROM "
            f"({rows}) a CROSS JOIN "
            f"(SELECT COUNT(*) AS n FROM {distinct}) b"
        )
    if kind == "sql":
        return params["query"]
    raise RuleError(f"rule {rule['name']!r} has unknown kind {kind!r}")


def failing_row(rule: Mapping[str, Any]) -> str:
    """The SQL condition of a row that fails a rule of one of the `ROW_KINDS`."""
    kind = rule["kind"]
    if kind == "not_null":
        return " OR ".join(f"{_q(c)} IS NULL" for c in _cols(rule))
    if kind == "non_negative":
        return " OR ".join(f"{_q(c)} < 0" for c in _cols(rule))
    if kind == "accepted_values":
        (column,) = _cols(rule)
        values = ", ".join(sql_text.literal(v) for v in (rule.get("params") or {})["values"])
        return f"{_q(column)} IS NOT NULL AND {_q(column)} NOT IN ({values})"
    raise RuleError(f"rule {rule['name']!r} ({kind}) is not a row condition")


def row_rules(rules: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The rules counted while the write runs (`observed_metrics`)."""
    return [r for r in rules if r["kind"] in ROW_KINDS]


def observed_metrics(rules: Sequence[Mapping[str, Any]]) -> list[str]:
    """SQL aggregates for `DataFrame.observe`, one per rule of `row_rules(rules)`, named by
    the rule: the failing rows among those the write goes through."""
    return [f"COUNT_IF({failing_row(r)}) AS {_q(r['name'])}" for r in row_rules(rules)]


def counts_whole_table(rule: Mapping[str, Any]) -> bool:
    """A `row_count_equals` rule with `over: table` counts the table as it will be (the
    written partitions and those the write keeps), not only the rows written: a job that
    rewrites only some partitions keeps the grain of the whole table checked."""
    over = (rule.get("params") or {}).get("over", "written")
    if over not in OVER:
        raise RuleError(f"rule {rule['name']!r}: `over` must be one of {OVER}, not {over!r}")
    return rule["kind"] == "row_count_equals" and over == "table"


def evaluate_rules(spark: SparkSession, rules: Sequence[Mapping[str, Any]]) -> list[CheckOutcome]:
    """Run every rule's query (one Spark job); the views must already be registered."""
    return evaluate_with_queries(spark, rules, {})[0]


def evaluate_with_queries(
    spark: SparkSession,
    rules: Sequence[Mapping[str, Any]],
    extra_queries: Mapping[str, str],
    unique_views: Mapping[str, Sequence[str]] | None = None,
    observed: Mapping[str, Any] | None = None,
) -> tuple[list[CheckOutcome], dict[str, list[dict[str, Any]]]]:
    """Run every rule's query, and `extra_queries`, as one Spark job.

    The views must already be registered (`unique_views`: see `compile_rule`). Each Spark
    job costs a scheduling round trip, which dominates on small tables, and independent
    queries of one job run side by side. A rule named in `observed` (failing rows counted
    during the write, `observed_metrics`) takes that count instead of a query. Returns the
    outcomes, in the rules' order, and the rows of each extra query.
    """
    skipped = (*INGESTION_KINDS, *HISTORY_KINDS)
    checked = [r for r in rules if r["kind"] not in skipped]
    observed = observed or {}
    queries = {
        f"rule:{r['name']}": compile_rule(r, unique_views)
        for r in checked
        if r["name"] not in observed
    }
    queries.update(extra_queries)
    rows = run_queries(spark, queries)
    outcomes = []
    for rule in checked:
        if rule["name"] in observed:
            failed = int(observed[rule["name"]] or 0)
            outcomes.append(outcome(rule, failed, {}))
            continue
        found = rows[f"rule:{rule['name']}"]
        row = dict(found[0]) if found else {"failed": 0}
        failed = int(row.pop("failed", 0) or 0)
        outcomes.append(outcome(rule, failed, {k: _plain(v) for k, v in row.items()}))
    return outcomes, {name: rows[name] for name in extra_queries}


def run_queries(spark: SparkSession, queries: Mapping[str, str]) -> dict[str, list[dict]]:
    """The rows of each query (as dicts of JSON values), computed by a single `collect`."""
    if not queries:
        return {}
    names = list(queries)
    # JSON makes the branches' different result columns one string column; nulls are kept
    # so that a metric without value still shows in the check's metadata.
    json_options = "map('ignoreNullFields', 'false')"
    union = " UNION ALL ".join(
        f"SELECT {i} AS _query, to_json(struct(*), {json_options}) AS _row FROM ({sql})"
        for i, sql in enumerate(queries.values())
    )
    rows: dict[str, list[dict]] = {name: [] for name in names}
    for row in spark.sql(union).collect():
        rows[names[row["_query"]]].append(json.loads(row["_row"]))
    return rows


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
