"""The definitions load, every spec has exactly one asset, and the jobs resolve."""

from __future__ import annotations

from dagster import AssetKey

from lakehouse_assets.catalog.asset import CATALOG_ASSET_KEY
from lakehouse_assets.definitions import defs, domain_job_name
from lakehouse_assets.domains.conversas.dataset_asset import DATASET_KEY
from lakehouse_assets.registry import registry
from lakehouse_assets.warehouse.assets import warehouse_asset_key

DOMAINS = ("bix", "conversas", "credito", "importau", "vendas")


def test_every_spec_has_exactly_one_asset():
    graph = defs.resolve_asset_graph()
    keys = {k for k in graph.get_all_asset_keys() if graph.get(k).is_materializable}
    keys -= {CATALOG_ASSET_KEY, DATASET_KEY}
    keys -= {warehouse_asset_key(t) for t in registry().tables.values() if t.warehouse}
    expected = {AssetKey(t.key_path) for t in registry().tables.values()}
    assert keys == expected
    by_domain = {d: sum(t.domain == d for t in registry().tables.values()) for d in DOMAINS}
    assert by_domain == {"bix": 8, "conversas": 5, "credito": 4, "importau": 10, "vendas": 5}


def test_every_domain_has_its_group_daily_job_and_schedule():
    graph = defs.resolve_asset_graph()
    groups = {graph.get(k).group_name for k in graph.get_all_asset_keys()} - {"governance"}
    assert groups == set(DOMAINS)
    for domain in DOMAINS:
        job = defs.resolve_job_def(domain_job_name(domain))
        assert job.partitions_def is not None
        assert defs.resolve_schedule_def(f"{domain_job_name(domain)}_schedule")


def test_asset_carries_spec_metadata():
    graph = defs.resolve_asset_graph()
    fact = graph.get(AssetKey(["importau", "silver", "fato_pedido_correlacionado"]))
    assert fact.owners == ["team:importau-data"]
    assert "business/core-domain" in fact.tags
    assert fact.group_name == "importau"
    assert {d for d in fact.parent_keys} == {
        AssetKey(["importau", "bronze", t])
        for t in ("cambio", "fornecedores", "itens_pedido", "pagamentos", "pedidos", "produtos")
    }
    schema = fact.metadata["dagster/column_schema"]
    assert [c.name for c in schema.columns][:3] == ["item_id", "pedido_id", "produto_id"]
    assert fact.code_version and len(fact.code_version) == 12


def test_checks_are_declared_with_blocking_flags():
    graph = defs.resolve_asset_graph()
    checks = {k.name: graph.get_check_spec(k) for k in graph.asset_check_keys}
    assert checks["grao_um_por_item"].blocking is True
    assert checks["total_pedido_confere_itens"].blocking is False


def test_daily_job_and_schedule_resolve():
    job = defs.resolve_job_def(domain_job_name("importau"))
    assert job.partitions_def is not None
    schedule = defs.resolve_schedule_def(f"{domain_job_name('importau')}_schedule")
    assert schedule.cron_schedule == "0 6 * * *"


def test_bronze_is_daily_partitioned_by_load_date():
    graph = defs.resolve_asset_graph()
    pedidos = graph.get(AssetKey(["importau", "bronze", "pedidos"]))
    assert pedidos.partitions_def.get_partition_keys()[0] == "20240101"
    silver = graph.get(AssetKey(["importau", "silver", "fato_pedido_correlacionado"]))
    assert silver.partitions_def is None
