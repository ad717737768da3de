"""The HTTP API extractor against real servers on loopback, healthy and failing."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from glue_scripts.lib.sources import SourceError, extract

SETTING = "TEST_EMPLOYEES_API_URL"
PATH = "/api_challenge_junior"
END = "The argument is not correct"
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


class Api:
    """A BIX-like employee API; `fault(n, attempt)` may answer instead (a Response)."""

    def __init__(self, fault=None, names=NAMES):
        self.fault = fault
        self.names = names
        self.calls: Counter[int] = Counter()
        self.times: list[float] = []
        self.queries: list[dict] = []

    def __call__(self, environ, start_response):
        request = Request(environ)
        number = int(request.args["id"])
        self.calls[number] += 1
        self.times.append(time.monotonic())
        self.queries.append(dict(request.args))
        answer = self.fault(number, self.calls[number]) if self.fault else None
        if answer is None:
            text = self.names.get(number, END)
            answer = Response(f"{text}\n", content_type="text/html; charset=utf-8")
        return answer(environ, start_response)


@pytest.fixture
def serve():
    """Start an Api on 127.0.0.1 (threaded); its base URL."""
    servers = []

    def start(api: Api) -> str:
        server = make_server("127.0.0.1", 0, api, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()


def source(**overrides) -> dict:
    spec = {
        "kind": "http_api",
        "connection": SETTING,
        "standin": "bix_employees",
        "path": PATH,
        "end_text": END,
        "id_column": "id",
        "text_column": "name",
        "id_param": "id",
        "first_id": 1,
        "max_records": 100,
        "requests_per_second": 1000.0,
        "timeout_seconds": 5.0,
        "retries": 2,
        "backoff_seconds": 0.01,
    }
    spec.update(overrides)
    return spec


def test_reads_every_employee_until_the_end_text(serve, monkeypatch, make_request, read_staged):
    api = Api()
    base = serve(api)
    monkeypatch.setenv(SETTING, base)

    result = extract(make_request(source(), table="bix_bronze.funcionario"))

    staged = read_staged(result.files)
    assert staged.schema.names == ["id", "name", "_record"]
    assert staged.column("id").to_pylist() == [str(n) for n in range(1, 10)]
    assert staged.column("name").to_pylist() == list(NAMES.values())
    assert staged.column("_record")[0].as_py() == '{"id": 1, "name": "Rob Carsson"}'
    assert (result.rows, result.columns, result.watermark) == (9, ["id", "name"], None)
    assert result.source_uri == base + PATH
    assert sorted(api.calls) == list(range(1, 11))


def test_a_404_ends_the_walk(serve, monkeypatch, make_request):
    api = Api(fault=lambda n, _: Response("gone", status=404) if n == 4 else None)
    monkeypatch.setenv(SETTING, serve(api))

    assert extract(make_request(source())).rows == 3


def test_a_server_error_is_retried_until_it_succeeds(serve, monkeypatch, make_request, read_staged):
    api = Api(
        fault=lambda n, attempt: Response("busy", status=500) if n == 3 and attempt <= 2 else None
    )
    monkeypatch.setenv(SETTING, serve(api))

    result = extract(make_request(source()))

    assert api.calls[3] == 3
    assert read_staged(result.files).column("name").to_pylist() == list(NAMES.values())


def test_a_lasting_server_error_names_url_status_and_body(serve, monkeypatch, make_request):
    api = Api(fault=lambda n, _: Response("boom: " + "x" * 500, status=500) if n == 4 else None)
    base = serve(api)
    monkeypatch.setenv(SETTING, base)

    with pytest.raises(SourceError) as caught:
        extract(make_request(source()))

    message = str(caught.value)
    assert message.startswith(
        f"{base}{PATH}?id=4 answered with status 500 after the retries (body: 'boom: xxx"
    )
    assert "x" * 194 + "')" in message  # the first 200 characters
    assert message.endswith("the server failed: retry the load later, or tell the API's owner")
    assert api.calls[4] == 3


def test_a_client_error_is_not_retried(serve, monkeypatch, make_request):
    api = Api(fault=lambda n, _: Response("bad id", status=400) if n == 2 else None)
    base = serve(api)
    monkeypatch.setenv(SETTING, base)

    with pytest.raises(SourceError, match=r"\?id=2 answered with status 400 \(body: 'bad id'\)"):
        extract(make_request(source()))
    assert api.calls[2] == 1


def test_a_slow_server_times_out_after_the_retries(serve, monkeypatch, make_request):
    def slow(n, _):
        time.sleep(0.6)

    api = Api(fault=slow)
    base = serve(api)
    monkeypatch.setenv(SETTING, base)

    with pytest.raises(SourceError) as caught:
        extract(make_request(source(timeout_seconds=0.2, retries=1)))

    message = str(caught.value)
    assert message.startswith(f"cannot reach the API at {base}{PATH}?id=1 after 1 retries (")
    assert "timed out" in message and SETTING in message
    assert api.calls[1] == 2


def test_a_closed_port_is_retried_then_named(monkeypatch, make_request, closed_port):
    monkeypatch.setenv(SETTING, f"http://127.0.0.1:{closed_port}")

    with pytest.raises(SourceError) as caught:
        extract(make_request(source()))

    message = str(caught.value)
    assert message.startswith(
        f"cannot reach the API at http://127.0.0.1:{closed_port}{PATH}?id=1 after 2 retries"
    )
    assert "Connection refused" in message
    assert message.endswith(
        f"check that it is up and that {SETTING} points at it (locally: "
        "`lakehouse local-services --background`)"
    )


def test_requests_are_spaced_by_the_rate(serve, monkeypatch, make_request):
    api = Api(names={1: "a", 2: "b", 3: "c", 4: "d"})
    monkeypatch.setenv(SETTING, serve(api))

    extract(make_request(source(requests_per_second=50.0)))

    assert len(api.times) == 5
    assert api.times[-1] - api.times[0] >= 0.08
    assert min(b - a for a, b in zip(api.times, api.times[1:], strict=False)) >= 0.015


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        (Response("  \n", content_type="text/plain"), "an empty body"),
        (Response("y" * 1001, content_type="text/plain"), "a body of 1001 characters"),
        (
            Response('{"name": "x"}', content_type="application/json"),
            "content type 'application/json', not text",
        ),
    ],
)
def test_an_unexpected_answer_is_refused(serve, monkeypatch, make_request, answer, problem):
    monkeypatch.setenv(SETTING, serve(Api(fault=lambda n, _: answer if n == 2 else None)))

    with pytest.raises(SourceError, match=f"id=2 answered with {problem}.*check path, id_param"):
        extract(make_request(source()))


def test_no_end_text_within_max_records(serve, monkeypatch, make_request):
    api = Api()
    monkeypatch.setenv(SETTING, serve(api))

    with pytest.raises(SourceError, match="answered 3 records without the end text"):
        extract(make_request(source(max_records=3)))
    assert sorted(api.calls) == [1, 2, 3, 4]


def test_nine_records_fit_max_records_of_nine(serve, monkeypatch, make_request):
    monkeypatch.setenv(SETTING, serve(Api()))

    assert extract(make_request(source(max_records=9))).rows == 9


def test_credentials_in_the_url_reach_no_message_and_no_lineage(serve, monkeypatch, make_request):
    def echo(n, _):
        if n == 2:
            return Response("failed for api_key=K3y-Value", status=503)

    api = Api(fault=echo)
    base = serve(api)
    port = base.rsplit(":", 1)[1]
    monkeypatch.setenv(SETTING, f"http://reader:P4ss-word@127.0.0.1:{port}/?api_key=K3y-Value")

    with pytest.raises(SourceError) as caught:
        extract(make_request(source(retries=0)))

    message = str(caught.value)
    assert "P4ss-word" not in message and "K3y-Value" not in message
    assert message.startswith(f"{base}{PATH}?id=2 answered with status 503")
    assert api.queries[0] == {"api_key": "K3y-Value", "id": "1"}


def test_the_local_standin_is_used_without_the_setting(serve, monkeypatch, make_request, tmp_path):
    monkeypatch.delenv(SETTING, raising=False)
    base = serve(Api())
    folder = tmp_path / "lake" / "_local_services"
    folder.mkdir(parents=True)
    (folder / "endpoints.json").write_text(json.dumps({"apis": {"bix_employees": base}}))

    result = extract(make_request(source()))

    assert (result.rows, result.source_uri) == (9, base + PATH)
