"""The ImportAu graph through Dagster, `PipesGlueClient` and the Glue stand-in over HTTP."""

from __future__ import annotations

import pytest
from dagster import instance_for_test

from glue_scripts.lib.tables import TableStore
from lakehouse_assets.aws_settings import AwsSettings
from lakehouse_assets.registry import registry
from lakehouse_assets.resources.glue_launcher import GlueLauncher
from lakehouse_assets.resources.launcher import LocalSparkLauncher
from lakehouse_assets.settings import Settings
from tests.aws_glue.conftest import BUCKET, PII_SECRET, PREFIX, REGION, ROOT, reset
from tests.aws_glue.helpers import deploy, pipes_objects, upload_landing
from tests.e2e.helpers import checks, domain_keys, materializations, run_graph

pytestmark = pytest.mark.e2e
FACT = "importau/silver/fato_pedido_correlacionado"


@pytest.fixture(scope="module")
def deployed(standin, aws_env, clients, real_exports):
    reset(standin.url)
    clients["secretsmanager"].create_secret(Name=PII_SECRET, SecretString="k" * 64)
    deploy()
    upload_landing(clients["s3"], real_exports, BUCKET, f"{PREFIX}/landing")
    return clients


@pytest.fixture
def glue_launcher(deployed) -> GlueLauncher:
    """The launcher `LAKEHOUSE_TARGET=aws` builds, from the environment alone."""
    return GlueLauncher.from_settings(Settings.from_env(), AwsSettings.from_env())


@pytest.fixture
def instance():
    with instance_for_test() as instance:
        yield instance


def test_graph_runs_every_job_on_glue_with_local_metadata_and_run_ids(
    glue_launcher, launcher, real_exports, deployed, instance, standin
):
    assert glue_launcher.lakehouse_root == ROOT
    assert glue_launcher.landing == f"{ROOT}/landing"
    result = run_graph(glue_launcher, instance)
    assert result.success
    published = materializations(result)
    assert set(published) == set(domain_keys("importau"))

    glue = deployed["glue"]
    for key, materialization in published.items():
        metadata = materialization.metadata
        run_id = metadata["lakehouse/glue_run_id"].value
        job = metadata["AWS Glue Job Name"].value
        run = glue.get_job_run(JobName=job, RunId=run_id)["JobRun"]
        assert run["JobRunState"] == "SUCCEEDED", key
        assert metadata["AWS Glue Job Run ID"].value == run_id
        assert metadata["AWS Glue Job Run URL"].value.startswith(
            f"https://{REGION}.console.aws.amazon.com/gluestudio/home?region={REGION}#/job/{job}"
        )
        assert metadata["lakehouse/dpu_seconds"].value == run["ExecutionTime"] * 2.0
        for name in ("dagster/row_count", "dagster/column_schema", "dagster/uri"):
            assert name in metadata, (key, name)
    assert published[FACT].metadata["dagster/row_count"].value == 41
    assert published[FACT].metadata["lakehouse/inputs_read"].data.keys() == set(
        registry().tables["importau_silver.fato_pedido_correlacionado"].upstream
    )
    assert published["importau/bronze/pedidos"].partition == "20241120"

    # The stand-in runs each job on a local mirror of S3 (local Spark cannot reach s3://), so
    # its jobs commit to the Iceberg catalog of a local root, the mirror's, which the run
    # pushes to the endpoint's S3 with the data; on AWS the same commit goes to the Glue
    # catalog (tests/aws_glue/test_s3_storage.py commits there through the endpoint).
    mirrored = standin.workdir / "s3" / BUCKET / PREFIX
    store = TableStore(str(mirrored), "importau_silver", "fato_pedido_correlacionado")
    assert store.require_current().rows == 41
    s3 = deployed["s3"]
    catalog = s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{PREFIX}/_catalog/")["Contents"]
    assert [o["Key"] for o in catalog] == [f"{PREFIX}/_catalog/iceberg.db"]
    assert pipes_objects(deployed["s3"], BUCKET, PREFIX) == []
    evaluations = checks(result)
    assert {k for k, e in evaluations.items() if not e.passed} == {
        f"{FACT}:total_pedido_confere_itens"
    }


def test_bronze_metadata_is_the_local_metadata_plus_glue_run_details(
    glue_launcher, launcher, real_exports, deployed
):
    """The same job on both targets reports the same metadata keys; AWS adds Glue's."""
    local = LocalSparkLauncher(**{**launcher.model_dump(), "landing": str(real_exports)})
    bronze = ["importau/bronze/pedidos", "importau/bronze/cambio"]
    with instance_for_test() as one, instance_for_test() as other:
        on_aws = materializations(run_graph(glue_launcher, one, selection=bronze))
        on_laptop = materializations(run_graph(local, other, selection=bronze))
    assert set(on_aws) == set(on_laptop) == set(bronze)
    for key in bronze:
        aws_keys, local_keys = set(on_aws[key].metadata), set(on_laptop[key].metadata)
        assert aws_keys == local_keys | {"AWS Glue Job Run URL", "lakehouse/dpu_seconds"}
        assert {"AWS Glue Job Run ID", "lakehouse/glue_run_id"} <= aws_keys
        for name in ("dagster/row_count", "lakehouse/quarantined_rows"):
            assert on_aws[key].metadata[name] == on_laptop[key].metadata[name], (key, name)
