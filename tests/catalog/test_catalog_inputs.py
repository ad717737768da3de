"""The pure half: spec + graph + manifest + materialization -> Glue inputs, and their limits."""

from __future__ import annotations

import pytest
from pyiceberg.types import StringType

from glue_scripts.lib.tables import TableStore
from lakehouse_assets.catalog import iceberg_docs
from lakehouse_assets.catalog.diff import differs, table_differs
from lakehouse_assets.catalog.export import build_plan
from lakehouse_assets.catalog.facts import MaterializationFacts, data_location
from lakehouse_assets.catalog.limits import CatalogValidationError, validate_table_input
from lakehouse_assets.catalog.table_input import (
    MANAGED_PARAMETERS,
    registration,
    table_entry,
    validate,
)
from tests.catalog.helpers import commit, forced, with_spec

FATO = "importau_silver.fato_pedido_correlacionado"
FORNECEDORES = "importau_bronze.fornecedores"
RISCO = "importau_gold.features_risco_cambial_mensal"


def _entry(reg, root, name, materialization=None):
    spec = reg.tables[name]
    return table_entry(spec, reg.downstream(name), data_location(root, spec), materialization)


def test_a_committed_table_is_an_iceberg_table_at_its_current_metadata_file(reg, tmp_path):
    root = str(tmp_path)
    version = commit(root, reg.tables[RISCO], run_id="run-1", rows=42)
    store = TableStore(root, "importau_gold", "features_risco_cambial_mensal")
    facts = MaterializationFacts(run_id="run-1", timestamp=1732100000.0, row_count=42)
    body = _entry(reg, root, RISCO, facts).table_input
    assert body["TableType"] == "EXTERNAL_TABLE"
    assert body["StorageDescriptor"]["Location"] == store.location
    assert store.location == f"file://{tmp_path}/importau_gold/features_risco_cambial_mensal"
    assert "PartitionKeys" not in body and "SerdeInfo" not in body["StorageDescriptor"]
    params = body["Parameters"]
    assert params["table_type"] == "ICEBERG"
    assert params["metadata_location"] == store.metadata_location() == version.metadata_location
    assert params["metadata_location"].startswith(f"{store.location}/metadata/00000-")
    assert "previous_metadata_location" not in params
    assert (params["lakehouse_table_version"], params["lakehouse_snapshot_id"]) == (
        "1",
        str(version.snapshot_id),
    )
    assert "classification" not in params and "lakehouse_manifest_version" not in params
    assert params["dagster_asset_key"] == "importau/gold/features_risco_cambial_mensal"
    assert params["upstream_tables"].split(",") == sorted(reg.tables[RISCO].upstream)
    assert params["downstream_tables"] == ""
    assert params["last_materialization_run_id"] == "run-1"
    assert params["last_materialization_time"] == "2024-11-20T10:53:20+00:00"
    assert params["last_materialization_row_count"] == "42"
    assert params["recordCount"] == "42"


def test_partition_columns_are_columns_of_an_iceberg_table(reg, tmp_path):
    root = str(tmp_path)
    commit(root, reg.tables[FORNECEDORES], partitions=3, run_id="r")
    body = _entry(reg, root, FORNECEDORES).table_input
    columns = body["StorageDescriptor"]["Columns"]
    assert [c["Name"] for c in columns] == [c.name for c in reg.tables[FORNECEDORES].columns]
    anomesdia = next(c for c in columns if c["Name"] == "anomesdia")
    assert anomesdia["Comment"] == reg.tables[FORNECEDORES].column("anomesdia").comment
    assert body["Parameters"]["partition_by"] == "anomesdia"
    assert body["Parameters"]["recordCount"] == "21"
    assert body["StorageDescriptor"]["Location"].endswith("/importau_bronze/fornecedores")


