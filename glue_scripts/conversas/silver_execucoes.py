"""Glue job `conversas_silver`: bronze sessions -> silver sessions, runs and tool calls.

Bronze keeps every load, and the lookback reads a session again, so a session has several
versions there; the one with the latest updated_at is kept (ties: the latest load). The
three tables are rebuilt from those versions on each run: a session's runs change while it
is open, and a run has no key of its own to merge on.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from glue_scripts.conversas.transforms import latest_sessions, runs, sessions, tool_calls
from glue_scripts.lib.job import GlueJob

JOB = "conversas_silver"
BRONZE = "conversas_bronze.sessoes"
SESSOES = "conversas_silver.sessoes"
EXECUCOES = "conversas_silver.execucoes"
CHAMADAS = "conversas_silver.chamadas_ferramenta"
_RUN_COLUMNS = (
    "run_id",
    "status",
    "total_tokens",
    "output_tokens",
    "time",
    "tool_calls",
    "timeout",
    "errors",
    "success",
)
_TOOL_COLUMNS = ("tool_position", "tool_name", "tool_call_error", "time")


def _lineage(pairs: dict[str, Sequence[str]]) -> dict[str, list[tuple[str, str]]]:
    return {column: [(BRONZE, source) for source in sources] for column, sources in pairs.items()}


def _common() -> dict[str, Sequence[str]]:
    return {"session_id": ("session_id",), "dia": ("dia",)}


def sessoes_lineage() -> dict[str, list[tuple[str, str]]]:
    return _lineage(
        {
            **_common(),
            "agent_id": ("agent_id",),
            "agent_name": ("agent_data",),
            "model_provider": ("agent_data",),
            "model_id": ("agent_data",),
            "usuario": ("user_id",),
            "created_at": ("created_at",),
            "updated_at": ("updated_at",),
            "total_runs": ("memory",),
            "anomesdia": ("anomesdia",),
        }
    )


def main(argv: Sequence[str]) -> None:
    with GlueJob(argv, JOB) as job:
        latest = latest_sessions(job.read(BRONZE))
        wanted = [t for t in (SESSOES, EXECUCOES, CHAMADAS) if job.wants(t)]
        if len(wanted) > 1:
            # Each output reads the same versions; choose them once.
            latest = latest.cache()
        try:
            if job.wants(SESSOES):
                job.write(SESSOES, sessions(latest), column_lineage=sessoes_lineage())
            if job.wants(EXECUCOES):
                lineage = {**_common(), "run_position": ("memory",)}
                lineage.update({c: ("memory",) for c in _RUN_COLUMNS})
                job.write(EXECUCOES, runs(latest), column_lineage=_lineage(lineage))
            if job.wants(CHAMADAS):
                lineage = {**_common(), "run_position": ("memory",)}
                lineage.update({c: ("memory",) for c in _TOOL_COLUMNS})
                job.write(CHAMADAS, tool_calls(latest), column_lineage=_lineage(lineage))
        finally:
            latest.unpersist()


if __name__ == "__main__":
    main(sys.argv[1:])
