"""Alerting on failed runs: a run failure sensor that posts to a webhook or writes a file.

Point it at alerting with `LAKEHOUSE_ALERT_WEBHOOK` (any endpoint taking a JSON POST: a chat
webhook, an incident tool, a small relay); without it, each alert is a JSON line appended to
`LAKEHOUSE_ALERT_FILE`. Sensors run in the Dagster daemon (`dagster dev` starts one); the
headless `lakehouse run` reports failures itself and exits non-zero.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dagster import (
    DagsterEvent,
    DagsterRun,
    DefaultSensorStatus,
    RunFailureSensorContext,
    SensorDefinition,
    run_failure_sensor,
)

from lakehouse_assets.settings import Settings

SENSOR_NAME = "lakehouse_run_failure_alert"
MAX_ERROR_CHARS = 4000


class AlertDeliveryError(RuntimeError):
    """The alert webhook did not accept an alert (it was written to the alert file instead)."""


def failure_alert(
    run: DagsterRun, failure: DagsterEvent | None, step_failures: Sequence[DagsterEvent]
) -> dict[str, Any]:
    """What an on-call person needs: which run and job, which steps, and the errors."""
    steps = []
    for event in step_failures:
        error = getattr(event.event_specific_data, "error", None)
        text = _messages(error) if error is not None else (event.message or "")
        steps.append({"step_key": event.step_key, "error": text[:MAX_ERROR_CHARS]})
    return {
        "alert": "dagster_run_failure",
        "run_id": run.run_id,
        "job_name": run.job_name,
        "status": run.status.value,
        "partition": run.tags.get("dagster/partition")
        or _range(run.tags.get("dagster/asset_partition_range_start"), run.tags),
        "failed_steps": steps,
        "message": (failure.message if failure is not None else "") or "",
        "sent_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _messages(error) -> str:
    """The error's message and its causes' (Dagster wraps the script's error), no stacks."""
    lines = []
    while error is not None:
        lines.append(error.message.strip())
        error = error.cause or error.context
    return "\n".join(lines)


def _range(start: str | None, tags) -> str | None:
    return f"{start}...{tags.get('dagster/asset_partition_range_end')}" if start else None


def send_alert(alert: dict[str, Any], settings: Settings) -> str:
    """Deliver an alert; return where it went. The webhook URL is never echoed: it may hold a
    token."""
    if settings.alert_webhook:
        request = urllib.request.Request(
            settings.alert_webhook,
            data=json.dumps(alert).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()
            return "the alert webhook (LAKEHOUSE_ALERT_WEBHOOK)"
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, "code", None) or type(err).__name__
            path = _append(alert, settings.alert_file)
            raise AlertDeliveryError(
                f"the alert webhook (LAKEHOUSE_ALERT_WEBHOOK) refused the alert of run "
                f"{alert['run_id']} ({reason}); it was written to {path}. Check the webhook."
            ) from None
    return str(_append(alert, settings.alert_file))


def _append(alert: dict[str, Any], file: str) -> Path:
    path = Path(file).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(alert) + "\n")
    return path


def build_failure_alert_sensor(settings: Settings) -> SensorDefinition:
    @run_failure_sensor(
        name=SENSOR_NAME,
        description="Sends every failed run (job, failed steps, errors) to the alert sink.",
        default_status=DefaultSensorStatus.RUNNING,
    )
    def _alert(context: RunFailureSensorContext) -> None:
        alert = failure_alert(
            context.dagster_run, context.failure_event, context.get_step_failure_events()
        )
        where = send_alert(alert, settings)
        context.log.info(f"alert for failed run {context.dagster_run.run_id} sent to {where}")

    return _alert
