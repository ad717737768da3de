"""Business domains: each one a package with its table specs, jobs and sample generator.

A domain is a sub-package `lakehouse_assets/domains/<name>/` with
- `specs.py`: `TABLES` (its `TableSpec`s) and `JOBS` (its `JobSpec`s);
- `generator.py`: `generate(out_dir, scale, seed, progress=None) -> {source: rows}` writing
  sample landing files for every bronze source of the domain, and `SAMPLE_SCALE`, the scale
  `lakehouse run` uses to fill an empty landing folder.
Adding the folder is all it takes: the registry, the Dagster definitions, the CLI, the catalog
and deploy find it.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from collections.abc import Callable
from types import ModuleType


def domain_names() -> list[str]:
    """Every domain package, sorted (a folder without `specs.py` is not a domain)."""
    return sorted(
        info.name
        for info in pkgutil.iter_modules(__path__)
        if info.ispkg and importlib.util.find_spec(f"{__name__}.{info.name}.specs") is not None
    )


def specs_module(domain: str) -> ModuleType:
    return importlib.import_module(f"{__name__}.{domain}.specs")


def generator_module(domain: str) -> ModuleType:
    if domain not in domain_names():
        raise ValueError(f"unknown domain {domain!r}; available: {', '.join(domain_names())}")
    return importlib.import_module(f"{__name__}.{domain}.generator")


def sample_generator(domain: str) -> Callable[..., dict[str, int]]:
    return generator_module(domain).generate
