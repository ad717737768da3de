"""Connection URIs without their passwords, for errors, logs and metadata."""

from __future__ import annotations

import re

_PASSWORD = re.compile(r"^(?P<scheme>[a-zA-Z][\w+.-]*://)(?P<user>[^:@/]*):(?P<secret>[^@/]*)@")
_QUERY_PASSWORD = re.compile(r"(?i)([?&]password=)[^&]*")
_QUERY_SECRET = re.compile(r"(?i)[?&]password=([^&]*)")


def redact_uri(uri: str) -> str:
    """`postgresql://user:secret@host:5432/db` -> `postgresql://user:***@host:5432/db`."""
    text = _PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:***@", uri)
    return _QUERY_PASSWORD.sub(r"\1***", text)


def scrub(text: str, uri: str) -> str:
    """A driver's message with the URI's password (if any) replaced by ***."""
    match = _PASSWORD.match(uri)
    secrets = [match["secret"]] if match and match["secret"] else []
    secrets += _QUERY_SECRET.findall(uri)
    for secret in filter(None, secrets):
        text = text.replace(secret, "***")
    return text.replace(uri, redact_uri(uri))
