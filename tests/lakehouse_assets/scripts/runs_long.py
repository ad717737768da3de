"""A Glue script whose Spark job runs until it is stopped."""

from pyspark.sql import SparkSession
from pyspark.sql import functions as F


def main(argv):
    spark = SparkSession.builder.getOrCreate()
    while True:
        spark.range(0, 10**10, numPartitions=4).select(F.sum(F.sqrt("id"))).collect()
