"""The Glue stand-in as a WSGI middleware in front of moto's application.

Requests whose `X-Amz-Target` is one of Glue's job operations (or tags of a job) are
answered by the stand-in, those of the Redshift Data API by its own stand-in
(`lakehouse_assets/redshift_standin/`, which runs the statements on the local PostgreSQL);
everything else (the Data Catalog, S3, CloudWatch Logs, Lake
Formation, Secrets Manager, ...) goes to moto unchanged, so clients see one endpoint,
reached through `AWS_ENDPOINT_URL` over real HTTP.
"""

from __future__ import annotations

import io
import json
import os
import re
import threading
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from lakehouse_assets.glue_standin.glue_api import GlueApiError
from lakehouse_assets.glue_standin.jobs import GlueJobService
from lakehouse_assets.glue_standin.mirror import S3Mirror
from lakehouse_assets.glue_standin.runs import RunExecution
from lakehouse_assets.redshift_standin import RedshiftDataStandin

DEFAULT_REGION = "us-east-1"
DUMMY_KEY = "testing"
OPERATIONS = {
    "CreateJob": "create_job",
    "UpdateJob": "update_job",
    "GetJob": "get_job",
    "GetJobs": "get_jobs",
    "DeleteJob": "delete_job",
    "StartJobRun": "start_job_run",
    "GetJobRun": "get_job_run",
    "GetJobRuns": "get_job_runs",
    "BatchStopJobRun": "batch_stop_job_run",
}
# Answered here only for job ARNs (the stand-in's jobs); moto tags everything else.
TAG_OPERATIONS = {
    "GetTags": "get_tags",
    "TagResource": "tag_resource",
    "UntagResource": "untag_resource",
}
_REGION = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/")


def script_environment(url: str, env: dict[str, str] | None = None) -> dict[str, str]:
    """What a process needs so that boto3 calls without arguments reach this endpoint."""
    env = dict(os.environ if env is None else env)
    wanted = {"AWS_ENDPOINT_URL": url}
    if not env.get("AWS_ACCESS_KEY_ID"):
        wanted.update(AWS_ACCESS_KEY_ID=DUMMY_KEY, AWS_SECRET_ACCESS_KEY=DUMMY_KEY)
    if not env.get("AWS_REGION") and not env.get("AWS_DEFAULT_REGION"):
        wanted.update(AWS_REGION=DEFAULT_REGION, AWS_DEFAULT_REGION=DEFAULT_REGION)
    return wanted


def default_runner() -> Any:
    """A warm runner on a Spark session of its own (started on the first job run)."""
    from lakehouse_assets.local_runner.runner import JobRunner
    from lakehouse_assets.local_runner.session import build_local_session

    return JobRunner(build_local_session("lakehouse-glue-standin"))


