"""The Glue job API of the stand-in: job definitions and job runs, as Glue answers them.

Implements CreateJob, UpdateJob, GetJob, GetJobs, DeleteJob, StartJobRun, GetJobRun,
GetJobRuns and BatchStopJobRun with Glue's request and response shapes, its error codes
(EntityNotFoundException, AlreadyExistsException, InvalidInputException,
ConcurrentRunsExceededException) and its rules that moto does not check (a Role and a
ScriptLocation are required, WorkerType and NumberOfWorkers go together, at most
MaxConcurrentRuns runs of a job at once). Runs are executed by `runs.RunExecution`.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from lakehouse_assets.glue_standin.glue_api import (
    ACTIVE,
    JOB_FIELDS,
    GlueApiError,
    capacity,
    not_found,
    public,
    validate,
    with_defaults,
)


class GlueJobService:
    """Jobs and runs per region, in memory (like the rest of the endpoint).

    Args:
        execute: starts the execution of a run record in the background; it updates the
            record's state as the run goes.
    """

    def __init__(self, execute: Callable[[dict[str, Any], dict[str, Any], str], Any]):
        self._execute = execute
        self._lock = threading.RLock()
        self._jobs: dict[tuple[str, str], dict[str, Any]] = {}
        self._runs: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
        self._executions: dict[str, Any] = {}
        self._tags: dict[tuple[str, str], dict[str, str]] = {}

    def reset(self) -> None:
        with self._lock:
            for execution in self._executions.values():
                execution.request_stop()
            self._jobs.clear()
            self._tags.clear()
            self._runs.clear()
            self._executions.clear()

    def _job(self, region: str, name: str) -> dict[str, Any]:
        job = self._jobs.get((region, name))
        if job is None:
            raise not_found(name)
        return job

    # -- job definitions -------------------------------------------------------------------
    def create_job(self, region: str, body: Mapping[str, Any]) -> dict[str, Any]:
        name = body.get("Name", "")
        validate(name, body)
        with self._lock:
            if (region, name) in self._jobs:
                raise GlueApiError("AlreadyExistsException", f"Job {name} already exists")
            now = time.time()
            job = {k: body[k] for k in JOB_FIELDS if k in body}
            self._jobs[(region, name)] = {
                "Name": name,
                **with_defaults(job),
                "CreatedOn": now,
                "LastModifiedOn": now,
            }
            self._tags[(region, name)] = dict(body.get("Tags") or {})
        return {"Name": name}

    def update_job(self, region: str, body: Mapping[str, Any]) -> dict[str, Any]:
        name = body.get("JobName", "")
        update = body.get("JobUpdate") or {}
        validate(name, update)
        with self._lock:
            current = self._job(region, name)
            # Glue's UpdateJob replaces the definition: what JobUpdate leaves out is reset.
            job = {k: update[k] for k in JOB_FIELDS if k in update}
            self._jobs[(region, name)] = {
                "Name": name,
                **with_defaults(job),
                "CreatedOn": current["CreatedOn"],
                "LastModifiedOn": time.time(),
            }
        return {"JobName": name}

    def get_job(self, region: str, body: Mapping[str, Any]) -> dict[str, Any]:
        with self._lock:
            return {"Job": dict(self._job(region, body.get("JobName", "")))}

    def get_jobs(self, region: str, body: Mapping[str, Any]) -> dict[str, Any]:
        with self._lock:
            jobs = sorted(
                (dict(j) for (r, _), j in self._jobs.items() if r == region),
                key=lambda j: j["Name"],
            )
        start = int(body.get("NextToken") or 0)
        size = int(body.get("MaxResults") or 100)
        page = {"Jobs": jobs[start : start + size]}
        if start + size < len(jobs):
            page["NextToken"] = str(start + size)
        return page

    def delete_job(self, region: str, body: Mapping[str, Any]) -> dict[str, Any]:
        name = body.get("JobName", "")
        with self._lock:
            self._jobs.pop((region, name), None)  # Glue answers the same for a missing job
            self._tags.pop((region, name), None)
        return {"JobName": name}

    # -- tags of jobs (other resources' tags are moto's) -------------------------------------
    @staticmethod
    def handles_tags_of(body: Mapping[str, Any]) -> bool:
        return ":job/" in str(body.get("ResourceArn", ""))

    def _tagged(self, region: str, body: Mapping[str, Any]) -> dict[str, str]:
        name = str(body["ResourceArn"]).split(":job/", 1)[1]
        self._job(region, name)
        return self._tags.setdefault((region, name), {})

    def get_tags(self, region: str, body: Mapping[str, Any]) -> dict[str, Any]:
        with self._lock:
            return {"Tags": dict(self._tagged(region, body))}

    def tag_resource(self, region: str, body: Mapping[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._tagged(region, body).update(body.get("TagsToAdd") or {})
        return {}

    def untag_resource(self, region: str, body: Mapping[str, Any]) -> dict[str, Any]:
        with self._lock:
            tags = self._tagged(region, body)
            for key in body.get("TagsToRemove") or []:
                tags.pop(key, None)
        return {}

    # -- job runs ---------------------------------------------------------------------------
    def start_job_run(self, region: str, body: Mapping[str, Any]) -> dict[str, Any]:
        name = body.get("JobName", "")
        with self._lock:
            job = dict(self._job(region, name))
            runs = self._runs.setdefault((region, name), {})
            limit = int((job.get("ExecutionProperty") or {}).get("MaxConcurrentRuns", 1))
            if sum(r["JobRunState"] in ACTIVE for r in runs.values()) >= limit:
                raise GlueApiError(
                    "ConcurrentRunsExceededException",
                    f"Concurrent runs exceeded for {name}: MaxConcurrentRuns is {limit}",
                )
            run_id = f"jr_{secrets.token_hex(32)}"
            now = time.time()
            workers = body.get("NumberOfWorkers", job.get("NumberOfWorkers"))
            worker_type = body.get("WorkerType", job.get("WorkerType"))
            run = {
                "Id": run_id,
                "Attempt": 0,
                "JobName": name,
                "JobMode": "SCRIPT",
                "StartedOn": now,
                "LastModifiedOn": now,
                "JobRunState": "STARTING",
                "Arguments": dict(body.get("Arguments") or {}),
                "PredecessorRuns": [],
                "Timeout": int(body.get("Timeout", job.get("Timeout", 2880))),
                "WorkerType": worker_type,
                "NumberOfWorkers": workers,
                "MaxCapacity": capacity(worker_type, workers),
                "LogGroupName": "/aws-glue/jobs",
                "GlueVersion": job.get("GlueVersion", "0.9"),
                "ExecutionClass": "STANDARD",
            }
            runs[run_id] = run
            self._executions[run_id] = self._execute(job, run, region)
        return {"JobRunId": run_id}

    def get_job_run(self, region: str, body: Mapping[str, Any]) -> dict[str, Any]:
        with self._lock:
            run = self._run(region, body.get("JobName", ""), body.get("RunId", ""))
            return {"JobRun": public(run)}

    def get_job_runs(self, region: str, body: Mapping[str, Any]) -> dict[str, Any]:
        name = body.get("JobName", "")
        with self._lock:
            self._job(region, name)
            runs = sorted(
                self._runs.get((region, name), {}).values(), key=lambda r: -r["StartedOn"]
            )
            return {"JobRuns": [public(r) for r in runs]}

    def batch_stop_job_run(self, region: str, body: Mapping[str, Any]) -> dict[str, Any]:
        name = body.get("JobName", "")
        done, errors = [], []
        with self._lock:
            for run_id in body.get("JobRunIds") or []:
                run = self._runs.get((region, name), {}).get(run_id)
                if run is None or run["JobRunState"] not in ACTIVE:
                    code = "EntityNotFoundException" if run is None else "InvalidInputException"
                    state = run["JobRunState"] if run else "unknown"
                    errors.append(
                        {
                            "JobName": name,
                            "JobRunId": run_id,
                            "ErrorDetail": {
                                "ErrorCode": code,
                                "ErrorMessage": f"Job run {run_id} cannot be stopped: {state}",
                            },
                        }
                    )
                    continue
                run["JobRunState"] = "STOPPING"
                run["LastModifiedOn"] = time.time()
                self._executions[run_id].request_stop()
                done.append({"JobName": name, "JobRunId": run_id})
        return {"SuccessfulSubmissions": done, "Errors": errors}

    def _run(self, region: str, name: str, run_id: str) -> dict[str, Any]:
        self._job(region, name)
        run = self._runs.get((region, name), {}).get(run_id)
        if run is None:
            raise GlueApiError("EntityNotFoundException", f"Job run {run_id} not found")
        return run

    def update_run(self, run: dict[str, Any], **changes: Any) -> None:
        """Called by an execution: state changes happen under the service's lock."""
        with self._lock:
            if run["JobRunState"] == "STOPPING" and changes.get("JobRunState") == "RUNNING":
                changes.pop("JobRunState")
            run.update(changes, LastModifiedOn=time.time())
