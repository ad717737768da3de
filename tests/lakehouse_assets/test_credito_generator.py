"""The Crédito sample generator: layout, determinism, the public dataset's shapes and flaws."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lakehouse_assets.domains import csv_render as r
from lakehouse_assets.domains.credito import generator
from lakehouse_assets.domains.credito.generator import HEADER, SAMPLE_SCALE, SOURCE, generate
from lakehouse_assets.domains.credito.specs import SOLICITACOES

DROPS = [f"anomesdia=2024070{d}/{SOURCE}_2024070{d}.csv" for d in range(1, 8)]


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("credito")
    return out, generate(out, scale=SAMPLE_SCALE, seed=42)


@pytest.fixture(scope="module")
def rows(sample) -> pd.DataFrame:
    folder = sample[0] / SOURCE
    files = [folder / generator.HISTORY_FILE, *(folder / d for d in DROPS)]
    frames = [pd.read_csv(f, dtype=str, keep_default_na=False).assign(file=f.name) for f in files]
    return pd.concat(frames, ignore_index=True)


def _number(rows: pd.DataFrame, column: str) -> pd.Series:
    return pd.to_numeric(rows[column].replace("", np.nan), errors="coerce")


def test_layout_is_a_backfill_file_and_seven_daily_drops(sample, rows):
    out, counts = sample
    files = sorted(p.relative_to(out / SOURCE).as_posix() for p in (out / SOURCE).rglob("*.csv"))
    assert files == sorted([generator.HISTORY_FILE, *DROPS])
    assert counts == {SOURCE: SAMPLE_SCALE}
    assert len(rows) == SAMPLE_SCALE
    by_file = rows.groupby("file").size().to_dict()
    assert by_file == {
        "solicitacoes_credito_historico.csv": 31211,
        "solicitacoes_credito_20240701.csv": 217,
        "solicitacoes_credito_20240702.csv": 234,
        "solicitacoes_credito_20240703.csv": 266,
        "solicitacoes_credito_20240704.csv": 243,
        "solicitacoes_credito_20240705.csv": 212,
        "solicitacoes_credito_20240706.csv": 124,
        "solicitacoes_credito_20240707.csv": 74,
    }


def test_header_is_the_bronze_source_columns(sample):
    header = (sample[0] / SOURCE / generator.HISTORY_FILE).read_text().split("\n", 1)[0]
    assert tuple(header.split(",")) == HEADER
    assert (
        list(HEADER)
        == [c.name for c in SOLICITACOES.columns if c.name not in ("ingested_at", "source_file")][
            :-1
        ]
    )


def test_same_scale_and_seed_give_the_same_bytes(tmp_path, sample):
    def digest(folder: Path) -> str:
        files = sorted(folder.rglob("*.csv"))
        return hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()

    generate(tmp_path / "again", scale=SAMPLE_SCALE, seed=42)
    generate(tmp_path / "other", scale=SAMPLE_SCALE, seed=7)
    assert digest(tmp_path / "again") == digest(sample[0])
    assert digest(tmp_path / "other") != digest(sample[0])


def test_each_drop_holds_its_own_day_and_keys_are_unique(rows):
    good = rows[~rows["application_ts"].str.contains("/")]
    days = good["application_ts"].str[:10].str.replace("-", "")
    in_drop = good["file"] != generator.HISTORY_FILE
    assert (days[in_drop] == good.loc[in_drop, "file"].str[-12:-4]).all()
    assert days[~in_drop].min() == "20240101" and days[~in_drop].max() == "20240630"
    assert not rows.duplicated(["applicant_id", "application_ts"]).any()
    assert rows["applicant_id"].str.fullmatch(r"CR\d{9}").all()


def test_shapes_of_the_public_dataset(rows):
    age, income = _number(rows, "person_age"), _number(rows, "person_income")
    assert age.median() == 26
    assert 0.80 < age.between(20, 40).mean() < 0.99
    assert 50_000 <= income.median() <= 60_000
    home = rows["person_home_ownership"].value_counts(normalize=True)
    assert 0.47 < home["RENT"] < 0.53 and 0.38 < home["MORTGAGE"] < 0.44
    assert 0.06 < home["OWN"] < 0.10 and 0 < home["OTHER"] < 0.01
    assert set(rows["loan_intent"]) == set(generator.INTENT)
    grades = rows["loan_grade"].value_counts(normalize=True)
    assert list(grades.index[:2]) == ["A", "B"] and grades[["A", "B"]].sum() > 0.6
    assert set(grades.index) == set("ABCDEFG")
    labelled = _number(rows, "loan_status").dropna()
    assert 0.19 < labelled.mean() < 0.25
    assert 0.15 < (rows["cb_person_default_on_file"] == "Y").mean() < 0.21


def test_interest_rate_rises_with_the_grade(rows):
    rate = _number(rows, "loan_int_rate").groupby(rows["loan_grade"]).mean()
    assert list(rate.sort_values().index) == list("ABCDEFG")


def test_missing_values_and_outliers_are_there(rows):
    assert 0.02 < (rows["person_emp_length"] == "").mean() < 0.035
    assert 0.08 < (rows["loan_int_rate"] == "").mean() < 0.11
    age, emp = _number(rows, "person_age"), _number(rows, "person_emp_length")
    # Exact: the sample is deterministic, and each case must occur for the demo to show it.
    assert (age > 120).sum() == 5
    assert (emp > age).sum() == 13


def test_some_lines_cannot_be_typed_on_purpose(rows):
    assert rows["application_ts"].str.fullmatch(r"\d{2}/\d{2}/\d{4} [\d:]{8}").sum() == 8
    assert rows["loan_int_rate"].str.endswith("%").sum() == 4


def test_only_the_scoring_week_lacks_labels(rows):
    unlabelled = rows["loan_status"] == ""
    assert set(rows.loc[unlabelled, "file"]) == {d.split("/")[1] for d in DROPS}
    assert not (rows.loc[rows["file"] != generator.HISTORY_FILE, "loan_status"] != "").any()


def test_repeat_applicants_reuse_their_person_data(rows):
    repeated = rows[rows.duplicated("applicant_id", keep=False)]
    assert 0.10 < 1 - rows["applicant_id"].nunique() / len(rows) < 0.14
    per_applicant = repeated.groupby("applicant_id")["person_income"].nunique()
    assert (per_applicant == 1).all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scale": 0}, "scale must be a positive integer, got 0"),
        ({"scale": True}, "scale must be a positive integer, got True"),
        ({"scale": 5_000_001}, "scale 5000001 is over 5,000,000 applications"),
        ({"scale": 10, "seed": -1}, "seed must be a non-negative integer, got -1"),
    ],
)
def test_bad_arguments_are_refused(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        generate(tmp_path, **kwargs)


def test_csv_render_lays_out_fields_without_padding():
    ids = [r.lit("CR"), r.digits(np.array([7, 123]), 4, zero_pad=True)]
    amount = r.fixed(np.array([1050, 5]), 2)
    blank = r.blank(r.digits(np.array([3, 40])), np.array([False, True]))
    when = r.timestamps(np.array([0, 1_719_835_201]))
    day_first = r.timestamps(np.array([1_719_835_201]), day_first=True)
    rendered = r.render([ids, amount, blank, when], 2).tobytes()
    assert rendered == (b"CR0007,10.50,3,1970-01-01 00:00:00\nCR0123,0.05,,2024-07-01 12:00:01\n")
    assert day_first.tobytes() == b"01/07/2024 12:00:01"
    with pytest.raises(ValueError, match="cannot be written without quoting"):
        r.text(["a,b"])
