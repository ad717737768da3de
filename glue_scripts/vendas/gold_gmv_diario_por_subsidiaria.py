"""Glue job `vendas_gold_gmv_diario_por_subsidiaria`: purchase states -> daily GMV snapshots.

Partition `data_posicao=D` holds the GMV of every sale day by subsidiary as known at the end
of D. A run publishes only snapshots of days after the last published one, up to the
processing day (the run's load date - 1): the days on which some purchase changed, and the
processing day itself, so every processed day is covered (the answer for a day without a
snapshot is the latest snapshot before it). Published snapshots are never rewritten (the
table is write-once): a late event shows in the next snapshot, never in the past ones.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Mapping, Sequence

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from glue_scripts.lib.job import GlueJob

SILVER = "vendas_silver.historico_estado_compra"
TARGET = "vendas_gold.gmv_diario_por_subsidiaria"
MONEY = "decimal(18,2)"
GROUP = ("data_venda", "subsidiaria")
MEASURES = ("gmv", "compras", "compras_pagas", "compras_pagas_sem_item")
LOAD_COLUMNS = (
    "purchase_anomesdia",
    "product_item_anomesdia",
    "purchase_extra_info_anomesdia",
)


def processing_day(args: Mapping[str, str], history: DataFrame) -> dt.date | None:
    """D-1 of the run's load date (processing is D-1).

    A run of gold alone, outside a partitioned run, has no load date: it takes the latest
    load date among the events in silver; None when silver holds none (nothing to publish).
    """
    keys = [k for k in args.get("partition_keys", "").split(",") if k]
    key = args.get("run_partition_key") or (max(keys) if keys else None)
    if not key:
        latest = history.select(F.max(F.greatest(*LOAD_COLUMNS)).alias("carga")).first()
        key = latest["carga"]
    if not key:
        return None
    return dt.datetime.strptime(key, "%Y%m%d").date() - dt.timedelta(days=1)


def snapshot_days(
    history: DataFrame, published: Sequence[dt.date], last_day: dt.date
) -> list[dt.date]:
    """The snapshots to publish: days with news after the last published one, up to
    `last_day`, and `last_day` itself; none when `last_day` is already published."""
    last_published = max(published, default=None)
    if last_published is not None and last_day <= last_published:
        return []
    news = F.col("valido_de") <= F.lit(last_day)
    if last_published is not None:
        news = news & (F.col("valido_de") > F.lit(last_published))
    days = history.where(news).select("valido_de").distinct().collect()
    return sorted({row["valido_de"] for row in days} | {last_day})


def _changes(history: DataFrame, last_day: dt.date) -> DataFrame:
    """What each state adds to its sale day and subsidiary from valido_de on, and takes back
    the day after valido_ate (states of purchases without a purchase event have no sale day)."""
    paid, value = F.col("pago"), F.col("purchase_value")
    adds: dict[str, Column] = {
        "gmv": F.when(paid, F.coalesce(value, F.lit(0))).otherwise(F.lit(0)).cast(MONEY),
        "compras": F.lit(1).cast("bigint"),
        "compras_pagas": paid.cast("bigint"),
        "compras_pagas_sem_item": (paid & value.isNull()).cast("bigint"),
    }
    placed = history.where(F.col("order_date").isNotNull() & (F.col("valido_de") <= last_day))
    group = [F.col("order_date").alias("data_venda"), F.col("subsidiary").alias("subsidiaria")]
    start = placed.select(
        *group, F.col("valido_de").alias("dia"), *(c.alias(n) for n, c in adds.items())
    )
    end = placed.where(F.col("valido_ate") < F.lit(last_day)).select(
        *group, F.date_add("valido_ate", 1).alias("dia"), *((-c).alias(n) for n, c in adds.items())
    )
    return start.unionByName(end)


def gmv_snapshots(history: DataFrame, days: Sequence[dt.date]) -> DataFrame:
    """GMV by sale day and subsidiary as known at the end of each of `days`.

    A running sum of the changes of each (sale day, subsidiary), read at one probe row per
    snapshot day: linear in states plus output, where joining every state to every day it
    holds would grow with states x days.
    """
    spark = history.sparkSession
    if not days:
        return spark.createDataFrame([], _SCHEMA)
    changes = _changes(history, max(days))
    day_rows = spark.createDataFrame([(d,) for d in days], "dia date")
    zeros = [F.lit(0).cast(MONEY).alias("gmv")] + [
        F.lit(0).cast("bigint").alias(m) for m in MEASURES[1:]
    ]
    probes = (
        changes.select(*GROUP)
        .distinct()
        .crossJoin(F.broadcast(day_rows))
        .select(*GROUP, "dia", *zeros, F.lit(1).alias("_probe"))
    )
    so_far = (
        Window.partitionBy(*GROUP)
        .orderBy("dia", "_probe")
        .rowsBetween(Window.unboundedPreceding, Window.currentRow)
    )
    timeline = changes.select("*", F.lit(0).alias("_probe")).unionByName(probes)
    totals = timeline.select(
        *GROUP, "dia", "_probe", *(F.sum(m).over(so_far).alias(m) for m in MEASURES)
    )
    return totals.where((F.col("_probe") == 1) & (F.col("compras") > 0)).select(
        *GROUP,
        F.col("gmv").cast(MONEY).alias("gmv"),
        *(F.col(m).cast("bigint").alias(m) for m in MEASURES[1:]),
        F.col("dia").alias("data_posicao"),
    )


_SCHEMA = (
    "data_venda date, subsidiaria string, gmv decimal(18,2), compras bigint, "
    "compras_pagas bigint, compras_pagas_sem_item bigint, data_posicao date"
)

COLUMN_LINEAGE = {
    "data_venda": [(SILVER, "order_date")],
    "subsidiaria": [(SILVER, "subsidiary")],
    "gmv": [(SILVER, "purchase_value"), (SILVER, "pago")],
    "compras": [(SILVER, "purchase_id")],
    "compras_pagas": [(SILVER, "pago")],
    "compras_pagas_sem_item": [(SILVER, "pago"), (SILVER, "purchase_value")],
    "data_posicao": [(SILVER, "valido_de"), (SILVER, "valido_ate")],
}


def main(argv: Sequence[str]) -> None:
    with GlueJob(argv, "vendas_gold_gmv_diario_por_subsidiaria") as job:
        history = job.read(SILVER)
        published = [
            dt.date.fromisoformat(p["data_posicao"]) for p in job.committed_partitions(TARGET)
        ]
        last_day = processing_day(job.args, history)
        days = [] if last_day is None else snapshot_days(history, published, last_day)
        day = last_day or "none (no load date and no event)"
        job.log.info(
            f"processing day {day}; {len(published)} snapshot(s) published, "
            f"{len(days)} to publish: {', '.join(map(str, days)) or 'none'}"
        )
        job.write(
            TARGET,
            gmv_snapshots(history, days),
            partitions=[{"data_posicao": d.isoformat()} for d in days],
            column_lineage=COLUMN_LINEAGE,
        )


if __name__ == "__main__":
    main(sys.argv[1:])
