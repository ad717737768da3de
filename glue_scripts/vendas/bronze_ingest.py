"""Glue job `vendas_bronze_ingest`: the day's purchase change events -> bronze.

Each event lands in the partition of its transaction_date under the load date that brought
it (`transaction_date=2023-01-20/anomesdia=20240110`), so late events join the day they
happened without touching what earlier loads wrote, and a re-load replaces only its own load.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from glue_scripts.lib.bronze import ingest_tables
from glue_scripts.lib.job import GlueJob


def main(argv: Sequence[str]) -> None:
    with GlueJob(argv, "vendas_bronze_ingest") as job:
        ingest_tables(job)


if __name__ == "__main__":
    main(sys.argv[1:])
