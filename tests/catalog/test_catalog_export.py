"""`catalog export` against moto over HTTP: contents, idempotence, safety, failures."""

from __future__ import annotations

import dataclasses

import pytest
from dagster import instance_for_test

from glue_scripts.lib.tables import TableStore
from lakehouse_assets.catalog.export import ExportOptions, export_catalog
from lakehouse_assets.catalog.limits import CatalogValidationError
from tests.catalog.faults import Fault, FaultyEndpoint
from tests.catalog.helpers import (
    commit,
    connect,
    export,
    forced,
    load_dates,
    record_materializations,
    with_spec,
)

GOLD = ("importau_gold", "agregado_fluxo_de_caixa_mensal")
RISCO = "importau_gold.features_risco_cambial_mensal"
PEDIDOS = "importau_bronze.pedidos"


def _glue(url):
    return connect(url).client("glue")


def _store(root: str, name: str) -> TableStore:
    return TableStore(root, *name.split("."))


def _table(glue, name: str) -> dict:
    database, table = name.split(".")
    return glue.get_table(DatabaseName=database, Name=table)["Table"]


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
    for name, table in tables.items():
        assert table["TableType"] == "EXTERNAL_TABLE"
        assert table["Parameters"]["table_type"] == "ICEBERG"
        assert table["Parameters"]["metadata_location"] == _store(root, name).metadata_location()
        assert table["StorageDescriptor"]["Location"] == _store(root, name).location
        assert "PartitionKeys" not in table
    fato = tables["importau_silver.fato_pedido_correlacionado"]
    assert fato["Description"].startswith("Correlated order fact")
    assert fato["Owner"] == "team:importau-data"
    assert fato["StorageDescriptor"]["Columns"][0] == {
        "Name": "item_id",
        "Type": "string",
        "Comment": "Order item identifier (the grain).",
        "Parameters": {"pii_class": "none"},
    }
    assert fato["StorageDescriptor"]["Location"].endswith(
        "/importau_silver/fato_pedido_correlacionado"
    )
    # Partitioned by month: the partition column is a column, its partitioning Iceberg's.
    anomes = next(c for c in fato["StorageDescriptor"]["Columns"] if c["Name"] == "anomes_pedido")
    assert (
        anomes["Comment"]
        == reg.tables["importau_silver.fato_pedido_correlacionado"].column("anomes_pedido").comment
    )
    params = fato["Parameters"]
    assert params["partition_by"] == "anomes_pedido"
    assert (params["recordCount"], params["lakehouse_table_version"]) == ("14", "1")
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
    assert "anomesdia" in classes


def test_no_partition_is_registered_and_those_a_hive_registration_left_are_deleted(aws, reg, root):
    glue = _glue(aws)
    glue.create_database(DatabaseInput={"Name": "importau_bronze"})
    # What an export made before the tables were Iceberg: partition keys and 30 partitions.
    glue.create_table(
        DatabaseName="importau_bronze",
        TableInput={
            "Name": "pedidos",
            "Description": reg.tables[PEDIDOS].description,
            "Owner": reg.tables[PEDIDOS].owner,
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {"classification": "parquet", "lakehouse_manifest_version": "4"},
            "StorageDescriptor": {"Columns": [{"Name": "pedido_id", "Type": "string"}]},
            "PartitionKeys": [{"Name": "anomesdia", "Type": "string"}],
        },
    )
    glue.batch_create_partition(
        DatabaseName="importau_bronze",
        TableName="pedidos",
        PartitionInputList=[{"Values": [day]} for day in load_dates(30)],
    )
    report = export(reg, aws, root)
    assert report.ok, report.summary()
    assert report.tables_updated == {PEDIDOS: ["Parameters", "StorageDescriptor", "PartitionKeys"]}
    assert report.partitions_deleted == 30
    assert report.writes["BatchDeletePartition"] == 2  # 25 a call
    assert "deleted 30 partitions left by an earlier registration" in report.summary()
    for name in reg.tables:
        database, table = name.split(".")
        assert glue.get_partitions(DatabaseName=database, TableName=table)["Partitions"] == []
    pedidos = _table(glue, PEDIDOS)
    assert "PartitionKeys" not in pedidos
    assert pedidos["Parameters"]["metadata_location"] == _store(root, PEDIDOS).metadata_location()
    assert not {"classification", "lakehouse_manifest_version"} & set(pedidos["Parameters"])
    again = export(reg, aws, root)
    assert again.write_calls == 0, again.writes
    assert "GetPartitions" not in again.reads


