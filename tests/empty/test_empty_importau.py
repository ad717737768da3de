"""ImportAu's silver and gold jobs with each upstream empty (committed, zero rows), one at a
time with the others holding a few rows, and all of them empty as header-only exports leave
them through the real bronze job."""

from __future__ import annotations

import pytest

from glue_scripts.importau import bronze_ingest
from glue_scripts.importau import gold_agregado_fluxo_de_caixa_mensal as cash
from glue_scripts.importau import gold_features_risco_cambial_mensal as fx
from glue_scripts.importau import silver_fato_pedido_correlacionado as silver
from glue_scripts.lib.job import BlockingCheckError
from lakehouse_assets.domains.importau import specs
from tests.empty.empty_lake import EmptyLake, checks
from tests.glue_scripts import builders as b

LOAD = "20241001"
FACT = specs.FATO.qualified_name
CASH = "importau_gold.agregado_fluxo_de_caixa_mensal"
FX = "importau_gold.features_risco_cambial_mensal"
BRONZE = {s.name: s for s in specs.BRONZE}
# A national order (BRL, paid) and an imported one (USD, open), a USD quote, a loan of two
# installments.
ROWS = {
    "fornecedores": (
        {"fornecedor_id": "FBR"},
        {"fornecedor_id": "FUS", "cnpj": None, "moeda_negociacao": "USD"},
    ),
    "produtos": ({"produto_id": "P1"},),
    "pedidos": (
        {"pedido_id": "PED1", "fornecedor_id": "FBR", "data_pedido": "2024-10-15"},
        {
            "pedido_id": "PED2",
            "fornecedor_id": "FUS",
            "data_pedido": "2024-10-16",
            "valor_total_brl": "200.00",
        },
    ),
    "itens_pedido": (
        {"item_id": "I1", "pedido_id": "PED1", "produto_id": "P1"},
        {"item_id": "I2", "pedido_id": "PED2", "produto_id": "P1", "valor_total_item": "200.00"},
    ),
    "pagamentos": (
        {"pagamento_id": "PG1", "pedido_id": "PED1", "fornecedor_id": "FBR"},
        {
            "pagamento_id": "PG2",
            "pedido_id": "PED2",
            "fornecedor_id": "FUS",
            "status_pagamento": "PENDENTE",
            "data_pagamento": None,
            "data_vencimento": "2024-11-30",
            "valor_pago_brl": "200.00",
            "moeda_origem": "USD",
            "valor_moeda_origem": "40.00",
        },
    ),
    "cambio": ({"data_cotacao": "2024-10-15", "moeda": "USD", "taxa_ptax": "5.0000"},),
    "emprestimos": ({"prazo_meses": 2, "data_vencimento_proxima": "2024-11-15"},),
}
SILVER_INPUTS = ("cambio", "fornecedores", "itens_pedido", "pagamentos", "pedidos", "produtos")
FACT_SQL = (
    "SELECT item_id, moeda_negociacao, CAST(taxa_ptax AS VARCHAR), "
    "CAST(valor_total_item_moeda_negociacao AS VARCHAR), qtd_parcelas, "
    "CAST(valor_em_aberto_brl AS VARCHAR), fornecedor_id, CAST(anomes_pedido AS VARCHAR) "
    "FROM t ORDER BY ALL"
)
CASH_SQL = (
    "SELECT CAST(mes_referencia AS VARCHAR), moeda, CAST(pagamentos_pagos_brl AS VARCHAR), "
    "CAST(pagamentos_pendentes_brl AS VARCHAR), CAST(parcelas_emprestimos_brl AS VARCHAR), "
    "CAST(saida_total_brl AS VARCHAR), qtd_pagamentos, qtd_parcelas_emprestimos "
    "FROM t ORDER BY ALL"
)
FX_SQL = (
    "SELECT fornecedor_id, moeda, CAST(mes_referencia AS VARCHAR), qtd_pedidos, "
    "CAST(valor_pedidos_brl AS VARCHAR), CAST(exposicao_moeda_estrangeira AS VARCHAR), "
    "CAST(ptax_media_mes AS VARCHAR), qtd_cotacoes_mes FROM t ORDER BY ALL"
)
FULL_FACT = [
    ("I1", "BRL", "1.0000", "100.00", 1, "0.00", "FBR", "202410"),
    ("I2", "USD", "5.0000", "40.00", 1, "200.00", "FUS", "202410"),
]
LOAN_MONTHS = [
    ("2024-11-01", "BRL", "0.00", "0.00", "1000.00", "1000.00", 0, 1),
    ("2024-12-01", "BRL", "0.00", "0.00", "1000.00", "1000.00", 0, 1),
]
FULL_CASH = [
    ("2024-11-01", "BRL", "100.00", "0.00", "1000.00", "1100.00", 1, 1),
    ("2024-11-01", "USD", "0.00", "200.00", "0.00", "200.00", 1, 0),
    ("2024-12-01", "BRL", "0.00", "0.00", "1000.00", "1000.00", 0, 1),
]
FULL_FX = [("FUS", "USD", "2024-10-01", 1, "200.00", "40.00", "5.000000", 1)]


def _run(lake: EmptyLake, jobs: tuple[str, ...]) -> dict:
    """Run `jobs` (silver, cash, fx) in order; what each published, or the error that
    stopped silver."""
    out: dict = {}
    if "silver" in jobs:
        try:
            out["silver_checks"] = checks(lake.run(silver.main, [FACT]))
        except BlockingCheckError as err:
            out["silver_error"] = str(err)
            return out
        out["fact"] = lake.rows(FACT, FACT_SQL)
    if "cash" in jobs:
        out["cash_checks"] = checks(lake.run(cash.main, [CASH]))
        out["cash"] = lake.rows(CASH, CASH_SQL)
    if "fx" in jobs:
        out["fx_checks"] = checks(lake.run(fx.main, [FX]))
        out["fx"] = lake.rows(FX, FX_SQL)
    return out


