"""The commit protocol on S3 as the scripts use it on Glue: conditional PUTs over HTTP."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from botocore.exceptions import ClientError, ParamValidationError

from glue_scripts.lib.fs import S3FileSystem, StorageError
from glue_scripts.lib.tables import TableStore
from tests.aws_glue.conftest import BUCKET, REGION, reset


@pytest.fixture
def bucket(standin, aws_env, clients):
    reset(standin.url)
    clients["s3"].create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    return f"s3://{BUCKET}/lake"


def test_commits_on_s3_are_exclusive_and_versioned(bucket):
    fs = S3FileSystem()  # boto3's own resolution: AWS_ENDPOINT_URL, as on Glue
    assert fs.create_exclusive(f"{bucket}/db/t/_lakehouse/manifest/v1.json", "{}") is True
    assert fs.create_exclusive(f"{bucket}/db/t/_lakehouse/manifest/v1.json", "{}") is False
    store = TableStore(bucket, "db", "u")
    first = store.commit("s1", (), {"": 3}, replace_all=True, run_id="r1")
    second = store.commit("s2", (), {"": 5}, replace_all=True, run_id="r2")
    assert (first.version, second.version) == (1, 2)
    assert store.require_current().rows == 5
    assert fs.list_children(f"{bucket}/db") == ["t", "u"]


def test_a_boto3_without_conditional_writes_is_refused_not_ignored():
    def put_object(**_):
        raise ParamValidationError(report='Unknown parameter in input: "IfNoneMatch"')

    old = SimpleNamespace(
        put_object=put_object, exceptions=SimpleNamespace(ClientError=ClientError)
    )
    with pytest.raises(StorageError, match="predates S3 conditional writes"):
        S3FileSystem(old).create_exclusive("s3://b/db/t/_lakehouse/manifest/v1.json", "{}")
