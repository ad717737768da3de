"""Glue's job API rules and shapes that moto does not check, for the stand-in."""

from __future__ import annotations

import re
from typing import Any

NAME = re.compile(r"^[\w .:/@+=-]{1,255}$")
ACTIVE = ("STARTING", "RUNNING", "STOPPING", "WAITING")
JOB_FIELDS = (
    "Description",
    "LogUri",
    "Role",
    "ExecutionProperty",
    "Command",
    "DefaultArguments",
    "NonOverridableArguments",
    "Connections",
    "MaxRetries",
    "AllocatedCapacity",
    "Timeout",
    "MaxCapacity",
    "WorkerType",
    "NumberOfWorkers",
    "SecurityConfiguration",
    "NotificationProperty",
    "GlueVersion",
    "ExecutionClass",
    "JobMode",
)


class GlueApiError(Exception):
    """An error Glue would answer with HTTP 400 and this `__type`."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def not_found(name: str) -> GlueApiError:
    return GlueApiError("EntityNotFoundException", f"Job with name: {name} not found")


def validate(name: str, body: dict[str, Any]) -> None:
    if not NAME.match(name or ""):
        raise GlueApiError("InvalidInputException", f"invalid job name {name!r}")
    if not body.get("Role"):
        raise GlueApiError("InvalidInputException", "Role is required")
    command = body.get("Command") or {}
    if not command.get("ScriptLocation") or not command.get("Name"):
        raise GlueApiError("InvalidInputException", "Command.Name and ScriptLocation required")
    if ("WorkerType" in body) != ("NumberOfWorkers" in body):
        raise GlueApiError(
            "InvalidInputException", "WorkerType and NumberOfWorkers must be given together"
        )
    if "MaxCapacity" in body and "WorkerType" in body:
        raise GlueApiError(
            "InvalidInputException", "Please do not set Max Capacity if using Worker Type"
        )
    if int(body.get("Timeout", 1)) < 1 or int(body.get("MaxRetries", 0)) < 0:
        raise GlueApiError("InvalidInputException", "Timeout >= 1 and MaxRetries >= 0")


def with_defaults(job: dict[str, Any]) -> dict[str, Any]:
    job.setdefault("ExecutionProperty", {"MaxConcurrentRuns": 1})
    job.setdefault("MaxRetries", 0)
    job.setdefault("Timeout", 2880)
    job.setdefault("DefaultArguments", {})
    if "WorkerType" in job:
        job["MaxCapacity"] = capacity(job["WorkerType"], job["NumberOfWorkers"])
    return job


def capacity(worker_type: str | None, workers: int | None) -> float | None:
    from lakehouse_assets.aws_settings import WORKER_DPUS

    if worker_type not in WORKER_DPUS or not workers:
        return None
    return WORKER_DPUS[worker_type] * int(workers)


def public(run: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in run.items() if v is not None and not k.startswith("_")}
