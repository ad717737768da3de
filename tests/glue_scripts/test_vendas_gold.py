"""Daily GMV snapshots (glue_scripts/vendas/gold_gmv_diario_por_subsidiaria.py): which days
a run publishes and what each snapshot says, on the statement's sample and small cases."""

from __future__ import annotations

import datetime as dt

import pytest

from glue_scripts.lib.schema import conform
from glue_scripts.vendas.gold_gmv_diario_por_subsidiaria import (
    gmv_snapshots,
    processing_day,
    snapshot_days,
)
from lakehouse_assets.domains.vendas.specs import GMV
from tests.glue_scripts.vendas_builders import states

D = dt.date


def _state(pid, start, end, order, release, subsidiary, value, load="20240110"):
    return {
        "purchase_id": pid,
        "valido_de": start,
        "valido_ate": end,
        "order_date": order,
        "release_date": release,
        "subsidiary": subsidiary,
        "purchase_value": value,
        "purchase_anomesdia": load if order else None,
        "product_item_anomesdia": load,
    }


OPEN = "9999-12-31"
# The silver states of the statement's sample (tests/glue_scripts/test_vendas_silver.py).
SAMPLE_STATES = [
    _state(55, "2023-01-20", "2023-01-22", "2023-01-20", "2023-01-20", None, "50.00"),
    _state(55, "2023-01-23", "2023-02-04", "2023-01-20", "2023-01-20", "nacional", "50.00"),
    _state(55, "2023-02-05", "2023-07-11", "2023-01-20", "2023-01-20", "nacional", "50.00"),
    _state(55, "2023-07-12", "2023-07-14", "2023-01-20", "2023-01-20", "nacional", "55.00"),
    _state(55, "2023-07-15", OPEN, "2023-01-20", "2023-03-01", "nacional", "55.00"),
    _state(56, "2023-01-25", "2023-01-25", None, None, "internacional", "2400.00"),
    _state(56, "2023-01-26", OPEN, "2023-01-25", None, "internacional", "2400.00"),
    _state(69, "2023-02-26", "2023-02-27", "2023-02-26", "2023-02-28", None, "2000.00"),
    _state(69, "2023-02-28", "2023-03-11", "2023-02-26", "2023-02-28", "nacional", "2000.00"),
    _state(69, "2023-03-12", OPEN, "2023-02-26", "2023-02-28", "internacional", "2000.00"),
]
NEWS_DAYS = [
    D(2023, 1, 20),
    D(2023, 1, 23),
    D(2023, 1, 25),
    D(2023, 1, 26),
    D(2023, 2, 5),
    D(2023, 2, 26),
    D(2023, 2, 28),
    D(2023, 3, 12),
    D(2023, 7, 12),
    D(2023, 7, 15),
]


@pytest.fixture(scope="module")
def sample(spark):
    frame = states(spark, *SAMPLE_STATES).cache()
    yield frame
    frame.unpersist()


def snapshot_rows(frame) -> list[tuple]:
    """(data_posicao, data_venda, subsidiaria, gmv, compras, pagas, pagas sem item) as text."""
    ordered = frame.orderBy("data_posicao", "data_venda", "subsidiaria").collect()
    return [
        (
            str(r.data_posicao),
            str(r.data_venda),
            r.subsidiaria,
            str(r.gmv),
            r.compras,
            r.compras_pagas,
            r.compras_pagas_sem_item,
        )
        for r in ordered
    ]


def test_the_first_run_publishes_every_day_with_news_and_the_processing_day(sample):
    assert snapshot_days(sample, [], D(2024, 1, 9)) == [*NEWS_DAYS, D(2024, 1, 9)]


def test_a_later_run_publishes_only_the_days_after_the_last_snapshot(sample):
    published = NEWS_DAYS[:8]  # up to 2023-03-12
    assert snapshot_days(sample, published, D(2024, 1, 9)) == [
        D(2023, 7, 12),
        D(2023, 7, 15),
        D(2024, 1, 9),
    ]
    # Up to the processing day only: 07-15's news waits for the run that processes 07-15.
    assert snapshot_days(sample, published, D(2023, 7, 14)) == [D(2023, 7, 12), D(2023, 7, 14)]


def test_nothing_is_published_when_the_processing_day_already_is(sample):
    assert snapshot_days(sample, [*NEWS_DAYS, D(2024, 1, 9)], D(2024, 1, 9)) == []
    assert snapshot_days(sample, [*NEWS_DAYS, D(2024, 1, 9)], D(2023, 12, 31)) == []


