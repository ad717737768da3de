"""`lakehouse catalog export|search|lineage` as a user types them (through `add_commands`)."""

from __future__ import annotations

import pytest

from lakehouse_assets.cli.catalog import main
from lakehouse_assets.registry import registry
from tests.catalog.faults import Fault, FaultyEndpoint

GOLD = "importau_gold.agregado_fluxo_de_caixa_mensal"
# The CLI exports every domain's tables.
TABLES = len(registry().tables)


@pytest.fixture
def cli_env(aws, root, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws)
    monkeypatch.setenv("LAKEHOUSE_ROOT", root)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    return aws


def test_export_then_search_then_lineage(cli_env, capsys):
    assert main(["catalog", "export"]) == 0
    out = capsys.readouterr().out
    assert f"exporting the catalog to {cli_env}" in out
    assert f"  created {GOLD}" in out
    # The command exports every domain's tables.
    total = len(registry().tables)
    assert f"{total} created, 0 updated, 0 unchanged" in out

    assert main(["catalog", "export"]) == 0
    assert f"0 created, 0 updated, {total} unchanged" in capsys.readouterr().out

    assert main(["catalog", "search", "Risco", "Cambial"]) == 0
    captured = capsys.readouterr()
    assert "importau_gold.features_risco_cambial_mensal" in captured.out
    assert "search_tables is not available" in captured.err

    assert main(["catalog", "lineage", GOLD]) == 0
    out = capsys.readouterr().out
    assert f"upstream of {GOLD}:" in out and f"downstream of {GOLD}:" in out
    assert "(no downstream tables)" in out

    assert main(["catalog", "lineage", GOLD, "--upstream", "--format", "mermaid"]) == 0
    assert capsys.readouterr().out.startswith("graph LR")


def test_unknown_table_and_no_match_exit_non_zero(cli_env, capsys):
    assert main(["catalog", "export", "--no-openlineage"]) == 0
    assert main(["catalog", "lineage", "importau_gold.nao_existe"]) == 1
    assert "is not in the Glue Data Catalog" in capsys.readouterr().err
    assert main(["catalog", "search", "zzz"]) == 1


def test_failures_exit_1_and_say_what_to_do(cli_env, root, monkeypatch, capsys):
    with FaultyEndpoint(cli_env, [Fault("CreateTable", '"pedidos"')]) as endpoint:
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint.url)
        assert main(["catalog", "export", "--no-openlineage"]) == 1
    out = capsys.readouterr().out
    assert "importau_bronze.pedidos: CreateTable failed" in out
    assert "it writes only what is still missing" in out


def test_local_target_without_endpoint_refuses_to_reach_aws(aws, root, monkeypatch, capsys):
    monkeypatch.setenv("LAKEHOUSE_ROOT", root)
    assert main(["catalog", "search", "x"]) == 2
    assert "no local AWS endpoint: start one with `lakehouse local-aws --background`" in (
        capsys.readouterr().err
    )
