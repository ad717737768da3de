"""The two ImportAu gold tables: monthly cash flow and monthly FX-risk features.

Each table's transform runs once on a hand-built fact (and loans / quotes), conformed to its
spec (which raises on any column or type mismatch) and collected; one test compares the whole
output with the expected table, the others check one rule each on the same rows.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import builders as b
import pytest
from chispa import assert_basic_rows_equality
from pyspark.sql import Row

from glue_scripts.importau.gold_agregado_fluxo_de_caixa_mensal import (
    loan_installments_by_month,
    supplier_payments_by_month,
)
from glue_scripts.importau.gold_agregado_fluxo_de_caixa_mensal import (
    transform as cash_flow,
)
from glue_scripts.importau.gold_features_risco_cambial_mensal import (
    quote_stats_by_month,
)
from glue_scripts.importau.gold_features_risco_cambial_mensal import (
    transform as fx_features,
)
from glue_scripts.lib import quality
from glue_scripts.lib.schema import conform
from lakehouse_assets.domains.importau.specs import FLUXO_DE_CAIXA, RISCO_CAMBIAL

D = Decimal
ZERO = D("0.00")
RECONCILES = "pagamentos_reconciliam_com_silver"


def month(text: str) -> dt.date:
    return dt.date.fromisoformat(f"{text}-01")


# --- Monthly cash flow ------------------------------------------------------------------------

# Order A's installments: the source repeated the order total (600.00) in valor_pago_brl, the
# fact's valor_parcela_brl holds each installment's own amount, which is what the flow sums.
ORDER_A = [
    # Due in October but paid in November: counts in November.
    b.parcela(
        pagamento_id="PA1",
        parcela_atual=1,
        num_parcelas=4,
        status_pagamento="PAGO",
        data_vencimento="2024-10-31",
        data_pagamento="2024-11-02",
        valor_pago_brl="600.00",
        valor_parcela_brl="100.00",
    ),
    # Open: counts when due, whatever its planned payment date.
    b.parcela(
        pagamento_id="PA2",
        parcela_atual=2,
        num_parcelas=4,
        status_pagamento="PENDENTE",
        data_vencimento="2024-11-30",
        data_pagamento="2024-12-05",
        valor_pago_brl="600.00",
        valor_parcela_brl="200.00",
    ),
    b.parcela(
        pagamento_id="PA3",
        parcela_atual=3,
        num_parcelas=4,
        status_pagamento="AGENDADO",
        data_vencimento="2024-12-31",
        data_pagamento="2025-01-02",
        valor_pago_brl="600.00",
        valor_parcela_brl="250.00",
    ),
    b.parcela(
        pagamento_id="PA4",
        parcela_atual=4,
        num_parcelas=4,
        status_pagamento="CANCELADO",
        data_vencimento="2024-12-15",
        data_pagamento="2024-12-15",
        valor_pago_brl="600.00",
        valor_parcela_brl="50.00",
    ),
]
ORDER_B = [
    b.parcela(
        pagamento_id="PB1",
        status_pagamento="PAGO",
        data_vencimento="2024-11-25",
        data_pagamento="2024-11-20",
        moeda_origem="USD",
        valor_pago_brl="1000.00",
        valor_parcela_brl="1000.00",
        valor_moeda_origem="190.00",
    )
]
ORDER_D = [
    b.parcela(
        pagamento_id="PD1",
        status_pagamento="PENDENTE",
        data_vencimento="2025-03-10",
        data_pagamento="2025-03-10",
        valor_pago_brl="70.00",
        valor_parcela_brl="70.00",
    )
]


def _loan(emprestimo_id, prazo, pagas, proxima, parcela, status="ATIVO", **extra):
    return {
        "emprestimo_id": emprestimo_id,
        "prazo_meses": prazo,
        "num_parcelas_pagas": pagas,
        "data_vencimento_proxima": proxima,
        "valor_parcela_mensal": parcela,
        "status": status,
        **extra,
    }


OLD_LOAD = b.load("20241001", "2024-10-03 09:00:00")
NEW_LOAD = b.load("20241002", "2024-10-02 08:00:00")


@pytest.fixture(scope="module")
def cash_inputs(spark):
    fato = b.fato(
        spark,
        # Both items of order A carry the order's installments.
        {"item_id": "A1", "pedido_id": "PA", "qtd_parcelas": 4, "pagamentos": ORDER_A},
        {"item_id": "A2", "pedido_id": "PA", "qtd_parcelas": 4, "pagamentos": ORDER_A},
        {"item_id": "B1", "pedido_id": "PB", "moeda_negociacao": "USD", "pagamentos": ORDER_B},
        {"item_id": "C1", "pedido_id": "PC", "pagamentos": []},
        {"item_id": "D1", "pedido_id": "PD", "pagamentos": ORDER_D},
    )
    emprestimos = b.emprestimos(
        spark,
        # Installment 2 of 3 is due 2024-11-15: 1 paid in October, 3 due in December.
        _loan("EMP1", 3, 1, "2024-11-15", "1000.00"),
        # Cancelled: would otherwise show in 2026-06.
        _loan("EMP2", 1, 0, "2026-06-15", "999.00", status="CANCELADO"),
        # Latest load (ingested earlier) lowered the installment.
        _loan("EMP3", 2, 0, "2025-01-10", "500.00", **OLD_LOAD),
        _loan("EMP3", 2, 0, "2025-01-10", "400.00", **NEW_LOAD),
        # Latest load cancelled the loan: nothing in 2026-07.
        _loan("EMP4", 1, 0, "2026-07-15", "888.00", **OLD_LOAD),
        _loan("EMP4", 1, 0, "2026-07-15", "888.00", status="CANCELADO", **NEW_LOAD),
    )
    return fato, emprestimos


@pytest.fixture(scope="module")
def cash(cash_inputs):
    return cash_flow(*cash_inputs)


@pytest.fixture(scope="module")
def cash_collected(cash) -> list[Row]:
    return sorted(conform(cash, FLUXO_DE_CAIXA.payload()).collect())


@pytest.fixture(scope="module")
def cash_rows(cash_collected) -> dict[tuple[dt.date, str], Row]:
    return {(r.mes_referencia, r.moeda): r for r in cash_collected}


def _flow(mes, moeda, pagos="0", pend="0", agend="0", canc="0", loans="0", saida="0", n=0, nl=0):
    return {
        "mes_referencia": f"{mes}-01",
        "moeda": moeda,
        "pagamentos_pagos_brl": pagos,
        "pagamentos_pendentes_brl": pend,
        "pagamentos_agendados_brl": agend,
        "pagamentos_cancelados_brl": canc,
        "parcelas_emprestimos_brl": loans,
        "saida_total_brl": saida,
        "qtd_pagamentos": n,
        "qtd_parcelas_emprestimos": nl,
    }


def test_cash_flow_is_the_expected_table(spark, cash_collected):
    expected = b.table(
        spark,
        FLUXO_DE_CAIXA,
        _flow("2024-10", "BRL", loans="1000.00", saida="1000.00", nl=1),
        _flow("2024-11", "BRL", pagos="100", pend="200", loans="1000", saida="1300", n=2, nl=1),
        _flow("2024-11", "USD", pagos="1000.00", saida="1000.00", n=1),
        _flow("2024-12", "BRL", agend="250", canc="50", loans="1000", saida="1250", n=2, nl=1),
        _flow("2025-01", "BRL", loans="400.00", saida="400.00", nl=1),
        _flow("2025-02", "BRL", loans="400.00", saida="400.00", nl=1),
        _flow("2025-03", "BRL", pend="70.00", saida="70.00", n=1),
    )
    assert_basic_rows_equality(cash_collected, sorted(expected.collect()))


def test_cash_flow_reconciles_with_the_installments_of_the_fact(spark, cash_inputs, cash):
    fato, emprestimos = cash_inputs
    (rule,) = [r for r in FLUXO_DE_CAIXA.payload()["rules"] if r["name"] == RECONCILES]
    fato.createOrReplaceTempView("fato_pedido_correlacionado")
    emprestimos.createOrReplaceTempView("emprestimos")
    try:
        cash.createOrReplaceTempView(quality.THIS)
        (reconciled,) = quality.evaluate_rules(spark, [rule])
        # A month of supplier payments lost on the way: the totals differ.
        cash.where("NOT (moeda = 'USD')").createOrReplaceTempView(quality.THIS)
        (lost,) = quality.evaluate_rules(spark, [rule])
    finally:
        for view in (quality.THIS, "fato_pedido_correlacionado", "emprestimos"):
            spark.catalog.dropTempView(view)
    assert reconciled.passed, reconciled.metadata
    assert reconciled.metadata["gold_brl"] == reconciled.metadata["silver_brl"] == 1670.0
    assert not lost.passed
    assert lost.metadata["gold_brl"] == 670.0


def test_cash_flow_output_columns_and_types_are_the_specs(cash):
    conformed = conform(cash, FLUXO_DE_CAIXA.payload())
    assert conformed.columns == [c.name for c in FLUXO_DE_CAIXA.columns]


def test_installments_count_once_per_order_though_every_item_repeats_them(cash_rows):
    assert sum(r.qtd_pagamentos for r in cash_rows.values()) == 4 + 1 + 1
    november = cash_rows[(month("2024-11"), "BRL")]
    assert (november.pagamentos_pagos_brl, november.pagamentos_pendentes_brl) == (
        D("100.00"),
        D("200.00"),
    )


def test_paid_count_when_paid_and_open_when_due(cash_rows):
    # PA1 was due in October and paid in November; PA2 is due in November, planned for December.
    assert cash_rows[(month("2024-10"), "BRL")].pagamentos_pagos_brl == ZERO
    assert cash_rows[(month("2024-11"), "BRL")].pagamentos_pagos_brl == D("100.00")
    assert cash_rows[(month("2024-11"), "BRL")].pagamentos_pendentes_brl == D("200.00")
    assert cash_rows[(month("2024-12"), "BRL")].pagamentos_pendentes_brl == ZERO
    assert cash_rows[(month("2024-11"), "USD")].pagamentos_pagos_brl == D("1000.00")


def test_cancelled_payments_are_shown_but_not_an_outflow(cash_rows):
    december = cash_rows[(month("2024-12"), "BRL")]
    assert (
        december.pagamentos_agendados_brl,
        december.pagamentos_cancelados_brl,
        december.parcelas_emprestimos_brl,
        december.saida_total_brl,
        december.qtd_pagamentos,
    ) == (D("250.00"), D("50.00"), D("1000.00"), D("1250.00"), 2)


def test_months_with_only_loans_or_only_payments_have_zeros(cash_rows):
    only_loans = cash_rows[(month("2024-10"), "BRL")]
    assert (
        only_loans.pagamentos_pagos_brl,
        only_loans.pagamentos_pendentes_brl,
        only_loans.pagamentos_agendados_brl,
        only_loans.pagamentos_cancelados_brl,
        only_loans.qtd_pagamentos,
        only_loans.parcelas_emprestimos_brl,
    ) == (ZERO, ZERO, ZERO, ZERO, 0, D("1000.00"))
    only_payments = cash_rows[(month("2025-03"), "BRL")]
    assert (
        only_payments.parcelas_emprestimos_brl,
        only_payments.qtd_parcelas_emprestimos,
        only_payments.saida_total_brl,
    ) == (ZERO, 0, D("70.00"))


def test_cancelled_loans_are_left_out_and_the_latest_load_of_a_loan_wins(cash_rows):
    assert set(cash_rows) == {
        (month("2024-10"), "BRL"),
        (month("2024-11"), "BRL"),
        (month("2024-11"), "USD"),
        (month("2024-12"), "BRL"),
        (month("2025-01"), "BRL"),
        (month("2025-02"), "BRL"),
        (month("2025-03"), "BRL"),
    }
    assert cash_rows[(month("2025-01"), "BRL")].parcelas_emprestimos_brl == D("400.00")


def test_loan_installments_spread_around_the_next_due_date(spark):
    emprestimos = b.emprestimos(
        spark,
        _loan("EMP1", 3, 1, "2024-11-15", "1000.00"),
        # The month-end is kept within shorter months: 2024-01-31 + 1 month is in February.
        _loan("EMP5", 2, 0, "2024-01-31", "10.50"),
        # No term, no installments.
        _loan("EMP6", 0, 0, "2027-01-15", "77.00"),
    )
    got = sorted(loan_installments_by_month(emprestimos).collect())
    assert got == [
        (month("2024-01"), "BRL", D("10.50"), 1),
        (month("2024-02"), "BRL", D("10.50"), 1),
        (month("2024-10"), "BRL", D("1000.00"), 1),
        (month("2024-11"), "BRL", D("1000.00"), 1),
        (month("2024-12"), "BRL", D("1000.00"), 1),
    ]


def test_supplier_payments_by_month_groups_installments_by_cash_month_and_currency(cash_inputs):
    fato, _ = cash_inputs
    got = {(r.mes_referencia, r.moeda): r for r in supplier_payments_by_month(fato).collect()}
    assert {k: (r.pagamentos_pagos_brl, r.qtd_pagamentos) for k, r in got.items()} == {
        (month("2024-11"), "BRL"): (D("100.00"), 2),
        (month("2024-11"), "USD"): (D("1000.00"), 1),
        (month("2024-12"), "BRL"): (D("0.00"), 2),
        (month("2025-03"), "BRL"): (D("0.00"), 1),
    }


# --- Monthly FX-risk features -----------------------------------------------------------------


def _order(pedido_id, fornecedor, moeda, data_pedido, ptax, quote, aberto, prazo) -> dict:
    """The order-level columns of a fact row (repeated on every item of the order)."""
    return {
        "pedido_id": pedido_id,
        "fornecedor_id": fornecedor,
        "moeda_negociacao": moeda,
        "data_pedido": data_pedido,
        "taxa_ptax": ptax,
        "data_cotacao_ptax": quote,
        "valor_em_aberto_brl": aberto,
        "prazo_dias": prazo,
    }


def _items(order: dict, *items: tuple[str, str, str]) -> list[dict]:
    """Fact rows of `order`'s items, each (item_id, total in BRL, total in the currency)."""
    return [
        {**order, "item_id": i, "valor_total_item": brl, "valor_total_item_moeda_negociacao": fx}
        for i, brl, fx in items
    ]


