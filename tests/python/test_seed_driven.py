"""Changing the seeds changes the scores, with no SQL edited; a broken seed stops the build."""

from __future__ import annotations

import csv
import sys

import pytest

from conftest import FIXTURES_DIR, PROJECT_DIR, DbtProject, copy_project

sys.path.insert(0, str(PROJECT_DIR / "scripts"))
import engagement_config  # noqa: E402

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
            "select entity_id, period_start, score, max_score, band from fct_engagement_scores "
            "where score_model = 'saas_customer'"
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
            if row["score_model"] == "saas_customer" and row["signal"] == "login_frequency" and row["label"] == "weekly":
                row["points"] = "40"
        return rows

    def high_from_85(rows):
        for row in rows:
            if row["score_model"] == "saas_customer" and row["band"] == "high":
                row["min_score"] = "85"
            if row["score_model"] == "saas_customer" and row["band"] == "medium":
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
            "select measure_value from fct_engagement_score_components where score_model = 'saas_customer' "
            f"and entity_id = '{key[0]}' and period_start = '{key[1]}' and signal = 'login_frequency'"
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


# Broken seeds that slip past validation when someone runs `dbt build` directly: a seed test (or the
# seed load itself) fails the build with a message naming the problem, and the score marts of the
# last good build stay as they were. fct_events and rejected_events do not read these seeds, so
# they may be rebuilt.
SCORE_MARTS = ["fct_engagement_scores", "fct_engagement_score_components"]


@pytest.fixture(scope="module")
def good_build(tmp_path_factory, dbt_env):
    work = tmp_path_factory.mktemp("broken_seeds")
    project = DbtProject(copy_project(work / "project"), work)
    result, failures = project.build(VARS)
    assert result.success and not failures, failures
    return project


def score_marts(project: DbtProject) -> dict:
    return {mart: sorted(project.query(f"select * from {mart}"), key=repr) for mart in SCORE_MARTS}


def repeat_rows(**match):
    """A change for rewrite_csv: the rows matching all the given column values appear twice."""
    def change(rows):
        return rows + [row for row in rows if all(row[column] == value for column, value in match.items())]
    return change


@pytest.mark.parametrize("seed, change, failing_test, problem", [
    # (a duplicate signal cannot reach dbt: signals are declared in score_models/*.yml, which
    # `validate` and `generate` refuse with a duplicate; a duplicated allow-list row can)
    pytest.param("key_features.csv", repeat_rows(feature="reports"),
                 "engagement_unique_combination_key_features_score_model__feature",
                 ("saas_customer", "reports", 2), id="duplicate-allow-list-row"),
    pytest.param("engagement_weights.csv", repeat_rows(signal="login_frequency", label="weekly"),
                 "engagement_weights_are_consistent_engagement_weights_",
                 ("saas_customer", "login_frequency", "tiers overlap: a value may match two rows"),
                 id="duplicate-tier-weight-row"),
    pytest.param("engagement_weights.csv", repeat_rows(signal="feature_adoption"),
                 "engagement_weights_are_consistent_engagement_weights_",
                 ("saas_customer", "feature_adoption", "a per_unit signal has exactly one row"),
                 id="duplicate-per-unit-weight-row"),
    # band_order against the scores: medium ranked above high turned band_down and sustained_low the
    # wrong way (validate refuses it too; a repeated order is the seed's uniqueness rule)
    pytest.param("engagement_bands.csv", lambda rows: [
        {**row, "band_order": {"high": "2", "medium": "1"}.get(row["band"], row["band_order"])}
        if row["score_model"] == "saas_customer" else row for row in rows],
                 "assert_band_order_follows_scores", ("saas_customer", "medium", 1, "high", 2),
                 id="band-order-against-the-scores"),
])
def test_a_duplicated_seed_row_fails_its_seed_test_and_publishes_no_scores(good_build, seed, change, failing_test,
                                                                            problem):
    before = score_marts(good_build)
    path = good_build.project_dir / "seeds" / seed
    original = path.read_bytes()
    rewrite_csv(path, change)
    try:
        result, failures = good_build.build(VARS)
        assert not result.success
        failed = [item for item in result.result if str(item.status) in ("error", "fail")]
        assert [item.node.name for item in failed] == [failing_test], failures
        # the test's own rows say what is wrong (what `dbt test --store-failures` would keep),
        # beside the failing row's own values
        rows = good_build.query(failed[0].node.compiled_code)
        assert any(all(value in row for value in problem) for row in rows), rows
        skipped = {item.node.name for item in result.result if str(item.status) == "skipped"}
        # the scores are skipped (the components too, unless the seed is one they do not read: the bands)
        assert "fct_engagement_scores" in skipped
        assert score_marts(good_build) == before
    finally:
        path.write_bytes(original)


def test_a_weight_that_is_not_a_number_fails_the_seed_load_naming_file_column_and_value(good_build):
    before = score_marts(good_build)
    path = good_build.project_dir / "seeds" / "engagement_weights.csv"
    original = path.read_bytes()

    def points_with_a_word(rows):
        for row in rows:
            if row["label"] == "weekly":
                row["points"] = "25 points"
        return rows

    rewrite_csv(path, points_with_a_word)
    try:
        result, failures = good_build.build(VARS)
        assert not result.success
        [error] = [item for item in result.result if str(item.status) in ("error", "fail")]
        assert error.node.name == "engagement_weights" and error.node.resource_type == "seed", failures
        # What dbt-duckdb says, in full: the seed and its file, the line, the column, the value and the type.
        for words in ["Runtime Error in seed engagement_weights (seeds/engagement_weights.csv)",
                      'Error when converting column "points"',
                      "Could not convert string \"25 points\" to 'DECIMAL'",
                      "saas_customer,login_frequency,tier,4,20,,25 points,,weekly"]:
            assert words in error.message, error.message
        skipped = {item.node.name for item in result.result if str(item.status) == "skipped"}
        assert set(SCORE_MARTS) <= skipped
        assert score_marts(good_build) == before
    finally:
        path.write_bytes(original)


