"""Write, audit, publish on PostgreSQL: `engagement.py run --target postgres` builds in the schema
`engagement__building` and swaps it in for `engagement` in one transaction. Readers polling during the
publish see one build or the other; a cast error, a kill -9 or views of other schemas on the marts
leave the published schema as it was.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import pytest

from conftest import FIXTURES_DIR, PROJECT_DIR, DbtProject
from engines import PostgresServer, find_postgres_bin
from test_publish import copy_project_with_cli, wait_for_line, without_the_totals_check
from test_seed_driven import rewrite_csv

sys.path.insert(0, str(PROJECT_DIR / "scripts"))
import engagement  # noqa: E402

pytestmark = pytest.mark.postgres

EVENTS = FIXTURES_DIR / "integration" / "raw_events.csv"
STATE_AS_OF = {"A": "2025-03-20", "B": "2025-02-20"}

SNAPSHOT_SQL = """
with component_totals as (
    select score_model, entity_id, period_start, sum(points) as points
    from engagement.fct_engagement_score_components group by 1, 2, 3
),
mismatches as (
    select 1 from engagement.fct_engagement_scores as scores
    full outer join component_totals using (score_model, entity_id, period_start)
    where scores.score is null or component_totals.points is null or scores.score <> component_totals.points
)
select
    (select count(*) from engagement.fct_engagement_scores),
    (select count(*) from engagement.fct_engagement_score_components),
    (select count(*) from engagement.fct_events),
    (select count(*) from engagement.rejected_events),
    (select sum(score)::text || '/' || max(as_of_date)::text from engagement.fct_engagement_scores),
    (select count(*) from mismatches)
"""


@pytest.fixture(scope="module")
def server(dbt_env):
    bin_dir = find_postgres_bin()
    assert bin_dir is not None, "PostgreSQL server binaries not found: `make system-deps` installs them (Debian)"
    server = PostgresServer(bin_dir)
    try:
        server.start()
        server.load_raw_events(EVENTS)
        yield server
    except Exception:
        print(f"PostgreSQL server log:\n{server.log_tail()}")
        raise
    finally:
        server.stop()


def env_of(server: PostgresServer) -> dict:
    return {**server.env(), "ENGAGEMENT_SCHEMA": "engagement", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "ENGAGEMENT_PUBLISH_PAUSE_AT": ""}


def run(server, monkeypatch, capfd, state: str, *extra: str) -> tuple[int, str]:
    for name, value in env_of(server).items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(PROJECT_DIR)
    capfd.readouterr()
    code = engagement.main(["run", "--target", "postgres", "--as-of", STATE_AS_OF[state], *extra])
    out, err = capfd.readouterr()
    return code, out + err


def snapshot(server) -> list[str]:
    return [str(value) for value in server.query(SNAPSHOT_SQL)[0]]


def schemas(server) -> set[str]:
    return {row[0] for row in server.query("select nspname from pg_namespace where nspname like 'engagement%'")}


@pytest.fixture(scope="module")
def states(server):
    """Each state's snapshot, from a publish of each (in this process); state A is published last."""
    found = {}
    with pytest.MonkeyPatch.context() as patch:
        for state in ("B", "A"):
            for name, value in env_of(server).items():
                patch.setenv(name, value)
            patch.chdir(PROJECT_DIR)
            assert engagement.main(["run", "--target", "postgres", "--as-of", STATE_AS_OF[state]]) == 0
            found[state] = snapshot(server)
    assert found["A"] != found["B"] and found["A"][-1] == found["B"][-1] == "0"
    return found


def test_readers_polling_during_a_publish_see_one_build_or_the_other(server, states, monkeypatch, capfd):
    seen, errors, stop = [], [], threading.Event()

    def poll():
        connection = server.connect()
        connection.autocommit = True
        try:
            while not stop.is_set():
                try:
                    with connection.cursor() as cursor:
                        cursor.execute(SNAPSHOT_SQL)
                        seen.append([str(value) for value in cursor.fetchone()])
                except Exception as error:  # noqa: BLE001 - recorded and asserted on below
                    errors.append(" ".join(str(error).split()))
        finally:
            connection.close()

    reader = threading.Thread(target=poll)
    reader.start()
    try:
        for state in ("B", "A"):
            code, output = run(server, monkeypatch, capfd, state)
            assert code == 0, output[-3000:]
    finally:
        stop.set()
        reader.join(timeout=60)
    assert not errors, errors[:5]
    assert [poll for poll in seen if poll not in (states["A"], states["B"])] == []
    assert states["B"] in seen
    assert snapshot(server) == states["A"]


