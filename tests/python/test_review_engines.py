"""Issue 12: the review marts on PostgreSQL and Spark, row by row identical to DuckDB's.

The integration fixture's events and tests/fixtures/review/outcomes.csv, loaded as tables on the
other engines (var outcomes_table), built with the review marts and everything upstream of them;
every column of the four review marts compared with DuckDB's. The statistics (AUC with ties,
lifts, band trend) are computed in SQL on each engine, so this holds each engine to the numbers
the unit tests pin on DuckDB.
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from conftest import FIXTURES_DIR, PROJECT_DIR, DbtProject
from engines import LocalSpark, PostgresServer, find_postgres_bin

RAW_EVENTS = FIXTURES_DIR / "integration" / "raw_events.csv"
OUTCOMES = FIXTURES_DIR / "review" / "outcomes.csv"
OUTCOME_COLUMNS = ["entity_id", "score_model", "entity_type", "outcome", "occurred_at"]
VARS = {"as_of_date": "2025-03-20", "engagement__outcomes_observed_through": "2025-12-31"}
MARTS = ["fct_outcomes", "fct_rejected_outcomes", "fct_engagement_outcome_calibration", "fct_engagement_signal_review"]
SELECT = ["--select", *[f"+{mart}" for mart in MARTS], "--indirect-selection", "cautious",
          "--exclude-resource-type", "unit_test"]


def normalized(value):
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


def rows_of(columns: list[str], records) -> dict:
    rows = sorted((tuple(normalized(value) for value in record) for record in records),
                  key=lambda row: tuple((value is None, repr(value)) for value in row))
    return {"columns": [column.lower() for column in columns], "rows": rows}


# The review's own dbt unit tests (hand-computed AUC, horizon, lifts, trend, parsing) on the engine too.
UNIT_SELECT = ["--select", *[f"test_type:unit,path:{folder}" for folder in (
    "models/staging/outcomes", "models/intermediate/review", "models/marts/review")]]


def build(project: DbtProject, dbt_vars: dict) -> None:
    result, failures = project.build(dbt_vars, *SELECT)
    assert result.success and not failures, "\n".join(failures)
    result = project.dbt("test", *UNIT_SELECT, dbt_vars=dbt_vars)
    ran = [item.node.name for item in (result.result or []) if str(item.node.resource_type) == "unit_test"]
    failures = [f"{item.node.name}: {item.status} {item.message}" for item in (result.result or [])
                if str(item.status) in ("error", "fail")]
    for failure in failures:
        print(failure)
    assert result.success and not failures and len(ran) == 5, ran + failures


def outcome_rows() -> list[tuple]:
    with OUTCOMES.open(newline="", encoding="utf-8") as handle:
        return [tuple(value if value != "" else None for value in row) for row in list(csv.reader(handle))[1:]]


@pytest.fixture(scope="module")
def duckdb_review(tmp_path_factory, dbt_env) -> dict:
    project = DbtProject(PROJECT_DIR, tmp_path_factory.mktemp("review_duckdb"))
    build(project, {**VARS, "events_path": str(RAW_EVENTS), "outcomes_path": str(OUTCOMES)})
    with duckdb.connect(str(project.database)) as connection:
        marts = {}
        for mart in MARTS:
            cursor = connection.execute(f"select * from {mart}")
            marts[mart] = rows_of([d[0] for d in cursor.description], cursor.fetchall())
    return marts


def compare(expected: dict, actual: dict, engine: str) -> None:
    found = []
    for mart in MARTS:
        assert expected[mart]["rows"], f"{mart} is empty on duckdb"
        if expected[mart]["columns"] != actual[mart]["columns"]:
            found.append(f"{mart}: columns differ: {expected[mart]['columns']} / {actual[mart]['columns']}")
            continue
        columns = expected[mart]["columns"]
        left, right = expected[mart]["rows"], actual[mart]["rows"]
        for row in [row for row in left if row not in right]:
            found.append(f"{mart}: only on duckdb: {dict(zip(columns, row))}")
        for row in [row for row in right if row not in left]:
            found.append(f"{mart}: only on {engine}: {dict(zip(columns, row))}")
    assert not found, f"{len(found)} differences between duckdb and {engine}:\n" + "\n".join(found[:100])


@pytest.mark.postgres
def test_postgres_builds_the_same_review_as_duckdb(duckdb_review, tmp_path_factory, dbt_env):
    bin_dir = find_postgres_bin()
    assert bin_dir is not None, "PostgreSQL server binaries not found: `make system-deps` installs them (Debian)"
    server = PostgresServer(bin_dir)
    try:
        server.start()
        server.load_raw_events(RAW_EVENTS)
        connection = server.connect()
        with connection, connection.cursor() as cursor:
            cursor.execute(f"create table raw.outcomes ({', '.join(f'{c} text' for c in OUTCOME_COLUMNS)})")
            cursor.executemany("insert into raw.outcomes values (%s, %s, %s, %s, %s)", outcome_rows())
        connection.close()
        project = DbtProject(PROJECT_DIR, tmp_path_factory.mktemp("review_postgres"), target="postgres",
                             env={**server.env(), "ENGAGEMENT_SCHEMA": "engagement"})
        build(project, {**VARS, "events_path": "", "outcomes_table": "outcomes"})
        connection = server.connect()
        try:
            with connection.cursor() as cursor:
                marts = {}
                for mart in MARTS:
                    cursor.execute(f"select * from engagement.{mart}")
                    marts[mart] = rows_of([d[0] for d in cursor.description], cursor.fetchall())
        finally:
            connection.close()
        compare(duckdb_review, marts, "postgres")
    except Exception:
        print(f"PostgreSQL server log:\n{server.log_tail()}")
        raise
    finally:
        server.stop()


def spark_review_marts(work_dir: Path) -> dict:
    """The review marts built on a local Spark session of this process (see the test below)."""
    spark = LocalSpark()
    try:
        project = DbtProject(PROJECT_DIR, work_dir, target="spark",
                             env={**spark.env(), "ENGAGEMENT_SCHEMA": "engagement"})
        result = project.dbt("seed", dbt_vars={**VARS, "events_path": ""})
        assert result.success
        session = spark.session()
        session.sparkContext.setLogLevel("ERROR")
        spark.load_raw_events(RAW_EVENTS)
        from pyspark.sql.types import StringType, StructField, StructType

        frame = session.createDataFrame(outcome_rows(),
                                        StructType([StructField(c, StringType(), True) for c in OUTCOME_COLUMNS]))
        session.sql("drop table if exists raw.outcomes")
        frame.coalesce(1).write.format("parquet").mode("overwrite").saveAsTable("raw.outcomes")
        build(project, {**VARS, "events_path": "", "outcomes_table": "outcomes"})
        marts = {}
        for mart in MARTS:
            table = session.table(f"engagement.{mart}")
            selected = [f"cast(`{field.name}` as timestamp_ntz) as `{field.name}`"
                        if field.dataType.typeName() == "timestamp" else f"`{field.name}`"
                        for field in table.schema.fields]
            rows = session.sql(f"select {', '.join(selected)} from engagement.{mart}").collect()
            marts[mart] = rows_of(table.columns, [tuple(row) for row in rows])
        return marts
    finally:
        spark.stop()


@pytest.mark.spark
def test_spark_builds_the_same_review_as_duckdb(duckdb_review, tmp_path_factory, dbt_env):
    """Built in a Python process of its own: a local Spark session started after another one was
    stopped in the same process (the suite runs several) can lose its metastore's JDBC driver."""
    import pickle
    import subprocess
    import sys

    work_dir = tmp_path_factory.mktemp("review_spark")
    out = work_dir / "marts.pickle"
    script = ("import pickle, sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); "
              "import test_review_engines as t; "
              "Path(sys.argv[3]).write_bytes(pickle.dumps(t.spark_review_marts(Path(sys.argv[2]))))")
    done = subprocess.run([sys.executable, "-c", script, str(Path(__file__).parent), str(work_dir), str(out)],
                          capture_output=True, text=True, timeout=3000)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    compare(duckdb_review, pickle.loads(out.read_bytes()), "spark")


def test_the_compared_review_holds_the_fixture(duckdb_review):
    """A guard for the comparison: the DuckDB side has every kind of row the engines must match."""
    assert len(duckdb_review["fct_outcomes"]["rows"]) == 8
    assert len(duckdb_review["fct_rejected_outcomes"]["rows"]) == 3
    review = duckdb_review["fct_engagement_signal_review"]
    outcomes = {row[review["columns"].index("outcome")] for row in review["rows"]}
    assert outcomes == {"churned", "renewed", "converted"}
    assert any(row[review["columns"].index("measure_auc")] is not None for row in review["rows"])
