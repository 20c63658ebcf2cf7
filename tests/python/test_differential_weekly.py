"""Differential test of a score model with a property entity and ISO-week periods.

A copy of the project declares `item_weekly` (entity: the `item_id` property of the events, period:
week, a 14-day trailing window), the build scores hypothesis-drawn item events narrowed to that
model, and a plain-Python reference written from README.md ("Periods, windows, percentiles, cold
start", "Declaring a score model") must agree on every weekly row and every trailing row. The
events are aimed at the edges: Sunday 23:59 and Monday 00:00 in several offsets, item ids padded
with spaces, tabs and line breaks (one item once trimmed), the per-unit floor and caps, the recency
tier at 7 days, events after the as-of date, quiet weeks.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings, HealthCheck, strategies as st

import reference_scoring as reference
from conftest import PROJECT_DIR, DbtProject, copy_project
from event_strategies import render_timestamp
from marts import MODELS_ONLY, write_events
from test_differential import EXAMPLES, RANDOM_SEED

DECLARATION = """\
score_model: item_weekly
entity:
  property: item_id
period: week
window_days: 14
signals:
  - signal: readers
    kind: distinct_entities
    event_type: item_viewed
  - signal: views
    kind: count
    event_type: item_viewed
  - signal: shares
    kind: count
    event_type: item_shared
  - signal: recency
    measure: days_quiet
    kind: days_since_last_event
