"""Change-event sources in bronze (glue_scripts/lib/ingest.py): the event date is a source
column and a partition, and values below a column's minimum are quarantined with the reason."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from glue_scripts.lib.fs import normalize_root
from glue_scripts.lib.ingest import LoadCounts, ingest, source_columns
from lakehouse_assets.domains.vendas.specs import PRODUCT_ITEM, PURCHASE

HEADER = "transaction_datetime,transaction_date,purchase_id,product_id,item_quantity,purchase_value"


def test_the_event_date_is_read_from_the_source_and_the_load_date_is_not():
    assert [c["name"] for c in source_columns(PURCHASE.payload())] == [
        "transaction_datetime",
        "transaction_date",
        "purchase_id",
        "buyer_id",
        "prod_item_id",
        "order_date",
        "release_date",
        "producer_id",
    ]


def test_values_below_the_minimum_and_events_without_a_day_are_quarantined(spark, tmp_path):
    lines = [
        HEADER,
        "2024-01-01 10:00:00,2024-01-01,1,41,2,100.00",
        "2024-01-01 11:00:00,2024-01-01,2,42,0,0.00",
        "2024-01-01 12:00:00,2024-01-01,3,43,1,-5.00",
        "2024-01-01 13:00:00,2024-01-01,4,44,-1,10.00",
        "2024-01-01 14:00:00,,5,45,1,10.00",
        "2024-01-01 15:00,2024-01-01,6,46,1,10.00",
    ]
    path = tmp_path / "product_item.csv"
    path.write_text("\n".join(lines) + "\n")
    loaded = ingest(
        spark, [normalize_root(str(path))], PRODUCT_ITEM.payload(), "2024-01-02 06:00:00"
    )
    try:
        rows = sorted(loaded.rows.collect(), key=lambda r: r.purchase_id)
        reasons = sorted(r.reason for r in loaded.quarantine.collect())
    finally:
        loaded.release()
    assert [
        (r.purchase_id, r.transaction_date, r.item_quantity, r.purchase_value) for r in rows
    ] == [
        (1, dt.date(2024, 1, 1), 2, Decimal("100.00")),
        (2, dt.date(2024, 1, 1), 0, Decimal("0.00")),
    ]
    assert reasons == [
        "item_quantity: '-1' is below the minimum 0",
        "purchase_value: '-5.00' is below the minimum 0",
        "transaction_date: required value is missing",
        "transaction_datetime: '2024-01-01 15:00' is not a valid timestamp",
    ]
    assert loaded.checked() == LoadCounts(landing_rows=6, quarantined_rows=4)
