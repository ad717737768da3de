"""The definitions load, every spec has exactly one asset, and the jobs resolve."""

from __future__ import annotations

from dagster import AssetKey

from lakehouse_assets.catalog.asset import CATALOG_ASSET_KEY
from lakehouse_assets.definitions import defs, domain_job_name
from lakehouse_assets.registry import registry


def test_every_spec_has_exactly_one_asset():
    graph = defs.resolve_asset_graph()
    keys = {k for k in graph.get_all_asset_keys() if graph.get(k).is_materializable}
    keys -= {CATALOG_ASSET_KEY}
    expected = {AssetKey(t.key_path) for t in registry().tables.values()}
    assert keys == expected
    assert len(expected) == 10


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
