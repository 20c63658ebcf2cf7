"""Issue 14 on DuckDB: settings never reach SQL unchecked, paths and table mode work, typed raw
columns score like their text, and every refusal is one line naming the setting (no stack trace)."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import subprocess
import sys
import time

import duckdb
import pytest

from conftest import FIXTURES_DIR, PROJECT_DIR, DbtProject, copy_project
from reference_scoring import parse_timestamp

sys.path.insert(0, str(PROJECT_DIR / "scripts"))
import engagement  # noqa: E402

RAW_EVENTS = FIXTURES_DIR / "integration" / "raw_events.csv"
EDGE_EVENTS = FIXTURES_DIR / "engines" / "edge_events.csv"
AS_OF = "2025-03-20"
VARS = {"events_path": str(RAW_EVENTS), "as_of_date": AS_OF}
NO_UNIT_TESTS = ("--exclude-resource-type", "unit_test")
EVENT_MODELS = ("--select", "+fct_events", "+rejected_events", *NO_UNIT_TESTS)
HOSTILE_SCHEMA = 'x"; drop table main.fct_engagement_scores; --'


def build_ok(project: DbtProject, dbt_vars: dict, *extra: str) -> None:
    result, failures = project.build(dbt_vars, *extra)
    assert result.success and not failures, failures


def dbt_refusal(project: DbtProject, *args: str, dbt_vars: dict | None = None) -> str:
    """The error of a dbt command that must fail; fails the test if it succeeds."""
    try:
        result = project.dbt(*args, dbt_vars=dbt_vars)
    except Exception as error:  # a parse-time refusal comes back as dbt's exception
        return str(error)
    assert not result.success, f"dbt {args[0]} succeeded"
    return "\n".join(str(item.message) for item in result.result or [])


def scores(project: DbtProject) -> list[tuple]:
    return sorted(project.query("select * exclude (as_of_date) from fct_engagement_scores"), key=repr)


@pytest.fixture(scope="module")
def built(tmp_path_factory, dbt_env) -> DbtProject:
    """The integration fixture built once from its CSV: the reference the other builds compare with."""
    project = DbtProject(PROJECT_DIR, tmp_path_factory.mktemp("built"))
    build_ok(project, VARS, *NO_UNIT_TESTS)
    return project


# --- defect 1: settings that become identifiers ------------------------------------------------


def test_a_quote_in_engagement_schema_is_refused_before_any_sql(built):
    before = scores(built)
    hostile = DbtProject(PROJECT_DIR, built.work_dir, env={"ENGAGEMENT_SCHEMA": HOSTILE_SCHEMA})
    hostile.database = built.database
    message = dbt_refusal(hostile, "seed", "--select", "key_features", dbt_vars=VARS)
    assert "ENGAGEMENT_SCHEMA" in message and "must match" in message, message
    assert scores(built) == before  # the table the name tried to drop is still there
    assert built.query("select count(*) from duckdb_schemas() where schema_name like 'x%'") == [(0,)]


@pytest.mark.parametrize("var", ["events_schema", "events_table", "events_database"])
def test_a_quote_in_an_events_var_is_refused_at_parse_time(var, project):
    message = dbt_refusal(project, "parse", dbt_vars={var: 'raw"; drop table x; --'})
    assert f"var '{var}'" in message and "must match" in message, message


def test_a_quote_in_the_database_file_name_is_refused(tmp_path, dbt_env):
    project = DbtProject(PROJECT_DIR, tmp_path)
    project.database = tmp_path / 'x"; drop table y; --.duckdb'
    message = dbt_refusal(project, "parse")
    assert "target database" in message and "must match" in message, message


# --- defect 5: paths with braces, DuckDB table mode ---------------------------------------------


def test_an_events_path_with_braces_is_read_as_written(tmp_path, dbt_env):
    """dbt-duckdb formats the location with str.format_map: '{name}.csv' used to read events.csv
    (the source's name), and '{1}' to fail with a stack trace."""
    shutil.copy(RAW_EVENTS, tmp_path / "{name}.csv")
    shutil.copy(EDGE_EVENTS, tmp_path / "events.csv")  # what '{name}' used to turn into
    (tmp_path / "{1}").mkdir()
    shutil.copy(RAW_EVENTS, tmp_path / "{1}" / "ev{0}}.csv")
    project = DbtProject(PROJECT_DIR, tmp_path)
    with RAW_EVENTS.open(newline="", encoding="utf-8") as handle:
        raw_ids = {row["event_id"] for row in csv.DictReader(handle)}
    for path in (tmp_path / "{name}.csv", tmp_path / "{1}" / "ev{0}}.csv"):
        build_ok(project, {**VARS, "events_path": str(path)}, *EVENT_MODELS)
        ids = {row[0] for row in project.query("select event_id from fct_events union all "
                                               "select event_id from rejected_events")}
        assert ids - {None} <= raw_ids and "u1_e01" in ids, sorted(ids)[:5]


def test_duckdb_table_mode_reads_the_events_table(built, tmp_path, dbt_env):
    """events_path '' reads events_schema.events_table from the DuckDB file itself (the README's
    table mode), and scores exactly like the CSV."""
    project = DbtProject(PROJECT_DIR, tmp_path)
    with duckdb.connect(str(project.database)) as connection:
        connection.execute("create schema tracking")
        connection.execute(f"create table tracking.product_events as select * from read_csv('{RAW_EVENTS}', "
                           "header = true, all_varchar = true)")
    build_ok(project, {"events_path": "", "events_schema": "tracking", "events_table": "product_events",
                       "as_of_date": AS_OF}, *NO_UNIT_TESTS)
    assert scores(project) == scores(built)


# --- typed inputs: TIMESTAMPTZ, TIMESTAMP, integer ids -----------------------------------------


def iso_utc(text: str) -> str:
    micros = parse_timestamp(text)
    return (dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=micros)).isoformat() + "Z"


