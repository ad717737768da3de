"""Small typed DataFrame builders for the ImportAu transform tests.

Every frame gets the explicit column types of its table spec (so money is decimal(18,2), rates
are decimal(18,4), dates are dates). Rows are dicts: the keys a test cares about, everything
else from the table's defaults (a missing default is null). Values may be written as text or as
Python values: "2024-10-15" for a date, "2024-10-01 06:00:00" for a timestamp (UTC), "12.50"
for a decimal; Spark's CAST parses them. An unknown column name is an error, so a typo cannot
silently fall back to a default.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

from lakehouse_assets.domains.importau import specs
from lakehouse_assets.specs import TableSpec

_SCHEMAS: dict[str, T.StructType] = {}


def schema_of(spark: SparkSession, spec: TableSpec) -> T.StructType:
    """The spec's columns as a Spark schema (all nullable), parsed by Spark itself."""
    if spec.qualified_name not in _SCHEMAS:
        ddl = ", ".join(f"`{c.name}` {c.type}" for c in spec.columns)
        parsed = spark.createDataFrame([], ddl).schema
        _SCHEMAS[spec.qualified_name] = T.StructType(
            [T.StructField(f.name, f.dataType, nullable=True) for f in parsed.fields]
        )
    return _SCHEMAS[spec.qualified_name]


def _literal(value: Any, kind: T.DataType) -> str:
    """`value` as a Spark SQL expression of type `kind` (text values parsed by Spark's CAST)."""
    if value is None:
        return f"CAST(NULL AS {kind.simpleString()})"
    if isinstance(kind, T.ArrayType):
        elements = ", ".join(_literal(v, kind.elementType) for v in value)
        return f"CAST(ARRAY({elements}) AS {kind.simpleString()})"
    if isinstance(kind, T.StructType):
        unknown = set(value) - set(kind.names)
        if unknown:
            raise KeyError(f"fields not in the struct: {sorted(unknown)}")
        fields = ", ".join(
            f"'{f.name}', {_literal(value.get(f.name), f.dataType)}" for f in kind.fields
        )
        return f"NAMED_STRUCT({fields})"
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"CAST('{text}' AS {kind.simpleString()})"


def _row(schema: T.StructType, values: Mapping[str, Any], defaults: Mapping[str, Any]) -> str:
    unknown = set(values) - set(schema.names)
    if unknown:
        raise KeyError(f"columns not in the schema: {sorted(unknown)}")
    merged = {**defaults, **values}
    return "(" + ", ".join(_literal(merged.get(f.name), f.dataType) for f in schema.fields) + ")"


def frame(
    spark: SparkSession,
    spec: TableSpec,
    rows: list[Mapping[str, Any]],
    defaults: Mapping[str, Any] | None = None,
) -> DataFrame:
    """A DataFrame with the spec's schema; columns a row leaves out take the defaults (or null).

    Built as a SQL inline table, i.e. a local relation: Spark knows it is tiny (broadcast
    joins, no Python workers), which keeps each transform test to a second or two.
    """
    schema = schema_of(spark, spec)
    values = [_row(schema, r, defaults or {}) for r in rows] or [_row(schema, {}, {})]
    names = ", ".join(f"`{n}`" for n in schema.names)
    result = spark.sql(f"SELECT * FROM VALUES {', '.join(values)} AS t({names})")
    return result if rows else result.where("false")


def _ingestion(table: str) -> dict[str, Any]:
    return {
        "ingested_at": "2024-10-01 06:00:00",
        "source_file": f"{table}_20241001.csv",
        "anomesdia": "20241001",
    }


