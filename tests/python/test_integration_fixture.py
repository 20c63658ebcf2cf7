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
            on scores.entity_id = components.entity_id and scores.period_start = components.period_start
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
    assert built.query("select distinct cast(as_of_date as varchar), cast(max_score as integer) from fct_engagement_scores") == [
        (AS_OF, 150)
    ]
