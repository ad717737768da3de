"""Glue job `credito_bronze_ingest`: the day's credit application drop -> typed bronze table."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from glue_scripts.lib.bronze import ingest_tables
from glue_scripts.lib.job import GlueJob


def main(argv: Sequence[str]) -> None:
    with GlueJob(argv, "credito_bronze_ingest") as job:
        ingest_tables(job)


if __name__ == "__main__":
    main(sys.argv[1:])