def test_pii_classes_reach_column_parameters_and_table_parameters(reg, tmp_path):
    body = _entry(reg, str(tmp_path), FORNECEDORES).table_input
    columns = body["StorageDescriptor"]["Columns"]
    classes = {c["Name"]: c["Parameters"]["pii_class"] for c in columns}
    assert classes["cnpj"] == "tax_id"
    assert classes["contato_email"] == "email"
    assert classes["telefone"] == "phone"
    assert classes["razao_social"] == "none"
    assert body["Parameters"]["pii_columns"] == "cnpj:tax_id,contato_email:email,telefone:phone"
    comments = {c["Name"]: c["Comment"] for c in body["StorageDescriptor"]["Columns"]}
    assert comments["cnpj"].startswith("Brazilian company tax ID")


def test_table_never_materialized_is_exported_without_location_nor_iceberg_registration(
    reg, tmp_path
):
    entry = _entry(reg, str(tmp_path), RISCO)
    assert "Location" not in entry.table_input["StorageDescriptor"]
    params = entry.table_input["Parameters"]
    assert "last_materialization_run_id" not in params
    assert not {"table_type", "metadata_location", "recordCount"} & set(params)
    plan = build_plan(reg, str(tmp_path), {}, {})
    assert "10 table(s) have no committed data" in plan.warnings[0]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "Fato_Pedido"}, "field `Name` 'Fato_Pedido' must match ^[a-z0-9_]+$"),
        ({"description": "x" * 2049}, "field `Description` has 2049 characters; Glue accepts 2048"),
    ],
)
def test_invalid_names_and_long_text_name_the_table_and_field(reg, tmp_path, change, field):
    bad = forced(reg, FATO, **change)
    plan = build_plan(bad, str(tmp_path), {}, {})
    with pytest.raises(CatalogValidationError) as err:
        validate(plan.databases, plan.entries, lake_formation=False)
    assert "importau_silver." in str(err.value) and field in str(err.value)
    assert "never truncates" in str(err.value) or "lower-cases" in str(err.value)


def test_long_column_comment_and_parameter_values_are_rejected_not_cut():
    table = {
        "Name": "t",
        "Parameters": {"k" * 256: "v", "big": "x" * 512_001},
        "StorageDescriptor": {"Columns": [{"Name": "C", "Type": "string", "Comment": "y" * 256}]},
    }
    problems = [str(p) for p in validate_table_input("db", table)]
    assert any("`StorageDescriptor.Columns.C.Comment` has 256 characters" in p for p in problems)
    assert any("(key)` has 256 characters; Glue accepts 255" in p for p in problems)
    assert any("`Parameters.big` has 512001 characters" in p for p in problems)
    assert any("`StorageDescriptor.Columns.C` 'C' must match" in p for p in problems)
    assert all(p.startswith("table db.t: field `") for p in problems)


def test_too_many_lf_tags_fail_only_when_lake_formation_is_on(reg, tmp_path):
    many = with_spec(reg, RISCO, business_tags=tuple(f"Tag {i}" for i in range(48)))
    plan = build_plan(many, str(tmp_path), {}, {})
    validate(plan.databases, plan.entries, lake_formation=False)
    with pytest.raises(CatalogValidationError, match=rf"table {RISCO}: field `business_tags"):
        validate(plan.databases, plan.entries, lake_formation=True)


def test_diff_compares_only_what_is_sent_but_sees_removed_parameters():
    desired = {"Name": "t", "Parameters": {"layer": "gold"}, "StorageDescriptor": {"Columns": []}}
    existing = {
        **desired,
        "CreateTime": "2024",
        "CatalogId": "1",
        "VersionId": "3",
        "IsRegisteredWithLakeFormation": False,
        "StorageDescriptor": {"Columns": [], "NumberOfBuckets": -1},
        "Parameters": {"layer": "gold", "transient_lastDdlTime": "1"},
    }
    assert not table_differs(desired, existing, MANAGED_PARAMETERS)
    stale = {**existing, "Parameters": {"layer": "gold", "recordCount": "5"}}
    assert table_differs(desired, stale, MANAGED_PARAMETERS)
    assert differs({"Description": "new"}, {"Description": "old"})


