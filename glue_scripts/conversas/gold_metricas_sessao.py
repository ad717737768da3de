"""Glue job `conversas_gold_metricas_sessao`: silver sessions and runs -> the 48 training
metrics of each session (the `GROUPS` of glue_scripts/conversas/transforms.py), with its
day (the partition), its hashed user and the version of the definitions (the table's
parameter `versao_definicoes`). Rebuilt whole from silver on each run."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from glue_scripts.conversas.transforms import GROUPS, session_metrics
from glue_scripts.lib.job import GlueJob

JOB = "conversas_gold_metricas_sessao"
SESSOES = "conversas_silver.sessoes"
EXECUCOES = "conversas_silver.execucoes"
GOLD = "conversas_gold.metricas_sessao"
_SESSION_COLUMNS = ("session_id", "agent_name", "model_provider", "model_id", "dia", "usuario")
# The run columns each group of metrics reads.
_GROUP_SOURCES = {
    "tokens": ("run_position", "total_tokens", "output_tokens"),
    "time": ("run_position", "time", "timeout"),
    "tools": ("run_position", "tool_calls"),
    "speed": ("total_tokens", "time"),
    "failures": ("run_position", "success", "errors"),
}


def column_lineage() -> dict[str, list[tuple[str, str]]]:
    lineage = {c: [(SESSOES, c)] for c in _SESSION_COLUMNS}
    lineage["total_runs"] = [(EXECUCOES, "run_position")]
    for group, _, metrics in GROUPS:
        for name in metrics:
            lineage[name] = [(EXECUCOES, c) for c in _GROUP_SOURCES[group]]
    return lineage


def inputs_record(job: GlueJob, version: str) -> dict:
    """What this version of gold was built from: the definitions' version and the version of
    each silver table read (written beside the snapshot, read back by the training dataset)."""
    return {
        "definitions_version": version,
        "inputs": {
            table: {
                "table_version": read.version,
                "iceberg_snapshot_id": read.snapshot_id,
                "committed_at": read.committed_at,
                "run_id": read.run_id,
                "rows": read.rows,
            }
            for table, read in sorted(job.read_versions.items())
        },
    }


def main(argv: Sequence[str]) -> None:
    with GlueJob(argv, JOB) as job:
        spec = job.tables[GOLD]
        types = {c["name"]: c["type"] for c in spec["columns"]}
        version = spec["parameters"]["versao_definicoes"]
        metrics = session_metrics(
            job.read(SESSOES),
            job.read(EXECUCOES),
            types,
            version,
        )
        job.write(
            GOLD,
            metrics,
            column_lineage=column_lineage(),
            replace_all=True,
            built_from=inputs_record(job, version),
        )


if __name__ == "__main__":
    main(sys.argv[1:])
