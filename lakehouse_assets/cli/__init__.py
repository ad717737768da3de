"""`lakehouse`: what a data engineer does without the Dagster UI.

One module per command group, each with `add_commands(sub)`; a domain adds its own commands
in `lakehouse_assets/domains/<domain>/cli.py`. Nothing heavy is imported here: `lakehouse run`
starts the Spark runner before Dagster is imported, and `catalog lineage` never loads Dagster.
"""

from __future__ import annotations

import argparse
import atexit
import importlib
import importlib.util
import logging
import os
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType

from lakehouse_assets.dagster_home import DEFAULT_HOME
from lakehouse_assets.settings import ConfigurationError

COMMAND_MODULES = (
    "lakehouse_assets.cli.generate",
    "lakehouse_assets.cli.run",
    "lakehouse_assets.cli.catalog",
    "lakehouse_assets.cli.bench",
    "lakehouse_assets.cli.deploy",
    "lakehouse_assets.cli.local_services",
    "lakehouse_assets.cli.migrate",
)
# Registered only once it exists, so the command line works with or without it.
OPTIONAL_MODULES = ("lakehouse_assets.warehouse.cli",)


def _exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


def domain_command_modules() -> Iterator[ModuleType]:
    """The `cli.py` of each domain that has one and defines `add_commands`."""
    from lakehouse_assets.domains import domain_names

    for domain in domain_names():
        name = f"lakehouse_assets.domains.{domain}.cli"
        if _exists(name):
            module = importlib.import_module(name)
            if callable(getattr(module, "add_commands", None)):
                yield module


def command_modules() -> Iterator[ModuleType]:
    for name in COMMAND_MODULES:
        yield importlib.import_module(name)
    for name in OPTIONAL_MODULES:
        if _exists(name):
            yield importlib.import_module(name)
    yield from domain_command_modules()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lakehouse", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for module in command_modules():
        module.add_commands(sub)
    return parser


def _prepare_dagster() -> None:
    """Dagster's Beta/Preview notices off; an existing instance folder gets its dagster.yaml
    before any command opens it (`lakehouse run` creates the folder itself)."""
    from lakehouse_assets.dagster_home import ensure_dagster_home, quiet_dagster_warnings

    quiet_dagster_warnings()
    if os.environ.get("DAGSTER_HOME") or Path(DEFAULT_HOME).is_dir():
        ensure_dagster_home()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        _prepare_dagster()
        return args.func(args)
    except ConfigurationError as err:
        print(f"configuration error: {err}", file=sys.stderr)
        return 2


def console_main() -> None:
    """The `lakehouse` command: `main`, then an exit that skips the interpreter's teardown.

    Freeing what Dagster, pydantic and PySpark imported took about half a second after the
    work was done, on every command (measured on `lakehouse run` of one asset with the runner
    up, docs/BENCHMARKING.md). The exit handlers still run and every stream is flushed first;
    a command that leaves a thread of its own running exits the usual way instead.
    """
    code = int(main() or 0)
    if any(
        t.is_alive() and not t.daemon
        for t in threading.enumerate()
        if t is not threading.main_thread()
    ):
        sys.exit(code)
    atexit._run_exitfuncs()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = code or 1  # output lost (a closed pipe): say so through the exit code
    os._exit(code)
