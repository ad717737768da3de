"""The whole ImportAu graph through Dagster, Pipes and the warm runner (one Spark session)."""

from __future__ import annotations

import shutil

import pytest
from dagster import AssetKey, instance_for_test

from glue_scripts.lib.tables import TableStore
from lakehouse_assets.domains.importau.generator import generate
from lakehouse_assets.registry import registry
from lakehouse_assets.resources.launcher import LocalSparkLauncher
from tests.e2e.helpers import (
    LOAD_DATE,
    assert_published_through_iceberg,
    checks,
    domain_keys,
    iceberg_query,
    iceberg_rows,
    materializations,
    run_graph,
)

pytestmark = pytest.mark.e2e
FACT = "importau/silver/fato_pedido_correlacionado"
# Other domains' sources are not in these landings: run ImportAu's graph alone.
TABLES = [t for t in registry().tables.values() if t.domain == "importau"]


@pytest.fixture
def instance():
    with instance_for_test() as instance:
        yield instance


def test_real_exports_publish_every_table_with_metadata_and_passing_checks(
    launcher, lake, real_exports, instance
):
    launcher = LocalSparkLauncher(**{**launcher.model_dump(), "landing": str(real_exports)})
    result = run_graph(launcher, instance)
    assert result.success

    published = materializations(result)
    assert set(published) == set(domain_keys("importau"))
    stores = assert_published_through_iceberg(lake["root"], result)
    assert set(stores) == set(published)
    expected_rows = {
        "importau/bronze/cambio": 30,
        "importau/bronze/emprestimos": 30,
        "importau/bronze/fornecedores": 30,
        "importau/bronze/itens_pedido": 41,
        "importau/bronze/pagamentos": 30,
        "importau/bronze/pedidos": 30,
        "importau/bronze/produtos": 30,
        FACT: 41,
    }
    for key, rows in expected_rows.items():
        metadata = published[key].metadata
        assert metadata["dagster/row_count"].value == rows, key
        # The URI names the Iceberg metadata file of the version published, for any engine.
        assert iceberg_rows(metadata["dagster/uri"].value) == rows, key
        assert metadata["lakehouse/table_rows"].value == rows, key
        assert metadata["dagster/table_name"].value == key.replace("/", "_", 1).replace("/", ".")
    bronze = published["importau/bronze/pedidos"].metadata
    pedidos = TableStore(str(lake["root"]), "importau_bronze", "pedidos")
    assert bronze["dagster/uri"].value == pedidos.metadata_location()
    assert bronze["dagster/uri"].value.endswith(".metadata.json")
    assert bronze["lakehouse/quarantined_rows"].value == 0
    assert published[FACT].partition is None
    assert published["importau/bronze/pedidos"].partition == LOAD_DATE

    fact = published[FACT].metadata
    spec = registry().tables["importau_silver.fato_pedido_correlacionado"]
    schema = fact["dagster/column_schema"].schema
    assert [(c.name, c.type) for c in schema.columns] == [
        (c.name, c.type.replace(" ", "")) for c in spec.columns
    ]
    lineage = fact["dagster/column_lineage"].column_lineage.deps_by_column
    assert [(d.asset_key, d.column_name) for d in lineage["status_pedido"]] == [
        (AssetKey(["importau", "bronze", "pedidos"]), "status")
    ]
    assert set(fact["lakehouse/inputs_read"].data) == set(spec.upstream)
    assert fact["lakehouse/glue_run_id"].value.startswith("jr_")

    evaluations = checks(result)
    failed = {k for k, e in evaluations.items() if not e.passed}
    # The real data's orders disagree with the sum of their items: a warning, with its count.
    assert failed == {f"{FACT}:total_pedido_confere_itens"}
    warning = evaluations[f"{FACT}:total_pedido_confere_itens"]
    assert warning.severity.value == "WARN"
    assert warning.metadata["failed"].value > 0
    assert len(evaluations) == sum(
        len(t.rules) for t in registry().tables.values() if t.domain == "importau"
    )

    # PTAX: the last quote on or before the order date, in the supplier's currency.
    rates = dict(
        (item, (str(rate), str(day)))
        for item, rate, day in iceberg_query(
            fact["dagster/uri"].value,
            "SELECT item_id, taxa_ptax, data_cotacao_ptax FROM t "
            "WHERE item_id IN ('ITEM014', 'ITEM040', 'ITEM041')",
        )
    )
    assert rates == {
        "ITEM014": ("5.2965", "2024-10-22"),  # USD quote of the order day
        "ITEM040": ("5.3365", "2024-10-30"),  # quotes stop on 10-30; the order is 11-12
        "ITEM041": ("1.0000", "None"),  # BRL supplier
    }
    # Installments repeat the order total in the source; each counts its own share.
    (paid_ped003,) = iceberg_query(
        fact["dagster/uri"].value,
        "SELECT DISTINCT valor_pago_brl, valor_em_aberto_brl, qtd_parcelas FROM t "
        "WHERE pedido_id = 'PED003'",
    )
    assert tuple(str(v) for v in paid_ped003) == ("4100.25", "8200.50", "3")


