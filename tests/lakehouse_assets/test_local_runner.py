"""The warm runner behaves like Glue: job-run states, errors, stop requests and deadlines."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from dagster import PipesTempFileContextInjector, PipesTempFileMessageReader

from lakehouse_assets.local_runner.client import LocalGlueClient, RunnerUnavailableError, call
from lakehouse_assets.resources.pipes_glue import DeadlineGlueClient, GlueJobTimeoutError

SCRIPTS = Path(__file__).parent / "scripts"


@pytest.fixture
def glue(runner_url):
    return LocalGlueClient(
        runner_url, {"fails": str(SCRIPTS / "fails.py"), "long": str(SCRIPTS / "runs_long.py")}
    )


def _wait(glue, name, run_id, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = glue.get_job_run(JobName=name, RunId=run_id)["JobRun"]
        if run["JobRunState"] in ("SUCCEEDED", "FAILED", "STOPPED"):
            return run
        time.sleep(0.05)
    raise AssertionError(f"{name} run {run_id} still {run['JobRunState']}")


def test_a_failing_script_ends_failed_with_its_own_error(glue):
    run_id = glue.start_job_run(JobName="fails", Arguments={"--x": "1"})["JobRunId"]
    run = _wait(glue, "fails", run_id)
    assert run["JobRunState"] == "FAILED"
    assert run["ErrorMessage"] == "ValueError: boom with ['--x', '1']"
    assert 'fails.py", line 5, in main' in run["LogTail"]


def test_stop_interrupts_a_running_spark_job(glue):
    run_id = glue.start_job_run(JobName="long", Arguments={})["JobRunId"]
    time.sleep(1.0)
    assert glue.get_job_run(JobName="long", RunId=run_id)["JobRun"]["JobRunState"] == "RUNNING"
    stopped = glue.batch_stop_job_run(JobName="long", JobRunIds=[run_id])
    assert stopped["SuccessfulSubmissions"] == [{"JobName": "long", "JobRunId": run_id}]
    assert _wait(glue, "long", run_id, timeout=30)["JobRunState"] == "STOPPED"
    # A finished run cannot be stopped again; Glue reports that under `Errors`.
    again = glue.batch_stop_job_run(JobName="long", JobRunIds=[run_id])
    assert again["SuccessfulSubmissions"] == []
    assert again["Errors"][0]["ErrorDetail"]["ErrorCode"] == "InvalidState"


def test_the_deadline_stops_a_run_that_takes_too_long(glue):
    client = DeadlineGlueClient(
        client=glue,
        context_injector=PipesTempFileContextInjector(),
        message_reader=PipesTempFileMessageReader(),
        poll_interval_seconds=0.05,
        timeout_seconds=1.0,
    )
    run_id = glue.start_job_run(JobName="long", Arguments={})["JobRunId"]
    with pytest.raises(GlueJobTimeoutError, match="did not finish within 1s and was stopped"):
        client._wait_for_job_run_completion("long", run_id)
    assert _wait(glue, "long", run_id, timeout=30)["JobRunState"] == "STOPPED"


def test_unknown_jobs_and_runs_are_clear_errors(glue, runner_url):
    with pytest.raises(KeyError, match="no script registered for Glue job 'nope'"):
        glue.start_job_run(JobName="nope", Arguments={})
    with pytest.raises(RunnerUnavailableError, match="404"):
        glue.get_job_run(JobName="fails", RunId="jr_missing")


def test_a_dead_runner_says_what_to_do():
    with pytest.raises(RunnerUnavailableError, match="a new runner starts by itself"):
        call("http://127.0.0.1:9", "/health", timeout=2)


def test_waiting_for_an_own_child_runner_reaps_it_instead_of_waiting_out_the_timeout():
    import os
    import subprocess
    import sys

    from lakehouse_assets.local_runner.process import _wait_gone

    # `lakehouse run` starts the runner as its child: once it exits it is a zombie until reaped.
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    _wait_gone(child.pid, timeout=30)
    with pytest.raises(ChildProcessError):
        os.waitpid(child.pid, os.WNOHANG)
