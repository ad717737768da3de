"""`lakehouse vendas`: GMV by subsidiary as known on a day or today, and a purchase's history.

Both read the published tables' current versions (lakehouse_assets/table_reader.py):

    lakehouse vendas gmv --month 2023-01 --as-of 2023-03-31   # as known at the end of 03-31
    lakehouse vendas gmv --month 2023-01                      # as known today
    lakehouse vendas compra 55 [--as-of 2023-03-31]           # states of one purchase
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING

from glue_scripts.lib.tables import TableNotFoundError
from lakehouse_assets.settings import Settings

if TYPE_CHECKING:
    from lakehouse_assets.table_reader import PublishedTable

GOLD = ("vendas_gold", "gmv_diario_por_subsidiaria")
SILVER = ("vendas_silver", "historico_estado_compra")
SNAPSHOT = "data_posicao"
NO_SUBSIDIARY = "(not known yet)"


class AnswerError(LookupError):
    """The question cannot be answered from what is published; the message says why."""


def snapshot_for(table: PublishedTable, as_of: dt.date | None) -> str:
    """The partition answering "as known on `as_of`": the latest snapshot on or before it."""
    days = sorted(name.split("=", 1)[1] for name in table.partitions())
    if not days:
        raise AnswerError(f"{table.name} has no snapshot yet; run the vendas domain first")
    if as_of is None:
        return days[-1]
    known = [day for day in days if day <= as_of.isoformat()]
    if not known:
        raise AnswerError(
            f"nothing was known on {as_of}: the first snapshot of {table.name} is {days[0]}"
        )
    return known[-1]


def gmv_rows(table: PublishedTable, snapshot: str, month: str | None) -> list[dict]:
    """The snapshot's rows, of one month of sale days if given, by sale day and subsidiary."""
    data = table.read(f"{SNAPSHOT}={snapshot}")
    rows = data.to_pylist() if data is not None else []
    if month:
        rows = [r for r in rows if r["data_venda"].isoformat()[:7] == month]
    return sorted(rows, key=lambda r: (r["data_venda"], r["subsidiaria"] or ""))


def render_gmv(rows: list[dict], snapshot: str, as_of: dt.date | None, month: str | None) -> str:
    when = f"as known today (latest snapshot {snapshot})"
    if as_of is not None:
        when = f"as known on {as_of} (snapshot {snapshot}, the latest on or before it)"
    lines = [f"GMV by subsidiary{f' of {month}' if month else ''} {when}"]
    header = f"{'data_venda':<12}{'subsidiaria':<18}{'gmv':>14}{'compras':>9}{'pagas':>7}"
    lines.append(header)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        subsidiary = row["subsidiaria"] or NO_SUBSIDIARY
        totals[subsidiary] += row["gmv"]
        lines.append(
            f"{row['data_venda'].isoformat():<12}{subsidiary:<18}{row['gmv']:>14}"
            f"{row['compras']:>9}{row['compras_pagas']:>7}"
        )
    if not rows:
        lines.append("(no purchase)")
    lines.append("total by subsidiary:")
    lines += [f"  {name:<28}{totals[name]:>14}" for name in sorted(totals)]
    lines.append(f"  {'all':<28}{sum(totals.values(), Decimal('0.00')):>14}")
    return "\n".join(lines)


def render_states(rows: list[dict], purchase_id: int, as_of: dt.date | None) -> str:
    lines = [f"purchase {purchase_id}: {len(rows)} state(s)"]
    lines.append(
        f"{'valido_de':<12}{'valido_ate':<12}{'pago':<6}{'order_date':<12}"
        f"{'release_date':<14}{'subsidiary':<15}{'purchase_value':>14}"
    )
    for row in rows:
        on_day = as_of is not None and row["valido_de"] <= as_of <= row["valido_ate"]
        values = [
            row["valido_de"].isoformat(),
            row["valido_ate"].isoformat(),
            "yes" if row["pago"] else "no",
            row["order_date"].isoformat() if row["order_date"] else "-",
            row["release_date"].isoformat() if row["release_date"] else "-",
            row["subsidiary"] or "-",
        ]
        value = row["purchase_value"] if row["purchase_value"] is not None else "-"
        line = f"{values[0]:<12}{values[1]:<12}{values[2]:<6}{values[3]:<12}{values[4]:<14}"
        line += f"{values[5]:<15}{value:>14}"
        lines.append(line + ("   <- on " + as_of.isoformat() if on_day else ""))
    return "\n".join(lines)


def _root(args: argparse.Namespace) -> str:
    return args.root or Settings.from_env().root


def _gmv(args: argparse.Namespace) -> int:
    from lakehouse_assets.table_reader import PublishedTable  # pyarrow: only when asked

    table = PublishedTable(_root(args), *GOLD)
    snapshot = snapshot_for(table, args.as_of)
    print(render_gmv(gmv_rows(table, snapshot, args.month), snapshot, args.as_of, args.month))
    return 0


def _compra(args: argparse.Namespace) -> int:
    from lakehouse_assets.table_reader import PublishedTable

    table = PublishedTable(_root(args), *SILVER)
    data = table.read(filters=[("purchase_id", "=", args.purchase_id)])
    rows = sorted(data.to_pylist() if data is not None else [], key=lambda r: r["valido_de"])
    if not rows:
        raise AnswerError(f"purchase {args.purchase_id} is not in {table.name}")
    print(render_states(rows, args.purchase_id, args.as_of))
    return 0


def _answer(command):
    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except (AnswerError, TableNotFoundError) as err:
            print(err, file=sys.stderr)
            return 1

    return run


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day YYYY-MM-DD") from err


def _month(text: str) -> str:
    try:
        dt.date.fromisoformat(f"{text}-01")
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"{text!r} is not a month YYYY-MM") from err
    return text


def add_commands(sub: argparse._SubParsersAction) -> None:
    vendas = sub.add_parser("vendas", help="GMV as known on a day, a purchase's history")
    commands = vendas.add_subparsers(dest="vendas_command", required=True)
    gmv = commands.add_parser("gmv", help="GMV by sale day and subsidiary, as known on a day")
    gmv.add_argument("--as-of", type=_day, help="as known at the end of this day (default: today)")
    gmv.add_argument("--month", type=_month, help="only sale days of this month (YYYY-MM)")
    gmv.add_argument("--root", help="storage root (LAKEHOUSE_ROOT)")
    gmv.set_defaults(func=_answer(_gmv))
    compra = commands.add_parser("compra", help="the states of one purchase over time")
    compra.add_argument("purchase_id", type=int)
    compra.add_argument("--as-of", type=_day, help="mark the state on this day")
    compra.add_argument("--root", help="storage root (LAKEHOUSE_ROOT)")
    compra.set_defaults(func=_answer(_compra))