@pytest.mark.faults
def test_rerun_of_a_partition_replaces_it_without_duplicates(launcher, lake, instance):
    generate(lake["landing"], scale=40, seed=3)
    bronze = ["importau/bronze/pedidos", "importau/bronze/itens_pedido"]
    store = TableStore(str(lake["root"]), "importau_bronze", "pedidos")
    every_row = "SELECT * FROM t ORDER BY ALL"
    first = run_graph(launcher, instance, selection=bronze)
    assert first.success
    assert_published_through_iceberg(lake["root"], first)
    first_rows = iceberg_query(store.metadata_location(), every_row)
    second = run_graph(launcher, instance, selection=bronze)
    assert second.success
    assert_published_through_iceberg(lake["root"], second)
    version = store.require_current()
    assert version.version == 2
    assert version.rows == 40
    assert list(version.partitions) == [f"anomesdia={LOAD_DATE}"]
    assert iceberg_rows(store.metadata_location()) == 40

    # Time travel: the snapshot the first run published still reads as it did then.
    previous = int(
        materializations(first)["importau/bronze/pedidos"]
        .metadata["lakehouse/iceberg_snapshot_id"]
        .value
    )
    earlier, latest = store.versions()
    assert (earlier.snapshot_id, latest.snapshot_id) == (previous, version.snapshot_id)
    assert len(first_rows) == 40
    assert iceberg_query(store.metadata_location(), every_row, snapshot_id=previous) == first_rows
    # Each version reads only its own write's files: the re-run replaced the partition.
    assert earlier.history[-1] != latest.history[-1]
    for each in (earlier, latest):
        assert all(f"/snapshot={each.history[-1]}/" in uri for uri in store.data_uris(each))

    # Another load date adds a partition; the first stays as it was.
    third = run_graph(launcher, instance, selection=bronze, partition_key="20241121")
    assert third.success
    assert_published_through_iceberg(lake["root"], third)
    assert store.require_current().rows == 80
    assert iceberg_rows(store.metadata_location()) == 80


@pytest.mark.faults
def test_blocking_check_keeps_last_good_data_and_stops_downstream(launcher, lake, instance):
    generate(lake["landing"], scale=30, seed=5)
    assert run_graph(launcher, instance).success
    fact_store = TableStore(str(lake["root"]), "importau_silver", "fato_pedido_correlacionado")
    before = fact_store.require_current()

    # A new load whose items point at an order that does not exist.
    items = lake["landing"] / "itens_pedido" / "itens_pedido.csv"
    with items.open("a", encoding="utf-8") as handle:
        handle.write("ITEM999,PED999,PROD001,1,10.00,0.0,10.00,2024-11-20,\n")
    result = run_graph(launcher, instance, partition_key="20241121")

    assert not result.success
    evaluations = checks(result)
    assert not evaluations[f"{FACT}:pedido_existe"].passed
    assert evaluations[f"{FACT}:pedido_existe"].metadata["failed"].value == 1
    published = materializations(result)
    assert FACT not in published
    assert "importau/gold/agregado_fluxo_de_caixa_mensal" not in published
    assert fact_store.require_current() == before
    assert iceberg_rows(fact_store.metadata_location()) == before.rows
    failure = next(e for e in result.all_events if e.is_step_failure)
    message = failure.event_specific_data.error.to_string()
    assert "pedido_existe failed on 1 row(s)" in message
    assert "previous version remains current" in message


@pytest.mark.faults
def test_script_error_reaches_dagster_with_its_message(launcher, lake, instance):
    generate(lake["landing"], scale=30, seed=5)
    shutil.rmtree(lake["landing"] / "cambio")
    result = run_graph(launcher, instance, selection=["importau/bronze/cambio"])
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    message = failure.event_specific_data.error.to_string()
    assert "LandingError: 1 table(s) not loaded" in message
    assert "no landing file for source 'cambio'" in message
    assert "lakehouse generate importau" in message
