"""`catalog search`: words in names, descriptions, tags, columns; case and accents ignored."""

from __future__ import annotations

import pytest

from lakehouse_assets.catalog.search import fold, render, search
from tests.catalog.faults import FaultyEndpoint
from tests.catalog.helpers import connect, export

RISCO = "importau_gold.features_risco_cambial_mensal"


@pytest.fixture
def glue(aws, reg, root):
    export(reg, aws, root)
    return connect(aws).client("glue")


def _names(result) -> list[str]:
    return [h.name for h in result.hits]


def test_fold_ignores_case_accents_and_punctuation():
    assert fold("Câmbio_Diário (FX-Risk)") == "cambio diario fx risk"


@pytest.mark.parametrize("term", ["risco cambial", "Risco Cambial", "RISCO CÂMBIAL", "rísco"])
def test_risco_cambial_finds_the_fx_risk_table_whatever_the_case_and_accents(glue, term):
    result = search(glue, term)
    assert RISCO in _names(result)
    hit = next(h for h in result.hits if h.name == RISCO)
    assert "description" in hit.fields


def test_forecast_finds_the_fx_risk_table_and_says_where_it_matched(glue):
    result = search(glue, "forecast")
    assert _names(result) == [RISCO]
    text = render(result)
    assert f"{RISCO}    (matched: description, business_tags)" in text
    assert "ML-ready features for FX risk (Risco Cambial) Forecast models" in text
    assert "written by Glue job importau_gold_features_risco_cambial_mensal" in text


def test_column_names_comments_and_tags_are_searched(glue):
    cnpj = next(h for h in search(glue, "cnpj").hits if h.name == "importau_bronze.fornecedores")
    assert "column cnpj" in cnpj.fields
    assert _names(search(glue, "ptax reference")) == ["importau_bronze.cambio"]
    assert search(glue, "ptax reference").hits[0].fields == ("column taxa_ptax comment",)
    assert _names(search(glue, "core domain")) == [
        "importau_bronze.itens_pedido",
        "importau_bronze.pedidos",
        "importau_silver.fato_pedido_correlacionado",
    ]


def test_every_word_must_match(glue):
    assert search(glue, "forecast emprestimo").hits == []
    assert "nothing in the catalog matches" in render(search(glue, "forecast emprestimo"))


def test_endpoint_without_search_tables_falls_back_to_a_scan(glue):
    result = search(glue, "forecast")
    assert result.method == "scan"
    assert "search_tables is not available at this endpoint" in result.note


def test_search_tables_is_used_where_the_endpoint_has_it(glue, aws):
    with FaultyEndpoint(aws, [], search_tables=True) as endpoint:
        result = search(connect(endpoint.url).client("glue"), "Forecast")
    assert result.method == "search_tables" and result.note is None
    assert _names(result) == [RISCO]


def test_glue_jobs_are_found_too(glue):
    glue.create_job(
        Name="importau_gold_features_risco_cambial_mensal",
        Role="arn:aws:iam::123456789012:role/glue",
        Command={"Name": "glueetl", "ScriptLocation": "s3://bucket/script.py"},
        Description="Builds ML features for FX-risk (Risco Cambial) forecasting per supplier.",
    )
    result = search(glue, "forecasting")
    assert [(h.kind, h.name) for h in result.hits] == [
        ("job", "importau_gold_features_risco_cambial_mensal")
    ]
    assert "job importau_gold_features_risco_cambial_mensal" in render(result)
