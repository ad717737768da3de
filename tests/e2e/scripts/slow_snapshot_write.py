"""A Glue script for the kill test: writes a large snapshot folder of a table and never
commits it to Iceberg.

The test SIGKILLs the runner while Spark is writing; nothing may change for readers: the
table's current Iceberg snapshot and the rows `iceberg_scan` reads stay as they were.
"""

import sys

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from glue_scripts.lib.args import parse_args
from glue_scripts.lib.spark_io import write_snapshot
from glue_scripts.lib.tables import TableStore


def main(argv):
    args = parse_args(argv)
    spark = SparkSession.builder.getOrCreate()
    store = TableStore(args["lakehouse_root"], args["database"], args["table"])
    rows = spark.range(0, 400_000_000, numPartitions=64).select(
        F.col("id"), F.sha2(F.col("id").cast("string"), 256).alias("payload")
    )
    write_snapshot(rows, store, ())


if __name__ == "__main__":
    main(sys.argv[1:])
