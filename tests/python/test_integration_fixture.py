"""The hand-computed integration fixture: raw rows in, every expected score and reject out, row by row."""

from __future__ import annotations

import csv
from decimal import Decimal

import pytest

from conftest import FIXTURES_DIR, DbtProject

FIXTURE = FIXTURES_DIR / "integration"
AS_OF = "2025-03-20"


@pytest.fixture(scope="module")
def built(tmp_path_factory, dbt_env) -> DbtProject:
    from conftest import PROJECT_DIR

    project = DbtProject(PROJECT_DIR, tmp_path_factory.mktemp("integration"))
    result, failures = project.build({"events_path": str(FIXTURE / "raw_events.csv"), "as_of_date": AS_OF})
    assert result.success and not failures, failures
    return project


def read_csv(name: str) -> list[dict]:
    with (FIXTURE / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def number(text: str | None):
    return None if text in (None, "") else Decimal(text)


def test_scores_match_the_hand_computed_fixture_row_by_row(built):
    rows = built.query(
        """
        select
            scores.entity_id,
            cast(scores.period_start as varchar),
            max(case when components.measure = 'login_days' then components.measure_value end),
            max(case when components.measure = 'features_adopted' then components.measure_value end),
            max(case when components.measure = 'avg_session_minutes' then components.measure_value end),
            max(case when components.measure = 'days_inactive' then components.measure_value end),
            max(case when components.measure = 'latest_nps' then components.measure_value end),
            max(case when components.measure = 'open_tickets' then components.measure_value end),
            scores.score,
            scores.normalized_score,
            scores.band
        from fct_engagement_scores as scores
        inner join fct_engagement_score_components as components
            on
                scores.score_model = components.score_model
                and scores.entity_id = components.entity_id
                and scores.period_start = components.period_start
        where scores.score_model = 'saas_customer'
        group by all
        order by 1, 2
        """
    )
    actual = {
        (row[0], row[1]): (
            [None if value is None else round(Decimal(str(value)), 4) for value in row[2:8]],
            Decimal(row[8]), Decimal(row[9]), row[10],
        )
        for row in rows
    }
    expected = {}
    for row in read_csv("expected_scores.csv"):
        measures = [number(row[name]) for name in
                    ["login_days", "features_adopted", "avg_session_minutes", "days_inactive", "latest_nps", "open_tickets"]]
        expected[(row["entity_id"], row["period_start"])] = (
            [None if value is None else round(value, 4) for value in measures],
            Decimal(row["score"]), Decimal(row["normalized_score"]), row["band"],
        )
    differences = [
        f"{key}: expected {expected.get(key)}, got {actual.get(key)}"
        for key in sorted(set(actual) | set(expected))
        if actual.get(key) != expected.get(key)
    ]
    assert not differences, "\n".join(differences)


def test_rejects_match_the_fixture_and_nothing_is_lost(built):
    actual = sorted((event_id or "", reason) for event_id, reason in
                    built.query("select event_id, reject_reason from rejected_events"))
    expected = sorted((row["event_id"], row["reject_reason"]) for row in read_csv("expected_rejects.csv"))
    assert actual == expected

    raw_rows = len(read_csv("raw_events.csv"))
    [(clean,)] = built.query("select count(*) from fct_events")
    assert clean + len(actual) == raw_rows


def test_every_score_row_reads_as_of_the_var(built):
    assert built.query("select distinct cast(as_of_date as varchar), cast(max_score as integer) from fct_engagement_scores "
                       "where score_model = 'saas_customer'") == [(AS_OF, 150)]
    assert built.query("select distinct cast(as_of_date as varchar) from fct_engagement_scores") == [(AS_OF,)]


def test_every_shipped_model_matches_its_hand_computed_rows(built):
    """The rows of expected_model_scores.csv (see the fixture README), calendar and trailing, exactly."""
    expected = {
        (row["score_model"], row["period_kind"], row["entity_id"], row["period_start"]):
            (Decimal(row["score"]), Decimal(row["normalized_score"]), row["band"] or None)
        for row in read_csv("expected_model_scores.csv")
    }
    entities = sorted({(key[0], key[2]) for key in expected})
    actual = {}
    for model, entity in entities:
        rows = built.query(
            f"""
            select 'calendar', cast(period_start as varchar), score, normalized_score, band
            from fct_engagement_scores where score_model = '{model}' and entity_id = '{entity}'
            union all
            select 'trailing', cast(window_start as varchar), score, normalized_score, band
            from fct_engagement_trailing_scores where score_model = '{model}' and entity_id = '{entity}'
            """
        )
        for kind, start, score, normalized, band in rows:
            actual[(model, kind, entity, start)] = (Decimal(score), Decimal(normalized), band)
    differences = [f"{key}: expected {expected.get(key)}, got {actual.get(key)}"
                   for key in sorted(set(actual) | set(expected)) if actual.get(key) != expected.get(key)]
    assert not differences, "\n".join(differences)


def test_account_health_rolls_up_the_users_of_the_account(built):
    # acct_x1 in March: its own 55 (medium) beside its three saas_customer users: 25, 25 and 10 of
    # 150, normalized 16.67, 16.67 and 6.67, all at_risk
    assert built.query(
        "select score, band, user_score_model, users_scored, avg_user_normalized_score, min_user_normalized_score, "
        "users_in_lowest_band, share_in_lowest_band from fct_account_engagement "
        "where score_model = 'saas_account' and account_id = 'acct_x1' and period_start = '2025-03-01'"
    ) == [(Decimal("55"), "medium", "saas_customer", 3, Decimal("13.34"), Decimal("6.67"), 3, Decimal("1"))]
    assert built.query(
        "select band, users_in_band, share_of_users from fct_account_band_mix "
        "where score_model = 'saas_account' and account_id = 'acct_x1' and period_start = '2025-03-01'"
    ) == [("at_risk", 3, Decimal("1"))]


def test_employee_scores_stay_private_and_small_departments_are_suppressed(built):
    assert built.query("select count(*) from fct_engagement_scores where score_model = 'employee_engagement'") == [(0,)]
    assert built.query("select count(*) from fct_engagement_trailing_scores "
                       "where score_model = 'employee_engagement'") == [(0,)]
    assert built.query("select count(*) from fct_engagement_score_components "
                       "where score_model = 'employee_engagement'") == [(0,)]
    # eng: emp_1 65 (survey 4 of 5 -> 75 x 0.8 = 60, 2 recognitions +10, 1.5 absence days -5), four
    # others 80; legal has 2 members, below the floor of 5: no figures at all
    assert sorted(built.query(
        "select group_id, is_suppressed, members, avg_normalized_score, min_normalized_score, share_in_lowest_band "
        "from fct_group_engagement where score_model = 'employee_engagement' and period_start = '2025-01-01'"
    )) == [("eng", False, 5, Decimal("77.00"), Decimal("65.00"), Decimal("0")),
           ("legal", True, None, None, None, None)]
