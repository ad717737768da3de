"""Lineage starts at the source system: catalog parameters and OpenLineage inputs."""

from __future__ import annotations

import pytest

from lakehouse_assets.catalog.facts import DataLocation, MaterializationFacts
from lakehouse_assets.catalog.openlineage_events import run_events, source_dataset
from lakehouse_assets.catalog.table_input import table_entry, table_parameters
from lakehouse_assets.domains.helpers import bronze_table
from lakehouse_assets.source_specs import PostgresTable
from lakehouse_assets.specs import Column

SPEC = bronze_table(
    domain="shop",
    name="venda",
    description="Sales.",
    owner="team:shop",
    job="shop_bronze",
    columns=(Column("id_venda", "int", "Sale id.", nullable=False),),
    primary_key=("id_venda",),
    extract=PostgresTable(connection="SHOP_POSTGRES_URI", table="public.venda", database="shop"),
)


@pytest.mark.parametrize(
    ("uri", "dataset"),
    [
        (
            "postgres://127.0.0.1:5432/juniordatabase/public.venda",
            ("postgres://127.0.0.1:5432", "juniordatabase.public.venda"),
        ),
        (
            "http://127.0.0.1:8123/api_challenge_junior",
            ("http://127.0.0.1:8123", "api_challenge_junior"),
        ),
        ("s3://bucket/landing/categoria", ("s3://bucket", "landing/categoria")),
        ("file:///data/landing/categoria", ("file", "/data/landing/categoria")),
    ],
)
def test_a_source_is_named_as_openlineage_names_datasets(uri, dataset):
    assert source_dataset(uri) == dataset


def test_the_catalog_names_the_kind_and_the_address_of_the_source():
    source = "postgres://127.0.0.1:5432/shop/public.venda"
    mat = MaterializationFacts(run_id="r1", timestamp=0.0, row_count=3, source=source)
    params = table_parameters(SPEC, [], DataLocation(table_root="file:///x"), mat, None)
    assert (params["source_kind"], params["source_system"]) == ("postgres", source)
    without = table_parameters(SPEC, [], DataLocation(table_root="file:///x"), None, None)
    assert without["source_kind"] == "postgres" and "source_system" not in without


def test_the_run_events_of_a_load_name_its_source_as_an_input():
    source = "postgres://127.0.0.1:5432/shop/public.venda"
    mat = MaterializationFacts(run_id="r1", timestamp=0.0, row_count=3, source=source)
    entry = table_entry(SPEC, [], DataLocation(table_root="file:///x"), mat)
    events = run_events(entry, "us-east-1", "123456789012", "lakehouse")
    inputs = [(i.namespace, i.name) for e in events for i in e.inputs]
    assert inputs == [("postgres://127.0.0.1:5432", "shop.public.venda")] * 2
