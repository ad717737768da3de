"""The AWS warehouse: Redshift (Serverless or provisioned) through the Redshift Data API.

A load is statements run by `BatchExecuteStatement`, which runs them as one transaction:
create the schema and the table if missing, `DELETE FROM` the table, `COPY` each partition
of the lake version, count. `COPY ... FORMAT AS PARQUET` matches columns by position and
needs the file's column count, so a partitioned table is copied partition by partition into
a temporary table of the file columns and inserted with its partition values as literals.
Each COPY reads a manifest that lists exactly the partition's files of the version, as
Iceberg's plan gives them (a data folder may also hold Spark's `_SUCCESS` and files no
committed version names, which COPY must not read).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lakehouse_assets.warehouse import sql
from lakehouse_assets.warehouse.errors import (
    WarehouseError,
    WarehouseSchemaError,
    WarehouseStatementError,
    WarehouseUnreachableError,
)
from lakehouse_assets.warehouse.lake import LakeSnapshot
from lakehouse_assets.warehouse.load import LoadResult

DIALECT = "redshift"
MAX_BATCH = 40  # Redshift Data API's limit of statements in one BatchExecuteStatement
DONE = ("FINISHED", "FAILED", "ABORTED")
STAGE = "lakehouse_stage"
LOADED = "lakehouse_loaded"
MANIFESTS = "_warehouse"


@dataclass(frozen=True)
class RedshiftTarget:
    """Where statements go; `workgroup` (Serverless) or `cluster` + `db_user` (provisioned)."""

    database: str
    copy_role_arn: str | None = None
    workgroup: str | None = None
    cluster: str | None = None
    db_user: str | None = None
    secret_arn: str | None = None
    poll_seconds: float = 2.0
    timeout_seconds: float = 3600.0

    @property
    def label(self) -> str:
        where = f"workgroup {self.workgroup}" if self.workgroup else f"cluster {self.cluster}"
        return f"redshift {where} database {self.database}"

    def parameters(self) -> dict[str, str]:
        found: dict[str, str] = {"Database": self.database}
        if self.workgroup:
            found["WorkgroupName"] = self.workgroup
        else:
            found["ClusterIdentifier"] = self.cluster or ""
            if self.db_user and not self.secret_arn:
                found["DbUser"] = self.db_user
        if self.secret_arn:
            found["SecretArn"] = self.secret_arn
        return found


class RedshiftWarehouse:
    def __init__(
        self,
        target: RedshiftTarget,
        client: Any,
        s3: Any | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.settings = target
        self.target = target.label
        self._client = client
        self._s3 = s3
        self._sleep = sleep

    # -- statements -------------------------------------------------------------------------
    def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self._client, operation)(**params)
        except ClientError as err:
            error = err.response.get("Error", {})
            raise WarehouseError(
                f"Redshift Data API {operation} on {self.target} was refused: "
                f"{error.get('Code')}: {error.get('Message')}"
            ) from None
        except BotoCoreError as err:
            raise WarehouseUnreachableError(
                f"Redshift Data API of {self.target} cannot be reached ({err}); check "
                "AWS_REGION, AWS_ENDPOINT_URL and the network"
            ) from None

    def run_batch(self, sqls: list[str], **session: Any) -> dict[str, Any]:
        """Run statements as one transaction and wait for them; the final description."""
        if not 1 <= len(sqls) <= MAX_BATCH:
            raise ValueError(f"a batch holds 1 to {MAX_BATCH} statements, not {len(sqls)}")
        started = self._call(
            "batch_execute_statement", Sqls=sqls, **self.settings.parameters(), **session
        )
        return self.wait(started["Id"])

    def run(self, text: str) -> dict[str, Any]:
        started = self._call("execute_statement", Sql=text, **self.settings.parameters())
        return self.wait(started["Id"])

    def wait(self, statement_id: str) -> dict[str, Any]:
        deadline = time.monotonic() + self.settings.timeout_seconds
        while True:
            description = self._call("describe_statement", Id=statement_id)
            status = description["Status"]
            if status == "FINISHED":
                return description
            if status in ("FAILED", "ABORTED"):
                raise WarehouseStatementError(_failure(description, self.target))
            if time.monotonic() > deadline:
                self._call("cancel_statement", Id=statement_id)
                raise WarehouseError(
                    f"statement {statement_id} on {self.target} did not finish within "
                    f"{self.settings.timeout_seconds:.0f}s and was cancelled; raise "
                    "LAKEHOUSE_REDSHIFT_TIMEOUT_SECONDS or look at the query in Redshift"
                )
            self._sleep(self.settings.poll_seconds)

    def result(self, statement_id: str) -> tuple[list[str], list[tuple]]:
        names: list[str] = []
        rows: list[tuple] = []
        token: str | None = None
        while True:
            page = self._call(
                "get_statement_result", Id=statement_id, **({"NextToken": token} if token else {})
            )
            names = names or [c.get("label") or c["name"] for c in page["ColumnMetadata"]]
            rows += [tuple(_value(field) for field in record) for record in page["Records"]]
            token = page.get("NextToken")
            if not token:
                return names, rows

    def query(self, text: str) -> tuple[list[str], list[tuple]]:
        description = self.run(text)
        if not description.get("HasResultSet"):
            return [], []
        return self.result(description["Id"])

    # -- loads ------------------------------------------------------------------------------
    def load(self, snapshot: LakeSnapshot) -> LoadResult:
        table = snapshot.table
        _, found = self.query(sql.existing_columns(table))
        problem = sql.column_difference(table, [row[0] for row in found], DIALECT)
        if problem:
            raise WarehouseSchemaError(problem)
        role = self._copy_role()
        manifests = self._write_manifests(snapshot)
        prepare, final = load_statements(snapshot, manifests, role)
        batches = _pack(prepare, final)
        session: dict[str, Any] = {}
        if len(batches) > 1:
            # Temporary tables live as long as the session: the batches before the last fill
            # them, the last one alone touches the warehouse table.
            session = {"SessionKeepAliveSeconds": 600}
        description: dict[str, Any] = {}
        for batch in batches:
            description = self.run_batch(batch, **session)
            if description.get("SessionId"):
                session = {"SessionId": description["SessionId"]}
        count_id = description["SubStatements"][-1]["Id"]
        _, rows = self.result(count_id)
        return LoadResult(
            table=sql.qualified(table),
            rows_loaded=int(rows[0][0]),
            lake_rows=snapshot.rows,
            table_version=snapshot.table_version,
            snapshots=snapshot.snapshots,
            target=self.target,
            created=not found,
        )

    def _copy_role(self) -> str:
        if not self.settings.copy_role_arn:
            raise WarehouseError(
                "LAKEHOUSE_REDSHIFT_COPY_ROLE_ARN is not set: give the ARN of the IAM role "
                "associated with the Redshift namespace or cluster that may read the lake "
                "(`lakehouse deploy policy` prints its policy)"
            )
        return self.settings.copy_role_arn

    def _s3_client(self) -> Any:
        if self._s3 is None:
            from lakehouse_assets.aws_settings import aws_client

            self._s3 = aws_client("s3")
        return self._s3

    def _write_manifests(self, snapshot: LakeSnapshot) -> list[str]:
        """One COPY manifest per partition, listing its files with their sizes."""
        s3 = self._s3_client()
        folder = _manifest_folder(snapshot)
        uris = []
        for index, partition in enumerate(snapshot.partitions):
            sizes = self._sizes(partition.files)
            missing = [uri for uri in partition.files if uri not in sizes]
            if missing:
                raise WarehouseError(
                    f"{missing[0]} is gone although version {snapshot.table_version} of "
                    f"{snapshot.table.qualified_name} names it ({len(missing)} file(s) missing "
                    f"in partition {partition.name or '(whole table)'}); the lake is damaged: "
                    "materialize the table again"
                )
            entries = [
                {"url": uri, "mandatory": True, "meta": {"content_length": sizes[uri]}}
                for uri in sorted(partition.files)
            ]
            key = f"{folder}/{index:05d}.manifest"
            body = json.dumps({"entries": entries}, indent=1)
            manifest_bucket, manifest_key = _split(key)
            s3.put_object(Bucket=manifest_bucket, Key=manifest_key, Body=body.encode())
            uris.append(key)
        return uris

    def _sizes(self, files: tuple[str, ...]) -> dict[str, int]:
        """The size of each file found in the folders of `files` (Redshift's COPY of Parquet
        needs every file's `content_length`)."""
        s3 = self._s3_client()
        sizes = {}
        for folder in sorted({uri.rsplit("/", 1)[0] for uri in files}):
            bucket, prefix = _split(folder + "/")
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
                for obj in page.get("Contents", []):
                    sizes[f"s3://{bucket}/{obj['Key']}"] = obj["Size"]
        return sizes


def load_statements(
    snapshot: LakeSnapshot, manifests: list[str], role: str
) -> tuple[list[str], list[str]]:
    """(statements that stage the rows, statements that replace the table's rows)."""
    table = snapshot.table
    target = sql.quoted_qualified(table)
    names = ", ".join(sql.quote(c.name) for c in table.columns)
    final = [sql.create_schema(table), sql.create_table(table, DIALECT), sql.delete_all(table)]
    if not table.partition_by:
        copies = [_copy(target, uri, role) for uri in manifests]
        return [], [*final, *copies, sql.count_rows(table)]
    file_columns = snapshot.file_columns
    prepare = [
        f"CREATE TEMP TABLE {STAGE} ({sql.column_definitions(file_columns, DIALECT)})",
        f"CREATE TEMP TABLE {LOADED} ({sql.column_definitions(list(table.columns), DIALECT)})",
    ]
    for partition, uri in zip(snapshot.partitions, manifests, strict=True):
        values = ", ".join(
            f"CAST({sql.literal(partition.values[c.name])} AS {sql.column_type(c, DIALECT)})"
            if c.name in partition.values
            else sql.quote(c.name)
            for c in table.columns
        )
        prepare += [
            _copy(STAGE, uri, role),
            f"INSERT INTO {LOADED} ({names}) SELECT {values} FROM {STAGE}",
            # DELETE, not TRUNCATE: TRUNCATE would commit the transaction.
            f"DELETE FROM {STAGE}",
        ]
    final += [f"INSERT INTO {target} ({names}) SELECT {names} FROM {LOADED}", sql.count_rows(table)]
    return prepare, final


def _copy(target: str, manifest: str, role: str) -> str:
    return (
        f"COPY {target} FROM {sql.literal(manifest)} IAM_ROLE {sql.literal(role)} "
        "FORMAT AS PARQUET MANIFEST"
    )


def _pack(prepare: list[str], final: list[str]) -> list[list[str]]:
    """Batches of at most MAX_BATCH statements; the final statements share the last one, and
    a partition's COPY, INSERT and DELETE stay together."""
    groups = [prepare[:2], *(prepare[i : i + 3] for i in range(2, len(prepare), 3))]
    batches: list[list[str]] = [[]]
    for group in filter(None, [*groups, final]):
        if len(batches[-1]) + len(group) > MAX_BATCH:
            batches.append([])
        batches[-1] += group
    return batches


def _split(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def _manifest_folder(snapshot: LakeSnapshot) -> str:
    """Where the version's COPY manifests go: beside the tables, under the storage root."""
    if not snapshot.root.startswith("s3://"):
        raise WarehouseError(
            f"{snapshot.root} is not on S3: Redshift copies from S3 only; on the aws target "
            "LAKEHOUSE_ROOT must be s3://... (or set LAKEHOUSE_BUCKET)"
        )
    table = snapshot.table
    return (
        f"{snapshot.root}/{MANIFESTS}/{table.database}/{table.name}/v{snapshot.table_version:012d}"
    )


def _value(field: dict[str, Any]) -> Any:
    if field.get("isNull"):
        return None
    for key in ("longValue", "doubleValue", "booleanValue", "stringValue", "blobValue"):
        if key in field:
            return field[key]
    return None


def _failure(description: dict[str, Any], target: str) -> str:
    failing = next(
        (s for s in description.get("SubStatements", []) if s.get("Status") in ("FAILED",)),
        description,
    )
    status = description["Status"]
    what = (
        "The transaction was rolled back; the warehouse table keeps its previous rows"
        if description.get("SubStatements")
        else "Nothing was changed"
    )
    return (
        f"Redshift statement {failing.get('Id')} on {target} {status}: "
        f"{failing.get('Error') or description.get('Error') or 'no error reported'}. "
        f"Statement: {failing.get('QueryString') or description.get('QueryString')}. {what}"
    )