def test_the_sample_snapshots_are_the_gmv_worked_out_in_the_docs(sample):
    days = [*NEWS_DAYS, D(2024, 1, 9)]
    assert snapshot_rows(gmv_snapshots(sample, days)) == [
        # 55 is paid from its first event; its subsidiary is unknown until 01-23.
        ("2023-01-20", "2023-01-20", None, "50.00", 1, 1, 0),
        ("2023-01-23", "2023-01-20", "nacional", "50.00", 1, 1, 0),
        # 56's item and extra info came first: without its purchase event it has no sale day.
        ("2023-01-25", "2023-01-20", "nacional", "50.00", 1, 1, 0),
        ("2023-01-26", "2023-01-20", "nacional", "50.00", 1, 1, 0),
        ("2023-01-26", "2023-01-25", "internacional", "0.00", 1, 0, 0),
        ("2023-02-05", "2023-01-20", "nacional", "50.00", 1, 1, 0),
        ("2023-02-05", "2023-01-25", "internacional", "0.00", 1, 0, 0),
        ("2023-02-26", "2023-01-20", "nacional", "50.00", 1, 1, 0),
        ("2023-02-26", "2023-01-25", "internacional", "0.00", 1, 0, 0),
        ("2023-02-26", "2023-02-26", None, "2000.00", 1, 1, 0),
        ("2023-02-28", "2023-01-20", "nacional", "50.00", 1, 1, 0),
        ("2023-02-28", "2023-01-25", "internacional", "0.00", 1, 0, 0),
        ("2023-02-28", "2023-02-26", "nacional", "2000.00", 1, 1, 0),
        ("2023-03-12", "2023-01-20", "nacional", "50.00", 1, 1, 0),
        ("2023-03-12", "2023-01-25", "internacional", "0.00", 1, 0, 0),
        ("2023-03-12", "2023-02-26", "internacional", "2000.00", 1, 1, 0),
        # The item of 55 is re-sent with 55.00: January's GMV changes from this day on.
        ("2023-07-12", "2023-01-20", "nacional", "55.00", 1, 1, 0),
        ("2023-07-12", "2023-01-25", "internacional", "0.00", 1, 0, 0),
        ("2023-07-12", "2023-02-26", "internacional", "2000.00", 1, 1, 0),
        ("2023-07-15", "2023-01-20", "nacional", "55.00", 1, 1, 0),
        ("2023-07-15", "2023-01-25", "internacional", "0.00", 1, 0, 0),
        ("2023-07-15", "2023-02-26", "internacional", "2000.00", 1, 1, 0),
        ("2024-01-09", "2023-01-20", "nacional", "55.00", 1, 1, 0),
        ("2024-01-09", "2023-01-25", "internacional", "0.00", 1, 0, 0),
        ("2024-01-09", "2023-02-26", "internacional", "2000.00", 1, 1, 0),
    ]


def test_a_snapshot_of_one_day_matches_its_spec(sample):
    snapshot = conform(gmv_snapshots(sample, [D(2023, 3, 31)]), GMV.payload())
    assert snapshot.columns == [c.name for c in GMV.columns]
    assert snapshot_rows(snapshot) == [
        ("2023-03-31", "2023-01-20", "nacional", "50.00", 1, 1, 0),
        ("2023-03-31", "2023-01-25", "internacional", "0.00", 1, 0, 0),
        ("2023-03-31", "2023-02-26", "internacional", "2000.00", 1, 1, 0),
    ]
    empty = conform(gmv_snapshots(sample, []), GMV.payload())
    assert empty.columns == [c.name for c in GMV.columns] and empty.count() == 0


def test_cancellations_leave_the_gmv_and_paid_purchases_without_item_are_counted(spark):
    history = states(
        spark,
        # Paid on 01-02, cancelled on 01-04 (the release date is cleared).
        _state(1, "2024-01-02", "2024-01-03", "2024-01-02", "2024-01-02", "nacional", "80.00"),
        _state(1, "2024-01-04", OPEN, "2024-01-02", None, "nacional", "80.00"),
        # Paid, but its item has not arrived: counted, its value missing from the GMV.
        _state(2, "2024-01-02", OPEN, "2024-01-02", "2024-01-02", "nacional", None),
        # Another subsidiary on the same sale day.
        _state(3, "2024-01-03", OPEN, "2024-01-02", "2024-01-03", "internacional", "19.90"),
    )
    days = [D(2024, 1, 2), D(2024, 1, 3), D(2024, 1, 4)]
    assert snapshot_rows(gmv_snapshots(history, days)) == [
        ("2024-01-02", "2024-01-02", "nacional", "80.00", 2, 2, 1),
        ("2024-01-03", "2024-01-02", "internacional", "19.90", 1, 1, 0),
        ("2024-01-03", "2024-01-02", "nacional", "80.00", 2, 2, 1),
        ("2024-01-04", "2024-01-02", "internacional", "19.90", 1, 1, 0),
        ("2024-01-04", "2024-01-02", "nacional", "0.00", 2, 1, 1),
    ]


def test_a_purchase_that_changes_subsidiary_moves_between_rows(spark):
    history = states(
        spark,
        _state(1, "2024-01-01", "2024-01-02", "2024-01-01", "2024-01-01", "nacional", "10.00"),
        _state(1, "2024-01-03", OPEN, "2024-01-01", "2024-01-01", "internacional", "10.00"),
    )
    assert snapshot_rows(gmv_snapshots(history, [D(2024, 1, 2), D(2024, 1, 3)])) == [
        ("2024-01-02", "2024-01-01", "nacional", "10.00", 1, 1, 0),
        ("2024-01-03", "2024-01-01", "internacional", "10.00", 1, 1, 0),
    ]


def test_the_processing_day_is_the_day_before_the_runs_load_date(sample):
    assert processing_day({"run_partition_key": "20240110"}, sample) == D(2024, 1, 9)
    # A partitioned run of gold itself (a backfill) takes its last load date.
    assert processing_day({"partition_keys": "20240105,20240107"}, sample) == D(2024, 1, 6)


def test_without_a_load_date_the_latest_load_in_silver_decides(spark):
    history = states(
        spark,
        _state(1, "2024-01-01", "2024-01-02", "2024-01-01", None, "nacional", "1.00", "20240102"),
        _state(1, "2024-01-03", OPEN, "2024-01-01", None, "nacional", "1.00", "20240105"),
    )
    assert processing_day({}, history) == D(2024, 1, 4)
