"""The same project on PostgreSQL and Spark: every unit and data test green, and the marts identical to DuckDB's.

The integration fixture is built on DuckDB (from the CSV), on a throwaway PostgreSQL 15 server and on
a local Spark (from a table loaded with the same rows), and every column of the score marts, the
clean events and the rejected rows is compared row by row. Any difference fails and is printed.
Then the edge-case events (tests/fixtures/engines/edge_events.csv: impossible dates, zones, odd
numbers and JSON, whitespace) run through the event models on each engine, compared the same way.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
import datetime as dt

import duckdb
import pytest

from conftest import FIXTURES_DIR, PROJECT_DIR, DbtProject
from engines import LocalSpark, PostgresServer, find_postgres_bin

RAW_EVENTS = FIXTURES_DIR / "integration" / "raw_events.csv"
EDGE_EVENTS = FIXTURES_DIR / "engines" / "edge_events.csv"
VARS = {"as_of_date": "2025-03-20"}
# The edge cases need only the event models (no scores, no tests): they are about parsing.
EDGE_SELECT = ["--select", "+fct_events", "+rejected_events"]
EDGE_MARTS = ["fct_events", "rejected_events"]

# Each mart, and the columns that identify a row (None: compare the rows as a multiset).
MARTS = {
    "fct_engagement_scores": ["score_model", "entity_id", "period_start"],
    "fct_engagement_score_components": ["score_model", "entity_id", "period_start", "signal"],
    "fct_engagement_trailing_scores": ["score_model", "entity_id"],
    "fct_account_engagement": ["score_model", "account_id", "period_start"],
    "fct_account_band_mix": ["score_model", "account_id", "period_start", "band"],
    "fct_group_engagement": ["score_model", "group_id", "period_start"],
    "fct_events": ["event_id"],
    "rejected_events": None,
    "fct_engagement_alerts": ["score_model", "entity_id", "period_start", "alert_type"],
    "fct_engagement_current": ["score_model", "entity_id"],
    "fct_engagement_score_history": ["score_model", "entity_id", "period_kind", "period_start"],
}
# Columns that differ by when a build ran, not by what it computed.
RUN_TIME_COLUMNS = {"recorded_at", "history_key"}  # the history's key covers recorded_at


def normalized(value):
    """One Python value per SQL value, whatever the driver: decimals exact, floats as they are, no zones."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    return value


def sort_key(row: tuple):
    return tuple((value is None, repr(value)) for value in row)


def as_rows(columns: list[str], records) -> dict:
    kept = [i for i, name in enumerate(columns) if name not in RUN_TIME_COLUMNS]
    return {"columns": [columns[i] for i in kept],
            "rows": sorted((tuple(normalized(r[i]) for i in kept) for r in records), key=sort_key)}


def fetch(cursor) -> tuple[list[str], list[tuple]]:
    return [d[0] for d in cursor.description], cursor.fetchall()


def build(project: DbtProject, dbt_vars: dict) -> None:
    result, failures = project.build(dbt_vars)
    assert result.success and not failures, "\n".join(failures)


# Quotes and backslashes, as a var or seed value might hold them: engagement_string_literal must
# render them as data on every engine (Spark's literals take backslash escapes, the others' do not).
ODD_TEXT = "it's a \\ back'slash\\' and ''quotes"


def literal_round_trip(project: DbtProject) -> str:
    """The value engagement_string_literal(ODD_TEXT) renders, read back from the engine."""
    quoted = ODD_TEXT.replace("\\", "\\\\").replace('"', '\\"')
    result = project.dbt("show", "--inline", f'select {{{{ engagement_string_literal("{quoted}") }}}} as value',
                         dbt_vars={**VARS, "events_path": ""})
    assert result.success
    return result.result.results[0].agate_table.rows[0][0]


def run_edge_cases(project: DbtProject, dbt_vars: dict) -> None:
    result = project.dbt("run", *EDGE_SELECT, dbt_vars=dbt_vars)
    failures = [f"{item.node.name}: {item.message}" for item in (result.result or []) if str(item.status) == "error"]
    assert result.success and not failures, "\n".join(failures)


