"""The global asset lineage, reached from the navigation, shows every group."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from lakehouse_assets.registry import registry

pytestmark = pytest.mark.ui


def test_the_global_lineage_shows_every_domain_and_governance(dagster_ui, page):
    groups = [*registry().domains(), "governance"]  # governance: the catalog export

    page.goto(dagster_ui.url)
    # A link's accessible name starts with its icon's label.
    page.get_by_role("navigation").get_by_role("link", name=re.compile(r"\bLineage$")).click()
    expect(page.get_by_text("Global asset lineage", exact=True)).to_be_visible()

    # Each group is one node of the graph (an SVG foreignObject) with its name.
    nodes = page.locator("svg foreignObject")
    for group in groups:
        expect(nodes.filter(has=page.get_by_text(group, exact=True))).to_have_count(1)
    expect(nodes).to_have_count(len(groups))
