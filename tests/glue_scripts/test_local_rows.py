"""Rows of the driver as a DataFrame built in the JVM: every type round-trips, and the rows
stay out of the plan."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from glue_scripts.lib.local_rows import local_rows

SCHEMA = (
    "name string, raw binary, `rows` bigint, small int, day date, at timestamp, "
    "amount decimal(18,2), ratio double, ok boolean"
)


def test_each_type_arrives_as_it_was_given(spark):
    rows = [
        (
            "a`b",
            bytearray(b"\x00\xff"),
            2**40,
            7,
            date(2024, 2, 29),
            datetime(2024, 1, 2, 3, 4, 5),
            Decimal("12.34"),
            1e-7,
            True,
        ),
        (None, None, None, None, None, None, None, None, False),
    ]
    frame = local_rows(spark, rows, SCHEMA)
    assert frame.schema.simpleString() == (
        "struct<name:string,raw:binary,rows:bigint,small:int,day:date,at:timestamp,"
        "amount:decimal(18,2),ratio:double,ok:boolean>"
    )
    assert [tuple(r) for r in frame.collect()] == rows


def test_no_rows_keep_any_schema_nested_types_included(spark):
    schema = "id string, items array<struct<n:int,tags:map<string,string>>>"
    frame = local_rows(spark, [], schema)
    assert frame.count() == 0
    assert frame.schema.simpleString() == (
        "struct<id:string,items:array<struct<n:int,tags:map<string,string>>>>"
    )


def test_the_values_are_not_literals_of_the_plan(spark):
    frame = local_rows(spark, [("s3cr3t-value", 123456789012)], "v string, n bigint")
    joined = spark.range(2).crossJoin(frame)
    plan = joined._jdf.queryExecution().toString()
    assert joined.count() == 2
    assert "s3cr3t-value" not in plan and "123456789012" not in plan
    assert "ExistingRDD" in plan
    # Made in the JVM: no Python worker unpickles them (`createDataFrame` would need one).
    assert "PythonRDD" not in frame._jdf.queryExecution().toRdd().toDebugString()


def test_a_row_of_the_wrong_width_is_refused(spark):
    with pytest.raises(ValueError, match="has 1 values; the schema has 2"):
        local_rows(spark, [("only one",)], "a string, b string")


def test_text_for_a_number_is_refused_rather_than_cast_to_null(spark):
    with pytest.raises(TypeError, match="column n is bigint: give '12x' as a number"):
        local_rows(spark, [("a", "12x")], "v string, n bigint")
