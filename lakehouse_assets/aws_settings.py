"""The AWS target's settings: where the lakehouse lives on S3 and how its Glue jobs run.

Read from the environment like every other setting; only `LAKEHOUSE_BUCKET` (or an `s3://`
`LAKEHOUSE_ROOT`) is required to run, and `LAKEHOUSE_GLUE_ROLE_ARN` to deploy. Credentials
come from boto3's standard chain, and `AWS_ENDPOINT_URL` points every client at a local
endpoint (`lakehouse local-aws`) instead of AWS.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lakehouse_assets.settings import ConfigurationError

GLUE_VERSIONS = ("5.0", "5.1")
# DPUs per worker, for the DPU-seconds of job runs that report none (non-autoscaling runs).
WORKER_DPUS = {
    "G.025X": 0.25,
    "G.1X": 1.0,
    "G.2X": 2.0,
    "G.4X": 4.0,
    "G.8X": 8.0,
    "G.12X": 12.0,
    "G.16X": 16.0,
    "R.1X": 1.0,
    "R.2X": 2.0,
    "R.4X": 4.0,
    "R.8X": 8.0,
}
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
_TAG_KEY = re.compile(r"^[\w.:/=+@ -]{1,128}$")


@dataclass(frozen=True)
class AwsSettings:
    """Everything the AWS launcher and `lakehouse deploy` need to know beyond the specs."""

    bucket: str
    prefix: str = ""
    landing: str | None = None
    region: str | None = None
    role_arn: str | None = None
    worker_type: str | None = None  # None: each job spec's own
    number_of_workers: int | None = None  # None: each job spec's own
    glue_version: str = "5.0"
    job_timeout_minutes: int | None = None  # None: each job spec's own
    max_concurrent_runs: int = 2
    pii_hash_key_secret: str | None = None  # Secrets Manager secret holding the PII hash key
    # Secrets Manager secret whose JSON holds the sources' connection settings by name
    # (`BIX_POSTGRES_URI`, ...): passed to the Glue jobs by name, read by the scripts.
    connections_secret: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def root(self) -> str:
        """The storage root: `s3://bucket` or `s3://bucket/prefix`."""
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"

    @property
    def landing_uri(self) -> str:
        return self.landing or f"{self.root}/landing"

    def key(self, *parts: str) -> str:
        """An S3 key under the prefix."""
        return "/".join(p.strip("/") for p in (self.prefix, *parts) if p.strip("/"))

    @property
    def deploy_prefix(self) -> str:
        """Where `lakehouse deploy` uploads scripts and the shared library (content-addressed)."""
        return self.key("_deploy")

    @property
    def pipes_prefix(self) -> str:
        """Where the launcher puts Pipes context and message objects while a job runs."""
        return self.key("_pipes")

    @property
    def account_id(self) -> str | None:
        return self.role_arn.split(":")[4] if self.role_arn else None

    def require_role(self) -> str:
        if not self.role_arn:
            raise ConfigurationError(
                "LAKEHOUSE_GLUE_ROLE_ARN is not set: give the ARN of the existing IAM role the "
                "Glue jobs run as (`lakehouse deploy policy` prints the policy it needs)"
            )
        return self.role_arn

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AwsSettings:
        env = dict(os.environ if env is None else env)
        bucket, prefix = _bucket_and_prefix(env)
        landing = env.get("LAKEHOUSE_LANDING") or None
        if landing and not landing.startswith("s3://"):
            raise ConfigurationError(
                f"LAKEHOUSE_LANDING={landing!r}: on the aws target the landing must be an "
                "s3:// URI that the Glue jobs can read; upload the exports there"
            )
        role = env.get("LAKEHOUSE_GLUE_ROLE_ARN") or None
        if role and not _ROLE_ARN.match(role):
            raise ConfigurationError(
                f"LAKEHOUSE_GLUE_ROLE_ARN={role!r} is not an IAM role ARN "
                "(arn:aws:iam::<12-digit account>:role/<name>)"
            )
        worker_type = env.get("LAKEHOUSE_GLUE_WORKER_TYPE") or None
        if worker_type and worker_type not in WORKER_DPUS:
            raise ConfigurationError(
                f"LAKEHOUSE_GLUE_WORKER_TYPE={worker_type!r} is not a Glue Spark worker type; "
                f"use one of {sorted(WORKER_DPUS)}"
            )
        glue_version = env.get("LAKEHOUSE_GLUE_VERSION") or "5.0"
        if glue_version not in GLUE_VERSIONS:
            raise ConfigurationError(
                f"LAKEHOUSE_GLUE_VERSION={glue_version!r}: the scripts need Spark 3.5 and "
                f"Python 3.11, so use one of {list(GLUE_VERSIONS)}"
            )
        workers = _integer(env, "LAKEHOUSE_GLUE_WORKERS", minimum=2)
        return cls(
            bucket=bucket,
            prefix=prefix,
            landing=landing.rstrip("/") if landing else None,
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None,
            role_arn=role,
            worker_type=worker_type,
            number_of_workers=workers,
            glue_version=glue_version,
            job_timeout_minutes=_integer(env, "LAKEHOUSE_GLUE_TIMEOUT_MINUTES", minimum=1),
            max_concurrent_runs=_integer(env, "LAKEHOUSE_GLUE_MAX_CONCURRENT_RUNS", minimum=1) or 2,
            pii_hash_key_secret=env.get("LAKEHOUSE_PII_HASH_KEY_SECRET") or None,
            connections_secret=env.get("LAKEHOUSE_CONNECTIONS_SECRET") or None,
            tags=_tags(env.get("LAKEHOUSE_TAGS", "")),
        )


def aws_client(service: str, region: str | None = None) -> Any:
    """A boto3 client with adaptive retries (client-side rate limiting under throttling).

    Credentials come from boto3's standard chain and the endpoint from `AWS_ENDPOINT_URL`.
    """
    import boto3
    from botocore.config import Config

    config = Config(retries={"mode": "adaptive", "max_attempts": 10})
    return boto3.session.Session(region_name=region).client(service, config=config)


def _bucket_and_prefix(env: Mapping[str, str]) -> tuple[str, str]:
    bucket = (env.get("LAKEHOUSE_BUCKET") or "").strip()
    prefix = (env.get("LAKEHOUSE_PREFIX") or "").strip().strip("/")
    root = (env.get("LAKEHOUSE_ROOT") or "").strip()
    if root.startswith(("s3://", "s3a://")):
        root_bucket, _, root_prefix = root.split("://", 1)[1].partition("/")
        root_prefix = root_prefix.strip("/")
        if bucket and (bucket, prefix) != (root_bucket, root_prefix):
            raise ConfigurationError(
                f"LAKEHOUSE_ROOT={root!r} disagrees with LAKEHOUSE_BUCKET={bucket!r} and "
                f"LAKEHOUSE_PREFIX={prefix!r}; set one or the other"
            )
        bucket, prefix = root_bucket, root_prefix
    elif root and bucket:
        raise ConfigurationError(
            f"LAKEHOUSE_ROOT={root!r} is not on S3 but the aws target stores data in "
            f"s3://{bucket}; unset LAKEHOUSE_ROOT (or make it s3://...)"
        )
    if not bucket:
        raise ConfigurationError(
            "the aws target needs LAKEHOUSE_BUCKET (the S3 bucket of the lakehouse; "
            "`lakehouse deploy apply` creates it if missing) or an s3:// LAKEHOUSE_ROOT"
        )
    if not _BUCKET.match(bucket) or ".." in bucket:
        raise ConfigurationError(
            f"LAKEHOUSE_BUCKET={bucket!r} is not a valid S3 bucket name (3-63 lower-case "
            "letters, digits, dots and hyphens)"
        )
    return bucket, prefix


def _integer(env: Mapping[str, str], name: str, minimum: int) -> int | None:
    raw = (env.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError as err:
        raise ConfigurationError(f"{name}={raw!r} is not a whole number") from err
    if value < minimum:
        raise ConfigurationError(f"{name}={raw!r} must be at least {minimum}")
    return value


def _tags(raw: str) -> dict[str, str]:
    """`team=data,env=prod` -> {"team": "data", "env": "prod"} (tags of every Glue job)."""
    tags: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        key, sep, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not _TAG_KEY.match(key) or key.lower().startswith("aws:") or len(value) > 256:
            raise ConfigurationError(
                f"LAKEHOUSE_TAGS has {item!r}: write key=value pairs separated by commas "
                "(keys up to 128 characters, not starting with aws:, values up to 256)"
            )
        tags[key] = value
    return tags