@pytest.fixture(scope="module")
def duckdb_marts(tmp_path_factory, dbt_env) -> dict:
    project = DbtProject(PROJECT_DIR, tmp_path_factory.mktemp("duckdb"))

    def read(tables):
        with duckdb.connect(str(project.database)) as connection:
            return {table: as_rows(*fetch(connection.execute(f"select * from {table}"))) for table in tables}

    build(project, {**VARS, "events_path": str(RAW_EVENTS)})
    marts = read(MARTS)
    run_edge_cases(project, {**VARS, "events_path": str(EDGE_EVENTS)})
    marts["edge"] = read(EDGE_MARTS)
    marts["literal"] = literal_round_trip(project)
    return marts


@pytest.fixture(scope="module")
def postgres_marts(tmp_path_factory, dbt_env) -> dict:
    bin_dir = find_postgres_bin()
    assert bin_dir is not None, "PostgreSQL server binaries not found: `make test-deps` installs them (Debian)"
    server = PostgresServer(bin_dir)
    try:
        server.start()
        server.load_raw_events(RAW_EVENTS)
        project = DbtProject(PROJECT_DIR, tmp_path_factory.mktemp("postgres"), target="postgres",
                             env={**server.env(), "ENGAGEMENT_SCHEMA": "engagement"})

        def read(tables):
            connection = server.connect()
            try:
                with connection.cursor() as cursor:
                    marts = {}
                    for table in tables:
                        cursor.execute(f"select * from engagement.{table}")
                        marts[table] = as_rows(*fetch(cursor))
                    return marts
            finally:
                connection.close()

        build(project, {**VARS, "events_path": ""})
        marts = read(MARTS)
        server.load_raw_events(EDGE_EVENTS, table="edge_events")
        run_edge_cases(project, {**VARS, "events_path": "", "events_table": "edge_events"})
        marts["edge"] = read(EDGE_MARTS)
        marts["literal"] = literal_round_trip(project)
        yield marts
    except Exception:
        print(f"PostgreSQL server log:\n{server.log_tail()}")
        raise
    finally:
        server.stop()


@pytest.fixture(scope="module")
def spark_marts(tmp_path_factory, dbt_env) -> dict:
    spark = LocalSpark()
    try:
        project = DbtProject(PROJECT_DIR, tmp_path_factory.mktemp("spark"), target="spark",
                             env={**spark.env(), "ENGAGEMENT_SCHEMA": "engagement"})
        # dbt makes the Spark session (from the profile), then the raw events are loaded through it.
        result = project.dbt("seed", dbt_vars={**VARS, "events_path": ""})
        assert result.success
        spark.session().sparkContext.setLogLevel("ERROR")
        spark.load_raw_events(RAW_EVENTS)

        def read(tables):
            marts = {}
            for table in tables:
                frame = spark.session().table(f"engagement.{table}")
                # collect() turns timestamps into the Python process's local time; without a zone they stay UTC
                selected = [
                    f"cast(`{field.name}` as timestamp_ntz) as `{field.name}`"
                    if field.dataType.typeName() == "timestamp" else f"`{field.name}`"
                    for field in frame.schema.fields
                ]
                rows = spark.session().sql(f"select {', '.join(selected)} from engagement.{table}").collect()
                marts[table] = as_rows(frame.columns, [tuple(row) for row in rows])
            return marts

        build(project, {**VARS, "events_path": ""})
        marts = read(MARTS)
        spark.load_raw_events(EDGE_EVENTS, table="edge_events")
        run_edge_cases(project, {**VARS, "events_path": "", "events_table": "edge_events"})
        marts["edge"] = read(EDGE_MARTS)
        marts["literal"] = literal_round_trip(project)
        yield marts
    finally:
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
    for table in duckdb_marts:
        assert duckdb_marts[table]["rows"], f"{table} is empty on duckdb"
        found += differences(table, duckdb_marts[table], engine_marts[table], engine)
    assert not found, f"{len(found)} differences between duckdb and {engine}:\n" + "\n".join(found[:200])


def marts_of(marts: dict) -> dict:
    return {table: marts[table] for table in MARTS}


@pytest.mark.postgres
def test_postgres_builds_the_same_marts_as_duckdb(duckdb_marts, postgres_marts):
    assert_identical(marts_of(duckdb_marts), marts_of(postgres_marts), "postgres")


