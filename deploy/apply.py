"""Make AWS match a plan, in dependency order: bucket, code, databases, jobs, tags, deletions.

Only what the plan lists is written; running apply again right after finds nothing to do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from deploy.desired import DesiredState, bucket_configuration, pipes_lifecycle_rule
from deploy.plan import CREATE, DELETE, UPDATE, Change, DeployError, Plan

ORDER = ("bucket", "object", "database", "job", "tags")


def _create_bucket(desired: DesiredState, s3: Any) -> None:
    bucket, region = desired.settings.bucket, s3.meta.region_name
    config = bucket_configuration()
    create: dict[str, Any] = {"Bucket": bucket}
    if region != "us-east-1":  # S3's quirk: us-east-1 refuses its own LocationConstraint
        create["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**create)
    s3.put_public_access_block(
        Bucket=bucket, PublicAccessBlockConfiguration=config["PublicAccessBlock"]
    )
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=config["Encryption"])
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration=config["Versioning"])
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket,
        LifecycleConfiguration={"Rules": [pipes_lifecycle_rule(desired.settings)]},
    )


def _apply_one(change: Change, desired: DesiredState, clients: Callable[[str], Any]) -> None:
    s3, glue = clients("s3"), clients("glue")
    if change.kind == "bucket":
        _create_bucket(desired, s3)
    elif change.kind == "object":
        key, body = change.payload
        s3.put_object(Bucket=desired.settings.bucket, Key=key, Body=body)
    elif change.kind == "database":
        glue.create_database(DatabaseInput=change.payload)
    elif change.kind == "job" and change.action == CREATE:
        job = change.payload
        glue.create_job(Name=job.name, Tags=job.tags, **job.definition)
    elif change.kind == "job" and change.action == UPDATE:
        job = change.payload
        glue.update_job(JobName=job.name, JobUpdate=job.definition)
    elif change.kind == "job" and change.action == DELETE:
        glue.delete_job(JobName=change.name)
    elif change.kind == "tags":
        arn, add, remove = change.payload
        if add:
            glue.tag_resource(ResourceArn=arn, TagsToAdd=add)
        if remove:
            glue.untag_resource(ResourceArn=arn, TagsToRemove=remove)
    else:
        raise DeployError(f"no way to apply {change.action} {change.kind} {change.name}")


def apply_plan(
    plan: Plan,
    desired: DesiredState,
    clients: Callable[[str], Any],
    progress: Callable[[str], None] = print,
) -> int:
    """Apply every change of `plan`; returns how many were made. Stops at the first error."""
    changes = sorted(plan.changes, key=lambda c: (c.action == DELETE, ORDER.index(c.kind), c.name))
    for done, change in enumerate(changes):
        try:
            _apply_one(change, desired, clients)
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code", "")
            raise DeployError(
                f"{change.action} {change.kind} {change.name} failed ({code}: {err}); "
                f"{done} of {len(changes)} changes were made. Fix the cause and run "
                "`lakehouse deploy apply` again: it continues where this one stopped"
            ) from err
        progress(f"  {change.action}d {change.kind} {change.name}")
    return len(changes)
