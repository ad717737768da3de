"""Which failures are retried (lakehouse_assets/retries.py) and how the settings read."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from lakehouse_assets.local_runner.client import RunnerUnavailableError
from lakehouse_assets.resources.pipes_glue import GlueJobRunError, GlueJobTimeoutError
from lakehouse_assets.retries import TransientRetries, is_transient
from lakehouse_assets.settings import ConfigurationError, Settings


def _client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "m"}}, "StartJobRun")


def _glue_failure(message: str) -> GlueJobRunError:
    return GlueJobRunError(
        f"Glue job j run jr_1 ended FAILED: {message}\nLast lines of the job's log:\n"
        "Traceback ... ThrottlingException mentioned by a data row\n"
    )


@pytest.mark.parametrize(
    "error",
    [
        RunnerUnavailableError("the local Glue runner does not answer"),
        EndpointConnectionError(endpoint_url="https://glue.us-east-1.amazonaws.com"),
        _client_error("ThrottlingException"),
        _client_error("ConcurrentRunsExceededException"),
        _glue_failure("An error occurred (SlowDown) when calling PutObject"),
    ],
    ids=["runner-gone", "network", "throttled", "concurrent-runs", "s3-slowdown-in-job"],
)
def test_transient_faults_are_retried(error):
    assert is_transient(error)


@pytest.mark.parametrize(
    "error",
    [
        _glue_failure("LandingError: landing file x is delimited by ';'"),
        _glue_failure("BlockingCheckError: importau_silver.fato was not published"),
        _glue_failure("SchemaDriftError: column data_pedido changed"),
        GlueJobTimeoutError("Glue job j run jr_1 did not finish within 3600s: ThrottlingException"),
        _client_error("AccessDeniedException"),
        ValueError("a bug"),
    ],
    ids=["landing", "blocking-check", "drift", "timeout", "access-denied", "bug"],
)
def test_data_errors_and_bugs_are_not(error):
    assert not is_transient(error)


def test_the_cause_chain_is_followed():
    try:
        try:
            raise RunnerUnavailableError("gone")
        except RunnerUnavailableError as inner:
            raise RuntimeError("while polling") from inner
    except RuntimeError as outer:
        assert is_transient(outer)


def test_backoff_doubles_up_to_its_cap():
    retries = TransientRetries(max_retries=5, backoff_seconds=10, max_backoff_seconds=60)
    assert [retries.delay(n) for n in range(5)] == [10, 20, 40, 60, 60]


def test_retry_and_alert_settings_come_from_the_environment():
    defaults = Settings.from_env({"DAGSTER_HOME": "/dh"})
    assert (defaults.transient_retries, defaults.retry_backoff_seconds) == (3, 10)
    assert (defaults.alert_webhook, defaults.alert_file) == (None, "/dh/lakehouse_alerts.jsonl")
    hook = "https://hooks.example.com/services/T000/B000/tokentokentoken"
    custom = Settings.from_env(
        {
            "LAKEHOUSE_TRANSIENT_RETRIES": "0",
            "LAKEHOUSE_RETRY_BACKOFF_SECONDS": "2.5",
            "LAKEHOUSE_ALERT_WEBHOOK": hook,
            "LAKEHOUSE_ALERT_FILE": "/tmp/a.jsonl",
        }
    )
    assert (custom.transient_retries, custom.retry_backoff_seconds) == (0, 2.5)
    assert (custom.alert_webhook, custom.alert_file) == (hook, "/tmp/a.jsonl")
    assert "tokentoken" not in repr(custom)  # a webhook URL may carry a token
    with pytest.raises(ConfigurationError, match="must be a whole number"):
        Settings.from_env({"LAKEHOUSE_TRANSIENT_RETRIES": "-1"})
