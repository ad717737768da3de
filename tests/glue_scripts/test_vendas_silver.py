"""The purchase state history (glue_scripts/vendas/silver_historico_estado_compra.py) on the
statement's sample and on small hand-made change-event sequences."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from glue_scripts.vendas.silver_historico_estado_compra import SOURCES, state_history, states_on
from tests.glue_scripts.vendas_builders import events, none

SAMPLE = Path(__file__).parents[1] / "fixtures" / "vendas" / "hotmart_case_sample"
MAIN = ("purchase_id", "valido_de", "valido_ate", "release_date", "subsidiary", "purchase_value")


def sample_events(spark, source: str):
    with (SAMPLE / f"{source}.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return events(
        spark,
        source,
        *(
            {"at": r.pop("transaction_datetime"), **{k: v or None for k, v in r.items()}}
            for r in rows
        ),
    )


def rows(frame, columns=MAIN) -> list[tuple]:
    """Collected rows as text tuples, ordered by purchase and start day."""
    collected = frame.orderBy("purchase_id", "valido_de").select(*columns).collect()
    return [tuple(None if v is None else str(v) for v in row) for row in collected]


@pytest.fixture(scope="module")
def sample_history(spark):
    history = state_history(*(sample_events(spark, s) for s in SOURCES)).cache()
    yield history
    history.unpersist()


def test_the_statement_sample_gives_one_state_per_period_without_news(sample_history):
    assert rows(sample_history) == [
        # 55: paid from the start; its extra info arrives 3 days later; the buyer changes on
        # 02-05, the value on 07-12 (item re-sent), the release date on 07-15.
        ("55", "2023-01-20", "2023-01-22", "2023-01-20", None, "50.00"),
        ("55", "2023-01-23", "2023-02-04", "2023-01-20", "nacional", "50.00"),
        ("55", "2023-02-05", "2023-07-11", "2023-01-20", "nacional", "50.00"),
        ("55", "2023-07-12", "2023-07-14", "2023-01-20", "nacional", "55.00"),
        ("55", "2023-07-15", "9999-12-31", "2023-03-01", "nacional", "55.00"),
        # 56: item and extra info a day before the purchase event; never paid.
        ("56", "2023-01-25", "2023-01-25", None, "internacional", "2400.00"),
        ("56", "2023-01-26", "9999-12-31", None, "internacional", "2400.00"),
        # 69: the subsidiary arrives on 02-28 and is corrected on 03-12.
        ("69", "2023-02-26", "2023-02-27", "2023-02-28", None, "2000.00"),
        ("69", "2023-02-28", "2023-03-11", "2023-02-28", "nacional", "2000.00"),
        ("69", "2023-03-12", "9999-12-31", "2023-02-28", "internacional", "2000.00"),
    ]
    flags = ("purchase_id", "valido_de", "vigente", "pago", "order_date")
    assert rows(sample_history, flags) == [
        ("55", "2023-01-20", "False", "True", "2023-01-20"),
        ("55", "2023-01-23", "False", "True", "2023-01-20"),
        ("55", "2023-02-05", "False", "True", "2023-01-20"),
        ("55", "2023-07-12", "False", "True", "2023-01-20"),
        ("55", "2023-07-15", "True", "True", "2023-01-20"),
        ("56", "2023-01-25", "False", "False", None),
        ("56", "2023-01-26", "True", "False", "2023-01-25"),
        ("69", "2023-02-26", "False", "True", "2023-02-26"),
        ("69", "2023-02-28", "False", "True", "2023-02-26"),
        ("69", "2023-03-12", "True", "True", "2023-02-26"),
    ]


def test_each_state_repeats_the_other_sources_and_names_their_events(sample_history):
    values = ("valido_de", "item_quantity", "product_id", "prod_item_id", "buyer_id_hash")
    assert rows(sample_history.where("purchase_id = 55"), values) == [
        ("2023-01-20", "10", "696969", "5", "15947"),
        ("2023-01-23", "10", "696969", "5", "15947"),
        ("2023-02-05", "10", "696969", "5", "160001"),
        ("2023-07-12", "10", "696969", "5", "160001"),
        ("2023-07-15", "10", "696969", "5", "160001"),
    ]
    versions = (
        "valido_de",
        "purchase_transaction_datetime",
        "product_item_transaction_datetime",
        "purchase_extra_info_transaction_datetime",
    )
    assert rows(sample_history.where("purchase_id = 55"), versions) == [
        ("2023-01-20", "2023-01-20 22:00:00", "2023-01-20 22:02:00", None),
        ("2023-01-23", "2023-01-20 22:00:00", "2023-01-20 22:02:00", "2023-01-23 00:05:00"),
        ("2023-02-05", "2023-02-05 10:00:00", "2023-01-20 22:02:00", "2023-01-23 00:05:00"),
        ("2023-07-12", "2023-02-05 10:00:00", "2023-07-12 09:00:00", "2023-01-23 00:05:00"),
        ("2023-07-15", "2023-07-15 09:00:00", "2023-07-12 09:00:00", "2023-01-23 00:05:00"),
    ]
    loads = sample_history.select(
        "purchase_anomesdia", "product_item_anomesdia", "purchase_extra_info_anomesdia"
    ).distinct()
    assert {tuple(r) for r in loads.collect()} == {
        (None, "20240110", "20240110"),
        ("20240110", "20240110", None),
        ("20240110", "20240110", "20240110"),
    }


def test_the_state_as_of_a_day_is_one_row_per_purchase(sample_history):
    on_march_31 = states_on(sample_history, dt.date(2023, 3, 31))
    assert rows(on_march_31) == [
        ("55", "2023-02-05", "2023-07-11", "2023-01-20", "nacional", "50.00"),
        ("56", "2023-01-26", "9999-12-31", None, "internacional", "2400.00"),
        ("69", "2023-03-12", "9999-12-31", "2023-02-28", "internacional", "2000.00"),
    ]
    assert rows(states_on(sample_history, dt.date(2023, 1, 19))) == []


def _purchase(at: str, release: str | None, load: str = "20240105", **extra):
    return {
        "at": at,
        "purchase_id": 7,
        "buyer_id": 1,
        "prod_item_id": 2,
        "order_date": "2024-01-01",
        "release_date": release,
        "producer_id": 3,
        "load": load,
        **extra,
    }


def _item(at: str, value: str, load: str = "20240105"):
    return {
        "at": at,
        "purchase_id": 7,
        "product_id": 4,
        "item_quantity": 1,
        "purchase_value": value,
        "load": load,
    }


def _extra(at: str, subsidiary: str, load: str = "20240105"):
    return {"at": at, "purchase_id": 7, "subsidiary": subsidiary, "load": load}


def test_a_late_event_fills_the_days_it_belongs_to_and_never_beats_a_newer_version(spark):
    purchase = events(
        spark,
        "purchase",
        _purchase("2024-01-01 09:00:00", None),
        _purchase("2024-01-05 10:00:00", "2024-01-05"),
        # Loaded a day later: the payment of 01-03, and an older event of 01-05.
        _purchase("2024-01-03 12:00:00", "2024-01-03", load="20240106"),
        _purchase("2024-01-05 08:00:00", None, load="20240106"),
    )
    history = state_history(
        purchase,
        events(spark, "product_item", _item("2024-01-01 09:00:00", "100.00")),
        events(spark, "purchase_extra_info", _extra("2024-01-01 09:00:00", "nacional")),
    )
    columns = ("valido_de", "valido_ate", "release_date", "pago", "purchase_anomesdia")
    assert rows(history, columns) == [
        ("2024-01-01", "2024-01-02", None, "False", "20240105"),
        ("2024-01-03", "2024-01-04", "2024-01-03", "True", "20240106"),
        ("2024-01-05", "9999-12-31", "2024-01-05", "True", "20240105"),
    ]


def test_a_resent_event_corrects_its_version_by_the_later_load(spark):
    item = events(
        spark,
        "product_item",
        _item("2024-01-02 10:00:00", "100.00", load="20240103"),
        # The same event (same transaction_datetime) re-sent with a corrected value.
        _item("2024-01-02 10:00:00", "90.00", load="20240105"),
    )
    history = state_history(
        events(spark, "purchase", _purchase("2024-01-01 09:00:00", "2024-01-01")),
        item,
        events(spark, "purchase_extra_info", _extra("2024-01-01 09:00:00", "nacional")),
    )
    columns = ("valido_de", "valido_ate", "purchase_value", "product_item_anomesdia")
    assert rows(history, columns) == [
        ("2024-01-01", "2024-01-01", None, None),
        ("2024-01-02", "9999-12-31", "90.00", "20240105"),
    ]


def test_a_silent_source_carries_its_version_forward(spark):
    purchase = events(
        spark,
        "purchase",
        _purchase("2024-01-01 09:00:00", None),
        _purchase("2024-01-04 09:00:00", "2024-01-04"),
        _purchase("2024-01-08 09:00:00", None),  # cancelled: the release date is cleared
    )
    history = state_history(
        purchase,
        events(spark, "product_item", _item("2024-01-01 09:30:00", "120.00")),
        events(spark, "purchase_extra_info", _extra("2024-01-02 11:00:00", "internacional")),
    )
    columns = (
        "valido_de",
        "valido_ate",
        "pago",
        "subsidiary",
        "purchase_value",
        "product_item_transaction_datetime",
    )
    assert rows(history, columns) == [
        ("2024-01-01", "2024-01-01", "False", None, "120.00", "2024-01-01 09:30:00"),
        ("2024-01-02", "2024-01-03", "False", "internacional", "120.00", "2024-01-01 09:30:00"),
        ("2024-01-04", "2024-01-07", "True", "internacional", "120.00", "2024-01-01 09:30:00"),
        ("2024-01-08", "9999-12-31", "False", "internacional", "120.00", "2024-01-01 09:30:00"),
    ]


def test_loads_in_any_order_give_the_same_states(spark):
    def history(first: str, second: str):
        return state_history(
            events(
                spark,
                "purchase",
                _purchase("2024-01-01 09:00:00", None, load=first),
                _purchase("2024-01-03 09:00:00", "2024-01-03", load=second),
            ),
            events(
                spark,
                "product_item",
                _item("2024-01-01 09:00:00", "10.00", load=first),
                _item("2024-01-04 09:00:00", "12.00", load=second),
            ),
            events(spark, "purchase_extra_info", _extra("2024-01-02 09:00:00", "nacional", first)),
        )

    expected = [
        ("7", "2024-01-01", "2024-01-01", None, None, "10.00"),
        ("7", "2024-01-02", "2024-01-02", None, "nacional", "10.00"),
        ("7", "2024-01-03", "2024-01-03", "2024-01-03", "nacional", "10.00"),
        ("7", "2024-01-04", "9999-12-31", "2024-01-03", "nacional", "12.00"),
    ]
    assert rows(history("20240105", "20240106")) == expected
    assert rows(history("20240106", "20240105")) == expected


def test_an_event_dated_after_its_timestamp_does_not_roll_the_state_back(spark):
    purchase = events(
        spark,
        "purchase",
        _purchase("2024-01-02 23:00:00", "2024-01-02"),
        # transaction_date says 01-03 but the event is older than the one of 01-02 23:00
        # (the WARN rule data_do_evento_coerente reports it): it never becomes current.
        {**_purchase("2024-01-02 10:00:00", None), "transaction_date": "2024-01-03"},
    )
    history = state_history(
        purchase, none(spark, "product_item"), none(spark, "purchase_extra_info")
    )
    columns = ("valido_de", "valido_ate", "release_date", "purchase_transaction_datetime")
    assert rows(history, columns) == [
        ("2024-01-02", "2024-01-02", "2024-01-02", "2024-01-02 23:00:00"),
        ("2024-01-03", "9999-12-31", "2024-01-02", "2024-01-02 23:00:00"),
    ]
