"""Which failures of a Glue job step are worth retrying, and how often.

Only transient faults of the machinery are retried: the local runner gone (killed, or its
machine restarted), AWS throttling or a brief service error. Data errors never are: a refused
landing file, schema drift, a failing blocking check or a transform bug fail the same way
every time, and a retry would only hide them behind a longer run.
"""

from __future__ import annotations

from dataclasses import dataclass

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from lakehouse_assets.local_runner.client import RunnerUnavailableError
from lakehouse_assets.resources.pipes_glue import GlueJobRunError, GlueJobTimeoutError

# AWS error codes of throttling and short service trouble (Glue, S3, STS).
TRANSIENT_AWS_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "ConcurrentRunsExceededException",
        "InternalServiceException",
        "InternalFailure",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "SlowDown",
        "RequestTimeout",
    }
)
_NETWORK_ERRORS = (
    RunnerUnavailableError,
    EndpointConnectionError,
    ConnectionClosedError,
    ConnectTimeoutError,
    ReadTimeoutError,
)


@dataclass(frozen=True)
class TransientRetries:
    """Bounded retries with exponential backoff: base, 2 x base, 4 x base... up to a cap."""

    max_retries: int = 3
    backoff_seconds: float = 10.0
    max_backoff_seconds: float = 300.0

    def delay(self, retry_number: int) -> float:
        return min(self.max_backoff_seconds, self.backoff_seconds * 2**retry_number)


def is_transient(error: BaseException) -> bool:
    """Whether `error` (or an error it was raised from) is a transient fault."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _transient(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def _transient(error: BaseException) -> bool:
    if isinstance(error, _NETWORK_ERRORS):
        return True
    if isinstance(error, ClientError):
        return error.response.get("Error", {}).get("Code") in TRANSIENT_AWS_CODES
    if isinstance(error, GlueJobRunError) and not isinstance(error, GlueJobTimeoutError):
        # Glue's own one-line reason comes first; the script's traceback follows it and must
        # not count (a data error's message may quote anything).
        first_line = str(error).split("\n", 1)[0]
        return any(code in first_line for code in TRANSIENT_AWS_CODES)
    return False
