"""Per-run job arguments: run tags `lakehouse/job_arg/<name>` and `lakehouse run --job-arg`."""

from __future__ import annotations

import pytest

from lakehouse_assets.cli import _parser
from lakehouse_assets.resources.launcher import JobArgumentTagError, tag_arguments


def test_tags_become_glue_arguments_and_other_tags_are_ignored():
    tags = {
        "lakehouse/job_arg/retrain_statistics": "true",
        "lakehouse/job_arg/limit": "10",
        "lakehouse/trigger": "cli",
        "dagster/partition": "20240701",
    }
    assert tag_arguments(tags) == {"--limit": "10", "--retrain_statistics": "true"}
    assert tag_arguments({}) == {}


@pytest.mark.parametrize("name", ["lakehouse_root", "landing", "run_id", "Retrain", "a-b", ""])
def test_framework_arguments_and_bad_names_are_refused(name):
    with pytest.raises(JobArgumentTagError) as err:
        tag_arguments({f"lakehouse/job_arg/{name}": "x"})
    assert str(err.value).startswith(f"run tag 'lakehouse/job_arg/{name}' cannot become a job")
    assert "remove or rename the tag" in str(err.value)


def test_the_cli_takes_repeatable_name_value_pairs(capsys):
    args = _parser().parse_args(
        ["run", "--job-arg", "retrain_statistics=true", "--job-arg", "note=a=b"]
    )
    assert args.job_arg == ["retrain_statistics=true", "note=a=b"]
    with pytest.raises(SystemExit):
        _parser().parse_args(["run", "--job-arg", "retrain_statistics"])
    assert "'retrain_statistics' is not NAME=VALUE" in capsys.readouterr().err
