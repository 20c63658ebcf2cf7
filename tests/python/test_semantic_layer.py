"""The dbt Semantic Layer (issue 13): `mf validate-configs` passes, and `mf query` gives the numbers
plain SQL on the marts gives, on the built sample."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import copy_project

MF = Path(sys.executable).parent / "mf"


@pytest.fixture(scope="module")
def mf(built_sample, tmp_path_factory):
    """Runs mf in a copy of the project (its target/ is the copy's) against the built sample."""
    project_dir = copy_project(tmp_path_factory.mktemp("mf_project") / "project")
    env = {**os.environ, "DBT_PROFILES_DIR": str(project_dir), "ENGAGEMENT_DUCKDB_PATH": str(built_sample.database),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}

    # mf reads target/semantic_manifest.json, which any dbt command writes (make run's build does)
    parsed = subprocess.run([str(MF.parent / "dbt"), "parse"], cwd=project_dir, env=env, capture_output=True, text=True,
                            timeout=300)
    assert parsed.returncode == 0, parsed.stdout + parsed.stderr

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(MF), *args], cwd=project_dir, env=env, capture_output=True, text=True, timeout=300)

    def query(metrics: str, group_by: str, where: str | None = None) -> list[dict]:
        out = project_dir / "query.csv"
        args = ["query", "--metrics", metrics, "--group-by", group_by, "--csv", str(out)]
        if where:
            args += ["--where", where]
        done = run(*args)
        assert done.returncode == 0, done.stdout + done.stderr
        with out.open(newline="") as handle:
            return list(csv.DictReader(handle))

    run.query = query
    return run


def close(a, b) -> bool:
    if a in ("", None) or b is None:
        return a in ("", None) and b is None
    return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(b)))


def test_validate_configs_passes(mf):
    done = mf("validate-configs")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ERRORS: 0" in done.stdout and "Breaking issues" not in done.stdout


def test_scores_per_model_and_month_match_the_marts(mf, built_sample):
    rows = mf.query("scored_entities,average_normalized_score,share_in_lowest_band,share_in_top_band",
                    "engagement_score__score_model,metric_time__month")
    expected = {
        (model, str(month)): (entities, average, lowest, top)
        for model, month, entities, average, lowest, top in built_sample.query(
            """
            select
                scores.score_model,
                cast(date_trunc('month', scores.period_start) as timestamp),
                count(distinct scores.entity_id),
                avg(scores.normalized_score),
                avg(case when bands.band_order = 3 then 1.0 else 0.0 end),
                avg(case when bands.band_order = 1 then 1.0 else 0.0 end)
            from fct_engagement_scores as scores
            left join engagement_bands as bands on scores.score_model = bands.score_model and scores.band = bands.band
            group by all
            """
        )
    }
    got = {(row["engagement_score__score_model"], row["metric_time__month"]): row for row in rows}
    assert set(got) == set(expected) and len(expected) > 20
    for key, (entities, average, lowest, top) in expected.items():
        row = got[key]
        assert int(row["scored_entities"]) == entities, key
        assert close(row["average_normalized_score"], average), (key, row, average)
        assert close(row["share_in_lowest_band"], lowest), (key, row, lowest)
        assert close(row["share_in_top_band"], top), (key, row, top)
    # the README's figure: saas_customer's June, 69.9% at risk
    assert round(100 * float(got[("saas_customer", "2025-06-01 00:00:00")]["share_in_lowest_band"]), 1) == 69.9


def test_scores_sliced_by_crm_account_attributes_match_the_marts(mf, built_sample):
    rows = mf.query("average_normalized_score,entity_periods", "account__plan,engagement_score__score_model",
                    where="{{ Dimension('engagement_score__score_model') }} = 'saas_customer'")
    expected = dict(((plan or ""), (average, count)) for plan, average, count in built_sample.query(
        """
        select accounts.plan, avg(scores.normalized_score), count(*)
        from fct_engagement_scores as scores
        left join dim_accounts as accounts on scores.account_id = accounts.account_id
        where scores.score_model = 'saas_customer'
        group by accounts.plan
        """))
    got = {row["account__plan"]: row for row in rows}
    assert set(got) == set(expected) and {"starter", "growth", "enterprise"} <= set(got)
    for plan, (average, count) in expected.items():
        assert close(got[plan]["average_normalized_score"], average), plan
        assert int(got[plan]["entity_periods"]) == count, plan


def test_points_per_signal_and_current_scores_match_the_marts(mf, built_sample):
    rows = mf.query("signal_points", "score_component__score_model,score_component__signal")
    expected = {(model, signal): points for model, signal, points in built_sample.query(
        "select score_model, signal, sum(points) from fct_engagement_score_components group by all")}
    got = {(row["score_component__score_model"], row["score_component__signal"]):
           row["signal_points"] for row in rows}
    assert set(got) == set(expected)
    assert all(close(got[key], value) for key, value in expected.items())

    rows = mf.query("current_entities,current_average_normalized_score", "trailing_score__score_model")
    expected = {model: (entities, average) for model, entities, average in built_sample.query(
        "select score_model, count(distinct entity_id), avg(normalized_score) from fct_engagement_trailing_scores "
        "group by all")}
    got = {row["trailing_score__score_model"]: row for row in rows}
    assert set(got) == set(expected)
    for model, (entities, average) in expected.items():
        assert int(got[model]["current_entities"]) == entities and close(got[model]["current_average_normalized_score"],
                                                                         average)


def test_band_moves_and_alerts_match_the_marts(mf, built_sample):
    rows = mf.query("band_moves_down,band_moves_up", "engagement_score__score_model,metric_time__month")
    expected = {(model, str(month)): (down, up) for model, month, down, up in built_sample.query(
        """
        select score_model, cast(date_trunc('month', period_start) as timestamp),
               count(*) filter (where band_change = 'down'), count(*) filter (where band_change = 'up')
        from fct_engagement_scores group by all
        """)}
    got = {(row["engagement_score__score_model"], row["metric_time__month"]): row for row in rows}
    assert set(got) == set(expected) and sum(down for down, _ in expected.values()) > 0
    for key, (down, up) in expected.items():
        assert (int(got[key]["band_moves_down"]), int(got[key]["band_moves_up"])) == (down, up), key

    rows = mf.query("alerts,alerted_entities", "engagement_alert__score_model,engagement_alert__alert_type")
    expected = {(model, kind): (alerts, entities) for model, kind, alerts, entities in built_sample.query(
        "select score_model, alert_type, count(*), count(distinct entity_id) from fct_engagement_alerts group by all")}
    got = {(row["engagement_alert__score_model"], row["engagement_alert__alert_type"]):
           (int(row["alerts"]), int(row["alerted_entities"])) for row in rows}
    assert got == expected and len(expected) >= 4


def test_outcome_rate_by_band_matches_the_calibration_mart(mf, built_sample):
    rows = mf.query("outcome_rate", "engagement_outcome_calibration__score_model,"
                    "engagement_outcome_calibration__outcome,engagement_outcome_calibration__band")
    expected = {(model, outcome, band): rate for model, outcome, band, rate in built_sample.query(
        """
        select score_model, outcome, band, sum(entities_with_outcome) * 1.0 / sum(entities)
        from fct_engagement_outcome_calibration group by all
        """)}
    got = {(row["engagement_outcome_calibration__score_model"], row["engagement_outcome_calibration__outcome"],
            row["engagement_outcome_calibration__band"]): row["outcome_rate"] for row in rows}
    assert set(got) == set(expected) and len(expected) >= 3
    for key, rate in expected.items():
        assert close(got[key], rate), key
