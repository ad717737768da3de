"""Answers `X-Amz-Target: RedshiftData.<Operation>` requests on the local AWS endpoint."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from lakehouse_assets.redshift_standin.service import DataApiError, RedshiftDataService

TARGET_PREFIX = "RedshiftData"
OPERATIONS = {
    "ExecuteStatement": "execute_statement",
    "BatchExecuteStatement": "batch_execute_statement",
    "DescribeStatement": "describe_statement",
    "GetStatementResult": "get_statement_result",
    "CancelStatement": "cancel_statement",
}


def default_warehouse_uri() -> str:
    """LAKEHOUSE_WAREHOUSE_URI, else the warehouse of the running local services."""
    from lakehouse_assets.warehouse.config import local_uri

    return local_uri(os.environ.get("LAKEHOUSE_ROOT") or "./.lakehouse")


class RedshiftDataStandin:
    """Args:
    s3: returns a boto3 S3 client of the endpoint.
    warehouse_uri: the PostgreSQL database that plays Redshift (default: see
        `default_warehouse_uri`, looked up on the first statement).
    """

    def __init__(self, s3: Callable[[], Any], warehouse_uri: str | None = None):
        self.warehouse_uri = warehouse_uri
        self.service = RedshiftDataService(self._uri, s3)

    def _uri(self) -> str:
        return self.warehouse_uri or default_warehouse_uri()

    @staticmethod
    def handles(environ: dict[str, Any]) -> bool:
        return environ.get("HTTP_X_AMZ_TARGET", "").startswith(TARGET_PREFIX + ".")

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        operation = environ.get("HTTP_X_AMZ_TARGET", "").partition(".")[2]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        status, headers = "200 OK", [("Content-Type", "application/x-amz-json-1.1")]
        try:
            if operation not in OPERATIONS:
                raise DataApiError(
                    "ValidationException", f"the stand-in does not implement {operation}"
                )
            answer = getattr(self.service, OPERATIONS[operation])(json.loads(raw or b"{}"))
        except DataApiError as err:
            status = "400 Bad Request"
            headers.append(("x-amzn-ErrorType", err.code))
            answer = {"__type": err.code, "Message": err.message}
        except Exception as err:  # the stand-in's own bug: answer like a service fault
            status = "500 Internal Server Error"
            headers.append(("x-amzn-ErrorType", "InternalServerException"))
            answer = {"__type": "InternalServerException", "Message": str(err)}
        payload = json.dumps(answer, default=str).encode()
        headers += [("Content-Length", str(len(payload))), ("x-amzn-RequestId", str(uuid.uuid4()))]
        start_response(status, headers)
        return [payload]

    def reset(self) -> None:
        self.service.reset()
