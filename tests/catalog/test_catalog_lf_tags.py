"""LF-Tags with Lake Formation on: keys and values created, tables and PII columns tagged."""

from __future__ import annotations

from lakehouse_assets.specs import PII_CLASSES
from tests.catalog.helpers import connect, export, with_spec

FORNECEDORES = {"DatabaseName": "importau_bronze", "Name": "fornecedores"}
RISCO = {"DatabaseName": "importau_gold", "Name": "features_risco_cambial_mensal"}


def _tags(tags: list[dict]) -> dict[str, list[str]]:
    return {t["TagKey"]: t["TagValues"] for t in tags}


def test_lf_tags_are_created_and_attached_to_tables_and_pii_columns(aws, reg, root):
    report = export(reg, aws, root, lake_formation=True)
    assert report.ok, report.summary()
    lf = connect(aws).client("lakeformation")
    keys = _tags(lf.list_lf_tags()["LFTags"])
    assert set(keys["pii_class"]) == {"none", *PII_CLASSES}
    assert set(keys["layer"]) == {"bronze", "silver", "gold"}
    assert keys["business_tag:risco_cambial"] == ["true"]

    table = lf.get_resource_lf_tags(Resource={"Table": RISCO}, ShowAssignedLFTags=True)
    assert _tags(table["LFTagsOnTable"]) == {
        "layer": ["gold"],
        "domain": ["importau"],
        "pii_class": ["none"],
        "business_tag:machine_learning": ["true"],
        "business_tag:forecast": ["true"],
        "business_tag:risco_cambial": ["true"],
    }
    columns = lf.get_resource_lf_tags(
        Resource={
            "TableWithColumns": {
                **FORNECEDORES,
                "ColumnNames": ["cnpj", "contato_email", "telefone", "razao_social"],
            }
        },
        ShowAssignedLFTags=True,
    )["LFTagsOnColumns"]
    assert {c["Name"]: _tags(c["LFTags"]) for c in columns} == {
        "cnpj": {"pii_class": ["tax_id"]},
        "contato_email": {"pii_class": ["email"]},
        "telefone": {"pii_class": ["phone"]},
    }


def test_second_export_changes_no_lf_tag_and_a_changed_tag_is_reassigned(aws, reg, root):
    export(reg, aws, root, lake_formation=True)
    again = export(reg, aws, root, lake_formation=True)
    assert again.write_calls == 0, again.writes
    assert again.reads["GetResourceLFTags"] == 20

    retagged = with_spec(
        reg, "importau_gold.features_risco_cambial_mensal", business_tags=("Forecast",)
    )
    report = export(retagged, aws, root, lake_formation=True)
    assert report.writes["RemoveLFTagsFromResource"] == 1
    lf = connect(aws).client("lakeformation")
    table = lf.get_resource_lf_tags(Resource={"Table": RISCO}, ShowAssignedLFTags=True)
    assert "business_tag:risco_cambial" not in _tags(table["LFTagsOnTable"])
    assert _tags(table["LFTagsOnTable"])["business_tag:forecast"] == ["true"]


def test_without_lake_formation_no_lake_formation_call_is_made(aws, reg, root):
    report = export(reg, aws, root)
    assert not [op for op in {**report.reads, **report.writes} if "LF" in op]