# Each source emptied in turn (then given its rows back), and the jobs that read it.
CASES = {
    "emprestimos": ("cash",),
    "pagamentos": ("silver", "cash"),
    "cambio": ("silver", "fx"),
    "itens_pedido": ("silver", "cash", "fx"),
    "pedidos": ("silver",),
    "produtos": ("silver",),
    "fornecedores": ("silver",),
}


@pytest.fixture(scope="module")
def outcomes(spark, tmp_path_factory) -> dict[str, dict]:
    """One lake: every job with every input, then each case on a new version of its input
    that holds no rows (the others keep theirs)."""
    lake = EmptyLake(tmp_path_factory.mktemp("empty_importau"))
    frames = {name: b.bronze(spark, name, *rows) for name, rows in ROWS.items()}
    for name, frame in frames.items():
        lake.commit(BRONZE[name], frame)
    results = {"none": _run(lake, ("silver", "cash", "fx"))}
    for name, jobs in CASES.items():
        lake.commit_empty(BRONZE[name], LOAD)
        results[name] = _run(lake, jobs)
        lake.commit(BRONZE[name], frames[name])
    return results


def failed(result: dict, step: str) -> set[str]:
    return {name.split(":")[1] for name, ok in result[f"{step}_checks"].items() if not ok}


def test_with_every_input_the_jobs_publish_the_full_tables(outcomes):
    full = outcomes["none"]
    assert full["fact"] == FULL_FACT
    assert full["cash"] == FULL_CASH
    assert full["fx"] == FULL_FX
    assert failed(full, "silver") == failed(full, "cash") == failed(full, "fx") == set()


def test_no_fx_rates_flags_the_foreign_items_and_gold_has_no_quote_statistics(outcomes):
    result = outcomes["cambio"]
    # I2 is in USD and has no PTAX: flagged by the WARN check, its foreign value unknown.
    assert result["fact"] == [
        FULL_FACT[0],
        ("I2", "USD", None, None, 1, "200.00", "FUS", "202410"),
    ]
    assert failed(result, "silver") == {"ptax_disponivel"}
    assert result["fx"] == [("FUS", "USD", "2024-10-01", 1, "200.00", None, None, 0)]
    assert failed(result, "fx") == set()


def test_no_items_gives_an_empty_fact_and_gold_of_the_other_inputs(outcomes):
    result = outcomes["itens_pedido"]
    assert result["fact"] == []
    assert failed(result, "silver") == set()
    # Over zero rows the reconciliations hold: zero payments in gold, zero in silver.
    assert result["cash"] == LOAN_MONTHS
    assert failed(result, "cash") == set()
    assert result["fx"] == []
    assert failed(result, "fx") == set()


def test_no_loans_leaves_only_supplier_payments_in_the_cash_flow(outcomes):
    result = outcomes["emprestimos"]
    assert result["cash"] == [
        ("2024-11-01", "BRL", "100.00", "0.00", "0.00", "100.00", 1, 0),
        ("2024-11-01", "USD", "0.00", "200.00", "0.00", "200.00", 1, 0),
    ]
    assert failed(result, "cash") == set()


def test_no_payments_gives_items_without_installments(outcomes):
    result = outcomes["pagamentos"]
    assert result["fact"] == [
        ("I1", "BRL", "1.0000", "100.00", 0, "0.00", "FBR", "202410"),
        ("I2", "USD", "5.0000", "40.00", 0, "0.00", "FUS", "202410"),
    ]
    assert result["cash"] == LOAN_MONTHS
    assert failed(result, "silver") == failed(result, "cash") == set()


def test_items_whose_orders_products_or_suppliers_are_missing_are_refused(outcomes):
    # Items that point at rows an empty source does not hold break referential integrity:
    # the fact is not published and the check says which reference is missing.
    for case, check in (
        ("pedidos", "pedido_existe"),
        ("produtos", "produto_existe"),
        ("fornecedores", "fornecedor_existe"),
    ):
        error = outcomes[case]["silver_error"]
        assert f"{check} failed on" in error, (case, error)


def test_every_input_empty_gives_empty_tables_and_passing_checks(header_only):
    result = header_only
    assert result["fact"] == result["cash"] == result["fx"] == []
    assert failed(result, "silver") == failed(result, "cash") == failed(result, "fx") == set()


@pytest.fixture(scope="module")
def header_only(spark, tmp_path_factory) -> dict:
    """Every source's first export holds only its header: the real bronze job, then the rest."""
    lake = EmptyLake(tmp_path_factory.mktemp("empty_importau_bronze"))
    for spec in specs.BRONZE:
        header = ",".join(c.name for c in spec.columns[:-3])
        folder = lake.landing / spec.name / f"anomesdia={LOAD}"
        folder.mkdir(parents=True)
        (folder / f"{spec.name}.csv").write_text(header + "\n")
    bronze = lake.run(
        bronze_ingest.main, [s.qualified_name for s in specs.BRONZE], partition_keys=[LOAD]
    )
    return {"lake": lake, "bronze": bronze, **_run(lake, ("silver", "cash", "fx"))}


def test_a_header_only_export_commits_an_empty_load(header_only):
    lake = header_only["lake"]
    for spec in specs.BRONZE:
        version = lake.store(spec.qualified_name).require_current()
        assert {n: e.rows for n, e in version.partitions.items()} == {f"anomesdia={LOAD}": 0}
    assert failed({"bronze_checks": checks(header_only["bronze"])}, "bronze") == set()
