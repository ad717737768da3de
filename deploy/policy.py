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
        {
            # The Glue Data Catalog is the Iceberg catalog each job commits its tables to
            # (docs/TABLES.md); a commit creates the table and its database on first use.
            "Sid": "CommitIcebergTables",
            "Effect": "Allow",
            "Action": [
                "glue:GetDatabase",
                "glue:CreateDatabase",
                "glue:GetTable",
                "glue:CreateTable",
                "glue:UpdateTable",
            ],
            "Resource": [
                f"arn:aws:glue:{region}:{account}:catalog",
                f"arn:aws:glue:{region}:{account}:database/*",
                f"arn:aws:glue:{region}:{account}:table/*/*",
            ],
        },
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
    if settings.connections_secret:
        # The bronze jobs read the sources' connection settings (docs/SOURCES.md).
        statements.append(
            {
                "Sid": "ReadSourceConnections",
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": (
                    f"arn:aws:secretsmanager:{region}:{account}:secret:"
                    f"{settings.connections_secret}-*"
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


def warehouse_loader_policy(
    settings: AwsSettings, target: Any, account: str, region: str
) -> dict[str, Any]:
    """What the Dagster process needs to load Redshift through the Data API.

    No iam:PassRole: COPY names a role already associated with the namespace or cluster,
    which Redshift assumes itself.
    """
    if target.workgroup:
        credentials = {
            "Sid": "RedshiftServerlessCredentials",
            "Effect": "Allow",
            "Action": "redshift-serverless:GetCredentials",
            # Workgroup ARNs carry an id, not the name: narrow by the name tag if wanted.
            "Resource": f"arn:aws:redshift-serverless:{region}:{account}:workgroup/*",
        }
        statement_target = f"arn:aws:redshift-serverless:{region}:{account}:workgroup/*"
    else:
        cluster = f"arn:aws:redshift:{region}:{account}"
        credentials = {
            "Sid": "RedshiftClusterCredentials",
            "Effect": "Allow",
            "Action": "redshift:GetClusterCredentials",
            "Resource": [
                f"{cluster}:dbuser:{target.cluster}/{target.db_user or '*'}",
                f"{cluster}:dbname:{target.cluster}/{target.database}",
            ],
        }
        statement_target = f"{cluster}:cluster:{target.cluster}"
    statements: list[dict[str, Any]] = [
        {
            "Sid": "RunWarehouseStatements",
            "Effect": "Allow",
            "Action": ["redshift-data:ExecuteStatement", "redshift-data:BatchExecuteStatement"],
            "Resource": statement_target,
        },
        {
            # Statement ids are not resources; the condition keeps callers to their own.
            "Sid": "FollowOwnStatements",
            "Effect": "Allow",
            "Action": [
                "redshift-data:DescribeStatement",
                "redshift-data:GetStatementResult",
                "redshift-data:CancelStatement",
            ],
            "Resource": "*",
            "Condition": {
                "StringEquals": {"redshift-data:statement-owner-iam-userid": "${aws:userid}"}
            },
        },
    ]
    if target.secret_arn:
        statements.append(
            {
                "Sid": "ReadRedshiftSecret",
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": target.secret_arn,
            }
        )
    else:
        statements.append(credentials)
    statements += [
        {
            "Sid": "WriteCopyManifests",
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:GetObject"],
            "Resource": _s3_objects(settings.bucket, settings.key("_warehouse")),
        },
        _list(settings.bucket, settings.prefix, "ListLakeDataToCopy"),
    ]
    return {"Version": VERSION, "Statement": statements}


def copy_role_policy(
    settings: AwsSettings, databases: list[str], account: str, region: str
) -> dict[str, Any]:
    """The role Redshift assumes for COPY (read the lake) and external schemas (the catalog)."""
    catalog = f"arn:aws:glue:{region}:{account}"
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "ReadLakeData",
                "Effect": "Allow",
                "Action": ["s3:GetObject"],
                "Resource": _s3_objects(settings.bucket, settings.prefix),
            },
            _list(settings.bucket, settings.prefix, "ListLakeData"),
            {
                "Sid": "ReadGlueCatalogForSpectrum",
                "Effect": "Allow",
                "Action": [
                    "glue:GetDatabase",
                    "glue:GetDatabases",
                    "glue:GetTable",
                    "glue:GetTables",
                    "glue:GetPartition",
                    "glue:GetPartitions",
                    "glue:BatchGetPartition",
                ],
                "Resource": [f"{catalog}:catalog"]
                + [f"{catalog}:database/{db}" for db in databases]
                + [f"{catalog}:table/{db}/*" for db in databases],
            },
        ],
    }


def copy_role_trust_policy(account: str) -> dict[str, Any]:
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "redshift.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
            }
        ],
    }


def warehouse_sections(
    settings: AwsSettings, databases: list[str], account: str, region: str, env: Any = None
) -> list[tuple[str, dict[str, Any]]]:
    """The warehouse's policies, when LAKEHOUSE_REDSHIFT_WORKGROUP or _CLUSTER is set."""
    import os

    from lakehouse_assets.warehouse.config import redshift_target

    env = os.environ if env is None else env
    if not (env.get("LAKEHOUSE_REDSHIFT_WORKGROUP") or env.get("LAKEHOUSE_REDSHIFT_CLUSTER")):
        return []
    target = redshift_target(env)
    role = target.copy_role_arn or "LAKEHOUSE_REDSHIFT_COPY_ROLE_ARN"
    return [
        (
            f"Dagster process, warehouse loads ({target.label})",
            warehouse_loader_policy(settings, target, account, region),
        ),
        (
            f"Redshift COPY role {role} (associate it with the namespace or cluster): "
            "permissions policy",
            copy_role_policy(settings, databases, account, region),
        ),
        ("Redshift COPY role: trust policy", copy_role_trust_policy(account)),
    ]


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
        *warehouse_sections(settings, databases, account, region),
    ]
    return "\n\n".join(f"# {title}\n{json.dumps(doc, indent=2)}" for title, doc in sections)
