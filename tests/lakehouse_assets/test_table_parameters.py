"""Table parameters in specs: validated, sent to the job, published in the catalog and Dagster."""

from __future__ import annotations

import dataclasses

import pytest

from lakehouse_assets.catalog.facts import data_location
from lakehouse_assets.catalog.table_input import table_entry
from lakehouse_assets.domains.credito.specs import FEATURE_STORE
from lakehouse_assets.domains.importau.specs import FATO
from lakehouse_assets.factory import build_job_assets
from lakehouse_assets.registry import registry
from lakehouse_assets.specs import SpecError


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"Modelo": "x"}, "field `parameters.Modelo` name must be lower-case"),
        ({"layer": "x"}, "field `parameters.layer` is written by the catalog export itself"),
        ({"last_materialization_x": "x"}, "`parameters.last_materialization_x` is written by"),
        ({"window_days": 90}, "field `parameters.window_days` is a int; parameters are text"),
        ({"vocabulary": "x" * 512_001}, "has 512001 characters; Glue accepts 512000"),
    ],
)
def test_invalid_parameters_name_table_and_field(parameters, message):
    with pytest.raises(SpecError) as err:
        dataclasses.replace(FATO, parameters=parameters)
    assert str(err.value).startswith("table importau_silver.fato_pedido_correlacionado: ")
    assert message in str(err.value)


def test_the_job_gets_the_parameters():
    assert FATO.payload()["parameters"] == {}
    assert FEATURE_STORE.payload()["parameters"] == {
        "vocabulary_version": "credito-vocab-2024.1",
        "vocabulary": FEATURE_STORE.parameters["vocabulary"],
        "history_window_days": "90",
    }


def test_the_catalog_publishes_them_with_their_names(tmp_path):
    reg = registry()
    spec = reg.tables[FEATURE_STORE.qualified_name]
    location = data_location(str(tmp_path), spec)
    params = table_entry(spec, [], location).table_input["Parameters"]
    assert params["vocabulary_version"] == "credito-vocab-2024.1"
    assert params["history_window_days"] == "90"
    assert params["vocabulary"].startswith('{"person_home_ownership":["RENT","MORTGAGE","OWN"')
    assert params["lakehouse_parameters"] == "history_window_days,vocabulary,vocabulary_version"
    fato = table_entry(reg.tables[FATO.qualified_name], [], location).table_input["Parameters"]
    assert "lakehouse_parameters" not in fato


def test_the_asset_shows_them():
    reg = registry()
    assets = build_job_assets(reg.jobs[FEATURE_STORE.job], reg)
    (spec,) = assets.specs
    assert spec.metadata["lakehouse/parameters"].data == dict(FEATURE_STORE.parameters)
    importau = build_job_assets(reg.jobs[FATO.job], reg)
    assert "lakehouse/parameters" not in next(iter(importau.specs)).metadata
