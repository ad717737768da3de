"""BIX's monthly aggregates on hand-made silver sales: atypical sales counted apart."""

from __future__ import annotations

from glue_scripts.bix.transforms import monthly_sales
from lakehouse_assets.domains.bix.specs import VENDAS_POR_CATEGORIA, VENDAS_POR_FUNCIONARIO
from tests.bix.bix_frames import rows, silver_venda

MEASURES = ("vendas", "valor_total", "vendas_atipicas", "valor_atipico")
ELI = {"id_funcionario": 2, "nome_funcionario": "Eli Preston"}
WOMENS = {"id_categoria": 2, "nome_categoria": "Womens wear"}


def sales(spark):
    return silver_venda(
        spark,
        {"id_venda": 1, "data_venda": "2020-01-05", "venda": "100.00"},
        {"id_venda": 2, "data_venda": "2020-01-20", "venda": "250.50", **WOMENS},
        {"id_venda": 3, "data_venda": "2020-01-25", "venda": "917025.00", "outlier": "true"},
        {"id_venda": 4, "data_venda": "2020-02-10", "venda": "300.00", **ELI},
        # March: only an atypical sale.
        {"id_venda": 5, "data_venda": "2020-03-01", "venda": "500000.00", "outlier": "true"}
        | ELI
        | WOMENS,
        # An employee the API does not know: no name, still counted.
        {"id_venda": 6, "data_venda": "2020-02-11", "venda": "10.00", "id_funcionario": 10}
        | {"nome_funcionario": None},
    )


def test_sales_by_month_and_employee(spark):
    result = monthly_sales(sales(spark), ("id_funcionario", "nome_funcionario"))

    assert result.columns == [c.name for c in VENDAS_POR_FUNCIONARIO.columns]
    assert rows(result, *result.columns) == [
        ("2020-01-01", "1", "Rob Carsson", "2", "350.50", "1", "917025.00"),
        ("2020-02-01", "10", None, "1", "10.00", "0", "0.00"),
        ("2020-02-01", "2", "Eli Preston", "1", "300.00", "0", "0.00"),
        ("2020-03-01", "2", "Eli Preston", "0", "0.00", "1", "500000.00"),
    ]


def test_sales_by_month_and_category(spark):
    result = monthly_sales(sales(spark), ("id_categoria", "nome_categoria"))

    assert result.columns == [c.name for c in VENDAS_POR_CATEGORIA.columns]
    assert rows(result, *result.columns) == [
        ("2020-01-01", "1", "Babywear", "1", "100.00", "1", "917025.00"),
        ("2020-01-01", "2", "Womens wear", "1", "250.50", "0", "0.00"),
        ("2020-02-01", "1", "Babywear", "2", "310.00", "0", "0.00"),
        ("2020-03-01", "2", "Womens wear", "0", "0.00", "1", "500000.00"),
    ]


def test_measures_have_the_spec_types(spark):
    result = monthly_sales(sales(spark), ("id_categoria", "nome_categoria"))

    types = dict(result.dtypes)
    assert {c: types[c] for c in MEASURES} == {
        "vendas": "bigint",
        "valor_total": "decimal(18,2)",
        "vendas_atipicas": "bigint",
        "valor_atipico": "decimal(18,2)",
    }
    assert types["mes_referencia"] == "date"
