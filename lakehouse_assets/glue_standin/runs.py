"""One Glue job run of the stand-in: fetch the script, run it on local Spark, report.

STARTING: the script and the `--extra-py-files` are downloaded from the endpoint's S3, the
imports of the script are checked against those files (a module Glue could not import fails
the run as it would on Glue), and the `s3://` storage arguments are mapped onto the mirror
folder, which is brought up to date. RUNNING: the warm runner executes the script's
`main(argv)` with Glue's arguments. At the end the mirror is published back to S3 and the
run's log goes to CloudWatch Logs (`/aws-glue/jobs/error` and `/output`, stream = run id),
then the run takes its final state: SUCCEEDED, FAILED with the script's error, STOPPED, or
TIMEOUT past the job's Timeout.
"""

from __future__ import annotations

import hashlib
import threading
import time
import traceback
import zipfile
from collections.abc import Callable, Iterable
from contextlib import suppress
from pathlib import Path
from typing import Any

from deploy.package import module_imports
from lakehouse_assets.glue_standin.mirror import S3Mirror, split_uri

# Arguments that carry storage URIs: the only ones the stand-in rewrites.
STORAGE_ARGUMENTS = ("--lakehouse_root", "--landing")
LOG_GROUP = "/aws-glue/jobs"
TERMINAL = ("SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT", "ERROR")


class ScriptImportError(ImportError):
    """The script imports a module that neither the job's files nor Glue provide."""


def check_imports(script: str, archives: Iterable[Path]) -> list[str]:
    """The modules a script (and, transitively, the modules it uses) would miss on Glue.

    `from a.b import c` needs `a.b`; `c` may be a module or a name inside `a.b`.
    """
    files: dict[str, str] = {}
    for archive in archives:
        with zipfile.ZipFile(archive) as handle:
            for name in handle.namelist():
                if name.endswith(".py"):
                    files[name] = handle.read(name).decode("utf-8")

    def source_of(module: str) -> str | None:
        path = module.replace(".", "/")
        return files.get(f"{path}.py", files.get(f"{path}/__init__.py"))

    missing: list[str] = []
    seen: set[str] = set()
    pending = [script]
    while pending:
        required, optional = module_imports(pending.pop())
        for module in sorted(required | optional):
            if module in seen:
                continue
            seen.add(module)
            source = source_of(module)
            if source is not None:
                pending.append(source)
            elif module in required:
                missing.append(module)
    return sorted(missing)


