"""`lakehouse run` fills the default landing per domain: a domain added later gets its sample."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakehouse_assets.cli.run import _ensure_landing
from lakehouse_assets.domains.importau.generator import generate as generate_importau
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
        "product_item",
        "purchase",
        "purchase_extra_info",
        "solicitacoes_credito",
    ]
    assert capsys.readouterr().out.splitlines() == [
        f"no {domain} landing data yet: generating its sample exports into {settings.landing}"
        for domain in ("credito", "vendas")
    ]
    _ensure_landing(settings, explicit=False)
    assert capsys.readouterr().out == ""


def test_an_explicit_landing_is_never_filled(settings):
    _ensure_landing(settings, explicit=True)
    assert not _landing(settings).exists()


def _landing(settings) -> Path:
    return Path(settings.landing)
