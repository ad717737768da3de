"""Failures on the AWS path: the script's error in Dagster, cancelling, the launcher's deadline.

Every case ends with the Glue run in its final state on the stand-in and no Pipes object
left on S3.
"""

import os
import signal
import threading
import time
from pathlib import Path

import pytest
from dagster import AssetExecutionContext, asset, instance_for_test, materialize

from lakehouse_assets.aws_settings import AwsSettings
from lakehouse_assets.resources.glue_launcher import GlueLauncher
from lakehouse_assets.resources.launcher import GlueJobLauncher
from lakehouse_assets.settings import Settings
from lakehouse_assets.specs import JobSpec
from tests.aws_glue.conftest import BUCKET, PII_SECRET, PREFIX, ROLE, ROOT, reset
from tests.aws_glue.helpers import deploy, pipes_objects, upload_landing
from tests.e2e.helpers import run_graph

pytestmark = pytest.mark.e2e
SPINS = JobSpec(
    name="spins", domain="importau", script="spins.py", description="Spins until stopped."
)


@pytest.fixture(scope="module")
def deployed(standin, aws_env, clients, real_exports):
    reset(standin.url)
    clients["secretsmanager"].create_secret(Name=PII_SECRET, SecretString="k" * 64)
    deploy()
    upload_landing(clients["s3"], real_exports, BUCKET, f"{PREFIX}/partial", skip=("cambio",))
    # A job outside the registry whose script runs until it is stopped.
    glue, s3 = clients["glue"], clients["s3"]
    bronze = glue.get_job(JobName="importau_bronze_ingest")["Job"]
    key = f"{PREFIX}/_deploy/tests/spins.py"
    s3.upload_file(str(Path(__file__).parent / "scripts" / "spins.py"), BUCKET, key)
    glue.create_job(
        Name=SPINS.name,
        Role=ROLE,
        Command={"Name": "glueetl", "ScriptLocation": f"s3://{BUCKET}/{key}"},
        DefaultArguments=bronze["DefaultArguments"],
        GlueVersion="5.0",
        WorkerType="G.1X",
        NumberOfWorkers=2,
    )
    return clients


def _launcher(**changes) -> GlueLauncher:
    launcher = GlueLauncher.from_settings(Settings.from_env(), AwsSettings.from_env())
    return GlueLauncher(**{**launcher.model_dump(), **changes})


@asset(name="spins")
def _spins(context: AssetExecutionContext, launcher: GlueJobLauncher):
    outcome = launcher.run_job(context, SPINS, [])
    raise outcome.error or AssertionError("the spinning job cannot succeed")


def _final(glue, job: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = glue.get_job_runs(JobName=job)["JobRuns"][0]
        if run["JobRunState"] not in ("STARTING", "RUNNING", "STOPPING"):
            return run
        time.sleep(0.2)
    raise AssertionError(f"{job} still {run['JobRunState']}")


def _failure(result) -> str:
    failure = next(e for e in result.all_events if e.is_step_failure)
    return failure.event_specific_data.error.to_string()


def test_script_exception_and_log_tail_reach_the_dagster_failure(deployed):
    launcher = _launcher(landing=f"{ROOT}/partial")
    with instance_for_test() as instance:
        result = run_graph(launcher, instance, selection=["importau/bronze/cambio"])
    assert not result.success
    message = _failure(result)
    run = _final(deployed["glue"], "importau_bronze_ingest")
    assert run["JobRunState"] == "FAILED"
    assert f"Glue job importau_bronze_ingest run {run['Id']} ended FAILED: LandingError" in message
    assert "no landing file for source 'cambio'" in message
    # What the script reported through Pipes when it closed, with its stack...
    assert "The script raised glue_scripts.lib.landing.LandingError: " in message
    assert 'glue_scripts/lib/bronze.py", line' in message
    # ...and the tail of the run's CloudWatch log.
    assert "[/aws-glue/jobs/error]" in message
    assert "Traceback (most recent call last)" in message
    assert pipes_objects(deployed["s3"], BUCKET, PREFIX) == []


def test_interrupting_the_dagster_run_stops_the_glue_run(deployed):
    glue = deployed["glue"]
    started = threading.Event()

    def interrupt_once_running() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            runs = glue.get_job_runs(JobName=SPINS.name)["JobRuns"]
            if runs and runs[0]["JobRunState"] == "RUNNING":
                started.set()
                # What the Dagster run worker gets when the run is terminated from the UI.
                os.kill(os.getpid(), signal.SIGINT)
                return
            time.sleep(0.2)

    watcher = threading.Thread(target=interrupt_once_running, daemon=True)
    watcher.start()
    with instance_for_test() as instance:
        result = materialize(
            [_spins],
            resources={"launcher": _launcher(timeout_seconds=90)},
            instance=instance,
            raise_on_error=False,
        )
        logs = [e.message for e in instance.all_logs(result.run_id)]
    watcher.join()
    assert started.is_set() and not result.success
    run = _final(glue, SPINS.name)
    assert run["JobRunState"] == "STOPPED"
    assert any(f"stopped Glue job run {run['Id']}" in (m or "") for m in logs)
    assert pipes_objects(deployed["s3"], BUCKET, PREFIX) == []


def test_a_run_past_the_launcher_deadline_is_stopped(deployed):
    with instance_for_test() as instance:
        result = materialize(
            [_spins],
            resources={"launcher": _launcher(timeout_seconds=3)},
            instance=instance,
            raise_on_error=False,
        )
    assert not result.success
    assert "did not finish within 3s and was stopped" in _failure(result)
    assert _final(deployed["glue"], SPINS.name)["JobRunState"] == "STOPPED"
    assert pipes_objects(deployed["s3"], BUCKET, PREFIX) == []
