"""Connection settings of the sources, resolved where the job runs; never from a spec.

A setting (`BIX_POSTGRES_URI`) takes its value from, in order:

1. the environment variable of that name;
2. on AWS, the Secrets Manager secret named by the job argument `--connections_secret`,
   whose SecretString is JSON `{"BIX_POSTGRES_URI": "...", ...}` (the argument is visible,
   the values are not);
3. with a local (`file://`) lakehouse root, the endpoints of the local services
   (`<root>/_local_services/endpoints.json`, written by `lakehouse local-services`).

Values hold passwords: show them only through `redact`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from glue_scripts.lib.fs import join, local_path, normalize_root
from glue_scripts.lib.sources import SourceError

SECRET_ARG = "connections_secret"
ENDPOINTS_FILE = "_local_services/endpoints.json"
MASK = "***"

# Query-string keys whose values are credentials (libpq's `password`, API keys, signatures).
# MongoDB's authSource and authMechanism name a database and a method, not a secret.
_SECRET_KEY = re.compile(
    r"(pass|pwd|secret|token|key|sig|auth(?!source|mechanism)|credential|session)", re.IGNORECASE
)
# `password=...` in libpq keyword strings and in text that quotes one.
_KEYWORD_SECRET = re.compile(r"\b(password|sslpassword)\s*=\s*('[^']*'|\S+)", re.IGNORECASE)


def resolve(
    setting: str,
    *,
    args: Mapping[str, str],
    root: str,
    local_default: Callable[[dict], str | None],
    env: Mapping[str, str] | None = None,
    secrets_client: Any = None,
    default: str | None = None,
) -> str:
    """The value of `setting` from the first place that has one (see the module docstring);
    `default`, when given, stands in for the local endpoints and the error (a setting such as
    a database name that has a sensible value everywhere)."""
    env = os.environ if env is None else env
    if env.get(setting):
        return env[setting]
    secret_id = args.get(SECRET_ARG, "")
    if secret_id:
        value = _from_secret(setting, secret_id, secrets_client)
        if value:
            return value
    if default is not None:
        return default
    endpoints_path = None
    if root:
        root_uri = normalize_root(root)
        if root_uri.startswith("file://"):
            endpoints_path = local_path(join(root_uri, ENDPOINTS_FILE))
            value = local_default(_endpoints(endpoints_path)) if endpoints_path.exists() else None
            if value:
                return value
    local = (
        f"locally start `lakehouse local-services --background` (it writes {endpoints_path})"
        if endpoints_path
        else "locally start `lakehouse local-services --background` (with a file:// root)"
    )
    raise SourceError(
        f"no value for the connection setting {setting}: set the environment variable "
        f"{setting}, or pass --{SECRET_ARG} <name of a Secrets Manager secret whose value is "
        f'JSON {{"{setting}": "..."}}>'
        + (f" (the secret {secret_id!r} has no key {setting})" if secret_id else "")
        + f", or {local}"
    )


def _from_secret(setting: str, secret_id: str, client: Any) -> str | None:
    if client is None:
        import boto3  # on Glue; never needed locally

        client = boto3.client("secretsmanager")
    try:
        text = client.get_secret_value(SecretId=secret_id).get("SecretString") or ""
    except Exception as err:  # botocore's errors; their text names the secret, not its value
        raise SourceError(
            f"cannot read the Secrets Manager secret {secret_id!r} (--{SECRET_ARG}) for "
            f"{setting}: {type(err).__name__}: {err}; check that it exists in this region and "
            "that the job's role may call secretsmanager:GetSecretValue on it"
        ) from None
    try:
        values = json.loads(text)
    except ValueError:
        values = None
    if not isinstance(values, dict):
        # Never quote the text: it is the secret.
        raise SourceError(
            f"the Secrets Manager secret {secret_id!r} (--{SECRET_ARG}) is not a JSON object; "
            f'store it as {{"{setting}": "...", ...}}'
        )
    value = values.get(setting)
    return str(value) if value else None


def _endpoints(path) -> dict:
    try:
        endpoints = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise SourceError(
            f"the local services' endpoints file {path} is unreadable ({err}); restart "
            "them with `lakehouse local-services --background`"
        ) from None
    return endpoints if isinstance(endpoints, dict) else {}


def redact(uri: str) -> str:
    """`uri` without its secrets: the password and credential-like query values become ***
    (the user, host, path and other parameters stay, so the message still says where)."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return _KEYWORD_SECRET.sub(lambda m: f"{m.group(1)}={MASK}", uri)
    if not parts.scheme or not parts.netloc and not parts.query:
        return _KEYWORD_SECRET.sub(lambda m: f"{m.group(1)}={MASK}", uri)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user, colon, password = userinfo.partition(":")
        netloc = f"{user}:{MASK}@{host}" if colon and password else f"{user}@{host}"
    query = "&".join(_redact_pair(pair) for pair in parts.query.split("&")) if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def _redact_pair(pair: str) -> str:
    key, equals, value = pair.partition("=")
    return f"{key}={MASK}" if equals and value and _SECRET_KEY.search(key) else pair


def scrub(text: str, *secrets: str | None) -> str:
    """`text` (a driver's message) with every given secret and password keyword masked."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return _KEYWORD_SECRET.sub(lambda m: f"{m.group(1)}={MASK}", text)


def secrets_of(uri: str) -> list[str]:
    """The secret values inside a URI (its password, raw and decoded, and credential-like
    query values), to scrub them from a driver's messages."""
    try:
        parts = urlsplit(uri)
        password = parts.password
    except ValueError:
        return []
    found = [password, unquote(password)] if password else []
    for pair in parts.query.split("&"):
        key, _, value = pair.partition("=")
        if value and _SECRET_KEY.search(key):
            found += [value, unquote(value)]
    return found
