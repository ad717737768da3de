"""Glue job `importau_gold_features_risco_cambial_mensal`: fact + PTAX -> FX-risk features."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from glue_scripts.lib.job import GlueJob
from glue_scripts.lib.transforms import latest_by_key, month_start

FACT = "importau_silver.fato_pedido_correlacionado"
QUOTES = "importau_bronze.cambio"
TARGET = "importau_gold.features_risco_cambial_mensal"
MONEY = "decimal(18,2)"
KEYS = ["fornecedor_id", "moeda", "mes_referencia"]


def _foreign_items(fato: DataFrame) -> DataFrame:
    return fato.where(F.col("moeda_negociacao") != "BRL").select(
        "fornecedor_id",
        F.col("moeda_negociacao").alias("moeda"),
        month_start("data_pedido").alias("mes_referencia"),
        "pedido_id",
        "prazo_dias",
        "valor_total_item",
        "valor_total_item_moeda_negociacao",
        "valor_em_aberto_brl",
        "taxa_ptax",
        F.datediff("data_pedido", "data_cotacao_ptax").alias("idade_cotacao_dias"),
    )


def quote_stats_by_month(cambio: DataFrame) -> DataFrame:
    quotes = cambio.transform(latest_by_key(["data_cotacao", "moeda"]))
    first, last = F.min_by("taxa_ptax", "data_cotacao"), F.max_by("taxa_ptax", "data_cotacao")
    return quotes.groupBy("moeda", month_start("data_cotacao").alias("mes_referencia")).agg(
        F.avg("taxa_ptax").cast("decimal(18,6)").alias("ptax_media_mes"),
        F.stddev_samp(F.col("variacao_dia_percentual").cast("double")).alias(
            "ptax_volatilidade_mes"
        ),
        ((last / first - F.lit(1)) * F.lit(100))
        .cast("double")
        .alias("ptax_variacao_mes_percentual"),
        F.count(F.lit(1)).alias("qtd_cotacoes_mes"),
    )


def transform(fato: DataFrame, cambio: DataFrame) -> DataFrame:
    items = _foreign_items(fato)
    by_items = items.groupBy(*KEYS).agg(
        F.sum("valor_total_item").cast(MONEY).alias("valor_pedidos_brl"),
        F.sum("valor_total_item_moeda_negociacao").cast(MONEY).alias("exposicao_moeda_estrangeira"),
        F.max("idade_cotacao_dias").cast("int").alias("dias_desde_ultima_cotacao"),
    )
    # Order-level values (open amount, term, the PTAX of the order date) repeat on every item
    # of the order: aggregate distinct orders.
    by_orders = (
        items.select(*KEYS, "pedido_id", "valor_em_aberto_brl", "prazo_dias", "taxa_ptax")
        .distinct()
        .groupBy(*KEYS)
        .agg(
            F.count(F.lit(1)).alias("qtd_pedidos"),
            F.sum("valor_em_aberto_brl").cast(MONEY).alias("exposicao_aberta_brl"),
            F.avg("taxa_ptax").cast("decimal(18,6)").alias("ptax_media_pedidos"),
            F.avg("prazo_dias").cast("double").alias("prazo_medio_pagamento_dias"),
        )
    )
    features = by_items.join(by_orders, on=KEYS, how="inner").join(
        F.broadcast(quote_stats_by_month(cambio)), on=["moeda", "mes_referencia"], how="left"
    )
    return features.select(
        *KEYS,
        F.col("qtd_pedidos").cast("bigint"),
        "valor_pedidos_brl",
        "exposicao_moeda_estrangeira",
        "exposicao_aberta_brl",
        "ptax_media_pedidos",
        "ptax_media_mes",
        "ptax_volatilidade_mes",
        "ptax_variacao_mes_percentual",
        F.coalesce(F.col("qtd_cotacoes_mes"), F.lit(0)).cast("bigint").alias("qtd_cotacoes_mes"),
        "prazo_medio_pagamento_dias",
        "dias_desde_ultima_cotacao",
    )


COLUMN_LINEAGE = {
    "fornecedor_id": [(FACT, "fornecedor_id")],
    "moeda": [(FACT, "moeda_negociacao")],
    "mes_referencia": [(FACT, "data_pedido")],
    "qtd_pedidos": [(FACT, "pedido_id")],
    "valor_pedidos_brl": [(FACT, "valor_total_item")],
    "exposicao_moeda_estrangeira": [(FACT, "valor_total_item_moeda_negociacao")],
    "exposicao_aberta_brl": [(FACT, "valor_em_aberto_brl")],
    "ptax_media_pedidos": [(FACT, "taxa_ptax")],
    "ptax_media_mes": [(QUOTES, "taxa_ptax")],
    "ptax_volatilidade_mes": [(QUOTES, "variacao_dia_percentual")],
    "ptax_variacao_mes_percentual": [(QUOTES, "taxa_ptax"), (QUOTES, "data_cotacao")],
    "qtd_cotacoes_mes": [(QUOTES, "data_cotacao")],
    "prazo_medio_pagamento_dias": [(FACT, "prazo_dias")],
    "dias_desde_ultima_cotacao": [(FACT, "data_pedido"), (FACT, "data_cotacao_ptax")],
}


def main(argv: Sequence[str]) -> None:
    with GlueJob(argv, "importau_gold_features_risco_cambial_mensal") as job:
        frame = transform(job.read(FACT), job.read_latest(QUOTES, ["data_cotacao", "moeda"]))
        job.write(TARGET, frame, column_lineage=COLUMN_LINEAGE)


if __name__ == "__main__":
    main(sys.argv[1:])
