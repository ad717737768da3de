"""All domains' specs in one validated graph: lookups, jobs and downstream edges."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from lakehouse_assets.specs import JobSpec, SpecError, TableSpec


@dataclass(frozen=True)
class Registry:
    tables: dict[str, TableSpec]
    jobs: dict[str, JobSpec]

    @classmethod
    def build(cls, tables: Iterable[TableSpec], jobs: Iterable[JobSpec]) -> Registry:
        by_name: dict[str, TableSpec] = {}
        for table in tables:
            if table.qualified_name in by_name:
                raise SpecError(f"table {table.qualified_name} is defined twice")
            by_name[table.qualified_name] = table
        job_map: dict[str, JobSpec] = {}
        for job in jobs:
            if job.name in job_map:
                raise SpecError(f"job {job.name} is defined twice")
            job_map[job.name] = job
        registry = cls(tables=by_name, jobs=job_map)
        registry._validate()
        return registry

    def _validate(self) -> None:
        for table in self.tables.values():
            job = self.jobs.get(table.job)
            if job is None:
                raise SpecError(
                    f"table {table.qualified_name}: field `job` names unknown job {table.job!r}"
                )
            if job.domain != table.domain:
                raise SpecError(
                    f"table {table.qualified_name}: job {job.name} belongs to domain {job.domain}"
                )
            for ref in table.upstream:
                if ref not in self.tables:
                    raise SpecError(
                        f"table {table.qualified_name}: field `upstream` names unknown table "
                        f"{ref!r}; define it or fix the name"
                    )
        self._check_sources()
        for job in self.jobs.values():
            outputs = self.tables_of_job(job.name)
            if not outputs:
                raise SpecError(f"job {job.name} writes no table; remove it or add its tables")
            partitioned = {t.daily_partitions_start for t in outputs}
            if len(partitioned) > 1:
                raise SpecError(
                    f"job {job.name} writes tables with different partitioning; split the job"
                )
        self._check_acyclic()

    def _check_sources(self) -> None:
        # Domains share one landing folder, so a source name belongs to one bronze table.
        seen: dict[str, str] = {}
        for table in self.tables.values():
            if not table.source:
                continue
            other = seen.setdefault(table.source, table.qualified_name)
            if other != table.qualified_name:
                raise SpecError(
                    f"table {table.qualified_name}: field `source` {table.source!r} is already "
                    f"the source of {other}; landing sources must be unique across domains"
                )

    def sources(self, domain: str) -> list[str]:
        return sorted(t.source for t in self.tables.values() if t.domain == domain and t.source)

    def _check_acyclic(self) -> None:
        state: dict[str, int] = {}

        def visit(name: str, path: tuple[str, ...]) -> None:
            if state.get(name) == 2:
                return
            if state.get(name) == 1:
                raise SpecError(f"upstream cycle: {' -> '.join((*path, name))}")
            state[name] = 1
            for ref in self.tables[name].upstream:
                visit(ref, (*path, name))
            state[name] = 2

        for name in self.tables:
            visit(name, ())

    def tables_of_job(self, job: str) -> list[TableSpec]:
        return [t for t in self.tables.values() if t.job == job]

    def downstream(self, table: str) -> list[str]:
        return sorted(t.qualified_name for t in self.tables.values() if table in t.upstream)

    def domains(self) -> list[str]:
        return sorted({t.domain for t in self.tables.values()})


@cache
def registry() -> Registry:
    """Every domain's specs: each package under `lakehouse_assets/domains/` is one domain."""
    from lakehouse_assets.domains import domain_names, specs_module

    modules = [specs_module(name) for name in domain_names()]
    return Registry.build(
        tables=[t for m in modules for t in m.TABLES], jobs=[j for m in modules for j in m.JOBS]
    )
