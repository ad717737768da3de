"""The correlated order fact: grain, latest load, PTAX as of the order date, installments.

One hand-built scenario (each case on its own ids) goes through `transform` once; each test
checks one rule on the collected rows. The helpers get small direct tests of their own.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import builders as b
import pytest
from pyspark.sql import Row

from glue_scripts.importau.silver_fato_pedido_correlacionado import (
    current_versions,
    installment_amounts,
    payments_by_order,
    ptax_as_of,
    transform,
)
from glue_scripts.lib.schema import conform
from lakehouse_assets.domains.importau.specs import FATO

D = Decimal
ZERO = D("0.00")


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


# Ingestion of a key's two versions: the newer load (anomesdia) was ingested *before* the
# older one was re-ingested, so only the load date can pick the right version.
OLD_LOAD = b.load("20241001", "2024-10-03 09:00:00")
NEW_LOAD = b.load("20241002", "2024-10-02 08:00:00")


def _parcela(pagamento_id, pedido_id, n, k, status, amount, due, paid=None):
    return {
        "pagamento_id": pagamento_id,
        "pedido_id": pedido_id,
        "num_parcelas": n,
        "parcela_atual": k,
        "status_pagamento": status,
        "valor_pago_brl": amount,
        "valor_moeda_origem": amount,
        "data_vencimento": due,
        "data_pagamento": paid or due,
    }


@pytest.fixture(scope="module")
def scenario(spark):
    fornecedores = b.fornecedores(
        spark,
        {"fornecedor_id": "FBR", "razao_social": "Nacional Ltda", "moeda_negociacao": "BRL"},
        {**OLD_LOAD, "fornecedor_id": "FUS", "razao_social": "Old Name", "moeda_negociacao": "USD"},
        {
            **NEW_LOAD,
            "fornecedor_id": "FUS",
            "razao_social": "US Parts Inc",
            "pais_origem": "Estados Unidos",
            "moeda_negociacao": "USD",
        },
        {"fornecedor_id": "FEU", "razao_social": "Euro GmbH", "moeda_negociacao": "EUR"},
    )
    cambio = b.cambio(
        spark,
        {"moeda": "USD", "data_cotacao": "2024-10-01", "taxa_ptax": "5.0000"},
        {"moeda": "USD", "data_cotacao": "2024-10-02", "taxa_ptax": "5.1000"},
        # No USD quote from 10-03 to 10-06; the EUR quote of 10-04 must not be used for USD.
        {"moeda": "EUR", "data_cotacao": "2024-10-04", "taxa_ptax": "6.0000"},
        # The quote of 10-07 was corrected by the next load (ingested earlier), then USD stops.
        {
            **b.load("20241007", "2024-10-07 18:00:00"),
            "moeda": "USD",
            "data_cotacao": "2024-10-07",
            "taxa_ptax": "5.2000",
        },
        {
            **b.load("20241008", "2024-10-07 12:00:00"),
            "moeda": "USD",
            "data_cotacao": "2024-10-07",
            "taxa_ptax": "5.3000",
        },
        {"moeda": "GBP", "data_cotacao": "2024-10-19", "taxa_ptax": "7.0000"},
    )
    pedidos = b.pedidos(
        spark,
        {"pedido_id": "PED1", "fornecedor_id": "FBR", "valor_total_brl": "600.00"},
        {"pedido_id": "PED2", "fornecedor_id": "FBR", "valor_total_brl": "14500.75"},
        {"pedido_id": "PED3", "fornecedor_id": "FBR", "valor_total_brl": "50.00"},
        {"pedido_id": "PED4", "fornecedor_id": "FUS", "data_pedido": "2024-10-04"},
        {"pedido_id": "PED5", "fornecedor_id": "FUS", "data_pedido": "2024-10-07"},
        {"pedido_id": "PED6", "fornecedor_id": "FUS", "data_pedido": "2024-10-20"},
        {"pedido_id": "PED7", "fornecedor_id": "FUS", "data_pedido": "2024-09-30"},
        {"pedido_id": "PED8", "fornecedor_id": "FEU", "data_pedido": "2024-10-07"},
        {**OLD_LOAD, "pedido_id": "PED10", "fornecedor_id": "FBR", "status": "PENDENTE"},
        {
            **NEW_LOAD,
            "pedido_id": "PED10",
            "fornecedor_id": "FBR",
            "status": "ENTREGUE",
            "valor_total_brl": "250.00",
        },
    )
    itens = b.itens_pedido(
        spark,
        {"item_id": "IT1A", "pedido_id": "PED1", "valor_total_item": "100.00"},
        {"item_id": "IT1B", "pedido_id": "PED1", "valor_total_item": "200.00"},
        {"item_id": "IT1C", "pedido_id": "PED1", "valor_total_item": "300.00"},
        {"item_id": "IT2", "pedido_id": "PED2", "valor_total_item": "14500.75"},
        {"item_id": "IT3", "pedido_id": "PED3", "valor_total_item": "50.00"},
        {"item_id": "IT4", "pedido_id": "PED4", "valor_total_item": "1000.00"},
        {"item_id": "IT5", "pedido_id": "PED5", "valor_total_item": "1000.00"},
        {"item_id": "IT6", "pedido_id": "PED6", "valor_total_item": "530.00"},
        {"item_id": "IT7", "pedido_id": "PED7", "valor_total_item": "500.00"},
        {"item_id": "IT8", "pedido_id": "PED8", "valor_total_item": "600.00"},
        {"item_id": "IT9", "pedido_id": "PED9", "valor_total_item": "70.00"},
        {**OLD_LOAD, "item_id": "IT10", "pedido_id": "PED10", "valor_total_item": "100.00"},
        {
            **NEW_LOAD,
            "item_id": "IT10",
            "pedido_id": "PED10",
            "quantidade": 2,
            "valor_total_item": "250.00",
        },
    )
    pagamentos = b.pagamentos(
        spark,
        # PED1: three installments with their own amounts.
        _parcela("PG1A", "PED1", 3, 1, "PAGO", "200.00", "2024-11-03", "2024-11-02"),
        _parcela("PG1B", "PED1", 3, 2, "PENDENTE", "200.00", "2024-12-03"),
        _parcela("PG1C", "PED1", 3, 3, "AGENDADO", "200.00", "2025-01-03"),
        # PED2: the source quirk, both rows repeat the order total.
        _parcela("PG2A", "PED2", 2, 1, "PAGO", "14500.75", "2024-11-03"),
        _parcela("PG2B", "PED2", 2, 2, "CANCELADO", "14500.75", "2024-12-03"),
        {**OLD_LOAD, **_parcela("PG10", "PED10", 1, 1, "PENDENTE", "250.00", "2024-11-10")},
        {**NEW_LOAD, **_parcela("PG10", "PED10", 1, 1, "PAGO", "250.00", "2024-11-10")},
    )
    produtos = b.produtos(spark, {"produto_id": "PROD001", "nome_produto": "Processador"})
    loads = {
        "itens_pedido": itens,
        "pedidos": pedidos,
        "produtos": produtos,
        "fornecedores": fornecedores,
        "pagamentos": pagamentos,
        "cambio": cambio,
    }
    return transform(**current_versions(loads))


@pytest.fixture(scope="module")
def rows(scenario) -> list[Row]:
    return scenario.collect()


@pytest.fixture(scope="module")
def by_item(rows) -> dict[str, Row]:
    return {r.item_id: r for r in rows}


def test_output_columns_and_types_are_the_specs(scenario):
    # Raises on any missing, extra or mistyped column (the key serves the hashed CNPJ).
    conformed = conform(scenario, FATO.payload(), hash_key=b"k" * 32)
    assert conformed.columns == [c.name for c in FATO.columns]


def test_one_row_per_item_even_with_several_installments_and_loads(rows):
    assert sorted(r.item_id for r in rows) == sorted(
        ["IT1A", "IT1B", "IT1C", "IT2", "IT3", "IT4", "IT5", "IT6", "IT7", "IT8", "IT9", "IT10"]
    )


def test_order_payments_are_aggregated_not_multiplied_by_items(by_item):
    for item_id, total in (("IT1A", "100.00"), ("IT1B", "200.00"), ("IT1C", "300.00")):
        row = by_item[item_id]
        assert (
            row.valor_total_item,
            row.valor_total_pedido,
            row.valor_itens_pedido,
            row.qtd_parcelas,
            row.valor_pago_brl,
            row.valor_em_aberto_brl,
            row.valor_cancelado_brl,
            row.data_ultimo_vencimento,
        ) == (
            D(total),
            D("600.00"),
            D("600.00"),
            3,
            D("200.00"),
            D("400.00"),
            ZERO,
            day("2025-01-03"),
        )
        assert [p.pagamento_id for p in row.pagamentos] == ["PG1A", "PG1B", "PG1C"]
        # Own amounts (not the order total) are kept as they are.
        assert [p.valor_parcela_brl for p in row.pagamentos] == [D("200.00")] * 3


def test_latest_load_wins_even_when_ingested_before_the_older_load(by_item):
    row = by_item["IT10"]
    assert (
        row.quantidade,
        row.valor_total_item,
        row.valor_itens_pedido,
        row.status_pedido,
        row.valor_total_pedido,
        row.qtd_parcelas,
        row.valor_pago_brl,
        row.valor_em_aberto_brl,
        [p.status_pagamento for p in row.pagamentos],
    ) == (2, D("250.00"), D("250.00"), "ENTREGUE", D("250.00"), 1, D("250.00"), ZERO, ["PAGO"])
    assert (by_item["IT4"].razao_social_fornecedor, by_item["IT4"].pais_origem_fornecedor) == (
        "US Parts Inc",
        "Estados Unidos",
    )


def test_ptax_is_the_last_quote_of_the_currency_on_or_before_the_order_date(by_item):
    got = {
        item_id: (
            by_item[item_id].moeda_negociacao,
            by_item[item_id].taxa_ptax,
            by_item[item_id].data_cotacao_ptax,
            by_item[item_id].valor_total_item_moeda_negociacao,
        )
        for item_id in ("IT4", "IT5", "IT6", "IT7", "IT8")
    }
    assert got == {
        # Gap 10-03..10-06: the quote of 10-02, not the EUR quote of the order date.
        "IT4": ("USD", D("5.1000"), day("2024-10-02"), D("196.08")),  # 1000 / 5.1 = 196.078..
        # Quote of the order date itself, in its corrected (latest load) version.
        "IT5": ("USD", D("5.3000"), day("2024-10-07"), D("188.68")),  # 1000 / 5.3 = 188.679..
        # USD quotes stop on 10-07; the GBP quote of 10-19 is ignored.
        "IT6": ("USD", D("5.3000"), day("2024-10-07"), D("100.00")),
        # Ordered before the first quote: no PTAX, no conversion.
        "IT7": ("USD", None, None, None),
        "IT8": ("EUR", D("6.0000"), day("2024-10-04"), D("100.00")),
    }


def test_brl_suppliers_get_rate_one_and_no_quote_date(by_item):
    for item_id in ("IT1A", "IT3"):
        row = by_item[item_id]
        assert (row.moeda_negociacao, row.taxa_ptax, row.data_cotacao_ptax) == (
            "BRL",
            D("1.0000"),
            None,
        )
        assert row.valor_total_item_moeda_negociacao == row.valor_total_item


def test_repeated_order_total_becomes_each_installments_share(by_item):
    row = by_item["IT2"]
    assert (
        row.qtd_parcelas,
        row.valor_pago_brl,
        row.valor_em_aberto_brl,
        row.valor_cancelado_brl,
        row.data_ultimo_vencimento,
    ) == (2, D("7250.38"), ZERO, D("7250.37"), day("2024-12-03"))
    assert [p.asDict() for p in row.pagamentos] == [
        {
            "pagamento_id": "PG2A",
            "parcela_atual": 1,
            "num_parcelas": 2,
            "data_vencimento": day("2024-11-03"),
            "data_pagamento": day("2024-11-03"),
            "status_pagamento": "PAGO",
            "valor_pago_brl": D("14500.75"),
            "valor_parcela_brl": D("7250.38"),
            "moeda_origem": "BRL",
            "valor_moeda_origem": D("14500.75"),
        },
        {
            "pagamento_id": "PG2B",
            "parcela_atual": 2,
            "num_parcelas": 2,
            "data_vencimento": day("2024-12-03"),
            "data_pagamento": day("2024-12-03"),
            "status_pagamento": "CANCELADO",
            "valor_pago_brl": D("14500.75"),
            "valor_parcela_brl": D("7250.37"),
            "moeda_origem": "BRL",
            "valor_moeda_origem": D("14500.75"),
        },
    ]


def test_order_without_payments_has_zero_amounts_and_an_empty_array(by_item):
    row = by_item["IT3"]
    assert (
        row.qtd_parcelas,
        row.valor_pago_brl,
        row.valor_em_aberto_brl,
        row.valor_cancelado_brl,
        row.data_ultimo_vencimento,
        row.pagamentos,
    ) == (0, ZERO, ZERO, ZERO, None, [])


def test_item_whose_order_is_missing_is_kept_with_null_order_columns(by_item):
    row = by_item["IT9"].asDict()
    assert row["pedido_id"] == "PED9"
    assert row["valor_total_item"] == D("70.00")
    assert row["nome_produto"] == "Processador"
    order_columns = (
        "fornecedor_id",
        "data_pedido",
        "status_pedido",
        "tipo_pagamento",
        "prazo_dias",
        "data_entrega_prevista",
        "valor_total_pedido",
        "razao_social_fornecedor",
        "moeda_negociacao",
        "taxa_ptax",
        "data_cotacao_ptax",
        "valor_total_item_moeda_negociacao",
        "data_ultimo_vencimento",
    )
    assert {c: row[c] for c in order_columns} == dict.fromkeys(order_columns)
    assert (row["qtd_parcelas"], row["valor_pago_brl"], row["pagamentos"]) == (0, ZERO, [])


def test_installment_amounts_split_repeated_totals_and_keep_own_amounts(spark):
    pedidos = b.pedidos(
        spark,
        {"pedido_id": "Q3", "valor_total_brl": "100.00"},
        {"pedido_id": "Q2", "valor_total_brl": "14500.75"},
        {"pedido_id": "OWN", "valor_total_brl": "500.00"},
        {"pedido_id": "ONE", "valor_total_brl": "80.00"},
    )
    pagamentos = b.pagamentos(
        spark,
        _parcela("Q3-1", "Q3", 3, 1, "PAGO", "100.00", "2024-11-01"),
        _parcela("Q3-2", "Q3", 3, 2, "PENDENTE", "100.00", "2024-12-01"),
        _parcela("Q3-3", "Q3", 3, 3, "PENDENTE", "100.00", "2025-01-01"),
        _parcela("Q2-1", "Q2", 2, 1, "PAGO", "14500.75", "2024-11-01"),
        _parcela("Q2-2", "Q2", 2, 2, "AGENDADO", "14500.75", "2024-12-01"),
        _parcela("OWN-1", "OWN", 2, 1, "PAGO", "300.00", "2024-11-01"),
        _parcela("OWN-2", "OWN", 2, 2, "PENDENTE", "200.00", "2024-12-01"),
        _parcela("ONE-1", "ONE", 1, 1, "PAGO", "80.00", "2024-11-01"),
    )
    result = installment_amounts(pagamentos, pedidos)
    assert result.columns == [*pagamentos.columns, "valor_parcela_brl"]
    got = sorted((r.pagamento_id, r.valor_parcela_brl) for r in result.collect())
    assert got == sorted(
        [
            ("Q3-1", D("33.33")),
            ("Q3-2", D("33.33")),
            ("Q3-3", D("33.34")),  # the last installment absorbs the cents
            ("Q2-1", D("7250.38")),
            ("Q2-2", D("7250.37")),
            ("OWN-1", D("300.00")),
            ("OWN-2", D("200.00")),
            ("ONE-1", D("80.00")),
        ]
    )


def test_payments_by_order_totals_by_status(spark):
    pedidos = b.pedidos(spark, {"pedido_id": "P", "valor_total_brl": "100.00"})
    pagamentos = b.pagamentos(
        spark,
        _parcela("P-4", "P", 4, 4, "CANCELADO", "40.00", "2025-02-01"),
        _parcela("P-2", "P", 4, 2, "PENDENTE", "20.00", "2024-12-01"),
        _parcela("P-1", "P", 4, 1, "PAGO", "10.00", "2024-11-01", "2024-10-30"),
        _parcela("P-3", "P", 4, 3, "AGENDADO", "30.00", "2025-01-01"),
    )
    (row,) = payments_by_order(pagamentos, pedidos).collect()
    assert (
        row.pedido_id,
        row.qtd_parcelas,
        row.valor_pago_brl,
        row.valor_em_aberto_brl,
        row.valor_cancelado_brl,
        row.data_ultimo_vencimento,
    ) == ("P", 4, D("10.00"), D("50.00"), D("40.00"), day("2025-02-01"))
    assert [(p.pagamento_id, p.parcela_atual, p.valor_parcela_brl) for p in row.pagamentos] == [
        ("P-1", 1, D("10.00")),
        ("P-2", 2, D("20.00")),
        ("P-3", 3, D("30.00")),
        ("P-4", 4, D("40.00")),
    ]


def test_ptax_as_of_gives_one_quote_per_distinct_currency_and_date(spark):
    orders = spark.sql(
        "SELECT * FROM VALUES ('USD', DATE'2024-10-04'), ('USD', DATE'2024-10-04'), "
        "('USD', DATE'2024-10-01'), ('EUR', DATE'2024-10-05'), ('USD', DATE'2024-09-30') "
        "AS t(moeda_negociacao, data_pedido)"
    )
    cambio = b.cambio(
        spark,
        {"moeda": "USD", "data_cotacao": "2024-10-01", "taxa_ptax": "5.0000"},
        {"moeda": "USD", "data_cotacao": "2024-10-02", "taxa_ptax": "5.1000"},
        {"moeda": "EUR", "data_cotacao": "2024-10-03", "taxa_ptax": "6.0000"},
        {"moeda": "USD", "data_cotacao": "2024-10-05", "taxa_ptax": "5.5000"},
    )
    got = ptax_as_of(orders, cambio)
    assert got.columns == ["moeda_negociacao", "data_pedido", "taxa_ptax", "data_cotacao"]
    assert sorted(got.collect()) == [
        ("EUR", day("2024-10-05"), D("6.0000"), day("2024-10-03")),
        ("USD", day("2024-10-01"), D("5.0000"), day("2024-10-01")),
        ("USD", day("2024-10-04"), D("5.1000"), day("2024-10-02")),
    ]