# FUS, October: order O1 has two items; its open amount, term and PTAX repeat on both.
O1 = _order("O1", "FUS", "USD", "2024-10-04", "5.1000", "2024-10-02", "700.00", 30)
O2 = _order("O2", "FUS", "USD", "2024-10-20", "5.2500", "2024-10-07", "0.00", 60)
# FUS, November: no USD quote in the month, the October one is used.
O3 = _order("O3", "FUS", "USD", "2024-11-05", "5.2500", "2024-10-07", "1050.00", 30)
# FEU, October: one quote in the month.
O4 = _order("O4", "FEU", "EUR", "2024-10-07", "6.0000", "2024-10-04", "0.00", 15)
# A BRL supplier: no FX risk.
O5 = _order("O5", "FBR", "BRL", "2024-10-07", "1.0000", None, "300.00", 30)


def _quote(moeda, data_cotacao, ptax, variacao, **load) -> dict:
    return {
        "moeda": moeda,
        "data_cotacao": data_cotacao,
        "taxa_ptax": ptax,
        "variacao_dia_percentual": variacao,
        **load,
    }


@pytest.fixture(scope="module")
def fx_inputs(spark):
    fato = b.fato(
        spark,
        *_items(O1, ("O1A", "1000.00", "196.08"), ("O1B", "510.00", "100.00")),
        *_items(O2, ("O2A", "525.00", "100.00")),
        *_items(O3, ("O3A", "1050.00", "200.00")),
        *_items(O4, ("O4A", "600.00", "100.00")),
        *_items(O5, ("O5A", "300.00", "300.00")),
    )
    cambio = b.cambio(
        spark,
        _quote("USD", "2024-10-01", "5.0000", "2.00"),
        _quote("USD", "2024-10-02", "5.1000", "0.00"),
        # 10-07 corrected by a later load (ingested earlier): only the latest version counts.
        _quote("USD", "2024-10-07", "5.9000", "9.00", **OLD_LOAD),
        _quote("USD", "2024-10-07", "5.2500", "-2.00", **NEW_LOAD),
        _quote("EUR", "2024-10-04", "6.0000", "0.50"),
        # No supplier is paid in GBP.
        _quote("GBP", "2024-10-04", "7.0000", "0.00"),
    )
    return fato, cambio


