"""`lakehouse vendas gmv|compra` on tables published by hand (pyarrow + the commit protocol):
which snapshot answers "as known on D", and the errors that say what to do."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from glue_scripts.lib.tables import TableStore
from lakehouse_assets.cli import main

D = dt.date
GMV_SCHEMA = pa.schema(
    [
        ("data_venda", pa.date32()),
        ("subsidiaria", pa.string()),
        ("gmv", pa.decimal128(18, 2)),
        ("compras", pa.int64()),
        ("compras_pagas", pa.int64()),
        ("compras_pagas_sem_item", pa.int64()),
    ]
)


def publish_gmv(root: Path, snapshots: dict[str, list[tuple]]) -> None:
    store = TableStore(str(root), "vendas_gold", "gmv_diario_por_subsidiaria")
    rows = {}
    for day, values in snapshots.items():
        name = f"data_posicao={day}"
        if values:
            folder = Path(store.data_uri("s1", name).removeprefix("file://"))
            folder.mkdir(parents=True)
            columns = list(zip(*values, strict=True))
            table = pa.table(
                [pa.array(c, type=f.type) for c, f in zip(columns, GMV_SCHEMA, strict=True)],
                schema=GMV_SCHEMA,
            )
            pq.write_table(table, folder / "part-00000.parquet")
        rows[name] = len(values)
    store.commit("s1", ("data_posicao",), rows, replace_all=False, write_once=True)


def row(day, subsidiary, gmv, compras=1, pagas=1):
    return (day, subsidiary, Decimal(gmv), compras, pagas, 0)


@pytest.fixture
def root(tmp_path):
    publish_gmv(
        tmp_path,
        {
            "2024-01-01": [row(D(2024, 1, 1), None, "10.00")],
            "2024-01-03": [
                row(D(2023, 12, 31), "internacional", "7.50"),
                row(D(2024, 1, 1), "nacional", "10.00"),
                row(D(2024, 1, 2), "nacional", "0.00", compras=2, pagas=0),
            ],
            "2024-01-05": [],  # every purchase cancelled: nothing left to count
        },
    )
    return str(tmp_path)


def gmv(capsys, root, *args) -> tuple[int, list[str], str]:
    code = main(["vendas", "gmv", "--root", root, *args])
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err.strip()


def test_as_known_on_a_day_is_the_latest_snapshot_on_or_before_it(capsys, root):
    code, out, _ = gmv(capsys, root, "--as-of", "2024-01-04", "--month", "2024-01")
    assert code == 0
    assert out == [
        "GMV by subsidiary of 2024-01 as known on 2024-01-04 (snapshot 2024-01-03, the latest "
        "on or before it)",
        "data_venda  subsidiaria                  gmv  compras  pagas",
        "2024-01-01  nacional                   10.00        1      1",
        "2024-01-02  nacional                    0.00        2      0",
        "total by subsidiary:",
        "  nacional                             10.00",
        "  all                                  10.00",
    ]


def test_a_purchase_without_subsidiary_yet_is_shown_apart(capsys, root):
    code, out, _ = gmv(capsys, root, "--as-of", "2024-01-02")
    assert code == 0
    assert out[1:] == [
        "data_venda  subsidiaria                  gmv  compras  pagas",
        "2024-01-01  (not known yet)            10.00        1      1",
        "total by subsidiary:",
        "  (not known yet)                      10.00",
        "  all                                  10.00",
    ]


def test_today_is_the_latest_snapshot_even_when_it_is_empty(capsys, root):
    code, out, _ = gmv(capsys, root)
    assert code == 0
    assert out == [
        "GMV by subsidiary as known today (latest snapshot 2024-01-05)",
        "data_venda  subsidiaria                  gmv  compras  pagas",
        "(no purchase)",
        "total by subsidiary:",
        "  all                                   0.00",
    ]


def test_questions_that_cannot_be_answered_say_why(capsys, root, tmp_path):
    assert gmv(capsys, root, "--as-of", "2023-12-31") == (
        1,
        [],
        "nothing was known on 2023-12-31: the first snapshot of "
        "vendas_gold.gmv_diario_por_subsidiaria is 2024-01-01",
    )
    code, out, err = gmv(capsys, str(tmp_path / "empty"))
    assert (code, out) == (1, [])
    assert err.startswith("table vendas_gold.gmv_diario_por_subsidiaria has no committed data")
    assert err.endswith("materialize it first (e.g. `lakehouse run`)")
    with pytest.raises(SystemExit):
        main(["vendas", "gmv", "--as-of", "31/12/2023"])
    assert "'31/12/2023' is not a day YYYY-MM-DD" in capsys.readouterr().err


def test_the_states_of_one_purchase_mark_the_one_on_a_day(capsys, tmp_path):
    store = TableStore(str(tmp_path), "vendas_silver", "historico_estado_compra")
    folder = Path(store.data_uri("s1").removeprefix("file://"))
    folder.mkdir(parents=True)
    states = pa.table(
        {
            "purchase_id": pa.array([7, 7, 8], pa.int64()),
            "valido_de": pa.array([D(2024, 1, 1), D(2024, 1, 4), D(2024, 1, 1)]),
            "valido_ate": pa.array([D(2024, 1, 3), D(9999, 12, 31), D(9999, 12, 31)]),
            "pago": [False, True, True],
            "order_date": pa.array([D(2024, 1, 1)] * 3),
            "release_date": pa.array([None, D(2024, 1, 4), D(2024, 1, 1)], pa.date32()),
            "subsidiary": [None, "nacional", "nacional"],
            "purchase_value": pa.array(
                [Decimal("5.00"), Decimal("5.00"), None], pa.decimal128(18, 2)
            ),
        }
    )
    pq.write_table(states, folder / "part-00000.parquet")
    store.commit("s1", (), {"": 3}, replace_all=True)
    assert main(["vendas", "compra", "7", "--root", str(tmp_path), "--as-of", "2024-01-02"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "purchase 7: 2 state(s)",
        "valido_de   valido_ate  pago  order_date  release_date  subsidiary     purchase_value",
        "2024-01-01  2024-01-03  no    2024-01-01  -             -                        5.00"
        "   <- on 2024-01-02",
        "2024-01-04  9999-12-31  yes   2024-01-01  2024-01-04    nacional                 5.00",
    ]
    assert main(["vendas", "compra", "9", "--root", str(tmp_path)]) == 1
    assert capsys.readouterr().err.strip() == (
        "purchase 9 is not in vendas_silver.historico_estado_compra"
    )
