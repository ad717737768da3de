"""Which orders of the correlated fact a run must recompute, from what its inputs changed.

Every row of the fact depends on its order alone: the order's items, the order, its
payments, the products of its items, the order's supplier and the PTAX of the supplier's
currency on the order date. So when the state of each input says which keys changed since
the version the fact was built from (`latest.Changes`), the orders to recompute are:

- the orders of the changed items, orders and payments, before and after the change (an
  item or a payment may move to another order);
- the orders holding an item of a changed product;
- the orders of a changed supplier;
- for a changed quote, the orders in its currency dated on or after the quote (the PTAX of
  an order is the last quote on or before its date).

Their rows are recomputed with the fact's own `transform` on only their inputs. The fact is
partitioned by the order's month: a run rewrites the months those orders were in and are in
now, carrying over the other rows of those months as they were published, and leaves every
other month as it is.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from dataclasses import dataclass
from functools import reduce

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from glue_scripts.lib.latest import Changes

# The fact's partition column, and its value for an order without a date (or an item whose
# order is missing).
MONTH = "anomes_pedido"
NO_MONTH = "000000"
# Beyond this many orders to recompute, recomputing every order costs less than the
# bookkeeping (and the list of ids stays small enough for a filter the scans push down).
MAX_ORDERS = 50_000


@dataclass(frozen=True)
class Affected:
    """The orders to recompute (None for a NULL `pedido_id`) and why, for the job's log."""

    orders: frozenset
    reasons: tuple[str, ...]


# What each input's changed rows tell, as (kind, id, day) rows of one frame: one Spark job
# collects them all (tiny inputs cost a scheduling round trip per job).
_CHANGED_IDS = {
    "itens_pedido": ("order", "pedido_id", None),
    "pedidos": ("order", "pedido_id", None),
    "pagamentos": ("order", "pedido_id", None),
    "produtos": ("product", "produto_id", None),
    "fornecedores": ("supplier", "fornecedor_id", None),
    "cambio": ("quote", "moeda", "data_cotacao"),
}


def affected_orders(
    states: Mapping[str, DataFrame], changes: Mapping[str, Changes]
) -> Affected | None:
    """The orders whose rows change, from the changes of each input; None when they are
    too many to be worth it."""
    parts = []
    for name, (kind, id_column, day_column) in _CHANGED_IDS.items():
        values = changes[name].values(*(c for c in (id_column, day_column) if c))
        if values is not None:
            day = F.col(day_column) if day_column else F.lit(None)
            parts.append(
                values.select(
                    F.lit(f"{kind}:{name}").alias("kind"),
                    F.col(id_column).cast("string").alias("id"),
                    day.cast("date").alias("day"),
                )
            )
    changed = _collect(parts, limit=MAX_ORDERS)
    if changed is None:
        return None
    orders: dict[str, set] = {}
    products, suppliers, quotes = set(), set(), set()
    for kind, value, day in changed:
        what, name = kind.split(":", 1)
        if what == "order":
            orders.setdefault(f"changed {name}", set()).add(value)
        elif what == "product" and value is not None:
            products.add(value)  # a NULL id joins nothing: the fact's joins are not null-safe
        elif what == "supplier" and value is not None:
            suppliers.add(value)
        elif what == "quote" and value is not None and day is not None:
            quotes.add((value, day))
    lookups = []
    if products:
        by_product = _matching(states["itens_pedido"], "produto_id", products, "left_semi")
        lookups.append(_tagged(by_product, "changed produtos"))
    if suppliers:
        by_supplier = _matching(states["pedidos"], "fornecedor_id", suppliers, "left_semi")
        lookups.append(_tagged(by_supplier, "changed fornecedores"))
    if quotes:
        dated = states["pedidos"].join(
            states["fornecedores"].select("fornecedor_id", "moeda_negociacao"), "fornecedor_id"
        )
        windows = _quote_windows(states["cambio"], quotes)
        # The PTAX of an order is the last quote on or before its date: a changed quote
        # matters to the orders from its date until the next quote of its currency.
        in_a_window = reduce(
            operator.or_,
            (
                (F.col("moeda_negociacao") == currency)
                & (F.col("data_pedido") >= start)
                & (F.lit(True) if end is None else F.col("data_pedido") < end)
                for currency, start, end in windows
            ),
        )
        lookups.append(_tagged(dated.where(in_a_window), "changed cambio"))
    found = _collect(lookups, limit=MAX_ORDERS)
    if found is None:
        return None
    for why, value, _ in found:
        orders.setdefault(why, set()).add(value)
    everything: set = set()
    reasons = []
    for why, ids in orders.items():
        new = ids - everything
        everything |= new
        if new:
            reasons.append(f"{len(new)} by {why}")
    if len(everything) > MAX_ORDERS:
        return None
    return Affected(frozenset(everything), tuple(reasons))


