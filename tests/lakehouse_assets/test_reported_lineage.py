"""The second line of defence on lineage: what a job reports it read, against the specs."""

from __future__ import annotations

import pytest
from dagster import AssetKey, MaterializeResult, MetadataValue

from lakehouse_assets.factory import LineageMismatchError, verify_reported_lineage
from lakehouse_assets.registry import registry

FUNCIONARIO = AssetKey(["bix", "silver", "funcionario"])
BRONZE = ["bix_bronze.funcionario", "bix_bronze.venda", "bix_bronze.categoria"]


def reported(key: AssetKey, tables: list[str]) -> MaterializeResult:
    inputs = MetadataValue.json({t: 1 for t in tables})
    return MaterializeResult(asset_key=key, metadata={"lakehouse/inputs_read": inputs})


def test_a_table_of_a_job_writing_several_may_report_its_siblings_inputs():
    # bix_silver_vendas reads the three bronze tables for its three outputs in one run.
    verify_reported_lineage([reported(FUNCIONARIO, BRONZE)], registry())


def test_a_declared_input_not_read_or_a_table_no_output_declares_fails():
    with pytest.raises(LineageMismatchError, match="declares upstream"):
        verify_reported_lineage([reported(FUNCIONARIO, ["bix_bronze.venda"])], registry())
    outsider = [*BRONZE, "vendas_bronze.purchase"]
    with pytest.raises(LineageMismatchError, match="declares upstream"):
        verify_reported_lineage([reported(FUNCIONARIO, outsider)], registry())
