"""`dagster dev` as a user starts it: a free port of 127.0.0.1, its own instance and lake."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 240
STOP_TIMEOUT_SECONDS = 30

WORKSPACE_QUERY = """
{
  workspaceOrError {
    __typename
    ... on PythonError { message }
    ... on Workspace {
      locationEntries {
        name
        loadStatus
        locationOrLoadError {
          __typename
          ... on PythonError { message }
          ... on RepositoryLocation { repositories { name } }
        }
      }
    }
  }
}
"""

RUNNING_SENSORS_QUERY = """
query($selector: RepositorySelector!) {
  sensorsOrError(repositorySelector: $selector, sensorStatus: RUNNING) {
    __typename
    ... on PythonError { message }
    ... on Sensors { results { id name } }
  }
}
"""

STOP_SENSOR_MUTATION = """
mutation($id: String!) {
  stopSensor(id: $id) {
    __typename
    ... on PythonError { message }
    ... on StopSensorMutationResult { instigationState { status } }
  }
}
"""


class DagsterDevError(RuntimeError):
    """`dagster dev` did not come up, or its GraphQL API refused a request."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def lakehouse_env(dagster_home: Path, root: Path) -> dict[str, str]:
    """The caller's environment with the lakehouse settings of this instance only."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAKEHOUSE_")}
    env.update(
        DAGSTER_HOME=str(dagster_home),
        LAKEHOUSE_TARGET="local",
        LAKEHOUSE_ROOT=str(root),
        LAKEHOUSE_LANDING=str(root / "landing"),
        LAKEHOUSE_RUNNER_DIR=str(root / "_runner"),
        # The runner shares the machine with the suite's own Spark session.
        LAKEHOUSE_SPARK_CORES="2",
        LAKEHOUSE_SHUFFLE_PARTITIONS="2",
        LAKEHOUSE_SPARK_DRIVER_MEMORY="1g",
    )
    return env


@dataclass
class DagsterDev:
    """A running `dagster dev`: its URL, its log, and the process group to stop."""

    url: str
    log_path: Path
    process: subprocess.Popen

    @classmethod
    def start(cls, env: dict[str, str], log_path: Path) -> DagsterDev:
        port = free_port()
        dagster = Path(sys.executable).with_name("dagster")
        command = [str(dagster), "dev", "-w", "workspace.yaml", "-p", str(port), "-h", "127.0.0.1"]
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                command,
                cwd=REPO,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its webserver, daemon and code servers stop together
            )
        dev = cls(url=f"http://127.0.0.1:{port}", log_path=log_path, process=process)
        try:
            dev.wait_until_loaded()
        except BaseException:
            dev.stop()
            raise
        return dev

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        response = requests.post(
            f"{self.url}/graphql", json={"query": query, "variables": variables or {}}, timeout=30
        )
        response.raise_for_status()
        body = response.json()
        if body.get("errors"):
            raise DagsterDevError(f"GraphQL errors: {body['errors']}")
        return body["data"]

    def wait_until_loaded(self, timeout: float = START_TIMEOUT_SECONDS) -> None:
        """Until the webserver answers and the code location has loaded (30-60 s cold)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise DagsterDevError(
                    f"dagster dev exited with code {self.process.returncode} while starting; "
                    f"log tail from {self.log_path}:\n{self.log_tail()}"
                )
            try:
                workspace = self.graphql(WORKSPACE_QUERY)["workspaceOrError"]
            except (requests.RequestException, DagsterDevError):
                time.sleep(0.5)
                continue
            entries = workspace.get("locationEntries") or []
            for entry in entries:
                if entry["locationOrLoadError"]["__typename"] == "PythonError":
                    raise DagsterDevError(
                        f"code location {entry['name']} failed to load: "
                        f"{entry['locationOrLoadError']['message']}"
                    )
            if entries and all(e["loadStatus"] == "LOADED" for e in entries):
                return
            time.sleep(0.5)
        raise DagsterDevError(
            f"dagster dev did not load its code location within {timeout:.0f}s; log tail from "
            f"{self.log_path}:\n{self.log_tail()}"
        )

    def stop_running_sensors(self) -> list[str]:
        """Stop every sensor that runs by default; the names stopped.

        The landing sensors and the automation would otherwise start runs of their own
        while a test drives one from the browser.
        """
        stopped = []
        workspace = self.graphql(WORKSPACE_QUERY)["workspaceOrError"]
        for entry in workspace["locationEntries"]:
            for repo in entry["locationOrLoadError"]["repositories"]:
                selector = {"repositoryLocationName": entry["name"], "repositoryName": repo["name"]}
                found = self.graphql(RUNNING_SENSORS_QUERY, {"selector": selector})
                sensors = found["sensorsOrError"]
                if sensors["__typename"] != "Sensors":
                    raise DagsterDevError(f"cannot list sensors: {sensors}")
                for sensor in sensors["results"]:
                    result = self.graphql(STOP_SENSOR_MUTATION, {"id": sensor["id"]})["stopSensor"]
                    status = (result.get("instigationState") or {}).get("status")
                    if status != "STOPPED":
                        raise DagsterDevError(f"cannot stop sensor {sensor['name']}: {result}")
                    stopped.append(sensor["name"])
        return stopped

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def stop(self) -> None:
        """Ctrl-C as in a terminal; the whole process group is killed if it hangs on the way."""
        if self.process.poll() is None:
            _signal_group(self.process.pid, signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(STOP_TIMEOUT_SECONDS)
        # Its children may outlive it (or hang in their own shutdown): none may survive.
        _signal_group(self.process.pid, signal.SIGKILL)
        if self.process.poll() is None:
            self.process.wait(STOP_TIMEOUT_SECONDS)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)
