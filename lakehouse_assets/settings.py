"""Configuration is environment: each setting has a working local default."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

TARGETS = ("local", "aws")


class ConfigurationError(ValueError):
    """A setting has a value the project cannot use."""


@dataclass(frozen=True)
class Settings:
    target: str
    root: str
    landing: str
    runner_dir: str
    job_timeout_seconds: float
    poll_interval_seconds: float
    keep_versions: int
    transient_retries: int = 3
    retry_backoff_seconds: float = 10.0
    # May carry a token (chat webhooks do): never printed with the settings.
    alert_webhook: str | None = field(default=None, repr=False)
    alert_file: str = "./.dagster_home/lakehouse_alerts.jsonl"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        target = env.get("LAKEHOUSE_TARGET", "local").strip().lower() or "local"
        if target not in TARGETS:
            raise ConfigurationError(
                f"LAKEHOUSE_TARGET={target!r} is not one of {list(TARGETS)}; unset it for local"
            )
        root = env.get("LAKEHOUSE_ROOT") or _default_root(target, env)
        landing = env.get("LAKEHOUSE_LANDING") or _join(root, "landing")
        local = "./.lakehouse" if root.startswith("s3://") else root
        runner_dir = env.get("LAKEHOUSE_RUNNER_DIR") or str(Path(local).expanduser() / "_runner")
        return cls(
            target=target,
            root=root,
            landing=landing,
            runner_dir=runner_dir,
            job_timeout_seconds=_number(env, "LAKEHOUSE_JOB_TIMEOUT_SECONDS", 3600),
            poll_interval_seconds=_number(
                env, "LAKEHOUSE_POLL_SECONDS", 0.05 if target == "local" else 10
            ),
            keep_versions=int(_number(env, "LAKEHOUSE_KEEP_VERSIONS", 5)),
            transient_retries=_count(env, "LAKEHOUSE_TRANSIENT_RETRIES", 3),
            retry_backoff_seconds=_number(env, "LAKEHOUSE_RETRY_BACKOFF_SECONDS", 10),
            alert_webhook=env.get("LAKEHOUSE_ALERT_WEBHOOK") or None,
            alert_file=env.get("LAKEHOUSE_ALERT_FILE")
            or str(Path(env.get("DAGSTER_HOME") or "./.dagster_home") / "lakehouse_alerts.jsonl"),
        )


def _default_root(target: str, env: dict[str, str]) -> str:
    """./.lakehouse locally; on aws s3://LAKEHOUSE_BUCKET[/LAKEHOUSE_PREFIX] (docs/AWS.md)."""
    if target != "aws":
        return "./.lakehouse"
    from lakehouse_assets.aws_settings import AwsSettings

    return AwsSettings.from_env(env).root


def _join(root: str, name: str) -> str:
    return f"{root.rstrip('/')}/{name}"


def _number(env: dict[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError as err:
        raise ConfigurationError(f"{name}={raw!r} is not a number") from err
    if value <= 0:
        raise ConfigurationError(f"{name}={raw!r} must be positive")
    return value


def _count(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    if not raw.strip().isdigit():
        raise ConfigurationError(f"{name}={raw!r} must be a whole number, 0 or more")
    return int(raw)
