"""Quality rules compiled to SQL and evaluated on views (glue_scripts/lib/quality.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pyspark.sql import Observation
from pyspark.sql import functions as F

from glue_scripts.lib.file_checks import observed_totals
from glue_scripts.lib.quality import (
    KEPT,
    ROW_KINDS,
    THIS,
    CheckOutcome,
    RuleError,
    blocking_failures,
    compile_rule,
    evaluate_rules,
    evaluate_with_queries,
    observed_metrics,
    outcome,
    row_rules,
)
from lakehouse_assets.specs import Rule

THIS_ROWS = [
    ("P1", "F1", "ENTREGUE", Decimal("10.00"), 1),
    ("P2", "F2", "PENDENTE", Decimal("-5.00"), 2),
    ("P2", "F9", "PERDIDO", Decimal("3.00"), -1),
    ("P3", None, None, None, 3),
    (None, "F1", "ENTREGUE", Decimal("1.00"), 0),
    ("P4", "F9", "ENTREGUE", Decimal("2.00"), 4),
    ("P4", "F1", "ENTREGUE", Decimal("2.00"), 5),
    ("P4", "F2", "ENTREGUE", Decimal("2.00"), 6),
]
THIS_SCHEMA = "pedido_id string, fornecedor_id string, status string, valor decimal(18,2), qtd int"

# name -> (rule, expected failed, expected metadata besides `failed`)
CASES: dict[str, tuple[dict, int, dict]] = {
    "not_null_one": ({"kind": "not_null", "columns": ["pedido_id"]}, 1, {}),
    "not_null_two": ({"kind": "not_null", "columns": ["pedido_id", "fornecedor_id"]}, 2, {}),
    # P2 twice and P4 three times; the one NULL key is not a duplicate.
    "unique_one": ({"kind": "unique", "columns": ["pedido_id"]}, 2, {"duplicated_rows": 5}),
    "unique_two": (
        {"kind": "unique", "columns": ["pedido_id", "fornecedor_id"]},
        0,
        {"duplicated_rows": 0},
    ),
    "non_negative_one": ({"kind": "non_negative", "columns": ["valor"]}, 1, {}),
    "non_negative_two": ({"kind": "non_negative", "columns": ["valor", "qtd"]}, 2, {}),
    # NULL is not a value to accept or refuse; the quote in a value is escaped.
    "accepted_values": (
        {
            "kind": "accepted_values",
            "columns": ["status"],
            "params": {"values": ["ENTREGUE", "PENDENTE", "it's"]},
        },
        1,
        {},
    ),
    "referential_same_column": (
        {
            "kind": "referential",
            "columns": ["fornecedor_id"],
            "params": {"table": "importau_bronze.fornecedores"},
        },
        2,
        {},
    ),
    "referential_other_column": (
        {
            "kind": "referential",
            "columns": ["status"],
            "params": {"table": "importau_ref.status_validos", "column": "codigo"},
        },
        1,
        {},
    ),
    "row_count_equals_keys": (
        {
            "kind": "row_count_equals",
            "params": {"table": "importau_bronze.itens_pedido", "keys": ["pedido_id"]},
        },
        3,
        {"rows": 8, "expected_rows": 5},
    ),
    # The rows of the partitions the write keeps count too: 8 written + 3 kept.
    "row_count_equals_whole_table": (
        {
            "kind": "row_count_equals",
            "params": {
                "table": "importau_bronze.itens_pedido",
                "keys": ["item_id"],
                "over": "table",
            },
        },
        5,
        {"rows": 11, "expected_rows": 6},
    ),
    "row_count_equals_columns": (
        {
            "kind": "row_count_equals",
            "columns": ["item_id"],
            "params": {"table": "importau_bronze.itens_pedido"},
        },
        2,
        {"rows": 8, "expected_rows": 6},
    ),
    "sql": (
        {
            "kind": "sql",
            "params": {
                "query": "SELECT COUNT(*) AS failed, CAST(SUM(valor) AS DOUBLE) AS total_brl "
                "FROM this WHERE status = 'ENTREGUE'"
            },
        },
        5,
        {"total_brl": 17.0},
    ),
    # Decimals in the metadata become floats; NULL stays None.
    "sql_decimal_metadata": (
        {
            "kind": "sql",
            "params": {
                "query": "SELECT 0 AS failed, SUM(valor) AS total, MAX(CAST(NULL AS INT)) AS nada "
                "FROM this"
            },
        },
        0,
        {"total": 15.0, "nada": None},
    ),
}


def _register(spark, name: str, rows: list, schema: str) -> None:
    spark.createDataFrame(rows, schema).createOrReplaceTempView(name)


@pytest.fixture(scope="module")
def outcomes(spark) -> dict[str, CheckOutcome]:
    """Every case evaluated once; the views are dropped again (the session is shared)."""
    views = {
        THIS: (THIS_ROWS, THIS_SCHEMA),
        "fornecedores": ([("F1",), ("F2",), ("F3",)], "fornecedor_id string"),
        "status_validos": ([("ENTREGUE",), ("PENDENTE",)], "codigo string"),
        "itens_pedido": (
            [(f"I{i}", p) for i, p in enumerate(["P1", "P1", "P2", "P3", "P4", "P5"])],
            "item_id string, pedido_id string",
        ),
        KEPT: (
            [("anomes_pedido=202409", 1), ("anomes_pedido=202408", 2)],
            "name string, rows bigint",
        ),
    }
    for name, (rows, schema) in views.items():
        _register(spark, name, rows, schema)
    try:
        rules = [
            {"name": name, "description": f"case {name}", **rule}
            for name, (rule, _, _) in CASES.items()
        ]
        rules.append({"name": "conservation", "kind": "row_conservation"})
        rules.append({"name": "drift", "kind": "schema_drift"})
        return {o.name: o for o in evaluate_rules(spark, rules)}
    finally:
        for name in views:
            spark.catalog.dropTempView(name)


def test_row_conservation_and_schema_drift_are_left_to_the_ingestion(outcomes):
    assert list(outcomes) == list(CASES)


@pytest.mark.parametrize("name", list(CASES))
def test_rule_counts_its_failures(outcomes, name):
    _, failed, metadata = CASES[name]
    result = outcomes[name]
    assert result.failed == failed
    assert result.metadata == {"failed": failed, **metadata}
    assert result.passed is (failed == 0)
    assert (result.severity, result.blocking, result.description) == (
        "ERROR",
        True,
        f"case {name}",
    )


def test_rules_on_an_empty_table_pass(spark):
    _register(spark, THIS, [], THIS_SCHEMA)
    try:
        results = evaluate_rules(
            spark,
            [
                {"name": "nn", "kind": "not_null", "columns": ["pedido_id"]},
                {"name": "uq", "kind": "unique", "columns": ["pedido_id"]},
            ],
        )
    finally:
        spark.catalog.dropTempView(THIS)
    assert [(o.name, o.passed, o.metadata) for o in results] == [
        ("nn", True, {"failed": 0}),
        ("uq", True, {"failed": 0, "duplicated_rows": 0}),
    ]


def _row_cases() -> list[dict]:
    return [
        {"name": name, **rule} for name, (rule, _, _) in CASES.items() if rule["kind"] in ROW_KINDS
    ]


def test_row_rules_are_counted_during_the_write_as_their_queries_count(spark, tmp_path):
    rules = _row_cases()
    assert {r["kind"] for r in rules} == set(ROW_KINDS)
    observation = Observation()
    frame = spark.createDataFrame(THIS_ROWS, THIS_SCHEMA)
    frame.observe(observation, *(F.expr(m) for m in observed_metrics(rules))).write.parquet(
        str(tmp_path / "written")
    )
    observed = observed_totals(observation)
    assert observed == {r["name"]: CASES[r["name"]][1] for r in rules}
    spark.read.parquet(str(tmp_path / "written")).createOrReplaceTempView(THIS)
    try:
        queried = evaluate_rules(spark, rules)
        from_write, _ = evaluate_with_queries(spark, rules, {}, observed=observed)
    finally:
        spark.catalog.dropTempView(THIS)
    assert from_write == queried


def test_an_observed_count_stands_for_its_rule_and_the_others_are_queried(spark):
    _register(spark, THIS, THIS_ROWS, THIS_SCHEMA)
    rules = [
        {"name": "nn", "kind": "not_null", "columns": ["pedido_id"]},
        {"name": "uq", "kind": "unique", "columns": ["pedido_id"]},
        {"name": "nonneg", "kind": "non_negative", "columns": ["valor"]},
    ]
    try:
        # Counts no query of these rows would give: they can only come from `observed`.
        results, _ = evaluate_with_queries(spark, rules, {}, observed={"nn": 7, "nonneg": 0})
    finally:
        spark.catalog.dropTempView(THIS)
    assert [(o.name, o.failed, o.passed) for o in results] == [
        ("nn", 7, False),
        ("uq", 2, False),
        ("nonneg", 0, True),
    ]
    assert row_rules(rules) == [rules[0], rules[2]]


def test_an_unknown_kind_is_refused():
    with pytest.raises(RuleError) as err:
        compile_rule({"name": "x", "kind": "bogus"})
    assert str(err.value) == "rule 'x' has unknown kind 'bogus'"


def test_an_accepted_value_with_a_quote_is_accepted_as_written(spark):
    # Two quotes in a row are two SQL literals joined: 'it''s' would accept "its".
    rule = {"name": "x", "kind": "accepted_values", "columns": ["status"]}
    rule["params"] = {"values": ["it's", "c:\\x"]}
    _register(spark, THIS, [("it's",), ("its",), ("c:\\x",)], "status string")
    try:
        (checked,) = evaluate_rules(spark, [rule])
    finally:
        spark.catalog.dropTempView(THIS)
    assert checked.failed == 1


@pytest.mark.parametrize("kind", ["not_null", "unique", "non_negative", "accepted_values"])
def test_a_rule_without_columns_is_refused(kind):
    with pytest.raises(RuleError) as err:
        compile_rule({"name": "x", "kind": kind, "params": {"values": ["a"]}})
    assert str(err.value) == f"rule 'x' ({kind}) needs `columns`"


def test_a_row_count_against_a_view_of_one_row_per_key_counts_its_rows(spark):
    rule = {
        "name": "grain",
        "kind": "row_count_equals",
        "params": {"table": "importau_bronze.itens_pedido", "keys": ["item_id"]},
    }
    unique = {"itens_pedido": ["item_id"]}
    assert "DISTINCT" in compile_rule(rule)
    assert "DISTINCT" not in compile_rule(rule, unique)
    _register(spark, THIS, [("I1",), ("I2",)], "item_id string")
    _register(spark, "itens_pedido", [("I1",), ("I2",), ("I3",)], "item_id string")
    try:
        counted = evaluate_with_queries(spark, [rule], {}, unique_views=unique)[0]
        distinct = evaluate_rules(spark, [rule])
    finally:
        spark.catalog.dropTempView(THIS)
        spark.catalog.dropTempView("itens_pedido")
    assert counted == distinct
    assert counted[0].metadata == {"failed": 1, "rows": 2, "expected_rows": 3}


def test_a_row_count_over_anything_but_the_written_rows_or_the_table_is_refused():
    rule = {
        "name": "x",
        "kind": "row_count_equals",
        "params": {"table": "t", "keys": ["k"], "over": "day"},
    }
    with pytest.raises(RuleError) as err:
        compile_rule(rule)
    assert str(err.value) == "rule 'x': `over` must be one of ('written', 'table'), not 'day'"


def test_outcome_takes_severity_and_blocking_from_the_rule():
    warn = Rule(name="w", kind="sql", description="d", severity="WARN").payload()
    assert outcome(warn, 3, {"extra": 1}) == CheckOutcome(
        name="w",
        passed=False,
        severity="WARN",
        blocking=False,
        failed=3,
        metadata={"failed": 3, "extra": 1},
        description="d",
    )
    # A rule without severity or blocking is a blocking ERROR.
    default = outcome({"name": "e", "kind": "sql"}, 0, {})
    assert (default.severity, default.blocking, default.passed) == ("ERROR", True, True)


def test_blocking_failures_are_failed_blocking_errors_only():
    def check(name: str, passed: bool, severity: str, blocking: bool) -> CheckOutcome:
        return CheckOutcome(name, passed, severity, blocking, 0 if passed else 1)

    outcomes = [
        check("failed_blocking_error", False, "ERROR", True),
        check("failed_warn", False, "WARN", True),
        check("failed_non_blocking_error", False, "ERROR", False),
        check("passed_blocking_error", True, "ERROR", True),
        check("another_failed_blocking_error", False, "ERROR", True),
    ]
    assert [o.name for o in blocking_failures(outcomes)] == [
        "failed_blocking_error",
        "another_failed_blocking_error",
    ]
    assert blocking_failures([]) == []
