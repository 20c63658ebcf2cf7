"""The DuckDB plans the events layer depends on for its speed at scale (bench/findings.md).

The staging parse looks each distinct properties text and event-type spelling up once and joins
the result back to the raw rows. DuckDB estimates a grouping to have as many rows as its input, so
it may build the join's hash table on the raw rows (every column of every raw row) instead of the
few distinct texts: at 100M events that hash table spilled and cost 182 s of the model's 677 s. The
texts' groupings carry a filter that keeps every group and lowers the estimate; these tests read
the plan DuckDB makes for the model on a Parquet input (where the earlier form went wrong) and fail
if a lookup's hash table is built on the raw rows.
"""

from __future__ import annotations

import json
import re

import duckdb
import pytest

from conftest import PROJECT_DIR, DbtProject


RAW_COLUMNS = ["event_id", "occurred_at", "user_id", "account_id", "event_type", "properties", "loaded_at"]

# the texts' groupings as the macro writes them, and the `select distinct` form they replaced
GROUPED = re.compile(r"select coalesce\((\w+), ''\) as (\w+)\n(\s*)from (\S+)\n\s*group by coalesce\(\1, ''\)\n"
                     r"\s*having count\(\*\) > 0\n")


def as_first_written(sql: str) -> str:
    return GROUPED.sub(lambda m: f"select distinct coalesce({m[1]}, '') as {m[2]}\n{m[3]}from {m[4]}\n", sql)


@pytest.fixture(scope="module")
def parquet_database(built_sample, tmp_path_factory):
    """The built sample's raw rows as Parquet, behind the same names the compiled model reads, and the
    model's full-build SQL compiled for that file (in a fresh folder and database: compiled against
    the built sample, where the model's table exists, it would be the incremental form)."""
    work = tmp_path_factory.mktemp("plans")
    events = work / "events.parquet"
    with duckdb.connect(str(built_sample.database), read_only=True) as source:
        source.execute(f"copy (select {', '.join(RAW_COLUMNS)} from main.base_product__events) to '{events}'")
        aliases = source.execute("select alias, event_type from main.event_type_aliases").fetchall()
    project = DbtProject(PROJECT_DIR, work)
    assert project.dbt("compile", "--select", "int_events_deduplicated", dbt_vars={"events_path": str(events)}).success
    compiled = work / "target" / "compiled" / "engagement_scoring" / "models" / "intermediate"
    sql = (compiled / "int_events_deduplicated.sql").read_text()
    assert "int_events_deduplicated" not in sql.replace("-- depends_on", "")  # the full-build form
    database = work / "engagement.duckdb"  # the catalog name the compiled SQL names
    with duckdb.connect(str(database)) as connection:
        casts = ", ".join(f"cast({column} as varchar) as {column}" for column in RAW_COLUMNS)
        connection.execute(f"create or replace view main.base_product__events as select {casts} "
                           f"from read_parquet('{events}')")
        connection.execute("create or replace table main.event_type_aliases (alias varchar, event_type varchar)")
        connection.executemany("insert into main.event_type_aliases values (?, ?)", aliases)
    return database, sql


def lookup_join_types(database, sql: str) -> list[str]:
    """The join type of every hash join that matches a raw text to its distinct texts. The model
    writes `raw rows left join texts`; DuckDB builds a hash table on its right child and keeps the
    unmatched rows of the preserved side: while the texts are the build side the join stays LEFT,
    and when DuckDB builds on the raw rows it swaps the children and the join becomes RIGHT."""
    with duckdb.connect(str(database), read_only=True) as connection:
        connection.execute("set explain_output = 'all'")
        plan = json.loads(connection.execute(f"explain (format json) {sql}").fetchall()[-1][1])
    found = []

    def walk(node):
        info = node.get("extra_info") or {}
        if node.get("name") == "HASH_JOIN" and re.search(r"raw_properties|raw_event_type", str(info.get("Conditions"))):
            found.append(info.get("Join Type"))
        for child in node.get("children", []):
            walk(child)

    for root in plan:
        walk(root)
    return found


def test_the_text_lookups_build_their_hash_tables_on_the_distinct_texts(parquet_database):
    database, sql = parquet_database
    # two lookups (properties, event types) in each of the model's two streams
    assert len(GROUPED.findall(sql)) == 4
    assert lookup_join_types(database, sql) == ["LEFT"] * 4


