"""`lakehouse run` fills the default landing per domain: a domain added later gets its sample."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lakehouse_assets.cli.run import _ensure_landing
from lakehouse_assets.domains import generator_module
from lakehouse_assets.domains.importau.generator import generate as generate_importau
from lakehouse_assets.local_sources import file_sources
from lakehouse_assets.settings import Settings


@pytest.fixture
def settings(tmp_path, monkeypatch):
    monkeypatch.delenv("LAKEHOUSE_LANDING", raising=False)
    return Settings.from_env({"LAKEHOUSE_ROOT": str(tmp_path / "lake")})


def test_a_domain_missing_from_a_filled_landing_gets_its_sample(settings, capsys):
    generate_importau(settings.landing, scale=30, seed=1)
    before = {p.name for p in _landing(settings).iterdir()}
    _ensure_landing(settings, explicit=False)
    after = {p.name for p in _landing(settings).iterdir()}
    assert sorted(after - before) == [
        "categoria",
        "product_item",
        "purchase",
        "purchase_extra_info",
        "solicitacoes_credito",
    ]
    assert capsys.readouterr().out.splitlines() == [
        f"no {domain} landing data yet: generating its sample exports into {settings.landing}"
        for domain in ("bix", "credito", "vendas")
    ]
    _ensure_landing(settings, explicit=False)
    assert capsys.readouterr().out == ""


def test_only_file_sources_count_and_a_parquet_file_is_one(settings, capsys):
    # BIX's employees and sales come from an API and a database: only categories land.
    assert file_sources("bix") == ["categoria"]
    for domain in ("credito", "importau", "vendas"):
        generate_domain(domain, settings.landing)
    landing = _landing(settings)
    pq.write_table(pa.table({"id": [1]}), landing / "categoria.parquet")
    _ensure_landing(settings, explicit=False)
    assert capsys.readouterr().out == ""
    assert not (landing / "categoria").exists()


def test_an_explicit_landing_is_never_filled(settings):
    _ensure_landing(settings, explicit=True)
    assert not _landing(settings).exists()


def _landing(settings) -> Path:
    return Path(settings.landing)


def generate_domain(domain: str, landing: str) -> None:
    generator_module(domain).generate(landing, scale=30, seed=1)
