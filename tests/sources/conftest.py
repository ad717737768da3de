"""Shared pieces of the source extractor tests: requests, a log, staged rows read back."""

from __future__ import annotations

import socket
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from glue_scripts.lib.sources import ExtractRequest


class ListLog:
    def __init__(self):
        self.lines: list[str] = []

    def info(self, message: str) -> None:
        self.lines.append(message)

    def warning(self, message: str) -> None:
        self.lines.append(message)


@pytest.fixture
def log() -> ListLog:
    return ListLog()


@pytest.fixture
def make_request(tmp_path: Path, log: ListLog):
    """An ExtractRequest on tmp folders; keyword arguments override its fields."""
    counter = iter(range(1_000))

    def make(source: dict, **overrides) -> ExtractRequest:
        fields = dict(
            table="bix_bronze.venda",
            source=source,
            columns=[],
            staging_uri=f"file://{tmp_path}/staging-{next(counter)}",
            root=f"file://{tmp_path}/lake",
            landing=f"file://{tmp_path}/landing",
            load_date="20240102",
            args={},
            watermark=None,
            log=log,
        )
        fields.update(overrides)
        return ExtractRequest(**fields)

    return make


def staged_table(files: list[str]) -> pa.Table:
    """The staged parts, read back as one table."""
    return pa.concat_tables(pq.read_table(f.removeprefix("file://")) for f in files)


@pytest.fixture
def read_staged():
    return staged_table


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on (bound once, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
