"""Dagster resources: the Glue job launcher (local or AWS)."""
