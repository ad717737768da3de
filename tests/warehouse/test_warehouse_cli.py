"""`lakehouse warehouse query|external-schemas`."""

from __future__ import annotations

from lakehouse_assets.cli import main
from lakehouse_assets.registry import registry
from lakehouse_assets.warehouse.lake import LakeSnapshot
from lakehouse_assets.warehouse.postgres import PostgresWarehouse
from tests.warehouse.conftest import COPY_ROLE, VENDA, VENDA_ROWS


def test_query_prints_csv_with_a_header(warehouse_uri, lake, commit_table, monkeypatch, capsys):
    commit_table(VENDA, VENDA_ROWS)
    PostgresWarehouse(warehouse_uri).load(LakeSnapshot.current(str(lake["root"]), VENDA))
    monkeypatch.setenv("LAKEHOUSE_WAREHOUSE_URI", warehouse_uri)
    monkeypatch.setenv("LAKEHOUSE_TARGET", "local")

    code = main(["warehouse", "query", "SELECT * FROM bix_silver.venda ORDER BY id_venda"])

    assert code == 0
    assert capsys.readouterr().out == (
        "id_venda,id_funcionario,id_categoria,data_venda,venda\n"
        "1,3,2,2017-01-05,120.5\n"
        "2,1,8,2019-07-14,917025.0\n"
        "3,9,1,,\n"
    )


def test_query_on_the_aws_target_goes_through_the_data_api(aws_env, capsys):
    code = main(["warehouse", "query", "SELECT 1 AS um, 'dois' AS dois"])

    assert code == 0
    assert capsys.readouterr().out == "um,dois\n1,dois\n"


def test_a_failing_query_says_why(warehouse_uri, monkeypatch, capsys):
    monkeypatch.setenv("LAKEHOUSE_WAREHOUSE_URI", warehouse_uri)
    monkeypatch.setenv("LAKEHOUSE_TARGET", "local")

    assert main(["warehouse", "query", "SELECT * FROM nao_existe"]) == 1
    assert 'relation "nao_existe" does not exist' in capsys.readouterr().err


def test_external_schemas_one_per_glue_database_not_applied_locally(monkeypatch, capsys):
    monkeypatch.setenv("LAKEHOUSE_TARGET", "local")
    databases = sorted({t.database for t in registry().tables.values()})

    code = main(["warehouse", "external-schemas", "--apply"])

    out = capsys.readouterr()
    assert code == 2
    assert out.out.splitlines() == [
        f'CREATE EXTERNAL SCHEMA IF NOT EXISTS "{db}_lake" FROM DATA CATALOG DATABASE '
        f"'{db}' IAM_ROLE 'arn:aws:iam::<account>:role/<redshift copy role>';"
        for db in databases
    ]
    assert "exist only on Redshift" in out.err


def test_external_schemas_name_the_copy_role_on_aws(aws_env, capsys):
    assert main(["warehouse", "external-schemas"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.endswith(f"IAM_ROLE '{COPY_ROLE}';")


def test_the_deploy_policy_covers_the_warehouse(aws_env, monkeypatch):
    from deploy.policy import render_policies
    from lakehouse_assets.aws_settings import AwsSettings

    monkeypatch.setenv("LAKEHOUSE_GLUE_ROLE_ARN", "arn:aws:iam::123456789012:role/lakehouse-glue")
    text = render_policies(AwsSettings.from_env(), registry(), "123456789012", "eu-west-1")

    assert "# Dagster process, warehouse loads (redshift workgroup bix-workgroup database " in text
    for action in (
        "redshift-data:BatchExecuteStatement",
        "redshift-data:DescribeStatement",
        "redshift-data:GetStatementResult",
        "redshift-serverless:GetCredentials",
        '"Resource": "arn:aws:s3:::acme-lake/prod/_warehouse/*"',
        f"# Redshift COPY role {COPY_ROLE}",
        '"Service": "redshift.amazonaws.com"',
    ):
        assert action in text
    assert "iam:PassRole" not in text.split("# Dagster process, warehouse loads")[1]
