"""Tests of the ImportAu synthetic CSV generator against the shape of the real exports."""

from __future__ import annotations

import csv
import datetime as dt
import re
import time
from collections import Counter, defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd
import pytest

from lakehouse_assets.domains.importau import generator
from lakehouse_assets.domains.importau.generator import SOURCES, generate

REAL_DIR = Path("/work/shared/data/importau_csv_exports")

DATE = r"\d{4}-\d{2}-\d{2}"
INT = r"\d+"


def _dec(places: int, signed: bool = False) -> str:
    return ("-?" if signed else "") + r"\d+\." + r"\d" * places


# Expected value format of every formatted column, checked on generated and real files alike.
FORMATS: dict[str, dict[str, str]] = {
    "cambio": {
        "data_cotacao": DATE,
        "moeda": "USD|EUR|JPY|GBP|CAD",
        "taxa_compra": _dec(4),
        "taxa_venda": _dec(4),
        "taxa_ptax": _dec(4),
        "variacao_dia_percentual": _dec(2, signed=True),
        "fonte": "SISBACEN",
        "tipo_cambio": "COMERCIAL",
        "hora_atualizacao": r"\d{2}:\d{2}:\d{2}",
    },
    "emprestimos": {
        "emprestimo_id": r"EMP\d{3,}",
        "data_contratacao": DATE,
        "valor_principal_brl": _dec(2),
        "taxa_juros_anual": _dec(1),
        "prazo_meses": INT,
        "valor_parcela_mensal": _dec(2),
        "saldo_devedor": _dec(2),
        "status": "ATIVO",
        "data_vencimento_proxima": DATE,
        "num_parcelas_pagas": INT,
        "usuario_responsavel": r"[a-z]+\.[a-z]+",
    },
    "fornecedores": {
        "fornecedor_id": r"FORN\d{3,}",
        "cnpj": r"\d{2}\.\d{3}\.\d{3}/0001-\d{2}|--",
        "rating": "A\\+|A|A-|B\\+|B",
        "tempo_parceria_anos": INT,
        "condicoes_pagamento": r"\d+(-\d+)? dias",
        "moeda_negociacao": "BRL|USD|EUR|JPY|GBP|CAD",
        "contato_email": r"[a-z]+@[a-z0-9]+(\.[a-z]+)+",
        "telefone": r"\+\d{1,2}-\d{1,3}-\d{3,4}-\d{4}",
    },
    "itens_pedido": {
        "item_id": r"ITEM\d{3,}",
        "pedido_id": r"PED\d{3,}",
        "produto_id": r"PROD\d{3,}",
        "quantidade": INT,
        "preco_unitario": _dec(2),
        "desconto_percentual": _dec(1),
        "valor_total_item": _dec(2),
        "data_inclusao": DATE,
    },
    "pagamentos": {
        "pagamento_id": r"PAG\d{3,}",
        "pedido_id": r"PED\d{3,}",
        "fornecedor_id": r"FORN\d{3,}",
        "data_pagamento": DATE,
        "valor_pago_brl": _dec(2),
        "metodo_pagamento": "BOLETO|TRANSFERENCIA|CARTAO_CREDITO|PIX",
        "status_pagamento": "PAGO|PENDENTE|AGENDADO|CANCELADO",
        "taxa_cambio_aplicada": _dec(4),
        "moeda_origem": "BRL|USD|EUR|JPY|GBP|CAD",
        "valor_moeda_origem": _dec(2),
        "num_parcelas": INT,
        "parcela_atual": INT,
        "data_vencimento": DATE,
        "usuario_aprovacao": r"[a-z]+\.[a-z]+",
    },
    "pedidos": {
        "pedido_id": r"PED\d{3,}",
        "data_pedido": DATE,
        "fornecedor_id": r"FORN\d{3,}",
        "valor_total_brl": _dec(2),
        "status": "ENTREGUE|EM_TRANSITO|PENDENTE|CANCELADO",
        "tipo_pagamento": "BOLETO|TRANSFERENCIA|CARTAO_CREDITO|PIX",
        "prazo_dias": INT,
        "data_entrega_prevista": DATE,
        "usuario_criacao": r"[a-z]+\.[a-z]+",
    },
    "produtos": {
        "produto_id": r"PROD\d{3,}",
        "fornecedor_id": r"FORN\d{3,}",
        "preco_unitario_brl": _dec(2),
        "moeda_origem": "BRL|USD|EUR|JPY|GBP|CAD",
        "preco_origem": _dec(2),
        "unidade_medida": "[A-Z0-9]+",
        "peso_kg": r"\d+\.\d{1,2}",
        "estoque_atual": INT,
        "estoque_minimo": INT,
        "lead_time_dias": INT,
    },
}


