"""The cleaning settings of the credit silver tables, parsed from their spec parameters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from glue_scripts.lib.feature_config import Band, bands_from_json

STATISTICS_KEYS = (
    "statistics_version",
    "training_window_start",
    "training_window_end",
    "min_working_age",
    "age_range",
)


class ConfigError(ValueError):
    """The silver tables' parameters are missing or disagree."""


@dataclass(frozen=True)
class CleaningConfig:
    version: str
    window_start: dt.date
    window_end: dt.date
    min_working_age: int
    min_age: int
    max_age: int
    bands: tuple[Band, ...] = ()

    @classmethod
    def from_tables(cls, tables: Mapping[str, Mapping[str, Any]]) -> CleaningConfig:
        """The settings of the selected output tables (they must agree where they overlap)."""
        parameters = [t.get("parameters") or {} for t in tables.values()]
        merged: dict[str, str] = {}
        for params in parameters:
            for key in STATISTICS_KEYS:
                if key in params and merged.setdefault(key, params[key]) != params[key]:
                    raise ConfigError(
                        f"the silver tables disagree on parameter {key} ({merged[key]!r} vs "
                        f"{params[key]!r}); build both specs from the same settings"
                    )
        missing = [k for k in STATISTICS_KEYS if k not in merged]
        if missing:
            raise ConfigError(f"table parameters {missing} are missing; declare them in the spec")
        bands = next((p["bands"] for p in parameters if "bands" in p), None)
        start = dt.date.fromisoformat(merged["training_window_start"])
        end = dt.date.fromisoformat(merged["training_window_end"])
        if start > end:
            raise ConfigError(f"training window {start}..{end} ends before it starts")
        low, high = (int(v) for v in merged["age_range"].split(","))
        return cls(
            version=merged["statistics_version"],
            window_start=start,
            window_end=end,
            min_working_age=int(merged["min_working_age"]),
            min_age=low,
            max_age=high,
            bands=bands_from_json(bands) if bands else (),
        )
