"""One local AWS endpoint: moto's server with the Glue stand-in in front of it, on loopback.

`StandinServer` has the interface of moto's `ThreadedMotoServer` (start, stop,
get_host_and_port), so whatever starts moto can start it instead.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lakehouse_assets.glue_standin.app import GlueStandin, default_runner

HOST = "127.0.0.1"


class StandinServer:
    """moto's threaded server with the Glue stand-in; the interface of `ThreadedMotoServer`.

    Args:
        host: interface to listen on (loopback).
        port: 0 lets the system choose a free port (`get_host_and_port()` tells which).
        workdir: folder of the S3 mirror and downloaded scripts (default: a temporary one,
            deleted by `stop()`, as the endpoint's in-memory state is).
        runner_factory: the `JobRunner` that executes scripts (default: one with its own
            Spark session, started on the first job run).
        own_environment: see `GlueStandin`.
        quiet: no line per request on stderr.
    """

    def __init__(
        self,
        host: str = HOST,
        port: int = 0,
        *,
        workdir: Path | None = None,
        runner_factory: Callable[[], Any] = default_runner,
        own_environment: bool = False,
        quiet: bool = True,
    ):
        self._host, self._port = host, port
        self._temporary = workdir is None
        # Created on the first job run only: an endpoint that never runs a job (or is killed)
        # leaves nothing behind.
        self.workdir = Path(
            workdir or Path(tempfile.gettempdir()) / f"lakehouse-glue-standin-{uuid.uuid4().hex}"
        )
        self._runner_factory = runner_factory
        self._own_environment = own_environment
        self._quiet = quiet
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.standin: GlueStandin | None = None

    def start(self) -> StandinServer:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        class _Quiet(MotoRequestHandler):
            def log_request(self, *args: Any, **kwargs: Any) -> None:
                pass

        self.standin = GlueStandin(
            DomainDispatcherApplication(create_backend_app),
            workdir=self.workdir,
            runner_factory=self._runner_factory,
            own_environment=self._own_environment,
        )
        handler = _Quiet if self._quiet else MotoRequestHandler
        self._server = make_server(
            self._host, self._port, self.standin, threaded=True, request_handler=handler
        )
        self.standin.bind(self.url)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="glue-standin-endpoint", daemon=True
        )
        self._thread.start()
        return self

    def get_host_and_port(self) -> tuple[str, int]:
        assert self._server is not None, "call start() first"
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    @property
    def url(self) -> str:
        host, port = self.get_host_and_port()
        return f"http://{host}:{port}"

    def stop(self) -> None:
        if self.standin is not None:
            self.standin.close()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._temporary:
            shutil.rmtree(self.workdir, ignore_errors=True)


def start_endpoint(host: str = HOST, port: int = 0, **options: Any) -> StandinServer:
    """Start the local AWS endpoint with the Glue stand-in; see `StandinServer`."""
    return StandinServer(host, port, **options).start()
