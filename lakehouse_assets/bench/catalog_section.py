"""The catalog export of synthetic tables against a local endpoint in its own process."""

from __future__ import annotations

import urllib.request

from lakehouse_assets.bench import runs
from lakehouse_assets.bench.results import CatalogResult


def _reset(url: str) -> None:
    request = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=30).close()


def measure(ctx: runs.Context, count: int) -> CatalogResult:
    from lakehouse_assets import local_aws

    tables = ctx.options.catalog_tables
    result = CatalogResult(tables=tables)
    base = runs.fresh(ctx.work / "runs" / "catalog")
    endpoint_root = str(base / "endpoint")
    url = local_aws.start_background(endpoint_root)
    try:
        for run in range(count):
            _reset(url)  # the first export of every run starts from an empty catalog
            run_dir = runs.fresh(base / f"run-{run}")
            args = ["--endpoint", url, "--root", str(run_dir / "lake"), "--tables", str(tables)]
            report = ctx.child(run_dir, "lakehouse_assets.bench.catalog_child", args).report
            first, second = report["first"], report["second"]
            result.first_seconds.append(first["seconds"])
            result.second_seconds.append(second["seconds"])
            result.first_calls, result.second_calls = first["calls"], second["calls"]
            result.second_writes.append(second["writes"])
            result.failures += first["failures"] + second["failures"]
            ctx.progress(
                f"  catalog run {run + 1}/{count}: {tables:,} tables, first export "
                f"{first['seconds']:.1f} s ({first['writes']} writes), second "
                f"{second['seconds']:.1f} s ({second['reads']} reads, {second['writes']} writes)"
            )
    finally:
        local_aws.stop_background(endpoint_root)
    return result
