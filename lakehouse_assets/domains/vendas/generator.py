"""Deterministic synthetic purchase change events (CDC), shaped like the published sample.

`generate` writes `<out>/<source>/<source>.csv` for `purchase`, `product_item` and
`purchase_extra_info`: the change events of `scale` purchases ordered over 60 days from
2024-01-01, as one drop holding the whole history. The three sources are asynchronous, as in
production:

* the purchase event may come a day after its item and extra info (the sample's purchase 56);
* items arrive up to 4 days late, extra info up to 6 days late;
* a purchase unpaid at first may get its release date by a later event (payment), a paid one
  may lose it again (cancellation, so it leaves the GMV), a buyer may be corrected;
* an item may be re-sent weeks later with a corrected value, a subsidiary corrected;
* lines are shuffled, so files are not in event order.

Every event of one purchase and source has its own transaction_datetime, so a clean drop
quarantines nothing. The same `(scale, seed)` gives byte-identical files.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

SOURCES = ("purchase", "product_item", "purchase_extra_info")
HEADERS = {
    "purchase": (
        "transaction_datetime,transaction_date,purchase_id,buyer_id,prod_item_id,order_date,"
        "release_date,producer_id"
    ),
    "product_item": (
        "transaction_datetime,transaction_date,purchase_id,product_id,item_quantity,purchase_value"
    ),
    "purchase_extra_info": "transaction_datetime,transaction_date,purchase_id,subsidiary",
}
# `lakehouse run` fills an empty landing folder with this many purchases.
SAMPLE_SCALE = 300
FIRST_DAY = dt.date(2024, 1, 1)
ORDER_DAYS = 60
FIRST_PURCHASE_ID = 100_001
CHUNK = 50_000
PRICES = np.array([9.90, 19.90, 47.00, 97.00, 197.00, 497.00, 997.00])


def _day(offset: int) -> str:
    return (FIRST_DAY + dt.timedelta(days=int(offset))).isoformat()


def _stamp(offset: int, second: int) -> tuple[str, str]:
    """(transaction_datetime, transaction_date) of an event `offset` days after FIRST_DAY."""
    day = _day(offset)
    hours, rest = divmod(int(second), 3600)
    return f"{day} {hours:02d}:{rest // 60:02d}:{rest % 60:02d}", day


class _Draws:
    """Every random number one chunk of purchases needs, drawn at once."""

    def __init__(self, rng: np.random.Generator, n: int, producers: int):
        self.order = rng.integers(0, ORDER_DAYS, n)
        self.purchase_late = rng.random(n) < 0.10
        self.paid_now = rng.random(n) < 0.60
        self.release_lag = rng.integers(0, 3, n)
        self.pays_later = rng.random(n) < 0.75
        self.payment_lag = rng.integers(1, 11, n)
        self.cancelled = rng.random(n) < 0.04
        self.cancel_lag = rng.integers(5, 31, n)
        self.buyer_fixed = rng.random(n) < 0.05
        self.buyer_lag = rng.integers(1, 21, n)
        self.buyer = rng.integers(10_000, 1_000_000, (n, 2))
        self.producer = 500_000 + rng.integers(0, producers, n)
        self.prod_item = rng.integers(1, 1_000_000, n)
        self.product = 700_000 + rng.integers(0, max(10, producers * 3), n)
        self.quantity = rng.integers(1, 6, n)
        self.price = PRICES[rng.integers(0, len(PRICES), n)]
        self.item_lag = np.where(rng.random(n) < 0.85, 0, rng.integers(1, 5, n))
        self.value_fixed = rng.random(n) < 0.06
        self.value_lag = rng.integers(2, 46, n)
        self.value_factor = rng.integers(90, 111, n) / 100
        self.international = rng.random(n) < 0.35
        self.extra_lag = np.where(rng.random(n) < 0.70, 0, rng.integers(1, 7, n))
        self.subsidiary_fixed = rng.random(n) < 0.03
        self.subsidiary_lag = rng.integers(1, 31, n)
        self.seconds = rng.integers(0, 86_400, (n, 7))


def _purchase_events(d: _Draws, i: int, purchase_id: int) -> list[str]:
    order = int(d.order[i])
    day = order + int(d.purchase_late[i])
    release = _day(order + d.release_lag[i]) if d.paid_now[i] else ""
    buyer = int(d.buyer[i, 0])
    versions = [(day, release, buyer)]
    if not release and d.pays_later[i]:
        day += int(d.payment_lag[i])
        release = _day(day)
        versions.append((day, release, buyer))
    if release and d.cancelled[i]:
        day += int(d.cancel_lag[i])
        release = ""
        versions.append((day, release, buyer))
    if d.buyer_fixed[i]:
        day += int(d.buyer_lag[i])
        buyer = int(d.buyer[i, 1])
        versions.append((day, release, buyer))
    lines = []
    for k, (when, released, buyer_id) in enumerate(versions):
        stamp, date = _stamp(when, d.seconds[i, k])
        lines.append(
            f"{stamp},{date},{purchase_id},{buyer_id},{d.prod_item[i]},{_day(order)},"
            f"{released},{d.producer[i]}"
        )
    return lines


def _item_events(d: _Draws, i: int, purchase_id: int) -> list[str]:
    day = int(d.order[i] + d.item_lag[i])
    value = round(float(d.quantity[i] * d.price[i]), 2)
    versions = [(day, value)]
    if d.value_fixed[i]:
        versions.append((day + int(d.value_lag[i]), round(value * float(d.value_factor[i]), 2)))
    lines = []
    for k, (when, amount) in enumerate(versions):
        stamp, date = _stamp(when, d.seconds[i, 4 + k])
        lines.append(f"{stamp},{date},{purchase_id},{d.product[i]},{d.quantity[i]},{amount:.2f}")
    return lines


def _extra_events(d: _Draws, i: int, purchase_id: int) -> list[str]:
    day = int(d.order[i] + d.extra_lag[i])
    international = bool(d.international[i])
    versions = [(day, international)]
    if d.subsidiary_fixed[i]:
        versions.append((day + int(d.subsidiary_lag[i]), not international))
    lines = []
    for k, (when, abroad) in enumerate(versions):
        stamp, date = _stamp(when, d.seconds[i, 6] if k else d.seconds[i, 3])
        lines.append(f"{stamp},{date},{purchase_id},{'internacional' if abroad else 'nacional'}")
    return lines


def generate(
    out_dir: str | os.PathLike,
    scale: int = SAMPLE_SCALE,
    seed: int = 42,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Write `<out_dir>/<source>/<source>.csv` with the events of `scale` purchases; return
    the rows written per source (header excluded)."""
    if isinstance(scale, bool) or not isinstance(scale, int) or scale < 1:
        raise ValueError(f"scale must be a positive integer, got {scale!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    out = Path(out_dir)
    builders = {"purchase": _purchase_events, "product_item": _item_events}
    builders["purchase_extra_info"] = _extra_events
    handles = {}
    for source in SOURCES:
        (out / source).mkdir(parents=True, exist_ok=True)
        handles[source] = (out / source / f"{source}.csv").open("w", encoding="utf-8")
        handles[source].write(HEADERS[source] + "\n")
    counts = dict.fromkeys(SOURCES, 0)
    try:
        for start in range(0, scale, CHUNK):
            n = min(CHUNK, scale - start)
            rng = np.random.default_rng([seed, start // CHUNK])
            draws = _Draws(rng, n, producers=max(20, scale // 50))
            for source, build in builders.items():
                lines = [
                    line
                    for i in range(n)
                    for line in build(draws, i, FIRST_PURCHASE_ID + start + i)
                ]
                order = rng.permutation(len(lines))
                handles[source].write("".join(lines[k] + "\n" for k in order))
                counts[source] += len(lines)
            if progress is not None:
                progress(f"vendas: {start + n:,} of {scale:,} purchases")
    finally:
        for handle in handles.values():
            handle.close()
    return counts