def test_the_plan_check_fails_on_the_form_that_built_on_the_raw_rows(parquet_database):
    """The check above is not vacuous: the `select distinct` form the lookups had before, on the same
    input, builds hash tables on the raw rows."""
    database, sql = parquet_database
    earlier = as_first_written(sql)
    assert not GROUPED.findall(earlier) and earlier.count("select distinct coalesce(") == 4
    types = lookup_join_types(database, earlier)
    assert len(types) == 4 and "RIGHT" in types, types


# --- the incremental run's search for new rows ---
# An incremental run reads every raw row to find the new ones (each loaded_at is parsed: a text that
# does not parse is read by every run). DuckDB holds a CTE that is read more than once whole; when
# that CTE was every raw row with its seven texts, the 100M run filled the 8GB cap and took 90 s
# against 43 s (bench/findings.md). The search now reads the raw rows twice, narrow then filtered,
# and only the batch (the new rows and their event_ids' copies) is held.


@pytest.fixture(scope="module")
def incremental_database(built_sample, parquet_database, tmp_path_factory):
    """A database with the raw rows behind the compiled names and the model's table (the built sample's,
    so every raw row is old), and the model's incremental SQL compiled against it."""
    work = tmp_path_factory.mktemp("plans_incremental")
    database = work / "engagement.duckdb"
    events = parquet_database[0].parent / "events.parquet"
    with duckdb.connect(str(database)) as connection:
        connection.execute(f"attach '{parquet_database[0]}' as plans (read_only)")
        connection.execute(f"attach '{built_sample.database}' as sample (read_only)")
        connection.execute("create table main.event_type_aliases as select * from plans.main.event_type_aliases")
        connection.execute("create table main.int_events_deduplicated as "
                           "select * from sample.main.int_events_deduplicated")
        casts = ", ".join(f"cast({column} as varchar) as {column}" for column in RAW_COLUMNS)
        connection.execute(f"create view main.base_product__events as select {casts} "
                           f"from read_parquet('{events}')")
        [(raw_rows,)] = connection.execute("select count(*) from main.base_product__events").fetchall()
    project = DbtProject(PROJECT_DIR, work, full_refresh=False)
    assert project.dbt("compile", "--select", "int_events_deduplicated", dbt_vars={"events_path": str(events)}).success
    compiled = work / "target" / "compiled" / "engagement_scoring" / "models" / "intermediate"
    sql = (compiled / "int_events_deduplicated.sql").read_text()
    assert "from \"engagement\".\"main\".\"int_events_deduplicated\"" in sql  # the incremental form
    return database, sql, raw_rows


def held_rows(database, sql: str) -> dict[str, int]:
    """The rows DuckDB held for each CTE it materialized while running `sql` (EXPLAIN ANALYZE)."""
    with duckdb.connect(str(database), read_only=True) as connection:
        plan = json.loads(connection.execute(f"explain (analyze, format json) {sql}").fetchall()[-1][1])
    held = {}

    def walk(node):
        if node.get("name") == "CTE":
            held[node["extra_info"]["CTE Name"]] = node["children"][0]["intermediate_rows"]
        for child in node.get("children", []):
            walk(child)

    for root in plan["operator"]:
        walk(root)
    return held


def test_an_incremental_run_holds_only_the_batch_not_every_raw_row(incremental_database):
    database, sql, raw_rows = incremental_database
    held = held_rows(database, sql)
    assert "batch" in held, held  # read by both streams, so held: the check below looks at something
    assert raw_rows > 100_000 and held["batch"] < raw_rows / 10, (raw_rows, held)
    assert all(rows < raw_rows / 10 for rows in held.values()), (raw_rows, held)


def test_the_held_rows_check_sees_a_wide_cte_over_every_raw_row(incremental_database):
    """Not vacuous: the shape the search had before (every raw row with its flag, read twice) is held
    whole by this DuckDB, and the check sees it."""
    database, _, raw_rows = incremental_database
    earlier = """
        with flagged as (
            select *, nullif(trim(event_id), '') as trimmed_event_id,
                coalesce(try_cast(loaded_at as timestamp) >= timestamp '2025-06-01', true) as is_new
            from main.base_product__events
        ),
        new_event_ids as (select distinct trimmed_event_id from flagged where is_new)
        select flagged.* from flagged
        left join new_event_ids on flagged.trimmed_event_id = new_event_ids.trimmed_event_id
        where flagged.is_new or new_event_ids.trimmed_event_id is not null
    """
    assert held_rows(database, earlier).get("flagged") == raw_rows
