"""The local Spark session, configured once for every job of a run (and for the tests)."""

from __future__ import annotations

import os
import tempfile

from pyspark.sql import SparkSession

from lakehouse_assets.local_runner import jit
from lakehouse_assets.local_runner.class_archive import archive_options

# On small data Spark's code generation costs more than it saves: every new query compiles
# Java (a whole stage, then each expression) for rows it then goes over once, in milliseconds.
# Interpreted evaluation, Spark's own fallback when code generation fails, took the steps of
# the ImportAu graph on the real exports from 21.3-22.2 s to 18.5-18.6 s (docs/BENCHMARKING.md).
# Data large enough for the full JIT keeps Spark's defaults: compiling pays over many rows.
INTERPRETED = {
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",
}


def build_local_session(app_name: str = "lakehouse-local-runner") -> SparkSession:
    cores = os.environ.get("LAKEHOUSE_SPARK_CORES", "*")
    warehouse = os.path.join(tempfile.gettempdir(), "lakehouse-spark-warehouse")
    # The runner's starter decides the JIT from the data's size (local_runner/jit.py).
    choice = jit.setting()
    jit_flags = jit.java_options(choice)
    java_options = f"{jit_flags} {archive_options(jit_flags)}".strip()
    builder = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.driver.extraJavaOptions", java_options)
        .config("spark.driver.memory", os.environ.get("LAKEHOUSE_SPARK_DRIVER_MEMORY", "4g"))
        .config("spark.sql.session.timeZone", "UTC")
        # Lakehouse tables are small to medium on one machine: few shuffle partitions, and
        # adaptive execution to coalesce them further when the data is tiny.
        .config("spark.sql.shuffle.partitions", os.environ.get("LAKEHOUSE_SHUFFLE_PARTITIONS", "8"))
        .config("spark.sql.adaptive.enabled", "true")
        .config("spark.sql.warehouse.dir", warehouse)
        # A table keeps a folder per load date. Past 32 folders Spark lists them with a
        # distributed job (hundreds of tasks, seconds per read); on a local disk the driver
        # lists a year of them in milliseconds.
        .config("spark.sql.sources.parallelPartitionDiscovery.threshold", "1000000")
        .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
        .config("spark.sql.ansi.enabled", "false")
        .config("spark.sql.legacy.timeParserPolicy", "CORRECTED")
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
    )
    if choice != "full":
        for key, value in INTERPRETED.items():
            builder = builder.config(key, value)
    for key, value in extra_conf(os.environ.get("LAKEHOUSE_SPARK_CONF", "")).items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def extra_conf(text: str) -> dict[str, str]:
    """`key=value` pairs separated by commas or spaces: any Spark setting for local runs."""
    pairs = {}
    for item in text.replace(",", " ").split():
        key, sep, value = item.partition("=")
        if not sep or not key.startswith("spark."):
            raise ValueError(
                f"LAKEHOUSE_SPARK_CONF item {item!r} is not `spark.<setting>=<value>`; "
                "separate settings with commas"
            )
        pairs[key] = value
    return pairs
