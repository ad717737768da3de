"""`latest_by_key`: bronze keeps every load, the newest version of each key is current."""

from __future__ import annotations

from decimal import Decimal

import builders as b
from chispa import assert_basic_rows_equality

from glue_scripts.lib.transforms import latest_by_key

KEY = ["data_cotacao", "moeda"]  # a composite key: cambio's


def _quote(moeda: str, ptax: str, anomesdia: str, ingested_at: str, source_file: str) -> dict:
    return {
        "data_cotacao": "2024-10-01",
        "moeda": moeda,
        "taxa_ptax": ptax,
        **b.load(anomesdia, ingested_at, source_file),
    }


# Per key, the winner first.
NEWER_LOAD_DATE = [
    # The newer load date wins though it was ingested earlier and its file sorts first.
    _quote("USD", "5.2000", "20241002", "2024-10-02 08:00:00", "a.csv"),
    _quote("USD", "5.1000", "20241001", "2024-10-03 09:00:00", "z.csv"),
]
NEWER_INGESTION = [
    # Same load date: the later ingestion wins though its file sorts first.
    _quote("EUR", "6.2000", "20241001", "2024-10-01 07:00:00", "a.csv"),
    _quote("EUR", "6.1000", "20241001", "2024-10-01 06:00:00", "z.csv"),
]
LAST_FILE = [
    # Same load date and ingestion: the last file name wins.
    _quote("GBP", "7.2000", "20241001", "2024-10-01 06:00:00", "cambio_b.csv"),
    _quote("GBP", "7.1000", "20241001", "2024-10-01 06:00:00", "cambio_a.csv"),
]
SINGLE = [_quote("JPY", "0.0350", "20241001", "2024-10-01 06:00:00", "a.csv")]
# Same currency, another date: another key, kept.
OTHER_DATE = [
    {
        **_quote("USD", "5.0000", "20240930", "2024-09-30 06:00:00", "a.csv"),
        "data_cotacao": "2024-09-30",
    }
]


def _sorted(rows):
    return sorted(rows, key=lambda r: (r.data_cotacao, r.moeda))


def test_latest_by_key_keeps_the_newest_load_then_ingestion_then_file(spark):
    cases = [NEWER_LOAD_DATE, NEWER_INGESTION, LAST_FILE, SINGLE, OTHER_DATE]
    # Losers first in the input, so input order cannot pick the winner.
    bronze = b.cambio(spark, *(row for case in cases for row in reversed(case)))
    expected = b.cambio(spark, *(case[0] for case in cases))

    latest = bronze.transform(latest_by_key(KEY))

    assert latest.columns == bronze.columns
    assert_basic_rows_equality(_sorted(latest.collect()), _sorted(expected.collect()))


def test_latest_by_key_takes_another_order(spark):
    bronze = b.cambio(spark, *NEWER_LOAD_DATE)
    # By ingestion alone the re-ingested older load is the latest.
    latest = bronze.transform(latest_by_key(KEY, order=("ingested_at",)))
    assert [r.taxa_ptax for r in latest.collect()] == [Decimal("5.1000")]
