"""Least-privilege IAM policies: the Glue jobs' role, the Dagster process, the deployer.

The role is created outside this project (whoever runs it may not create roles); these are
the documents to attach. Resources are narrowed to the bucket, the prefix, the jobs of the
registry, the account's Glue log groups and the PII key's secret.
"""

from __future__ import annotations

import json
from typing import Any

from lakehouse_assets.aws_settings import AwsSettings

VERSION = "2012-10-17"


def _s3_objects(bucket: str, prefix: str) -> str:
    return f"arn:aws:s3:::{bucket}/{prefix}/*" if prefix else f"arn:aws:s3:::{bucket}/*"


def _list(bucket: str, prefix: str, sid: str) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
        "Resource": f"arn:aws:s3:::{bucket}",
    }
    if prefix:
        statement["Condition"] = {"StringLike": {"s3:prefix": [prefix, f"{prefix}/*"]}}
    return statement


def _split(uri: str) -> tuple[str, str]:
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    return bucket, prefix.strip("/")


def job_role_policy(settings: AwsSettings, account: str, region: str) -> dict[str, Any]:
    """What the Glue jobs' role needs: its code, the lakehouse data, logs and metrics."""
    bucket, prefix = settings.bucket, settings.prefix
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ReadWriteLakehouseData",
            "Effect": "Allow",
            "Action": [
                "s3:GetObject",
                "s3:PutObject",
                "s3:DeleteObject",
                "s3:AbortMultipartUpload",
                "s3:ListMultipartUploadParts",
            ],
            "Resource": _s3_objects(bucket, prefix),
        },
        {
            # Jobs must not be able to change the code they (or other jobs) run.
            "Sid": "DeployedCodeIsReadOnly",
            "Effect": "Deny",
            "Action": ["s3:PutObject", "s3:DeleteObject"],
            "Resource": f"arn:aws:s3:::{bucket}/{settings.deploy_prefix}/*",
        },
        _list(bucket, prefix, "ListLakehouse"),
    ]
    landing_bucket, landing_prefix = _split(settings.landing_uri)
    root_objects = _s3_objects(bucket, prefix)[:-1]
    if not _s3_objects(landing_bucket, landing_prefix).startswith(root_objects):
        statements += [
            {
                "Sid": "ReadLanding",
                "Effect": "Allow",
                "Action": ["s3:GetObject"],
                "Resource": _s3_objects(landing_bucket, landing_prefix),
            },
            _list(landing_bucket, landing_prefix, "ListLanding"),
        ]
    statements += [
        {
            "Sid": "GlueJobLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"arn:aws:logs:{region}:{account}:log-group:/aws-glue/*",
        },
        {
            "Sid": "GlueJobMetrics",
            "Effect": "Allow",
            "Action": "cloudwatch:PutMetricData",
            "Resource": "*",
            "Condition": {"StringEquals": {"cloudwatch:namespace": "Glue"}},
        },
    ]
    if settings.pii_hash_key_secret:
        statements.append(
            {
                "Sid": "ReadPiiHashKey",
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": (
                    f"arn:aws:secretsmanager:{region}:{account}:secret:"
                    f"{settings.pii_hash_key_secret}-*"
                ),
            }
        )
    return {"Version": VERSION, "Statement": statements}


def job_role_trust_policy(account: str) -> dict[str, Any]:
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "glue.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
            }
        ],
    }


def _job_arns(jobs: list[str], account: str, region: str) -> list[str]:
    return [f"arn:aws:glue:{region}:{account}:job/{name}" for name in sorted(jobs)]


def launcher_policy(
    settings: AwsSettings, jobs: list[str], account: str, region: str
) -> dict[str, Any]:
    """What the Dagster process needs to run the jobs through Pipes and read their logs."""
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "RunGlueJobs",
                "Effect": "Allow",
                "Action": [
                    "glue:StartJobRun",
                    "glue:GetJobRun",
                    "glue:GetJobRuns",
                    "glue:BatchStopJobRun",
                ],
                "Resource": _job_arns(jobs, account, region),
            },
            {
                "Sid": "PipesObjects",
                "Effect": "Allow",
                "Action": ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
                "Resource": f"arn:aws:s3:::{settings.bucket}/{settings.pipes_prefix}/*",
            },
            _list(settings.bucket, settings.pipes_prefix, "ListPipesObjects"),
            {
                "Sid": "ReadGlueJobLogs",
                "Effect": "Allow",
                "Action": ["logs:DescribeLogStreams", "logs:GetLogEvents"],
                "Resource": [
                    f"arn:aws:logs:{region}:{account}:log-group:/aws-glue/jobs/*",
                    f"arn:aws:logs:{region}:{account}:log-group:/aws-glue/jobs/*:log-stream:*",
                ],
            },
        ],
    }


def deployer_policy(
    settings: AwsSettings, jobs: list[str], databases: list[str], account: str, region: str
) -> dict[str, Any]:
    """What `lakehouse deploy apply` needs."""
    bucket = settings.bucket
    catalog = f"arn:aws:glue:{region}:{account}"
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "Bucket",
                "Effect": "Allow",
                "Action": [
                    "s3:CreateBucket",
                    "s3:ListBucket",
                    "s3:GetBucketVersioning",
                    "s3:PutBucketVersioning",
                    "s3:GetEncryptionConfiguration",
                    "s3:PutEncryptionConfiguration",
                    "s3:GetBucketPublicAccessBlock",
                    "s3:PutBucketPublicAccessBlock",
                    "s3:PutLifecycleConfiguration",
                ],
                "Resource": f"arn:aws:s3:::{bucket}",
            },
            {
                "Sid": "UploadCode",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject"],
                "Resource": f"arn:aws:s3:::{bucket}/{settings.deploy_prefix}/*",
            },
            {
                "Sid": "ManageJobs",
                "Effect": "Allow",
                "Action": [
                    "glue:CreateJob",
                    "glue:UpdateJob",
                    "glue:GetJob",
                    "glue:DeleteJob",
                    "glue:GetTags",
                    "glue:TagResource",
                    "glue:UntagResource",
                ],
                "Resource": f"{catalog}:job/*",
            },
            {"Sid": "ListJobs", "Effect": "Allow", "Action": "glue:GetJobs", "Resource": "*"},
            {
                "Sid": "Databases",
                "Effect": "Allow",
                "Action": ["glue:GetDatabase", "glue:CreateDatabase"],
                "Resource": [f"{catalog}:catalog"]
                + [f"{catalog}:database/{name}" for name in sorted(databases)],
            },
            {
                "Sid": "PassTheJobRole",
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": settings.require_role(),
                "Condition": {"StringEquals": {"iam:PassedToService": "glue.amazonaws.com"}},
            },
        ],
    }


def render_policies(settings: AwsSettings, registry: Any, account: str, region: str) -> str:
    jobs = sorted(registry.jobs)
    databases = sorted({t.database for t in registry.tables.values()})
    sections = [
        (
            f"Glue job role {settings.require_role()}: permissions policy",
            job_role_policy(settings, account, region),
        ),
        ("Glue job role: trust policy", job_role_trust_policy(account)),
        (
            "Dagster process (runs the jobs through Pipes; the catalog export needs its own)",
            launcher_policy(settings, jobs, account, region),
        ),
        (
            "Deployer (`lakehouse deploy apply`)",
            deployer_policy(settings, jobs, databases, account, region),
        ),
    ]
    return "\n\n".join(f"# {title}\n{json.dumps(doc, indent=2)}" for title, doc in sections)
