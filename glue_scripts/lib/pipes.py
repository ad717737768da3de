"""Dagster Pipes bootstrap for a Glue script.

Params always arrive as CLI arguments (`--dagster-pipes-context`, `--dagster-pipes-messages`),
as Glue passes them. Their content says which channel to use: S3 objects on Glue, local files
on the local runner. Transforms never see the difference.
"""

from __future__ import annotations

from collections.abc import Sequence

from dagster_pipes import (
    DAGSTER_PIPES_CONTEXT_CLI_ARGUMENT,
    DAGSTER_PIPES_MESSAGES_CLI_ARGUMENT,
    PipesContext,
    PipesDefaultContextLoader,
    PipesDefaultMessageWriter,
    PipesParams,
    PipesParamsLoader,
    PipesS3ContextLoader,
    PipesS3MessageWriter,
    decode_param,
)

from glue_scripts.lib.args import JobArgumentError, parse_args


class ArgvParamsLoader(PipesParamsLoader):
    """Reads the Pipes bootstrap params from an explicit argv (not the process-wide sys.argv,
    which the warm local runner shares between jobs)."""

    def __init__(self, argv: Sequence[str]):
        args = parse_args(argv)
        self._context = args.get(DAGSTER_PIPES_CONTEXT_CLI_ARGUMENT[2:], "")
        self._messages = args.get(DAGSTER_PIPES_MESSAGES_CLI_ARGUMENT[2:], "")

    def is_dagster_pipes_process(self) -> bool:
        return bool(self._context and self._messages)

    def load_context_params(self) -> PipesParams:
        return decode_param(self._context)

    def load_messages_params(self) -> PipesParams:
        return decode_param(self._messages)


def open_pipes(argv: Sequence[str]) -> PipesContext:
    """A Pipes context for this job run; use it as a context manager so errors are reported."""
    loader = ArgvParamsLoader(argv)
    if not loader.is_dagster_pipes_process():
        raise JobArgumentError(
            "this Glue job reports to Dagster and was started without the Dagster Pipes "
            "arguments; launch it through Dagster (`lakehouse run` or the Dagster UI)"
        )
    on_s3 = "bucket" in loader.load_context_params() or "bucket" in loader.load_messages_params()
    if on_s3:
        import boto3  # present on Glue; only needed when Pipes talks through S3

        s3 = boto3.client("s3")
        # A short interval streams logs and check results to Dagster while the job runs.
        return PipesContext(loader, PipesS3ContextLoader(s3), PipesS3MessageWriter(s3, interval=5))
    return PipesContext(loader, PipesDefaultContextLoader(), PipesDefaultMessageWriter())
