"""A Pipes client for Glue job runs: dagster-aws 0.29's `PipesGlueClient` with its gaps closed.

Upstream polls every 5 s with no deadline, reads `response['errors']` where boto3 returns
`Errors`, edits the caller's parameters, and reports only Glue's one-line ErrorMessage.
Every method of it is replaced here, so this client derives from Dagster's own `PipesClient`
instead: importing dagster-aws takes about 0.8 s (its components, EMR clients and pandas),
which every local `lakehouse run` paid before its first step. The AWS launcher still uses
dagster-aws's S3 context injector and message reader.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError
from dagster import MetadataValue, PipesClient, PipesClientCompletedInvocation
from dagster._core.definitions.resource_annotation import TreatAsResourceParam
from dagster._core.errors import DagsterExecutionInterruptedError
from dagster._core.pipes.client import PipesContextInjector, PipesMessageReader
from dagster._core.pipes.utils import open_pipes_session

from lakehouse_assets.aws_settings import WORKER_DPUS

TERMINAL_STATES = ("FAILED", "SUCCEEDED", "STOPPED", "TIMEOUT", "ERROR")
STACK_LINES = 12


class GlueJobRunError(RuntimeError):
    """A Glue job run ended in another state than SUCCEEDED."""


class GlueJobTimeoutError(GlueJobRunError):
    """A Glue job run outlived the launcher's deadline and was stopped."""


class GlueJobStartError(RuntimeError):
    """Glue refused to start a job run (missing job, no capacity, throttling...)."""


@dataclass(frozen=True)
class GlueRunOutcome:
    invocation: PipesClientCompletedInvocation
    error: GlueJobRunError | None


class DeadlineGlueClient(PipesClient, TreatAsResourceParam):
    """Args:
    client: boto3's Glue client, or one shaped like it (the local runner's).
    context_injector, message_reader: how the Pipes context reaches the job and its
        messages come back.
    poll_interval_seconds: seconds between two GetJobRun calls.
    timeout_seconds: deadline of one run; past it the run is stopped.
    log_tail_reader: `job_run -> str`, the last lines of the run's log for failures
        (the AWS launcher reads CloudWatch; the local runner returns `LogTail` itself).
    forward_termination: stop the job run when the Dagster step is interrupted.
    """

    def __init__(
        self,
        *,
        client: Any,
        context_injector: PipesContextInjector,
        message_reader: PipesMessageReader,
        poll_interval_seconds: float,
        timeout_seconds: float,
        log_tail_reader: Callable[[Mapping[str, Any]], str] | None = None,
        forward_termination: bool = True,
    ):
        self._client = client
        self._context_injector = context_injector
        self._message_reader = message_reader
        self.forward_termination = forward_termination
        self.poll_interval_seconds = poll_interval_seconds
        self.timeout_seconds = timeout_seconds
        self._log_tail_reader = log_tail_reader

    def run(self, *, context, start_job_run_params, extras=None) -> GlueRunOutcome:
        """Start a Glue job run with the Pipes bootstrap and wait for it.

        Unlike the parent's `run`, a failed job run does not raise here: what the script
        reported before failing (check results, tables already published) comes back with
        the error, so the asset can record it and then fail.
        """
        params = copy.deepcopy(start_job_run_params)  # the parent edits the caller's dict
        params["Arguments"] = dict(params.get("Arguments") or {})
        job_name = params["JobName"]
        with open_pipes_session(
            context=context,
            message_reader=self._message_reader,
            context_injector=self._context_injector,
            extras=extras,
        ) as session:
            params["Arguments"].update(session.get_bootstrap_cli_arguments())
            run_id = self._start(job_name, params)
            context.log.info(f"started Glue job {job_name} run {run_id}")
            try:
                response = self._wait_for_job_run_completion(job_name, run_id)
            except DagsterExecutionInterruptedError:
                if self.forward_termination:
                    self._terminate_job_run(context=context, job_name=job_name, run_id=run_id)
                raise
        job_run = response["JobRun"]
        invocation = PipesClientCompletedInvocation(
            session, metadata=self._extract_dagster_metadata(response)
        )
        if job_run["JobRunState"] == "SUCCEEDED":
            context.log.info(f"Glue job {job_name} run {run_id} succeeded")
            return GlueRunOutcome(invocation, None)
        return GlueRunOutcome(invocation, GlueJobRunError(self._failure_text(job_run)))

    def _start(self, job_name: str, params: dict[str, Any]) -> str:
        try:
            return self._client.start_job_run(**params)["JobRunId"]
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code", "")
            hint = {
                "EntityNotFoundException": "deploy it with `lakehouse deploy apply`",
                "ConcurrentRunsExceededException": (
                    "too many runs of this job at once (LAKEHOUSE_GLUE_MAX_CONCURRENT_RUNS, "
                    "then `lakehouse deploy apply`)"
                ),
                "AccessDeniedException": (
                    "the Dagster process's credentials lack glue:StartJobRun "
                    "(`lakehouse deploy policy` prints what they need)"
                ),
            }.get(code, "check the job and the credentials")
            raise GlueJobStartError(
                f"Glue did not start job {job_name}: {code}: {err}; {hint}"
            ) from err

    def _failure_text(self, job_run: dict[str, Any]) -> str:
        name, run_id, state = job_run.get("JobName"), job_run.get("Id"), job_run["JobRunState"]
        lines = [f"Glue job {name} run {run_id} ended {state}: {job_run.get('ErrorMessage')}"]
        reported = getattr(self._message_reader, "reported_exception", None)
        if reported:
            lines.append(_describe_exception(reported))
        tail = job_run.get("LogTail") or (
            self._log_tail_reader(job_run) if self._log_tail_reader else ""
        )
        if tail:
            lines.append(f"Last lines of the job's log:\n{tail}")
        lines.append(
            "Fix the cause shown above and materialize again; earlier data stays as it was."
        )
        return "\n".join(lines)

    def _wait_for_job_run_completion(self, job_name: str, run_id: str):
        deadline = time.monotonic() + self.timeout_seconds
        while True:
            response = self._client.get_job_run(JobName=job_name, RunId=run_id)
            if response["JobRun"]["JobRunState"] in TERMINAL_STATES:
                return response
            if time.monotonic() > deadline:
                self._client.batch_stop_job_run(JobName=job_name, JobRunIds=[run_id])
                raise GlueJobTimeoutError(
                    f"Glue job {job_name} run {run_id} did not finish within "
                    f"{self.timeout_seconds:.0f}s and was stopped; raise "
                    "LAKEHOUSE_JOB_TIMEOUT_SECONDS if the job needs longer"
                )
            time.sleep(self.poll_interval_seconds)

    def _terminate_job_run(self, context, job_name: str, run_id: str):
        context.log.warning(f"execution interrupted: stopping Glue job run {run_id}")
        response = self._client.batch_stop_job_run(JobName=job_name, JobRunIds=[run_id])
        if response.get("SuccessfulSubmissions"):
            context.log.warning(f"stopped Glue job run {run_id}")
        else:
            context.log.warning(f"Glue did not stop run {run_id}: {response.get('Errors')}")

    def _extract_dagster_metadata(self, response):
        job_run = response["JobRun"]
        run_id, job_name = job_run.get("Id"), job_run.get("JobName")
        # The keys dagster-aws's client reports, so that runs read the same either way.
        metadata: dict[str, Any] = {}
        if run_id:
            metadata["AWS Glue Job Run ID"] = run_id
        if job_name:
            metadata["AWS Glue Job Name"] = job_name
        region = self._client.meta.region_name
        # The local runner has no console; a link to AWS's would point nowhere.
        if region != "local" and run_id and job_name:
            metadata["AWS Glue Job Run URL"] = MetadataValue.url(
                f"https://{region}.console.aws.amazon.com/gluestudio/home?region={region}"
                f"#/job/{job_name}/run/{run_id}"
            )
        metadata["lakehouse/glue_run_id"] = run_id
        seconds = _run_seconds(job_run)
        if seconds is not None:
            metadata["lakehouse/execution_seconds"] = MetadataValue.float(seconds)
        dpu_seconds = _dpu_seconds(job_run)
        if dpu_seconds is not None:
            metadata["lakehouse/dpu_seconds"] = MetadataValue.float(dpu_seconds)
        return metadata


