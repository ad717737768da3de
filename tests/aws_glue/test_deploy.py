"""`lakehouse deploy plan|apply|policy` against the local endpoint, over real HTTP."""

from __future__ import annotations

import io
import json
import shutil
import zipfile

import pytest

from deploy.apply import apply_plan
from deploy.desired import desired_state
from deploy.package import SCRIPTS_DIR
from deploy.plan import CREATE, UPDATE, build_plan
from lakehouse_assets.aws_settings import AwsSettings, aws_client
from lakehouse_assets.cli.deploy import main
from lakehouse_assets.registry import registry
from tests.aws_glue.conftest import (
    BUCKET,
    CONNECTIONS_SECRET,
    PII_SECRET,
    PREFIX,
    ROLE,
    ROOT,
    reset,
)

JOBS = sorted(registry().jobs)
DATABASES = sorted({t.database for t in registry().tables.values()})


@pytest.fixture
def empty(standin, aws_env, clients):
    reset(standin.url)
    return clients


def _clients(service: str):
    return aws_client(service)


def test_plan_on_an_empty_account_lists_everything_and_changes_nothing(
    empty, capsys, monkeypatch, tmp_path
):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))  # a Dagster home without local runs
    assert main(["deploy", "plan", "--detailed-exitcode"]) == 2
    out = capsys.readouterr().out
    assert f"+ bucket {BUCKET}" in out
    assert out.count(f"+ object s3://{BUCKET}/{PREFIX}/_deploy/") == len(JOBS) + 1
    assert "/glue_scripts.zip" in out
    for name in DATABASES:
        assert f"+ database {name}" in out
    for name in JOBS:
        assert f"+ job {name}" in out
    assert "glueetl, Glue 5.0, G.1X x 2, timeout 60 min" in out
    assert f"plan: {1 + len(JOBS) + 1 + len(DATABASES) + len(JOBS)} to create" in out
    # The cost estimate follows the plan; no local run is recorded in this Dagster home.
    assert "estimated Glue cost per run" in out
    for name in JOBS:
        assert f"  {name}: 2 DPU, no local run recorded yet" in out
    # A plan only reads.
    assert empty["s3"].list_buckets()["Buckets"] == []
    assert empty["glue"].get_jobs()["Jobs"] == []
    assert empty["glue"].get_databases()["DatabaseList"] == []


def test_apply_creates_everything_and_a_second_apply_changes_nothing(empty, capsys):
    s3, glue = empty["s3"], empty["glue"]
    assert main(["deploy", "apply"]) == 0
    assert "apply complete" in capsys.readouterr().out

    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    rules = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    block = s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    (rule,) = s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]
    assert rule["Filter"]["Prefix"] == f"{PREFIX}/_pipes/"

    for name in JOBS:
        job = glue.get_job(JobName=name)["Job"]
        spec = registry().jobs[name]
        assert job["Command"]["Name"] == "glueetl" and job["Command"]["PythonVersion"] == "3"
        script = job["Command"]["ScriptLocation"]
        assert script.startswith(f"s3://{BUCKET}/{PREFIX}/_deploy/")
        assert script.endswith(spec.script)
        assert (job["GlueVersion"], job["WorkerType"], job["NumberOfWorkers"]) == ("5.0", "G.1X", 2)
        assert (job["Timeout"], job["MaxRetries"], job["Role"]) == (60, 0, ROLE)
        arguments = job["DefaultArguments"]
        assert arguments["--job-bookmark-option"] == "job-bookmark-disable"
        assert arguments["--enable-continuous-cloudwatch-log"] == "true"
        assert arguments["--enable-metrics"] == "true"
        assert arguments["--lakehouse_root"] == ROOT
        assert arguments["--pii_hash_key_secret"] == PII_SECRET
        assert arguments["--connections_secret"] == CONNECTIONS_SECRET
        modules = arguments["--additional-python-modules"].split(",")
        assert {
            "dagster-pipes==1.13.27",
            "adbc-driver-postgresql==1.13.0",
            "pyiceberg==0.12.0",
            "pyarrow==19.0.1",
        } <= set(modules)
        tags = glue.get_tags(ResourceArn=f"arn:aws:glue:eu-west-1:123456789012:job/{name}")
        assert tags["Tags"]["lakehouse:managed-by"] == "lakehouse-deploy"
    # The shared library is a zip that Glue puts on sys.path as the glue_scripts package.
    zip_uri = glue.get_job(JobName=JOBS[0])["Job"]["DefaultArguments"]["--extra-py-files"]
    body = s3.get_object(Bucket=BUCKET, Key=zip_uri.split(f"{BUCKET}/", 1)[1])["Body"].read()
    names = zipfile.ZipFile(io.BytesIO(body)).namelist()
    assert {"glue_scripts/__init__.py", "glue_scripts/lib/job.py"} <= set(names)
    # Of a domain's folder, only what its scripts import, never a script itself.
    domain = {n for n in names if n.startswith("glue_scripts/importau/")}
    assert domain == {"glue_scripts/importau/__init__.py", "glue_scripts/importau/fact_changes.py"}
    databases = {d["Name"]: d for d in glue.get_databases()["DatabaseList"]}
    assert sorted(databases) == DATABASES
    assert databases["importau_gold"]["LocationUri"] == f"{ROOT}/importau_gold"

    assert main(["deploy", "apply"]) == 0
    second = capsys.readouterr().out
    assert "no changes" in second and "apply complete" not in second
    assert main(["deploy", "plan", "--detailed-exitcode"]) == 0


