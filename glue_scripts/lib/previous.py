"""A job's own output as it was before this run: state a table carries from run to run.

Some tables must not be recomputed from scratch on every run: a model's imputation
statistics, fitted once on a training window, stay as they were while new days arrive. Their
job reads the table's last committed version, keeps what is there and adds what is missing.
"""

from __future__ import annotations

from pyspark.sql import DataFrame

from glue_scripts.lib.job import GlueJob
from glue_scripts.lib.spark_io import read_table


class NotAnOutputError(ValueError):
    """`previous_output` was asked for a table the job does not write in this run."""


def previous_output(job: GlueJob, table: str) -> DataFrame | None:
    """The committed content of `table`, one of this run's outputs; None before its first write.

    It is not recorded as an input of the run: a table's own last version is its state, not
    its lineage (declaring a table upstream of itself would be a cycle). Other tables are read
    with `job.read`, which records them.
    """
    if table not in job.tables:
        raise NotAnOutputError(
            f"job {job.name} does not write {table} in this run; read inputs with job.read "
            f"(outputs of this run: {sorted(job.tables)})"
        )
    store = job.store(table)
    current = store.current()
    if current is None or current.rows == 0:
        return None
    return read_table(job.spark, store)
