"""A Glue script that opens Pipes and keeps Spark busy until it is stopped."""

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from glue_scripts.lib.pipes import open_pipes


def main(argv):
    spark = SparkSession.builder.getOrCreate()
    with open_pipes(argv) as pipes:
        pipes.log.info("spinning until stopped")
        while True:
            spark.range(0, 10**10, numPartitions=2).select(F.sum(F.sqrt("id"))).collect()