@pytest.fixture(scope="module")
def fx(fx_inputs):
    return fx_features(*fx_inputs)


@pytest.fixture(scope="module")
def fx_collected(fx) -> list[Row]:
    return sorted(conform(fx, RISCO_CAMBIAL.payload()).collect())


@pytest.fixture(scope="module")
def fx_rows(fx_collected) -> dict[tuple[str, str, dt.date], Row]:
    return {(r.fornecedor_id, r.moeda, r.mes_referencia): r for r in fx_collected}


FUS_OCT = ("FUS", "USD", month("2024-10"))
FUS_NOV = ("FUS", "USD", month("2024-11"))
FEU_OCT = ("FEU", "EUR", month("2024-10"))


def test_fx_features_are_the_expected_table(spark, fx_collected):
    expected = b.table(
        spark,
        RISCO_CAMBIAL,
        {
            "fornecedor_id": "FUS",
            "moeda": "USD",
            "mes_referencia": "2024-10-01",
            "qtd_pedidos": 2,
            "valor_pedidos_brl": "2035.00",
            "exposicao_moeda_estrangeira": "396.08",
            "exposicao_aberta_brl": "700.00",
            # Mean over the orders (5.1000 and 5.2500), not over their items.
            "ptax_media_pedidos": "5.175000",
            "ptax_media_mes": "5.116667",  # (5.00 + 5.10 + 5.25) / 3
            "ptax_volatilidade_mes": 2.0,  # sample std-dev of 2.00, 0.00, -2.00
            "ptax_variacao_mes_percentual": 5.0,  # 5.00 -> 5.25
            "qtd_cotacoes_mes": 3,
            "prazo_medio_pagamento_dias": 45.0,
            "dias_desde_ultima_cotacao": 13,
        },
        {
            "fornecedor_id": "FUS",
            "moeda": "USD",
            "mes_referencia": "2024-11-01",
            "qtd_pedidos": 1,
            "valor_pedidos_brl": "1050.00",
            "exposicao_moeda_estrangeira": "200.00",
            "exposicao_aberta_brl": "1050.00",
            "ptax_media_pedidos": "5.250000",
            "ptax_media_mes": None,
            "ptax_volatilidade_mes": None,
            "ptax_variacao_mes_percentual": None,
            "qtd_cotacoes_mes": 0,
            "prazo_medio_pagamento_dias": 30.0,
            "dias_desde_ultima_cotacao": 29,
        },
        {
            "fornecedor_id": "FEU",
            "moeda": "EUR",
            "mes_referencia": "2024-10-01",
            "qtd_pedidos": 1,
            "valor_pedidos_brl": "600.00",
            "exposicao_moeda_estrangeira": "100.00",
            "exposicao_aberta_brl": "0.00",
            "ptax_media_pedidos": "6.000000",
            "ptax_media_mes": "6.000000",
            "ptax_volatilidade_mes": None,  # one quote: no sample std-dev
            "ptax_variacao_mes_percentual": 0.0,
            "qtd_cotacoes_mes": 1,
            "prazo_medio_pagamento_dias": 15.0,
            "dias_desde_ultima_cotacao": 3,
        },
    )
    assert_basic_rows_equality(fx_collected, sorted(expected.collect()))


