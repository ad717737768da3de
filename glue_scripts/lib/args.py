"""Glue-style `--name value` arguments, parsed without Glue's `getResolvedOptions`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class JobArgumentError(ValueError):
    """A job was started with missing or malformed arguments."""


def parse_args(argv: Sequence[str]) -> dict[str, str]:
    """Parse `--name value` pairs (Glue passes every argument that way).

    Glue adds arguments of its own (`--JOB_ID`, `--job-bookmark-option`, ...); they are kept
    but never required.
    """
    args: dict[str, str] = {}
    items = list(argv)
    i = 0
    while i < len(items):
        token = items[i]
        if not token.startswith("--"):
            raise JobArgumentError(
                f"unexpected argument {token!r}: arguments must be '--name value' pairs"
            )
        name = token[2:]
        if "=" in name:
            name, value = name.split("=", 1)
            i += 1
        elif i + 1 < len(items) and not items[i + 1].startswith("--"):
            value = items[i + 1]
            i += 2
        else:
            value = ""
            i += 1
        args[name] = value
    return args


def require(args: Mapping[str, str], name: str) -> str:
    """Return a required argument or explain which one is missing."""
    value = args.get(name, "")
    if not value:
        raise JobArgumentError(
            f"missing job argument --{name}; start this job through Dagster "
            f"(`lakehouse run`) or pass --{name} explicitly"
        )
    return value


def to_argv(arguments: Mapping[str, str]) -> list[str]:
    """Turn a Glue `Arguments` mapping (keys with leading `--`) into an argv list."""
    argv: list[str] = []
    for key, value in arguments.items():
        argv.extend([key if key.startswith("--") else f"--{key}", str(value)])
    return argv
