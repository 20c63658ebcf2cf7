"""Issue 12, review and adjust: outcomes in, the review marts, suggest-weights and diff (DuckDB).

The statistics themselves are pinned by dbt unit tests on hand-computed fixtures
(models/*/review/_review__unit_tests.yml); here: the outcomes source end to end, the sample's
hidden relation recovered, the SQL AUC against a second implementation in Python on the sample's
thousands of tied values, and the two commands.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES_DIR, PROJECT_DIR, DbtProject, copy_project

sys.path.insert(0, str(PROJECT_DIR / "scripts"))
import engagement_suggest  # noqa: E402
import generate_sample_events  # noqa: E402

RAW_EVENTS = FIXTURES_DIR / "integration" / "raw_events.csv"
OUTCOMES = FIXTURES_DIR / "review" / "outcomes.csv"
FIXTURE_VARS = {"events_path": str(RAW_EVENTS), "outcomes_path": str(OUTCOMES), "as_of_date": "2025-03-20",
                "engagement__outcomes_observed_through": "2025-12-31"}
REVIEW_MARTS = ["fct_outcomes", "fct_rejected_outcomes", "fct_engagement_outcome_calibration",
                "fct_engagement_signal_review"]


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(PROJECT_DIR / "scripts" / "engagement.py"), *args], cwd=PROJECT_DIR,
                          capture_output=True, text=True, env={**os.environ, **(env or {})})


def digest(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def fixture_project(tmp_path_factory, dbt_env) -> DbtProject:
    project = DbtProject(PROJECT_DIR, tmp_path_factory.mktemp("review_fixture"))
    result, failures = project.build(FIXTURE_VARS)
    assert result.success and not failures, failures
    return project


@pytest.fixture(scope="module")
def sample(tmp_path_factory, dbt_env) -> tuple[DbtProject, Path]:
    """The default sample (1,000 users, 6 months, seed 42), saas_customer only."""
    work = tmp_path_factory.mktemp("review_sample")
    events = work / "sample_events.csv"
    assert generate_sample_events.main(["--out", str(events)]) == 0
    project = DbtProject(PROJECT_DIR, work)
    result, failures = project.build({"events_path": str(events), "outcomes_path": str(work / "sample_outcomes.csv"),
                                      "score_model": "saas_customer"}, "--exclude-resource-type", "unit_test")
    assert result.success and not failures, failures
    return project, events


def test_outcomes_are_parsed_matched_and_rejected_with_a_reason(fixture_project):
    assert fixture_project.query("select count(*) from fct_outcomes") == [(8,)]
    assert sorted(fixture_project.query("select coalesce(raw_entity_id, '(null)'), reject_reason "
                                        "from fct_rejected_outcomes")) == [
        ("(null)", "missing_entity_id"), ("u5", "invalid_timestamp"), ("u5", "unknown_score_model")]
    matched = dict(((model, entity, outcome), str(day)) for model, entity, outcome, day in fixture_project.query(
        "select score_model, entity_id, outcome, first_occurred_on from int_outcomes_matched"))
    assert matched[("saas_customer", "u4", "churned")] == "2025-02-11"   # -02:00 moves it to the next UTC day
    assert matched[("saas_customer", "u6", "churned")] == "2025-05-30"   # the first of two
    assert matched[("saas_customer", "u3", "churned")] == "2025-03-05"   # a date alone
    # an entity type alone: every model of that type
    assert {model for model, entity, _ in matched if entity == "acct_x1"} == {"saas_account", "product_engagement"}
    assert ("content_engagement", "u2", "renewed") in matched and ("saas_customer", "u2", "renewed") in matched


def test_observations_follow_the_horizon(fixture_project):
    rows = {(entity, str(period)): had for entity, period, had in fixture_project.query(
        "select entity_id, period_start, had_outcome from int_engagement_outcome_observations "
        "where score_model = 'saas_customer' and outcome = 'churned' and signal = '(score)'")}
    assert rows[("u4", "2025-01-01")] is True            # churned Feb 11, within January's horizon
    assert ("u4", "2025-02-01") not in rows              # already churned by February's end
    assert rows[("u6", "2025-02-01")] is False           # May 30 is 91 days after Feb 28
    assert rows[("u6", "2025-03-01")] is True
    assert ("u3", "2025-03-01") not in rows and rows[("u3", "2025-02-01")] is True
    assert rows[("u2", "2025-02-01")] is False           # u2 never churned


def test_without_outcomes_the_review_marts_are_empty(tmp_path, dbt_env):
    project = DbtProject(PROJECT_DIR, tmp_path)
    result, failures = project.build({"events_path": str(RAW_EVENTS), "as_of_date": "2025-03-20"},
                                     "--select", "+" + " +".join(REVIEW_MARTS), "--indirect-selection", "cautious",
                                     "--exclude-resource-type", "unit_test")
    assert result.success and not failures, failures
    for mart in REVIEW_MARTS:
        assert project.query(f"select count(*) from {mart}") == [(0,)], mart


def test_the_sample_events_are_unchanged_and_the_outcomes_deterministic():
    start = dt.date(2025, 1, 1)
    events, outcomes = generate_sample_events.generate(120, 3, start, 7, with_outcomes=True)
    assert events == generate_sample_events.generate(120, 3, start, 7)
    assert (events, outcomes) == generate_sample_events.generate(120, 3, start, 7, with_outcomes=True)
    assert len(outcomes) > 10 and all(row[1] in ("saas_customer", "saas_custmer", "") for row in outcomes)


def test_the_review_recovers_the_samples_hidden_relation(sample):
    project, _ = sample
    review = {signal: (rank, float(strength)) for signal, rank, strength in project.query(
        "select signal, strength_rank, predictive_strength from fct_engagement_signal_review "
        "where score_model = 'saas_customer' and outcome = 'churned'")}
    # churn follows detractor NPS and few login days; session time plays no part in it (it ranks
    # close behind logins only because the personas with long sessions also log in often)
    assert review["nps"][0] == 1 and review["login_frequency"][0] == 2, review
    assert review["session_time"][1] < review["login_frequency"][1], review
    assert review["support_tickets"][1] < 0.05, review    # drawn independently of everything
    trends = project.query("select distinct band_trend from fct_engagement_outcome_calibration "
                           "where score_model = 'saas_customer'")
    assert trends == [("rising",)]
    [(score_auc,)] = project.query("select distinct score_auc from fct_engagement_signal_review "
                                   "where score_model = 'saas_customer'")
    assert float(score_auc) < 0.2


def test_the_sql_auc_matches_a_python_implementation_on_the_sample(sample):
    project, _ = sample
    observations = project.query(
        "select signal, measure_value, had_outcome from int_engagement_outcome_observations "
        "where score_model = 'saas_customer' and outcome = 'churned' and measure_value is not null")
    sql = {signal: float(auc) for signal, auc in project.query(
        "select signal, auc from int_engagement_outcome_aucs where score_model = 'saas_customer'")}
    by_signal: dict[str, tuple[list, list]] = {}
    for signal, value, had in observations:
        values, labels = by_signal.setdefault(signal, ([], []))
        values.append(value)
        labels.append(had)
    assert set(by_signal) == set(sql) and len(sql) == 7
    for signal, (values, labels) in by_signal.items():
        assert len(set(values)) < len(values)   # ties, many
        assert round(engagement_suggest.auc(values, labels), 4) == pytest.approx(sql[signal], abs=1e-9), signal
    # and the unit test's hand-computed case
    assert round(engagement_suggest.auc([1, 2, 2, 3, 3], [False, True, False, True, True]), 4) == 0.9167


def test_suggest_weights_writes_a_proposal_in_the_seeds_format(sample, tmp_path):
    pytest.importorskip("sklearn")
    project, _ = sample
    seed = PROJECT_DIR / "seeds" / "engagement_weights.csv"
    before = digest(seed)
    out = tmp_path / "proposed.csv"
    env = {"ENGAGEMENT_DUCKDB_PATH": str(project.database)}
    done = cli("suggest-weights", "--model", "saas_customer", "--outcome", "churned", "--out", str(out), env=env)
    assert done.returncode == 0, done.stderr
    assert digest(seed) == before
    assert "| current weights | 0." in done.stdout and "| proposed weights | 0." in done.stdout
    with seed.open(newline="") as handle:
        current = list(csv.DictReader(handle))
    with out.open(newline="") as handle:
        proposed = list(csv.DictReader(handle))
    assert out.read_text().splitlines()[0] == seed.read_text().splitlines()[0]
    assert [row for row in proposed if row["score_model"] != "saas_customer"] == \
        [row for row in current if row["score_model"] != "saas_customer"]
    changed = {row["signal"] for old, row in zip(current, proposed) if old != row}
    assert changed and changed <= {"login_frequency", "feature_adoption", "session_time", "inactivity", "nps",
                                   "support_tickets"}
    # the proposal passes the same checks as the seed
    import engagement_config

    copy = copy_project(tmp_path / "project")
    (copy / "seeds" / "engagement_weights.csv").write_bytes(out.read_bytes())
    assert engagement_config.check_configuration(copy).problems == []
    # never over the seed
    refused = cli("suggest-weights", "--model", "saas_customer", "--outcome", "churned", "--out", str(seed), env=env)
    assert refused.returncode == 2 and "never overwrites" in refused.stderr and digest(seed) == before
    unknown = cli("suggest-weights", "--model", "saas_customer", "--outcome", "renewed", env=env)
    assert unknown.returncode == 2 and len(unknown.stderr.strip().splitlines()) == 1, unknown.stderr


def test_diff_counts_match_a_direct_rebuild(tmp_path, dbt_env):
    events = tmp_path / "events.csv"
    assert generate_sample_events.main(["--out", str(events), "--users", "80", "--months", "2"]) == 0
    proposed = tmp_path / "weights.csv"
    lines = (PROJECT_DIR / "seeds" / "engagement_weights.csv").read_text().splitlines(keepends=True)
    weekly = "saas_customer,login_frequency,tier,4,20,,25,,weekly\n"
    assert weekly in lines
    proposed.write_text("".join(line.replace(",25,,weekly", ",40,,weekly") for line in lines))
    published = tmp_path / "published.duckdb"
    output = tmp_path / "diff"
    done = cli("diff", "--weights", str(proposed), "--events", str(events), "--output", str(output),
               "--fail-if-moved", "0", env={"ENGAGEMENT_DUCKDB_PATH": str(published)})
    assert not published.exists()                     # the published file is never touched
    with (output / "band_migration.csv").open(newline="") as handle:
        migration = [(row["score_model"], row["band_before"], row["band_after"], int(row["entities"]))
                     for row in csv.DictReader(handle)]
    moved = sum(count for _, before, after, count in migration if before != after)
    assert moved > 0 and done.returncode == 1 and "--fail-if-moved 0%" in done.stderr, done.stderr
    assert "| before \\ after |" in done.stdout

    def latest_bands(project_dir: Path, work: Path) -> dict:
        project = DbtProject(project_dir, work)
        result, failures = project.build({"events_path": str(events)}, "--exclude-resource-type", "unit_test")
        assert result.success and not failures, failures
        return {(model, entity): band or "(none)" for model, entity, band in project.query(
            "select score_model, entity_id, band from fct_engagement_scores where (score_model, period_start) in "
            "(select score_model, max(period_start) from fct_engagement_scores group by score_model)")}

    before = latest_bands(PROJECT_DIR, tmp_path / "before")
    edited = copy_project(tmp_path / "edited")
    (edited / "seeds" / "engagement_weights.csv").write_bytes(proposed.read_bytes())
    after = latest_bands(edited, tmp_path / "after")
    direct: dict[tuple, int] = {}
    for key in before:
        cell = (key[0], before[key], after[key])
        direct[cell] = direct.get(cell, 0) + 1
    assert {(model, b, a): n for model, b, a, n in migration} == direct
    assert moved == sum(1 for key in before if before[key] != after[key])


def test_diff_and_run_refuse_bad_input_in_one_line(tmp_path):
    checks = [
        cli("diff"),
        cli("diff", "--weights", str(tmp_path / "missing.csv")),
        cli("diff", "--base-ref", "no-such-ref", "--events", str(RAW_EVENTS)),
        cli("diff", "--weights", str(OUTCOMES), "--fail-if-moved", "150"),
        cli("run", "--outcomes", str(tmp_path / "missing.csv")),
    ]
    for done in checks:
        assert done.returncode == 2, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
