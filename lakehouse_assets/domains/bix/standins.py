"""A stand-in of BIX's employee API, served by `lakehouse local-services` on loopback.

It answers as the live API does (/work/shared/data/bix/README.md): `GET
/api_challenge_junior?id=N` gives the employee's name as plain text for ids 1..9 and the text
`The argument is not correct` for any other id, with status 200 in both cases.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

PATH = "/api_challenge_junior"
NOT_CORRECT = "The argument is not correct"
EMPLOYEES = {
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


def answer(query_id: str | None) -> str:
    """The body for `?id=<query_id>`: a name, or the API's refusal for anything else."""
    text = (query_id or "").strip()
    if not text.isdecimal():
        return NOT_CORRECT
    return EMPLOYEES.get(int(text), NOT_CORRECT)


def make_app() -> Callable[[dict[str, Any], Callable], Iterable[bytes]]:
    """The WSGI application."""
    from werkzeug.wrappers import Request, Response

    @Request.application
    def app(request: Request) -> Response:
        if request.path != PATH:
            return Response("Not Found", status=404, mimetype="text/plain")
        return Response(answer(request.args.get("id")), mimetype="text/plain")

    return app


STANDINS = {"bix_funcionarios": make_app}
