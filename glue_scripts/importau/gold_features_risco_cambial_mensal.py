"""Glue job `importau_gold_features_risco_cambial_mensal`: fact + PTAX -> FX-risk features."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import date

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from glue_scripts.importau import fact_changes
from glue_scripts.lib import partition_delta
from glue_scripts.lib.job import GlueJob
from glue_scripts.lib.partition_delta import PartitionDelta
from glue_scripts.lib.tables import partition_values
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
    return with_quote_stats(order_features(fato), cambio)


def order_features(fato: DataFrame) -> DataFrame:
    """The features of the orders of each supplier, currency and month (`ORDER_FEATURES`)."""
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
    features = by_items.join(by_orders, on=KEYS, how="inner")
    return features.select(*KEYS, F.col("qtd_pedidos").cast("bigint"), *ORDER_FEATURES[1:])


# Features computed from the month's orders alone, in the table's order.
ORDER_FEATURES = (
    "qtd_pedidos",
    "valor_pedidos_brl",
    "exposicao_moeda_estrangeira",
    "exposicao_aberta_brl",
    "ptax_media_pedidos",
    "prazo_medio_pagamento_dias",
    "dias_desde_ultima_cotacao",
)


def updated_order_features(previous: DataFrame, delta: PartitionDelta) -> DataFrame:
    """`order_features` of the whole fact, from the previous features and the fact's changed
    months: the features of other months are kept, those of the changed months recomputed.

    A row's month is its orders' month, which is the fact's partition.
    """
    months, undated = [], False
    for name in delta.changed:
        value = partition_values(name)[fact_changes.MONTH]
        if value == fact_changes.NO_MONTH:
            undated = True
        else:
            months.append(date(int(value[:4]), int(value[4:]), 1))
    month = F.col("mes_referencia")
    # Null-safe: a row kept must not vanish because its month is NULL.
    changed = (month.isNotNull() & month.isin(months)) | (
        month.isNull() if undated else F.lit(False)
    )
    kept = previous.where(~changed).select(*KEYS, *ORDER_FEATURES)
    if delta.after is None:
        return kept
    fresh = order_features(delta.after)
    return kept.unionByName(
        fresh.select(*(F.col(c).cast(kept.schema[c].dataType) for c in kept.columns))
    )


def with_quote_stats(features: DataFrame, cambio: DataFrame) -> DataFrame:
    """The order features with their month's quote statistics, in the table's columns."""
    features = features.join(
        F.broadcast(quote_stats_by_month(cambio)), on=["moeda", "mes_referencia"], how="left"
    )
    return features.select(
        *KEYS,
        "qtd_pedidos",
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
        fato = job.read(FACT)
        cambio = job.read_latest(QUOTES, ["data_cotacao", "moeda"])
        last = partition_delta.since_last_build(job, TARGET, FACT, __file__)
        features, how = last.content(order_features(fato), updated_order_features)
        job.log.info(f"{TARGET}: order features {how}")
        # Quote statistics are few: always from every quote, a late quote changes its month.
        frame = with_quote_stats(features, cambio)
        job.write(TARGET, frame, column_lineage=COLUMN_LINEAGE, built_from=last.record)


if __name__ == "__main__":
    main(sys.argv[1:])
