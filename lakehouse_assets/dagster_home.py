"""The Dagster instance's home, ready before anything opens it, and Dagster's notices off.

A `DAGSTER_HOME` without a `dagster.yaml` makes Dagster print a notice on every command and a
telemetry banner on the first; the project writes the file (telemetry off unless
`LAKEHOUSE_DAGSTER_TELEMETRY=true`) and never overwrites one that exists.
`python -m lakehouse_assets.dagster_home` does it for `make dev` before `dagster dev` starts.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import MutableMapping
from pathlib import Path

from lakehouse_assets.settings import ConfigurationError

DEFAULT_HOME = ".dagster_home"
INSTANCE_FILE = "dagster.yaml"
TELEMETRY_SETTING = "LAKEHOUSE_DAGSTER_TELEMETRY"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def telemetry_enabled(env: MutableMapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    value = env.get(TELEMETRY_SETTING, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigurationError(
        f"{TELEMETRY_SETTING}={env[TELEMETRY_SETTING]!r} is not true or false; unset it to "
        "keep Dagster's telemetry off"
    )


def instance_yaml(telemetry: bool) -> str:
    return (
        "# Written by the lakehouse project when DAGSTER_HOME had no dagster.yaml; yours to edit\n"
        "# (it is never overwritten). Runs, events and schedules are stored in this folder.\n"
        f"# Telemetry: set {TELEMETRY_SETTING}=true before the first command to turn it on.\n"
        "telemetry:\n"
        f"  enabled: {'true' if telemetry else 'false'}\n"
    )


def ensure_dagster_home(env: MutableMapping[str, str] | None = None) -> Path:
    """The instance folder (`DAGSTER_HOME`, set to ./.dagster_home when unset), created with a
    `dagster.yaml` when it has none."""
    env = os.environ if env is None else env
    if not env.get("DAGSTER_HOME"):
        env["DAGSTER_HOME"] = str(Path(DEFAULT_HOME).resolve())
    home = Path(env["DAGSTER_HOME"]).expanduser()
    home.mkdir(parents=True, exist_ok=True)
    config = home / INSTANCE_FILE
    if not config.exists():
        text = instance_yaml(telemetry_enabled(env))
        tmp = config.with_name(f".{INSTANCE_FILE}.{os.getpid()}")
        tmp.write_text(text, encoding="utf-8")
        try:
            # Two processes starting at once: the first file wins, neither is half-written.
            os.link(tmp, config)
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    return home


def quiet_dagster_warnings() -> None:
    """Hide Dagster's Beta, Preview and Supersession notices (about Dagster's own APIs the
    project uses on purpose); every other warning and error still shows."""
    # dagster_shared holds the classes without importing Dagster itself.
    from dagster_shared.utils.warnings import BetaWarning, PreviewWarning, SupersessionWarning

    for category in (BetaWarning, PreviewWarning, SupersessionWarning):
        warnings.filterwarnings("ignore", category=category)


def main() -> int:
    try:
        home = ensure_dagster_home()
    except ConfigurationError as err:
        print(f"configuration error: {err}", file=sys.stderr)
        return 2
    return 0 if home.is_dir() else 1


if __name__ == "__main__":
    sys.exit(main())
