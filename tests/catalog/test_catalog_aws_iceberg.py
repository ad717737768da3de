"""The aws target: Glue is the Iceberg catalog, so the commits own each table's registration.

A root on `s3://` of the local endpoint (moto's S3 and Glue) with pyiceberg's GlueCatalog,
as on AWS: each commit creates or rewrites the table's Glue entry, and the export only adds
what the commits do not carry, without ever moving the metadata file the entry names.
"""

from __future__ import annotations

import boto3
import pytest

from glue_scripts.lib.tables import TableStore
from tests.catalog.helpers import REGION, commit, connect, export

PEDIDOS = "importau_bronze.pedidos"
RISCO = "importau_gold.features_risco_cambial_mensal"


@pytest.fixture
def s3_root(aws, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws)
    boto3.client("s3", region_name=REGION).create_bucket(Bucket="lake")
    yield "s3://lake/prod"


def _table(glue, name: str) -> dict:
    database, table = name.split(".")
    return glue.get_table(DatabaseName=database, Name=table)["Table"]


def _comments(table: dict) -> dict[str, str | None]:
    return {c["Name"]: c.get("Comment") for c in table["StorageDescriptor"]["Columns"]}


def test_the_export_describes_what_the_commits_registered_without_moving_their_metadata(
    aws, s3_root, reg
):
    spec = reg.tables[PEDIDOS]
    commit(s3_root, spec, run_id="first")
    commit(s3_root, reg.tables[RISCO], run_id="first")
    glue = connect(aws).client("glue")
    committed = _table(glue, PEDIDOS)["Parameters"]["metadata_location"]
    assert "Owner" not in _table(glue, PEDIDOS)

    report = export(reg, aws, s3_root)
    assert report.ok, report.summary()
    # Tables no commit registered yet are left to their first commit: one made by the
    # export would make that commit fail.
    assert sorted(report.awaiting_commit) == sorted(set(reg.tables) - {PEDIDOS, RISCO})
    assert "8 table(s) are not Iceberg tables in Glue yet" in report.summary()
    assert report.tables_created == []
    assert sorted(report.tables_updated) == [PEDIDOS, RISCO]
    bronze = glue.get_tables(DatabaseName="importau_bronze")["TableList"]
    assert [t["Name"] for t in bronze] == ["pedidos"]

    store = TableStore(s3_root, "importau_bronze", "pedidos")
    iceberg = store.iceberg_table()
    # The description went into the Iceberg metadata through a commit, which registered
    # the new metadata file itself; the export's Glue update kept exactly that.
    assert iceberg.properties["Description"] == spec.description
    pedidos = _table(glue, PEDIDOS)
    params = pedidos["Parameters"]
    assert params["table_type"] == "ICEBERG"
    assert params["metadata_location"] == iceberg.metadata_location != committed
    assert params["previous_metadata_location"] == committed
    assert pedidos["StorageDescriptor"]["Location"] == store.location
    assert (pedidos["Owner"], pedidos["Description"]) == (spec.owner, spec.description)
    assert params["business_tags"] == "Core Domain"
    assert params["last_materialization_run_id"] == "first"
    assert params["lakehouse_snapshot_id"] == str(store.current().snapshot_id)
    # What pyiceberg keeps there stays: the table's properties, the columns' field ids.
    assert params["commit.manifest-merge.enabled"] == "true"
    columns = {c["Name"]: c for c in pedidos["StorageDescriptor"]["Columns"]}
    assert columns["pedido_id"]["Parameters"]["pii_class"] == "none"
    assert columns["pedido_id"]["Parameters"]["iceberg.field.id"] == "1"
    assert _comments(pedidos) == {c.name: c.comment for c in spec.columns}

    version = commit(s3_root, spec, partitions=3, run_id="next")
    after = _table(glue, PEDIDOS)
    # The commit rewrote the entry: its description and comments came from the Iceberg
    # metadata, the export's parameters were kept; the owner is not something it keeps.
    assert after["Parameters"]["metadata_location"] == version.metadata_location
    assert after["Parameters"]["previous_metadata_location"] == iceberg.metadata_location
    assert after["Description"] == spec.description
    assert _comments(after) == {c.name: c.comment for c in spec.columns}
    assert after["Parameters"]["business_tags"] == "Core Domain"
    assert "Owner" not in after

    again = export(reg, aws, s3_root)
    assert again.ok, again.summary()
    assert again.tables_updated == {PEDIDOS: ["Owner", "Parameters", "StorageDescriptor"]}
    assert again.writes == {"UpdateTable": 1}
    restored = _table(glue, PEDIDOS)
    assert restored["Owner"] == spec.owner
    assert restored["Parameters"]["metadata_location"] == version.metadata_location
    assert restored["Parameters"]["previous_metadata_location"] == iceberg.metadata_location
    assert restored["Parameters"]["last_materialization_run_id"] == "next"
    assert store.metadata_location() == version.metadata_location  # no Iceberg commit
    assert export(reg, aws, s3_root).write_calls == 0
