"""The landing sensors, evaluated tick after tick against a real instance and real files."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from dagster import AssetKey, AssetMaterialization

from lakehouse_assets import local_aws
from lakehouse_assets.definitions import build_definitions
from lakehouse_assets.landing_sensor import (
    SOURCES_TAG,
    TRIGGER_TAG,
    landing_job_name,
    landing_sensor_name,
)
from lakehouse_assets.settings import Settings
from tests.events.conftest import SensorTicks, lake_env

DAY = "20250105"
PEDIDOS = AssetKey(["importau", "bronze", "pedidos"])
ITENS = AssetKey(["importau", "bronze", "itens_pedido"])
CAMBIO = AssetKey(["importau", "bronze", "cambio"])


def today() -> str:
    return datetime.now(UTC).strftime("%Y%m%d")


def land(landing: Path, relative: str, text: str = "pedido_id,valor\n1,10\n") -> Path:
    path = landing / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def expected_run_key(domain: str, load_date: str, landing: Path, places: dict[str, list[str]]):
    """The run key from first principles: places and the (path, size, mtime) of their files."""
    fingerprints = []
    for place, files in places.items():
        stats = [
            (f, (landing / f).stat().st_size, str((landing / f).stat().st_mtime_ns)) for f in files
        ]
        text = json.dumps(sorted(stats))
        fingerprints.append((place, hashlib.sha256(text.encode()).hexdigest()[:16]))
    digest = hashlib.sha256(json.dumps(sorted(fingerprints)).encode()).hexdigest()[:16]
    return f"{domain}:{load_date}:{digest}"


@pytest.fixture
def importau(defs, instance):
    return SensorTicks(defs, instance, landing_sensor_name("importau"))


def test_a_daily_load_is_requested_once_after_two_stable_ticks(lake, defs, instance, importau):
    land(lake["landing"], f"pedidos/anomesdia={DAY}/pedidos.csv")

    assert importau.tick() == []
    assert json.loads(importau.cursor)["loads"][f"pedidos/anomesdia={DAY}"]["first_seen"] == (
        today()
    )
    [request] = importau.tick()
    assert request.partition_key == DAY
    assert request.asset_selection == [PEDIDOS]
    assert request.run_key == expected_run_key(
        "importau",
        DAY,
        lake["landing"],
        {f"pedidos/anomesdia={DAY}": [f"pedidos/anomesdia={DAY}/pedidos.csv"]},
    )
    assert request.tags == {
        TRIGGER_TAG: "landing",
        SOURCES_TAG: "pedidos",
        "dagster/partition": DAY,
        "dagster/partition_set": "importau_landing_partition_set",
        "dagster/sensor_name": "importau_landing_sensor",
    }
    assert importau.tick() == []

    # A restart: new definitions (a new daemon process), the cursor as stored.
    again = SensorTicks(build_definitions(Settings.from_env(lake_env(lake))), instance, "x")
    again.name, again.cursor = landing_sensor_name("importau"), importau.cursor
    assert again.tick() == []
    assert again.tick() == []


def test_the_cursor_records_what_was_requested_and_what_is_pending(lake, importau):
    land(lake["landing"], f"pedidos/anomesdia={DAY}/pedidos.csv")
    importau.tick()
    importau.tick()
    land(lake["landing"], "cambio/anomesdia=20250106/cambio.csv", "data,taxa\n")
    importau.tick()
    body = json.loads(importau.cursor)
    assert body["version"] == 1
    assert set(body["loads"]) == {f"pedidos/anomesdia={DAY}", "cambio/anomesdia=20250106"}
    assert set(body["loads"][f"pedidos/anomesdia={DAY}"]) == {"requested", "load_date"}
    assert body["loads"][f"pedidos/anomesdia={DAY}"]["load_date"] == DAY
    assert set(body["loads"]["cambio/anomesdia=20250106"]) == {"pending", "first_seen"}


def test_a_success_marker_makes_the_load_complete_at_once(lake, importau):
    land(lake["landing"], f"pedidos/anomesdia={DAY}/part-0.csv")
    land(lake["landing"], f"pedidos/anomesdia={DAY}/_SUCCESS", "")

    [request] = importau.tick()
    assert (request.partition_key, request.asset_selection) == (DAY, [PEDIDOS])
    assert importau.tick() == []


def test_a_file_still_growing_is_not_requested_until_it_is_stable(lake, importau):
    path = land(lake["landing"], f"pedidos/anomesdia={DAY}/pedidos.csv", "pedido_id,valor\n")
    assert importau.tick() == []
    with path.open("a") as handle:
        handle.write("1,10\n")
    assert importau.tick() == []
    with path.open("a") as handle:
        handle.write("2,20\n")
    assert importau.tick() == []
    [request] = importau.tick()
    assert request.partition_key == DAY
    assert request.run_key == expected_run_key(
        "importau",
        DAY,
        lake["landing"],
        {f"pedidos/anomesdia={DAY}": [f"pedidos/anomesdia={DAY}/pedidos.csv"]},
    )


def test_sources_landing_for_one_day_start_one_run_per_day(lake, importau):
    land(lake["landing"], f"pedidos/anomesdia={DAY}/pedidos.csv")
    land(lake["landing"], f"itens_pedido/anomesdia={DAY}/itens.csv")
    land(lake["landing"], "cambio/anomesdia=20250106/cambio.csv")
    importau.tick()

    requests = importau.tick()
    assert [(r.partition_key, r.asset_selection, r.tags[SOURCES_TAG]) for r in requests] == [
        (DAY, [ITENS, PEDIDOS], "itens_pedido,pedidos"),
        ("20250106", [CAMBIO], "cambio"),
    ]
    assert requests[0].run_key == expected_run_key(
        "importau",
        DAY,
        lake["landing"],
        {
            f"pedidos/anomesdia={DAY}": [f"pedidos/anomesdia={DAY}/pedidos.csv"],
            f"itens_pedido/anomesdia={DAY}": [f"itens_pedido/anomesdia={DAY}/itens.csv"],
        },
    )


def test_a_redelivery_is_a_new_fingerprint_and_a_new_run(lake, importau):
    path = land(lake["landing"], f"pedidos/anomesdia={DAY}/pedidos.csv")
    importau.tick()
    [first] = importau.tick()

    path.write_text("pedido_id,valor\n1,10\n2,20\n")
    assert importau.tick() == []
    [second] = importau.tick()
    assert second.partition_key == DAY
    assert second.run_key != first.run_key
    assert importau.tick() == []

    # A second file in the folder changes the file set too.
    land(lake["landing"], f"pedidos/anomesdia={DAY}/pedidos-2.csv")
    importau.tick()
    [third] = importau.tick()
    assert third.run_key not in (first.run_key, second.run_key)


def test_a_flat_export_loads_on_the_utc_day_it_was_first_seen(lake, importau):
    land(lake["landing"], "cambio.csv", "data,taxa\n")
    land(lake["landing"], "fornecedores/fornecedores.csv", "id,nome\n")
    importau.tick()
    [request] = importau.tick()
    assert request.partition_key == today()
    assert request.asset_selection == [CAMBIO, AssetKey(["importau", "bronze", "fornecedores"])]
    assert importau.tick() == []


def test_files_that_are_not_a_load_are_ignored(lake, defs, instance, importau):
    land(lake["landing"], f"pedidos/anomesdia={DAY}/notes.txt")  # not the source's format
    land(lake["landing"], f"pedidos/archive/anomesdia={DAY}/pedidos.csv")  # not a layout
    land(lake["landing"], "desconhecido/anomesdia=20250105/x.csv")  # no such source
    land(lake["landing"], "venda.csv")  # bix's venda is a database table, not a file source
    land(lake["landing"], "categoria.csv")  # bix's categoria reads Parquet files
    bix = SensorTicks(defs, instance, landing_sensor_name("bix"))
    for _ in range(3):
        assert importau.tick() == []
        assert bix.tick() == []
    assert json.loads(importau.cursor)["loads"] == {}


def test_only_domains_with_file_sources_have_a_landing_sensor_and_job(defs):
    sensors = {s.name for s in defs.sensors}
    assert {n for n in sensors if n.endswith("_landing_sensor")} == {
        "bix_landing_sensor",
        "credito_landing_sensor",
        "importau_landing_sensor",
        "vendas_landing_sensor",
    }
    job = defs.resolve_job_def(landing_job_name("bix"))
    assert job.partitions_def is not None
    assert job.asset_layer.selected_asset_keys == {AssetKey(["bix", "bronze", "categoria"])}
    sensor = defs.resolve_sensor_def(landing_sensor_name("bix"))
    assert sensor.minimum_interval_seconds == 30
    assert sensor.default_status.value == "RUNNING"


def test_loads_already_materialized_are_adopted_on_the_first_tick(lake, instance, importau):
    instance.report_runless_asset_event(AssetMaterialization(PEDIDOS, partition=DAY))
    land(lake["landing"], f"pedidos/anomesdia={DAY}/pedidos.csv")
    land(lake["landing"], "pedidos/anomesdia=20250106/pedidos.csv")

    assert importau.tick() == []
    [request] = importau.tick()
    assert request.partition_key == "20250106"
    loads = json.loads(importau.cursor)["loads"]
    assert loads[f"pedidos/anomesdia={DAY}"]["load_date"] == DAY
    # Adoption happens only on the first tick: a re-delivery later is loaded.
    land(lake["landing"], f"pedidos/anomesdia={DAY}/pedidos.csv", "pedido_id,valor\n9,9\n")
    importau.tick()
    [redelivery] = importau.tick()
    assert redelivery.partition_key == DAY


def test_a_day_that_is_not_a_partition_is_never_requested(lake, importau):
    land(lake["landing"], "pedidos/anomesdia=20231231/pedidos.csv")  # before the first day
    land(lake["landing"], "pedidos/anomesdia=20241399/pedidos.csv")  # not a date
    land(lake["landing"], "pedidos/anomesdia=20991231/_SUCCESS", "")
    land(lake["landing"], "pedidos/anomesdia=20991231/pedidos.csv")  # a day still to come
    for _ in range(3):
        assert importau.tick() == []
    loads = json.loads(importau.cursor)["loads"]
    assert all("requested" not in record for record in loads.values())


def test_removed_files_are_forgotten_and_a_new_delivery_there_is_loaded(lake, importau):
    path = land(lake["landing"], f"pedidos/anomesdia={DAY}/pedidos.csv")
    importau.tick()
    [first] = importau.tick()
    path.unlink()
    assert importau.tick() == []
    assert json.loads(importau.cursor)["loads"] == {}
    land(lake["landing"], f"pedidos/anomesdia={DAY}/pedidos.csv", "pedido_id,valor\n5,5\n")
    importau.tick()
    [second] = importau.tick()
    assert second.partition_key == DAY and second.run_key != first.run_key


@pytest.fixture
def s3_landing(monkeypatch):
    server = local_aws.start_server(port=0)
    monkeypatch.setenv("AWS_ENDPOINT_URL", local_aws.server_url(server))
    for name, value in (
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
    ):
        monkeypatch.setenv(name, value)
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="lake")
    try:
        yield s3
    finally:
        server.stop()


def test_an_s3_landing_is_watched_the_same_way(lake, instance, s3_landing):
    defs = build_definitions(Settings.from_env(lake_env(lake, landing="s3://lake/landing")))
    vendas = SensorTicks(defs, instance, landing_sensor_name("vendas"))
    key = f"landing/purchase/anomesdia={DAY}/purchase.csv"
    s3_landing.put_object(Bucket="lake", Key=key, Body=b"purchase_id\n1\n")
    assert vendas.tick() == []
    [request] = vendas.tick()
    assert request.partition_key == DAY
    assert request.asset_selection == [AssetKey(["vendas", "bronze", "purchase"])]
    assert vendas.tick() == []

    s3_landing.put_object(Bucket="lake", Key=key, Body=b"purchase_id\n1\n2\n")
    s3_landing.put_object(Bucket="lake", Key=f"landing/purchase/anomesdia={DAY}/_SUCCESS", Body=b"")
    [redelivery] = vendas.tick()
    assert redelivery.partition_key == DAY and redelivery.run_key != request.run_key


def test_an_unreadable_s3_landing_fails_the_tick_with_what_to_check(lake, instance, s3_landing):
    defs = build_definitions(Settings.from_env(lake_env(lake, landing="s3://missing/landing")))
    vendas = SensorTicks(defs, instance, landing_sensor_name("vendas"))
    with pytest.raises(Exception, match="cannot list the landing s3://missing/landing") as err:
        vendas.tick()
    assert "credentials" in str(err.value)
    assert os.environ["AWS_SECRET_ACCESS_KEY"] not in str(err.value)


def test_a_cursor_not_written_by_the_sensor_is_refused_with_what_to_do(importau):
    importau.cursor = "not json"
    with pytest.raises(Exception, match="was not written by a landing sensor; clear it"):
        importau.tick()
