"""Declared feature encodings (lib/feature_config.py) and their Spark columns (lib/features.py)."""

from __future__ import annotations

import pytest

from glue_scripts.lib.feature_config import (
    Band,
    FeatureConfigError,
    Vocabulary,
    bands_from_json,
    bands_to_json,
    slug,
)
from glue_scripts.lib.features import band, is_declared, one_hot

AGE = Band("age_band", "age", (26, 36), ("lt_26", "26_35", "36_up"))
HOME = Vocabulary("v1", (("home", ("RENT", "OWN", "OTHER")), ("grade", ("A", "B"))))


def test_slugs_make_column_names():
    assert [slug(t) for t in ("DEBTCONSOLIDATION", "18-25", " Own Home ", "ç")] == [
        "debtconsolidation",
        "18_25",
        "own_home",
        "",
    ]


def test_vocabulary_columns_put_other_last_and_merge_a_declared_catch_all():
    assert HOME.columns("home") == (("home_rent", "RENT"), ("home_own", "OWN"))
    assert HOME.encoded_columns("home") == ("home_rent", "home_own", "home_other")
    assert HOME.all_columns() == (
        "home_rent",
        "home_own",
        "home_other",
        "grade_a",
        "grade_b",
        "grade_other",
    )


def test_vocabulary_and_bands_round_trip_through_json():
    assert Vocabulary.from_json("v1", HOME.to_json()) == HOME
    assert HOME.to_json() == '{"home":["RENT","OWN","OTHER"],"grade":["A","B"]}'
    assert bands_from_json(bands_to_json((AGE,))) == (AGE,)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Vocabulary(" ", (("x", ("A",)),)), "the version is empty"),
        (lambda: Vocabulary("v", (("x", ("A",)), ("x", ("B",)))), "a feature repeats"),
        (lambda: Vocabulary("v", (("X", ("A",)),)), "lower-case letters, digits and _ only"),
        (lambda: Vocabulary("v", (("x", ()),)), "declares no category"),
        (
            lambda: Vocabulary("v", (("x", ("A-1", "a_1")),)),
            r"give the column names \['x_a_1', 'x_a_1'\]; make them distinct",
        ),
        (lambda: Band("b", "c", (2, 1), ("x", "y", "z")), r"edges \[2, 1\] must rise strictly"),
        (lambda: Band("b", "c", (1,), ("x",)), "1 edges make 2 bands, but 1 labels are given"),
        (lambda: Band("b", "c", (1,), ("x", "X")), "repeat a name"),
        (lambda: Band("B", "c", (1,), ("x", "y")), "names must be lower-case"),
    ],
)
def test_inconsistent_declarations_are_refused(build, message):
    with pytest.raises(FeatureConfigError, match=message):
        build()


def test_an_unknown_feature_is_named():
    with pytest.raises(KeyError, match="feature 'age' is not in vocabulary v1"):
        HOME.categories("age")


@pytest.fixture(scope="module")
def encoded(spark):
    frame = spark.sql(
        "SELECT * FROM VALUES (1, 25.9D, 'RENT'), (2, 26D, 'OWN'), (3, 35.99D, 'OTHER'), "
        "(4, 36D, 'LEASE'), (5, NULL, NULL) AS t(id, age, home)"
    )
    columns = [band(AGE), *one_hot(HOME, "home"), is_declared(HOME, "home").alias("declared")]
    return {r["id"]: r.asDict() for r in frame.select("id", *columns).collect()}


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (1, {"age_band": "lt_26", "home_rent": 1, "home_own": 0, "home_other": 0}),
        (2, {"age_band": "26_35", "home_rent": 0, "home_own": 1, "home_other": 0}),
        (3, {"age_band": "26_35", "home_rent": 0, "home_own": 0, "home_other": 1}),
        (4, {"age_band": "36_up", "home_rent": 0, "home_own": 0, "home_other": 1}),
        (5, {"age_band": None, "home_rent": 0, "home_own": 0, "home_other": 1}),
    ],
)
def test_bands_and_one_hot(encoded, row, expected):
    assert {k: encoded[row][k] for k in expected} == expected


def test_declared_means_listed_in_the_vocabulary(encoded):
    assert [encoded[i]["declared"] for i in range(1, 6)] == [True, True, True, False, False]
