"""An HTTP API answering one record per id in plain text, walked id by id.

Requests time out, are retried with backoff on connection errors, time-outs and 5xx (never
on a 4xx), honour Retry-After, and are spaced to at most `requests_per_second`. The API is
small and read whole on every load, so there is no watermark.
"""

from __future__ import annotations

import codecs
import json
import time
from email.message import Message
from urllib.parse import urlsplit, urlunsplit

import pyarrow as pa
import requests
from requests.adapters import HTTPAdapter
from urllib3.util import Retry

from glue_scripts.lib.sources import Extracted, ExtractRequest, SourceError
from glue_scripts.lib.sources.connections import redact, resolve, scrub, secrets_of
from glue_scripts.lib.sources.staging import StagingWriter, staged_names

MAX_BODY_CHARS = 1000
SHOWN_BODY_CHARS = 200
FLUSH_ROWS = 1000


def extract(request: ExtractRequest) -> Extracted:
    source = request.source
    setting = source["connection"]
    base = resolve(
        setting,
        args=request.args,
        root=request.root,
        local_default=lambda endpoints: (endpoints.get("apis") or {}).get(source["standin"]),
    )
    parts = urlsplit(base)
    # The base may carry a query (an API key): the id goes after it, the path before it.
    url = urlunsplit(
        (parts.scheme, parts.netloc, parts.path.rstrip("/") + source["path"], parts.query, "")
    )
    shown = _public_url(url)
    names = staged_names([source["id_column"], source["text_column"]], request.table)
    writer = StagingWriter(request.staging_uri, names)
    try:
        with _session(source) as session:
            records = _walk(session, url, shown, setting, source, request.log)
            pending: list[tuple[int, str]] = []
            for record in records:
                pending.append(record)
                if len(pending) >= FLUSH_ROWS:
                    writer.write(_batch(pending, source))
                    pending = []
            writer.write(_batch(pending, source))
    except BaseException:
        writer.abort()
        raise
    files = writer.close()
    request.log.info(f"staged {writer.rows} records from {shown}")
    return Extracted(files=files, rows=writer.rows, columns=names, watermark=None, source_uri=shown)


def _session(source) -> requests.Session:
    retries = int(source["retries"])
    retry = Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        backoff_factor=float(source["backoff_seconds"]),
        status_forcelist=(500, 502, 503, 504),
        allowed_methods={"GET"},
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _walk(session, url, shown, setting, source, log):
    """Yield (id, text) for first_id, first_id + 1, ... until the end text or a 404."""
    id_param, end_text = source["id_param"], source["end_text"]
    first, limit = int(source["first_id"]), int(source["max_records"])
    spacing = 1.0 / float(source["requests_per_second"])
    timeout = float(source["timeout_seconds"])
    secrets = secrets_of(url)
    next_at = time.monotonic()
    for number in range(first, first + limit + 1):
        # One more request than max_records: the one that must answer the end text.
        time.sleep(max(0.0, next_at - time.monotonic()))
        next_at = time.monotonic() + spacing
        where = f"{shown}?{id_param}={number}"
        try:
            response = session.get(url, params={id_param: number}, timeout=timeout)
        except requests.RequestException as err:
            raise SourceError(
                f"cannot reach the API at {where} after {source['retries']} retries "
                f"({type(err).__name__}: {scrub(str(err), *secrets)}); check that it is up "
                f"and that {setting} points at it (locally: `lakehouse local-services "
                "--background`)"
            ) from None
        if response.status_code == 404:
            log.info(f"{where} answered 404: the walk ends after {number - first} record(s)")
            return
        body = _text_of(response, where, secrets)
        if body == end_text:
            return
        if number == first + limit:
            break
        yield number, body
    raise SourceError(
        f"{shown} answered {limit} records without the end text {end_text!r}; raise "
        "max_records in the table's spec if the API really has more, or check end_text"
    )


def _text_of(response: requests.Response, where: str, secrets: list[str]) -> str:
    status = response.status_code
    raw = response.content
    content_type = response.headers.get("Content-Type", "")
    text = raw.decode(_charset(content_type), errors="replace")
    problem = None
    if status != 200:
        retried = " after the retries" if status >= 500 else ""
        problem = f"status {status}{retried}"
    elif content_type and not content_type.lower().startswith("text/"):
        problem = f"content type {content_type!r}, not text"
    elif not text.strip():
        problem = "an empty body"
    elif len(text) > MAX_BODY_CHARS:
        problem = f"a body of {len(text)} characters (more than {MAX_BODY_CHARS})"
    if problem:
        head = scrub(text[:SHOWN_BODY_CHARS], *secrets)
        action = (
            "the server failed: retry the load later, or tell the API's owner"
            if status >= 500
            else "the spec does not expect this answer: check path, id_param and end_text in "
            "the table's spec, and the API's documentation"
        )
        raise SourceError(f"{where} answered with {problem} (body: {head!r}); {action}")
    return text.strip()


def _charset(content_type: str) -> str:
    """The declared charset, else UTF-8 (not HTTP/1.1's old ISO-8859-1 default for text/*,
    which would garble the names an API sends in UTF-8 without saying so)."""
    message = Message()
    message["content-type"] = content_type or "text/plain"
    charset = message.get_content_charset() or "utf-8"
    try:
        codecs.lookup(charset)
    except LookupError:
        return "utf-8"
    return charset


def _batch(records: list[tuple[int, str]], source) -> pa.Table:
    id_column, text_column = source["id_column"], source["text_column"]
    return pa.table(
        {
            "id": [str(n) for n, _ in records],
            "text": [text for _, text in records],
            "_record": [
                json.dumps({id_column: n, text_column: text}, ensure_ascii=False)
                for n, text in records
            ],
        },
        schema=pa.schema([(c, pa.string()) for c in ("id", "text", "_record")]),
    )


def _public_url(url: str) -> str:
    """The URL to name in lineage and messages: no user, password or query."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return redact(urlunsplit((parts.scheme, netloc, parts.path, "", "")))
