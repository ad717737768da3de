"""The AWS target of the Glue job resource: real Glue job runs, reported through S3 Pipes.

`GlueLauncher` gives `DeadlineGlueClient` a boto3 Glue client and S3 Pipes channels. On top of
what dagster-aws does, the channels here keep their objects under the lakehouse prefix
(`<prefix>/_pipes/`), delete them when the run ends however it ends (upstream leaves the
context object behind when the wait raises, and never deletes message chunks), and remember
the exception the script reported when it closed, so the Dagster failure shows it.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from dagster_aws.pipes import PipesS3ContextInjector, PipesS3MessageReader
from dagster_pipes import PipesBlobStoreMessageWriter
from pydantic import Field

from lakehouse_assets.aws_settings import aws_client
from lakehouse_assets.resources.launcher import GlueJobLauncher
from lakehouse_assets.resources.pipes_glue import DeadlineGlueClient
from lakehouse_assets.settings import ConfigurationError

DEFAULT_LOG_GROUP = "/aws-glue/jobs"


def _token() -> str:
    return secrets.token_hex(12)


def _delete_prefix(client: Any, bucket: str, prefix: str) -> None:
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        keys = [{"Key": obj["Key"]} for obj in page.get("Contents", [])]
        if keys:
            client.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})


class LakehouseS3ContextInjector(PipesS3ContextInjector):
    """Writes the Pipes context to `<key_prefix><token>/context.json`; always deletes it."""

    @contextmanager
    def inject_context(self, context: Mapping[str, Any]) -> Iterator[dict[str, str]]:
        import json

        key = f"{self.key_prefix or ''}{_token()}/context.json"
        self.client.put_object(Body=json.dumps(context).encode(), Bucket=self.bucket, Key=key)
        try:
            yield {"bucket": self.bucket, "key": key}
        finally:
            # Upstream deletes only when the block ends normally: a timeout, an interrupt or
            # a failed start would leave the run's context (asset keys, extras) on S3.
            # (Should the delete fail, the bucket's lifecycle rule on _pipes/ removes it.)
            with suppress(ClientError, BotoCoreError):
                self.client.delete_object(Bucket=self.bucket, Key=key)


class _ExceptionRecorder:
    """Passes messages to Dagster's handler and keeps the exception of a `closed` message."""

    def __init__(self, handler: Any, reader: LakehouseS3MessageReader):
        self._handler = handler
        self._reader = reader

    def handle_message(self, message: Mapping[str, Any]) -> None:
        if message.get("method") == "closed":
            exception = (message.get("params") or {}).get("exception")
            if exception:
                self._reader.reported_exception = exception
        self._handler.handle_message(message)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handler, name)


class LakehouseS3MessageReader(PipesS3MessageReader):
    """Reads message chunks from `<key_prefix><token>/N.json` and deletes them afterwards.

    Args:
        bucket: the lakehouse bucket.
        client: a boto3 S3 client.
        key_prefix: where chunks go, e.g. `lake/_pipes/` (ends with `/`).
        interval: seconds between two reads while the job runs.
    """

    def __init__(self, *, bucket: str, client: Any, key_prefix: str, interval: float):
        super().__init__(bucket=bucket, client=client, interval=interval)
        self.key_prefix = key_prefix
        self.reported_exception: Mapping[str, Any] | None = None

    @contextmanager
    def read_messages(self, handler: Any) -> Iterator[dict[str, Any]]:
        self.reported_exception = None
        with super().read_messages(_ExceptionRecorder(handler, self)) as params:
            yield params

    @contextmanager
    def get_params(self) -> Iterator[dict[str, Any]]:
        key_prefix = f"{self.key_prefix}{_token()}"
        try:
            yield {
                "bucket": self.bucket,
                "key_prefix": key_prefix,
                PipesBlobStoreMessageWriter.INCLUDE_STDIO_IN_MESSAGES_KEY: False,
            }
        finally:
            # Runs after the reader threads have read the last chunk.
            with suppress(ClientError, BotoCoreError):
                _delete_prefix(self.client, self.bucket, f"{key_prefix}/")


