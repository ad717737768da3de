"""The Redshift Data API operations: statements run in the background, described, read."""

from __future__ import annotations

import base64
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from lakehouse_assets.redshift_standin.engine import Engine, Outcome, StatementError, connect
from lakehouse_assets.redshift_standin.translate import UnsupportedStatementError

MAX_BATCH = 40
PAGE_ROWS = 1000


class DataApiError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


@dataclass
class Part:
    id: str
    sql: str
    status: str = "SUBMITTED"
    error: str | None = None
    outcome: Outcome | None = None
    created: float = field(default_factory=time.time)
    updated: float = field(default_factory=time.time)
    duration_ns: int = 0


@dataclass
class Statement:
    id: str
    parts: list[Part]
    batch: bool
    request: dict[str, Any]
    session_id: str | None = None
    status: str = "SUBMITTED"
    error: str | None = None
    created: float = field(default_factory=time.time)
    updated: float = field(default_factory=time.time)


class Session:
    def __init__(self, connection: Any, keep_alive: float):
        self.connection = connection
        self.keep_alive = keep_alive
        self.lock = threading.Lock()
        self.last_used = time.time()


class RedshiftDataService:
    """Args:
    warehouse_uri: returns the PostgreSQL URI that plays the Redshift database.
    s3: returns a boto3 S3 client of the endpoint (COPY reads through it).
    """

    def __init__(self, warehouse_uri: Callable[[], str], s3: Callable[[], Any]):
        self._warehouse_uri = warehouse_uri
        self._engine = Engine(s3)
        self._statements: dict[str, Statement] = {}
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    # -- operations -------------------------------------------------------------------------
    def execute_statement(self, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("Parameters"):
            raise DataApiError("ValidationException", "the stand-in does not bind Parameters")
        return self._submit([_required(body, "Sql")], body, batch=False)

    def batch_execute_statement(self, body: dict[str, Any]) -> dict[str, Any]:
        sqls = body.get("Sqls") or []
        if not 1 <= len(sqls) <= MAX_BATCH:
            raise DataApiError("ValidationException", f"Sqls must hold 1 to {MAX_BATCH} statements")
        return self._submit(list(sqls), body, batch=True)

    def describe_statement(self, body: dict[str, Any]) -> dict[str, Any]:
        statement = self._find(_required(body, "Id"))
        answer = {
            "Id": statement.id,
            "Status": statement.status,
            "CreatedAt": statement.created,
            "UpdatedAt": statement.updated,
            "Duration": sum(p.duration_ns for p in statement.parts),
            "HasResultSet": any(
                p.outcome and p.outcome.result is not None for p in statement.parts
            ),
            "ResultRows": sum(p.outcome.rows for p in statement.parts if p.outcome) or -1,
            **_where(statement.request),
        }
        if statement.error:
            answer["Error"] = statement.error
        if statement.session_id:
            answer["SessionId"] = statement.session_id
        if statement.batch:
            answer["SubStatements"] = [_describe_part(p) for p in statement.parts]
        else:
            answer["QueryString"] = statement.parts[0].sql
        return answer

    def get_statement_result(self, body: dict[str, Any]) -> dict[str, Any]:
        wanted = _required(body, "Id")
        statement = self._find(wanted.split(":", 1)[0])
        if statement.batch and ":" not in wanted:
            raise DataApiError(
                "ValidationException",
                "a batch has no result of its own: ask for a sub-statement's (Id ':' number)",
            )
        index = int(wanted.split(":", 1)[1]) - 1 if ":" in wanted else 0
        if not 0 <= index < len(statement.parts):
            raise DataApiError("ResourceNotFoundException", f"Query {wanted} does not exist")
        part = statement.parts[index]
        if part.status != "FINISHED" or part.outcome is None or part.outcome.result is None:
            raise DataApiError(
                "ValidationException", f"Query {wanted} has no result set (status {part.status})"
            )
        start = int(body.get("NextToken") or 0)
        table = part.outcome.result.slice(start, PAGE_ROWS)
        answer: dict[str, Any] = {
            "Records": [[_field(v) for v in row.values()] for row in table.to_pylist()],
            "ColumnMetadata": [_column(n, t) for n, t in part.outcome.columns],
            "TotalNumRows": part.outcome.result.num_rows,
        }
        if start + PAGE_ROWS < part.outcome.result.num_rows:
            answer["NextToken"] = str(start + PAGE_ROWS)
        return answer

    def cancel_statement(self, body: dict[str, Any]) -> dict[str, Any]:
        statement = self._find(_required(body, "Id"))
        return {"Status": statement.status not in ("FINISHED", "FAILED", "ABORTED")}

    # -- running ----------------------------------------------------------------------------
    def _submit(self, sqls: list[str], body: dict[str, Any], batch: bool) -> dict[str, Any]:
        if not body.get("Database") and not body.get("SessionId"):
            raise DataApiError("ValidationException", "Database is required")
        statement_id = str(uuid.uuid4())
        parts = [
            Part(id=f"{statement_id}:{i}" if batch else statement_id, sql=text)
            for i, text in enumerate(sqls, start=1)
        ]
        statement = Statement(statement_id, parts, batch, dict(body))
        session = self._session(body, statement)
        with self._lock:
            self._statements[statement_id] = statement
        threading.Thread(
            target=self._run,
            args=(statement, session),
            name=f"redshift-{statement_id}",
            daemon=True,
        ).start()
        answer = {"Id": statement_id, "CreatedAt": statement.created, **_where(body)}
        if statement.session_id:
            answer["SessionId"] = statement.session_id
        return answer

    def _session(self, body: dict[str, Any], statement: Statement) -> Session | None:
        if body.get("SessionId"):
            with self._lock:
                session = self._sessions.get(body["SessionId"])
            if session is None:
                raise DataApiError(
                    "ValidationException", f"Session {body['SessionId']} is not active"
                )
            statement.session_id = body["SessionId"]
            return session
        keep_alive = body.get("SessionKeepAliveSeconds")
        if not keep_alive:
            return None
        session = Session(self._connect(), float(keep_alive))
        statement.session_id = str(uuid.uuid4())
        with self._lock:
            self._sessions[statement.session_id] = session
        return session

    def _connect(self) -> Any:
        try:
            return connect(self._warehouse_uri())
        except Exception as err:
            raise DataApiError(
                "InternalServerException",
                f"the stand-in's PostgreSQL warehouse cannot be reached: {type(err).__name__}",
            ) from None

    def _run(self, statement: Statement, session: Session | None) -> None:
        statement.status = "STARTED"
        own = session is None
        try:
            connection = session.connection if session else connect(self._warehouse_uri())
        except Exception as err:
            self._finish(statement, "FAILED", f"cannot connect to the warehouse: {err}")
            return
        lock = session.lock if session else threading.Lock()
        with lock:
            try:
                failed = self._run_parts(connection, statement)
            finally:
                if own:
                    connection.close()
                else:
                    session.last_used = time.time()
        if failed is None:
            self._finish(statement, "FINISHED", None)
        else:
            self._finish(statement, "FAILED", failed)

    def _run_parts(self, connection: Any, statement: Statement) -> str | None:
        """All parts in one transaction; the error of the failing one, or None."""
        for index, part in enumerate(statement.parts):
            part.status = "STARTED"
            began = time.perf_counter_ns()
            try:
                part.outcome = self._engine.run(connection, part.sql)
            except (StatementError, UnsupportedStatementError) as err:
                connection.rollback()
                part.status, part.error = "FAILED", str(err)
                part.duration_ns = time.perf_counter_ns() - began
                part.updated = time.time()
                for later in statement.parts[index + 1 :]:
                    later.status, later.updated = "ABORTED", time.time()
                return str(err)
            part.status, part.updated = "FINISHED", time.time()
            part.duration_ns = time.perf_counter_ns() - began
        connection.commit()
        return None

    def _finish(self, statement: Statement, status: str, error: str | None) -> None:
        statement.error = error
        statement.updated = time.time()
        statement.status = status

    def _find(self, statement_id: str) -> Statement:
        with self._lock:
            statement = self._statements.get(statement_id)
        if statement is None:
            raise DataApiError("ResourceNotFoundException", f"Query {statement_id} does not exist")
        return statement

    def reset(self) -> None:
        with self._lock:
            sessions, self._sessions = self._sessions, {}
            self._statements.clear()
        for session in sessions.values():
            session.connection.close()


def _required(body: dict[str, Any], name: str) -> Any:
    if not body.get(name):
        raise DataApiError("ValidationException", f"{name} is required")
    return body[name]


def _where(body: dict[str, Any]) -> dict[str, Any]:
    keys = ("Database", "WorkgroupName", "ClusterIdentifier", "DbUser", "SecretArn")
    return {k: body[k] for k in keys if body.get(k)}


def _describe_part(part: Part) -> dict[str, Any]:
    answer = {
        "Id": part.id,
        "Status": part.status,
        "QueryString": part.sql,
        "CreatedAt": part.created,
        "UpdatedAt": part.updated,
        "Duration": part.duration_ns,
        "HasResultSet": bool(part.outcome and part.outcome.result is not None),
        "ResultRows": part.outcome.rows if part.outcome else -1,
    }
    if part.error:
        answer["Error"] = part.error
    return answer


def _field(value: Any) -> dict[str, Any]:
    if value is None:
        return {"isNull": True}
    if isinstance(value, bool):
        return {"booleanValue": value}
    if isinstance(value, int):
        return {"longValue": value}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, datetime):
        return {"stringValue": value.replace(tzinfo=None).isoformat(sep=" ")}
    if isinstance(value, (date, Decimal)):
        return {"stringValue": str(value)}
    if isinstance(value, bytes):
        return {"blobValue": base64.b64encode(value).decode()}
    return {"stringValue": str(value)}


def _column(name: str, kind: str) -> dict[str, Any]:
    return {
        "name": name,
        "label": name,
        "typeName": kind,
        "nullable": 1,
        "isSigned": kind in ("int2", "int4", "int8", "float4", "float8", "numeric"),
        "isCaseSensitive": kind == "varchar",
        "isCurrency": False,
        "precision": 0,
        "scale": 0,
        "length": 0,
        "schemaName": "",
        "tableName": "",
    }