def test_a_cast_error_leaves_the_published_schema_as_it_was(server, states, monkeypatch, capfd, tmp_path):
    project_dir = without_the_totals_check(copy_project_with_cli(tmp_path / "project"))

    def huge_weekly_points(rows):
        for row in rows:
            if row["signal"] == "login_frequency" and row["label"] == "weekly":
                row["points"] = "99999999999999"
        return rows

    rewrite_csv(project_dir / "seeds" / "engagement_weights.csv", huge_weekly_points)
    completed = subprocess.run(
        [sys.executable, str(project_dir / "scripts" / "engagement.py"), "run", "--target", "postgres",
         "--as-of", STATE_AS_OF["B"]], capture_output=True, text=True, timeout=600, env={**os.environ, **env_of(server)})
    assert completed.returncode == 1, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert snapshot(server) == states["A"]
    assert completed.stderr.strip().splitlines()[-1].endswith(
        "nothing was published: schema engagement is as it was (the failed build is in engagement__building)")


def test_a_kill_9_leaves_the_published_schema_as_it_was_and_the_next_run_starts_clean(server, states, monkeypatch,
                                                                                       capfd):
    command = [sys.executable, str(PROJECT_DIR / "scripts" / "engagement.py"), "run", "--target", "postgres",
               "--as-of", STATE_AS_OF["B"]]
    for point in ("OK created sql table model engagement__building.fct_engagement_score_components",
                  "engagement publish: paused at built"):
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                   env={**os.environ, **env_of(server), "ENGAGEMENT_PUBLISH_PAUSE_AT": "built"})
        try:
            wait_for_line(process, point)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=60)
        assert snapshot(server) == states["A"]
        assert "engagement__building" in schemas(server)
    code, output = run(server, monkeypatch, capfd, "B")
    assert code == 0, output[-3000:]
    assert snapshot(server) == states["B"]
    assert schemas(server) == {"engagement"}  # no work schema, no replaced schema left
    # the helper function and the staging views that call it moved with the schema
    assert server.query("select engagement.engagement_try_jsonb('{\"a\": 1}')::text") == [('{"a": 1}',)]
    assert server.query("select count(*) from engagement.stg_product__events")[0][0] == 149


def test_an_empty_events_table_fails_the_build_and_publishes_nothing(server, states, monkeypatch, capfd):
    """Issue 14, defect 3 on PostgreSQL: an empty feed used to replace every published score with nothing
    and exit 0. The raw table is emptied for this run only (its rows kept aside and put back: the
    published views are bound to the table itself)."""
    before = snapshot(server)
    server.execute("create table raw.events_kept as select * from raw.events; truncate raw.events")
    try:
        code, output = run(server, monkeypatch, capfd, "B")
    finally:
        server.execute("insert into raw.events select * from raw.events_kept; drop table raw.events_kept")
    assert code == 1, output[-3000:]
    last = output.strip().splitlines()[-1]
    assert "volume guard assert_raw_events_not_empty failed: raw events: the input has 0 rows, at least 1 is " \
           "needed" in last, last
    assert last.endswith("nothing was published: schema engagement is as it was (the failed build is in "
                         "engagement__building)"), last
    assert snapshot(server) == before


def test_a_view_of_another_schema_on_the_marts_stops_the_publish(server, states, monkeypatch, capfd):
    before = snapshot(server)
    server_connection = server.connect()
    with server_connection, server_connection.cursor() as cursor:
        cursor.execute("create view public.bi_scores as select * from engagement.fct_engagement_scores")
    server_connection.close()
    try:
        code, output = run(server, monkeypatch, capfd, "B")
        assert code == 1, output[-3000:]
        assert "publish refused: views outside schema engagement read its tables (public.bi_scores)" in output
        assert snapshot(server) == before
        assert server.query("select count(*) from public.bi_scores")[0][0] == int(before[0])
    finally:
        server.execute("drop view if exists public.bi_scores")


def test_source_freshness_runs_on_postgres(server, tmp_path):
    project = DbtProject(PROJECT_DIR, tmp_path, target="postgres", env=env_of(server))
    result = project.dbt("source", "freshness", dbt_vars={"events_path": ""})
    found = {item.node.unique_id: (str(item.status), str(item.max_loaded_at)[:19]) for item in result.result.results
             if hasattr(item, "max_loaded_at")}
    assert found["source.engagement_scoring.product.events"] == ("warn", "2025-03-22 09:05:00")
    # the outcomes source is not configured: nothing to be late, it passes without reading a table
    assert found["source.engagement_scoring.outcomes.outcomes"][0] == "pass"
