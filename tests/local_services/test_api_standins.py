"""The domains' API stand-ins, over real HTTP on loopback."""

from __future__ import annotations

import pytest
import requests

from lakehouse_assets.domains.bix.standins import make_app
from lakehouse_assets.local_services import apis

NAMES = {
    1: "Rob Carsson",
    2: "Eli Preston",
    3: "Tom Lindwall",
    4: "Leif Shine",
    5: "Ingrid Hendrix",
    6: "Lennart Skoglund",
    7: "Rock Rollman",
    8: "Helen Brolin",
    9: "Joan Callins",
}


@pytest.fixture(scope="module")
def bix_api():
    server = apis.serve("bix_funcionarios", make_app())
    yield server.url
    server.stop()


def test_the_stand_ins_are_found_by_name():
    assert apis.standins() == {"bix_funcionarios": make_app}


@pytest.mark.parametrize(("employee", "name"), sorted(NAMES.items()))
def test_each_employee_is_answered_as_plain_text(bix_api, employee, name):
    response = requests.get(f"{bix_api}/api_challenge_junior", params={"id": employee}, timeout=5)
    assert (response.status_code, response.text) == (200, name)
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"


@pytest.mark.parametrize("query", ["?id=10", "?id=0", "?id=-1", "?id=abc", "?id=", "", "?x=1"])
def test_any_other_id_is_not_correct(bix_api, query):
    response = requests.get(f"{bix_api}/api_challenge_junior{query}", timeout=5)
    assert (response.status_code, response.text) == (200, "The argument is not correct")


def test_other_paths_are_not_found(bix_api):
    for path in ("/", "/api_challenge_junior/1", "/api"):
        assert requests.get(f"{bix_api}{path}?id=1", timeout=5).status_code == 404


def test_a_stopped_server_closes_its_port():
    server = apis.serve("bix_funcionarios", make_app())
    url = server.url
    assert requests.get(f"{url}/api_challenge_junior?id=1", timeout=5).text == "Rob Carsson"
    server.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/api_challenge_junior?id=1", timeout=5)
