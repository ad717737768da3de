"""Specs are validated when built; errors name the table and the field."""

from __future__ import annotations

import dataclasses

import pytest

from lakehouse_assets.domains.importau.specs import FATO, JOBS, PEDIDOS, TABLES
from lakehouse_assets.registry import Registry
from lakehouse_assets.specs import Column, Rule, SpecError


def _with(spec, **changes):
    return dataclasses.replace(spec, **changes)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "Pedidos"}, "field `name` 'Pedidos' must be lower-case"),
        ({"layer": "platinum"}, "field `layer` is 'platinum'"),
        ({"description": " "}, "field `description` is empty"),
        ({"description": "x" * 2049}, "has 2049 characters; Glue accepts 2048"),
        ({"owner": "someone"}, "field `owner` 'someone' must be 'team:<name>' or an e-mail"),
        ({"primary_key": ("nope",)}, "field `primary_key` names unknown columns ['nope']"),
        ({"source": None}, "field `source` is required for a bronze table"),
    ],
)
def test_invalid_table_fields_name_table_and_field(changes, message):
    with pytest.raises(SpecError) as err:
        _with(PEDIDOS, **changes)
    assert str(err.value).startswith("table importau_")
    assert message in str(err.value)


@pytest.mark.parametrize(
    ("column", "message"),
    [
        (Column("Valor", "string", "x"), "field `columns.Valor` must be lower-case"),
        (Column("valor", "varchar", "x"), "field `columns.valor.type` 'varchar' is not"),
        (Column("valor", "string", ""), "field `columns.valor.comment` is empty"),
        (Column("valor", "string", "c" * 256), "has 256 characters; Glue accepts 255"),
        (Column("valor", "string", "x", pii="ssn"), "field `columns.valor.pii` 'ssn' is not one"),
    ],
)
def test_invalid_columns_are_rejected(column, message):
    with pytest.raises(SpecError, match="table importau_bronze.pedidos") as err:
        _with(PEDIDOS, columns=(*PEDIDOS.columns, column))
    assert message in str(err.value)


def test_nested_types_are_accepted_and_checked():
    ok = Column("itens", "array<struct<a:string,b:decimal(18,2),c:array<int>>>", "nested")
    assert _with(PEDIDOS, columns=(*PEDIDOS.columns, ok)).column("itens") == ok
    with pytest.raises(SpecError, match="'array<struct<a:strin>>' is not"):
        _with(PEDIDOS, columns=(*PEDIDOS.columns, Column("x", "array<struct<a:strin>>", "bad")))


def test_rules_may_only_read_upstream_tables():
    rule = Rule(
        name="fornecedor_existe",
        kind="referential",
        columns=("fornecedor_id",),
        params={"table": "importau_bronze.fornecedores"},
        description="x",
    )
    with pytest.raises(SpecError, match="is not an upstream table of importau_bronze.pedidos"):
        _with(PEDIDOS, rules=(*PEDIDOS.rules, rule))


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (Rule("r", "unique", "x"), "field `rules.r.columns` is required by kind unique"),
        (Rule("r", "row_count_equals", "x"), "`rules.r.params.table` is required"),
        (Rule("r", "sql", "x", params={"query": "SELECT 1"}), "must select a `failed` count"),
        (Rule("r", "magic", "x"), "'magic' is not one of"),
        (Rule("R", "sql", "x"), "name must be lower-case"),
    ],
)
def test_invalid_rules_are_rejected(rule, message):
    with pytest.raises(SpecError) as err:
        _with(FATO, rules=(rule,))
    assert message in str(err.value)


def test_registry_rejects_unknown_upstream_duplicates_and_cycles():
    orphan = _with(FATO, upstream=("importau_bronze.nao_existe",), rules=())
    with pytest.raises(SpecError, match="names unknown table 'importau_bronze.nao_existe'"):
        Registry.build([*TABLES[:-3], orphan], JOBS[:2])
    with pytest.raises(SpecError, match="table importau_bronze.pedidos is defined twice"):
        Registry.build([*TABLES, PEDIDOS], JOBS)
    looped = _with(PEDIDOS, upstream=("importau_silver.fato_pedido_correlacionado",))
    tables = [looped if t.name == "pedidos" else t for t in TABLES]
    with pytest.raises(SpecError, match="upstream cycle"):
        Registry.build(tables, JOBS)


def test_registry_knows_downstream_tables():
    registry = Registry.build(TABLES, JOBS)
    assert registry.downstream("importau_silver.fato_pedido_correlacionado") == [
        "importau_gold.agregado_fluxo_de_caixa_mensal",
        "importau_gold.features_risco_cambial_mensal",
    ]
    assert registry.downstream("importau_bronze.emprestimos") == [
        "importau_gold.agregado_fluxo_de_caixa_mensal"
    ]


@pytest.mark.parametrize(
    ("column", "message"),
    [
        (Column("c", "string", "x", pii="email", mask="scramble"), "'scramble' is not one of"),
        (Column("c", "string", "x", mask="hash"), "masks a column without a `pii` class"),
        (Column("c", "int", "x", pii="customer_id", mask="hash"), "the column's type is 'int'"),
    ],
)
def test_invalid_masks_are_rejected(column, message):
    with pytest.raises(SpecError, match="field `columns.c.mask`") as err:
        _with(FATO, columns=(*FATO.columns, column))
    assert message in str(err.value)


def test_bronze_keeps_the_source_unmasked():
    masked = Column("c", "string", "x", pii="email", mask="redact")
    with pytest.raises(SpecError, match="is set on a bronze table; mask in silver or gold"):
        _with(PEDIDOS, columns=(*PEDIDOS.columns, masked))


def test_every_bronze_table_has_the_schema_drift_check():
    for table in TABLES:
        drift = [r for r in table.rules if r.kind == "schema_drift"]
        if table.layer == "bronze":
            assert [(r.name, r.severity, r.payload()["blocking"]) for r in drift] == [
                ("esquema_sem_deriva", "WARN", False)
            ]
        else:
            assert drift == []


def test_the_fact_hashes_the_supplier_cnpj():
    column = FATO.column("cnpj_fornecedor_hash")
    assert (column.pii, column.mask, column.type) == ("tax_id", "hash", "string")
    assert FATO.payload()["columns"][FATO.columns.index(column)]["mask"] == "hash"
