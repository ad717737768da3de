"""`python -m lakehouse_assets.local_runner --state-dir DIR`: serve until idle or shut down."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from lakehouse_assets.local_runner import jit
from lakehouse_assets.local_runner.fingerprint import code_fingerprint
from lakehouse_assets.local_runner.runner import JobRunner
from lakehouse_assets.local_runner.server import RunnerServer
from lakehouse_assets.local_runner.session import build_local_session


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lakehouse_assets.local_runner")
    parser.add_argument("--state-dir", required=True, type=Path)
    parser.add_argument("--idle-timeout", type=float, default=300.0)
    parser.add_argument("--max-concurrent-runs", type=int, default=2)
    args = parser.parse_args(argv)
    args.state_dir.mkdir(parents=True, exist_ok=True)
    spark = build_local_session()
    runner = JobRunner(spark, args.max_concurrent_runs)
    server = RunnerServer(runner, code_fingerprint())
    server.start_in_thread()
    info = {"url": server.url, "pid": os.getpid(), "fingerprint": server.fingerprint}
    state_file = args.state_dir / "runner.json"
    tmp = state_file.with_suffix(".tmp")
    tmp.write_text(json.dumps(info))
    tmp.replace(state_file)
    print(
        f"local Glue runner ready at {server.url} (pid {os.getpid()}, {jit.setting()} JIT)",
        flush=True,
    )
    try:
        while not server.stop_event.wait(1.0):
            idle = time.monotonic() - runner.last_activity
            if runner.active_runs == 0 and idle > args.idle_timeout:
                print(f"idle for {idle:.0f}s: stopping", flush=True)
                break
    finally:
        server.shutdown()
        try:
            if json.loads(state_file.read_text()).get("pid") == os.getpid():
                state_file.unlink()
        except (OSError, ValueError):
            pass
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