BRONZE_DEFAULTS: dict[str, dict[str, Any]] = {
    "cambio": {
        "data_cotacao": "2024-10-01",
        "moeda": "USD",
        "taxa_compra": "5.0000",
        "taxa_venda": "5.0000",
        "taxa_ptax": "5.0000",
        "variacao_dia_percentual": "0.00",
        "fonte": "SISBACEN",
        "tipo_cambio": "COMERCIAL",
        "hora_atualizacao": "16:30:00",
    },
    "emprestimos": {
        "emprestimo_id": "EMP001",
        "data_contratacao": "2024-01-15",
        "instituicao_financeira": "Banco Nacional",
        "valor_principal_brl": "100000.00",
        "taxa_juros_anual": "12.50",
        "prazo_meses": 12,
        "valor_parcela_mensal": "1000.00",
        "saldo_devedor": "50000.00",
        "status": "ATIVO",
        "finalidade": "Capital de Giro",
        "data_vencimento_proxima": "2024-11-15",
        "num_parcelas_pagas": 0,
        "usuario_responsavel": "celso.oliveira",
    },
    "fornecedores": {
        "fornecedor_id": "FORN001",
        "razao_social": "Fornecedor Nacional Ltda",
        "cnpj": "12.345.678/0001-90",
        "pais_origem": "Brasil",
        "categoria": "Tecnologia",
        "rating": "A",
        "tempo_parceria_anos": 5,
        "condicoes_pagamento": "30 dias",
        "moeda_negociacao": "BRL",
        "contato_email": "contato@fornecedor.com.br",
        "telefone": "+55-11-3456-7890",
    },
    "itens_pedido": {
        "item_id": "ITEM001",
        "pedido_id": "PED001",
        "produto_id": "PROD001",
        "quantidade": 1,
        "preco_unitario": "100.00",
        "desconto_percentual": "0.00",
        "valor_total_item": "100.00",
        "data_inclusao": "2024-10-15",
        "observacoes": None,
    },
    "pagamentos": {
        "pagamento_id": "PAG001",
        "pedido_id": "PED001",
        "fornecedor_id": "FORN001",
        "data_pagamento": "2024-11-14",
        "valor_pago_brl": "100.00",
        "metodo_pagamento": "BOLETO",
        "status_pagamento": "PAGO",
        "taxa_cambio_aplicada": "1.0000",
        "moeda_origem": "BRL",
        "valor_moeda_origem": "100.00",
        "num_parcelas": 1,
        "parcela_atual": 1,
        "data_vencimento": "2024-11-14",
        "usuario_aprovacao": "celso.oliveira",
    },
    "pedidos": {
        "pedido_id": "PED001",
        "data_pedido": "2024-10-15",
        "fornecedor_id": "FORN001",
        "valor_total_brl": "100.00",
        "status": "ENTREGUE",
        "tipo_pagamento": "BOLETO",
        "prazo_dias": 30,
        "data_entrega_prevista": "2024-11-14",
        "usuario_criacao": "matheus.silva",
        "observacoes": None,
    },
    "produtos": {
        "produto_id": "PROD001",
        "nome_produto": "Processador",
        "categoria": "Tecnologia",
        "subcategoria": "Hardware",
        "fornecedor_id": "FORN001",
        "preco_unitario_brl": "100.00",
        "moeda_origem": "BRL",
        "preco_origem": "100.00",
        "unidade_medida": "UN",
        "peso_kg": "0.500",
        "estoque_atual": 10,
        "estoque_minimo": 5,
        "lead_time_dias": 15,
        "origem_fabricacao": "Brasil",
    },
}
BRONZE_SPECS: dict[str, TableSpec] = {spec.name: spec for spec in specs.BRONZE}


def bronze(spark: SparkSession, table: str, *rows: Mapping[str, Any]) -> DataFrame:
    """Rows of bronze table `table` (with ingestion columns of the 2024-10-01 load by default)."""
    defaults = {**BRONZE_DEFAULTS[table], **_ingestion(table)}
    return frame(spark, BRONZE_SPECS[table], list(rows), defaults)


def cambio(spark: SparkSession, *rows: Mapping[str, Any]) -> DataFrame:
    return bronze(spark, "cambio", *rows)


def emprestimos(spark: SparkSession, *rows: Mapping[str, Any]) -> DataFrame:
    return bronze(spark, "emprestimos", *rows)


