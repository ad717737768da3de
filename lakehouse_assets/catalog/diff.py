"""Compare what the catalog holds with what the export would send: only differences are written.

Glue (and moto) add fields on read: CreateTime, UpdateTime, DatabaseName, CatalogId,
VersionId, IsRegisteredWithLakeFormation, defaults inside the StorageDescriptor. So the
comparison looks only at what the export sends, except for the table Parameters the export
owns: one of those that is no longer sent is a difference too.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

_MISSING = object()


def differs(desired: Any, existing: Any) -> bool:
    """True if `existing` does not hold everything `desired` says (extra fields ignored)."""
    if isinstance(desired, Mapping):
        if not isinstance(existing, Mapping):
            return True
        return any(differs(value, existing.get(key, _MISSING)) for key, value in desired.items())
    if isinstance(desired, list | tuple):
        if not isinstance(existing, list | tuple) or len(desired) != len(existing):
            return True
        return any(differs(d, e) for d, e in zip(desired, existing, strict=True))
    return existing is _MISSING or desired != existing


def table_differs(desired: Mapping, existing: Mapping, managed_parameters: Collection[str]) -> bool:
    if differs(desired, existing):
        return True
    existing_parameters = existing.get("Parameters") or {}
    sent = desired.get("Parameters") or {}
    return any(key in managed_parameters and key not in sent for key in existing_parameters)


def changed_fields(desired: Mapping, existing: Mapping) -> list[str]:
    """Top-level fields that differ, for the report (`Description`, `Parameters`, ...)."""
    return sorted(k for k, v in desired.items() if differs(v, existing.get(k, _MISSING)))
