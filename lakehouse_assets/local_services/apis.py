"""The domains' stand-ins of third-party HTTP APIs, each a threaded server on loopback.

A domain offers stand-ins in `lakehouse_assets/domains/<domain>/standins.py`:
`STANDINS = {name: factory}`, each factory returning a WSGI application.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

HOST = "127.0.0.1"
WsgiApp = Callable[..., Any]


def standins() -> dict[str, Callable[[], WsgiApp]]:
    """Every domain's stand-in factories by name (a name must be unique across domains)."""
    from lakehouse_assets import domains

    found: dict[str, Callable[[], WsgiApp]] = {}
    owner: dict[str, str] = {}
    for info in sorted(pkgutil.iter_modules(domains.__path__), key=lambda i: i.name):
        module_name = f"{domains.__name__}.{info.name}.standins"
        if not info.ispkg or importlib.util.find_spec(module_name) is None:
            continue
        for name, factory in importlib.import_module(module_name).STANDINS.items():
            if name in owner:
                raise ValueError(
                    f"API stand-in {name!r} is defined by domains {owner[name]} and {info.name}; "
                    "rename one of them"
                )
            owner[name] = info.name
            found[name] = factory
    return found


@dataclass
class ApiServer:
    name: str
    server: Any
    thread: threading.Thread

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server.port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def serve(name: str, app: WsgiApp, port: int = 0) -> ApiServer:
    """Serve one WSGI app on `port` (a free one when 0) in a background thread."""
    from werkzeug.serving import make_server

    server = make_server(HOST, port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name=f"api-{name}", daemon=True)
    thread.start()
    return ApiServer(name, server, thread)


def serve_all() -> list[ApiServer]:
    started: list[ApiServer] = []
    try:
        for name, factory in standins().items():
            started.append(serve(name, factory()))
    except BaseException:
        for api in started:
            api.stop()
        raise
    return started
