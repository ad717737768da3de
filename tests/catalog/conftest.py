"""A moto server on loopback for the whole catalog suite, reset before each test."""

from __future__ import annotations

import os
import urllib.request

import pytest

from lakehouse_assets import local_aws
from tests.catalog.helpers import REGION, commit_all, domain_registry


@pytest.fixture(scope="session")
def moto_url():
    server = local_aws.start_server(port=0)
    yield local_aws.server_url(server)
    server.stop()


@pytest.fixture
def aws(moto_url, monkeypatch):
    """A clean endpoint (moto's reset API) and an environment that can only reach it."""
    request = urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=10).close()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", REGION)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "LAKEHOUSE_LAKE_FORMATION", "DAGSTER_HOME"):
        monkeypatch.delenv(name, raising=False)
    for name in [n for n in os.environ if n.startswith("OPENLINEAGE")]:
        monkeypatch.delenv(name, raising=False)
    return moto_url


@pytest.fixture
def reg():
    """ImportAu's tables: the counts these tests assert do not move when a domain is added
    (each domain's own catalog test exports the whole registry)."""
    return domain_registry("importau")


@pytest.fixture
def root(tmp_path, reg) -> str:
    """A lakehouse root whose tables are all committed Iceberg tables."""
    path = tmp_path / "lake"
    commit_all(str(path), reg)
    return str(path)
