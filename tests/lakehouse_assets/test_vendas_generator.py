"""The vendas change-event generator: the sample's file shapes, asynchronous and corrected
events in known numbers, byte-identical output for a seed."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from lakehouse_assets.domains.vendas.generator import SOURCES, generate

SAMPLE = Path(__file__).parents[1] / "fixtures" / "vendas" / "hotmart_case_sample"


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("vendas_sample")
    counts = generate(out, scale=300, seed=42)
    events = {}
    for source in SOURCES:
        with (out / source / f"{source}.csv").open(encoding="utf-8") as handle:
            events[source] = list(csv.DictReader(handle))
    return {"out": out, "counts": counts, "events": events}


def _digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for source in SOURCES:
        digest.update((folder / source / f"{source}.csv").read_bytes())
    return digest.hexdigest()


def by_purchase(rows: list[dict]) -> dict[str, list[dict]]:
    grouped = defaultdict(list)
    for row in sorted(rows, key=lambda r: r["transaction_datetime"]):
        grouped[row["purchase_id"]].append(row)
    return grouped


def test_counts_and_headers_are_those_of_the_sample(generated):
    assert generated["counts"] == {"purchase": 406, "product_item": 314, "purchase_extra_info": 308}
    for source in SOURCES:
        expected = (SAMPLE / f"{source}.csv").read_text().splitlines()[0]
        actual = (generated["out"] / source / f"{source}.csv").read_text().splitlines()[0]
        assert actual == expected


def test_every_value_has_the_type_and_format_bronze_expects(generated):
    for rows in generated["events"].values():
        for row in rows:
            at = dt.datetime.strptime(row["transaction_datetime"], "%Y-%m-%d %H:%M:%S")
            assert row["transaction_date"] == at.date().isoformat()
            assert int(row["purchase_id"]) > 0
    for row in generated["events"]["purchase"]:
        dt.date.fromisoformat(row["order_date"])
        assert row["release_date"] == "" or dt.date.fromisoformat(row["release_date"])
        assert int(row["buyer_id"]) > 0 and int(row["producer_id"]) > 0
    for row in generated["events"]["product_item"]:
        value = Decimal(row["purchase_value"])
        assert value > 0 and value == value.quantize(Decimal("0.01"))
        assert 1 <= int(row["item_quantity"]) <= 5
    subsidiaries = {r["subsidiary"] for r in generated["events"]["purchase_extra_info"]}
    assert subsidiaries == {"nacional", "internacional"}


def test_every_purchase_has_each_source_and_no_event_key_repeats(generated):
    for rows in generated["events"].values():
        keys = [(r["purchase_id"], r["transaction_datetime"]) for r in rows]
        assert len(keys) == len(set(keys))
        assert {r["purchase_id"] for r in rows} == {str(i) for i in range(100_001, 100_301)}


def test_events_are_asynchronous_corrected_and_out_of_order(generated):
    purchases = by_purchase(generated["events"]["purchase"])
    items = by_purchase(generated["events"]["product_item"])
    extras = by_purchase(generated["events"]["purchase_extra_info"])
    releases = {k: [e["release_date"] for e in v] for k, v in purchases.items()}
    shapes = {
        "never_paid": sum(not any(r) for r in releases.values()),
        "paid_later": sum(not r[0] and any(r) for r in releases.values()),
        "cancelled": sum(any(r) and not r[-1] for r in releases.values()),
        "buyer_corrected": sum(len({e["buyer_id"] for e in v}) > 1 for v in purchases.values()),
        "value_corrected": sum(len(v) > 1 for v in items.values()),
        "subsidiary_corrected": sum(len(v) > 1 for v in extras.values()),
        "purchase_after_item": sum(
            purchases[k][0]["transaction_date"] > items[k][0]["transaction_date"] for k in items
        ),
        "item_late": sum(
            items[k][0]["transaction_date"] > purchases[k][0]["order_date"] for k in items
        ),
        "extra_info_late": sum(
            extras[k][0]["transaction_date"] > purchases[k][0]["order_date"] for k in extras
        ),
    }
    assert shapes == {
        "never_paid": 34,
        "paid_later": 82,
        "cancelled": 5,
        "buyer_corrected": 19,
        "value_corrected": 14,
        "subsidiary_corrected": 8,
        "purchase_after_item": 18,
        "item_late": 50,
        "extra_info_late": 76,
    }
    stamps = [r["transaction_datetime"] for r in generated["events"]["purchase"]]
    assert stamps != sorted(stamps)
    days = {r["transaction_date"] for rows in generated["events"].values() for r in rows}
    assert (min(days), max(days), len(days)) == ("2024-01-01", "2024-03-23", 69)


def test_the_same_seed_gives_the_same_bytes(generated, tmp_path):
    generate(tmp_path / "again", scale=300, seed=42)
    assert _digest(tmp_path / "again") == _digest(generated["out"])
    generate(tmp_path / "other", scale=300, seed=7)
    assert _digest(tmp_path / "other") != _digest(generated["out"])


@pytest.mark.parametrize(
    ("scale", "seed", "message"),
    [
        (0, 1, "scale must be a positive integer, got 0"),
        (True, 1, "scale must be a positive integer, got True"),
        (10, -1, "seed must be a non-negative integer, got -1"),
    ],
)
def test_bad_arguments_are_refused(tmp_path, scale, seed, message):
    with pytest.raises(ValueError) as err:
        generate(tmp_path, scale=scale, seed=seed)
    assert str(err.value) == message