def _read(root: Path, source: str) -> tuple[list[str], list[dict[str, str]]]:
    # Generated files live in <root>/<source>/, the real exports side by side in one folder.
    path = root / f"{source}.csv" if root == REAL_DIR else root / source / f"{source}.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        return header, [dict(zip(header, row, strict=True)) for row in reader]


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _cents(text: str) -> int:
    return int(Decimal(text) * 100)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int], list[str]]:
    out = tmp_path_factory.mktemp("importau30")
    messages: list[str] = []
    counts = generate(out, scale=30, seed=42, progress=messages.append)
    return out, counts, messages


@pytest.fixture(scope="module")
def data(small) -> dict[str, list[dict[str, str]]]:
    return {source: _read(small[0], source)[1] for source in SOURCES}


@pytest.fixture(scope="module")
def medium(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int], float]:
    out = tmp_path_factory.mktemp("importau200k")
    # Small chunks make this run cross several chunk boundaries.
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(generator, "_CHUNK_ORDERS", 50_000)
        start = time.perf_counter()
        counts = generate(out, scale=200_000, seed=7)
        elapsed = time.perf_counter() - start
    return out, counts, elapsed


# --- file layout -----------------------------------------------------------------------------


def test_layout_counts_and_progress(small) -> None:
    out, counts, messages = small
    assert list(counts) == list(SOURCES)
    for source in SOURCES:
        lines = (out / source / f"{source}.csv").read_bytes().split(b"\n")
        assert lines[-1] == b""
        assert len(lines) - 2 == counts[source]
    assert len(messages) == len(SOURCES)
    assert {m.split(":")[0] for m in messages} == set(SOURCES)


@pytest.mark.parametrize("source", SOURCES)
def test_headers_match_real_exports(small, source: str) -> None:
    if not REAL_DIR.is_dir():
        pytest.skip("real ImportAu exports not available")
    real_header, _ = _read(REAL_DIR, source)
    header, _ = _read(small[0], source)
    assert header == real_header
    assert tuple(header) == generator.HEADERS[source]