"""
WEIGHTS = """\
item_weekly,readers,per_unit,,,1,3,9,per reader
item_weekly,views,per_unit,,,2,1,3,per 2 views
item_weekly,shares,tier,2,,,5,,2+ shares
item_weekly,shares,tier,1,2,,2,,1 share
item_weekly,recency,tier,7,,,-4,,quiet 7+ days
"""
BANDS = """\
item_weekly,high,10,,1
item_weekly,mid,3,10,2
item_weekly,low,,3,3
"""
WINDOW_DAYS = 14
# as-of dates on each kind of weekday: Sunday (a week's last day), Monday (its first), mid-week
AS_OF_DATES = ["2025-03-16", "2025-03-17", "2025-03-19", "2025-03-02", "2024-12-31"]
ITEMS = ["a1", " a1", "a1\\t", "b2", "b2\\n", "c3"]
USERS = ["u1", "u2", "u3", " u2 ", "u4"]


@pytest.fixture(scope="module")
def item_project(tmp_path_factory, dbt_env) -> DbtProject:
    import subprocess
    import sys

    work = tmp_path_factory.mktemp("weekly")
    project_dir = copy_project(work / "project")
    (project_dir / "score_models" / "item_weekly.yml").write_text(DECLARATION)
    for seed, rows in (("engagement_weights", WEIGHTS), ("engagement_bands", BANDS)):
        with (project_dir / "seeds" / f"{seed}.csv").open("a") as handle:
            handle.write(rows)
    subprocess.run([sys.executable, str(PROJECT_DIR / "scripts" / "engagement.py"), "generate",
                    "--project-dir", str(project_dir)], check=True, capture_output=True)
    project = DbtProject(project_dir, work)
    result, failures = project.build({"score_model": "item_weekly"}, "--select", "resource_type:seed")
    assert result.success and not failures, failures
    return project


def monday(day: int) -> int:
    year, month, dom = reference.date_of(day)
    return day - dt.date(year, month, dom).weekday()


def expected_rows(raw_rows: list[tuple], as_of: int, config: reference.Config) -> dict:
    """(period_kind, item, period_start) -> (score, normalized, band, is_first) from the README's rules."""
    events = [event for event in reference.classify(raw_rows, config) if event.reject_reason is None]
    by_item = defaultdict(list)
    for event in events:
        properties = reference.parse_properties(event.raw[5]) or {}
        item = reference.strip(reference.scalar_text(properties, "item_id"))
        if item and event.occurred_on <= as_of:
            by_item[item].append(event)
    best = reference.max_score(config)
    rows = {}

    def scored(item_events, start, end, quiet_end):
        viewed = [e for e in item_events if e.event_type == "item_viewed" and start <= e.occurred_on <= end]
        measures = {
            "readers": Fraction(len({e.user_id for e in viewed})),
            "views": Fraction(len(viewed)),
            "shares": Fraction(sum(1 for e in item_events
                                   if e.event_type == "item_shared" and start <= e.occurred_on <= end)),
            "days_quiet": Fraction(quiet_end - max(e.occurred_on for e in item_events if e.occurred_on <= quiet_end)),
        }
        score = sum((reference._signal_points(measures[measure], config.weights.get(signal, []))
                     for signal, measure in config.signals), Fraction(0))
        exact = 100 * min(max(score, Fraction(0)), best) / best
        normalized = (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(Decimal("0.01"), ROUND_HALF_UP)
        band = next(b["band"] for b in config.bands
                    if (b["min_score"] is None or score >= b["min_score"])
                    and (b["max_score"] is None or score < b["max_score"]))
        return score, normalized, band

    for item, item_events in by_item.items():
        first = min(e.occurred_on for e in item_events)
        week = monday(first)
        while week <= as_of:
            end = min(week + 6, as_of)
            rows[("calendar", item, reference.iso_date(week))] = (*scored(item_events, week, end, end), week == monday(first))
            week += 7
        start = as_of - WINDOW_DAYS + 1
        rows[("trailing", item, reference.iso_date(start))] = (*scored(item_events, start, as_of, as_of), first >= start)
    return rows


@st.composite
def item_events(draw):
    as_of_text = draw(st.sampled_from(AS_OF_DATES))
    as_of = reference.parse_date(as_of_text)
    rows = []
    for serial in range(draw(st.integers(1, 14))):
        # around week edges: the as-of week's Monday, the Sunday before, and 7 and 14 days earlier
        edges = [monday(as_of), monday(as_of) - 1, monday(as_of) - 7, monday(as_of) - 8, as_of, as_of + 1,
                 as_of - WINDOW_DAYS, as_of - WINDOW_DAYS + 1]
        day = draw(st.one_of(st.sampled_from(edges), st.integers(as_of - 30, as_of)))
        seconds = draw(st.sampled_from([0, 1, 86_399, 43_200]))
        instant = day * reference.MICROS_PER_DAY + seconds * reference.MICROS_PER_SECOND
        offset = draw(st.sampled_from(["Z", "+09:00", "-05:00", ""]))
        kind = draw(st.sampled_from(["item_viewed", "item_viewed", "Item Viewed", "item_shared", "page_view"]))
        item = draw(st.sampled_from(ITEMS))
        properties = draw(st.sampled_from([f'{{"item_id": "{item}"}}', f'{{"item_id": "{item}", "n": 1}}']))
        rows.append((f"i{serial:03d}", render_timestamp(instant, offset), draw(st.sampled_from(USERS)), None, kind,
                     properties, render_timestamp(instant + 60 * reference.MICROS_PER_SECOND, "Z")))
    return as_of_text, rows


def test_weekly_property_entity_model_agrees_with_the_reference(item_project, tmp_path):
    config = reference.Config.from_seeds(item_project.project_dir / "seeds", score_model="item_weekly")
    events_file = tmp_path / "items.csv"
    compared = []

    # half the saas_customer examples: each is a dbt build of a few seconds
    @settings(max_examples=max(5, EXAMPLES // 2), deadline=None, derandomize=RANDOM_SEED is None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(example=item_events())
    def check(example):
        as_of_text, raw_rows = example
        result, failures = item_project.build(
            {"events_path": str(write_events(events_file, raw_rows)), "as_of_date": as_of_text,
             "score_model": "item_weekly"}, *MODELS_ONLY)
        assert result.success and not failures, failures
        expected = expected_rows(raw_rows, reference.parse_date(as_of_text), config)
        actual = {}
        for row in item_project.query(
            "select 'calendar', entity_id, cast(period_start as varchar), score, normalized_score, band, is_first_period "
            "from fct_engagement_scores where score_model = 'item_weekly' "
            "union all select 'trailing', entity_id, cast(window_start as varchar), score, normalized_score, band, is_new "
            "from fct_engagement_trailing_scores where score_model = 'item_weekly'"
        ):
            actual[(row[0], row[1], row[2])] = (Fraction(row[3]), Decimal(row[4]), row[5], row[6])
        problems = [f"{key}: reference {expected.get(key)}, build {actual.get(key)}"
                    for key in sorted(set(expected) | set(actual)) if expected.get(key) != actual.get(key)]
        assert not problems, f"as of {as_of_text}:\n" + "\n".join(problems[:30])
        compared.append(len(expected))

    check()
    assert len(compared) == max(5, EXAMPLES // 2) and sum(compared) > len(compared), compared
