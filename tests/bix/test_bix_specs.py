"""BIX's specs: the registry finds the domain; tables, jobs, sources, PII, graph and the
warehouse marks are as docs/BIX.md describes them."""

from __future__ import annotations

from lakehouse_assets.catalog.facts import DataLocation
from lakehouse_assets.catalog.table_input import table_input
from lakehouse_assets.domains.bix import specs
from lakehouse_assets.registry import registry
from lakehouse_assets.warehouse_specs import WarehouseTable


def test_the_registry_discovers_the_domain_its_tables_and_jobs():
    reg = registry()
    assert sorted(n for n, t in reg.tables.items() if t.domain == "bix") == [
        "bix_bronze.categoria",
        "bix_bronze.funcionario",
        "bix_bronze.venda",
        "bix_gold.vendas_mensais_por_categoria",
        "bix_gold.vendas_mensais_por_funcionario",
        "bix_silver.categoria",
        "bix_silver.funcionario",
        "bix_silver.venda",
    ]
    assert sorted(j for j in reg.jobs if j.startswith("bix")) == [
        "bix_bronze_ingest",
        "bix_gold_vendas_mensais",
        "bix_silver_vendas",
    ]
    assert reg.sources("bix") == ["categoria", "funcionario", "venda"]
    assert [t.key_path for t in specs.TABLES] == [
        ["bix", "bronze", "funcionario"],
        ["bix", "bronze", "venda"],
        ["bix", "bronze", "categoria"],
        ["bix", "silver", "venda"],
        ["bix", "silver", "funcionario"],
        ["bix", "silver", "categoria"],
        ["bix", "gold", "vendas_mensais_por_funcionario"],
        ["bix", "gold", "vendas_mensais_por_categoria"],
    ]


def test_the_graph_runs_from_the_three_sources_to_the_two_aggregates():
    reg = registry()
    assert reg.downstream("bix_bronze.funcionario") == [
        "bix_silver.funcionario",
        "bix_silver.venda",
    ]
    assert reg.downstream("bix_silver.venda") == [
        "bix_gold.vendas_mensais_por_categoria",
        "bix_gold.vendas_mensais_por_funcionario",
    ]
    assert specs.VENDA.upstream == (
        "bix_bronze.funcionario",
        "bix_bronze.venda",
        "bix_bronze.categoria",
    )


def test_each_source_names_its_kind_and_settings_never_a_secret():
    assert [t.extract.payload()["kind"] for t in specs.BRONZE] == [
        "http_api",
        "postgres",
        "parquet_files",
    ]
    postgres = specs.VENDA_BRONZE.payload()["extract"]
    assert {k: postgres[k] for k in ("connection", "table", "database", "cursor", "lookback")} == {
        "connection": "BIX_POSTGRES_URI",
        "table": "public.venda",
        "database": "juniordatabase",
        "cursor": "data_venda",
        "lookback": 3,
    }
    api = specs.FUNCIONARIO_BRONZE.payload()["extract"]
    assert (api["connection"], api["standin"], api["path"], api["end_text"]) == (
        "BIX_EMPLOYEE_API_URL",
        "bix_funcionarios",
        "/api_challenge_junior",
        "The argument is not correct",
    )
    assert all(t.partition_by == ("anomesdia",) for t in specs.BRONZE)
    assert all(t.daily_partitions_start == "2024-01-01" for t in specs.BRONZE)


def test_names_of_people_are_classified_and_kept_readable():
    assert {t.qualified_name: t.pii_columns for t in specs.TABLES if t.pii_columns} == {
        "bix_bronze.funcionario": {"nome": "person_name"},
        "bix_silver.venda": {"nome_funcionario": "person_name"},
        "bix_silver.funcionario": {"nome": "person_name"},
        "bix_gold.vendas_mensais_por_funcionario": {"nome_funcionario": "person_name"},
    }
    assert [c.name for t in specs.TABLES for c in t.columns if c.mask] == []


def test_silver_and_gold_are_marked_for_the_warehouse_like_the_reference():
    marked = {t.qualified_name: t.warehouse for t in specs.TABLES if t.warehouse}
    assert marked == {
        "bix_silver.venda": WarehouseTable(
            dist_style="KEY",
            dist_key="id_funcionario",
            sort_keys=("id_categoria", "id_funcionario"),
        ),
        "bix_silver.funcionario": WarehouseTable(dist_style="ALL", sort_keys=("id",)),
        "bix_silver.categoria": WarehouseTable(dist_style="ALL", sort_keys=("id",)),
        "bix_gold.vendas_mensais_por_funcionario": WarehouseTable(
            sort_keys=("mes_referencia", "id_funcionario")
        ),
        "bix_gold.vendas_mensais_por_categoria": WarehouseTable(
            sort_keys=("mes_referencia", "id_categoria")
        ),
    }


def test_unknown_references_warn_and_the_outlier_rule_is_a_table_parameter():
    rules = {r.name: r for r in specs.VENDA.rules}
    assert [
        (r.kind, r.params["table"], r.severity, r.blocking)
        for r in (rules["funcionario_existe"], rules["categoria_existe"])
    ] == [
        ("referential", "bix_bronze.funcionario", "WARN", False),
        ("referential", "bix_bronze.categoria", "WARN", False),
    ]
    assert dict(specs.VENDA.parameters) == {"outlier_iqr_factor": "3", "outlier_min_sales": "10"}
    assert specs.VENDA_BRONZE.column("venda").min_value == 0


def test_the_catalog_entry_of_silver_sales_publishes_pii_graph_and_the_outlier_settings():
    reg = registry()
    entry = table_input(
        specs.VENDA, reg.downstream(specs.VENDA.qualified_name), DataLocation("file:///lake")
    )
    parameters = entry["Parameters"]

    assert entry["Name"] == "venda"
    assert entry["Owner"] == "team:bix-vendas"
    assert parameters["pii_columns"] == "nome_funcionario:person_name"
    assert parameters["upstream_tables"] == (
        "bix_bronze.categoria,bix_bronze.funcionario,bix_bronze.venda"
    )
    assert parameters["downstream_tables"] == (
        "bix_gold.vendas_mensais_por_categoria,bix_gold.vendas_mensais_por_funcionario"
    )
    assert (parameters["outlier_iqr_factor"], parameters["outlier_min_sales"]) == ("3", "10")
    columns = {c["Name"]: c for c in entry["StorageDescriptor"]["Columns"]}
    assert columns["nome_funcionario"]["Parameters"] == {"pii_class": "person_name"}
    assert columns["venda"]["Type"] == "decimal(12,2)"
