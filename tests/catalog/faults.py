"""A real HTTP endpoint that misbehaves: a loopback proxy in front of moto.

It forwards every request to moto, except those a rule matches, which get the error AWS
would send (500 InternalServiceException, 400 ThrottlingException). It can also answer
Glue's SearchTables, which moto lacks, to exercise the path real AWS takes.
"""

from __future__ import annotations

import http.client
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

import boto3


@dataclass(frozen=True)
class Fault:
    operation: str  # X-Amz-Target suffix, e.g. "CreateTable"
    contains: str = ""  # only requests whose body contains this
    status: int = 500
    code: str = "InternalServiceException"
    times: int | None = None  # fail only the first `times` matching requests (None: all)


class FaultyEndpoint:
    def __init__(self, upstream: str, faults: list[Fault], search_tables: bool = False):
        self.upstream = urlparse(upstream)
        self.faults = faults
        self.search_tables = search_tables
        self.failed: list[str] = []
        self._failures = [0] * len(faults)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FaultyEndpoint:
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _search_tables(self, body: dict) -> bytes:
        glue = boto3.client(
            "glue",
            endpoint_url=self.upstream.geturl(),
            region_name="us-east-1",
            aws_access_key_id="x",
            aws_secret_access_key="x",
        )
        tables = [
            t
            for db in glue.get_databases()["DatabaseList"]
            for t in glue.get_tables(DatabaseName=db["Name"])["TableList"]
        ]
        text = body.get("SearchText", "").lower().split()
        hits = [t for t in tables if any(w in json.dumps(t, default=str).lower() for w in text)]
        return json.dumps({"TableList": hits}, default=lambda v: v.timestamp()).encode()

    def _handler(self):
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_):
                pass

            def _reply(self, status: int, body: bytes, headers=()) -> None:
                self.send_response(status)
                for key, value in headers:
                    if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _handle(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                target = self.headers.get("X-Amz-Target", "") or self.path
                operation = target.rsplit(".", 1)[-1].strip("/")
                text = body.decode("utf-8", "replace")
                for index, fault in enumerate(endpoint.faults):
                    if operation == fault.operation and fault.contains in text:
                        if fault.times is not None and endpoint._failures[index] >= fault.times:
                            continue
                        endpoint._failures[index] += 1
                        endpoint.failed.append(f"{operation} {fault.contains}")
                        error = {"__type": fault.code, "message": f"injected {fault.code}"}
                        self._reply(
                            fault.status,
                            json.dumps(error).encode(),
                            [("Content-Type", "application/x-amz-json-1.1")],
                        )
                        return
                if endpoint.search_tables and operation == "SearchTables":
                    self._reply(
                        200,
                        endpoint._search_tables(json.loads(body or b"{}")),
                        [("Content-Type", "application/x-amz-json-1.1")],
                    )
                    return
                upstream = http.client.HTTPConnection(
                    endpoint.upstream.hostname, endpoint.upstream.port, timeout=30
                )
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                upstream.request(self.command, self.path, body=body, headers=headers)
                response = upstream.getresponse()
                self._reply(response.status, response.read(), response.getheaders())
                upstream.close()

            do_POST = do_GET = do_PUT = do_DELETE = _handle  # noqa: N815

        return Handler
