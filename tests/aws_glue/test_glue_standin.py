"""The Glue stand-in answers like Glue and really runs what was uploaded."""

from __future__ import annotations

import time
import zipfile

import pytest
from botocore.exceptions import ClientError

from deploy.package import build_artefacts
from lakehouse_assets.glue_standin.runs import check_imports
from tests.aws_glue.conftest import BUCKET, REGION, ROLE, reset

COMMAND = {"Name": "glueetl", "ScriptLocation": f"s3://{BUCKET}/code/job.py"}


@pytest.fixture
def glue(standin, aws_env, clients):
    reset(standin.url)
    clients["s3"].create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    return clients["glue"]


def _upload(clients, key: str, body: bytes) -> str:
    clients["s3"].put_object(Bucket=BUCKET, Key=key, Body=body)
    return f"s3://{BUCKET}/{key}"


def _wait(glue, name: str, run_id: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = glue.get_job_run(JobName=name, RunId=run_id)["JobRun"]
        if run["JobRunState"] not in ("STARTING", "RUNNING", "STOPPING"):
            return run
        time.sleep(0.1)
    raise AssertionError(f"{name} still {run['JobRunState']}")


def _code(call, **kwargs) -> str:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value.response["Error"]["Code"]


def test_job_definitions_follow_glue_rules_and_update_replaces(glue):
    glue.create_job(Name="j", Role=ROLE, Command=COMMAND, MaxRetries=1, Timeout=10)
    assert _code(glue.create_job, Name="j", Role=ROLE, Command=COMMAND) == "AlreadyExistsException"
    assert _code(glue.create_job, Name="k", Role="", Command=COMMAND) == "InvalidInputException"
    assert _code(glue.get_job, JobName="nope") == "EntityNotFoundException"
    assert _code(glue.start_job_run, JobName="nope") == "EntityNotFoundException"
    glue.update_job(JobName="j", JobUpdate={"Role": ROLE, "Command": COMMAND, "Timeout": 5})
    job = glue.get_job(JobName="j")["Job"]
    # UpdateJob replaces the definition: MaxRetries, left out, is back to its default.
    assert (job["Timeout"], job["MaxRetries"]) == (5, 0)
    assert [j["Name"] for j in glue.get_jobs()["Jobs"]] == ["j"]
    glue.delete_job(JobName="j")
    assert glue.get_jobs()["Jobs"] == []


def test_runs_execute_the_uploaded_script_and_fail_with_its_error(glue, clients):
    _upload(clients, "code/job.py", b"def main(argv):\n    raise ValueError(f'boom {len(argv)}')\n")
    glue.create_job(Name="j", Role=ROLE, Command=COMMAND)
    run_id = glue.start_job_run(JobName="j", Arguments={"--x": "1"})["JobRunId"]
    run = _wait(glue, "j", run_id)
    # --x plus Glue's own --JOB_ID, --JOB_RUN_ID and --JOB_NAME.
    assert (run["JobRunState"], run["ErrorMessage"]) == ("FAILED", "ValueError: boom 8")
    events = clients["logs"].get_log_events(
        logGroupName="/aws-glue/jobs/error", logStreamName=run_id
    )["events"]
    assert "ValueError: boom 8" in events[-1]["message"]
    stop = glue.batch_stop_job_run(JobName="j", JobRunIds=[run_id])
    assert stop["SuccessfulSubmissions"] == []
    assert stop["Errors"][0]["ErrorDetail"]["ErrorCode"] == "InvalidInputException"
    # A new version of the script at the same location runs as uploaded.
    _upload(clients, "code/job.py", b"def main(argv):\n    pass\n")
    run_id = glue.start_job_run(JobName="j")["JobRunId"]
    assert _wait(glue, "j", run_id)["JobRunState"] == "SUCCEEDED"
    assert [r["Id"] for r in glue.get_job_runs(JobName="j")["JobRuns"]][0] == run_id


def test_a_module_missing_from_extra_py_files_fails_the_run_as_on_glue(glue, clients):
    _upload(clients, "code/job.py", b"from glue_scripts.lib.nope import x\ndef main(argv): x()\n")
    library = build_artefacts({}).library
    zip_uri = _upload(clients, "code/lib.zip", library.body)
    glue.create_job(
        Name="j", Role=ROLE, Command=COMMAND, DefaultArguments={"--extra-py-files": zip_uri}
    )
    run = _wait(glue, "j", glue.start_job_run(JobName="j")["JobRunId"])
    assert run["JobRunState"] == "FAILED"
    assert run["ErrorMessage"].startswith(
        "ModuleNotFoundError: No module named 'glue_scripts.lib.nope'"
    )


def test_the_concurrency_limit_of_a_job_is_enforced(glue, clients):
    script = b"import time\ndef main(argv):\n    for _ in range(600):\n        time.sleep(0.05)\n"
    _upload(clients, "code/job.py", script)
    glue.create_job(Name="j", Role=ROLE, Command=COMMAND)  # MaxConcurrentRuns 1
    first = glue.start_job_run(JobName="j")["JobRunId"]
    assert _code(glue.start_job_run, JobName="j") == "ConcurrentRunsExceededException"
    assert glue.batch_stop_job_run(JobName="j", JobRunIds=[first])["SuccessfulSubmissions"]
    assert _wait(glue, "j", first)["JobRunState"] == "STOPPED"


def test_storage_arguments_are_mirrored_both_ways(glue, clients):
    s3 = clients["s3"]
    _upload(clients, "lake/landing/in.txt", b"hello")
    _upload(
        clients,
        "code/job.py",
        b"from pathlib import Path\n"
        b"def main(argv):\n"
        b"    a = dict(zip(argv[::2], argv[1::2]))\n"
        b"    root = Path(a['--lakehouse_root'].removeprefix('file://'))\n"
        b"    text = (root / 'landing' / 'in.txt').read_text()\n"
        b"    (root / 'out').mkdir()\n"
        b"    (root / 'out' / 'copy.txt').write_text(text.upper())\n"
        b"    (root / 'out' / '.copy.txt.crc').write_text('spark checksum')\n"
        b"    (root / 'landing' / 'in.txt').unlink()\n",
    )
    glue.create_job(Name="j", Role=ROLE, Command=COMMAND)
    run_id = glue.start_job_run(JobName="j", Arguments={"--lakehouse_root": f"s3://{BUCKET}/lake"})
    assert _wait(glue, "j", run_id["JobRunId"])["JobRunState"] == "SUCCEEDED"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="lake/")["Contents"]]
    # What the run wrote is on S3, what it deleted is gone, hidden files stay local.
    assert keys == ["lake/out/copy.txt"]
    assert s3.get_object(Bucket=BUCKET, Key="lake/out/copy.txt")["Body"].read() == b"HELLO"


def test_check_imports_follows_the_zip_transitively(tmp_path):
    archive = tmp_path / "lib.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("glue_scripts/__init__.py", "")
        handle.writestr("glue_scripts/lib/__init__.py", "")
        handle.writestr("glue_scripts/lib/a.py", "from glue_scripts.lib.b import f\n")
    script = "from glue_scripts.lib import a\nfrom glue_scripts.lib.a import f\n"
    assert check_imports(script, [archive]) == ["glue_scripts.lib.b"]
    assert check_imports("import os\n", []) == []
