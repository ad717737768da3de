"""Lake Formation LF-Tags: which tags a table and its columns should carry, and applying them.

Lake Formation assigns only one value of a tag key to a resource, so a table's several
business tags cannot share one key: each becomes its own key `business_tag:<slug>` with the
value `true` (the pattern AWS's LF-Tag best practices recommend). The table carries
`pii_class=none`; each PII column overrides it with its class, so a grant on
`pii_class=none` exposes exactly the non-sensitive columns. Lake Formation stores keys and
values lower-cased; they are sent lower-cased so that a re-export compares equal.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping

from botocore.exceptions import BotoCoreError, ClientError

from lakehouse_assets.specs import PII_CLASSES, TableSpec

LAYER = "layer"
DOMAIN = "domain"
PII_CLASS = "pii_class"
BUSINESS_PREFIX = "business_tag:"
NOT_PII = "none"
MAX_VALUES_PER_CALL = 50


def business_tag_key(tag: str) -> str:
    return BUSINESS_PREFIX + re.sub(r"[^a-z0-9]+", "_", tag.lower()).strip("_")


def table_lf_tags(spec: TableSpec) -> dict[str, str]:
    tags = {LAYER: spec.layer, DOMAIN: spec.domain, PII_CLASS: NOT_PII}
    tags.update({business_tag_key(tag): "true" for tag in spec.business_tags})
    return tags


def column_lf_tags(spec: TableSpec) -> dict[str, str]:
    return {column: pii.lower() for column, pii in spec.pii_columns.items()}


def is_managed(key: str) -> bool:
    return key in (LAYER, DOMAIN, PII_CLASS) or key.startswith(BUSINESS_PREFIX)


def tag_values(tables: Iterable[tuple[dict[str, str], dict[str, str]]]) -> dict[str, set[str]]:
    """Every key and value the tables need to exist (all PII classes, so grants can name them)."""
    needed: dict[str, set[str]] = defaultdict(set)
    needed[PII_CLASS].update([NOT_PII, *PII_CLASSES])
    for table_tags, column_tags in tables:
        for key, value in table_tags.items():
            needed[key].add(value)
        for value in column_tags.values():
            needed[PII_CLASS].add(value)
    return dict(needed)


def _pairs(tags: Iterable[Mapping]) -> dict[str, str]:
    return {t["TagKey"].lower(): t["TagValues"][0].lower() for t in tags if t.get("TagValues")}


def _tag_list(tags: Mapping[str, str]) -> list[dict]:
    return [{"TagKey": k, "TagValues": [v]} for k, v in sorted(tags.items())]


class LFTagAssignmentError(RuntimeError):
    """Lake Formation answered 200 but listed the tag assignment under `Failures`."""


class LFTagApplier:
    """Creates the tag keys/values and attaches them to tables and columns; writes only changes."""

    def __init__(self, client, record_failure: Callable[[str, str, Exception | str], None]):
        self.client = client
        self.fail = record_failure
        self.changed_resources = 0

    def ensure_tags(self, needed: Mapping[str, set[str]]) -> None:
        try:
            existing: dict[str, set[str]] = {}
            for page in self.client.get_paginator("list_lf_tags").paginate():
                for tag in page.get("LFTags", []):
                    existing[tag["TagKey"].lower()] = {v.lower() for v in tag["TagValues"]}
        except (BotoCoreError, ClientError) as err:
            self.fail("lake formation", "ListLFTags", err)
            return
        for key, values in sorted(needed.items()):
            missing = sorted(values - existing.get(key, set()))
            for start in range(0, len(missing), MAX_VALUES_PER_CALL):
                chunk = missing[start : start + MAX_VALUES_PER_CALL]
                try:
                    if key not in existing:
                        self.client.create_lf_tag(TagKey=key, TagValues=chunk)
                        existing[key] = set(chunk)
                    else:
                        self.client.update_lf_tag(TagKey=key, TagValuesToAdd=chunk)
                except (BotoCoreError, ClientError) as err:
                    self.fail(f"LF-Tag {key}", "CreateLFTag/UpdateLFTag", err)

    def _assigned(self, resource: dict) -> tuple[dict[str, str], dict[str, dict[str, str]]] | None:
        try:
            response = self.client.get_resource_lf_tags(Resource=resource, ShowAssignedLFTags=True)
        except ClientError:
            # Some endpoints (moto) fail on a table that never had a tag: treat it as
            # unknown and assign the full set, which is idempotent on AWS.
            return None
        columns = {
            c["Name"]: _pairs(c.get("LFTags", [])) for c in response.get("LFTagsOnColumns", [])
        }
        return _pairs(response.get("LFTagsOnTable", [])), columns

    def apply(
        self,
        database: str,
        table: str,
        columns: list[str],
        table_tags: dict[str, str],
        column_tags: dict[str, str],
        new_table: bool,
    ) -> None:
        name = f"{database}.{table}"
        table_resource = {"Table": {"DatabaseName": database, "Name": table}}
        with_columns = {
            "TableWithColumns": {"DatabaseName": database, "Name": table, "ColumnNames": columns}
        }
        current_table: dict[str, str] | None = {}
        current_columns: dict[str, dict[str, str]] = {}
        try:
            if not new_table:
                assigned = self._assigned(table_resource)
                current_table = None if assigned is None else assigned[0]
                assigned_columns = self._assigned(with_columns)
                current_columns = {} if assigned_columns is None else assigned_columns[1]
            self._apply_table(table_resource, current_table, table_tags)
            self._apply_columns(database, table, current_columns, column_tags)
        except (BotoCoreError, ClientError, LFTagAssignmentError) as err:
            self.fail(name, "AddLFTagsToResource", err)

    def _check(self, response: Mapping, what: str) -> None:
        failures = response.get("Failures") or []
        if failures:
            first = failures[0].get("Error", {})
            raise LFTagAssignmentError(
                f"{what}: {first.get('ErrorCode')}: {first.get('ErrorMessage')}"
            )

    def _apply_table(
        self, resource: dict, current: dict[str, str] | None, desired: dict[str, str]
    ) -> None:
        if current is not None:
            stale = {k: v for k, v in current.items() if is_managed(k) and desired.get(k) != v}
            if stale:
                self._check(
                    self.client.remove_lf_tags_from_resource(
                        Resource=resource, LFTags=_tag_list(stale)
                    ),
                    "RemoveLFTagsFromResource",
                )
            if all(current.get(k) == v for k, v in desired.items()):
                return
        # The whole desired set, not only the missing tags: adding a tag a resource already
        # has is a no-op on AWS, and some endpoints (moto) replace the resource's tag list.
        self._check(
            self.client.add_lf_tags_to_resource(Resource=resource, LFTags=_tag_list(desired)),
            "AddLFTagsToResource",
        )
        self.changed_resources += 1

    def _apply_columns(
        self,
        database: str,
        table: str,
        current: dict[str, dict[str, str]],
        desired: dict[str, str],
    ) -> None:
        def resource(cols: list[str]) -> dict:
            return {
                "TableWithColumns": {"DatabaseName": database, "Name": table, "ColumnNames": cols}
            }

        stale: dict[str, list[str]] = defaultdict(list)
        for column, tags in current.items():
            old = tags.get(PII_CLASS)
            if old is not None and desired.get(column) != old:
                stale[old].append(column)
        for old, cols in sorted(stale.items()):
            self._check(
                self.client.remove_lf_tags_from_resource(
                    Resource=resource(sorted(cols)), LFTags=_tag_list({PII_CLASS: old})
                ),
                "RemoveLFTagsFromResource",
            )
            self.changed_resources += 1
        missing: dict[str, list[str]] = defaultdict(list)
        for column, pii_class in desired.items():
            if current.get(column, {}).get(PII_CLASS) != pii_class:
                missing[pii_class].append(column)
        for pii_class, cols in sorted(missing.items()):
            self._check(
                self.client.add_lf_tags_to_resource(
                    Resource=resource(sorted(cols)), LFTags=_tag_list({PII_CLASS: pii_class})
                ),
                "AddLFTagsToResource",
            )
            self.changed_resources += 1
