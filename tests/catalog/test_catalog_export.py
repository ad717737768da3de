"""`catalog export` against moto over HTTP: contents, idempotence, safety, failures."""

from __future__ import annotations

import dataclasses

import pytest
from dagster import instance_for_test

from lakehouse_assets.catalog.export import ExportOptions, export_catalog
from lakehouse_assets.catalog.limits import CatalogValidationError
from tests.catalog.faults import Fault, FaultyEndpoint
from tests.catalog.helpers import (
    BIG_PARTITIONS,
    commit,
    connect,
    export,
    forced,
    record_materializations,
    with_spec,
)

GOLD = ("importau_gold", "agregado_fluxo_de_caixa_mensal")
RISCO = "importau_gold.features_risco_cambial_mensal"


def _glue(url):
    return connect(url).client("glue")


def _tables(glue) -> dict[str, dict]:
    return {
        f"{db['Name']}.{t['Name']}": t
        for db in glue.get_databases()["DatabaseList"]
        for t in glue.get_tables(DatabaseName=db["Name"])["TableList"]
    }


def test_export_publishes_every_table_with_the_catalog_contract(aws, reg, root):
    with instance_for_test() as instance:
        run_id = record_materializations(instance, reg.tables.values(), rows=7)
        report = export(reg, aws, root, instance=instance)
    assert report.ok, report.summary()
    assert sorted(report.tables_created) == sorted(reg.tables)
    glue = _glue(aws)
    assert sorted(d["Name"] for d in glue.get_databases()["DatabaseList"]) == [
        "importau_bronze",
        "importau_gold",
        "importau_silver",
    ]
    tables = _tables(glue)
    assert len(tables) == 10
    fato = tables["importau_silver.fato_pedido_correlacionado"]
    assert fato["Description"].startswith("Correlated order fact")
    assert fato["Owner"] == "team:importau-data"
    assert fato["StorageDescriptor"]["Columns"][0] == {
        "Name": "item_id",
        "Type": "string",
        "Comment": "Order item identifier (the grain).",
        "Parameters": {"pii_class": "none"},
    }
    # Partitioned by month: each partition has its folder, the table its root.
    assert fato["StorageDescriptor"]["Location"].endswith(
        "/importau_silver/fato_pedido_correlacionado"
    )
    assert [k["Name"] for k in fato["PartitionKeys"]] == ["anomes_pedido"]
    caixa = tables["importau_gold.agregado_fluxo_de_caixa_mensal"]
    assert "/snapshot=snap-x" in caixa["StorageDescriptor"]["Location"]
    params = fato["Parameters"]
    assert params["layer"] == "silver" and params["domain"] == "importau"
    assert params["business_tags"] == "Core Domain"
    assert params["last_materialization_run_id"] == run_id
    assert params["last_materialization_row_count"] == "7"
    assert params["last_materialization_code_version"] == "cv1"
    assert len(params["code_version"]) == 12
    assert params["glue_job_name"] == "importau_silver_fato_pedido_correlacionado"
    fornecedores = tables["importau_bronze.fornecedores"]
    columns = fornecedores["StorageDescriptor"]["Columns"]
    classes = {c["Name"]: c["Parameters"]["pii_class"] for c in columns}
    assert (classes["cnpj"], classes["telefone"], classes["contato_email"]) == (
        "tax_id",
        "phone",
        "email",
    )
    assert fornecedores["PartitionKeys"][0]["Name"] == "anomesdia"


def test_partitions_are_registered_in_chunks_of_100(aws, reg, root):
    commit(root, reg.tables["importau_bronze.cambio"], partitions=BIG_PARTITIONS)
    report = export(reg, aws, root)
    assert report.writes["BatchCreatePartition"] == 2 + 7  # cambio's 150 in 2 calls, 7 others
    partitions = _glue(aws).get_partitions(DatabaseName="importau_bronze", TableName="cambio")
    registered = partitions["Partitions"]
    assert len(registered) == BIG_PARTITIONS
    first = min(registered, key=lambda p: p["Values"])
    assert first["Values"] == ["20240101"]
    assert first["StorageDescriptor"]["Location"].endswith("snapshot=snap-x/anomesdia=20240101")
    assert report.partitions_created == BIG_PARTITIONS + 7 * 2


def test_second_export_with_nothing_changed_writes_nothing(aws, reg, root):
    with instance_for_test() as instance:
        record_materializations(instance, reg.tables.values())
        first = export(reg, aws, root, instance=instance)
        second = export(reg, aws, root, instance=instance)
    assert first.write_calls > 0
    assert second.write_calls == 0, second.writes
    assert second.read_calls > 0
    assert len(second.tables_unchanged) == 10
    assert "0 write calls" in second.summary()