def test_a_changed_script_changes_only_its_jobs_script_location(empty, tmp_path, capsys):
    assert main(["deploy", "apply"]) == 0
    scripts = tmp_path / "glue_scripts"
    shutil.copytree(SCRIPTS_DIR, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    silver = registry().jobs["importau_silver_fato_pedido_correlacionado"]
    with (scripts / silver.script).open("a", encoding="utf-8") as handle:
        handle.write("\n# a comment is a new version of the script\n")

    settings = AwsSettings.from_env()
    desired = desired_state(registry(), settings, scripts_dir=scripts)
    plan = build_plan(desired, _clients)
    summary = sorted((c.action, c.kind, c.name) for c in plan.changes)
    new_script = desired.uri(desired.artefacts.scripts[silver.name].relative_key)
    assert summary == [
        (CREATE, "object", new_script),
        (UPDATE, "job", silver.name),
    ]
    (job_change,) = [c for c in plan.changes if c.kind == "job"]
    assert len(job_change.details) == 1
    assert job_change.details[0].startswith("Command.ScriptLocation: ")
    assert job_change.details[0].endswith(f"-> {new_script!r}")

    apply_plan(plan, desired, _clients, progress=lambda _: None)
    job = empty["glue"].get_job(JobName=silver.name)["Job"]
    assert job["Command"]["ScriptLocation"] == new_script
    again = desired_state(registry(), settings, scripts_dir=scripts)
    assert not build_plan(again, _clients).changes
    assert again.artefacts.library == desired.artefacts.library


def test_worker_settings_update_the_jobs_in_place(empty, monkeypatch, capsys):
    assert main(["deploy", "apply"]) == 0
    monkeypatch.setenv("LAKEHOUSE_GLUE_WORKER_TYPE", "G.2X")
    monkeypatch.setenv("LAKEHOUSE_GLUE_WORKERS", "5")
    capsys.readouterr()
    assert main(["deploy", "plan", "--detailed-exitcode"]) == 2
    out = capsys.readouterr().out
    assert out.count("WorkerType: 'G.1X' -> 'G.2X'") == len(JOBS)
    assert f"plan: 0 to create, {len(JOBS)} to update" in out
    assert main(["deploy", "apply"]) == 0
    job = empty["glue"].get_job(JobName=JOBS[0])["Job"]
    assert (job["WorkerType"], job["NumberOfWorkers"], job["MaxCapacity"]) == ("G.2X", 5, 10.0)
    assert main(["deploy", "plan", "--detailed-exitcode"]) == 0


def test_policy_is_scoped_to_the_bucket_the_jobs_and_the_role(aws_env, capsys):
    assert main(["deploy", "policy"]) == 0
    documents = {}
    for section in capsys.readouterr().out.split("\n\n# "):
        title, _, body = section.lstrip("# ").partition("\n")
        documents[title] = json.loads(body)
    role, trust, launcher, deployer = documents.values()
    data = next(s for s in role["Statement"] if s["Sid"] == "ReadWriteLakehouseData")
    assert data["Resource"] == f"arn:aws:s3:::{BUCKET}/{PREFIX}/*"
    deny = next(s for s in role["Statement"] if s["Effect"] == "Deny")
    assert deny["Resource"] == f"arn:aws:s3:::{BUCKET}/{PREFIX}/_deploy/*"
    assert trust["Statement"][0]["Principal"] == {"Service": "glue.amazonaws.com"}
    run = next(s for s in launcher["Statement"] if s["Sid"] == "RunGlueJobs")
    assert "glue:BatchStopJobRun" in run["Action"]
    assert run["Resource"] == [f"arn:aws:glue:eu-west-1:123456789012:job/{n}" for n in JOBS]
    passrole = next(s for s in deployer["Statement"] if s["Sid"] == "PassTheJobRole")
    assert passrole["Resource"] == ROLE
    connections = next(s for s in role["Statement"] if s["Sid"] == "ReadSourceConnections")
    assert connections["Resource"] == (
        f"arn:aws:secretsmanager:eu-west-1:123456789012:secret:{CONNECTIONS_SECRET}-*"
    )


def test_configuration_errors_say_what_to_set(aws_env, monkeypatch, capsys):
    monkeypatch.delenv("LAKEHOUSE_GLUE_ROLE_ARN")
    assert main(["deploy", "plan"]) == 1
    assert "LAKEHOUSE_GLUE_ROLE_ARN is not set" in capsys.readouterr().err
    monkeypatch.delenv("LAKEHOUSE_BUCKET")
    assert main(["deploy", "plan"]) == 1
    assert "the aws target needs LAKEHOUSE_BUCKET" in capsys.readouterr().err
