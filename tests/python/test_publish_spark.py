"""Write, audit, publish on Spark: `engagement.py run --target spark` builds in the database
`engagement__building`, and only after every test passed copies its tables into `engagement` and swaps
them in by rename (Spark has no transactions: see the README's "Operating it"). A cast error leaves the
published tables as they were. (No kill test here: the local session's Derby metastore admits one
process at a time, so a second process cannot build beside the test's session.)
"""

from __future__ import annotations

import sys

import pytest

from conftest import FIXTURES_DIR, PROJECT_DIR, DbtProject, copy_project
from engines import LocalSpark
from test_seed_driven import rewrite_csv

sys.path.insert(0, str(PROJECT_DIR / "scripts"))
import engagement  # noqa: E402

pytestmark = pytest.mark.spark

EVENTS = FIXTURES_DIR / "integration" / "raw_events.csv"
SNAPSHOT_SQL = """
with component_totals as (
    select score_model, entity_id, period_start, sum(points) as points
    from engagement.fct_engagement_score_components group by 1, 2, 3
),
mismatches as (
    select 1 from engagement.fct_engagement_scores as scores
    full outer join component_totals
        on scores.score_model = component_totals.score_model and scores.entity_id = component_totals.entity_id
        and scores.period_start = component_totals.period_start
    where scores.score is null or component_totals.points is null or scores.score <> component_totals.points
)
select
    (select count(*) from engagement.fct_engagement_scores),
    (select count(*) from engagement.fct_engagement_score_components),
    (select count(*) from engagement.fct_events),
    (select count(*) from engagement.rejected_events),
    (select cast(sum(score) as string) || '/' || cast(max(as_of_date) as string) from engagement.fct_engagement_scores),
    (select count(*) from mismatches)
"""


@pytest.fixture(scope="module")
def spark(tmp_path_factory, dbt_env):
    spark = LocalSpark()
    try:
        with pytest.MonkeyPatch.context() as patch:
            for name, value in {**spark.env(), "ENGAGEMENT_SCHEMA": "engagement"}.items():
                patch.setenv(name, value)
            # dbt makes the Spark session (from the profile), then the raw events are loaded through it
            project = DbtProject(PROJECT_DIR, tmp_path_factory.mktemp("spark"), target="spark")
            result = project.dbt("run-operation", "engagement_prepare_work_schema", "--args",
                                 '{"work_schema": "engagement__building", "published_schema": "engagement"}')
            assert result.success
            spark.session().sparkContext.setLogLevel("ERROR")
            spark.load_raw_events(EVENTS)
            yield spark
    finally:
        spark.stop()


def run(spark, monkeypatch, as_of: str, *extra: str) -> int:
    for name, value in {**spark.env(), "ENGAGEMENT_SCHEMA": "engagement"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(PROJECT_DIR)
    return engagement.main(["run", "--target", "spark", "--as-of", as_of, *extra])


def snapshot(spark) -> list[str]:
    return [str(value) for value in spark.query(SNAPSHOT_SQL)[0]]


def tables(spark, database: str) -> set[str]:
    return {row.tableName for row in spark.session().sql(f"show tables in {database}").collect()
            if not row.isTemporary}


def test_spark_publishes_only_whole_tested_builds(spark, monkeypatch, tmp_path):
    assert run(spark, monkeypatch, "2025-03-20") == 0
    first = snapshot(spark)
    assert int(first[0]) > 16 and first[-1] == "0"  # every model's scores, all adding up
    published = tables(spark, "engagement")
    assert {"fct_engagement_scores", "fct_engagement_score_components", "fct_events", "rejected_events"} <= published
    assert not any(name.endswith(("__publishing", "__replaced")) for name in published)

    project_dir = copy_project(tmp_path / "project")

    def huge_weekly_points(rows):
        for row in rows:
            if row["signal"] == "login_frequency" and row["label"] == "weekly":
                row["points"] = "99999999999999"
        return rows

    rewrite_csv(project_dir / "seeds" / "engagement_weights.csv", huge_weekly_points)
    # validate refuses such a weight now: lifted here, to stand for a mistake no check catches
    import engagement_semantics

    monkeypatch.setattr(engagement_semantics, "TOTAL_POINTS_LIMIT", engagement_semantics.Decimal(10) ** 40)
    assert run(spark, monkeypatch, "2025-02-20", "--project-dir", str(project_dir)) == 1
    assert snapshot(spark) == first

    assert run(spark, monkeypatch, "2025-02-20") == 0
    second = snapshot(spark)
    assert second != first and second[-1] == "0" and second[4].endswith("/2025-02-20")
    assert tables(spark, "engagement") == published