def fornecedores(spark: SparkSession, *rows: Mapping[str, Any]) -> DataFrame:
    return bronze(spark, "fornecedores", *rows)


def itens_pedido(spark: SparkSession, *rows: Mapping[str, Any]) -> DataFrame:
    return bronze(spark, "itens_pedido", *rows)


def pagamentos(spark: SparkSession, *rows: Mapping[str, Any]) -> DataFrame:
    return bronze(spark, "pagamentos", *rows)


def pedidos(spark: SparkSession, *rows: Mapping[str, Any]) -> DataFrame:
    return bronze(spark, "pedidos", *rows)


def produtos(spark: SparkSession, *rows: Mapping[str, Any]) -> DataFrame:
    return bronze(spark, "produtos", *rows)


def load(anomesdia: str, ingested_at: str, source_file: str | None = None) -> dict[str, str]:
    """Ingestion columns of another load, to spread into a row: `{**load(...), ...}`."""
    return {
        "anomesdia": anomesdia,
        "ingested_at": ingested_at,
        "source_file": source_file or f"export_{anomesdia}.csv",
    }


FATO_DEFAULTS: dict[str, Any] = {
    "item_id": "ITEM001",
    "pedido_id": "PED001",
    "produto_id": "PROD001",
    "fornecedor_id": "FORN001",
    "data_pedido": "2024-10-15",
    "status_pedido": "ENTREGUE",
    "tipo_pagamento": "BOLETO",
    "prazo_dias": 30,
    "data_entrega_prevista": "2024-11-14",
    "data_inclusao_item": "2024-10-15",
    "quantidade": 1,
    "preco_unitario": "100.00",
    "desconto_percentual": "0.00",
    "valor_total_item": "100.00",
    "valor_total_pedido": "100.00",
    "valor_itens_pedido": "100.00",
    "nome_produto": "Processador",
    "categoria_produto": "Tecnologia",
    "subcategoria_produto": "Hardware",
    "razao_social_fornecedor": "Fornecedor Nacional Ltda",
    "pais_origem_fornecedor": "Brasil",
    "categoria_fornecedor": "Tecnologia",
    "moeda_negociacao": "BRL",
    "taxa_ptax": "1.0000",
    "data_cotacao_ptax": None,
    "valor_total_item_moeda_negociacao": "100.00",
    "qtd_parcelas": 0,
    "valor_pago_brl": "0.00",
    "valor_em_aberto_brl": "0.00",
    "valor_cancelado_brl": "0.00",
    "data_ultimo_vencimento": None,
    "pagamentos": [],
}
PARCELA_DEFAULTS: dict[str, Any] = {
    "pagamento_id": "PAG001",
    "parcela_atual": 1,
    "num_parcelas": 1,
    "data_vencimento": "2024-11-14",
    "data_pagamento": "2024-11-14",
    "status_pagamento": "PAGO",
    "valor_pago_brl": "100.00",
    "valor_parcela_brl": "100.00",
    "moeda_origem": "BRL",
    "valor_moeda_origem": "100.00",
}


def parcela(**values: Any) -> dict[str, Any]:
    """One element of the fact's `pagamentos` array."""
    unknown = set(values) - set(PARCELA_DEFAULTS)
    if unknown:
        raise KeyError(f"fields not in a pagamentos element: {sorted(unknown)}")
    return {**PARCELA_DEFAULTS, **values}


def fato(spark: SparkSession, *rows: Mapping[str, Any]) -> DataFrame:
    """Rows of the silver fact (the gold transforms' input)."""
    return frame(spark, specs.FATO, list(rows), FATO_DEFAULTS)


def table(spark: SparkSession, spec: TableSpec, *rows: Mapping[str, Any]) -> DataFrame:
    """Expected rows of an output table: every column must be given (no defaults)."""
    schema = schema_of(spark, spec)
    for row in rows:
        missing = [c for c in schema.names if c not in row]
        if missing:
            raise KeyError(f"expected row of {spec.name} lacks {missing}")
    return frame(spark, spec, list(rows))
