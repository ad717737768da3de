"""`previous_output`: a job's own table as last committed, not recorded as an input."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from glue_scripts.lib.previous import NotAnOutputError, previous_output
from glue_scripts.lib.spark_io import write_snapshot
from glue_scripts.lib.tables import TableStore

TABLE = "dominio_silver.estado"


def _job(spark, root):
    """The attributes of a GlueJob that `previous_output` uses (a real store and session)."""
    return SimpleNamespace(
        name="dominio_job",
        tables={TABLE: {}},
        spark=spark,
        store=lambda table: TableStore(str(root), *table.split(".", 1)),
        reads={},
    )


def test_none_before_the_first_commit_then_the_committed_rows(spark, tmp_path):
    job = _job(spark, tmp_path)
    assert previous_output(job, TABLE) is None
    store = job.store(TABLE)
    frame = spark.sql("SELECT * FROM VALUES ('v1', 1.5D), ('v2', 2.5D) AS t(version, value)")
    written = write_snapshot(frame, store, ("version",))
    store.commit(written.snapshot, ("version",), written.rows_by_partition, replace_all=False)
    previous = previous_output(job, TABLE)
    assert sorted((r["version"], r["value"]) for r in previous.collect()) == [
        ("v1", 1.5),
        ("v2", 2.5),
    ]
    assert job.reads == {}


def test_only_outputs_of_the_run_can_be_read_this_way(spark, tmp_path):
    with pytest.raises(NotAnOutputError) as err:
        previous_output(_job(spark, tmp_path), "dominio_bronze.fonte")
    assert str(err.value) == (
        "job dominio_job does not write dominio_bronze.fonte in this run; read inputs with "
        "job.read (outputs of this run: ['dominio_silver.estado'])"
    )