@pytest.mark.parametrize("source", SOURCES)
def test_plain_utf8_csv_without_quoting(small, source: str) -> None:
    raw = (small[0] / source / f"{source}.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert b"\r" not in raw and b'"' not in raw
    text = raw.decode("utf-8")
    lines = text.split("\n")[:-1]
    width = len(generator.HEADERS[source])
    assert all(line.count(",") == width - 1 for line in lines)


def test_accents_are_utf8(small) -> None:
    text = "".join(
        (small[0] / s / f"{s}.csv").read_text(encoding="utf-8")
        for s in ("fornecedores", "produtos", "emprestimos")
    )
    for word in ("Eletrônicos", "Memória", "Mineração", "Crédito"):
        assert word in text
    assert re.search(r"[áâãçéêíóôõú]", text)


@pytest.mark.parametrize("source", SOURCES)
def test_value_formats(small, source: str) -> None:
    for row in _read(small[0], source)[1]:
        for column, pattern in FORMATS[source].items():
            assert re.fullmatch(pattern, row[column]), (source, column, row[column])


@pytest.mark.parametrize("source", SOURCES)
def test_value_formats_describe_real_exports(source: str) -> None:
    if not REAL_DIR.is_dir():
        pytest.skip("real ImportAu exports not available")
    for row in _read(REAL_DIR, source)[1]:
        for column, pattern in FORMATS[source].items():
            assert re.fullmatch(pattern, row[column]), (source, column, row[column])


def test_dates_are_valid(data) -> None:
    for source, rows in data.items():
        for column, pattern in FORMATS[source].items():
            if pattern == DATE:
                for row in rows:
                    _date(row[column])


# --- scale 30 shape --------------------------------------------------------------------------


def test_row_counts_at_scale_30(small) -> None:
    counts = small[1]
    assert counts["pedidos"] == 30
    assert counts["fornecedores"] == counts["produtos"] == counts["emprestimos"] == 30
    assert 32 <= counts["itens_pedido"] <= 60
    assert 20 <= counts["pagamentos"] <= 45
    assert 20 <= counts["cambio"] <= 45


def test_ids_are_sequential_and_padded(data) -> None:
    assert [r["pedido_id"] for r in data["pedidos"]] == [f"PED{i:03d}" for i in range(1, 31)]
    for source, key, prefix in (
        ("itens_pedido", "item_id", "ITEM"),
        ("pagamentos", "pagamento_id", "PAG"),
        ("fornecedores", "fornecedor_id", "FORN"),
        ("produtos", "produto_id", "PROD"),
        ("emprestimos", "emprestimo_id", "EMP"),
    ):
        ids = [r[key] for r in data[source]]
        assert ids == [f"{prefix}{i:03d}" for i in range(1, len(ids) + 1)]


def test_order_dates_like_the_real_export(data) -> None:
    days = [_date(r["data_pedido"]) for r in data["pedidos"]]
    assert days[0] == dt.date(2024, 10, 15)
    assert days == [days[0] + dt.timedelta(days=i) for i in range(30)]


def test_foreign_keys_resolve(data) -> None:
    orders = {r["pedido_id"] for r in data["pedidos"]}
    products = {r["produto_id"] for r in data["produtos"]}
    suppliers = {r["fornecedor_id"] for r in data["fornecedores"]}
    assert {r["pedido_id"] for r in data["itens_pedido"]} <= orders
    assert {r["produto_id"] for r in data["itens_pedido"]} <= products
    assert {r["pedido_id"] for r in data["pagamentos"]} <= orders
    for source in ("pedidos", "pagamentos", "produtos"):
        assert {r["fornecedor_id"] for r in data[source]} <= suppliers
    assert {r["pedido_id"] for r in data["itens_pedido"]} == orders
    by_order = {r["pedido_id"]: r["fornecedor_id"] for r in data["pedidos"]}
    assert all(by_order[r["pedido_id"]] == r["fornecedor_id"] for r in data["pagamentos"])


def test_suppliers_cnpj_and_contacts(data) -> None:
    rows = data["fornecedores"]
    foreign = [r for r in rows if r["pais_origem"] != "Brasil"]
    brazilian = [r for r in rows if r["pais_origem"] == "Brasil"]
    assert foreign and brazilian
    assert all(r["cnpj"] == "--" and r["moeda_negociacao"] != "BRL" for r in foreign)
    assert all(r["cnpj"] != "--" and r["moeda_negociacao"] == "BRL" for r in brazilian)
    assert all(r["telefone"].startswith("+55-") for r in brazilian)
    assert len({r["cnpj"] for r in brazilian}) == len(brazilian)


def test_products_follow_their_supplier(data) -> None:
    suppliers = {r["fornecedor_id"]: r for r in data["fornecedores"]}
    for row in data["produtos"]:
        supplier = suppliers[row["fornecedor_id"]]
        assert row["moeda_origem"] == supplier["moeda_negociacao"]
        assert row["origem_fabricacao"] == supplier["pais_origem"]
        if row["moeda_origem"] == "BRL":
            assert row["preco_origem"] == row["preco_unitario_brl"]


def test_items_value_formula(data) -> None:
    prices = {r["produto_id"]: r["preco_unitario_brl"] for r in data["produtos"]}
    order_day = {r["pedido_id"]: r["data_pedido"] for r in data["pedidos"]}
    per_order = defaultdict(list)
    for row in data["itens_pedido"]:
        expected = (
            int(row["quantidade"])
            * Decimal(row["preco_unitario"])
            * (1 - Decimal(row["desconto_percentual"]) / 100)
        ).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        assert Decimal(row["valor_total_item"]) == expected
        assert row["preco_unitario"] == prices[row["produto_id"]]
        assert row["data_inclusao"] == order_day[row["pedido_id"]]
        per_order[row["pedido_id"]].append(row["produto_id"])
    assert all(1 <= len(p) <= 3 and len(set(p)) == len(p) for p in per_order.values())


def test_some_order_totals_differ_from_items(data) -> None:
    sums: Counter[str] = Counter()
    for row in data["itens_pedido"]:
        sums[row["pedido_id"]] += _cents(row["valor_total_item"])
    differ = [r for r in data["pedidos"] if _cents(r["valor_total_brl"]) != sums[r["pedido_id"]]]
    assert 10 <= len(differ) <= 29


def test_orders_delivery_and_notes(data) -> None:
    for row in data["pedidos"]:
        if row["status"] != "CANCELADO":
            delta = _date(row["data_entrega_prevista"]) - _date(row["data_pedido"])
            assert delta.days == int(row["prazo_dias"])
    notes = [r["observacoes"] for r in data["pedidos"] + data["itens_pedido"]]
    assert sum(n == "" for n in notes) > len(notes) / 2
    assert any(n != "" for n in notes)


def test_last_orders_have_no_payments(data) -> None:
    paid = {r["pedido_id"] for r in data["pagamentos"]}
    orders = [r["pedido_id"] for r in data["pedidos"]]
    assert orders[:24] == [o for o in orders if o in paid]


def test_installments(data) -> None:
    orders = {r["pedido_id"]: r for r in data["pedidos"]}
    groups = defaultdict(list)
    for row in data["pagamentos"]:
        groups[row["pedido_id"]].append(row)
        assert row["data_pagamento"] == row["data_vencimento"]
        assert row["metodo_pagamento"] == orders[row["pedido_id"]]["tipo_pagamento"]
        assert row["valor_pago_brl"] == orders[row["pedido_id"]]["valor_total_brl"]
        if orders[row["pedido_id"]]["status"] == "CANCELADO":
            assert row["status_pagamento"] == "CANCELADO"
    sizes = Counter(len(rows) for rows in groups.values())
    assert sizes[1] > sizes[2] + sizes[3] and set(sizes) <= {1, 2, 3}
    for rows in groups.values():
        assert [int(r["parcela_atual"]) for r in rows] == list(range(1, len(rows) + 1))
        assert all(int(r["num_parcelas"]) == len(rows) for r in rows)
        dues = [_date(r["data_vencimento"]) for r in rows]
        for a, b in zip(dues, dues[1:], strict=False):
            assert (b.year * 12 + b.month) - (a.year * 12 + a.month) == 1


def test_payment_currency_conversion(data) -> None:
    currency = {r["fornecedor_id"]: r["moeda_negociacao"] for r in data["fornecedores"]}
    order_day = {r["pedido_id"]: r["data_pedido"] for r in data["pedidos"]}
    quotes = sorted(
        (r["data_cotacao"], r["moeda"], Decimal(r["taxa_ptax"])) for r in data["cambio"]
    )
    foreign = 0
    for row in data["pagamentos"]:
        assert row["moeda_origem"] == currency[row["fornecedor_id"]]
        paid, rate = Decimal(row["valor_pago_brl"]), Decimal(row["taxa_cambio_aplicada"])
        if row["moeda_origem"] == "BRL":
            assert row["taxa_cambio_aplicada"] == "1.0000"
            assert row["valor_moeda_origem"] == row["valor_pago_brl"]
            continue
        foreign += 1
        assert abs(Decimal(row["valor_moeda_origem"]) - paid / rate) <= Decimal("0.01")
        same = [q for q in quotes if q[1] == row["moeda_origem"]]
        before = [q for q in same if q[0] <= order_day[row["pedido_id"]]]
        ptax = (before[-1] if before else same[0])[2]
        assert abs(rate / ptax - 1) < Decimal("0.05")
    assert foreign > 0


def test_fx_quotes(data) -> None:
    rows = data["cambio"]
    last_quote = max(_date(r["data_cotacao"]) for r in rows)
    last_order = max(_date(r["data_pedido"]) for r in data["pedidos"])
    assert last_quote == dt.date(2024, 10, 30) and last_order == dt.date(2024, 11, 13)
    assert {r["moeda"] for r in rows} == {"USD", "EUR", "JPY", "GBP", "CAD"}
    days = sorted({_date(r["data_cotacao"]) for r in rows})
    weekdays = [
        days[0] + dt.timedelta(days=i)
        for i in range((days[-1] - days[0]).days + 1)
        if (days[0] + dt.timedelta(days=i)).weekday() < 5
    ]
    assert days == weekdays
    assert len(rows) < 5 * len(days)  # some currencies are missing on some days
    assert len({(r["data_cotacao"], r["moeda"]) for r in rows}) == len(rows)
    for r in rows:
        assert Decimal(r["taxa_compra"]) < Decimal(r["taxa_ptax"]) < Decimal(r["taxa_venda"])


def test_loans_are_consistent(data) -> None:
    for row in data["emprestimos"]:
        assert 0 < int(row["num_parcelas_pagas"]) < int(row["prazo_meses"])
        assert Decimal(row["saldo_devedor"]) < Decimal(row["valor_principal_brl"])
        assert _date(row["data_contratacao"]) < _date(row["data_vencimento_proxima"])


# --- determinism and arguments ---------------------------------------------------------------


def test_deterministic(small, tmp_path: Path) -> None:
    again = generate(tmp_path / "again", scale=30, seed=42)
    other = generate(tmp_path / "other", scale=30, seed=43)
    assert again == small[1]
    for source in SOURCES:
        name = f"{source}/{source}.csv"
        reference = (small[0] / name).read_bytes()
        assert (tmp_path / "again" / name).read_bytes() == reference
        assert (tmp_path / "other" / name).read_bytes() != reference
    assert other["pedidos"] == 30


@pytest.mark.parametrize("scale", [0, -1, 2.5, True])
def test_rejects_bad_scale(tmp_path: Path, scale) -> None:
    with pytest.raises(ValueError):
        generate(tmp_path, scale=scale)


def test_rejects_negative_seed(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate(tmp_path, scale=30, seed=-1)


@pytest.mark.parametrize("scale", [1, 2, 31, 97])
def test_tiny_and_odd_scales(tmp_path: Path, scale: int) -> None:
    counts = generate(tmp_path, scale=scale, seed=1)
    assert counts["pedidos"] == scale and counts["cambio"] > 0
    assert counts["pagamentos"] >= 0 and counts["itens_pedido"] >= scale


# --- medium scale ----------------------------------------------------------------------------


def _frame(root: Path, source: str) -> pd.DataFrame:
    return pd.read_csv(
        root / source / f"{source}.csv", dtype=str, keep_default_na=False, encoding="utf-8"
    )


def test_medium_scale_sizes_and_speed(medium) -> None:
    _, counts, elapsed = medium
    n = 200_000
    assert counts["pedidos"] == n
    assert 1.3 * n <= counts["itens_pedido"] <= 1.46 * n
    assert 0.95 * n <= counts["pagamentos"] <= 1.3 * n
    assert counts["fornecedores"] == 200
    assert counts["produtos"] == 666
    assert counts["emprestimos"] == 30
    assert 200 <= counts["cambio"] <= 5 * 260
    assert elapsed < 30


def test_medium_scale_consistency(medium) -> None:
    out = medium[0]
    pedidos = _frame(out, "pedidos")
    itens = _frame(out, "itens_pedido")
    pagamentos = _frame(out, "pagamentos")
    fornecedores = _frame(out, "fornecedores")
    produtos = _frame(out, "produtos")
    cambio = _frame(out, "cambio")

    assert pedidos["pedido_id"].iloc[0] == "PED000001"
    assert pedidos["pedido_id"].iloc[-1] == "PED200000"
    for frame, key, prefix in (
        (pedidos, "pedido_id", "PED"),
        (itens, "item_id", "ITEM"),
        (pagamentos, "pagamento_id", "PAG"),
    ):
        numbers = frame[key].str.slice(len(prefix)).astype(int)
        assert (numbers.diff().iloc[1:] == 1).all()
        assert frame[key].str.len().nunique() == 1

    assert itens["pedido_id"].isin(pedidos["pedido_id"]).all()
    assert itens["produto_id"].isin(produtos["produto_id"]).all()
    assert pagamentos["pedido_id"].isin(pedidos["pedido_id"]).all()
    for frame in (pedidos, pagamentos, produtos):
        assert frame["fornecedor_id"].isin(fornecedores["fornecedor_id"]).all()
    merged = pagamentos.merge(pedidos, on="pedido_id", suffixes=("", "_pedido"))
    assert (merged["fornecedor_id"] == merged["fornecedor_id_pedido"]).all()
    assert (merged["valor_pago_brl"] == merged["valor_total_brl"]).all()

    days = pd.to_datetime(pedidos["data_pedido"])
    assert days.is_monotonic_increasing
    assert days.iloc[0] == pd.Timestamp("2024-01-01")
    assert days.value_counts().median() > 5
    assert pd.to_datetime(cambio["data_cotacao"]).max() < days.max()
    paid_orders = pedidos["pedido_id"].isin(pagamentos["pedido_id"])
    assert not paid_orders.iloc[-40_000:].any()
    assert paid_orders.iloc[:160_000].all()

    item_sum = (
        itens.assign(c=(itens["valor_total_item"].astype(float) * 100).round().astype("int64"))
        .groupby("pedido_id")["c"]
        .sum()
    )
    totals = (pedidos.set_index("pedido_id")["valor_total_brl"].astype(float) * 100).round()
    share_differ = (totals.astype("int64") != item_sum.reindex(totals.index)).mean()
    assert 0.6 < share_differ < 0.8
    brazilian = fornecedores["pais_origem"] == "Brasil"
    assert (fornecedores.loc[~brazilian, "cnpj"] == "--").all()
    assert fornecedores["contato_email"].nunique() >= 170
