"""BIX's silver and gold jobs with each bronze source empty (committed, zero rows) in turn,
the others holding a few rows, and with all of them empty."""

from __future__ import annotations

import pytest

from glue_scripts.bix import gold_vendas_mensais, silver_vendas
from lakehouse_assets.domains.bix import specs
from tests.bix.bix_frames import LOAD, categoria, funcionario, ingestion, venda
from tests.empty.empty_lake import EmptyLake, checks

SILVER = [specs.FUNCIONARIO, specs.CATEGORIA, specs.VENDA]
GOLD = [t.qualified_name for t in specs.GOLD]
BRONZE = (specs.VENDA_BRONZE, specs.FUNCIONARIO_BRONZE, specs.CATEGORIA_BRONZE)
SALES = (
    {"id_venda": 1, "id_funcionario": 1, "id_categoria": 1, "data_venda": "2020-01-10"},
    {"id_venda": 2, "id_funcionario": 2, "id_categoria": 2, "data_venda": "2020-01-11"},
)
BY_EMPLOYEE = (
    "SELECT CAST(mes_referencia AS VARCHAR), id_funcionario, nome_funcionario, vendas, "
    "CAST(valor_total AS VARCHAR), vendas_atipicas FROM t ORDER BY ALL"
)
BY_CATEGORY = (
    "SELECT CAST(mes_referencia AS VARCHAR), id_categoria, nome_categoria, vendas, "
    "CAST(valor_total AS VARCHAR), vendas_atipicas FROM t ORDER BY ALL"
)


def _run(lake: EmptyLake) -> dict:
    out = {"silver": lake.run(silver_vendas.main, [t.qualified_name for t in SILVER])}
    out["gold"] = lake.run(gold_vendas_mensais.main, GOLD)
    for spec in SILVER:
        out[spec.name] = lake.rows(spec.qualified_name)
    out["by_employee"] = lake.rows(GOLD[0], BY_EMPLOYEE)
    out["by_category"] = lake.rows(GOLD[1], BY_CATEGORY)
    return out


@pytest.fixture(scope="module")
def outcomes(spark, tmp_path_factory) -> dict[str, dict]:
    """One lake: every source with rows, then each one empty in turn, then all empty."""
    lake = EmptyLake(tmp_path_factory.mktemp("empty_bix"))
    amounts = ({"venda": "100.00"}, {"venda": "200.00"})
    frames = {
        specs.VENDA_BRONZE.name: venda(
            spark, *({**s, **a, **ingestion()} for s, a in zip(SALES, amounts, strict=True))
        ),
        specs.FUNCIONARIO_BRONZE.name: funcionario(spark, (1, "Rob Carsson"), (2, "Eli Preston")),
        specs.CATEGORIA_BRONZE.name: categoria(spark, (1, "Babywear"), (2, "Womens wear")),
    }
    for spec in BRONZE:
        lake.commit(spec, frames[spec.name])
    results = {"none": _run(lake)}
    for spec in BRONZE:
        lake.commit_empty(spec, LOAD)
        results[spec.name] = _run(lake)
        lake.commit(spec, frames[spec.name])
    for spec in BRONZE:
        lake.commit_empty(spec, LOAD)
    results["all"] = _run(lake)
    return results


def failed(reported) -> set[str]:
    return {name.split(":")[1] for name, ok in checks(reported).items() if not ok}


def test_with_every_source_each_sale_has_its_names(outcomes):
    result = outcomes["none"]
    assert result["by_employee"] == [
        ("2020-01-01", 1, "Rob Carsson", 1, "100.00", 0),
        ("2020-01-01", 2, "Eli Preston", 1, "200.00", 0),
    ]
    assert result["by_category"] == [
        ("2020-01-01", 1, "Babywear", 1, "100.00", 0),
        ("2020-01-01", 2, "Womens wear", 1, "200.00", 0),
    ]
    assert failed(result["silver"]) == failed(result["gold"]) == set()


def test_no_sales_gives_empty_sales_and_empty_monthly_tables(outcomes):
    result = outcomes["venda"]
    assert result["venda"] == []
    assert [r[:2] for r in result["funcionario"]] == [(1, "Rob Carsson"), (2, "Eli Preston")]
    assert result["by_employee"] == result["by_category"] == []
    # Over zero sales the fences are unknown and nothing is flagged.
    fences = result["silver"].value("bix/silver/venda", "bix/outlier_fences")
    assert fences == {"sales": 0, "q1": None, "q3": None, "lower": None, "upper": None}
    assert failed(result["silver"]) == failed(result["gold"]) == set()


def test_no_employees_keeps_every_sale_with_an_empty_name_and_counts_them(outcomes):
    result = outcomes["funcionario"]
    assert result["funcionario"] == []
    assert result["by_employee"] == [
        ("2020-01-01", 1, None, 1, "100.00", 0),
        ("2020-01-01", 2, None, 1, "200.00", 0),
    ]
    assert result["by_category"] == outcomes["none"]["by_category"]
    assert failed(result["silver"]) == {"funcionario_existe"}
    assert failed(result["gold"]) == set()


def test_no_categories_keeps_every_sale_with_an_empty_name_and_counts_them(outcomes):
    result = outcomes["categoria"]
    assert result["categoria"] == []
    assert result["by_category"] == [
        ("2020-01-01", 1, None, 1, "100.00", 0),
        ("2020-01-01", 2, None, 1, "200.00", 0),
    ]
    assert result["by_employee"] == outcomes["none"]["by_employee"]
    assert failed(result["silver"]) == {"categoria_existe"}


def test_every_source_empty_gives_empty_tables_and_passing_checks(outcomes):
    result = outcomes["all"]
    for name in ("funcionario", "categoria", "venda", "by_employee", "by_category"):
        assert result[name] == [], name
    assert failed(result["silver"]) == failed(result["gold"]) == set()
