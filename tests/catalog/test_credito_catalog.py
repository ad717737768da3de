"""Crédito in the Glue Data Catalog: contract, parameters, PII, lineage and search."""

from __future__ import annotations

import pytest

from lakehouse_assets.catalog.lineage import UPSTREAM, CatalogGraph, walk
from lakehouse_assets.catalog.search import search
from lakehouse_assets.registry import registry
from tests.catalog.helpers import commit_all, connect, export

GOLD = "credito_gold.feature_store"
CLEAN = "credito_silver.solicitacoes_credito_limpas"
STATS = "credito_silver.estatisticas_imputacao"
BRONZE = "credito_bronze.solicitacoes_credito"


@pytest.fixture
def glue(aws, tmp_path):
    """Every domain exported, as `lakehouse catalog export` does."""
    reg, root = registry(), str(tmp_path / "lake")
    commit_all(root, reg)
    report = export(reg, aws, root)
    assert report.ok, report.summary()
    return connect(aws).client("glue")


def _table(glue, name: str) -> dict:
    database, table = name.split(".")
    return glue.get_table(DatabaseName=database, Name=table)["Table"]


def test_each_layer_is_a_database_of_the_domain(glue):
    names = {d["Name"] for d in glue.get_databases()["DatabaseList"]}
    assert {"credito_bronze", "credito_silver", "credito_gold"} <= names
    tables = {t["Name"] for t in glue.get_tables(DatabaseName="credito_silver")["TableList"]}
    assert tables == {"estatisticas_imputacao", "solicitacoes_credito_limpas"}


def test_feature_store_entry_carries_owner_tags_pii_and_vocabulary(glue):
    table = _table(glue, GOLD)
    assert table["Description"].startswith("Credit feature store for decision inference")
    assert table["Owner"] == "team:credito-ml"
    params = table["Parameters"]
    assert params["business_tags"] == "Credit Risk,Machine Learning,Feature Store"
    assert params["pii_columns"] == "applicant_id:customer_id"
    assert params["vocabulary_version"] == "credito-vocab-2024.1"
    assert params["upstream_tables"] == CLEAN
    assert params["partition_by"] == "anomesdia"
    assert "anomesdia" in [c["Name"] for c in table["StorageDescriptor"]["Columns"]]
    applicant = table["StorageDescriptor"]["Columns"][0]
    assert (applicant["Name"], applicant["Parameters"]) == (
        "applicant_id",
        {"pii_class": "customer_id"},
    )


def test_statistics_entry_names_its_window_and_version(glue):
    params = _table(glue, STATS)["Parameters"]
    assert (
        params["statistics_version"],
        params["training_window_start"],
        params["training_window_end"],
    ) == ("v2024q1", "2024-01-01", "2024-03-31")
    assert params["downstream_tables"] == CLEAN
    assert params["partition_by"] == "version"
    assert params["table_type"] == "ICEBERG"


def test_lineage_walks_from_the_feature_store_to_the_landing_table(glue):
    tree = walk(CatalogGraph(glue), GOLD, UPSTREAM)
    (clean,) = tree.children
    assert clean.name == CLEAN
    assert sorted(c.name for c in clean.children) == [BRONZE, STATS]


def test_search_finds_the_feature_store(glue):
    # Every table of the domain carries the business tag; the description says it too.
    result = search(glue, "feature store")
    assert sorted(h.name for h in result.hits) == [BRONZE, GOLD, STATS, CLEAN]
    gold = next(h for h in result.hits if h.name == GOLD)
    assert {"description", "business_tags"} <= set(gold.fields)
