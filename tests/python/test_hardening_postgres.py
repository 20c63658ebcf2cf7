"""Issue 14 on PostgreSQL: a quote in a setting never reaches the SQL, and typed raw columns
(timestamptz, timestamp, bigint ids) score exactly like their text form."""

from __future__ import annotations

import pytest

from conftest import PROJECT_DIR, DbtProject
from engines import PostgresServer, find_postgres_bin
from test_hardening import AS_OF, HOSTILE_SCHEMA, NO_UNIT_TESTS, build_ok, dbt_refusal, write_text_form

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def server(dbt_env):
    bin_dir = find_postgres_bin()
    assert bin_dir is not None, "PostgreSQL server binaries not found: `make system-deps` installs them (Debian)"
    server = PostgresServer(bin_dir)
    try:
        server.start()
        yield server
    except Exception:
        print(f"PostgreSQL server log:\n{server.log_tail()}")
        raise
    finally:
        server.stop()


def postgres_project(server: PostgresServer, work_dir, schema: str = "engagement") -> DbtProject:
    return DbtProject(PROJECT_DIR, work_dir, target="postgres", env={**server.env(), "ENGAGEMENT_SCHEMA": schema})


def test_a_quote_in_engagement_schema_is_refused_on_postgres(server, tmp_path):
    project = postgres_project(server, tmp_path)
    result = project.dbt("seed", "--select", "engagement_bands", dbt_vars={"events_path": ""})
    assert result.success
    hostile = postgres_project(server, tmp_path, HOSTILE_SCHEMA.replace("main.fct_engagement_scores",
                                                                         "engagement.engagement_bands"))
    message = dbt_refusal(hostile, "seed", "--select", "key_features", dbt_vars={"events_path": ""})
    assert "ENGAGEMENT_SCHEMA" in message and "must match" in message, message
    with (PROJECT_DIR / "seeds" / "engagement_bands.csv").open() as handle:
        seeded = sum(1 for _ in handle) - 1
    assert server.query("select count(*) from engagement.engagement_bands") == [(seeded,)]
    assert server.query("select count(*) from pg_namespace where nspname like 'x%'") == [(0,)]


@pytest.mark.parametrize("var", ["events_schema", "events_table", "events_database"])
def test_a_quote_in_an_events_var_is_refused_on_postgres(var, server, tmp_path):
    project = postgres_project(server, tmp_path)
    message = dbt_refusal(project, "parse", dbt_vars={"events_path": "", var: 'ev"ents'})
    assert f"var '{var}'" in message and "must match" in message, message


def test_typed_columns_score_like_their_text_on_postgres(server, tmp_path):
    text_csv = write_text_form(tmp_path / "text.csv")
    server.load_raw_events(text_csv, table="text_events")
    connection = server.connect()
    with connection, connection.cursor() as cursor:
        cursor.execute("drop table if exists raw.typed_events")
        cursor.execute("""
            create table raw.typed_events as
            select
                cast(event_id as bigint) as event_id,
                cast(occurred_at as timestamptz) as occurred_at,
                cast(user_id as bigint) as user_id,
                account_id,
                event_type,
                properties,
                cast(cast(loaded_at as timestamptz) at time zone 'UTC' as timestamp) as loaded_at
            from raw.text_events
        """)
    connection.close()
    results = {}
    for table in ("text_events", "typed_events"):
        (tmp_path / table).mkdir()
        project = postgres_project(server, tmp_path / table, schema=f"engagement_{table}")
        build_ok(project, {"events_path": "", "events_table": table, "as_of_date": AS_OF}, *NO_UNIT_TESTS)
        results[table] = (
            server.query(f"select entity_id, period_start, score, band from engagement_{table}.fct_engagement_scores "
                         "order by 1, 2"),
            server.query(f"select event_id, occurred_at, loaded_at from engagement_{table}.fct_events order by 1"),
            server.query(f"select count(*) from engagement_{table}.rejected_events"),
        )
    assert len(results["text_events"][0]) > 10
    assert results["typed_events"] == results["text_events"]