def _tagged(frame: DataFrame, why: str) -> DataFrame:
    return frame.select(
        F.lit(why).alias("kind"),
        F.col("pedido_id").alias("id"),
        F.lit(None).cast("date").alias("day"),
    )


def _collect(parts: list[DataFrame], limit: int) -> list[tuple] | None:
    """The distinct rows of `parts` together; None when there are more than `limit`."""
    if not parts:
        return []
    rows = reduce(DataFrame.unionByName, parts).distinct().limit(limit + 1).collect()
    return None if len(rows) > limit else [tuple(r) for r in rows]


def order_month(order_date: Column) -> Column:
    """The partition of an order's rows: the month of its date."""
    return F.coalesce(F.date_format(order_date, "yyyyMM"), F.lit(NO_MONTH))


def months_to_rewrite(previous: DataFrame, pedidos: DataFrame, orders: frozenset) -> list[str]:
    """The months the orders' rows were published in and the months they belong to now.

    An item is in its order's month, so rewriting these months replaces every row of the
    orders; the month of orders without a date is among them whenever there are orders (an
    item's order may be missing from `pedidos`).
    """
    if not orders:
        return []
    before = only_orders(previous, orders).select(MONTH)
    after = only_orders(pedidos, orders).select(order_month(F.col("data_pedido")).alias(MONTH))
    found = before.unionByName(after).distinct().collect()
    return sorted({row[MONTH] for row in found} | {NO_MONTH})


def only_orders(frame: DataFrame, orders: frozenset) -> DataFrame:
    """The rows of `frame` whose `pedido_id` is one of `orders` (NULL matches NULL)."""
    return _matching(frame, "pedido_id", orders, "left_semi")


def without_orders(frame: DataFrame, orders: frozenset) -> DataFrame:
    return _matching(frame, "pedido_id", orders, "left_anti")


def _matching(frame: DataFrame, column: str, values, how: str) -> DataFrame:
    """Rows of `frame` whose `column` is (`left_semi`) or is not (`left_anti`) in `values`.

    A join with the values, not `isin`: thousands of literals make the plan itself slow to
    optimize. NULL matches NULL.
    """
    spark = frame.sparkSession
    ids = spark.createDataFrame([(v,) for v in values], f"_id {_type_of(frame, column)}")
    same = F.col(column).eqNullSafe(F.col("_id"))
    present = [v for v in values if v is not None]
    if how == "left_semi" and present and None not in values:
        # The range of the ids is a filter the Parquet scan pushes down: it skips the files
        # and row groups that cannot hold any of them.
        frame = frame.where(F.col(column).between(min(present), max(present)))
    return frame.join(F.broadcast(ids), same, how)


def _type_of(frame: DataFrame, column: str) -> str:
    return frame.schema[column].dataType.simpleString()


def _quote_windows(cambio: DataFrame, quotes: set) -> list[tuple]:
    """(currency, start, end) per changed quote: from its date until the next quote of its
    currency that the current quotes hold (end None: no later quote)."""
    currencies = sorted({currency for currency, _ in quotes})
    earliest = min(day for _, day in quotes)
    later = (
        cambio.where(F.col("moeda").isin(currencies) & (F.col("data_cotacao") > earliest))
        .select("moeda", "data_cotacao")
        .distinct()
        .collect()
    )
    dates: dict = {}
    for row in later:
        dates.setdefault(row["moeda"], []).append(row["data_cotacao"])
    windows = []
    for currency, day in sorted(quotes):
        following = [d for d in dates.get(currency, ()) if d > day]
        windows.append((currency, day, min(following) if following else None))
    return windows
