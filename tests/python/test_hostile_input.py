"""Hostile raw input: the build never fails on it, every row lands once with the expected outcome, and
the scores of users whose rows were all valid do not move."""

from __future__ import annotations

import csv
import sys
from collections import Counter

import pytest

from conftest import FIXTURES_DIR, PROJECT_DIR, DbtProject
from marts import MARTS, build, read_events, write_events

HOSTILE = FIXTURES_DIR / "hostile"
sys.path.insert(0, str(HOSTILE))
import make_hostile_events  # noqa: E402

AS_OF = make_hostile_events.AS_OF_DATE
VALID_USERS = make_hostile_events.VALID_USERS
ALL_BUT_UNIT_TESTS = ("--exclude", "test_type:unit")


def raw_key(row) -> tuple:
    """A raw row with null and empty text alike (the CSV reader turns an empty field into null)."""
    return tuple("" if value is None else value for value in row)


@pytest.fixture(scope="module")
def raw_rows() -> list[tuple]:
    return read_events(HOSTILE / "hostile_events.csv")


@pytest.fixture(scope="module")
def expected() -> list[str]:
    with (HOSTILE / "expected_outcomes.csv").open(newline="", encoding="utf-8") as handle:
        return [row["expected"] for row in csv.DictReader(handle)]


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory, dbt_env) -> DbtProject:
    project = DbtProject(PROJECT_DIR, tmp_path_factory.mktemp("hostile"))
    # the corpus is mostly bad rows on purpose: the rejected-share volume guard is lifted for it
    build(project, HOSTILE / "hostile_events.csv", AS_OF, *ALL_BUT_UNIT_TESTS,
          more_vars={"engagement__max_rejected_share": 1})
    return project


def test_the_corpus_files_are_up_to_date(tmp_path):
    make_hostile_events.write(tmp_path)
    for name in ["hostile_events.csv", "expected_outcomes.csv"]:
        assert (tmp_path / name).read_bytes() == (HOSTILE / name).read_bytes(), (
            f"{name} is stale: run python tests/fixtures/hostile/make_hostile_events.py and commit")


def test_the_corpus_has_every_kind_of_row(raw_rows, expected):
    assert len(raw_rows) == len(expected)
    reasons = Counter(expected)
    for reason in ["clean", "missing_event_id", "missing_user_id", "missing_event_type", "invalid_timestamp",
                   "out_of_range_timestamp", "invalid_properties", "duplicate_event_id"]:
        assert reasons[reason] >= 1, reason
    text = "".join(value or "" for row in raw_rows for value in row)
    for needle in ["\n", "\r\n", "\t", '"', ",", "😀", "ユーザー", "NaN", "Infinity", "1e309", "-0", "12abc",
                   "0000-01-01", "9999-12-31T23:59:60Z", "2025-13-01", "1741600800", "[1, 2, 3]", '"just text"']:
        assert needle in text, needle
    assert max(len(value or "") for row in raw_rows for value in row) >= 10_000
    # the valid users' rows are all valid
    assert all(outcome == "clean" for row, outcome in zip(raw_rows, expected) if row[2] in VALID_USERS)


def test_every_raw_row_is_read_and_lands_once_with_its_expected_outcome(hostile_build, raw_rows, expected):
    [(read,)] = hostile_build.query("select count(*) from base_product__events")
    assert read == len(raw_rows), "the CSV reader lost or invented rows"

    expected_rejects = Counter((raw_key(row), outcome) for row, outcome in zip(raw_rows, expected) if outcome != "clean")
    actual_rejects = Counter(
        (raw_key(row[:7]), row[7])
        for row in hostile_build.query(
            "select event_id, occurred_at, user_id, account_id, event_type, properties, loaded_at, reject_reason "
            "from rejected_events"
        )
    )
    differences = [
        f"{key[1]} for {str(key[0])[:160]}: expected {expected_rejects[key]}, got {actual_rejects[key]}"
        for key in set(expected_rejects) | set(actual_rejects)
        if expected_rejects[key] != actual_rejects[key]
    ]
    assert not differences, "\n".join(sorted(differences))

    [(clean,)] = hostile_build.query("select count(*) from fct_events")
    assert clean == expected.count("clean")
    assert clean + sum(actual_rejects.values()) == len(raw_rows)
    expected_ids = {row[0].strip(" \t\r\n") for row, outcome in zip(raw_rows, expected) if outcome == "clean"}
    assert {event_id for (event_id,) in hostile_build.query("select event_id from fct_events")} == expected_ids


def test_hostile_users_are_scored_without_breaking_the_marts(hostile_build):
    users = {user for (user,) in hostile_build.query("select distinct entity_id from fct_engagement_scores")}
    assert {"h1", "h-numbers", "h-dates", "ユーザー😀", "h'); drop table fct_events; --"} <= users
    # two valid sessions of the largest double: the average overflows, the points stay at the cap
    [(points,)] = hostile_build.query(
        "select points from fct_engagement_score_components "
        "where entity_id = 'h-numbers' and period_start = '2025-03-01' and signal = 'session_time'"
    )
    assert points == 25


def test_valid_users_score_as_if_the_hostile_rows_were_not_there(hostile_build, raw_rows, tmp_path, dbt_env):
    valid_only = DbtProject(PROJECT_DIR, tmp_path)
    events = write_events(tmp_path / "valid_only.csv", [row for row in raw_rows if row[2] in VALID_USERS])
    build(valid_only, events, AS_OF, *ALL_BUT_UNIT_TESTS)

    users = ", ".join(f"'{user}'" for user in VALID_USERS)
    # a percentile ranks a score among all of the period's entities: the hostile users move it
    filters = {
        "fct_engagement_scores": ("* exclude (percentile)", f"score_model = 'saas_customer' and entity_id in ({users})"),
        "fct_engagement_score_components": ("*", f"score_model = 'saas_customer' and entity_id in ({users})"),
        "fct_events": ("*", f"user_id in ({users})"),
        "rejected_events": ("*", f"user_id in ({users})"),
    }
    for mart, (columns, where) in filters.items():
        with_hostile = sorted(hostile_build.query(f"select {columns} from {mart} where {where}"), key=repr)
        alone = sorted(valid_only.query(f"select {columns} from {mart} where {where}"), key=repr)
        assert with_hostile == alone, mart
        if mart != "rejected_events":
            assert alone, f"{mart} has no rows for the valid users: the comparison would be empty"
