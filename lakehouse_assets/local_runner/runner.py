"""Executes Glue job scripts in one warm SparkSession, one thread per job run."""

from __future__ import annotations

import ctypes
import runpy
import threading
import time
import traceback
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pyspark.sql import SparkSession

from glue_scripts.lib.args import to_argv

TERMINAL = ("SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT", "ERROR")


class JobStopped(BaseException):
    """Raised inside a job's thread when a stop is requested (BaseException so that scripts'
    `except Exception` blocks cannot swallow it)."""


@dataclass
class JobRun:
    id: str
    job_name: str
    script: str
    arguments: dict[str, str]
    state: str = "STARTING"
    error: str = ""
    trace: str = ""
    started_on: datetime = field(default_factory=lambda: datetime.now(UTC))
    completed_on: datetime | None = None
    thread_id: int | None = None
    stop_requested: bool = False

    def describe(self) -> dict[str, Any]:
        end = self.completed_on or datetime.now(UTC)
        return {
            "Id": self.id,
            "JobName": self.job_name,
            "JobRunState": self.state,
            "ErrorMessage": self.error,
            "StartedOn": self.started_on.isoformat(),
            "CompletedOn": self.completed_on.isoformat() if self.completed_on else None,
            "ExecutionTime": int((end - self.started_on).total_seconds()),
            "LogTail": self.trace,
        }


class JobRunner:
    """Runs scripts' `main(argv)` in threads that share one SparkContext."""

    def __init__(self, spark: SparkSession, max_concurrent_runs: int = 2):
        self.spark = spark
        self._slots = threading.BoundedSemaphore(max_concurrent_runs)
        self._runs: dict[str, JobRun] = {}
        self._lock = threading.Lock()
        self.last_activity = time.monotonic()

    def start(self, job_name: str, script: str, arguments: Mapping[str, str]) -> str:
        run = JobRun(
            id=f"jr_{uuid.uuid4().hex}",
            job_name=job_name,
            script=script,
            arguments=dict(arguments),
        )
        with self._lock:
            self._runs[run.id] = run
            self.last_activity = time.monotonic()
        # A thread per run, not a pool: a stop delivered as an asynchronous exception can
        # only ever hit the run it was meant for.
        threading.Thread(target=self._execute, args=(run,), name=run.id, daemon=True).start()
        return run.id

    def get(self, run_id: str) -> JobRun:
        with self._lock:
            self.last_activity = time.monotonic()
            return self._runs[run_id]

    @property
    def active_runs(self) -> int:
        with self._lock:
            return sum(r.state not in TERMINAL for r in self._runs.values())

    def stop(self, run_id: str) -> bool:
        run = self.get(run_id)
        if run.state in TERMINAL:
            return False
        run.stop_requested = True
        threading.Thread(target=self._enforce_stop, args=(run,), daemon=True).start()
        return True

    def _enforce_stop(self, run: JobRun) -> None:
        """Interrupt the run's Python code once, and cancel its Spark jobs until it ends
        (a script between two Spark jobs would otherwise start the next one)."""
        interrupted = False
        while run.state not in TERMINAL:
            if run.thread_id is not None and not interrupted:
                ctypes.pythonapi.PyThreadState_SetAsyncExc(
                    ctypes.c_ulong(run.thread_id), ctypes.py_object(JobStopped)
                )
                interrupted = True
            self.spark.sparkContext.cancelJobGroup(run.id)
            time.sleep(0.2)

    def _execute(self, run: JobRun) -> None:
        with self._slots:
            run.thread_id = threading.get_ident()
            state, error, trace = self._run_script(run)
            run.state, run.error, run.trace = state, error, trace
            run.completed_on = datetime.now(UTC)
            with self._lock:
                self.last_activity = time.monotonic()

    def _run_script(self, run: JobRun) -> tuple[str, str, str]:
        try:
            try:
                if run.stop_requested:
                    raise JobStopped()
                run.state = "RUNNING"
                self.spark.sparkContext.setJobGroup(
                    run.id, f"{run.job_name} {run.id}", interruptOnCancel=True
                )
                module = runpy.run_path(run.script, run_name="__glue_job__")
                module["main"](to_argv(run.arguments))
                return "SUCCEEDED", "", ""
            except BaseException as exc:  # noqa: BLE001 - every failure must end the run's state
                trace = "".join(traceback.format_exception(exc))[-6000:]
                if run.stop_requested:
                    return "STOPPED", "stopped on request", trace
                return "FAILED", f"{type(exc).__name__}: {exc}", trace
        except JobStopped:  # the stop arrived while the failure above was being handled
            return "STOPPED", "stopped on request", ""
