"""boto3 clients for the catalog: the right endpoint and region, and a count of the calls.

boto3 honours `AWS_ENDPOINT_URL` and `AWS_MAX_ATTEMPTS` by itself. On the local target
the catalog is a local endpoint, never AWS: when `AWS_ENDPOINT_URL` is unset the endpoint
started by `lakehouse local-aws --background` for this root is used, and without one the
commands stop and say how to start it.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from lakehouse_assets.local_aws import DUMMY_CREDENTIALS, LOCAL_REGION, endpoint_from_state

READ_PREFIXES = ("Get", "List", "Search", "BatchGet", "Describe")


class EndpointNotFoundError(RuntimeError):
    """The local target has no local AWS endpoint to talk to."""


@dataclass
class CallCounter:
    """Counts every API call a client makes (each page of a paginated read is one call)."""

    calls: Counter = field(default_factory=Counter)

    def __call__(self, model: Any = None, **_: Any) -> None:
        self.calls[model.name] += 1

    @property
    def reads(self) -> int:
        return sum(n for op, n in self.calls.items() if op.startswith(READ_PREFIXES))

    @property
    def writes(self) -> int:
        return sum(n for op, n in self.calls.items() if not op.startswith(READ_PREFIXES))

    def by_kind(self, read: bool) -> dict[str, int]:
        return {
            op: n for op, n in sorted(self.calls.items()) if op.startswith(READ_PREFIXES) == read
        }


def _is_loopback(url: str | None) -> bool:
    host = urlparse(url or "").hostname or ""
    return host in ("localhost", "::1") or host.startswith("127.")


@dataclass(frozen=True)
class AwsConnection:
    """Where the catalog is: a region and an endpoint (None: boto3's own resolution)."""

    region: str
    endpoint_url: str | None = None
    max_attempts: int | None = None
    timeout_seconds: float = 30.0
    counter: CallCounter = field(default_factory=CallCounter, compare=False)

    @property
    def effective_endpoint(self) -> str | None:
        return self.endpoint_url or os.environ.get("AWS_ENDPOINT_URL")

    def describe(self) -> str:
        return self.effective_endpoint or f"AWS ({self.region})"

    def client(self, service: str) -> Any:
        import boto3
        from botocore.config import Config

        retries: dict[str, Any] = {"mode": "standard"}
        if self.max_attempts is not None:
            retries["total_max_attempts"] = self.max_attempts
        config = Config(
            retries=retries,
            connect_timeout=self.timeout_seconds,
            read_timeout=self.timeout_seconds,
        )
        session = boto3.Session(region_name=self.region)
        credentials: dict[str, str] = {}
        has_keys = os.environ.get("AWS_ACCESS_KEY_ID") and os.environ.get("AWS_SECRET_ACCESS_KEY")
        if _is_loopback(self.effective_endpoint) and not has_keys:
            # A local endpoint accepts any credentials; a fresh laptop has none. Not asking
            # boto3's chain also keeps it from probing the EC2 metadata address.
            credentials = {
                "aws_access_key_id": DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                "aws_secret_access_key": DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            }
        client = session.client(
            service, endpoint_url=self.endpoint_url, config=config, **credentials
        )
        client.meta.events.register("before-call.*.*", self.counter)
        return client


def resolve_connection(
    target: str,
    root: str,
    region: str | None = None,
    endpoint_url: str | None = None,
    max_attempts: int | None = None,
    env: dict[str, str] | None = None,
) -> AwsConnection:
    """The catalog's endpoint: explicit, else `AWS_ENDPOINT_URL`, else (local) the state file."""
    env = dict(os.environ if env is None else env)
    region = region or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    if not endpoint_url and not env.get("AWS_ENDPOINT_URL") and target == "local":
        endpoint_url = endpoint_from_state(root)
        if not endpoint_url:
            raise EndpointNotFoundError(
                "no local AWS endpoint: start one with `lakehouse local-aws --background` "
                "(or set AWS_ENDPOINT_URL); the local target never writes to a real AWS account"
            )
    if not region:
        if target == "local":
            region = LOCAL_REGION
        else:
            import boto3

            region = boto3.Session().region_name
            if not region:
                raise EndpointNotFoundError("no AWS region: set AWS_REGION")
    return AwsConnection(region=region, endpoint_url=endpoint_url, max_attempts=max_attempts)