def write_text_form(text_csv):
    """The integration fixture's rows whose timestamps are valid, with integer ids and UTC ISO text:
    the text form of the typed inputs below."""
    with RAW_EVENTS.open(newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle)
                if parse_timestamp(row["occurred_at"]) is not None and parse_timestamp(row["loaded_at"]) is not None
                and row["event_id"].strip() and row["user_id"].strip()]
    numbers: dict[str, int] = {}

    def number(text: str) -> str:
        return str(numbers.setdefault(text.strip(), 1000 + len(numbers)))

    with text_csv.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "event_id": number(row["event_id"]), "user_id": number(row["user_id"]),
                             "occurred_at": iso_utc(row["occurred_at"]), "loaded_at": iso_utc(row["loaded_at"])})
    return text_csv


def test_typed_raw_columns_score_like_their_text(built, tmp_path, dbt_env):
    """A Parquet file whose timestamps are TIMESTAMPTZ (their text ends in +00) and TIMESTAMP and whose
    ids are integers scores exactly like the same events written as text."""
    text_csv = write_text_form(tmp_path / "text.csv")
    typed = tmp_path / "typed.parquet"
    with duckdb.connect() as connection:
        connection.execute("set TimeZone = 'UTC'")
        connection.execute(f"""
            copy (
                select
                    cast(event_id as bigint) as event_id,
                    cast(occurred_at as timestamptz) as occurred_at,
                    cast(user_id as bigint) as user_id,
                    account_id,
                    event_type,
                    properties,
                    cast(cast(loaded_at as timestamptz) as timestamp) as loaded_at
                from read_csv('{text_csv}', header = true, all_varchar = true)
            ) to '{typed}' (format parquet)
        """)
        types = dict(connection.execute(f"select column_name, column_type from (describe select * from '{typed}')")
                     .fetchall())
    assert types["occurred_at"] == "TIMESTAMP WITH TIME ZONE" and types["event_id"] == "BIGINT"

    results = {}
    for name, path in (("text", text_csv), ("typed", typed)):
        project = DbtProject(PROJECT_DIR, tmp_path / name)
        (tmp_path / name).mkdir()
        build_ok(project, {"events_path": str(path), "as_of_date": AS_OF}, *NO_UNIT_TESTS)
        results[name] = (scores(project), project.query("select count(*) from rejected_events")[0][0],
                         sorted(project.query("select event_id, occurred_at, loaded_at from fct_events")))
    assert results["typed"][1] == results["text"][1]
    assert results["typed"][2] == results["text"][2]
    assert results["typed"][0] == results["text"][0]
    assert len(results["text"][0]) > 10