class CloudWatchLogTail:
    """The last lines of a Glue job run's CloudWatch logs (error group first, then output).

    Glue 5 writes driver and Spark logs to `/aws-glue/jobs/error` and the script's stdout and
    stderr to `/aws-glue/jobs/output`, in streams named after the run id (`<id>` or
    `<id>-driver`). A log that cannot be read is reported as such, never raised: the failure
    it would decorate matters more.
    """

    def __init__(self, client: Any, lines: int = 30):
        self.client = client
        self.lines = lines

    def __call__(self, job_run: Mapping[str, Any]) -> str:
        base = job_run.get("LogGroupName") or DEFAULT_LOG_GROUP
        parts = []
        for group in (f"{base}/error", f"{base}/output"):
            text = self._tail(group, job_run["Id"])
            if text:
                parts.append(f"[{group}]\n{text}")
        return "\n".join(parts)

    def _tail(self, group: str, run_id: str) -> str:
        try:
            streams = self.client.describe_log_streams(
                logGroupName=group, logStreamNamePrefix=run_id
            ).get("logStreams", [])
            names = [s["logStreamName"] for s in streams]
            preferred = [n for n in (run_id, f"{run_id}-driver") if n in names]
            if not (preferred or names):
                return ""
            events = self.client.get_log_events(
                logGroupName=group,
                logStreamName=(preferred or names)[0],
                startFromHead=False,
                limit=self.lines,
            )["events"]
        except self.client.exceptions.ResourceNotFoundException:
            return ""
        except (ClientError, BotoCoreError) as err:
            return f"(could not read {group}: {err})"
        lines = [line for e in events for line in e.get("message", "").splitlines()]
        return "\n".join(lines[-self.lines :])


class GlueLauncher(GlueJobLauncher):
    """Runs each materialization as a run of the deployed AWS Glue job (`lakehouse deploy`)."""

    bucket: str = Field(description="Bucket of the Pipes context and message objects.")
    pipes_prefix: str = Field(default="_pipes", description="Key prefix of the Pipes objects.")
    region: str | None = Field(default=None, description="AWS region (None: boto3's chain).")
    log_tail_lines: int = Field(default=30, description="Log lines quoted in a failure.")

    def pipes_client(self) -> DeadlineGlueClient:
        s3 = aws_client("s3", self.region)
        prefix = f"{self.pipes_prefix.strip('/')}/" if self.pipes_prefix.strip("/") else ""
        return DeadlineGlueClient(
            client=aws_client("glue", self.region),
            context_injector=LakehouseS3ContextInjector(
                bucket=self.bucket, client=s3, key_prefix=f"{prefix}context/"
            ),
            message_reader=LakehouseS3MessageReader(
                bucket=self.bucket,
                client=s3,
                key_prefix=f"{prefix}messages/",
                interval=min(self.poll_interval_seconds, 10.0),
            ),
            poll_interval_seconds=self.poll_interval_seconds,
            timeout_seconds=self.timeout_seconds,
            log_tail_reader=CloudWatchLogTail(aws_client("logs", self.region), self.log_tail_lines),
        )

    @classmethod
    def from_settings(cls, settings: Any, aws: Any) -> GlueLauncher:
        """The launcher of the aws target.

        Args:
            settings: `lakehouse_assets.settings.Settings` (timeouts, poll interval, retention;
                its root and landing win when they are `s3://` URIs).
            aws: `lakehouse_assets.aws_settings.AwsSettings` (bucket, prefix, region).
        """
        root = settings.root if str(settings.root).startswith("s3://") else aws.root
        landing = (
            settings.landing
            if str(settings.landing).startswith("s3://")
            else aws.landing or f"{root.rstrip('/')}/landing"
        )
        for name, uri in (("LAKEHOUSE_ROOT", root), ("LAKEHOUSE_LANDING", landing)):
            if not uri.startswith("s3://"):
                raise ConfigurationError(f"{name}={uri!r}: Glue jobs read and write s3:// only")
        return cls(
            lakehouse_root=root,
            landing=landing,
            bucket=aws.bucket,
            pipes_prefix=aws.pipes_prefix,
            region=aws.region,
            poll_interval_seconds=settings.poll_interval_seconds,
            timeout_seconds=settings.job_timeout_seconds,
            keep_versions=settings.keep_versions,
        )
