"""The `lakehouse deploy plan|apply|policy` commands (code in the `deploy` package).

`lakehouse_assets.cli` adds them with one call: `add_commands(sub)`. Exit codes follow Terraform's:
1 for an error; `plan --detailed-exitcode` gives 0 when AWS matches and 2 when it does not.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from functools import cache
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from lakehouse_assets.settings import ConfigurationError


def _context(args: argparse.Namespace):
    from deploy.desired import desired_state
    from lakehouse_assets.aws_settings import AwsSettings, aws_client
    from lakehouse_assets.registry import registry

    settings = AwsSettings.from_env()

    @cache
    def clients(service: str) -> Any:
        return aws_client(service, settings.region)

    if not clients("glue").meta.region_name:
        raise ConfigurationError("no AWS region: set AWS_REGION (e.g. eu-west-1)")
    return settings, registry(), desired_state(registry(), settings), clients


def _cost_lines(reg, desired) -> list[str]:
    from deploy.cost import CostSettings, estimate, job_dpus, render
    from lakehouse_assets.job_timings import last_run_seconds

    settings = CostSettings.from_env(os.environ)
    jobs = {
        name: (reg.jobs[name].domain, job_dpus(job.definition))
        for name, job in desired.jobs.items()
    }
    return render(estimate(jobs, last_run_seconds(reg), settings), settings)


def _plan(args: argparse.Namespace) -> int:
    from deploy.plan import build_plan

    _, reg, desired, clients = _context(args)
    plan = build_plan(desired, clients, prune=args.prune)
    print(plan.render())
    print("\n".join(_cost_lines(reg, desired)))
    if args.detailed_exitcode and plan.has_changes:
        return 2
    return 0


def _apply(args: argparse.Namespace) -> int:
    from deploy.apply import apply_plan
    from deploy.plan import build_plan

    _, _, desired, clients = _context(args)
    plan = build_plan(desired, clients, prune=args.prune)
    print(plan.render())
    if not plan.has_changes:
        return 0
    print("applying:")
    made = apply_plan(plan, desired, clients)
    print(f"apply complete: {made} change(s) made")
    return 0


def _policy(args: argparse.Namespace) -> int:
    from deploy.policy import render_policies

    settings, reg, _, clients = _context(args)
    account = settings.account_id or clients("sts").get_caller_identity()["Account"]
    print(render_policies(settings, reg, account, clients("glue").meta.region_name))
    return 0


def _guarded(func):
    def run(args: argparse.Namespace) -> int:
        from deploy.package import PackagingError
        from deploy.plan import DeployError

        try:
            return func(args)
        except (ConfigurationError, PackagingError, DeployError) as err:
            print(f"deploy: {err}", file=sys.stderr)
        except (ClientError, BotoCoreError) as err:
            print(f"deploy: AWS refused a call: {err}", file=sys.stderr)
        return 1

    return run


def add_commands(subparsers: Any) -> None:
    deploy = subparsers.add_parser(
        "deploy", help="publish the Glue scripts and create or update the Glue jobs (aws)"
    )
    sub = deploy.add_subparsers(dest="deploy_command", required=True)
    plan = sub.add_parser("plan", help="show what apply would change; changes nothing")
    plan.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help="exit 0 when nothing would change, 2 when something would (1 on errors)",
    )
    apply = sub.add_parser("apply", help="create or update the bucket, code, databases, jobs")
    for command in (plan, apply):
        command.add_argument(
            "--prune",
            action="store_true",
            help="delete Glue jobs this deploy created that no JobSpec defines any more",
        )
    plan.set_defaults(func=_guarded(_plan))
    apply.set_defaults(func=_guarded(_apply))
    policy = sub.add_parser("policy", help="print the IAM policies the roles need")
    policy.set_defaults(func=_guarded(_policy))


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m lakehouse_assets.cli.deploy deploy plan`: these commands alone."""
    parser = argparse.ArgumentParser(prog="lakehouse")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
