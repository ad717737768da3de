"""Landing CSV -> typed bronze rows the way a bare PySpark script reads them.

`spark.read.csv` with an explicit schema (the spec's types: the CSV reader parses dates and
decimals itself), the spec's null tokens turned into NULL, and the ingestion columns the
silver transforms order loads by. No quarantine, no checks: that is the framework's work.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lakehouse_assets.specs import TableSpec

INGESTION = ("ingested_at", "source_file", "anomesdia")


def landing_columns(spec: TableSpec):
    return [c for c in spec.columns if c.name not in INGESTION]


def csv_schema(spec: TableSpec) -> str:
    """The landing file's columns with the spec's types (DDL); null-token columns stay text."""
    return ", ".join(
        f"`{c.name}` {'string' if c.null_values else c.type}" for c in landing_columns(spec)
    )


def _typed(spec: TableSpec) -> list:
    columns = []
    for column in landing_columns(spec):
        value = F.col(column.name)
        if column.null_values:
            value = F.when(F.trim(value).isin(*column.null_values), F.lit(None)).otherwise(value)
            value = value.cast(column.type)
        columns.append(value.alias(column.name))
    return columns


def read_source(
    spark: SparkSession, paths: Sequence[str], spec: TableSpec, base_path: str | None = None
) -> DataFrame:
    """One source's CSV files (or `anomesdia=` folders under `base_path`) as typed rows.

    Without `base_path` the rows get no `anomesdia`; with it, Spark's partition discovery
    reads the load date from the folder names.
    """
    reader = spark.read.schema(csv_schema(spec)).option("header", True).option("mode", "PERMISSIVE")
    if base_path:
        reader = reader.option("basePath", base_path)
    frame = reader.csv(list(paths))
    extra = [F.col("anomesdia")] if base_path else []
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    return frame.select(
        *_typed(spec),
        F.to_timestamp(F.lit(stamp)).alias("ingested_at"),
        F.col("_metadata.file_path").alias("source_file"),
        *extra,
    )