# --- one statement of the seed rules: validate and dbt's seed tests find the same problems ----------

BROKEN_SEEDS = {
    "engagement_alert_rules.csv": [
        ("saas_account,sudden_drop,20,40,,", "saas_account,sudden_drop,,,,"),
        ("saas_account,sustained_low,,,2,", "saas_account,sustained_low,,,2,7"),
        ("saas_account,gone_quiet,,,,14", "saas_account,gone_quiet,,,,"),
        ("lead_engagement,sudden_drop,15,50,,", "lead_engagement,sudden_drop,15,140,,"),
        ("lead_engagement,sustained_low,,,4,", "lead_engagement,sustained_low,,,0,"),
        ("lead_engagement,gone_quiet,,,,21", "lead_engagement,gone_quiet,-3,,,21"),
        ("content_engagement,band_down,,,,", "content_engagement,band_down,,5,,"),
    ],
    "engagement_bands.csv": [
        ("saas_account,medium,35,70,2", "saas_account,medium,40,70,2"),
        ("product_engagement,at_risk,,120,3", "product_engagement,at_risk,0,120,3"),
        ("lead_engagement,hot,35,,1", "lead_engagement,hot,35,90,1"),
        ("content_engagement,medium,25,60,2", "content_engagement,medium,60,25,2"),
    ],
    "engagement_weights.csv": [
        ("lead_engagement,email_opens,per_unit,,,1,2,10", "lead_engagement,email_opens,per_unit,,,0,2,10"),
        ("lead_engagement,meetings,per_unit,,,1,10,20", "lead_engagement,meetings,per_unit,,,1,10,"),
        ("lead_engagement,demos,per_unit,,,1,25,25", "lead_engagement,demos,per_unit,,,1,25,-25"),
        ("content_engagement,shares,per_unit,,,1,10,20", "content_engagement,shares,per_unit,5,,1,10,20"),
        ("saas_account,login_days,tier,8,20,,15,,", "saas_account,login_days,tier,8,20,1,15,,"),
        ("saas_account,active_users,tier,5,10,", "saas_account,active_users,tier,12,10,"),
        ("saas_account,seat_utilization,tier,50,80,", "saas_account,seat_utilization,tier,50,85,"),
        ("lead_engagement,recency,tier,14,28,", "lead_engagement,recency,tier,,,"),
        ("content_item_engagement,shares,per_unit,,,1,5,30,per share\n",
         "content_item_engagement,shares,per_unit,,,1,5,30,per share\ncontent_item_engagement,shares,linear,,,1,5,30,x\n"
         "content_item_engagement,readers,per_unit,,,1,2,40,again\nsaas_customer,nsp,tier,9,,,25,,x\n"),
    ],
}
SEED_KEYS = {"engagement_alert_rules.csv": ("score_model", "alert_type"), "engagement_bands.csv": ("score_model", "band"),
             "engagement_weights.csv": ("score_model", "signal")}
SEED_TESTS = {"engagement_alert_rules_are_consistent": "engagement_alert_rules.csv",
              "engagement_bands_cover_every_score": "engagement_bands.csv",
              "engagement_weights_are_consistent_engagement_weights_": "engagement_weights.csv"}


def test_validate_and_the_seed_tests_find_the_same_problems(tmp_path, dbt_env):
    """The rules are declared once, in seeds/_seeds.yml: validate (Python, before a build) and the dbt
    seed tests (during it) read the same declarations, and on seeds broken in every declared way they
    name the same rows with the same messages (validate's may add the place, e.g. `(gap)`)."""
    project_dir = copy_project(tmp_path / "project")
    for seed, edits in BROKEN_SEEDS.items():
        path = project_dir / "seeds" / seed
        text = path.read_text()
        for old, new in edits:
            assert old in text, old
            text = text.replace(old, new, 1)
        path.write_text(text)

    config = engagement_config.check_configuration(project_dir)
    by_line = {}
    for seed in BROKEN_SEEDS:
        with (project_dir / "seeds" / seed).open(newline="") as handle:
            reader = csv.DictReader(handle)
            by_line[seed] = {reader.line_num: row for row in reader}
    python = set()
    for problem in config.problems:
        seed = problem.file.removeprefix("seeds/")
        assert seed in BROKEN_SEEDS, str(problem)
        line = int(problem.where.split()[1].rstrip(","))
        python.add((seed, tuple(by_line[seed][line][column] for column in SEED_KEYS[seed]), problem.message))

    project = DbtProject(project_dir, tmp_path)
    result = project.dbt("build", "--select", "engagement_alert_rules engagement_bands engagement_weights")
    failed = {item.node.name: item.node for item in result.result if str(item.status) in ("error", "fail")}
    assert set(failed) == set(SEED_TESTS), sorted(failed)
    sql = set()
    for name, node in failed.items():
        for row in project.query(node.compiled_code):
            sql.add((SEED_TESTS[name], tuple(row[:2]), row[-1]))

    unmatched_python = {p for p in python if not any(p[:2] == s[:2] and p[2].startswith(s[2]) for s in sql)}
    unmatched_sql = {s for s in sql if not any(p[:2] == s[:2] and p[2].startswith(s[2]) for p in python)}
    assert not unmatched_python and not unmatched_sql, (sorted(unmatched_python), sorted(unmatched_sql))
    assert len(sql) >= 20, sorted(sql)
