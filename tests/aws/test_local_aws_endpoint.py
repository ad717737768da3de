"""`lakehouse local-aws`: moto on loopback, found again by later commands through its state."""

from __future__ import annotations

import json

import boto3
import pytest

from lakehouse_assets import local_aws
from lakehouse_assets.catalog.aws import EndpointNotFoundError, resolve_connection
from lakehouse_assets.cli import main


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")


def test_server_on_port_zero_serves_the_four_services_over_http():
    server = local_aws.start_server(port=0)
    try:
        host, port = server.get_host_and_port()
        assert host == "127.0.0.1" and port > 0
        url = local_aws.server_url(server)
        kwargs = {
            "endpoint_url": url,
            "region_name": "us-east-1",
            "aws_access_key_id": "x",
            "aws_secret_access_key": "x",
        }
        boto3.client("s3", **kwargs).create_bucket(Bucket="lake")
        boto3.client("glue", **kwargs).create_database(DatabaseInput={"Name": "db"})
        boto3.client("lakeformation", **kwargs).create_lf_tag(TagKey="layer", TagValues=["gold"])
        boto3.client("logs", **kwargs).create_log_group(logGroupName="/aws-glue/jobs/output")
        databases = boto3.client("glue", **kwargs).get_databases()["DatabaseList"]
        assert "db" in [d["Name"] for d in databases]
    finally:
        server.stop()


def test_exports_add_dummy_credentials_and_region_only_when_unset():
    lines = local_aws.exports("http://127.0.0.1:5000", env={})
    assert lines == [
        "export AWS_ENDPOINT_URL=http://127.0.0.1:5000",
        "export AWS_ACCESS_KEY_ID=testing",
        "export AWS_SECRET_ACCESS_KEY=testing",
        "export AWS_REGION=us-east-1",
        "export AWS_DEFAULT_REGION=us-east-1",
    ]
    kept = {"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b", "AWS_REGION": "eu-west-1"}
    assert local_aws.exports("http://127.0.0.1:5000", env=kept) == [
        "export AWS_ENDPOINT_URL=http://127.0.0.1:5000"
    ]


def test_boto3_honours_aws_endpoint_url_and_region(monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    connection = resolve_connection(target="local", root=str(tmp_path))
    assert connection.endpoint_url is None  # boto3 reads AWS_ENDPOINT_URL itself
    client = connection.client("glue")
    assert client.meta.endpoint_url == "http://127.0.0.1:4566"
    assert client.meta.region_name == "eu-west-1"


def test_background_endpoint_is_found_by_later_commands_and_stopped(
    clean_env, tmp_path, monkeypatch, capsys
):
    root = tmp_path / "lake"
    monkeypatch.setenv("LAKEHOUSE_ROOT", str(root))
    with pytest.raises(EndpointNotFoundError):
        resolve_connection(target="local", root=str(root))
    try:
        assert main(["local-aws", "--background"]) == 0
        out = capsys.readouterr().out
        state = json.loads((root / "_local_aws" / "endpoint.json").read_text())
        assert f"local AWS endpoint started at {state['url']}" in out
        assert f"export AWS_ENDPOINT_URL={state['url']}" in out
        assert "export AWS_ACCESS_KEY_ID=testing" in out

        assert main(["local-aws", "--background"]) == 0
        assert "already running" in capsys.readouterr().out

        connection = resolve_connection(target="local", root=str(root))
        assert connection.endpoint_url == state["url"] and connection.region == "us-east-1"
        glue = connection.client("glue")  # dummy credentials for a loopback endpoint
        glue.create_database(DatabaseInput={"Name": "importau_gold"})
        assert main(["catalog", "lineage", "importau_gold.missing"]) == 1
        assert "is not in the Glue Data Catalog" in capsys.readouterr().err
    finally:
        assert main(["local-aws", "--stop"]) == 0
    assert "local AWS endpoint stopped" in capsys.readouterr().out
    assert not (root / "_local_aws" / "endpoint.json").exists()
    with pytest.raises(EndpointNotFoundError):
        resolve_connection(target="local", root=str(root))
