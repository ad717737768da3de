"""What an export did: counts of calls and changes, undefined tables, and what failed."""

from __future__ import annotations

from dataclasses import dataclass, field

from botocore.exceptions import ClientError, EndpointConnectionError

_HINTS = {
    "ThrottlingException": "AWS throttled the calls; re-run the export later",
    "AccessDeniedException": "grant the role the Glue/Lake Formation permission named above",
    "EntityNotFoundException": "the database or LF-Tag it needs is missing; re-run the export",
    "InvalidInputException": "the input breaks a rule Glue checks; fix the spec it came from",
    "ResourceNumberLimitExceededException": "an account quota is reached; raise it or clean up",
}
_RETRY = "re-run `lakehouse catalog export`: it writes only what is still missing"


def hint(error: Exception | str) -> str:
    if isinstance(error, EndpointConnectionError):
        return (
            "the endpoint is unreachable: is the local AWS endpoint running "
            "(`lakehouse local-aws --background`) or is the network/region right?"
        )
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        return _HINTS.get(code, _RETRY)
    return _RETRY


@dataclass(frozen=True)
class Failure:
    target: str
    operation: str
    error: str
    hint: str

    def __str__(self) -> str:
        return f"{self.target}: {self.operation} failed: {self.error} -> {self.hint}"


@dataclass
class ExportReport:
    endpoint: str
    tables_created: list[str] = field(default_factory=list)
    tables_updated: dict[str, list[str]] = field(default_factory=dict)
    tables_unchanged: list[str] = field(default_factory=list)
    databases_created: list[str] = field(default_factory=list)
    databases_updated: list[str] = field(default_factory=list)
    # Partitions a registration made before the tables were Iceberg left in Glue.
    partitions_deleted: int = 0
    # Aws target: tables Glue does not hold as Iceberg tables yet (their first commit does).
    awaiting_commit: list[str] = field(default_factory=list)
    undefined_tables: list[str] = field(default_factory=list)
    deleted_tables: list[str] = field(default_factory=list)
    lf_tag_changes: int = 0
    openlineage_events: int = 0
    warnings: list[str] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    reads: dict[str, int] = field(default_factory=dict)
    writes: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def read_calls(self) -> int:
        return sum(self.reads.values())

    @property
    def write_calls(self) -> int:
        return sum(self.writes.values())

    def fail(self, target: str, operation: str, error: Exception | str) -> None:
        text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        self.failures.append(Failure(target, operation, text, hint(error)))

    def summary(self) -> str:
        lines = [
            f"catalog export to {self.endpoint}: {len(self.tables_created)} created, "
            f"{len(self.tables_updated)} updated, {len(self.tables_unchanged)} unchanged; "
            f"{self.read_calls} read calls, {self.write_calls} write calls"
        ]
        if self.partitions_deleted:
            lines.append(
                f"  deleted {self.partitions_deleted} partitions left by an earlier registration "
                "(Iceberg tables have none in Glue)"
            )
        if self.writes:
            lines.append("  writes: " + ", ".join(f"{op} {n}" for op, n in self.writes.items()))
        if self.lf_tag_changes:
            lines.append(f"  LF-Tag assignments changed on {self.lf_tag_changes} resources")
        if self.openlineage_events:
            lines.append(f"  OpenLineage events emitted: {self.openlineage_events}")
        for name, fields in sorted(self.tables_updated.items()):
            lines.append(f"  updated {name}: {', '.join(fields)}")
        for name in self.undefined_tables:
            action = "deleted" if name in self.deleted_tables else "kept"
            lines.append(
                f"  {name} is in the catalog but no spec defines it ({action}; "
                "`lakehouse catalog export --delete-undefined` deletes such tables)"
            )
        if self.awaiting_commit:
            lines.append(
                f"  {len(self.awaiting_commit)} table(s) are not Iceberg tables in Glue yet and "
                "were left to their first commit, which registers them (the next export then "
                f"describes them): {', '.join(self.awaiting_commit)}"
            )
        lines += [f"  warning: {w}" for w in self.warnings]
        if self.failures:
            lines.append(f"  {len(self.failures)} failure(s); everything else was exported:")
            lines += [f"    {f}" for f in self.failures]
        return "\n".join(lines)
