"""The sample generator, the CLI, and the main job on the sample data."""

from __future__ import annotations

import csv
import subprocess
import sys
from collections import Counter

import pytest

from conftest import PROJECT_DIR, DbtProject

sys.path.insert(0, str(PROJECT_DIR / "scripts"))
import engagement  # noqa: E402
import generate_sample_events  # noqa: E402


def test_sample_is_deterministic_and_messy(tmp_path):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    assert generate_sample_events.main(["--out", str(first)]) == 0
    assert generate_sample_events.main(["--out", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()

    with first.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert 80_000 < len(rows) < 200_000
    assert len({row["user_id"] for row in rows}) >= 990
    months = Counter(row["occurred_at"][:7] for row in rows)
    assert all(months[f"2025-0{month}"] > 5_000 for month in range(1, 7))
    assert months["2025-07"] < 100  # only local times of late-June events with an east offset
    types = Counter(row["event_type"] for row in rows)
    assert {"Sign In", "USER-LOGIN", "feature-usage", "page_view", "NPS"} <= set(types)
    assert any(row["occurred_at"].endswith("+09:00") for row in rows)
    assert any("." in row["occurred_at"][19:] for row in rows)
    ids = Counter(row["event_id"] for row in rows)
    assert sum(1 for count in ids.values() if count > 1) > 100  # re-sent duplicates


def test_cli_help_and_usage_errors(capsys):
    for argv in (["--help"], ["run", "--help"], ["sample", "--help"]):
        with pytest.raises(SystemExit) as exit_info:
            engagement.main(argv)
        assert exit_info.value.code == 0
    assert "--as-of" in capsys.readouterr().out

    with pytest.raises(SystemExit) as exit_info:
        engagement.main(["no-such-command"])
    assert exit_info.value.code == 2

    assert engagement.main(["run", "--as-of", "2025-02-30"]) == 2
    assert "--as-of must be a date written YYYY-MM-DD, got '2025-02-30'" in capsys.readouterr().err
    assert engagement.main(["run", "--score-model", "nope"]) == 2
    assert "--score-model 'nope' is not declared; declared: saas_customer" in capsys.readouterr().err


def test_a_bad_var_is_refused_with_its_name(project):
    with pytest.raises(Exception, match="var 'as_of_date' must be a date written YYYY-MM-DD, got '2025-02-30'"):
        project.build({"events_path": str(PROJECT_DIR / "tests/fixtures/integration/raw_events.csv"),
                       "as_of_date": "2025-02-30"})
    with pytest.raises(Exception, match="var 'max_days_after_loaded_at' must be a whole number >= 0, got '1; drop'"):
        project.build({"max_days_after_loaded_at": "1; drop"})


def test_a_quote_in_a_var_stays_data(project, tmp_path):
    odd = tmp_path / "it's events.csv"
    odd.write_bytes((PROJECT_DIR / "tests/fixtures/integration/raw_events.csv").read_bytes())
    result, failures = project.build({"events_path": str(odd)})
    assert result.success, failures
    # the quote reached the file name intact
    assert project.query("select count(*) from fct_events")[0][0] > 0


def test_an_undeclared_score_model_is_refused(project):
    with pytest.raises(Exception, match="var 'score_model' names no declared score model: 'x' or '1' = '1'"):
        project.build({"score_model": "x' or '1' = '1"})


def test_main_job_on_the_sample(tmp_path):
    """`engagement run` end to end in a subprocess, as the README's command runs it."""
    events = tmp_path / "sample.csv"
    generate_sample_events.main(["--out", str(events)])
    database = tmp_path / "sample.duckdb"
    completed = subprocess.run(
        [sys.executable, str(PROJECT_DIR / "scripts" / "engagement.py"), "run", "--events", str(events)],
        capture_output=True, text=True, env={**__import__("os").environ, "ENGAGEMENT_DUCKDB_PATH": str(database),
                                               "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        timeout=600,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert "Engagement bands for the latest period, 2025-06-01" in completed.stdout
    for band in ("high", "medium", "at_risk"):
        assert f"  {band} " in completed.stdout

    project = DbtProject(PROJECT_DIR, tmp_path)
    project.database = database
    with events.open(newline="") as handle:
        raw = sum(1 for _ in csv.DictReader(handle))
    clean = project.query("select count(*) from fct_events")[0][0]
    rejected = dict(project.query("select reject_reason, count(*) from rejected_events group by 1"))
    assert clean + sum(rejected.values()) == raw
    assert set(rejected) == {"missing_event_id", "missing_user_id", "missing_event_type", "invalid_timestamp",
                             "out_of_range_timestamp", "invalid_properties", "duplicate_event_id"}
    # every user has every month from their first event's month through June, active or not
    gaps = project.query(
        """
        select entity_id from fct_engagement_scores
        group by entity_id
        having count(*) <> date_diff('month', min(period_start), date '2025-06-01') + 1
            or max(period_start) <> date '2025-06-01'
        """
    )
    assert gaps == []
    quiet = project.query("select count(*) from fct_engagement_score_components "
                          "where signal = 'inactivity' and points < 0")[0][0]
    assert quiet > 0


def test_a_build_that_spills_to_disk_gives_the_same_scores(tmp_path):
    """With a memory cap far below what the sample needs, DuckDB spills to its temp_directory; the
    build must still succeed on both threads (dbt-duckdb once re-ran SET temp_directory on every new
    cursor, which DuckDB refuses after a spill) and give the scores of an uncapped build."""
    events = tmp_path / "sample.csv"
    generate_sample_events.main(["--out", str(events)])
    scores = {}
    for memory_limit in ("64MB", "80%"):
        database = tmp_path / f"sample-{memory_limit.strip('%')}.duckdb"
        completed = subprocess.run(
            [sys.executable, str(PROJECT_DIR / "scripts" / "engagement.py"), "run", "--events", str(events)],
            capture_output=True, text=True, timeout=600,
            env={**__import__("os").environ, "ENGAGEMENT_DUCKDB_PATH": str(database), "ENGAGEMENT_THREADS": "2",
                 "ENGAGEMENT_DUCKDB_MEMORY_LIMIT": memory_limit, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        )
        assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
        project = DbtProject(PROJECT_DIR, tmp_path)
        project.database = database
        scores[memory_limit] = project.query("select * from fct_engagement_scores order by all")
    assert len(scores["64MB"]) > 5_000
    assert scores["64MB"] == scores["80%"]