def test_fx_output_columns_and_types_are_the_specs(fx):
    conformed = conform(fx, RISCO_CAMBIAL.payload())
    assert conformed.columns == [c.name for c in RISCO_CAMBIAL.columns]


def test_only_foreign_currency_suppliers(fx_rows):
    assert set(fx_rows) == {FUS_OCT, FUS_NOV, FEU_OCT}


def test_sums_per_supplier_currency_and_month(fx_rows):
    got = {key: (r.valor_pedidos_brl, r.exposicao_moeda_estrangeira) for key, r in fx_rows.items()}
    assert got == {
        FUS_OCT: (D("2035.00"), D("396.08")),
        FUS_NOV: (D("1050.00"), D("200.00")),
        FEU_OCT: (D("600.00"), D("100.00")),
    }


def test_order_level_values_count_once_per_order(fx_rows):
    row = fx_rows[FUS_OCT]
    assert (
        row.qtd_pedidos,
        row.exposicao_aberta_brl,
        row.prazo_medio_pagamento_dias,
        row.ptax_media_pedidos,
    ) == (2, D("700.00"), 45.0, D("5.175000"))


def test_quote_stats_of_the_month(fx_rows):
    row = fx_rows[FUS_OCT]
    assert (
        row.ptax_media_mes,
        row.ptax_volatilidade_mes,
        row.ptax_variacao_mes_percentual,
        row.qtd_cotacoes_mes,
        row.dias_desde_ultima_cotacao,
    ) == (D("5.116667"), 2.0, 5.0, 3, 13)


def test_month_without_quotes_has_zero_count_and_null_stats(fx_rows):
    row = fx_rows[FUS_NOV]
    assert (
        row.qtd_cotacoes_mes,
        row.ptax_media_mes,
        row.ptax_volatilidade_mes,
        row.ptax_variacao_mes_percentual,
        row.dias_desde_ultima_cotacao,
    ) == (0, None, None, None, 29)


def test_quote_stats_by_month_uses_the_latest_load_of_each_quote(fx_inputs):
    _, cambio = fx_inputs
    got = sorted(quote_stats_by_month(cambio).collect())
    assert got == [
        ("EUR", month("2024-10"), D("6.000000"), None, 0.0, 1),
        ("GBP", month("2024-10"), D("7.000000"), None, 0.0, 1),
        ("USD", month("2024-10"), D("5.116667"), 2.0, 5.0, 3),
    ]