@pytest.mark.postgres
def test_postgres_parses_the_edge_cases_like_duckdb(duckdb_marts, postgres_marts):
    assert_identical(duckdb_marts["edge"], postgres_marts["edge"], "postgres")


@pytest.mark.postgres
def test_postgres_reads_string_literals_back_unchanged(postgres_marts):
    assert postgres_marts["literal"] == ODD_TEXT


@pytest.mark.spark
def test_spark_reads_string_literals_back_unchanged(spark_marts):
    assert spark_marts["literal"] == ODD_TEXT


@pytest.mark.spark
def test_spark_builds_the_same_marts_as_duckdb(duckdb_marts, spark_marts):
    assert_identical(marts_of(duckdb_marts), marts_of(spark_marts), "spark")


@pytest.mark.spark
def test_spark_parses_the_edge_cases_like_duckdb(duckdb_marts, spark_marts):
    assert_identical(duckdb_marts["edge"], spark_marts["edge"], "spark")


def test_duckdb_reads_string_literals_back_unchanged(duckdb_marts):
    assert duckdb_marts["literal"] == ODD_TEXT


def test_the_compared_marts_hold_the_fixtures(duckdb_marts):
    """A guard for the comparison itself: the DuckDB side holds every expected score, and every raw row."""
    scores = duckdb_marts["fct_engagement_scores"]
    model = scores["columns"].index("score_model")
    per_model = Counter(row[model] for row in scores["rows"])
    # every exposed model has rows (employee_engagement is private: in fct_group_engagement only)
    assert per_model["saas_customer"] == 20 and len(per_model) == 6, per_model
    assert len(duckdb_marts["fct_group_engagement"]["rows"]) == 2
    assert len(duckdb_marts["rejected_events"]["rows"]) == 15
    with EDGE_EVENTS.open(newline="", encoding="utf-8") as handle:
        raw_edge_rows = len(list(csv.reader(handle))) - 1
    edge = duckdb_marts["edge"]
    assert len(edge["fct_events"]["rows"]) + len(edge["rejected_events"]["rows"]) == raw_edge_rows


def test_duckdb_parses_the_edge_timestamps_like_the_reference(duckdb_marts):
    """The SQL and reference_scoring.py accept the same timestamp texts: offsets up to 18:00 either
    way (+18:00 yes, +18:01 and +18:59 no), +hh without minutes, the text of a TIMESTAMPTZ (+00).
    The other engines are held to DuckDB's results by the comparisons above."""
    from reference_scoring import parse_timestamp

    edge = duckdb_marts["edge"]
    columns = edge["fct_events"]["columns"]
    clean = {row[columns.index("event_id")]: row[columns.index("occurred_at")] for row in edge["fct_events"]["rows"]}
    with EDGE_EVENTS.open(newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["event_id"].startswith("ts_")]
    assert {"ts_20", "ts_22", "ts_23", "ts_25"} <= {row["event_id"] for row in rows}
    differing = []
    for row in rows:
        micros = parse_timestamp(row["occurred_at"])
        expected = None if micros is None else dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=micros)
        if clean.get(row["event_id"]) != expected:
            differing.append(f"{row['event_id']} {row['occurred_at']!r}: sql {clean.get(row['event_id'])}, "
                             f"reference {expected}")
    assert not differing, "\n".join(differing)


def test_views_whose_text_grows_with_the_declarations_are_tables_on_spark(tmp_path, dbt_env):
    """The local Hive metastore (Derby) refuses a view text over 32,700 characters.
    int_engagement_measures' text grows with every declared signal (about 100 characters each), so
    on Spark it is a table; elsewhere a view (its long rows are never written). Read from dbt's own
    view of each target (dbt ls parses; no session is started)."""

    def materialized(target: str) -> dict[str, str]:
        project = DbtProject(PROJECT_DIR, tmp_path / target, target=target)
        result = project.dbt("ls", "--resource-type", "model", "--select", "int_engagement_measures",
                             "int_engagement_points", "--output", "json", "--output-keys", "name config")
        assert result.success, result
        nodes = [json.loads(line) for line in result.result]
        return {node["name"]: node["config"]["materialized"] for node in nodes}

    assert materialized("spark") == {"int_engagement_measures": "table", "int_engagement_points": "view"}
    assert materialized("duckdb") == {"int_engagement_measures": "view", "int_engagement_points": "view"}
