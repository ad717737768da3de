"""The catalog benchmark counts every API call of an export, by operation, on a real endpoint."""

from __future__ import annotations

import pytest

from lakehouse_assets import local_aws
from lakehouse_assets.bench.catalog_child import export_once, is_read
from lakehouse_assets.bench.catalog_specs import commit_tables, synthetic_registry

TABLES = 20  # one domain: 8 bronze (3 load dates each), 8 silver, 4 gold


@pytest.fixture(scope="module")
def endpoint():
    server = local_aws.start_server(port=0)
    yield local_aws.server_url(server)
    server.stop()


@pytest.fixture(scope="module")
def exports(endpoint, tmp_path_factory, monkeypatch_module):
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "OPENLINEAGE_URL", "OPENLINEAGE_CONFIG"):
        monkeypatch_module.delenv(name, raising=False)
    root = str(tmp_path_factory.mktemp("catalog") / "lake")
    registry = synthetic_registry(TABLES)
    commit_tables(root, registry)
    return export_once(registry, endpoint, root), export_once(registry, endpoint, root)


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_the_synthetic_graph_has_every_layer_and_lineage():
    registry = synthetic_registry(250)
    layers = [spec.layer for spec in registry.tables.values()]
    assert len(registry.tables) == 250
    assert registry.domains() == ["bench00", "bench01", "bench02"]
    assert (layers.count("bronze"), layers.count("silver"), layers.count("gold")) == (100, 100, 50)
    gold = registry.tables["bench00_gold.gold_bench00_080"]
    assert gold.upstream == (
        "bench00_silver.silver_bench00_040",
        "bench00_silver.silver_bench00_041",
    )
    assert registry.downstream("bench00_bronze.bronze_bench00_000") == [
        "bench00_silver.silver_bench00_040",
        "bench00_silver.silver_bench00_079",
    ]


def test_the_first_export_creates_everything_and_counts_each_call(exports):
    first, _ = exports
    # Iceberg tables: no partition is registered in Glue.
    assert first["calls"] == {
        "CreateDatabase": 3,
        "CreateTable": 20,
        "GetDatabase": 6,  # before and after creating each database
        "GetTables": 3,
    }
    assert (first["reads"], first["writes"]) == (9, 23)
    assert (first["created"], first["failures"]) == (20, [])
    # The exporter's own tally agrees with the bench's hook.
    assert (first["reported_reads"], first["reported_writes"]) == (9, 23)


def test_a_second_export_with_nothing_changed_only_reads(exports):
    _, second = exports
    assert second["calls"] == {"GetDatabase": 3, "GetTables": 3}
    assert (second["reads"], second["writes"]) == (6, 0)
    assert second["unchanged"] == TABLES


@pytest.mark.parametrize(
    ("operation", "read"),
    [
        ("GetTables", True),
        ("BatchGetPartition", True),
        ("SearchTables", True),
        ("BatchDeletePartition", False),
        ("UpdateTable", False),
    ],
)
def test_reads_are_told_from_writes_by_operation_name(operation, read):
    assert is_read(operation) is read
