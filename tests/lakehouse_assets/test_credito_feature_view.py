"""The inference feature view: latest row per applicant as of a date, reading no later date.

A small feature store is committed with the lakehouse's own table protocol (TableStore) and
Parquet files written by pyarrow; the last date's file is damaged after the commit, so any read
of a date after the as-of date would fail loudly.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from glue_scripts.lib.masking import HASH_KEY_ENV, hash_value
from glue_scripts.lib.tables import TableStore
from lakehouse_assets.cli import main
from lakehouse_assets.domains.credito.feature_view import (
    FeatureViewError,
    as_of_key,
    features_as_of,
)

KEY = "0123456789abcdef0123456789abcdef"
ANA, BIA, CAIO = (hash_value(raw, KEY.encode()) for raw in ("CR001", "CR002", "CR003"))
# date -> rows (applicant, person_age, loan_grade_a); 20240401 is written as garbage.
DATES = {
    "20240101": [(ANA, 30.0, 1), (BIA, 40.0, 0)],
    "20240215": [(ANA, 31.0, 0)],
    "20240301": [],
    "20240320": [(CAIO, 25.0, 1)],
    "20240401": [(ANA, 99.0, 1)],
}


@pytest.fixture
def root(tmp_path, monkeypatch) -> str:
    monkeypatch.setenv(HASH_KEY_ENV, KEY)
    store = TableStore(str(tmp_path), "credito_gold", "feature_store")
    snapshot = "20240401T000000000000-test"
    counts = {}
    for date, rows in DATES.items():
        counts[f"anomesdia={date}"] = len(rows)
        if not rows:
            continue  # as Spark writes it: an empty partition has no folder
        folder = Path(store.data_uri(snapshot, f"anomesdia={date}").removeprefix("file://"))
        folder.mkdir(parents=True)
        table = pa.table(
            {
                "applicant_id": [r[0] for r in rows],
                "feature_ts": [dt.datetime.strptime(date, "%Y%m%d")] * len(rows),
                "person_age": [r[1] for r in rows],
                "loan_grade_a": pa.array([r[2] for r in rows], pa.int32()),
            }
        )
        pq.write_table(table, folder / "part-00000.parquet")
    store.commit(snapshot, ("anomesdia",), counts, replace_all=True)
    [last] = store.data_uris(store.require_current(), ["anomesdia=20240401"])
    Path(last.removeprefix("file://")).write_bytes(b"not parquet at all")
    return str(tmp_path)


def _rows(view):
    return [
        (r["applicant_id"], r["anomesdia"], r["person_age"], r["feature_age_days"])
        for _, r in view.frame.iterrows()
    ]


def test_latest_row_per_applicant_as_of_a_date(root):
    view = features_as_of("2024-03-10", root=root)
    assert sorted(_rows(view)) == sorted([(ANA, "20240215", 31.0, 24), (BIA, "20240101", 40.0, 69)])
    # The empty 20240301 partition is skipped; nothing after 20240310 is opened.
    assert view.partitions_read == ["20240101", "20240215"]
    assert (view.as_of, view.table_version, view.missing) == ("20240310", 1, [])


def test_the_as_of_date_itself_is_included(root):
    view = features_as_of(dt.date(2024, 3, 20), root=root)
    assert (CAIO, "20240320", 25.0, 0) in _rows(view)
    assert view.partitions_read == ["20240101", "20240215", "20240320"]


def test_a_later_date_is_really_read_when_the_as_of_date_covers_it(root):
    with pytest.raises(pa.ArrowInvalid):
        features_as_of("20240401", root=root)


def test_raw_ids_are_hashed_with_the_lakehouse_key(root):
    view = features_as_of("20240331", root=root, applicants=["CR001", "CR009"])
    assert list(view.frame["requested_applicant_id"]) == ["CR001"]
    assert _rows(view) == [(ANA, "20240215", 31.0, 45)]
    assert view.missing == ["CR009"]


def test_a_lookup_stops_at_the_newest_date_that_has_every_applicant(root):
    view = features_as_of("20240331", root=root, applicants=[CAIO], hashed_ids=True)
    assert _rows(view) == [(CAIO, "20240320", 25.0, 11)]
    assert view.partitions_read == ["20240320"]


def test_max_age_leaves_out_stale_rows(root):
    view = features_as_of("20240310", root=root, max_age_days=30)
    assert _rows(view) == [(ANA, "20240215", 31.0, 24)]
    assert features_as_of("20231231", root=root).frame.empty


@pytest.mark.parametrize("text", ["2024-13-01", "30/06/2024", "ontem"])
def test_bad_dates_say_how_to_write_them(text):
    with pytest.raises(FeatureViewError) as err:
        as_of_key(text)
    assert str(err.value) == (
        f"as-of date {text!r} is not a date; write it as 2024-06-30 or 20240630"
    )


def test_cli_prints_csv_and_a_summary(root, capsys):
    code = main(
        ["credito", "features", "--root", root, "--as-of", "20240310", "--applicant", "CR002"]
    )
    out, err = capsys.readouterr()
    assert code == 0
    assert out.splitlines() == [
        "requested_applicant_id,applicant_id,feature_ts,person_age,loan_grade_a,anomesdia,"
        "feature_age_days",
        f"CR002,{BIA},2024-01-01,40.0,0,20240101,69",
    ]
    assert err.splitlines() == [
        "1 applicant(s) as of 20240310 from 2 feature date(s) (20240101..20240215) of "
        "credito_gold.feature_store, version 1"
    ]


def test_cli_writes_parquet_and_exits_1_for_unknown_applicants(root, tmp_path, capsys):
    out = tmp_path / "features.parquet"
    code = main(
        ["credito", "features", "--root", root, "--as-of", "20240310", "--out", str(out)]
        + ["--applicant", "CR001", "--applicant", "CR404"]
    )
    assert code == 1
    assert pq.read_table(out).column("requested_applicant_id").to_pylist() == ["CR001"]
    assert capsys.readouterr().err.splitlines()[-1] == (
        "no features on or before 20240310 for 1 applicant(s): CR404 (new applicants, or ids "
        "of another system?)"
    )


def test_cli_explains_a_feature_store_never_materialized(tmp_path, capsys):
    assert main(["credito", "features", "--root", str(tmp_path), "--as-of", "20240310"]) == 2
    assert "has no committed data" in capsys.readouterr().err
