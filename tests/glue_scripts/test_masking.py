"""PII masks by spec (glue_scripts/lib/masking.py), applied when a job conforms its output."""

from __future__ import annotations

import hashlib
import hmac
import stat

import boto3
import pytest
from moto.server import ThreadedMotoServer

from glue_scripts.lib.masking import (
    HASH_KEY_ENV,
    LOCAL_KEY_PATH,
    MaskingKeyError,
    hash_key,
    needs_key,
)
from glue_scripts.lib.schema import conform
from lakehouse_assets.domains.importau.specs import FATO, PEDIDOS

KEY = b"0123456789abcdef0123456789abcdef"
SPEC = {
    "database": "testes_silver",
    "name": "contatos",
    "columns": [
        {"name": "id", "type": "int"},
        {"name": "email", "type": "string", "pii": "email", "mask": "hash"},
        {"name": "telefone", "type": "string", "pii": "phone", "mask": "redact"},
        {"name": "nascimento", "type": "date", "pii": "person_name", "mask": "redact"},
    ],
}


def expected_hmac(value: str, key: bytes = KEY) -> str:
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


@pytest.fixture(scope="module")
def masked(spark):
    frame = spark.createDataFrame(
        [
            (1, "ana@example.com", "+55-11-1", "1990-01-01"),
            (2, None, None, None),
            (3, "joão@exemplo.com.br", "+55-11-3", "1991-02-03"),
        ],
        "id int, email string, telefone string, nascimento string",
    ).selectExpr("id", "email", "telefone", "CAST(nascimento AS DATE) AS nascimento")
    return conform(frame, SPEC, hash_key=KEY)


def test_hash_is_hmac_sha256_of_the_value_in_hex(masked):
    rows = {r.id: r for r in masked.collect()}
    assert rows[1].email == expected_hmac("ana@example.com")
    assert rows[3].email == expected_hmac("joão@exemplo.com.br")  # UTF-8 bytes
    assert rows[2].email is None


def test_redact_nulls_the_value_and_keeps_the_type(masked):
    assert [(r.telefone, r.nascimento) for r in masked.collect()] == [(None, None)] * 3
    assert masked.dtypes == [
        ("id", "int"),
        ("email", "string"),
        ("telefone", "string"),
        ("nascimento", "date"),
    ]


def test_a_long_key_is_hashed_first_as_hmac_does(spark):
    key = b"k" * 100
    frame = spark.createDataFrame([(1, "x", "y")], "id int, email string, telefone string")
    frame = frame.selectExpr("id", "email", "telefone", "CAST(NULL AS DATE) AS nascimento")
    (row,) = conform(frame, SPEC, hash_key=key).collect()
    assert row.email == expected_hmac("x", key)


def test_no_plan_spells_out_the_key(masked):
    plan = masked._jdf.queryExecution().toString()
    pads = [bytes(b ^ p for b in KEY.ljust(64, b"\0")) for p in (0x36, 0x5C)]
    assert KEY.hex() not in plan.lower()
    assert all(pad.hex() not in plan.lower() for pad in pads)


def test_a_hashed_column_without_a_key_fails_before_anything_runs(spark):
    frame = spark.createDataFrame([], "id int, email string, telefone string, nascimento date")
    with pytest.raises(MaskingKeyError, match=r"hashes \['email', 'nascimento', 'telefone'\]"):
        conform(frame, SPEC)


def test_only_specs_with_a_hash_need_a_key():
    assert needs_key(FATO.payload())
    assert not needs_key(PEDIDOS.payload())


def test_the_environment_key_comes_first(tmp_path):
    args = {"lakehouse_root": str(tmp_path), "pii_hash_key_secret": "never-read"}
    assert hash_key(args, env={HASH_KEY_ENV: "e" * 32}) == b"e" * 32
    assert not (tmp_path / LOCAL_KEY_PATH).exists()


def test_a_local_root_gets_a_private_development_key_once(tmp_path):
    args = {"lakehouse_root": str(tmp_path / "lake")}
    first = hash_key(args, env={})
    assert len(first) == 64 and first == hash_key(args, env={})
    key_file = tmp_path / "lake" / LOCAL_KEY_PATH
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_a_missing_key_is_a_clear_error():
    with pytest.raises(MaskingKeyError) as err:
        hash_key({"lakehouse_root": "s3://bucket/lake"}, env={})
    assert str(err.value) == (
        f"no PII hash key: set {HASH_KEY_ENV} in the environment of the job (the local "
        "runner's, or a Glue job's), or pass --pii_hash_key_secret <Secrets Manager secret "
        "id>; the key must stay the same over time so hashes keep joining"
    )


def test_a_short_key_is_refused_without_showing_it():
    with pytest.raises(MaskingKeyError) as err:
        hash_key({}, env={HASH_KEY_ENV: "shortkey"})
    assert "has 8 bytes; use at least 16 random bytes" in str(err.value)
    assert "shortkey" not in str(err.value)


def test_on_glue_the_key_comes_from_secrets_manager():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        client = boto3.client(
            "secretsmanager",
            endpoint_url=f"http://{host}:{port}",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        client.create_secret(Name="lakehouse/pii-hash-key", SecretString="s" * 40)
        args = {
            "lakehouse_root": "s3://bucket/lake",
            "pii_hash_key_secret": "lakehouse/pii-hash-key",
        }
        assert hash_key(args, env={}, secrets_client=client) == b"s" * 40
    finally:
        server.stop()


def test_hash_value_in_python_equals_the_spark_mask(masked):
    from glue_scripts.lib.masking import hash_value

    rows = {r.id: r for r in masked.collect()}
    assert hash_value("joão@exemplo.com.br", KEY) == rows[3].email
