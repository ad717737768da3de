"""The aws target's configuration and the deploy artefacts (no endpoint needed)."""

from __future__ import annotations

import zipfile
from io import BytesIO

import pytest

from deploy.package import build_artefacts
from lakehouse_assets.aws_settings import AwsSettings, aws_client
from lakehouse_assets.registry import registry
from lakehouse_assets.resources.glue_launcher import GlueLauncher
from lakehouse_assets.settings import ConfigurationError, Settings

ROLE = "arn:aws:iam::123456789012:role/lakehouse-glue"


def test_bucket_and_prefix_make_the_root_and_the_rest_has_defaults():
    settings = AwsSettings.from_env({"LAKEHOUSE_BUCKET": "acme-lake", "LAKEHOUSE_PREFIX": "/p/"})
    assert settings.root == "s3://acme-lake/p"
    assert settings.landing_uri == "s3://acme-lake/p/landing"
    assert (settings.deploy_prefix, settings.pipes_prefix) == ("p/_deploy", "p/_pipes")
    assert (settings.glue_version, settings.worker_type, settings.number_of_workers) == (
        "5.0",
        None,
        None,
    )
    bare = AwsSettings.from_env({"LAKEHOUSE_ROOT": "s3://acme-lake"})
    assert (bare.root, bare.deploy_prefix) == ("s3://acme-lake", "_deploy")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "the aws target needs LAKEHOUSE_BUCKET"),
        ({"LAKEHOUSE_BUCKET": "Acme_Lake"}, "is not a valid S3 bucket name"),
        ({"LAKEHOUSE_BUCKET": "b1b", "LAKEHOUSE_ROOT": "./lake"}, "is not on S3"),
        ({"LAKEHOUSE_BUCKET": "b1b", "LAKEHOUSE_ROOT": "s3://other"}, "disagrees with"),
        ({"LAKEHOUSE_BUCKET": "b1b", "LAKEHOUSE_GLUE_ROLE_ARN": "lakehouse"}, "not an IAM role"),
        ({"LAKEHOUSE_BUCKET": "b1b", "LAKEHOUSE_GLUE_WORKER_TYPE": "G.3X"}, "worker type"),
        ({"LAKEHOUSE_BUCKET": "b1b", "LAKEHOUSE_GLUE_WORKERS": "1"}, "must be at least 2"),
        ({"LAKEHOUSE_BUCKET": "b1b", "LAKEHOUSE_GLUE_VERSION": "4.0"}, "Spark 3.5"),
        ({"LAKEHOUSE_BUCKET": "b1b", "LAKEHOUSE_TAGS": "team"}, "key=value pairs"),
        ({"LAKEHOUSE_BUCKET": "b1b", "LAKEHOUSE_LANDING": "/data"}, "must be an s3:// URI"),
    ],
)
def test_bad_settings_say_what_to_fix(env, message):
    with pytest.raises(ConfigurationError, match=message):
        AwsSettings.from_env(env)


def test_the_launcher_of_the_aws_target_comes_from_the_environment_alone():
    env = {
        "LAKEHOUSE_TARGET": "aws",
        "LAKEHOUSE_BUCKET": "acme-lake",
        "LAKEHOUSE_PREFIX": "prod",
        "LAKEHOUSE_GLUE_ROLE_ARN": ROLE,
        "AWS_REGION": "eu-west-1",
    }
    launcher = GlueLauncher.from_settings(Settings.from_env(env), AwsSettings.from_env(env))
    assert (launcher.lakehouse_root, launcher.landing) == (
        "s3://acme-lake/prod",
        "s3://acme-lake/prod/landing",
    )
    assert (launcher.bucket, launcher.pipes_prefix, launcher.region) == (
        "acme-lake",
        "prod/_pipes",
        "eu-west-1",
    )
    assert launcher.poll_interval_seconds == 10  # the aws default; Glue runs take minutes
    explicit = {**env, "LAKEHOUSE_LANDING": "s3://drop-zone/importau"}
    launcher = GlueLauncher.from_settings(
        Settings.from_env(explicit), AwsSettings.from_env(explicit)
    )
    assert launcher.landing == "s3://drop-zone/importau"


def test_artefacts_are_deterministic_and_hold_the_shared_library():
    scripts = {j.name: j.script for j in registry().jobs.values()}
    first, second = build_artefacts(scripts), build_artefacts(scripts)
    assert first.library.body == second.library.body
    assert first.library.relative_key == second.library.relative_key
    names = zipfile.ZipFile(BytesIO(first.library.body)).namelist()
    assert names == list(first.library_files)
    assert "glue_scripts/lib/pipes.py" in names
    bronze = first.scripts["importau_bronze_ingest"]
    assert bronze.relative_key == f"{bronze.digest}/importau/bronze_ingest.py"


def test_aws_clients_back_off_adaptively_under_throttling():
    client = aws_client("glue", "eu-west-1")
    # botocore counts the first attempt too: 10 retries are 11 attempts.
    assert client.meta.config.retries == {"mode": "adaptive", "total_max_attempts": 11}
