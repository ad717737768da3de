"""Conversas' silver and gold jobs with an empty upstream: bronze with no session, and each
silver table of gold empty while the other holds rows."""

from __future__ import annotations

import pytest

from glue_scripts.conversas import gold_metricas_sessao, silver_execucoes
from glue_scripts.lib.job import BlockingCheckError
from lakehouse_assets.domains.conversas import specs
from tests.conversas.sessions import LOAD, bronze, run, session
from tests.empty.empty_lake import EmptyLake, checks

SILVER = [t.qualified_name for t in (specs.SESSOES, specs.EXECUCOES, specs.CHAMADAS_FERRAMENTA)]
GOLD = specs.METRICAS_SESSAO.qualified_name
GOLD_SQL = (
    "SELECT session_id, total_runs, total_tool_calls, CAST(dia AS VARCHAR) FROM t ORDER BY ALL"
)


def _gold(lake: EmptyLake) -> dict:
    try:
        reported = lake.run(gold_metricas_sessao.main, [GOLD])
    except BlockingCheckError as err:
        return {"error": str(err)}
    return {"checks": checks(reported), "rows": lake.rows(GOLD, GOLD_SQL)}


def _silver(lake: EmptyLake) -> dict:
    reported = lake.run(silver_execucoes.main, SILVER)
    return {"checks": checks(reported), "rows": {t: lake.version_rows(t) for t in SILVER}}


@pytest.fixture(scope="module")
def outcomes(spark, tmp_path_factory) -> dict[str, dict]:
    lake = EmptyLake(tmp_path_factory.mktemp("empty_conversas"))
    sessions = (
        session("s1", [run(100, 10, 2, tools=[{"tool_name": "search"}])]),
        session("quiet", []),
    )
    lake.commit(specs.SESSOES_BRONZE, bronze(spark, *sessions))
    results = {"silver": _silver(lake), "gold": _gold(lake)}
    # Silver's runs empty while a session says it has one.
    lake.commit_empty(specs.EXECUCOES)
    results["no_runs"] = _gold(lake)
    # Silver again, then its sessions empty while it holds a run.
    lake.run(silver_execucoes.main, SILVER)
    lake.commit_empty(specs.SESSOES)
    results["no_sessions"] = _gold(lake)
    # Bronze holds no session: every silver table and gold are empty.
    lake.commit_empty(specs.SESSOES_BRONZE, "2024-05-01", LOAD)
    results["silver_of_nothing"] = _silver(lake)
    results["gold_of_nothing"] = _gold(lake)
    return results


def passed(result: dict) -> bool:
    return all(result["checks"].values())


def test_with_rows_every_session_has_its_metrics(outcomes):
    assert outcomes["gold"]["rows"] == [("quiet", 0, 0, "2024-05-01"), ("s1", 1, 1, "2024-05-01")]
    assert passed(outcomes["silver"]) and passed(outcomes["gold"])


def test_runs_of_sessions_that_silver_does_not_agree_on_are_refused(outcomes):
    # Zero runs against a session counting one, or a run of no session: silver contradicts
    # itself, and gold says so instead of publishing metrics that do not add up.
    for case in ("no_runs", "no_sessions"):
        assert "execucoes_reconciliam failed on 1 row(s)" in outcomes[case]["error"], case


def test_bronze_without_sessions_gives_empty_silver_and_gold_with_passing_checks(outcomes):
    silver = outcomes["silver_of_nothing"]
    assert silver["rows"] == dict.fromkeys(SILVER, 0)
    assert passed(silver)
    gold = outcomes["gold_of_nothing"]
    assert gold["rows"] == []
    assert passed(gold)
