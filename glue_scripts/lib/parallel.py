"""Independent pieces of one job run side by side on the job's SparkContext.

Spark spends most of a small table's time on the driver (planning, code generation, job
scheduling), one query at a time per thread; a few threads keep both the driver and the
executors busy. Each thread's Spark jobs stay in the run's job group, so stopping the run
cancels them too.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from pyspark.sql import SparkSession

T = TypeVar("T")
# The properties that tie a Spark job to the run that started it (see setJobGroup).
_RUN_PROPERTIES = ("spark.jobGroup.id", "spark.job.description", "spark.job.interruptOnCancel")


def default_workers() -> int:
    return max(1, int(os.environ.get("LAKEHOUSE_JOB_THREADS", "4")))


def run_concurrently(
    spark: SparkSession, tasks: Sequence[Callable[[], T]], max_workers: int | None = None
) -> list[T]:
    """Run `tasks` on up to `max_workers` threads; results in task order.

    Every task runs to its end even when another fails, so a job reports each table's
    outcome; the first failure (in task order) is raised afterwards.
    """
    workers = min(max_workers or default_workers(), len(tasks))
    if workers <= 1:
        return [task() for task in tasks]
    context = spark.sparkContext
    inherited = {key: context.getLocalProperty(key) for key in _RUN_PROPERTIES}

    def in_run(task: Callable[[], T]) -> T:
        for key, value in inherited.items():
            context.setLocalProperty(key, value)
        return task()

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lakehouse-task") as pool:
        futures = [pool.submit(in_run, task) for task in tasks]
    errors = [f.exception() for f in futures if f.exception() is not None]
    if errors:
        raise errors[0]
    return [f.result() for f in futures]