# --- defect 6: one line, exit 1 or 2, no stack trace -------------------------------------------


def run_cli(capsys, *args: str) -> tuple[int, str]:
    code = engagement.main(["run", "--events", str(RAW_EVENTS), "--as-of", AS_OF, *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.mark.parametrize("setting, value, fragment", [
    ("ENGAGEMENT_SCHEMA", HOSTILE_SCHEMA, "ENGAGEMENT_SCHEMA="),
    ("ENGAGEMENT_THREADS", "0", "ENGAGEMENT_THREADS='0' must be a whole number"),
    ("ENGAGEMENT_THREADS", "many", "ENGAGEMENT_THREADS='many' must be a whole number"),
    ("ENGAGEMENT_DUCKDB_PATH", 'data/x".duckdb', "the file name gives the database name"),
    # DuckDB refused these when dbt opened the file, in three tracebacks, and validate called them good
    ("ENGAGEMENT_DUCKDB_MEMORY_LIMIT", "abc", "ENGAGEMENT_DUCKDB_MEMORY_LIMIT='abc' must be a size DuckDB reads"),
    ("ENGAGEMENT_DUCKDB_MEMORY_LIMIT", "1GB'; --", "must be a size DuckDB reads"),
])
def test_bad_settings_are_refused_in_one_line(setting, value, fragment, monkeypatch, capsys, dbt_env):
    monkeypatch.setenv(setting, value)
    code, output = run_cli(capsys)
    assert code == 2, output
    assert fragment in output and "Traceback" not in output, output
    assert len(output.strip().splitlines()) == 1, output


def test_an_unwritable_database_path_is_refused_in_one_line(tmp_path, monkeypatch, capsys, dbt_env):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("ENGAGEMENT_DUCKDB_PATH", str(blocker / "engagement.duckdb"))
    code, output = run_cli(capsys)
    assert code == 2, output
    assert "ENGAGEMENT_DUCKDB_PATH=" in output and "is not a folder" in output and "Traceback" not in output, output


# A reader holding the published DuckDB file no longer blocks the build: engagement.py run writes a
# work file and publishes it by rename (test_publish.py proves it, and the one-line refusal of a
# second concurrent build).


def test_a_failed_seed_test_prints_the_row_and_the_rule(tmp_path, dbt_env):
    """dbt says only "Got 1 result"; the CLI prints each failing row, naming the row and the rule."""
    project_dir = copy_project(tmp_path / "project")
    weights = project_dir / "seeds" / "engagement_weights.csv"
    weights.write_text(weights.read_text().replace("tier,4,20,,25", "tier,4,21,,25"))
    project = DbtProject(project_dir, tmp_path)
    result, failures = project.build(VARS, "--select", "engagement_weights")
    assert not result.success and failures
    lines = engagement.failing_test_rows(result, None, VARS, project_dir=project_dir)
    overlap = [line for line in lines if "tiers overlap" in line]
    assert len(overlap) == 1, lines
    assert "signal='login_frequency'" in overlap[0] and "min_value=4.0000, max_value=21.0000" in overlap[0], overlap
