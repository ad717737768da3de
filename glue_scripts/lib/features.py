"""Spark columns for declared feature encodings (see `feature_config`): bands and one-hot.

Built-in expressions only (no UDFs), so they run the same on Glue and on local Spark.
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

from glue_scripts.lib.feature_config import Band, Vocabulary


def band(band: Band, value: Column | None = None) -> Column:
    """The band label of `value` (the band's source column by default); NULL stays NULL."""
    value = F.col(band.source) if value is None else value
    edges = [F.lit(float(e)) for e in band.edges]
    label = F.when(value < edges[0], F.lit(band.labels[0]))
    for i in range(1, len(edges)):
        label = label.when((value >= edges[i - 1]) & (value < edges[i]), F.lit(band.labels[i]))
    return label.when(value >= edges[-1], F.lit(band.labels[-1])).alias(band.name)


def is_declared(vocabulary: Vocabulary, feature: str, value: Column | None = None) -> Column:
    """Whether the value is one of the feature's declared categories (NULL is not)."""
    value = F.col(feature) if value is None else value
    declared = F.coalesce(value.isin(*vocabulary.categories(feature)), F.lit(False))
    return declared


def one_hot(vocabulary: Vocabulary, feature: str, value: Column | None = None) -> list[Column]:
    """One int column per declared category and the `_other` column; exactly one is 1.

    A value with a column of its own sets that column; any other value (undeclared, NULL, or a
    declared catch-all named like `other`) sets `<feature>_other`.
    """
    value = F.col(feature) if value is None else value
    known = vocabulary.columns(feature)
    has_own_column = F.coalesce(value.isin(*(c for _, c in known)), F.lit(False))
    columns = [
        F.coalesce(value == F.lit(category), F.lit(False)).cast("int").alias(column)
        for column, category in known
    ]
    other = (~has_own_column).cast("int").alias(vocabulary.other_column(feature))
    return [*columns, other]
