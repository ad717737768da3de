"""A Glue-shaped client for the local runner: what `PipesGlueClient` expects of boto3's."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any


class RunnerUnavailableError(RuntimeError):
    """The local runner did not answer."""


def call(url: str, path: str, body: dict[str, Any] | None = None, timeout: float = 30) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url + path, data=data, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as err:
        detail = err.read().decode(errors="replace")
        raise RunnerUnavailableError(f"local runner {url}{path}: {err.code} {detail}") from err
    except (urllib.error.URLError, ConnectionError, TimeoutError) as err:
        raise RunnerUnavailableError(
            f"the local Glue runner at {url} does not answer ({err}); it may have been killed. "
            "Run again: a new runner starts by itself."
        ) from err


class LocalGlueClient:
    """Implements `start_job_run`, `get_job_run` and `batch_stop_job_run` against the runner.

    Args:
        url: the runner's base URL.
        scripts: Glue job name -> script path, the local equivalent of a job's ScriptLocation.
    """

    def __init__(self, url: str, scripts: Mapping[str, str]):
        self.url = url
        self.scripts = dict(scripts)
        self.meta = SimpleNamespace(region_name="local")

    def start_job_run(self, *, JobName: str, Arguments: Mapping[str, str], **_: Any) -> dict:  # noqa: N803 - boto3's names
        if JobName not in self.scripts:
            raise KeyError(f"no script registered for Glue job {JobName!r}")
        body = {
            "JobName": JobName,
            "ScriptLocation": self.scripts[JobName],
            "Arguments": dict(Arguments),
        }
        return call(self.url, "/jobruns", body)

    def get_job_run(self, *, JobName: str, RunId: str, **_: Any) -> dict:  # noqa: N803
        return call(self.url, f"/jobruns/{RunId}")

    def batch_stop_job_run(self, *, JobName: str, JobRunIds: list[str]) -> dict:  # noqa: N803
        done, errors = [], []
        for run_id in JobRunIds:
            if call(self.url, f"/jobruns/{run_id}/stop", {}).get("stopped"):
                done.append({"JobName": JobName, "JobRunId": run_id})
            else:
                errors.append(
                    {
                        "JobName": JobName,
                        "JobRunId": run_id,
                        "ErrorDetail": {
                            "ErrorCode": "InvalidState",
                            "ErrorMessage": "run already finished",
                        },
                    }
                )
        return {"SuccessfulSubmissions": done, "Errors": errors}
