"""A Glue-shaped HTTP API over the JobRunner, on loopback only."""

from __future__ import annotations

import json
import os
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from lakehouse_assets.local_runner.runner import JobRunner


class RunnerServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, runner: JobRunner, fingerprint: str, host: str = "127.0.0.1", port: int = 0):
        super().__init__((host, port), _Handler)
        self.runner = runner
        self.fingerprint = fingerprint
        self.stop_event = threading.Event()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def start_in_thread(self) -> threading.Thread:
        # `shutdown` waits for the loop to look again: at the default half second, that was
        # half of every `lakehouse run`'s wait for the runner to stop.
        thread = threading.Thread(
            target=self.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="runner-http",
            daemon=True,
        )
        thread.start()
        return thread


class _Handler(BaseHTTPRequestHandler):
    server: RunnerServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # polling every fraction of a second would flood the runner's log

    def _send(self, status: int, body: dict[str, Any]) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"{}")

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        runner = self.server.runner
        if self.path == "/health":
            self._send(
                HTTPStatus.OK,
                {
                    "pid": os.getpid(),
                    "fingerprint": self.server.fingerprint,
                    "active_runs": runner.active_runs,
                    "spark_version": runner.spark.version,
                },
            )
        elif self.path.startswith("/jobruns/"):
            try:
                run = runner.get(self.path.split("/")[2])
            except KeyError:
                self._send(HTTPStatus.NOT_FOUND, {"error": f"no job run {self.path}"})
                return
            self._send(HTTPStatus.OK, {"JobRun": run.describe()})
        else:
            self._send(HTTPStatus.NOT_FOUND, {"error": f"unknown path {self.path}"})

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        runner = self.server.runner
        body = self._body()
        if self.path == "/jobruns":
            run_id = runner.start(body["JobName"], body["ScriptLocation"], body["Arguments"])
            self._send(HTTPStatus.OK, {"JobRunId": run_id})
        elif self.path.startswith("/jobruns/") and self.path.endswith("/stop"):
            run_id = self.path.split("/")[2]
            try:
                stopped = runner.stop(run_id)
            except KeyError:
                self._send(HTTPStatus.NOT_FOUND, {"error": f"no job run {run_id}"})
                return
            self._send(HTTPStatus.OK, {"stopped": stopped})
        elif self.path == "/shutdown":
            self._send(HTTPStatus.OK, {"shutting_down": True})
            self.server.stop_event.set()
        else:
            self._send(HTTPStatus.NOT_FOUND, {"error": f"unknown path {self.path}"})
