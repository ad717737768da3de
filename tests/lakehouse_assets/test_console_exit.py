"""The `lakehouse` console script skips the interpreter's teardown (`cli.console_main`): what
a command printed still arrives through a pipe, and its exit code is the command's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

LAKEHOUSE = Path(sys.executable).with_name("lakehouse")


def _lakehouse(*args: str, root: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "LAKEHOUSE_ROOT": str(root)}
    return subprocess.run(
        [str(LAKEHOUSE), *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_a_command_s_output_and_exit_code_come_through(tmp_path):
    done = _lakehouse("local-services", "--stop", root=tmp_path / "lake")
    assert (done.returncode, done.stdout) == (0, "no local services were running\n")


def test_a_refused_command_exits_with_its_code(tmp_path):
    missing = tmp_path / "no-such-landing"
    done = _lakehouse("run", "--landing", str(missing), root=tmp_path / "lake")
    assert done.returncode == 2
    assert done.stderr == f"landing folder {missing} does not exist; check the path\n"


def test_a_local_run_imports_no_library_its_first_step_does_not_need():
    # dagster-aws, pyarrow and PySpark cost about 1.4 s of import together: what a user waits
    # for on every `lakehouse run` of one asset (the warm loop, docs/BENCHMARKING.md).
    heavy = ("dagster_aws", "pyarrow", "pyspark", "pandas", "sqlalchemy")
    probe = (
        "import sys, lakehouse_assets.headless; "
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout == "[]\n"
