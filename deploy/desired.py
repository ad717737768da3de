"""What AWS should hold for this code and configuration (pure: no AWS call).

One Glue job per `JobSpec` (same name), its script and the shared zip under the
content-addressed deploy prefix, the Glue database of every domain and layer, and the bucket
with versioning, default encryption and public access blocked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

from deploy.package import SCRIPTS_DIR, Artefacts, build_artefacts
from lakehouse_assets.aws_settings import AwsSettings

MANAGED_BY_TAG = "lakehouse:managed-by"
MANAGED_BY = "lakehouse-deploy"
DOMAIN_TAG = "lakehouse:domain"
PIPES_EXPIRY_DAYS = 7


def python_modules() -> str:
    """`--additional-python-modules`: what the scripts need beyond Glue 5's own modules.

    dagster-pipes is not on Glue. pyiceberg commits the files the jobs write (docs/TABLES.md),
    with the pyarrow release it is tested with here.
    boto3 is on Glue, but Glue 5.0's predates S3 conditional writes (`IfNoneMatch`, which
    the state files' exclusive create relies on), so the project's pin goes too. The source
    extractors (lib/sources/) read PostgreSQL with ADBC, MongoDB with pymongo and HTTP APIs
    with requests.
    """
    pins = (
        "dagster-pipes",
        "pyiceberg",
        "pyarrow",
        "boto3",
        "adbc-driver-manager",
        "adbc-driver-postgresql",
        "pymongo",
        "requests",
    )
    return ",".join(f"{name}=={version(name)}" for name in pins)


@dataclass(frozen=True)
class DesiredJob:
    name: str
    definition: dict[str, Any]  # the JobUpdate of UpdateJob (CreateJob adds Name and Tags)
    tags: dict[str, str]


@dataclass(frozen=True)
class DesiredState:
    settings: AwsSettings
    artefacts: Artefacts
    jobs: dict[str, DesiredJob]
    databases: list[dict[str, Any]]
    warnings: list[str] = field(default_factory=list)

    def uri(self, relative_key: str) -> str:
        return f"s3://{self.settings.bucket}/{self.settings.deploy_prefix}/{relative_key}"

    def key(self, relative_key: str) -> str:
        return f"{self.settings.deploy_prefix}/{relative_key}"


def bucket_configuration() -> dict[str, Any]:
    """What a bucket created by the deploy gets (an existing bucket is only checked)."""
    return {
        "Versioning": {"Status": "Enabled"},
        "Encryption": {
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                    "BucketKeyEnabled": True,
                }
            ]
        },
        "PublicAccessBlock": {
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    }


def pipes_lifecycle_rule(settings: AwsSettings) -> dict[str, Any]:
    """Expire Pipes objects a crashed Dagster process could not delete."""
    return {
        "ID": "lakehouse-pipes-expiry",
        "Filter": {"Prefix": f"{settings.pipes_prefix}/"},
        "Status": "Enabled",
        "Expiration": {"Days": PIPES_EXPIRY_DAYS},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": PIPES_EXPIRY_DAYS},
    }


def job_definition(job: Any, settings: AwsSettings, script_uri: str, zip_uri: str) -> dict:
    """The Glue job of a `JobSpec`; AwsSettings' worker and timeout settings win when set."""
    arguments = {
        "--job-bookmark-option": "job-bookmark-disable",
        "--enable-continuous-cloudwatch-log": "true",
        "--enable-metrics": "true",
        "--extra-py-files": zip_uri,
        "--additional-python-modules": python_modules(),
        "--lakehouse_root": settings.root,
        "--landing": settings.landing_uri,
    }
    if settings.pii_hash_key_secret:
        arguments["--pii_hash_key_secret"] = settings.pii_hash_key_secret
    if settings.connections_secret:
        arguments["--connections_secret"] = settings.connections_secret
    return {
        "Description": job.description,
        "Role": settings.require_role(),
        "ExecutionProperty": {"MaxConcurrentRuns": settings.max_concurrent_runs},
        "Command": {"Name": "glueetl", "ScriptLocation": script_uri, "PythonVersion": "3"},
        "DefaultArguments": arguments,
        "MaxRetries": job.max_retries,
        "Timeout": settings.job_timeout_minutes or job.timeout_minutes,
        "GlueVersion": settings.glue_version,
        "WorkerType": settings.worker_type or job.worker_type,
        "NumberOfWorkers": settings.number_of_workers or job.number_of_workers,
    }


def desired_state(registry: Any, settings: AwsSettings, scripts_dir: Path = SCRIPTS_DIR):
    """Args:
    registry: `lakehouse_assets.registry.Registry` (jobs and tables).
    settings: the AWS target's settings.
    scripts_dir: the `glue_scripts` folder to package.
    """
    from lakehouse_assets.catalog.table_input import database_input

    artefacts = build_artefacts({j.name: j.script for j in registry.jobs.values()}, scripts_dir)
    state = DesiredState(settings, artefacts, {}, [])
    zip_uri = state.uri(artefacts.library.relative_key)
    for job in sorted(registry.jobs.values(), key=lambda j: j.name):
        script_uri = state.uri(artefacts.scripts[job.name].relative_key)
        tags = {MANAGED_BY_TAG: MANAGED_BY, DOMAIN_TAG: job.domain, **settings.tags}
        state.jobs[job.name] = DesiredJob(
            job.name, job_definition(job, settings, script_uri, zip_uri), tags
        )
        if job.max_retries:
            state.warnings.append(
                f"job {job.name} has max_retries={job.max_retries}: a Glue retry is a new run "
                "that Dagster does not follow; prefer Dagster's retries (max_retries=0)"
            )
    layers = sorted({(t.domain, t.layer) for t in registry.tables.values()})
    # The same DatabaseInput as `lakehouse catalog export`, so the two never disagree.
    state.databases.extend(database_input(d, layer, settings.root) for d, layer in layers)
    hashing = sorted(
        t.qualified_name
        for t in registry.tables.values()
        if any(getattr(c, "mask", None) == "hash" for c in t.columns)
    )
    if hashing and not settings.pii_hash_key_secret:
        state.warnings.append(
            f"{', '.join(hashing)} hash PII columns, but LAKEHOUSE_PII_HASH_KEY_SECRET is not "
            "set: on Glue those jobs fail with MaskingKeyError. Create a Secrets Manager secret "
            "holding the key and set LAKEHOUSE_PII_HASH_KEY_SECRET to its name"
        )
    return state
