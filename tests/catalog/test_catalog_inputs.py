"""The pure half: spec + graph + manifest + materialization -> Glue inputs, and their limits."""

from __future__ import annotations

import pytest

from lakehouse_assets.catalog.diff import differs, partition_changes, table_differs
from lakehouse_assets.catalog.export import build_plan
from lakehouse_assets.catalog.facts import MaterializationFacts, data_location
from lakehouse_assets.catalog.limits import CatalogValidationError, validate_table_input
from lakehouse_assets.catalog.table_input import (
    MANAGED_PARAMETERS,
    PARQUET_SERDE,
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


def test_unpartitioned_table_points_at_its_current_snapshot(reg, tmp_path):
    root = str(tmp_path)
    manifest = commit(root, reg.tables[RISCO], run_id="run-1", rows=42)
    facts = MaterializationFacts(run_id="run-1", timestamp=1732100000.0, row_count=42)
    entry = _entry(reg, root, RISCO, facts)
    body = entry.table_input
    descriptor = body["StorageDescriptor"]
    assert descriptor["Location"].endswith(
        f"/importau_gold/features_risco_cambial_mensal/snapshot={manifest.partitions[''].snapshot}"
    )
    assert descriptor["SerdeInfo"]["SerializationLibrary"] == PARQUET_SERDE
    assert body["PartitionKeys"] == [] and entry.partitions is None
    params = body["Parameters"]
    assert params["classification"] == "parquet"
    assert params["dagster_asset_key"] == "importau/gold/features_risco_cambial_mensal"
    assert params["upstream_tables"].split(",") == sorted(reg.tables[RISCO].upstream)
    assert params["downstream_tables"] == ""
    assert params["last_materialization_run_id"] == "run-1"
    assert params["last_materialization_time"] == "2024-11-20T10:53:20+00:00"
    assert params["last_materialization_row_count"] == "42"
    assert params["recordCount"] == "42"


def test_partitioned_table_registers_each_partition_at_its_own_folder(reg, tmp_path):
    root = str(tmp_path)
    commit(root, reg.tables[FORNECEDORES], partitions=3, run_id="r")
    entry = _entry(reg, root, FORNECEDORES)
    body = entry.table_input
    assert [k["Name"] for k in body["PartitionKeys"]] == ["anomesdia"]
    assert "anomesdia" not in [c["Name"] for c in body["StorageDescriptor"]["Columns"]]
    assert body["StorageDescriptor"]["Location"].endswith("/importau_bronze/fornecedores")
    assert sorted(entry.partitions) == [("20240101",), ("20240102",), ("20240103",)]
    partition = entry.partitions[("20240102",)]
    assert partition["StorageDescriptor"]["Location"].endswith(
        "/fornecedores/snapshot=snap-r/anomesdia=20240102"
    )
    assert partition["Parameters"]["recordCount"] == "7"


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


def test_table_never_materialized_is_exported_without_location_or_partition_list(reg, tmp_path):
    entry = _entry(reg, str(tmp_path), RISCO)
    assert "Location" not in entry.table_input["StorageDescriptor"]
    assert entry.partitions is None
    assert "last_materialization_run_id" not in entry.table_input["Parameters"]
    bronze = _entry(reg, str(tmp_path), FORNECEDORES)
    assert bronze.partitions is None  # left alone in the catalog, not emptied
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
        "StorageDescriptor": {"Columns": [{"Name": "c", "Type": "string", "Comment": "y" * 256}]},
        "PartitionKeys": [{"Name": "P", "Type": "string"}],
    }
    problems = [str(p) for p in validate_table_input("db", table)]
    assert any("`StorageDescriptor.Columns.c.Comment` has 256 characters" in p for p in problems)
    assert any("(key)` has 256 characters; Glue accepts 255" in p for p in problems)
    assert any("`Parameters.big` has 512001 characters" in p for p in problems)
    assert any("`PartitionKeys.P` 'P' must match" in p for p in problems)
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


def test_partition_changes_create_update_delete():
    desired = {("1",): {"Values": ["1"], "L": "a"}, ("2",): {"Values": ["2"], "L": "b"}}
    existing = [{"Values": ["2"], "L": "old"}, {"Values": ["3"], "L": "c"}]
    create, update, delete = partition_changes(desired, existing)
    assert [p["Values"] for p in create] == [["1"]]
    assert [p["Values"] for p in update] == [["2"]]
    assert delete == [["3"]]
