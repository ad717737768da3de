"""Declarative automation of the real definitions: derived assets follow their upstreams."""

from __future__ import annotations

from dagster import AssetKey, AssetMaterialization, evaluate_automation_conditions

from lakehouse_assets.automation import AUTOMATION_SENSOR_NAME
from lakehouse_assets.catalog.asset import CATALOG_ASSET_KEY
from lakehouse_assets.domains.conversas.dataset_asset import DATASET_KEY
from lakehouse_assets.registry import registry
from lakehouse_assets.warehouse.assets import warehouse_asset_key

DAY = "20250105"


def key(name: str) -> AssetKey:
    database, table = name.split(".")
    domain, layer = database.rsplit("_", 1)
    return AssetKey([domain, layer, table])


class Automation:
    """Ticks of the automation condition sensor, with its cursor carried between them."""

    def __init__(self, defs, instance):
        self.defs, self.instance, self.cursor = defs, instance, None

    def tick(self) -> set[AssetKey]:
        result = evaluate_automation_conditions(
            defs=self.defs, instance=self.instance, cursor=self.cursor
        )
        self.cursor = result.cursor
        requested = set()
        for asset in self.defs.resolve_asset_graph().get_all_asset_keys():
            partitions = result.get_requested_partitions(asset)
            assert partitions <= {None}, f"{asset} requested for partitions {partitions}"
            if partitions:
                requested.add(asset)
        return requested

    def materialized(self, *names: str, partition: str | None = None) -> None:
        for name in names:
            asset = key(name) if "." in name else AssetKey(name.split("/"))
            self.instance.report_runless_asset_event(
                AssetMaterialization(asset, partition=partition)
            )


def test_one_bronze_partition_brings_silver_gold_and_catalog_in_one_tick(defs, instance):
    automation = Automation(defs, instance)
    assert automation.tick() == set()  # nothing updated yet: nothing runs on its own

    automation.materialized("importau_bronze.pedidos", partition=DAY)
    assert automation.tick() == {
        key("importau_silver.fato_pedido_correlacionado"),
        key("importau_gold.agregado_fluxo_de_caixa_mensal"),
        key("importau_gold.features_risco_cambial_mensal"),
        CATALOG_ASSET_KEY,
    }
    assert automation.tick() == set()  # requested once, not on every tick


def test_after_silver_the_gold_follows(defs, instance):
    automation = Automation(defs, instance)
    automation.tick()
    automation.materialized("importau_silver.fato_pedido_correlacionado")
    assert automation.tick() == {
        key("importau_gold.agregado_fluxo_de_caixa_mensal"),
        key("importau_gold.features_risco_cambial_mensal"),
        CATALOG_ASSET_KEY,
    }
    assert automation.tick() == set()
    automation.materialized("importau_gold.features_risco_cambial_mensal")
    assert automation.tick() == {CATALOG_ASSET_KEY}


def test_a_chain_of_derived_tables_is_requested_together(defs, instance):
    automation = Automation(defs, instance)
    automation.tick()
    automation.materialized("credito_bronze.solicitacoes_credito", partition=DAY)
    # solicitacoes_credito_limpas also reads estatisticas_imputacao, which is missing but
    # requested on the same tick.
    assert automation.tick() == {
        key("credito_silver.estatisticas_imputacao"),
        key("credito_silver.solicitacoes_credito_limpas"),
        key("credito_gold.feature_store"),
        CATALOG_ASSET_KEY,
    }


def test_a_table_waits_for_an_unpartitioned_upstream_never_built(defs, instance):
    automation = Automation(defs, instance)
    automation.tick()
    automation.materialized("conversas_silver.sessoes")
    # metricas_sessao also reads silver execucoes, which does not exist yet.
    assert automation.tick() == {CATALOG_ASSET_KEY}
    assert automation.tick() == set()
    automation.materialized("conversas_silver.execucoes")
    assert automation.tick() == {
        key("conversas_gold.metricas_sessao"),
        DATASET_KEY,
        CATALOG_ASSET_KEY,
    }


def test_warehouse_copies_follow_their_lake_tables(defs, instance):
    automation = Automation(defs, instance)
    tables = registry().tables
    automation.tick()
    automation.materialized("bix_bronze.funcionario", partition=DAY)
    followers = (
        "bix_silver.funcionario",
        "bix_silver.venda",
        "bix_gold.vendas_mensais_por_funcionario",
        "bix_gold.vendas_mensais_por_categoria",
    )
    assert automation.tick() == {
        *(key(name) for name in followers),
        *(warehouse_asset_key(tables[name]) for name in followers),
        CATALOG_ASSET_KEY,
    }
    assert automation.tick() == set()
    automation.materialized("bix_gold.vendas_mensais_por_categoria")
    assert automation.tick() == {
        warehouse_asset_key(tables["bix_gold.vendas_mensais_por_categoria"]),
        CATALOG_ASSET_KEY,
    }


def test_every_derived_asset_has_a_condition_and_bronze_has_none(defs):
    graph = defs.resolve_asset_graph()
    followers = {k for k in graph.get_all_asset_keys() if graph.get(k).automation_condition}
    bronze = {key(t.qualified_name) for t in registry().tables.values() if t.layer == "bronze"}
    derived = {key(t.qualified_name) for t in registry().tables.values() if t.layer != "bronze"}
    warehouse = {warehouse_asset_key(t) for t in registry().tables.values() if t.warehouse}
    assert followers == derived | warehouse | {DATASET_KEY, CATALOG_ASSET_KEY}
    assert not followers & bronze
    sensor = defs.resolve_sensor_def(AUTOMATION_SENSOR_NAME)
    assert sensor.default_status.value == "RUNNING"
    assert sensor.minimum_interval_seconds == 30
    # The daily schedules stay as the safety net.
    assert {s.name for s in defs.schedules} == {
        f"{d}_daily_schedule" for d in ("bix", "conversas", "credito", "importau", "vendas")
    }
