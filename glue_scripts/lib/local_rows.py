"""Small DataFrames of rows the driver holds, built in the JVM.

`spark.createDataFrame(rows)` pickles the rows and has a Python worker unpickle them when a
query reads them: the first worker of a Spark driver costs about a second and some 150 MB.
Rows made in the JVM need none. They stay an RDD scan the optimizer cannot see into, so their
values never become literals of a plan (a plan string may be printed in an error).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import BinaryType, StringType, StructField, StructType

from glue_scripts.lib import sql_text

# Types py4j hands to the JVM as they are. Any other value travels as text and is cast: a
# Python int arrives as an Integer, which a BIGINT column refuses.
_AS_IS = (StringType, BinaryType)


def local_rows(
    spark: SparkSession, rows: Sequence[Sequence[Any]], schema: str | StructType
) -> DataFrame:
    """A DataFrame of `rows` (tuples in the order of `schema`, a DDL string or a StructType)."""
    struct = schema if isinstance(schema, StructType) else _parse(spark, schema)
    fields = struct.fields
    # No rows, nothing to convert: any type, nested ones included, goes as it is.
    as_is = [not rows or isinstance(f.dataType, _AS_IS) for f in fields]
    typed = list(zip(fields, as_is, strict=True))
    carrier = StructType([f if keep else StructField(f.name, StringType()) for f, keep in typed])
    jvm = spark._jvm
    gateway = spark.sparkContext._gateway
    java_rows = jvm.java.util.ArrayList()
    for row in rows:
        if len(row) != len(fields):
            raise ValueError(f"row {row!r} has {len(row)} values; the schema has {len(fields)}")
        values = gateway.new_array(jvm.java.lang.Object, len(fields))
        for i, (value, keep, field) in enumerate(zip(row, as_is, fields, strict=True)):
            values[i] = value if keep or value is None else _text(value, field)
        java_rows.add(jvm.org.apache.spark.sql.RowFactory.create(values))
    java_schema = spark._jsparkSession.parseDataType(carrier.json())
    rdd = spark.sparkContext._jsc.parallelize(java_rows, 1)
    frame = DataFrame(spark._jsparkSession.createDataFrame(rdd, java_schema), spark)
    if all(as_is):
        return frame
    return frame.selectExpr(
        *(
            sql_text.name(f.name)
            if keep
            else f"CAST({sql_text.name(f.name)} AS {f.dataType.simpleString()}) "
            f"AS {sql_text.name(f.name)}"
            for f, keep in typed
        )
    )


def _parse(spark: SparkSession, ddl: str) -> StructType:
    parsed = spark._jvm.org.apache.spark.sql.types.StructType.fromDDL(ddl)
    return StructType.fromJson(json.loads(parsed.json()))


def _text(value: Any, field: StructField) -> str:
    # Text that does not parse would be cast to NULL without a word: refuse it here.
    if isinstance(value, str | bytes | bytearray):
        raise TypeError(
            f"column {field.name} is {field.dataType.simpleString()}: give {value!r} as a "
            "number, date, time or boolean, not as text"
        )
    return str(value).lower() if isinstance(value, bool) else str(value)
