"""Changing the seeds changes the scores, with no SQL edited; a broken seed stops the build."""

from __future__ import annotations

import csv

from conftest import FIXTURES_DIR, DbtProject, copy_project

VARS = {"events_path": str(FIXTURES_DIR / "integration" / "raw_events.csv"), "as_of_date": "2025-03-20"}


def rewrite_csv(path, change):
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    fields = list(rows[0])
    rows = change(rows)
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def scores(project: DbtProject) -> dict:
    return {
        (entity, str(period)): (float(score), float(max_score), band)
        for entity, period, score, max_score, band in project.query(
            "select entity_id, period_start, score, max_score, band from fct_engagement_scores"
        )
    }


def test_editing_weights_and_bands_changes_scores(tmp_path, dbt_env):
    project_dir = copy_project(tmp_path / "project")
    project = DbtProject(project_dir, tmp_path)
    result, failures = project.build(VARS)
    assert result.success and not failures, failures
    before = scores(project)
    assert before[("u1", "2025-02-01")] == (90.0, 150.0, "medium")  # the seed document's worked example

    def weekly_logins_worth_40(rows):
        for row in rows:
            if row["signal"] == "login_frequency" and row["label"] == "weekly":
                row["points"] = "40"
        return rows

    def high_from_85(rows):
        for row in rows:
            if row["band"] == "high":
                row["min_score"] = "85"
            if row["band"] == "medium":
                row["max_score"] = "85"
        return rows

    rewrite_csv(project_dir / "seeds" / "engagement_weights.csv", weekly_logins_worth_40)
    rewrite_csv(project_dir / "seeds" / "engagement_bands.csv", high_from_85)
    result, failures = project.build(VARS)
    assert result.success and not failures, failures
    after = scores(project)

    # 90 + 15 more for weekly logins; the best score is unchanged (daily logins are still worth 50)
    assert after[("u1", "2025-02-01")] == (105.0, 150.0, "high")
    for key, (score, max_score, _) in before.items():
        logins = project.query(
            "select measure_value from fct_engagement_score_components "
            f"where entity_id = '{key[0]}' and period_start = '{key[1]}' and signal = 'login_frequency'"
        )[0][0]
        bump = 15.0 if 4 <= logins < 20 else 0.0
        assert after[key][0] == score + bump, key
        assert after[key][2] == ("high" if after[key][0] >= 85 else "medium" if after[key][0] >= 50 else "at_risk")


def test_a_bad_seed_fails_the_build_before_the_marts(tmp_path, dbt_env):
    project_dir = copy_project(tmp_path / "project")
    project = DbtProject(project_dir, tmp_path)

    def band_gap(rows):
        for row in rows:
            if row["band"] == "medium":
                row["min_score"] = "60"  # nothing covers 50 <= score < 60
        return rows

    rewrite_csv(project_dir / "seeds" / "engagement_bands.csv", band_gap)
    result, failures = project.build(VARS)
    assert not result.success
    assert any("engagement_bands_cover_every_score" in failure for failure in failures), failures
    built = {row[0] for row in project.query("select table_name from information_schema.tables")}
    assert "fct_engagement_scores" not in built
