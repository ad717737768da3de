"""The vendas specs, the spec options they brought (event_date, write_once, min_value), their
catalog entries and the run partition key that unpartitioned jobs receive."""

from __future__ import annotations

import dataclasses

import pytest

from lakehouse_assets.catalog.facts import DataLocation
from lakehouse_assets.catalog.table_input import table_input
from lakehouse_assets.domains.helpers import bronze_table
from lakehouse_assets.domains.vendas.specs import GMV, HISTORICO, PRODUCT_ITEM, PURCHASE
from lakehouse_assets.registry import registry
from lakehouse_assets.resources.launcher import run_partition_key
from lakehouse_assets.specs import Column, Rule, SpecError


def test_bronze_events_are_partitioned_by_event_date_then_load_date():
    assert PURCHASE.partition_by == ("transaction_date", "anomesdia")
    assert PURCHASE.primary_key == ("purchase_id", "transaction_datetime")
    unique = next(r for r in PURCHASE.rules if r.name == "chave_unica")
    assert unique.columns == ("purchase_id", "transaction_datetime", "anomesdia")
    assert [r.name for r in PURCHASE.rules] == [
        "linhas_conservadas",
        "esquema_sem_deriva",
        "chave_nao_nula",
        "chave_unica",
        "data_do_evento_coerente",
    ]
    assert PURCHASE.source == "purchase"
    assert PURCHASE.daily_partitions_start == "2024-01-01"


def test_the_domain_has_its_databases_jobs_and_graph():
    reg = registry()
    tables = sorted(n for n, t in reg.tables.items() if t.domain == "vendas")
    assert tables == [
        "vendas_bronze.product_item",
        "vendas_bronze.purchase",
        "vendas_bronze.purchase_extra_info",
        "vendas_gold.gmv_diario_por_subsidiaria",
        "vendas_silver.historico_estado_compra",
    ]
    assert reg.sources("vendas") == ["product_item", "purchase", "purchase_extra_info"]
    assert reg.downstream("vendas_silver.historico_estado_compra") == [GMV.qualified_name]
    assert sorted(j for j in reg.jobs if j.startswith("vendas")) == [
        "vendas_bronze_ingest",
        "vendas_gold_gmv_diario_por_subsidiaria",
        "vendas_silver_historico_estado_compra",
    ]


def test_person_identifiers_are_classified_and_hashed_after_bronze():
    assert PURCHASE.pii_columns == {"buyer_id": "customer_id", "producer_id": "customer_id"}
    assert HISTORICO.pii_columns == {
        "buyer_id_hash": "customer_id",
        "producer_id_hash": "customer_id",
    }
    assert {c.name: c.mask for c in HISTORICO.columns if c.mask} == {
        "buyer_id_hash": "hash",
        "producer_id_hash": "hash",
    }
    assert GMV.pii_columns == {}


def test_min_value_reaches_the_ingestion_only_where_set():
    columns = {c["name"]: c for c in PRODUCT_ITEM.payload()["columns"]}
    assert columns["purchase_value"]["min_value"] == 0
    assert columns["item_quantity"]["min_value"] == 0
    assert "min_value" not in columns["product_id"]
    assert "write_once" not in PRODUCT_ITEM.payload()
    assert GMV.payload()["write_once"] is True


def _bronze(**changes):
    arguments = {
        "domain": "vendas",
        "name": "x",
        "description": "x",
        "owner": "team:x",
        "job": "vendas_bronze_ingest",
        "columns": (Column("id", "bigint", "id"), Column("dia", "date", "d", nullable=False)),
        "primary_key": ("id",),
        **changes,
    }
    return bronze_table(**arguments)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"event_date": "nope"}, "field `event_date` names unknown column 'nope'"),
        ({"event_date": "id"}, "names 'id', which must be a date column with nullable=False"),
        (
            {"columns": (Column("id", "bigint", "id"), Column("dia", "date", "d"))},
            "names 'dia', which must be a date column with nullable=False",
        ),
    ],
)
def test_an_event_date_must_be_a_required_date_column(changes, message):
    with pytest.raises(SpecError) as err:
        _bronze(**{"event_date": "dia", **changes})
    assert str(err.value).startswith("table vendas_bronze.x: field `event_date`")
    assert message in str(err.value)


IMMUTABLE = Rule("historia", "immutable_partitions", "d")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"partition_by": ()}, "field `write_once` needs `partition_by`"),
        ({"rules": ()}, "field `rules` lacks a rule of kind `immutable_partitions`"),
        (
            {"write_once": False},
            "field `rules` has an `immutable_partitions` rule; set write_once or drop it",
        ),
    ],
)
def test_write_once_tables_are_partitioned_and_prove_their_history(changes, message):
    with pytest.raises(SpecError) as err:
        dataclasses.replace(GMV, **{"rules": (IMMUTABLE,), **changes})
    assert message in str(err.value)


def test_bronze_tables_cannot_be_write_once():
    with pytest.raises(SpecError, match="field `write_once` is set on a bronze table"):
        dataclasses.replace(PURCHASE, write_once=True, rules=(*PURCHASE.rules, IMMUTABLE))


@pytest.mark.parametrize(
    ("layer", "column", "message"),
    [
        ("gold", Column("v", "bigint", "v", min_value=0), "is set on a gold table"),
        ("bronze", Column("v", "string", "v", min_value=0), "needs a numeric column"),
    ],
)
def test_min_value_is_a_bronze_option_of_numeric_columns(layer, column, message):
    spec = GMV if layer == "gold" else PURCHASE
    with pytest.raises(SpecError, match="field `columns.v.min_value`") as err:
        dataclasses.replace(spec, columns=(*spec.columns, column))
    assert message in str(err.value)


def _columns(entry: dict) -> list[tuple[str, str]]:
    return [(c["Name"], c["Type"]) for c in entry["StorageDescriptor"]["Columns"]]


def test_the_catalog_entries_carry_partition_columns_write_once_and_pii():
    # Iceberg keeps the partitioning in the table's metadata: in Glue the partition columns
    # are columns like the others, with their spec types, and there are no partition keys.
    gold = table_input(GMV, [], DataLocation(table_root="file:///lake"))
    assert "PartitionKeys" not in gold
    assert _columns(gold)[-1] == ("data_posicao", "date")
    assert gold["Parameters"]["write_once"] == "true"
    assert gold["Parameters"]["upstream_tables"] == "vendas_silver.historico_estado_compra"
    bronze = table_input(PURCHASE, [HISTORICO.qualified_name], DataLocation("file:///lake"))
    assert "PartitionKeys" not in bronze
    assert [c for c in _columns(bronze) if c[0] in PURCHASE.partition_by] == [
        ("transaction_date", "date"),
        ("anomesdia", "string"),
    ]
    assert "write_once" not in bronze["Parameters"]
    assert bronze["Parameters"]["pii_columns"] == "buyer_id:customer_id,producer_id:customer_id"
    silver = table_input(HISTORICO, [GMV.qualified_name], DataLocation("file:///lake"))
    assert "PartitionKeys" not in silver
    assert silver["Parameters"]["primary_key"] == "purchase_id,valido_de"


def test_unpartitioned_jobs_learn_the_partition_of_their_run():
    assert run_partition_key({"dagster/partition": "20240110"}) == "20240110"
    backfill = {
        "dagster/asset_partition_range_start": "20240101",
        "dagster/asset_partition_range_end": "20240107",
    }
    assert run_partition_key(backfill) == "20240107"
    assert run_partition_key({}) is None
