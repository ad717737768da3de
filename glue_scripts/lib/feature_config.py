"""Declared feature encodings: bands of continuous values and versioned one-hot vocabularies.

Pure Python, no Spark: a table spec builds them and publishes them as table parameters
(JSON text), and the job parses the same text back, so the spec is the single source of truth
of a model's input schema. `glue_scripts/lib/features.py` turns them into Spark columns.

One-hot columns are named `<feature>_<category slug>`; each feature has one more column,
`<feature>_other`, for every value the vocabulary does not list (and for NULL), so a category
never seen before lands in a column that exists instead of adding one that would break the
model's schema. A declared category whose slug is `other` (a source's own catch-all, like the
credit dataset's home ownership OTHER) is that same column.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

OTHER = "other"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class FeatureConfigError(ValueError):
    """A band or vocabulary declaration is inconsistent; the message names it."""


def slug(text: str) -> str:
    """`DEBTCONSOLIDATION` -> `debtconsolidation`, `18-25` -> `18_25`."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


@dataclass(frozen=True)
class Band:
    """Bands of a continuous column: `labels[i]` holds `edges[i-1] <= value < edges[i]`.

    The first label takes everything below `edges[0]`, the last everything from `edges[-1]`
    up; a NULL value has no band.
    """

    name: str
    source: str
    edges: tuple[float, ...]
    labels: tuple[str, ...]

    def __post_init__(self) -> None:
        where = f"band {self.name}"
        if not _NAME.match(self.name) or not _NAME.match(self.source):
            raise FeatureConfigError(f"{where}: names must be lower-case letters, digits and _")
        if not self.edges or list(self.edges) != sorted(set(self.edges)):
            raise FeatureConfigError(f"{where}: edges {list(self.edges)} must rise strictly")
        if len(self.labels) != len(self.edges) + 1:
            raise FeatureConfigError(
                f"{where}: {len(self.edges)} edges make {len(self.edges) + 1} bands, "
                f"but {len(self.labels)} labels are given"
            )
        if len({slug(label) for label in self.labels}) != len(self.labels):
            raise FeatureConfigError(f"{where}: labels {list(self.labels)} repeat a name")

    def to_dict(self) -> dict:
        return {"source": self.source, "edges": list(self.edges), "labels": list(self.labels)}


def bands_to_json(bands: tuple[Band, ...]) -> str:
    return json.dumps({b.name: b.to_dict() for b in bands}, separators=(",", ":"))


def bands_from_json(text: str) -> tuple[Band, ...]:
    body = json.loads(text)
    return tuple(
        Band(name, spec["source"], tuple(spec["edges"]), tuple(spec["labels"]))
        for name, spec in body.items()
    )


@dataclass(frozen=True)
class Vocabulary:
    """The categories of each encoded feature, under a version that names this exact list."""

    version: str
    features: tuple[tuple[str, tuple[str, ...]], ...]

    def __post_init__(self) -> None:
        if not self.version.strip():
            raise FeatureConfigError("vocabulary: the version is empty; name this list")
        names = [name for name, _ in self.features]
        if len(set(names)) != len(names):
            raise FeatureConfigError(f"vocabulary {self.version}: a feature repeats: {names}")
        for name, categories in self.features:
            where = f"vocabulary {self.version}, feature {name}"
            if not _NAME.match(name):
                raise FeatureConfigError(f"{where}: lower-case letters, digits and _ only")
            if not categories:
                raise FeatureConfigError(f"{where}: declares no category")
            slugs = [slug(c) for c in categories]
            if "" in slugs or len(set(slugs)) != len(slugs):
                raise FeatureConfigError(
                    f"{where}: categories {list(categories)} give the column names "
                    f"{[f'{name}_{s}' for s in slugs]}; make them distinct and non-empty"
                )

    def categories(self, feature: str) -> tuple[str, ...]:
        for name, categories in self.features:
            if name == feature:
                return categories
        raise KeyError(f"feature {feature!r} is not in vocabulary {self.version}")

    def other_column(self, feature: str) -> str:
        return f"{feature}_{OTHER}"

    def columns(self, feature: str) -> tuple[tuple[str, str], ...]:
        """`(column, category)` of each category with a column of its own, in declared order
        (the `_other` column, which takes everything else, is not among them)."""
        return tuple(
            (f"{feature}_{slug(c)}", c) for c in self.categories(feature) if slug(c) != OTHER
        )

    def encoded_columns(self, feature: str) -> tuple[str, ...]:
        """Every one-hot column of a feature, its `_other` column last."""
        return (*(column for column, _ in self.columns(feature)), self.other_column(feature))

    def all_columns(self) -> tuple[str, ...]:
        return tuple(c for name, _ in self.features for c in self.encoded_columns(name))

    def to_json(self) -> str:
        return json.dumps({name: list(cats) for name, cats in self.features}, separators=(",", ":"))

    @classmethod
    def from_json(cls, version: str, text: str) -> Vocabulary:
        body = json.loads(text)
        return cls(version, tuple((name, tuple(cats)) for name, cats in body.items()))
