"""Where connection settings come from, how they are hidden, and staging to S3."""

from __future__ import annotations

import contextlib
import json
import tempfile

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from moto.server import ThreadedMotoServer

from glue_scripts.lib.sources import SourceError, extract
from glue_scripts.lib.sources.connections import redact, resolve, scrub

SETTING = "BIX_POSTGRES_URI"
SECRET = "lakehouse/connections"
FROM_SECRET = "postgresql://sales:Secret-From-SM@db.internal:5432/juniordatabase"


@pytest.fixture(scope="module")
def aws_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws(aws_endpoint, monkeypatch):
    """The default boto3 clients talk to the local AWS endpoint; a secret is stored there."""
    for name, value in {
        "AWS_ENDPOINT_URL": aws_endpoint,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("secretsmanager")
    with contextlib.suppress(client.exceptions.ResourceNotFoundException):
        client.delete_secret(SecretId=SECRET, ForceDeleteWithoutRecovery=True)
    client.create_secret(Name=SECRET, SecretString=json.dumps({SETTING: FROM_SECRET}))
    return client


def local_root(tmp_path, endpoints: dict | None) -> str:
    root = tmp_path / "lake"
    if endpoints is not None:
        (root / "_local_services").mkdir(parents=True)
        (root / "_local_services" / "endpoints.json").write_text(json.dumps(endpoints))
    return f"file://{root}"


def from_endpoints(endpoints: dict) -> str | None:
    return endpoints.get("postgres_uri")


def test_the_environment_comes_first(aws, tmp_path):
    root = local_root(tmp_path, {"postgres_uri": "postgresql://local"})
    value = resolve(
        SETTING,
        args={"connections_secret": SECRET},
        root=root,
        local_default=from_endpoints,
        env={SETTING: "postgresql://env"},
    )
    assert value == "postgresql://env"


def test_then_the_secret_named_by_the_job_argument(aws, tmp_path):
    root = local_root(tmp_path, {"postgres_uri": "postgresql://local"})
    value = resolve(
        SETTING,
        args={"connections_secret": SECRET},
        root=root,
        local_default=from_endpoints,
        env={},
    )
    assert value == FROM_SECRET


def test_then_the_local_services_endpoints(aws, tmp_path):
    root = local_root(tmp_path, {"postgres_uri": "postgresql://local"})
    value = resolve(
        "OTHER_SETTING",
        args={"connections_secret": SECRET},
        root=root,
        local_default=from_endpoints,
        env={},
    )
    assert value == "postgresql://local"


def test_none_of_them_says_the_three_ways(tmp_path):
    root = local_root(tmp_path, None)

    with pytest.raises(SourceError) as caught:
        resolve(SETTING, args={}, root=root, local_default=from_endpoints, env={})

    assert str(caught.value) == (
        f"no value for the connection setting {SETTING}: set the environment variable "
        f"{SETTING}, or pass --connections_secret <name of a Secrets Manager secret whose "
        f'value is JSON {{"{SETTING}": "..."}}>, or locally start `lakehouse local-services '
        f"--background` (it writes {tmp_path}/lake/_local_services/endpoints.json)"
    )


def test_a_default_stands_in_when_nothing_else_has_a_value(tmp_path):
    root = local_root(tmp_path, None)
    found = {"env": {"COLL": "sessions"}, "none": {}}
    values = {
        case: resolve(
            "COLL", args={}, root=root, local_default=from_endpoints, env=env, default="storage"
        )
        for case, env in found.items()
    }
    assert values == {"env": "sessions", "none": "storage"}


def test_on_s3_roots_the_endpoints_file_is_not_looked_for():
    with pytest.raises(SourceError, match=r"\(the secret 'x' has no key BIX_POSTGRES_URI\)"):
        resolve(
            SETTING,
            args={"connections_secret": "x"},
            root="s3://bucket/lake",
            local_default=from_endpoints,
            env={},
            secrets_client=_EmptySecret(),
        )


class _EmptySecret:
    def get_secret_value(self, SecretId):  # noqa: N803 (boto3's name)
        return {"SecretString": "{}"}


def test_a_missing_secret_is_named(aws):
    with pytest.raises(
        SourceError,
        match=r"cannot read the Secrets Manager secret 'nope' "
        r"\(--connections_secret\) for BIX_POSTGRES_URI: ResourceNotFound",
    ):
        resolve(
            SETTING,
            args={"connections_secret": "nope"},
            root="s3://b/lake",
            local_default=from_endpoints,
            env={},
        )


def test_a_secret_that_is_not_json_is_never_quoted(aws):
    aws.create_secret(Name="plain", SecretString="postgresql://u:Plain-Pass@h/db")

    with pytest.raises(SourceError) as caught:
        resolve(
            SETTING,
            args={"connections_secret": "plain"},
            root="s3://b/lake",
            local_default=from_endpoints,
            env={},
        )

    assert "is not a JSON object" in str(caught.value)
    assert "Plain-Pass" not in str(caught.value)
    aws.delete_secret(SecretId="plain", ForceDeleteWithoutRecovery=True)


@pytest.mark.parametrize(
    ("uri", "shown"),
    [
        (
            "postgresql://sales:pw@db:5432/juniordatabase",
            "postgresql://sales:***@db:5432/juniordatabase",
        ),
        (
            "postgresql://postgres:@/postgres?host=/tmp/pg",
            "postgresql://postgres@/postgres?host=/tmp/pg",
        ),
        (
            "postgresql://u@h/db?sslmode=require&password=pw",
            "postgresql://u@h/db?sslmode=require&password=***",
        ),
        ("https://api.example/v1?api_key=k&id=3", "https://api.example/v1?api_key=***&id=3"),
        ("host=h user=u password=pw dbname=d", "host=h user=u password=*** dbname=d"),
    ],
)
def test_redact(uri, shown):
    assert redact(uri) == shown


def test_scrub_masks_given_secrets_and_password_keywords():
    assert (
        scrub("login failed: pw=abc password=abc x", "abc") == "login failed: pw=*** password=*** x"
    )


def test_staging_to_s3_uploads_the_parts(aws, tmp_path, make_request, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="staging-bucket")
    (tmp_path / "landing").mkdir()
    pq.write_table(pa.table({"id": [1, 2]}), tmp_path / "landing" / "categoria.parquet")

    result = extract(
        make_request(
            {"kind": "parquet_files"},
            table="bix_bronze.categoria",
            staging_uri="s3://staging-bucket/run-1/staged",
        )
    )

    assert result.files == ["s3://staging-bucket/run-1/staged/part-00000.parquet"]
    body = s3.get_object(Bucket="staging-bucket", Key="run-1/staged/part-00000.parquet")
    local = tmp_path / "back.parquet"
    local.write_bytes(body["Body"].read())
    assert pq.read_table(local).to_pylist() == [
        {"id": "1", "_record": '{"id": 1}'},
        {"id": "2", "_record": '{"id": 2}'},
    ]
    assert list((tmp_path / "tmp").iterdir()) == []  # the local copy is gone
