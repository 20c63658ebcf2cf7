"""The same project on PostgreSQL and Spark: every unit and data test green, and the marts identical to DuckDB's.

The integration fixture is built on DuckDB (from the CSV), on a throwaway PostgreSQL 15 server and on
a local Spark (from a table loaded with the same rows), and every column of the score marts, the
clean events and the rejected rows is compared row by row. Any difference fails and is printed.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from conftest import FIXTURES_DIR, PROJECT_DIR, DbtProject
from engines import LocalSpark, PostgresServer, find_postgres_bin

RAW_EVENTS = FIXTURES_DIR / "integration" / "raw_events.csv"
VARS = {"as_of_date": "2025-03-20"}

# Each mart, and the columns that identify a row (None: compare the rows as a multiset).
MARTS = {
    "fct_engagement_scores": ["score_model", "entity_id", "period_start"],
    "fct_engagement_score_components": ["score_model", "entity_id", "period_start", "signal"],
    "fct_events": ["event_id"],
    "rejected_events": None,
}


def normalized(value):
    """One Python value per SQL value, whatever the driver: decimals exact, floats as they are, no zones."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    return value


def sort_key(row: tuple):
    return tuple((value is None, repr(value)) for value in row)


def as_rows(columns: list[str], records) -> dict:
    return {"columns": columns, "rows": sorted((tuple(normalized(v) for v in r) for r in records), key=sort_key)}


def build(project: DbtProject, dbt_vars: dict) -> None:
    result, failures = project.build(dbt_vars)
    assert result.success and not failures, "\n".join(failures)


def with_env(env: dict):
    """Sets env vars for the rest of a fixture; returns what to restore."""
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    return saved


def restore_env(saved: dict) -> None:
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="module")
def duckdb_marts(tmp_path_factory, dbt_env) -> dict:
    project = DbtProject(PROJECT_DIR, tmp_path_factory.mktemp("duckdb"))
    build(project, {**VARS, "events_path": str(RAW_EVENTS)})
    marts = {}
    with duckdb.connect(str(project.database)) as connection:
        for table in MARTS:
            cursor = connection.execute(f"select * from {table}")
            marts[table] = as_rows([d[0] for d in cursor.description], cursor.fetchall())
    return marts


@pytest.fixture(scope="module")
def postgres_marts(tmp_path_factory, dbt_env) -> dict:
    bin_dir = find_postgres_bin()
    assert bin_dir is not None, "PostgreSQL server binaries not found: `make test-deps` installs them (Debian)"
    server = PostgresServer(bin_dir)
    saved = None
    try:
        server.start()
        saved = with_env({**server.env(), "ENGAGEMENT_SCHEMA": "engagement"})
        server.load_raw_events(RAW_EVENTS)
        project = DbtProject(PROJECT_DIR, tmp_path_factory.mktemp("postgres"), target="postgres")
        build(project, {**VARS, "events_path": ""})
        marts = {}
        connection = server.connect()
        try:
            with connection.cursor() as cursor:
                for table in MARTS:
                    cursor.execute(f"select * from engagement.{table}")
                    marts[table] = as_rows([d[0] for d in cursor.description], cursor.fetchall())
        finally:
            connection.close()
        yield marts
    except Exception:
        print(f"PostgreSQL server log:\n{server.log_tail()}")
        raise
    finally:
        if saved is not None:
            restore_env(saved)
        server.stop()


@pytest.fixture(scope="module")
def spark_marts(tmp_path_factory, dbt_env) -> dict:
    spark = LocalSpark()
    saved = with_env({**spark.env(), "ENGAGEMENT_SCHEMA": "engagement"})
    try:
        project = DbtProject(PROJECT_DIR, tmp_path_factory.mktemp("spark"), target="spark")
        # dbt makes the Spark session (from the profile), then the raw events are loaded through it.
        result = project.dbt("seed", dbt_vars={**VARS, "events_path": ""})
        assert result.success
        spark.session().sparkContext.setLogLevel("ERROR")
        spark.load_raw_events(RAW_EVENTS)
        build(project, {**VARS, "events_path": ""})
        marts = {}
        for table in MARTS:
            frame = spark.session().table(f"engagement.{table}")
            # collect() turns timestamps into the Python process's local time; without a zone they stay UTC
            selected = [
                f"cast(`{field.name}` as timestamp_ntz) as `{field.name}`"
                if field.dataType.typeName() == "timestamp" else f"`{field.name}`"
                for field in frame.schema.fields
            ]
            rows = spark.session().sql(f"select {', '.join(selected)} from engagement.{table}").collect()
            marts[table] = as_rows(frame.columns, [tuple(row) for row in rows])
        yield marts
    finally:
        restore_env(saved)
        spark.stop()


def differences(table: str, expected: dict, actual: dict, engine: str) -> list[str]:
    """Row-by-row differences of one mart, keyed by its grain (or as a multiset of rows)."""
    if expected["columns"] != actual["columns"]:
        return [f"{table}: columns differ: duckdb {expected['columns']}, {engine} {actual['columns']}"]
    columns = expected["columns"]
    key_columns = MARTS[table]
    if key_columns is None:
        missing = list(expected["rows"])
        extra = []
        for row in actual["rows"]:
            if row in missing:
                missing.remove(row)
            else:
                extra.append(row)
        return ([f"{table}: only on duckdb: {dict(zip(columns, row))}" for row in missing]
                + [f"{table}: only on {engine}: {dict(zip(columns, row))}" for row in extra])
    positions = [columns.index(name) for name in key_columns]

    def keyed(rows):
        return {tuple(row[i] for i in positions): row for row in rows}

    expected_rows, actual_rows = keyed(expected["rows"]), keyed(actual["rows"])
    found = []
    for key in sorted(set(expected_rows) | set(actual_rows), key=sort_key):
        left, right = expected_rows.get(key), actual_rows.get(key)
        if left is None or right is None:
            found.append(f"{table} {key}: {'missing on ' + engine if right is None else 'only on ' + engine}")
            continue
        for name, a, b in zip(columns, left, right):
            if a != b or type(a) is not type(b):
                found.append(f"{table} {key} {name}: duckdb {a!r}, {engine} {b!r}")
    return found


def assert_identical(duckdb_marts: dict, engine_marts: dict, engine: str) -> None:
    found = []
    for table in MARTS:
        assert duckdb_marts[table]["rows"], f"{table} is empty on duckdb"
        found += differences(table, duckdb_marts[table], engine_marts[table], engine)
    assert not found, f"{len(found)} differences between duckdb and {engine}:\n" + "\n".join(found[:200])


@pytest.mark.postgres
def test_postgres_builds_the_same_marts_as_duckdb(duckdb_marts, postgres_marts):
    assert_identical(duckdb_marts, postgres_marts, "postgres")


@pytest.mark.spark
def test_spark_builds_the_same_marts_as_duckdb(duckdb_marts, spark_marts):
    assert_identical(duckdb_marts, spark_marts, "spark")


def test_the_compared_marts_hold_the_fixture(duckdb_marts):
    """A guard for the comparison itself: the DuckDB side holds every expected score and reject."""
    scores = duckdb_marts["fct_engagement_scores"]
    assert len(scores["rows"]) == 16
    rejects = duckdb_marts["rejected_events"]
    assert len(rejects["rows"]) == 15
    assert Path(RAW_EVENTS).exists()
