"""Read what AWS holds and compare it with the desired state: a plan changes nothing.

Every read is a Get/Head/List call. An existing bucket is never modified (it may be managed
elsewhere); where it lacks versioning, encryption or a public access block the plan warns.
Jobs are compared on the fields the deploy sets, tags on the keys it sets.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from deploy.desired import MANAGED_BY, MANAGED_BY_TAG, DesiredState, bucket_configuration

CREATE, UPDATE, DELETE = "create", "update", "delete"
_SYMBOL = {CREATE: "+", UPDATE: "~", DELETE: "-"}


class DeployError(RuntimeError):
    """AWS refused a read or a write the deploy needs; the message says which and why."""


@dataclass(frozen=True)
class Change:
    kind: str  # bucket | object | database | job | tags
    action: str  # create | update | delete
    name: str
    details: tuple[str, ...] = ()
    payload: Any = field(default=None, compare=False, repr=False)

    def render(self) -> list[str]:
        lines = [f"  {_SYMBOL[self.action]} {self.kind} {self.name}"]
        return lines + [f"      {d}" for d in self.details]


@dataclass
class Plan:
    target: str
    changes: list[Change] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    def count(self, action: str) -> int:
        return sum(c.action == action for c in self.changes)

    def render(self) -> str:
        lines = [f"deploy plan for {self.target}"]
        for change in self.changes:
            lines.extend(change.render())
        if not self.changes:
            lines.append("  no changes: AWS matches the code and the configuration")
        lines.extend(f"  note: {n}" for n in self.notes)
        lines.extend(f"  warning: {w}" for w in self.warnings)
        lines.append(
            f"plan: {self.count(CREATE)} to create, {self.count(UPDATE)} to update, "
            f"{self.count(DELETE)} to delete"
        )
        return "\n".join(lines)


def _code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def _call(what: str, fn: Callable[..., Any], **kwargs: Any) -> Any:
    try:
        return fn(**kwargs)
    except ClientError as err:
        raise DeployError(f"{what}: {_code(err)}: {err}") from err


def _short(value: Any, limit: int = 90) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def differences(desired: Mapping[str, Any], actual: Mapping[str, Any], path: str = "") -> list:
    """`Field: old -> new` lines for each field of `desired` that `actual` does not match.

    Dictionaries of arguments are compared key by key, both ways (an argument added by hand
    is a difference); fields Glue adds on read are ignored.
    """
    lines = []
    for key, want in desired.items():
        name = f"{path}{key}"
        have = actual.get(key)
        if isinstance(want, Mapping) and isinstance(have, Mapping):
            if key.endswith("Arguments"):
                for extra in sorted(set(have) - set(want)):
                    lines.append(f"{name}.{extra}: {_short(have[extra])} -> (removed)")
            lines.extend(differences(want, have, f"{name}."))
        elif want != have:
            lines.append(f"{name}: {_short(have) if key in actual else '(none)'} -> {_short(want)}")
    return lines


def _bucket_changes(desired: DesiredState, s3: Any, plan: Plan) -> bool:
    bucket = desired.settings.bucket
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as err:
        if _code(err) in ("404", "NoSuchBucket", "NotFound"):
            plan.changes.append(
                Change(
                    "bucket",
                    CREATE,
                    bucket,
                    (
                        "versioning Enabled, default encryption SSE-S3 (AES256)",
                        "all public access blocked",
                        f"Pipes objects under {desired.settings.pipes_prefix}/ expire after 7 days",
                    ),
                )
            )
            return False
        raise DeployError(
            f"bucket {bucket} exists but these credentials cannot use it ({_code(err)}): "
            "bucket names are global; pick another LAKEHOUSE_BUCKET or get access"
        ) from err
    wanted = bucket_configuration()
    versioning = _call("GetBucketVersioning", s3.get_bucket_versioning, Bucket=bucket)
    if versioning.get("Status") != "Enabled":
        plan.warnings.append(
            f"bucket {bucket} has no versioning: an overwritten or deleted object cannot be "
            "recovered (the deploy leaves existing buckets as they are)"
        )
    try:
        s3.get_bucket_encryption(Bucket=bucket)
    except ClientError:
        plan.warnings.append(f"bucket {bucket} has no default encryption")
    try:
        block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    except ClientError:
        block = {}
    if any(not block.get(k) for k in wanted["PublicAccessBlock"]):
        plan.warnings.append(f"bucket {bucket} does not block all public access")
    return True


def _object_changes(desired: DesiredState, s3: Any, bucket_exists: bool, plan: Plan) -> None:
    for artefact in desired.artefacts.all():
        key = desired.key(artefact.relative_key)
        if bucket_exists:
            try:
                s3.head_object(Bucket=desired.settings.bucket, Key=key)
                continue  # content-addressed: present means identical
            except ClientError as err:
                if _code(err) not in ("404", "NoSuchKey", "NotFound"):
                    raise DeployError(f"HeadObject {key}: {_code(err)}") from err
        plan.changes.append(
            Change(
                "object",
                CREATE,
                f"s3://{desired.settings.bucket}/{key}",
                (f"{len(artefact.body):,} bytes",),
                payload=(key, artefact.body),
            )
        )


def _database_changes(desired: DesiredState, glue: Any, plan: Plan) -> None:
    for database in desired.databases:
        try:
            glue.get_database(Name=database["Name"])
        except ClientError as err:
            if _code(err) != "EntityNotFoundException":
                raise DeployError(f"GetDatabase {database['Name']}: {_code(err)}") from err
            plan.changes.append(Change("database", CREATE, database["Name"], (), payload=database))


def _job_changes(desired: DesiredState, glue: Any, arn: Callable[[str], str], plan: Plan) -> None:
    for name, job in desired.jobs.items():
        try:
            actual = glue.get_job(JobName=name)["Job"]
        except ClientError as err:
            if _code(err) != "EntityNotFoundException":
                raise DeployError(f"GetJob {name}: {_code(err)}: {err}") from err
            definition = job.definition
            summary = (
                f"{definition['Command']['Name']}, Glue {definition['GlueVersion']}, "
                f"{definition['WorkerType']} x {definition['NumberOfWorkers']}, "
                f"timeout {definition['Timeout']} min",
                f"script {definition['Command']['ScriptLocation']}",
            )
            plan.changes.append(Change("job", CREATE, name, summary, payload=job))
            continue
        lines = differences(job.definition, actual)
        if lines:
            plan.changes.append(Change("job", UPDATE, name, tuple(lines), payload=job))
        tags = _call("GetTags", glue.get_tags, ResourceArn=arn(name)).get("Tags", {})
        add = {k: v for k, v in job.tags.items() if tags.get(k) != v}
        remove = sorted(k for k in tags if k.startswith("lakehouse:") and k not in job.tags)
        if add or remove:
            details = tuple(f"{k}: {tags.get(k, '(none)')} -> {v}" for k, v in add.items())
            details += tuple(f"{k}: {tags[k]} -> (removed)" for k in remove)
            plan.changes.append(
                Change("tags", UPDATE, name, details, payload=(arn(name), add, remove))
            )


def _orphans(desired: DesiredState, glue: Any, arn: Callable[[str], str], prune: bool, plan):
    names = []
    for page in glue.get_paginator("get_jobs").paginate():
        names.extend(j["Name"] for j in page.get("Jobs", []) if j["Name"] not in desired.jobs)
    for name in sorted(names):
        tags = _call("GetTags", glue.get_tags, ResourceArn=arn(name)).get("Tags", {})
        if tags.get(MANAGED_BY_TAG) != MANAGED_BY:
            continue
        if prune:
            plan.changes.append(Change("job", DELETE, name, ("no JobSpec defines it any more",)))
        else:
            plan.warnings.append(
                f"job {name} was deployed by lakehouse but no JobSpec defines it; "
                "`lakehouse deploy apply --prune` deletes it"
            )


def build_plan(desired: DesiredState, clients: Callable[[str], Any], prune: bool = False) -> Plan:
    """Args:
    desired: from `deploy.desired.desired_state`.
    clients: service name -> boto3 client.
    prune: plan the deletion of jobs this deploy created that no spec defines any more.
    """
    settings = desired.settings
    s3, glue = clients("s3"), clients("glue")
    region = glue.meta.region_name
    account = _call("GetCallerIdentity", clients("sts").get_caller_identity)["Account"]
    endpoint = glue.meta.endpoint_url
    where = endpoint if "amazonaws.com" not in endpoint else f"account {account}"
    plan = Plan(f"{settings.root} ({region}, {where})", warnings=list(desired.warnings))

    def arn(job: str) -> str:
        return f"arn:aws:glue:{region}:{account}:job/{job}"

    bucket_exists = _bucket_changes(desired, s3, plan)
    _object_changes(desired, s3, bucket_exists, plan)
    _database_changes(desired, glue, plan)
    _job_changes(desired, glue, arn, plan)
    _orphans(desired, glue, arn, prune, plan)
    if settings.role_arn and settings.account_id != account:
        plan.warnings.append(
            f"LAKEHOUSE_GLUE_ROLE_ARN is in account {settings.account_id}, the credentials in "
            f"{account}: Glue needs a role of its own account"
        )
    plan.notes.append(
        f"jobs run as {settings.role_arn}; `lakehouse deploy policy` prints the policy it needs"
    )
    return plan