class RunExecution:
    """Executes one run record in a thread; `request_stop` may come at any time."""

    def __init__(
        self,
        *,
        job: dict[str, Any],
        run: dict[str, Any],
        region: str,
        update: Callable[..., None],
        clients: Callable[[str, str], Any],
        runner: Callable[[], Any],
        mirror: S3Mirror,
        workdir: Path,
        prepare_environment: Callable[[], str | None],
    ):
        self.job, self.run, self.region = job, run, region
        self._update = update
        self._clients = clients
        self._runner = runner
        self._mirror = mirror
        self._workdir = workdir
        self._prepare_environment = prepare_environment
        self._stop = threading.Event()
        self._runner_run_id: str | None = None
        self._log: list[str] = []
        self._mirrored: list[str] = []  # s3:// prefixes pulled before the run, pushed after
        self.thread = threading.Thread(target=self._main, name=run["Id"], daemon=True)

    def start(self) -> RunExecution:
        self.thread.start()
        return self

    def request_stop(self) -> None:
        self._stop.set()
        if self._runner_run_id is not None:
            self._runner().stop(self._runner_run_id)

    # -- the run ----------------------------------------------------------------------------
    def _main(self) -> None:
        began = time.time()
        try:
            state, error, trace = self._execute()
        except Exception as err:  # noqa: BLE001 - the stand-in's own failure ends the run too
            state, error = "ERROR", f"Glue stand-in: {type(err).__name__}: {err}"
            trace = traceback.format_exc()
        self._finish(state, error, trace, began)

    def _execute(self) -> tuple[str, str, str]:
        logs = self._clients("logs", self.region)
        self._open_log_streams(logs)
        problem = self._prepare_environment()
        if problem:
            return "FAILED", problem, ""
        arguments = self._arguments()
        script = self._download(self.job["Command"]["ScriptLocation"])
        archives = [self._download(u) for u in _split(arguments.get("--extra-py-files", ""))]
        missing = check_imports(script.read_text(encoding="utf-8"), archives)
        if missing:
            return (
                "FAILED",
                f"ModuleNotFoundError: No module named '{missing[0]}' (not in the script's "
                f"--extra-py-files: {arguments.get('--extra-py-files') or 'none'})",
                "",
            )
        mapped = self._map_storage(arguments)
        if self._stop.is_set():
            return "STOPPED", "", ""
        runner = self._runner()
        self._runner_run_id = runner.start(self.job["Name"], str(script), mapped)
        if self._stop.is_set():
            runner.stop(self._runner_run_id)
        return self._wait(runner)

    def _arguments(self) -> dict[str, str]:
        """What Glue passes to the script: job defaults, run arguments, Glue's own."""
        arguments = {
            **(self.job.get("DefaultArguments") or {}),
            **self.run["Arguments"],
            **(self.job.get("NonOverridableArguments") or {}),
        }
        arguments.update(
            {
                "--JOB_ID": "j_" + hashlib.sha256(self.job["Name"].encode()).hexdigest()[:56],
                "--JOB_RUN_ID": self.run["Id"],
                "--JOB_NAME": self.job["Name"],
            }
        )
        return arguments

    def _map_storage(self, arguments: dict[str, str]) -> dict[str, str]:
        mapped = dict(arguments)
        pulled: list[str] = []
        for name in STORAGE_ARGUMENTS:
            uri = arguments.get(name, "")
            if not uri.startswith(("s3://", "s3a://")):
                continue
            uri = uri.replace("s3a://", "s3://", 1).rstrip("/")
            mapped[name] = self._mirror.local_uri(uri)
            if not any(uri == p or uri.startswith(f"{p}/") for p in pulled):
                moved = self._mirror.pull(uri)
                self._note(f"mirrored {uri} into {self._mirror.local_uri(uri)} ({moved} objects)")
                pulled.append(uri)
        self._mirrored = pulled
        return mapped

    def _wait(self, runner: Any) -> tuple[str, str, str]:
        timeout = float(self.run.get("Timeout") or 2880) * 60
        timed_out = False
        while True:
            current = runner.get(self._runner_run_id)
            if current.state in TERMINAL:
                if timed_out:
                    return "TIMEOUT", f"Job run timed out after {timeout / 60:.0f} minutes", ""
                return current.state, current.error, current.trace
            if current.state == "RUNNING" and self.run["JobRunState"] == "STARTING":
                self._update(self.run, JobRunState="RUNNING", _running_since=time.time())
            if not timed_out and time.time() - self.run["StartedOn"] > timeout:
                timed_out = True
                runner.stop(self._runner_run_id)
            time.sleep(0.1)

    def _finish(self, state: str, error: str, trace: str, began: float) -> None:
        if state == "FAILED" and self._stop.is_set():
            state = "STOPPED"
        for uri in self._mirrored:
            try:
                moved = self._mirror.push(uri)
                self._note(f"published {moved} changed objects of {uri}")
            except Exception as err:  # noqa: BLE001
                state, error = "ERROR", f"Glue stand-in could not publish {uri}: {err}"
        self._write_logs(state, error, trace)
        running_since = self.run.get("_running_since") or began
        now = time.time()
        self._update(
            self.run,
            JobRunState=state,
            ErrorMessage=error or None,
            CompletedOn=now,
            ExecutionTime=int(now - running_since),
        )

    # -- S3 and CloudWatch Logs -------------------------------------------------------------
    def _download(self, uri: str) -> Path:
        bucket, key = split_uri(uri)
        s3 = self._clients("s3", self.region)
        head = s3.head_object(Bucket=bucket, Key=key)
        tag = hashlib.sha256(f"{uri}{head['ETag']}".encode()).hexdigest()[:16]
        path = self._workdir / "code" / tag / Path(key).name
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, key, str(path))
        return path

    def _note(self, line: str) -> None:
        self._log.append(f"{time.strftime('%H:%M:%S')} glue-standin: {line}")

    def _open_log_streams(self, logs: Any) -> None:
        for group in (f"{LOG_GROUP}/error", f"{LOG_GROUP}/output"):
            with suppress(logs.exceptions.ResourceAlreadyExistsException):
                logs.create_log_group(logGroupName=group)
            logs.create_log_stream(logGroupName=group, logStreamName=self.run["Id"])
        self._note(f"starting job {self.job['Name']} run {self.run['Id']}")

    def _write_logs(self, state: str, error: str, trace: str) -> None:
        try:
            logs = self._clients("logs", self.region)
            self._note(f"run ended {state}" + (f": {error}" if error else ""))
            error_lines = [*self._log, *trace.splitlines()] if trace else list(self._log)
            now = int(time.time() * 1000)
            for group, lines in (
                (f"{LOG_GROUP}/error", error_lines),
                (f"{LOG_GROUP}/output", [f"job {self.job['Name']} run ended {state}"]),
            ):
                events = [{"timestamp": now, "message": line} for line in lines if line]
                if events:
                    logs.put_log_events(
                        logGroupName=group, logStreamName=self.run["Id"], logEvents=events
                    )
        except Exception:  # noqa: BLE001 - logs are a convenience; the state must still land
            pass


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]
