"""`lakehouse bench`: what the framework costs, measured on the machine it runs on.

Each measured configuration runs in a fresh process started by the harness (`harness.py`):
the framework through the real `lakehouse run` path (`framework_child.py`), the same
transforms as one bare PySpark script (`bare_pipeline.py`), DuckDB over the same bronze
Parquet (`duckdb_child.py`), one new day on top of a history (`incremental.py`), the
catalog export of synthetic tables (`catalog_child.py`) and the warm loop, one gold asset
again with the runner up (`warm_loop.py`). Results are medians of several runs,
rendered with the goals next to them (`report.py`, `goals.py`); docs/BENCHMARKS.md says how
each number is taken.
"""