def _run_seconds(job_run: Mapping[str, Any]) -> float | None:
    """The run's duration: to the millisecond from its start and end where both are known
    (Glue's `ExecutionTime` is whole seconds, too coarse for small jobs run locally)."""
    started, completed = job_run.get("StartedOn"), job_run.get("CompletedOn")
    if started and completed:
        if isinstance(started, str):
            started, completed = datetime.fromisoformat(started), datetime.fromisoformat(completed)
        return round((completed - started).total_seconds(), 3)
    seconds = job_run.get("ExecutionTime")
    return None if seconds is None else float(seconds)


def _dpu_seconds(job_run: Mapping[str, Any]) -> float | None:
    """Glue's DPUSeconds where it reports them (auto-scaling), else time x capacity."""
    if job_run.get("DPUSeconds") is not None:
        return float(job_run["DPUSeconds"])
    seconds = job_run.get("ExecutionTime")
    if seconds is None:
        return None
    capacity = job_run.get("MaxCapacity")
    if capacity is None and job_run.get("WorkerType") in WORKER_DPUS:
        capacity = WORKER_DPUS[job_run["WorkerType"]] * int(job_run.get("NumberOfWorkers") or 0)
    return float(seconds) * float(capacity) if capacity else None


def _describe_exception(exception: Mapping[str, Any]) -> str:
    """The exception a script reported through Pipes when it closed, with its last frames."""
    name, message = exception.get("name") or "", (exception.get("message") or "").strip()
    # dagster-pipes' message is usually Python's own `module.Type: text` line already.
    described = message if name and name in message.split(":", 1)[0] else f"{name}: {message}"
    text = f"The script raised {described}"
    stack = "".join(exception.get("stack") or []).rstrip().splitlines()[-STACK_LINES:]
    return text + ("\n" + "\n".join(stack) if stack else "")
