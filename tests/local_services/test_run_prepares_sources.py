"""`lakehouse run` on the local target starts the services a selection's sources need and
seeds their source databases once."""

from __future__ import annotations

import pytest

from lakehouse_assets import local_sources
from lakehouse_assets.cli.run import _selected_domains
from lakehouse_assets.local_services.endpoints import read_endpoints
from lakehouse_assets.local_services.supervisor import stop_background
from lakehouse_assets.settings import Settings

BIX_SETTINGS = ("BIX_EMPLOYEE_API_URL", "BIX_POSTGRES_URI")


def _ensure_local_services(settings: Settings, domains: list[str]):
    needed = local_sources.service_settings(domains)
    return local_sources.ensure_local_services(settings.target, settings.root, needed)


def _seed_sources(settings: Settings, domains: list[str]) -> None:
    local_sources.seed_sources(settings.target, settings.root, domains)


@pytest.fixture
def settings(tmp_path, monkeypatch):
    for name in BIX_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    root = tmp_path / "lake"
    yield Settings.from_env({"LAKEHOUSE_ROOT": str(root)})
    stop_background(root)


def test_a_selection_names_its_domains():
    assert _selected_domains("group:bix or key:governance/glue_data_catalog") == ["bix"]
    assert _selected_domains("key:importau/bronze/*") == ["importau"]
    assert _selected_domains("*") == ["bix", "conversas", "credito", "importau", "vendas"]


def test_nothing_starts_for_file_sources_or_settings_in_the_environment(
    settings, monkeypatch, capsys
):
    assert _ensure_local_services(settings, ["credito", "importau", "vendas"]) is None
    monkeypatch.setenv("BIX_EMPLOYEE_API_URL", "http://127.0.0.1:9/")
    monkeypatch.setenv("BIX_POSTGRES_URI", "postgresql://u:p@127.0.0.1:9/db")
    assert _ensure_local_services(settings, ["bix"]) is None
    assert read_endpoints(settings.root) is None
    assert capsys.readouterr().out == ""


def test_unset_source_settings_start_the_services_and_sources_are_seeded_once(settings, capsys):
    endpoints = _ensure_local_services(settings, ["bix"])

    assert endpoints == read_endpoints(settings.root)
    assert capsys.readouterr().out == (
        "sources need BIX_EMPLOYEE_API_URL, BIX_POSTGRES_URI, unset: starting the local "
        "services in the background (`lakehouse local-services --stop` stops them)\n"
    )
    assert _ensure_local_services(settings, ["bix"]) == endpoints  # found, not started again
    _seed_sources(settings, ["bix", "importau"])
    _seed_sources(settings, ["bix"])
    assert (
        capsys.readouterr().out.splitlines()
        == ["bix source venda on the local services: 1,000 rows"] * 2
    )
