"""OpenLineage run events: one START/COMPLETE pair per new materialization, Glue ARNs as names."""

from __future__ import annotations

import json
from pathlib import Path

from dagster import instance_for_test

from lakehouse_assets.catalog.openlineage_events import table_arn
from tests.catalog.helpers import ACCOUNT, REGION, export, record_materializations

GOLD = "importau_gold.agregado_fluxo_de_caixa_mensal"


def _events(root: str) -> list[dict]:
    path = Path(root) / "openlineage" / "events.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_events_name_glue_tables_by_arn_with_inputs_outputs_and_schema(aws, reg, root):
    with instance_for_test() as instance:
        run_id = record_materializations(instance, reg.tables.values(), rows=11)
        report = export(reg, aws, root, instance=instance, openlineage=True)
        assert report.openlineage_events == 20
        events = _events(root)
        gold = [e for e in events if e["job"]["name"] == "importau/gold/" + GOLD.split(".")[1]]
        assert [e["eventType"] for e in gold] == ["START", "COMPLETE"]
        complete = gold[1]
        namespace = f"arn:aws:glue:{REGION}:{ACCOUNT}"
        assert complete["outputs"][0]["namespace"] == namespace
        assert complete["outputs"][0]["name"] == "table/" + GOLD.replace(".", "/")
        assert table_arn(REGION, ACCOUNT, GOLD) == (
            f"{namespace}:table/importau_gold/agregado_fluxo_de_caixa_mensal"
        )
        assert sorted(i["name"] for i in complete["inputs"]) == [
            "table/importau_bronze/emprestimos",
            "table/importau_silver/fato_pedido_correlacionado",
        ]
        facets = complete["outputs"][0]["facets"]
        fields = facets["schema"]["fields"]
        assert fields[0]["name"] == "mes_referencia" and fields[0]["type"] == "date"
        assert fields[0]["description"] == "First day of the month."
        assert facets["ownership"]["owners"] == [{"name": "team:importau-data"}]
        assert complete["outputs"][0]["outputFacets"]["outputStatistics"]["rowCount"] == 11
        parent = complete["run"]["facets"]["parent"]
        assert parent["run"]["runId"] == run_id
        assert parent["job"]["name"] == "importau_gold_agregado_fluxo_de_caixa_mensal"

        again = export(reg, aws, root, instance=instance, openlineage=True)
        assert again.openlineage_events == 0
        assert len(_events(root)) == 20


def test_standard_openlineage_configuration_takes_over_the_file(aws, reg, root, monkeypatch):
    monkeypatch.setenv("OPENLINEAGE_DISABLED", "true")
    with instance_for_test() as instance:
        record_materializations(instance, reg.tables.values())
        report = export(reg, aws, root, instance=instance, openlineage=True)
    assert report.ok
    assert not (Path(root) / "openlineage" / "events.jsonl").exists()
