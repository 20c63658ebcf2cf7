"""The optional CRM accounts source (issue 13): without it everything builds and dim_accounts holds the
events' account ids with null attributes; with it (CSV or Parquet, any path) the attributes arrive,
extra columns are kept, and bad rows are kept with a reason, nothing lost."""

from __future__ import annotations

import csv
import json

import duckdb

from conftest import FIXTURES_DIR

EVENTS = FIXTURES_DIR / "integration" / "raw_events.csv"
SELECT = ("--select", "+dim_accounts", "+fct_rejected_accounts", "--exclude", "test_type:unit", "--indirect-selection", "cautious")
ROWS = [
    ["account_id", "name", "plan", "arr", "owner", "region", "tier"],
    ["acct_x1", "X One", "growth", "48000", "Ada", "EMEA", "gold"],
    [" acct_new\t", "Not yet active", "starter", "", "Bo", "NA", "silver"],
    ["", "Nameless", "growth", "1", "Ada", "EMEA", ""],
    ["acct_bad", "Bad ARR", "growth", "1e309", "Ada", "EMEA", ""],
    ["acct_x1", "X One (old)", "starter", "100", "Ada", "EMEA", ""],
    ["acct_quote", "O'Brien \"Ltd\"; drop table dim_accounts", "growth", "5", "Ada", "EMEA", ""],
]


def build(project, **dbt_vars):
    result, failures = project.build({"events_path": str(EVENTS), **dbt_vars}, *SELECT)
    assert result.success and not failures, failures


def test_without_an_accounts_source_the_event_accounts_have_no_attributes(project):
    build(project)
    events = {account for (account,) in project.query(
        "select distinct account_id from int_events_clean where account_id is not null")}
    rows = project.query("select account_id, account_name, plan, arr, attributes, is_in_crm from dim_accounts")
    assert events and {row[0] for row in rows} == events
    assert all(row[1:] == (None, None, None, None, False) for row in rows)
    assert project.query("select count(*) from fct_rejected_accounts") == [(0,)]


def check_accounts(project):
    dim = {row[0]: row[1:] for row in project.query(
        "select account_id, account_name, plan, arr, is_in_crm, first_event_on, attributes from dim_accounts")}
    assert dim["acct_x1"][:4] == ("X One", "growth", 48000.0, True) and dim["acct_x1"][4] is not None
    assert json.loads(dim["acct_x1"][5])["tier"] == "gold"  # an extra column, kept
    assert dim["acct_new"][:5] == ("Not yet active", "starter", None, True, None)  # in the CRM, no events yet
    assert dim["acct_quote"][0] == "O'Brien \"Ltd\"; drop table dim_accounts"
    rejected = sorted(project.query("select account_id, account_name, reject_reason from fct_rejected_accounts"), key=repr)
    assert rejected == sorted([(None, "Nameless", "missing_account_id"), ("acct_bad", "Bad ARR", "invalid_arr"),
                               ("acct_x1", "X One (old)", "duplicate_account_id")], key=repr)
    assert project.query("select count(*) from dim_accounts where is_in_crm")[0][0] + len(rejected) == len(ROWS) - 1


def test_a_csv_of_accounts_at_an_odd_path(project, tmp_path):
    path = tmp_path / "it's {crm} accounts.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(ROWS)
    build(project, accounts_path=str(path))
    check_accounts(project)


def test_a_parquet_file_of_accounts(project, tmp_path):
    source = tmp_path / "accounts.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(ROWS)
    path = tmp_path / "accounts.parquet"
    with duckdb.connect() as connection:
        connection.execute(f"copy (select * from read_csv('{source}', all_varchar = true)) to '{path}' (format parquet)")
    build(project, accounts_path=str(path))
    check_accounts(project)


def test_an_accounts_table_in_the_duckdb_file(project):
    project.database.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(project.database)) as connection:
        connection.execute("create schema crm")
        connection.execute("create table crm.accounts (account_id varchar, name varchar, plan varchar, arr double, "
                           "owner varchar, region varchar)")
        connection.execute("insert into crm.accounts values ('acct_x1', 'X One', 'growth', 48000, 'Ada', 'EMEA')")
    build(project, accounts_schema="crm", accounts_table="accounts")
    assert project.query("select account_name, arr, is_in_crm from dim_accounts where account_id = 'acct_x1'") == [
        ("X One", 48000.0, True)]


def test_the_accounts_option_is_refused_off_duckdb_in_one_line(capsys):
    import sys

    from conftest import PROJECT_DIR

    sys.path.insert(0, str(PROJECT_DIR / "scripts"))
    import engagement

    assert engagement.main(["run", "--target", "postgres", "--accounts", "crm.csv"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "--accounts reads a file on DuckDB only" in error
