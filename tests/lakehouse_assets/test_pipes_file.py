"""The local runner's Pipes messages are read as whole lines, even when caught mid-write."""

from __future__ import annotations

import threading
import time

from lakehouse_assets.resources.pipes_file import complete_lines


def _tail(path, stop: threading.Event, lines: list[str]) -> threading.Thread:
    thread = threading.Thread(target=lambda: lines.extend(complete_lines(str(path), stop.is_set)))
    thread.start()
    return thread


def _wait_for(lines: list[str], count: int) -> None:
    deadline = time.monotonic() + 30
    while len(lines) < count and time.monotonic() < deadline:
        time.sleep(0.01)


def test_a_line_caught_mid_write_is_read_once_its_newline_arrives(tmp_path):
    path = tmp_path / "messages"
    path.write_text('{"method": "opened"}\n{"method": "report_asset_mater')
    stop, lines = threading.Event(), []
    thread = _tail(path, stop, lines)
    _wait_for(lines, 1)
    with path.open("a") as writer:  # the writer finishes its line, then writes more
        writer.write('ialization"}\n{"method": "closed"}\n')
    stop.set()
    thread.join(timeout=30)
    assert lines == [
        '{"method": "opened"}\n',
        '{"method": "report_asset_materialization"}\n',
        '{"method": "closed"}\n',
    ]


def test_what_is_written_before_the_stop_is_read_and_an_unfinished_line_dropped(tmp_path):
    path = tmp_path / "messages"
    path.write_text("")
    stop, lines = threading.Event(), []
    path.write_text('{"a": 1}\n{"b": 2}\n{"unfinish')
    stop.set()  # the session closes before the reader had a chance to read anything
    thread = _tail(path, stop, lines)
    thread.join(timeout=30)
    assert lines == ['{"a": 1}\n', '{"b": 2}\n']
