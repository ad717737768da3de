"""Glue job `bix_bronze_ingest`: BIX's employee API, sales table and categories file ->
bronze tables. The framework extracts each source by the kind its spec names
(`lakehouse_assets/source_specs.py`) and commits every load with its watermark."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from glue_scripts.lib.bronze import ingest_tables
from glue_scripts.lib.job import GlueJob


def main(argv: Sequence[str]) -> None:
    with GlueJob(argv, "bix_bronze_ingest") as job:
        ingest_tables(job)


if __name__ == "__main__":
    main(sys.argv[1:])
