"""Glue job `conversas_bronze_ingest`: the chat-agent sessions of MongoDB -> bronze. The
framework extracts the collection its spec names (`lakehouse_assets/source_specs.py`),
quarantines the documents that cannot be read as a session (the spec's `invalid_when`) and
commits every load with its watermark."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from glue_scripts.lib.bronze import ingest_tables
from glue_scripts.lib.job import GlueJob


def main(argv: Sequence[str]) -> None:
    with GlueJob(argv, "conversas_bronze_ingest") as job:
        ingest_tables(job)


if __name__ == "__main__":
    main(sys.argv[1:])