def test_second_export_with_nothing_changed_writes_nothing(aws, reg, root):
    with instance_for_test() as instance:
        record_materializations(instance, reg.tables.values())
        first = export(reg, aws, root, instance=instance)
        metadata = {name: _store(root, name).metadata_location() for name in reg.tables}
        second = export(reg, aws, root, instance=instance)
    assert first.write_calls > 0
    assert second.write_calls == 0, second.writes
    assert second.reads == {"GetDatabase": 3, "GetTables": 3}
    assert len(second.tables_unchanged) == 10
    assert "0 write calls" in second.summary()
    # Nor any Iceberg commit: the metadata already says what the specs say.
    assert {name: _store(root, name).metadata_location() for name in reg.tables} == metadata


def test_a_new_commit_moves_the_metadata_location_and_keeps_the_previous_one(aws, reg, root):
    export(reg, aws, root)
    glue = _glue(aws)
    before = _table(glue, PEDIDOS)["Parameters"]["metadata_location"]
    version = commit(root, reg.tables[PEDIDOS], partitions=3, run_id="next")
    report = export(reg, aws, root)
    assert report.tables_updated == {PEDIDOS: ["Parameters"]}
    assert report.writes == {"UpdateTable": 1}
    params = _table(glue, PEDIDOS)["Parameters"]
    assert params["metadata_location"] == version.metadata_location != before
    assert params["previous_metadata_location"] == before
    assert (params["recordCount"], params["lakehouse_table_version"]) == ("21", "2")
    assert params["lakehouse_snapshot_id"] == str(version.snapshot_id)
    assert params["last_materialization_run_id"] == "next"
    assert export(reg, aws, root).write_calls == 0
    assert _table(glue, PEDIDOS)["Parameters"]["previous_metadata_location"] == before


def test_descriptions_and_comments_are_in_the_iceberg_metadata_and_survive_commits(aws, reg, root):
    export(reg, aws, root)
    spec = reg.tables[PEDIDOS]
    table = _store(root, PEDIDOS).iceberg_table()
    assert table.properties["Description"] == spec.description
    assert {f.name: f.doc for f in table.schema().fields} == {
        c.name: c.comment for c in spec.columns
    }
    # The Glue entry names the metadata file holding them.
    assert _table(_glue(aws), PEDIDOS)["Parameters"]["metadata_location"] == (
        table.metadata_location
    )
    commit(root, spec, partitions=4, run_id="later")
    later = _store(root, PEDIDOS).iceberg_table()
    assert later.metadata_location != table.metadata_location
    assert later.properties["Description"] == spec.description
    assert {f.name: f.doc for f in later.schema().fields} == {
        c.name: c.comment for c in spec.columns
    }


def test_changed_description_updates_that_table_and_its_iceberg_metadata(aws, reg, root):
    export(reg, aws, root)
    old = _table(_glue(aws), RISCO)["Parameters"]["metadata_location"]
    changed = with_spec(reg, RISCO, description="FX risk features, described anew.")
    report = export(changed, aws, root)
    assert report.tables_updated == {RISCO: ["Description", "Parameters"]}
    assert report.writes == {"UpdateTable": 1}
    table = _table(_glue(aws), RISCO)
    assert table["Description"] == "FX risk features, described anew."
    iceberg = _store(root, RISCO).iceberg_table()
    assert iceberg.properties["Description"] == "FX risk features, described anew."
    assert table["Parameters"]["metadata_location"] == iceberg.metadata_location
    assert table["Parameters"]["previous_metadata_location"] == old


def test_an_update_refused_by_a_concurrent_change_is_made_again_on_the_new_entry(aws, reg, root):
    export(reg, aws, root)
    commit(root, reg.tables[PEDIDOS], partitions=3, run_id="next")
    fault = Fault(
        "UpdateTable", '"pedidos"', status=400, code="ConcurrentModificationException", times=1
    )
    with FaultyEndpoint(aws, [fault]) as endpoint:
        report = export(reg, endpoint.url, root)
    assert report.ok, report.summary()
    assert endpoint.failed == ['UpdateTable "pedidos"']
    assert report.writes == {"UpdateTable": 2}
    assert report.reads["GetTable"] == 1
    params = _table(_glue(aws), PEDIDOS)["Parameters"]
    assert params["metadata_location"] == _store(root, PEDIDOS).metadata_location()


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
    # Nor written into the Iceberg metadata.
    assert "Description" not in _store(root, RISCO).iceberg_table().properties


def test_a_failing_endpoint_leaves_the_rest_exported_and_says_what_failed(aws, reg, root):
    faults = [
        Fault("CreateTable", contains='"features_risco_cambial_mensal"'),
        Fault("CreateTable", '"fornecedores"', status=400, code="ThrottlingException"),
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
    assert failed["importau_bronze.fornecedores"].operation == "CreateTable"
    assert len(endpoint.failed) == 2 * 2  # each call retried once, then given up
    assert len(report.tables_created) == 8
    assert "2 failure(s); everything else was exported" in report.summary()

    retry = export(reg, aws, root)
    assert retry.ok
    assert sorted(retry.tables_created) == ["importau_bronze.fornecedores", RISCO]
    assert retry.writes == {"CreateTable": 2}
