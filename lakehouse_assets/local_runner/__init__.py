"""The warm local stand-in for AWS Glue: one Spark driver that runs job scripts on request.

Glue starts a fresh driver per job run; locally that would cost 10-12 s per asset. The runner
keeps one SparkSession alive and executes each job run's script in it, with the arguments
Glue would pass, behind a tiny Glue-shaped HTTP API (start, get, stop), so the Dagster side
launches and polls local runs exactly like Glue runs.
"""