class GlueStandin:
    """Args:
    app: moto's WSGI application.
    workdir: folder of the S3 mirror and the downloaded scripts.
    runner_factory: returns the `JobRunner` that executes scripts (called once, lazily).
    own_environment: this process exists to serve the endpoint (`lakehouse local-aws`):
        point its boto3 at the endpoint. Otherwise (tests) the environment is checked.
    """

    def __init__(
        self,
        app: Callable,
        *,
        workdir: Path,
        runner_factory: Callable[[], Any] = default_runner,
        own_environment: bool = False,
    ):
        self.app = app
        self.workdir = workdir
        self.jobs = GlueJobService(self._execute)
        self.url = ""
        self.mirror: S3Mirror | None = None
        self._runner_factory = runner_factory
        self._runner: Any = None
        self._own_environment = own_environment
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str], Any] = {}
        # The Redshift Data API runs on the local PostgreSQL warehouse; tests may set
        # `redshift_data.warehouse_uri`.
        self.redshift_data = RedshiftDataStandin(lambda: self.client("s3", DEFAULT_REGION))

    def bind(self, url: str) -> None:
        """Called once the server listens: the stand-in's own calls go to `url`."""
        self.url = url
        self.mirror = S3Mirror(self.workdir / "s3", self.client("s3", DEFAULT_REGION))
        if self._own_environment:
            os.environ.update(script_environment(url))

    def client(self, service: str, region: str) -> Any:
        import boto3

        with self._lock:
            if (service, region) not in self._clients:
                self._clients[(service, region)] = boto3.session.Session().client(
                    service,
                    endpoint_url=self.url,
                    region_name=region,
                    aws_access_key_id=DUMMY_KEY,
                    aws_secret_access_key=DUMMY_KEY,
                )
            return self._clients[(service, region)]

    def runner(self) -> Any:
        with self._lock:
            if self._runner is None:
                self._runner = self._runner_factory()
            return self._runner

    def close(self) -> None:
        self.jobs.reset()
        if self._runner is not None and self._runner_factory is default_runner:
            self._runner.spark.stop()

    # -- WSGI -------------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if self.redshift_data.handles(environ):
            return self.redshift_data(environ, start_response)
        service, _, operation = environ.get("HTTP_X_AMZ_TARGET", "").partition(".")
        if service == "AWSGlue" and operation in OPERATIONS:
            return self._answer(OPERATIONS[operation], environ, start_response)
        if service == "AWSGlue" and operation in TAG_OPERATIONS:
            body = self._peek_body(environ)
            if self.jobs.handles_tags_of(body):
                return self._answer(TAG_OPERATIONS[operation], environ, start_response)
        if environ.get("PATH_INFO") == "/moto-api/reset" and environ["REQUEST_METHOD"] == "POST":
            self.jobs.reset()
            self.redshift_data.reset()
            if self.mirror is not None:
                self.mirror.clear()
        return self.app(environ, start_response)

    @staticmethod
    def _peek_body(environ: dict[str, Any]) -> dict[str, Any]:
        """Read the JSON body and put it back for whoever answers the request."""
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(raw)
        try:
            return json.loads(raw or b"{}")
        except ValueError:
            return {}

    def _answer(self, method: str, environ: dict, start_response: Callable) -> list[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        match = _REGION.search(environ.get("HTTP_AUTHORIZATION", ""))
        region = match.group(1) if match else DEFAULT_REGION
        status, headers = "200 OK", [("Content-Type", "application/x-amz-json-1.1")]
        try:
            body = json.loads(raw or b"{}")
            answer = getattr(self.jobs, method)(region, body)
        except GlueApiError as err:
            status = "400 Bad Request"
            headers.append(("x-amzn-ErrorType", err.code))
            answer = {"__type": err.code, "Message": err.message}
        except (ValueError, TypeError, KeyError) as err:
            status = "400 Bad Request"
            headers.append(("x-amzn-ErrorType", "InvalidInputException"))
            answer = {"__type": "InvalidInputException", "Message": str(err)}
        payload = json.dumps(answer, default=str).encode()
        headers += [("Content-Length", str(len(payload))), ("x-amzn-RequestId", str(uuid.uuid4()))]
        start_response(status, headers)
        return [payload]

    # -- runs -------------------------------------------------------------------------------
    def _execute(self, job: dict[str, Any], run: dict[str, Any], region: str) -> RunExecution:
        assert self.mirror is not None, "bind() the stand-in to its URL first"
        # Private: the mirror holds the lakehouse's data, PII included.
        self.workdir.mkdir(mode=0o700, parents=True, exist_ok=True)
        return RunExecution(
            job=job,
            run=run,
            region=region,
            update=self.jobs.update_run,
            clients=self.client,
            runner=self.runner,
            mirror=self.mirror,
            workdir=self.workdir,
            prepare_environment=self._check_environment,
        ).start()

    def _check_environment(self) -> str | None:
        """Scripts run in this process and call boto3 without arguments: it must reach here."""
        current = (os.environ.get("AWS_ENDPOINT_URL") or "").rstrip("/")
        if not current:
            os.environ.update(script_environment(self.url))
            return None
        if current != self.url:
            return (
                f"the Glue stand-in runs scripts in its own process, where AWS_ENDPOINT_URL="
                f"{current} points elsewhere than the stand-in ({self.url}); unset it there"
            )
        return None
