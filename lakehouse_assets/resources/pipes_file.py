"""A Pipes message reader for the local runner's message file that reads whole lines only.

Dagster's `PipesFileMessageReader` tails the messages file with `readline`: a line caught
while the job is still writing it comes back cut short, fails to parse, and kills the reader
thread, so every later message of the run (materializations, check results, the closed
message) is lost and the step fails although its job succeeded. It happened under load in
`lakehouse bench`. This reader keeps a partial line until its newline arrives, and reads what
is left once the session closes.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from dagster import PipesFileMessageReader, PipesTempFileMessageReader


def complete_lines(
    path: str, should_stop: Callable[[], bool], poll_seconds: float = 0.01
) -> Iterator[str]:
    """Each complete line appended to `path` until `should_stop()`, then the rest."""
    pending = ""
    with open(path, encoding="utf-8") as stream:
        while True:
            chunk = stream.readline()
            if chunk:
                pending += chunk
                if pending.endswith("\n"):
                    yield pending
                    pending = ""
            elif should_stop():
                # What was written between the last read and the stop; a last line without
                # its newline is a message the writer never finished, not a message.
                pending += stream.read()
                yield from (line for line in pending.splitlines(True) if line.endswith("\n"))
                return
            else:
                time.sleep(poll_seconds)


class CompleteLineFileMessageReader(PipesFileMessageReader):
    def _reader_thread(self, handler, is_resource_complete) -> None:
        try:
            for line in complete_lines(self._path, is_resource_complete.is_set):
                handler.handle_message(json.loads(line))
        except:  # noqa: E722 - reported to Dagster, then re-raised, as upstream does
            handler.report_pipes_framework_exception(
                f"{type(self).__name__} reader thread", sys.exc_info()
            )
            raise


class CompleteLineTempFileMessageReader(PipesTempFileMessageReader):
    """`PipesTempFileMessageReader` with `CompleteLineFileMessageReader` underneath."""

    @contextmanager
    def read_messages(self, handler):
        with tempfile.TemporaryDirectory() as folder:
            reader = CompleteLineFileMessageReader(
                os.path.join(folder, "messages"),
                include_stdio_in_messages=self._include_stdio_in_messages,
            )
            with reader.read_messages(handler) as params:
                yield params
