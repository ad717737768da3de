"""The spec's columns as the output contract (glue_scripts/lib/schema.py)."""

from __future__ import annotations

import pytest

from glue_scripts.lib.schema import SchemaMismatchError, conform, normalize_type
from lakehouse_assets.domains.importau.specs import FATO, PEDIDOS

SPEC = {
    "database": "importau_silver",
    "name": "pedidos_resumo",
    "columns": [
        {"name": "pedido_id", "type": "string"},
        {"name": "valor_total_brl", "type": "decimal(18, 2)"},
        {"name": "data_pedido", "type": "DATE"},
        {"name": "qtd_itens", "type": "int"},
    ],
}


def frame_of(spark, ddl: str):
    return spark.createDataFrame([], ddl)


def ddl_of(payload: dict) -> str:
    return ", ".join(f"`{c['name']}` {c['type']}" for c in payload["columns"])


def test_normalize_type():
    assert normalize_type("Decimal(18, 2)") == "decimal(18,2)"
    assert normalize_type("ARRAY<STRUCT<a: INT>>") == "array<struct<a:int>>"


def test_an_exact_match_is_returned_in_spec_order(spark):
    frame = frame_of(
        spark,
        "qtd_itens int, data_pedido date, pedido_id string, valor_total_brl decimal(18,2)",
    )
    result = conform(frame, SPEC)
    assert result.columns == ["pedido_id", "valor_total_brl", "data_pedido", "qtd_itens"]
    assert [f.dataType.simpleString() for f in result.schema.fields] == [
        "string",
        "decimal(18,2)",
        "date",
        "int",
    ]


@pytest.mark.parametrize("spec", [PEDIDOS, FATO], ids=["bronze", "silver_with_array_of_struct"])
def test_the_importau_specs_accept_frames_of_their_own_types(spark, spec):
    payload = spec.payload()
    result = conform(frame_of(spark, ddl_of(payload)), payload, hash_key=b"k" * 32)
    assert result.columns == [c["name"] for c in payload["columns"]]
    assert result.dtypes == frame_of(spark, ddl_of(payload)).dtypes


def test_missing_extra_and_mistyped_columns_are_all_named(spark):
    frame = frame_of(
        spark,
        "pedido_id string, valor_total_brl double, data_pedido string, canal string",
    )
    with pytest.raises(SchemaMismatchError) as err:
        conform(frame, SPEC)
    assert str(err.value) == (
        "output of importau_silver.pedidos_resumo does not match its spec: "
        "missing columns ['qtd_itens']; columns not in the spec ['canal']; "
        "valor_total_brl is double, spec says decimal(18,2); "
        "data_pedido is string, spec says date. "
        "Change the transform's final select or the table spec so they agree."
    )


def test_a_missing_column_alone(spark):
    frame = frame_of(spark, "pedido_id string, valor_total_brl decimal(18,2), data_pedido date")
    with pytest.raises(SchemaMismatchError, match=r"spec: missing columns \['qtd_itens'\]\. "):
        conform(frame, SPEC)


def test_an_extra_column_alone(spark):
    frame = frame_of(
        spark,
        "pedido_id string, valor_total_brl decimal(18,2), data_pedido date, qtd_itens int, x int",
    )
    with pytest.raises(SchemaMismatchError, match=r"spec: columns not in the spec \['x'\]\. "):
        conform(frame, SPEC)


def test_a_different_decimal_precision_is_a_mismatch(spark):
    frame = frame_of(
        spark,
        "pedido_id string, valor_total_brl decimal(38,2), data_pedido date, qtd_itens int",
    )
    with pytest.raises(SchemaMismatchError) as err:
        conform(frame, SPEC)
    assert "valor_total_brl is decimal(38,2), spec says decimal(18,2)" in str(err.value)


def test_a_bigint_is_not_an_int(spark):
    frame = frame_of(
        spark,
        "pedido_id string, valor_total_brl decimal(18,2), data_pedido date, qtd_itens bigint",
    )
    with pytest.raises(SchemaMismatchError, match="qtd_itens is bigint, spec says int"):
        conform(frame, SPEC)
