"""Pieces of a job side by side (lib/parallel.py) and queries batched into one Spark job."""

from __future__ import annotations

import threading

import pytest

from glue_scripts.lib.parallel import run_concurrently
from glue_scripts.lib.quality import run_queries


def test_results_come_back_in_task_order(spark):
    tasks = [lambda i=i: i * i for i in range(6)]
    assert run_concurrently(spark, tasks, max_workers=3) == [0, 1, 4, 9, 16, 25]


def test_every_task_runs_to_its_end_before_the_first_failure_is_raised(spark):
    finished = []
    lock = threading.Lock()

    def task(name: str, fail: bool = False):
        if fail:
            raise ValueError(f"{name} failed")
        with lock:
            finished.append(name)

    tasks = [lambda: task("a"), lambda: task("b", fail=True), lambda: task("c")]
    with pytest.raises(ValueError, match="b failed"):
        run_concurrently(spark, tasks, max_workers=2)
    assert sorted(finished) == ["a", "c"]


def test_threads_stay_in_the_run_job_group_so_a_stop_cancels_their_spark_jobs(spark):
    context = spark.sparkContext
    context.setJobGroup("run-42", "a job run", interruptOnCancel=True)
    try:
        groups = run_concurrently(
            spark, [lambda: context.getLocalProperty("spark.jobGroup.id")] * 3, max_workers=3
        )
    finally:
        context.setLocalProperty("spark.jobGroup.id", None)
        context.setLocalProperty("spark.job.description", None)
        context.setLocalProperty("spark.job.interruptOnCancel", None)
    assert groups == ["run-42"] * 3


def test_queries_of_different_shapes_run_as_one_job_and_keep_nulls(spark):
    rows = run_queries(
        spark,
        {
            "a": "SELECT 0 AS failed, CAST(NULL AS DOUBLE) AS diff",
            "b": "SELECT id AS p0, id * 10 AS n FROM range(3)",
            "c": "SELECT 1 AS failed FROM range(1) WHERE false",
        },
    )
    assert rows == {
        "a": [{"failed": 0, "diff": None}],
        "b": [{"p0": 0, "n": 0}, {"p0": 1, "n": 10}, {"p0": 2, "n": 20}],
        "c": [],
    }
