"""Glue job `importau_bronze_ingest`: the seven ImportAu source exports -> bronze tables.

One job run loads every selected source for the requested load dates, so the whole bronze
layer of a day costs one Spark start locally and one Glue run on AWS.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from glue_scripts.lib.bronze import ingest_tables
from glue_scripts.lib.job import GlueJob


def main(argv: Sequence[str]) -> None:
    with GlueJob(argv, "importau_bronze_ingest") as job:
        ingest_tables(job)


if __name__ == "__main__":
    main(sys.argv[1:])
