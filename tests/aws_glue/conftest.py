"""One local AWS endpoint (moto + the Glue stand-in) on loopback for the whole suite.

The stand-in executes job scripts on the suite's Spark session through a warm runner, so
no second Spark driver starts. Each module gets an environment that can only reach the
endpoint; nothing here patches boto3.
"""

from __future__ import annotations

import urllib.request

import pytest

REGION = "eu-west-1"
BUCKET = "acme-lake"
PREFIX = "prod"
ROOT = f"s3://{BUCKET}/{PREFIX}"
ROLE = "arn:aws:iam::123456789012:role/lakehouse-glue"
PII_SECRET = "lakehouse/pii-hash-key"
CONNECTIONS_SECRET = "lakehouse/source-connections"


@pytest.fixture(scope="session")
def standin(spark):
    from lakehouse_assets.glue_standin import StandinServer
    from lakehouse_assets.local_runner.runner import JobRunner

    runner = JobRunner(spark)
    server = StandinServer(runner_factory=lambda: runner).start()
    yield server
    server.stop()


def reset(url: str) -> None:
    """Empty the endpoint: moto's state, the stand-in's jobs and runs, the S3 mirror."""
    request = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=10).close()


@pytest.fixture(scope="module")
def aws_env(standin):
    """The environment of the aws target on the local endpoint, for a whole module."""
    with pytest.MonkeyPatch.context() as mp:
        values = {
            "AWS_ENDPOINT_URL": standin.url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": "/nonexistent",
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
            "LAKEHOUSE_TARGET": "aws",
            "LAKEHOUSE_BUCKET": BUCKET,
            "LAKEHOUSE_PREFIX": PREFIX,
            "LAKEHOUSE_GLUE_ROLE_ARN": ROLE,
            "LAKEHOUSE_PII_HASH_KEY_SECRET": PII_SECRET,
            "LAKEHOUSE_CONNECTIONS_SECRET": CONNECTIONS_SECRET,
            "LAKEHOUSE_POLL_SECONDS": "0.2",
        }
        for name, value in values.items():
            mp.setenv(name, value)
        for name in (
            "AWS_PROFILE",
            "AWS_SESSION_TOKEN",
            "LAKEHOUSE_ROOT",
            "LAKEHOUSE_LANDING",
            "LAKEHOUSE_PII_HASH_KEY",
            "LAKEHOUSE_GLUE_WORKER_TYPE",
            "LAKEHOUSE_GLUE_WORKERS",
            "LAKEHOUSE_TAGS",
        ):
            mp.delenv(name, raising=False)
        yield values


@pytest.fixture(scope="module")
def clients(aws_env):
    import boto3

    return {s: boto3.client(s) for s in ("s3", "glue", "logs", "secretsmanager")}
