"""Glue-style `--name value` argument parsing (glue_scripts/lib/args.py)."""

from __future__ import annotations

import pytest

from glue_scripts.lib.args import JobArgumentError, parse_args, require, to_argv


def test_parse_args_accepts_pairs_equals_and_flags():
    assert parse_args(["--a", "1", "--b=2", "--flag"]) == {"a": "1", "b": "2", "flag": ""}


def test_parse_args_flag_followed_by_another_argument_stays_empty():
    assert parse_args(["--flag", "--a", "1"]) == {"flag": "", "a": "1"}


def test_parse_args_keeps_values_that_look_like_negative_numbers_or_contain_equals():
    assert parse_args(["--offset", "-5", "--expr=a=b"]) == {"offset": "-5", "expr": "a=b"}


def test_parse_args_keeps_glue_own_arguments():
    argv = ["--JOB_ID", "j_1", "--job-bookmark-option", "job-bookmark-disable"]
    assert parse_args(argv) == {"JOB_ID": "j_1", "job-bookmark-option": "job-bookmark-disable"}


def test_parse_args_last_occurrence_wins():
    assert parse_args(["--a", "1", "--a", "2"]) == {"a": "2"}


def test_parse_args_empty_argv():
    assert parse_args([]) == {}


def test_parse_args_rejects_a_bare_value():
    with pytest.raises(JobArgumentError) as err:
        parse_args(["--a", "1", "stray", "x"])
    assert str(err.value) == ("unexpected argument 'stray': arguments must be '--name value' pairs")


def test_require_returns_the_value():
    assert require({"lakehouse_root": "file:///lake"}, "lakehouse_root") == "file:///lake"


@pytest.mark.parametrize("args", [{}, {"lakehouse_root": ""}])
def test_require_names_the_missing_argument(args):
    with pytest.raises(JobArgumentError) as err:
        require(args, "lakehouse_root")
    assert str(err.value) == (
        "missing job argument --lakehouse_root; start this job through Dagster "
        "(`lakehouse run`) or pass --lakehouse_root explicitly"
    )


def test_to_argv_adds_missing_dashes_and_stringifies():
    assert to_argv({"--a": "1", "b": 2, "--flag": ""}) == ["--a", "1", "--b", "2", "--flag", ""]


def test_to_argv_round_trips_through_parse_args():
    arguments = {"--lakehouse_root": "s3://bucket/lake", "--partition_keys": "20241015,20241016"}
    assert parse_args(to_argv(arguments)) == {
        "lakehouse_root": "s3://bucket/lake",
        "partition_keys": "20241015,20241016",
    }
