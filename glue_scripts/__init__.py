"""Glue job scripts: plain PySpark, `--name value` arguments, Dagster Pipes for reporting.

Nothing under this package imports `dagster`; it runs unchanged on AWS Glue 5.x and on the
local warm Spark runner.
"""