def test_changed_description_updates_only_that_table(aws, reg, root):
    export(reg, aws, root)
    changed = with_spec(reg, RISCO, description="FX risk features, described anew.")
    report = export(changed, aws, root)
    assert report.tables_updated == {RISCO: ["Description"]}
    assert report.writes == {"UpdateTable": 1}
    table = _glue(aws).get_table(DatabaseName="importau_gold", Name="features_risco_cambial_mensal")
    assert table["Table"]["Description"] == "FX risk features, described anew."


def test_new_and_dropped_partitions_are_synchronised(aws, reg, root):
    export(reg, aws, root)
    commit(root, reg.tables["importau_bronze.pedidos"], partitions=3, run_id="next")
    report = export(reg, aws, root)
    # The new manifest moved both old partitions to a new snapshot and added a third one.
    assert (report.partitions_created, report.partitions_updated) == (1, 2)
    assert report.writes["BatchCreatePartition"] == 1
    assert report.tables_updated.keys() == {"importau_bronze.pedidos"}
    commit(root, reg.tables["importau_bronze.pedidos"], partitions=1, run_id="last")
    report = export(reg, aws, root)
    assert (report.partitions_updated, report.partitions_deleted) == (1, 2)


def test_table_no_spec_defines_is_reported_and_deleted_only_with_the_flag(aws, reg, root):
    export(reg, aws, root)
    glue = _glue(aws)
    glue.create_table(DatabaseName="importau_gold", TableInput={"Name": "old_report"})
    report = export(reg, aws, root)
    assert report.undefined_tables == ["importau_gold.old_report"]
    assert report.write_calls == 0
    assert "no spec defines it (kept;" in report.summary()
    assert "importau_gold.old_report" in _tables(glue)
    report = export(reg, aws, root, delete_undefined=True)
    assert report.deleted_tables == ["importau_gold.old_report"]
    assert "importau_gold.old_report" not in _tables(glue)


def _long_comment(reg):
    spec = reg.tables[RISCO]
    column = dataclasses.replace(spec.columns[0], comment="z" * 300)
    return forced(reg, RISCO, columns=(column, *spec.columns[1:]))


@pytest.mark.parametrize(
    ("bad_registry", "message"),
    [
        (
            lambda reg: forced(reg, RISCO, description="y" * 3000),
            "field `Description` has 3000 characters; Glue accepts 2048",
        ),
        (
            lambda reg: forced(reg, RISCO, name="Features-Risco"),
            "field `Name` 'Features-Risco' must match ^[a-z0-9_]+$",
        ),
        (
            _long_comment,
            "field `StorageDescriptor.Columns.fornecedor_id.Comment` has 300 characters",
        ),
        (
            lambda reg: with_spec(reg, RISCO, business_tags=tuple(f"t{i}" for i in range(50))),
            "field `business_tags (as LF-Tags)` needs 53 LF-Tags on one resource",
        ),
    ],
    ids=["description", "name", "comment", "lf-tags"],
)
def test_invalid_input_fails_before_any_call(aws, reg, root, bad_registry, message):
    connection = connect(aws)
    with pytest.raises(CatalogValidationError) as err:
        export_catalog(bad_registry(reg), connection, ExportOptions(root=root, lake_formation=True))
    assert "importau_gold." in str(err.value) and message in str(err.value)
    assert "nothing was sent to AWS" in str(err.value)
    assert sum(connection.counter.calls.values()) == 0
    assert _glue(aws).get_databases()["DatabaseList"] == []


def test_a_failing_endpoint_leaves_the_rest_exported_and_says_what_failed(aws, reg, root):
    faults = [
        Fault("CreateTable", contains='"features_risco_cambial_mensal"'),
        Fault("BatchCreatePartition", '"fornecedores"', status=400, code="ThrottlingException"),
    ]
    with FaultyEndpoint(aws, faults) as endpoint:
        report = export(reg, endpoint.url, root, max_attempts=2)
    assert not report.ok
    failed = {f.target: f for f in report.failures}
    assert set(failed) == {RISCO, "importau_bronze.fornecedores"}
    assert failed[RISCO].operation == "CreateTable"
    assert "InternalServiceException" in failed[RISCO].error
    assert "re-run `lakehouse catalog export`" in failed[RISCO].hint
    assert "throttled" in failed["importau_bronze.fornecedores"].hint
    assert len(endpoint.failed) == 2 * 2  # each call retried once, then given up
    assert len(report.tables_created) == 9
    assert "2 failure(s); everything else was exported" in report.summary()

    retry = export(reg, aws, root)
    assert retry.ok
    assert retry.tables_created == [RISCO]
    assert retry.writes == {"BatchCreatePartition": 1, "CreateTable": 1}
