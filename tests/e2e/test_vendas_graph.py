"""The whole vendas graph through Dagster, Pipes and the warm runner on the statement's sample,
then the published answers through `lakehouse vendas gmv`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from dagster import instance_for_test

from lakehouse_assets.cli import main
from lakehouse_assets.registry import registry
from tests.e2e.helpers import checks, materializations, run_graph

pytestmark = pytest.mark.e2e
SAMPLE = Path(__file__).parents[1] / "fixtures" / "vendas" / "hotmart_case_sample"
LOAD_DATE = "20240110"
GOLD = "vendas/gold/gmv_diario_por_subsidiaria"
SNAPSHOTS = [
    "2023-01-20",
    "2023-01-23",
    "2023-01-25",
    "2023-01-26",
    "2023-02-05",
    "2023-02-26",
    "2023-02-28",
    "2023-03-12",
    "2023-07-12",
    "2023-07-15",
    "2024-01-09",  # the processing day: the load date - 1
]


def test_the_sample_publishes_its_history_and_answers_as_known_on_a_day(launcher, lake, capsys):
    for source in ("purchase", "product_item", "purchase_extra_info"):
        shutil.copy(SAMPLE / f"{source}.csv", lake["landing"] / f"{source}.csv")
    vendas = [t for t in registry().tables.values() if t.domain == "vendas"]
    with instance_for_test() as instance:
        result = run_graph(
            launcher,
            instance,
            selection=["/".join(t.key_path) for t in vendas],
            partition_key=LOAD_DATE,
        )
    assert result.success

    published = materializations(result)
    rows = {key: m.metadata["dagster/row_count"].value for key, m in published.items()}
    assert rows == {
        "vendas/bronze/purchase": 5,
        "vendas/bronze/product_item": 4,
        "vendas/bronze/purchase_extra_info": 4,
        "vendas/silver/historico_estado_compra": 10,
        GOLD: 25,
    }
    assert published["vendas/bronze/purchase"].partition == LOAD_DATE
    assert published["vendas/bronze/purchase"].metadata["lakehouse/quarantined_rows"].value == 0
    assert published[GOLD].partition is None
    written = published[GOLD].metadata["lakehouse/partitions_written"].data
    assert written == [f"data_posicao={day}" for day in SNAPSHOTS]
    lineage = published[GOLD].metadata["dagster/column_lineage"].column_lineage
    assert sorted(d.column_name for d in lineage.deps_by_column["gmv"]) == [
        "pago",
        "purchase_value",
    ]

    evaluations = checks(result)
    assert len(evaluations) == sum(len(t.rules) for t in vendas)
    assert {k for k, e in evaluations.items() if not e.passed} == set()

    root = str(lake["root"])
    capsys.readouterr()
    assert (
        main(["vendas", "gmv", "--root", root, "--month", "2023-01", "--as-of", "2023-03-31"]) == 0
    )
    assert main(["vendas", "gmv", "--root", root, "--month", "2023-01"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "GMV by subsidiary of 2023-01 as known on 2023-03-31 (snapshot 2023-03-12, the latest "
        "on or before it)",
        "data_venda  subsidiaria                  gmv  compras  pagas",
        "2023-01-20  nacional                   50.00        1      1",
        "2023-01-25  internacional               0.00        1      0",
        "total by subsidiary:",
        "  internacional                         0.00",
        "  nacional                             50.00",
        "  all                                  50.00",
        "GMV by subsidiary of 2023-01 as known today (latest snapshot 2024-01-09)",
        "data_venda  subsidiaria                  gmv  compras  pagas",
        "2023-01-20  nacional                   55.00        1      1",
        "2023-01-25  internacional               0.00        1      0",
        "total by subsidiary:",
        "  internacional                         0.00",
        "  nacional                             55.00",
        "  all                                  55.00",
    ]
