"""Glue job `vendas_silver_historico_estado_compra`: change events -> purchase state history.

The state of a purchase at the end of day D repeats, for each of its three sources, the
version in effect on D: the latest event of that source with transaction_date on or before D.
A state changes only on days on which some source sent news, so the history is stored as
validity intervals (valido_de..valido_ate), one row per purchase and period without news,
instead of one row per purchase and day. It is rebuilt from every event on each run: a late
event rewrites the history of the days it belongs to, which is what silver must say ("as
known today"); gold keeps what was known on each day.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence
from functools import reduce

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from glue_scripts.lib.job import GlueJob

BRONZE = "vendas_bronze"
TARGET = "vendas_silver.historico_estado_compra"
# What each source says about a purchase.
ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "purchase": ("buyer_id", "prod_item_id", "order_date", "release_date", "producer_id"),
    "product_item": ("product_id", "item_quantity", "purchase_value"),
    "purchase_extra_info": ("subsidiary",),
}
SOURCES = tuple(ATTRIBUTES)
# Of two events of one purchase and source, the later transaction_datetime wins. A re-sent
# event (same transaction_datetime) wins by its later load date, then ingestion time, then
# file name; within one load the ingestion already kept the last line of a duplicated key.
VERSION_ORDER = ("transaction_datetime", "anomesdia", "ingested_at", "source_file")
OPEN_END = dt.date(9999, 12, 31)


def _up_to_this_day() -> Window:
    return (
        Window.partitionBy("purchase_id")
        .orderBy("dia")
        .rowsBetween(Window.unboundedPreceding, Window.currentRow)
    )


def source_versions(events: DataFrame, source: str) -> DataFrame:
    """(purchase_id, dia, <source>): the source's version in effect at the end of each day on
    which it sent news about the purchase, as a struct of VERSION_ORDER then its attributes.

    Structs compare field by field, so `max` picks the latest event; a running max over the
    days keeps a late event with an older transaction_datetime from replacing a newer one.
    """
    version = F.struct(*(F.col(c) for c in (*VERSION_ORDER, *ATTRIBUTES[source])))
    return (
        events.select(
            "purchase_id",
            F.to_date("transaction_date").alias("dia"),
            version.alias("v"),
        )
        .groupBy("purchase_id", "dia")
        .agg(F.max("v").alias("v"))
        .select("purchase_id", "dia", F.max("v").over(_up_to_this_day()).alias(source))
    )


def _state_columns() -> list[Column]:
    purchase, item, extra = (F.col(s) for s in SOURCES)
    release = purchase["release_date"]
    trace = [
        part
        for source in SOURCES
        for part in (
            F.col(source)["transaction_datetime"].alias(f"{source}_transaction_datetime"),
            F.col(source)["anomesdia"].alias(f"{source}_anomesdia"),
        )
    ]
    return [
        purchase["order_date"].alias("order_date"),
        release.alias("release_date"),
        release.isNotNull().alias("pago"),
        extra["subsidiary"].alias("subsidiary"),
        item["purchase_value"].alias("purchase_value"),
        item["item_quantity"].alias("item_quantity"),
        item["product_id"].alias("product_id"),
        purchase["prod_item_id"].alias("prod_item_id"),
        # Raw ids as text: the spec hashes them (mask="hash") when the job writes.
        purchase["buyer_id"].cast("string").alias("buyer_id_hash"),
        purchase["producer_id"].cast("string").alias("producer_id_hash"),
        *trace,
    ]


def state_history(
    purchase: DataFrame, product_item: DataFrame, purchase_extra_info: DataFrame
) -> DataFrame:
    """One row per purchase and period in which none of its sources changed."""
    events = {"purchase": purchase, "product_item": product_item}
    events["purchase_extra_info"] = purchase_extra_info
    news = reduce(
        lambda a, b: a.unionByName(b, allowMissingColumns=True),
        (source_versions(events[s], s) for s in SOURCES),
    )
    # A source silent on a day carries its last version forward.
    per_day = news.groupBy("purchase_id", "dia").agg(*(F.max(s).alias(s) for s in SOURCES))
    next_change = Window.partitionBy("purchase_id").orderBy("dia")
    carried = per_day.select(
        "purchase_id",
        "dia",
        F.lead("dia").over(next_change).alias("proxima_mudanca"),
        *(F.last(s, ignorenulls=True).over(_up_to_this_day()).alias(s) for s in SOURCES),
    )
    return carried.select(
        "purchase_id",
        F.col("dia").alias("valido_de"),
        F.coalesce(F.date_sub("proxima_mudanca", 1), F.lit(OPEN_END)).alias("valido_ate"),
        F.col("proxima_mudanca").isNull().alias("vigente"),
        *_state_columns(),
    )


def states_on(history: DataFrame, day: dt.date) -> DataFrame:
    """The state of every purchase known on `day`, as it was at the end of that day."""
    on_day = (F.col("valido_de") <= F.lit(day)) & (F.lit(day) <= F.col("valido_ate"))
    return history.where(on_day)


def _lineage() -> dict[str, list[tuple[str, str]]]:
    lineage: dict[str, list[tuple[str, str]]] = {
        "purchase_id": [(f"{BRONZE}.{s}", "purchase_id") for s in SOURCES],
        "valido_de": [(f"{BRONZE}.{s}", "transaction_date") for s in SOURCES],
        "valido_ate": [(f"{BRONZE}.{s}", "transaction_date") for s in SOURCES],
        "vigente": [(f"{BRONZE}.{s}", "transaction_date") for s in SOURCES],
        "pago": [(f"{BRONZE}.purchase", "release_date")],
        "buyer_id_hash": [(f"{BRONZE}.purchase", "buyer_id")],
        "producer_id_hash": [(f"{BRONZE}.purchase", "producer_id")],
    }
    for source, names in ATTRIBUTES.items():
        for name in names:
            if name not in ("buyer_id", "producer_id"):  # published hashed, mapped above
                lineage[name] = [(f"{BRONZE}.{source}", name)]
        for column in ("transaction_datetime", "anomesdia"):
            lineage[f"{source}_{column}"] = [(f"{BRONZE}.{source}", column)]
    return lineage


def main(argv: Sequence[str]) -> None:
    with GlueJob(argv, "vendas_silver_historico_estado_compra") as job:
        events = {s: job.read(f"{BRONZE}.{s}") for s in SOURCES}
        job.write(TARGET, state_history(**events), column_lineage=_lineage())


if __name__ == "__main__":
    main(sys.argv[1:])
