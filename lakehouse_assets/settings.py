"""Configuration is environment: each setting has a working local default."""

from __future__ import annotations

import os
from dataclasses import dataclass
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

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        target = env.get("LAKEHOUSE_TARGET", "local").strip().lower() or "local"
        if target not in TARGETS:
            raise ConfigurationError(
                f"LAKEHOUSE_TARGET={target!r} is not one of {list(TARGETS)}; unset it for local"
            )
        root = env.get("LAKEHOUSE_ROOT", "./.lakehouse")
        landing = env.get("LAKEHOUSE_LANDING") or _join(root, "landing")
        runner_dir = env.get("LAKEHOUSE_RUNNER_DIR") or str(Path(root).expanduser() / "_runner")
        return cls(
            target=target,
            root=root,
            landing=landing,
            runner_dir=runner_dir,
            job_timeout_seconds=_number(env, "LAKEHOUSE_JOB_TIMEOUT_SECONDS", 3600),
            poll_interval_seconds=_number(
                env, "LAKEHOUSE_POLL_SECONDS", 0.2 if target == "local" else 10
            ),
            keep_versions=int(_number(env, "LAKEHOUSE_KEEP_VERSIONS", 5)),
        )


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
