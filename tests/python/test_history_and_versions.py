"""Reproducible history: every score row says which rules produced it (weights_version), and the
scores a build published stay queryable after the rules change (fct_engagement_score_history is
append-only: a rebuild, even --full-refresh, never rewrites it)."""

from __future__ import annotations

import csv
import shutil

import pytest

from conftest import FIXTURES_DIR, PROJECT_DIR, DbtProject, copy_project

RAW_EVENTS = FIXTURES_DIR / "integration" / "raw_events.csv"
VARS = {"events_path": str(RAW_EVENTS), "as_of_date": "2025-03-20"}
MODELS_ONLY = ("--exclude", "test_type:unit")


def built(project: DbtProject, *extra: str) -> None:
    result, failures = project.build(VARS, *MODELS_ONLY, *extra)
    assert result.success and not failures, failures


def versions(project: DbtProject) -> dict[str, str]:
    return dict(project.query("select score_model, weights_version from int_engagement_rule_versions"))


def edit_csv(path, change) -> None:
    """Rewrites a seed: change(header, rows) returns the new rows."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = list(reader)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(change(header, rows))


@pytest.fixture(scope="module")
def history_project(tmp_path_factory, dbt_env) -> DbtProject:
    work = tmp_path_factory.mktemp("history")
    return DbtProject(copy_project(work / "project"), work)


def test_weights_version_follows_the_rules_not_their_layout(history_project):
    """Reordered rows, a changed label or description keep every version; a changed weight changes
    its own model's version only; every score row carries its model's version."""
    project = history_project
    seeds = project.project_dir / "seeds"
    built(project)
    first = versions(project)
    assert len(first) == 7 and len(set(first.values())) == 7, first
    missing = project.query("select count(*) from fct_engagement_scores s left join int_engagement_rule_versions v "
                            "on s.score_model = v.score_model where s.weights_version is distinct from v.weights_version")
    assert missing == [(0,)]

    # layout only: rows reversed, labels reworded, a model's description changed
    edit_csv(seeds / "engagement_weights.csv",
             lambda header, rows: [row[:-1] + [row[-1] + " (reworded)"] for row in reversed(rows)])
    edit_csv(seeds / "engagement_bands.csv", lambda header, rows: list(reversed(rows)))
    declaration = project.project_dir / "score_models" / "lead_engagement.yml"
    declaration.write_text(declaration.read_text(encoding="utf-8").replace(
        "description:", "# a comment\ndescription:", 1), encoding="utf-8")
    assert project.dbt("seed", "--full-refresh", dbt_vars=VARS).success
    assert project.dbt("run", "--select", "int_engagement_rule_versions", dbt_vars=VARS).success
    assert versions(project) == first

    # a rule: one tier of saas_customer's login_frequency earns 26 instead of 25
    def one_more_point(header, rows):
        return [row[:6] + ["26"] + row[7:] if row[0] == "saas_customer" and row[6] == "25" and row[1] == "login_frequency"
                else row for row in rows]
    edit_csv(seeds / "engagement_weights.csv", one_more_point)
    assert project.dbt("seed", "--full-refresh", dbt_vars=VARS).success
    assert project.dbt("run", "--select", "int_engagement_rule_versions", dbt_vars=VARS).success
    after = versions(project)
    assert after["saas_customer"] != first["saas_customer"]
    assert {m: v for m, v in after.items() if m != "saas_customer"} == \
        {m: v for m, v in first.items() if m != "saas_customer"}


def test_history_keeps_what_was_published_when_the_rules_change(history_project):
    """Runs after the test above (same project): a rebuild with the same rules appends nothing; the
    changed weight appends the saas_customer scores it changed, under the new version, and leaves
    every earlier row as it was; --full-refresh does not empty the history."""
    project = history_project
    seeds = project.project_dir / "seeds"
    # start again from the shipped weights, with no history yet
    shutil.copy2(PROJECT_DIR / "seeds" / "engagement_weights.csv", seeds / "engagement_weights.csv")
    built(project, "--full-refresh")
    project.query("drop table fct_engagement_score_history")
    built(project)
    history = project.query("select * from fct_engagement_score_history order by all")
    exposed = project.query(
        "select (select count(*) from fct_engagement_scores) + (select count(*) from fct_engagement_trailing_scores)")
    assert len(history) == exposed[0][0] > 0
    assert len({row[0] for row in history}) == 1  # one recorded_at

    built(project)
    assert project.query("select * from fct_engagement_score_history order by all") == history

    old_version = versions(project)["saas_customer"]

    def one_more_point(header, rows):
        return [row[:6] + ["26"] + row[7:] if row[0] == "saas_customer" and row[6] == "25" and row[1] == "login_frequency"
                else row for row in rows]
    edit_csv(seeds / "engagement_weights.csv", one_more_point)
    built(project, "--full-refresh")
    new_version = versions(project)["saas_customer"]
    assert new_version != old_version
    after = project.query("select * from fct_engagement_score_history order by all")
    assert set(history) <= set(after), "an earlier history row was rewritten or lost"
    added = [row for row in after if row not in set(history)]
    columns = [name for (name,) in project.query(
        "select column_name from information_schema.columns where table_name = 'fct_engagement_score_history'"
        " order by ordinal_position")]
    version_at = columns.index("weights_version")  # (history_key comes after it)
    assert added and all(row[1] == "saas_customer" and row[version_at] == new_version for row in added)
    # every saas_customer score is recorded again under the new version, nothing else is
    saas_scores = project.query(
        "select (select count(*) from fct_engagement_scores where score_model = 'saas_customer')"
        " + (select count(*) from fct_engagement_trailing_scores where score_model = 'saas_customer')")[0][0]
    assert len(added) == saas_scores
    # "what did the score say before the change": the latest row recorded before the new build
    before = project.query(
        f"""
        select count(*) from fct_engagement_score_history
        where score_model = 'saas_customer' and weights_version = '{old_version}'
        """)
    assert before[0][0] == saas_scores