def _desired(metadata_location: str | None = "m2") -> dict:
    params = {"layer": "gold", "recordCount": "5"}
    if metadata_location:
        params.update(table_type="ICEBERG", metadata_location=metadata_location)
    column = {"Name": "c", "Type": "string", "Comment": "C.", "Parameters": {"pii_class": "none"}}
    return {"Name": "t", "Parameters": params, "StorageDescriptor": {"Columns": [column]}}


def _glue_entry(**params) -> dict:
    column = {"Name": "c", "Type": "string", "Parameters": {"iceberg.field.id": "1"}}
    return {"Name": "t", "Parameters": params, "StorageDescriptor": {"Columns": [column]}}


def test_registering_keeps_the_replaced_metadata_file_and_what_others_wrote():
    existing = _glue_entry(
        table_type="ICEBERG", metadata_location="m1", lakehouse_manifest_version="3", x="1"
    )
    body = registration(_desired("m2"), existing, glue_is_iceberg_catalog=False)
    assert body["Parameters"] == {
        "x": "1",
        "layer": "gold",
        "recordCount": "5",
        "table_type": "ICEBERG",
        "metadata_location": "m2",
        "previous_metadata_location": "m1",
    }
    assert body["StorageDescriptor"]["Columns"][0]["Parameters"] == {
        "iceberg.field.id": "1",
        "pii_class": "none",
    }
    # Registered already: the previous file stays what it was, and nothing differs.
    assert registration(_desired("m2"), body, False)["Parameters"] == body["Parameters"]
    assert not table_differs(registration(_desired("m2"), body, False), body, MANAGED_PARAMETERS)
    # A Hive registration of an earlier export has no metadata file to keep.
    hive = registration(_desired("m2"), _glue_entry(metadata_location="m0"), False)
    assert "previous_metadata_location" not in hive["Parameters"]
    # Never committed: no Iceberg registration, and an earlier one is removed.
    bare = registration(_desired(None), existing, False)
    assert not {"table_type", "metadata_location"} & set(bare["Parameters"])
    assert table_differs(bare, existing, MANAGED_PARAMETERS)


def test_where_glue_is_the_iceberg_catalog_the_commits_registration_is_sent_back_unchanged():
    existing = _glue_entry(
        table_type="ICEBERG",
        metadata_location="m9",
        previous_metadata_location="m8",
        **{"format-version": "2", "Description": "D."},
    )
    body = registration(_desired("m2"), existing, glue_is_iceberg_catalog=True)
    assert body["Parameters"] == {
        "format-version": "2",
        "Description": "D.",
        "layer": "gold",
        "recordCount": "5",
        "table_type": "ICEBERG",
        "metadata_location": "m9",
        "previous_metadata_location": "m8",
    }


def test_documenting_a_table_a_job_changed_meanwhile_starts_again_from_its_new_schema(
    reg, tmp_path
):
    root, spec = str(tmp_path), reg.tables[RISCO]
    commit(root, spec)
    store = TableStore(root, spec.database, spec.name)
    stale = store.iceberg_table()
    # Another writer adds a column between the export's read and its commit.
    with store.iceberg_table().update_schema() as update:
        update.add_column("nova", StringType())
    table, committed = iceberg_docs.document(store, spec, stale)
    assert committed
    assert table.metadata_location == store.metadata_location() != stale.metadata_location
    fields = {f.name: f.doc for f in store.iceberg_table().schema().fields}
    assert fields == {**{c.name: c.comment for c in spec.columns}, "nova": None}
    assert store.iceberg_table().properties["Description"] == spec.description
    assert iceberg_docs.document(store, spec, store.iceberg_table())[1] is False
