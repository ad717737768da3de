"""Reusable DataFrame -> DataFrame transforms (chain them with `df.transform`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

# Bronze keeps every load; the newest load date, then the newest ingestion, then the file
# name decide which version of a key is current.
LOAD_ORDER = ("anomesdia", "ingested_at", "source_file")


def latest_by_key(
    keys: Sequence[str], order: Sequence[str] = LOAD_ORDER
) -> Callable[[DataFrame], DataFrame]:
    """Keep, per key, the row of the latest load (bronze's latest-load-wins rule)."""

    def _latest(frame: DataFrame) -> DataFrame:
        newest_first = Window.partitionBy(*keys).orderBy(*(F.col(c).desc() for c in order))
        return (
            frame.select("*", F.row_number().over(newest_first).alias("_load_rank"))
            .where(F.col("_load_rank") == 1)
            .drop("_load_rank")
        )

    return _latest


def month_start(column: str | F.Column) -> F.Column:
    return F.trunc(F.col(column) if isinstance(column, str) else column, "month")
