"""`lakehouse local-services` (every local endpoint) and `lakehouse local-aws` (AWS alone).

Both serve on 127.0.0.1 only. `local-services` runs the AWS endpoint, PostgreSQL and the API
stand-ins under one supervisor (`lakehouse_assets/local_services/`); `local-aws` runs the AWS
endpoint alone, and reuses the one of the local services when they run.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from lakehouse_assets.settings import Settings


def _root(args: argparse.Namespace) -> str:
    env = dict(os.environ)
    if getattr(args, "root", None):
        env["LAKEHOUSE_ROOT"] = args.root
    return Settings.from_env(env).root


def _local_services(args: argparse.Namespace) -> int:
    from lakehouse_assets import local_aws
    from lakehouse_assets.local_services import supervisor
    from lakehouse_assets.local_services.endpoints import endpoints_file, read_endpoints

    root = _root(args)
    if args.stop:
        try:
            outcome = supervisor.stop_background(root)
        except supervisor.LocalServicesError as err:
            print(str(err), file=sys.stderr)
            return 1
        print(
            {
                "stopped": "local services stopped",
                "cleaned": "the local services had died; their leftovers are cleaned up",
                "none": "no local services were running",
            }[outcome]
        )
        return 0
    if args.status:
        endpoints, answering = supervisor.status(root)
        if endpoints is None:
            print(f"no local services are running for {root}")
            return 1
        print(f"local services running (pid {endpoints['pid']}):")
        for line, ok in zip(supervisor.describe(endpoints), answering.values(), strict=True):
            print(f"{line}  {'answers' if ok else 'DOES NOT ANSWER'}")
        return 0 if all(answering.values()) else 1
    if args.background:
        running = read_endpoints(root) is not None
        try:
            endpoints = supervisor.start_background(root)
        except supervisor.LocalServicesError as err:
            print(str(err), file=sys.stderr)
            return 1
        print(f"local services {'already running' if running else 'started'}:")
        print("\n".join(supervisor.describe(endpoints)))
        print(
            f"(endpoints and the local password in {endpoints_file(root)}; "
            "`lakehouse local-services --stop` stops them)"
        )
        print("\n".join(local_aws.exports(endpoints["aws_endpoint_url"])))
        return 0
    return supervisor.serve(root)


def _local_aws(args: argparse.Namespace) -> int:
    from lakehouse_assets import local_aws

    root = _root(args)
    if args.stop:
        stopped = local_aws.stop_background(root)
        print("local AWS endpoint stopped" if stopped else "no local AWS endpoint was running")
        return 0
    if args.background:
        running = local_aws.endpoint_from_state(root)
        try:
            url = running or local_aws.start_background(root, args.port)
        except local_aws.LocalAwsError as err:
            print(str(err), file=sys.stderr)
            return 1
        own = local_aws.read_state(root) is not None
        print(f"local AWS endpoint {'already running' if running else 'started'} at {url}")
        if own:
            state = local_aws.state_dir(root) / local_aws.STATE_FILE
            print(f"(state in {state}; `lakehouse local-aws --stop` stops it)")
        else:
            print("(part of the local services; `lakehouse local-services --stop` stops them)")
        print("\n".join(local_aws.exports(url)))
        return 0
    # In the foreground too, later commands in other shells find it (unless one already runs).
    state = None if local_aws.endpoint_from_state(root) else local_aws.state_dir(root)
    return local_aws.serve(args.port, state=state)


def add_commands(sub: Any) -> None:
    services = sub.add_parser(
        "local-services",
        help="run every local endpoint on loopback: AWS (moto), PostgreSQL, MongoDB, API stand-ins",
        description="Foreground until Ctrl-C unless --background. Endpoints (with the local "
        "PostgreSQL password) go to $LAKEHOUSE_ROOT/_local_services/endpoints.json.",
    )
    mode = services.add_mutually_exclusive_group()
    mode.add_argument("--background", action="store_true", help="detach; reuse running ones")
    mode.add_argument("--stop", action="store_true", help="stop the background services")
    mode.add_argument(
        "--status", action="store_true", help="print each endpoint and whether it answers"
    )
    services.add_argument("--root", help="storage root whose services these are (LAKEHOUSE_ROOT)")
    services.set_defaults(func=_local_services)

    local = sub.add_parser("local-aws", help="run a local AWS endpoint (moto) on loopback")
    local.add_argument("--port", type=int, default=0, help="port (0: any free port)")
    mode = local.add_mutually_exclusive_group()
    mode.add_argument("--background", action="store_true", help="detach; reuse a running one")
    mode.add_argument("--stop", action="store_true", help="stop the background endpoint")
    local.add_argument("--root", help="storage root whose endpoint this is (LAKEHOUSE_ROOT)")
    local.set_defaults(func=_local_aws)
