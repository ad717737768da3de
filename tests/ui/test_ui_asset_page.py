"""Materialize a daily bronze table from its asset page, as a user does, and read its rows."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from lakehouse_assets.factory import partitions_for
from lakehouse_assets.registry import registry

pytestmark = pytest.mark.ui

TABLE = "vendas_bronze.purchase"
# A cold Spark start is 10-20 s of a run of about 35 s; a loaded CI machine is slower.
RUN_TIMEOUT_MS = 300_000
DONE = re.compile(r"^(Success|Failure|Canceled)$")


def landing_rows(landing: Path, source: str) -> int:
    """Records in the source's landing CSV files (a quoted field may span lines)."""
    rows = 0
    for path in sorted((landing / source).glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            rows += sum(1 for _ in csv.reader(handle)) - 1  # the header
    return rows


def latest_partition(table_name: str) -> str:
    return partitions_for([registry().tables[table_name]]).get_last_partition_key()


def test_materializing_the_latest_partition_shows_the_landing_rows(dagster_ui, page):
    table = registry().tables[TABLE]
    asset_url = f"{dagster_ui.url}/assets/{'/'.join(table.key_path)}"
    expected_rows = landing_rows(dagster_ui.landing, table.key_path[-1])
    assert expected_rows > 0

    page.goto(asset_url)
    expect(page.get_by_text("Never materialized")).to_be_visible()
    before = latest_partition(TABLE)
    # Its accessible name starts with its icon's label.
    page.get_by_role("button", name=re.compile(r"Materialize…$")).click()

    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(f"Launch runs to materialize {' / '.join(table.key_path)}")
    dialog.get_by_role("button", name="Latest", exact=True).click()
    expect(dialog).to_contain_text("1 partition")
    chosen = dialog.get_by_placeholder(re.compile(r"^ex: ")).input_value()
    assert chosen in {before, latest_partition(TABLE)}  # the day may turn meanwhile
    dialog.get_by_role("button", name="Launch 1 run").click()

    # The toast links to the run's page, which follows its status live.
    page.get_by_text(re.compile(r"^Launched run ")).wait_for()
    view = page.get_by_role("link", name="View", exact=True)
    view.or_(page.get_by_role("button", name="View", exact=True)).click()
    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f-]+"))
    expect(page.get_by_text(f"partition: {chosen}")).to_be_visible()
    status = page.get_by_text(DONE).first
    expect(status).to_be_visible(timeout=RUN_TIMEOUT_MS)
    assert status.inner_text() == "Success", (
        f"the run ended {status.inner_text()}: see {page.url} and {dagster_ui.log_path}"
    )

    page.goto(asset_url)
    overview = page.get_by_text("Row count", exact=True).locator("xpath=..")
    expect(overview).to_have_text(re.compile(rf"^Row count\s*{expected_rows:,}$"))
    latest = page.get_by_text("Latest materialization", exact=True).locator("xpath=..")
    expect(latest).to_contain_text(chosen)
