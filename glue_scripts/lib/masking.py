"""PII masking by spec: `Column.mask` "hash" (keyed HMAC-SHA256) or "redact" (NULL).

The framework applies the masks when it conforms a job's output (`schema.conform`), so a
transform selects the raw value and can never forget to mask it. The key never travels
through Dagster (no job argument, no Pipes context, no metadata): the script resolves it where
it runs, in this order:

1. `LAKEHOUSE_PII_HASH_KEY` in the script's environment (the local runner inherits the
   environment of the Dagster process that starts it);
2. the job argument `--pii_hash_key_secret`: the *name* of an AWS Secrets Manager secret
   whose value is the key (on Glue; the argument is visible, the key is not);
3. with a local (`file://`) lakehouse root only, a development key generated once per root
   in `<root>/_secrets/pii_hash_key` (mode 0600), so a fresh clone runs without set-up.

With none of these the job fails with `MaskingKeyError`, before anything is written.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from glue_scripts.lib.fs import local_path, normalize_root
from glue_scripts.lib.local_rows import local_rows

MASKS = ("hash", "redact")
HASH_KEY_ENV = "LAKEHOUSE_PII_HASH_KEY"
HASH_KEY_SECRET_ARG = "pii_hash_key_secret"
LOCAL_KEY_PATH = "_secrets/pii_hash_key"
MIN_KEY_BYTES = 16
_BLOCK = 64  # SHA-256's block size, the HMAC key length
_PADS = ("_hmac_ipad", "_hmac_opad")


class MaskingKeyError(RuntimeError):
    """A table hashes a PII column but no key is available (or it is too short)."""


def masked_columns(spec: Mapping[str, Any]) -> dict[str, str]:
    return {c["name"]: c["mask"] for c in spec["columns"] if c.get("mask")}


def needs_key(spec: Mapping[str, Any]) -> bool:
    return "hash" in masked_columns(spec).values()


def hash_key(
    args: Mapping[str, str], env: Mapping[str, str] | None = None, secrets_client=None
) -> bytes:
    """The HMAC key, from the first source that has one (see the module's docstring)."""
    env = os.environ if env is None else env
    where = f"the environment variable {HASH_KEY_ENV}"
    key = env.get(HASH_KEY_ENV, "").encode()
    secret_id = args.get(HASH_KEY_SECRET_ARG, "")
    if not key and secret_id:
        where = f"the Secrets Manager secret {secret_id!r}"
        key = _secret_value(secret_id, secrets_client)
    root = args.get("lakehouse_root", "")
    if not key and root and normalize_root(root).startswith("file://"):
        path = local_path(normalize_root(root)) / LOCAL_KEY_PATH
        where = f"the local key file {path}"
        key = _local_key(path)
    if not key:
        raise MaskingKeyError(
            f"no PII hash key: set {HASH_KEY_ENV} in the environment of the job (the local "
            f"runner's, or a Glue job's), or pass --{HASH_KEY_SECRET_ARG} <Secrets Manager "
            "secret id>; the key must stay the same over time so hashes keep joining"
        )
    if len(key) < MIN_KEY_BYTES:
        raise MaskingKeyError(
            f"the PII hash key from {where} has {len(key)} bytes; use at least "
            f"{MIN_KEY_BYTES} random bytes (e.g. `python -c 'import secrets; "
            "print(secrets.token_hex(32))'`)"
        )
    return key


def _secret_value(secret_id: str, client=None) -> bytes:
    if client is None:
        import boto3  # on Glue; never needed locally

        client = boto3.client("secretsmanager")
    response = client.get_secret_value(SecretId=secret_id)
    return (response.get("SecretString") or "").encode() or response.get("SecretBinary", b"")


def _local_key(path: Path) -> bytes:
    """The root's development key, created once; concurrent jobs agree on the first one."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def apply_masks(frame: DataFrame, spec: Mapping[str, Any], key: bytes | None) -> DataFrame:
    """`frame` with each masked column hashed or nulled, columns and types unchanged."""
    masks = masked_columns(spec)
    if not masks:
        return frame
    if "hash" in masks.values() and not key:
        raise MaskingKeyError(f"{spec['database']}.{spec['name']} hashes {sorted(masks)}: no key")
    types = dict(frame.dtypes)
    if "hash" in masks.values():
        # The pads come in through a one-row broadcast relation, not as literals, so that no
        # plan string (which errors may print) ever spells out key material.
        inner, outer = _pads(key)
        pads = local_rows(
            frame.sparkSession,
            [(bytearray(inner), bytearray(outer))],
            f"{_PADS[0]} binary, {_PADS[1]} binary",
        )
        frame = frame.crossJoin(F.broadcast(pads))
    masked = {name: _mask(F.col(name), kind, types[name]) for name, kind in masks.items()}
    return frame.select(*(masked.get(c, F.col(c)).alias(c) for c in types))


def hash_value(value: str, key: bytes) -> str:
    """The "hash" mask of one value in Python, equal to what `apply_masks` writes: a caller
    that knows a raw id (a scoring service) finds its rows in a masked table with it."""
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def _pads(key: bytes) -> tuple[bytes, bytes]:
    block = hashlib.sha256(key).digest() if len(key) > _BLOCK else key
    block = block.ljust(_BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)


def _mask(value: Column, kind: str, type_string: str) -> Column:
    if kind == "redact":
        return F.lit(None).cast(type_string)
    # HMAC-SHA256 (RFC 2104) from built-ins: H(K^opad || H(K^ipad || message)), hex.
    message = F.encode(value.cast("string"), "UTF-8")
    inner = F.unhex(F.sha2(F.concat(F.col(_PADS[0]), message), 256))
    return F.sha2(F.concat(F.col(_PADS[1]), inner), 256)
