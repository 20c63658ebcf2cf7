"""Volume guards: an input with no rows, too few clean events, too many rejected rows, or an as_of_date
before every event fails the build (error-severity singular tests tagged volume_guard), so
`engagement.py run` publishes nothing and says which guard, with the figure and the threshold, in one
line and exit code 1. Before the guards each of these wiped every published score and exited 0.
"""

from __future__ import annotations

import datetime
import hashlib
import sys

import duckdb
import pytest

from conftest import FIXTURES_DIR, PROJECT_DIR, DbtProject
from marts import RAW_COLUMNS

sys.path.insert(0, str(PROJECT_DIR / "scripts"))
import engagement  # noqa: E402

EVENTS = FIXTURES_DIR / "integration" / "raw_events.csv"


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def published(tmp_path_factory, dbt_env):
    """A published file from a good run of the CLI (in this process)."""
    database = tmp_path_factory.mktemp("guards") / "engagement.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ENGAGEMENT_DUCKDB_PATH", str(database))
        patch.chdir(PROJECT_DIR)
        assert engagement.main(["run", "--events", str(EVENTS), "--as-of", "2025-03-20"]) == 0
    return database


def run_cli(published, monkeypatch, capfd, *args: str) -> tuple[int, str, str]:
    monkeypatch.setenv("ENGAGEMENT_DUCKDB_PATH", str(published))
    monkeypatch.chdir(PROJECT_DIR)
    capfd.readouterr()
    code = engagement.main(["run", *args])
    out, err = capfd.readouterr()
    return code, out, err


def assert_refused(published, monkeypatch, capfd, args: list[str], line: str) -> str:
    before = digest(published)
    code, out, err = run_cli(published, monkeypatch, capfd, *args)
    assert code == 1, out[-3000:] + err[-3000:]
    assert err.strip().splitlines() == [
        f"engagement run: {line}; nothing was published: {published} is as it was "
        f"(the failed build is in {published}.building)"
    ], err
    assert "Traceback" not in out + err
    assert digest(published) == before
    return out


def test_a_header_only_file_publishes_nothing(published, monkeypatch, capfd, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text(",".join(RAW_COLUMNS) + "\n")
    assert_refused(published, monkeypatch, capfd, ["--events", str(empty)],
                   "volume guard assert_raw_events_not_empty failed: raw events: the input has 0 rows, "
                   "at least 1 is needed")


def test_an_as_of_date_before_every_event_publishes_nothing(published, monkeypatch, capfd):
    out = assert_refused(published, monkeypatch, capfd, ["--events", str(EVENTS), "--as-of", "2020-01-01"],
                         "volume guard assert_as_of_date_not_before_events failed: as_of_date: 2020-01-01 precedes "
                         "the first clean event, on 2025-01-06")
    assert "no clean events were found" not in out


def test_a_parquet_file_whose_timestamps_are_all_rejected_publishes_nothing(published, monkeypatch, capfd, tmp_path):
    """Parquet whose timestamps are epoch seconds (no ISO-8601 text): every row is rejected. (TIMESTAMPTZ
    columns, the first such feed found, are now read like their text: see test_hardening.py.)"""
    typed = tmp_path / "typed.parquet"
    with duckdb.connect() as connection:
        connection.execute("set timezone = 'UTC'")
        connection.execute(f"create table raw as select * from read_csv('{EVENTS}', header = true, all_varchar = true)")
        connection.execute(f"""
            copy (
                select * replace (
                    cast(epoch(try_cast(occurred_at as timestamptz)) as bigint) as occurred_at,
                    cast(epoch(try_cast(loaded_at as timestamptz)) as bigint) as loaded_at
                )
                from raw
            ) to '{typed}' (format parquet)
        """)
    assert_refused(published, monkeypatch, capfd, ["--events", str(typed)],
                   "volume guard assert_clean_events_above_minimum failed: clean events: 0, below the minimum of 1 "
                   "(var engagement__min_clean_events); "
                   "volume guard assert_rejected_share_below_maximum failed: rejected share: 149 of 149 raw rows "
                   "(100.0%) rejected, above the maximum of 0.5 (var engagement__max_rejected_share)")


@pytest.fixture
def project(tmp_path, dbt_env) -> DbtProject:
    return DbtProject(PROJECT_DIR, tmp_path)


def guard_failures(project: DbtProject, dbt_vars: dict) -> dict:
    """{guard name: its problem row} of the guards a build failed."""
    result, _ = project.build({"events_path": str(EVENTS), "as_of_date": "2025-03-20", **dbt_vars})
    failed = {item.node.name: item.node.compiled_code for item in result.result if str(item.status) == "fail"}
    assert not result.success or not failed
    return {name: project.query(sql)[0][-1] for name, sql in failed.items()}


def test_the_thresholds_are_vars(project):
    # the fixture: 134 clean events, 15 of 149 raw rows rejected (10.1%); the defaults pass
    assert guard_failures(project, {}) == {}
    assert guard_failures(project, {"engagement__min_clean_events": 135, "engagement__max_rejected_share": 0.1}) == {
        "assert_clean_events_above_minimum":
            "clean events: 134, below the minimum of 135 (var engagement__min_clean_events)",
        "assert_rejected_share_below_maximum":
            "rejected share: 15 of 149 raw rows (10.1%) rejected, above the maximum of 0.1 "
            "(var engagement__max_rejected_share)",
    }
    assert guard_failures(project, {"engagement__min_clean_events": 134, "engagement__max_rejected_share": 0.11}) == {}


def test_a_bad_threshold_var_is_refused_with_its_name(project):
    with pytest.raises(Exception, match="var 'engagement__max_rejected_share' must be a share from 0 to 1 such as "
                                        "0.5, got '0.5 or 1=1'"):
        project.build({"events_path": str(EVENTS), "engagement__max_rejected_share": "0.5 or 1=1"})
    with pytest.raises(Exception, match="var 'engagement__min_clean_events' must be a whole number >= 0, got '-1'"):
        project.build({"events_path": str(EVENTS), "engagement__min_clean_events": -1})


def freshness(project: DbtProject, events) -> list[tuple]:
    result = project.dbt("source", "freshness", dbt_vars={"events_path": str(events)})
    # the events source's result (the on-run-start hook has a result too, and the outcomes source,
    # not configured here, passes)
    return [(str(item.status), str(item.max_loaded_at)[:19]) for item in result.result.results
            if hasattr(item, "max_loaded_at") and item.node.unique_id == "source.engagement_scoring.product.events"]


def test_source_freshness_warns_on_a_stale_feed_and_passes_a_fresh_one(project, tmp_path):
    # the fixture's newest loaded_at is 2025-03-22 09:05 UTC (written with an offset), long past
    assert freshness(project, EVENTS) == [("warn", "2025-03-22 09:05:00")]
    fresh = tmp_path / "fresh.csv"
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    fresh.write_text(",".join(RAW_COLUMNS) + "\n"
                     f"e1,{now.isoformat()},u1,a1,login,{{}},{now.isoformat()}\n"
                     f"e2,{now.isoformat()},u1,a1,login,{{}},not a time\n")
    assert freshness(project, fresh) == [("pass", now.strftime("%Y-%m-%d %H:%M:%S"))]


def test_another_events_file_is_rebuilt_in_full_not_merged(tmp_path, monkeypatch, capfd, dbt_env):
    """Pointing `run --events` at another file (not new rows of the same feed) rebuilds the events
    layer in full: the published marts are those of a fresh build of the new file, with no row of
    the old file left behind (an incremental merge would keep the old file's rows the new one lacks)."""
    rows = read_rows(EVENTS)
    fewer = tmp_path / "fewer.csv"
    write_rows(fewer, rows[: len(rows) // 2])
    switched = tmp_path / "switched" / "engagement.duckdb"
    fresh = tmp_path / "fresh" / "engagement.duckdb"
    for folder in (switched.parent, fresh.parent):
        folder.mkdir()
    code, out, err = run_cli(switched, monkeypatch, capfd, "--events", str(EVENTS), "--as-of", "2025-03-20")
    assert code == 0, err[-3000:]
    code, out, err = run_cli(switched, monkeypatch, capfd, "--events", str(fewer), "--as-of", "2025-03-20")
    assert code == 0, err[-3000:]
    assert "The events source changed since the published build" in out
    code, out, err = run_cli(fresh, monkeypatch, capfd, "--events", str(fewer), "--as-of", "2025-03-20")
    assert code == 0, err[-3000:]
    assert "The events source changed" not in out
    for table in ("fct_events", "fct_rejected_events", "fct_engagement_scores", "int_events_deduplicated"):
        query = f"select * from {table} order by all"
        with duckdb.connect(str(switched), read_only=True) as a, duckdb.connect(str(fresh), read_only=True) as b:
            assert a.sql(query).fetchall() == b.sql(query).fetchall(), table
    # the same file again is an incremental run, with no note
    code, out, err = run_cli(switched, monkeypatch, capfd, "--events", str(fewer), "--as-of", "2025-03-20")
    assert code == 0 and "The events source changed" not in out, err[-3000:]


def test_an_earlier_release_events_layer_is_rebuilt_in_full_once(tmp_path, monkeypatch, capfd, dbt_env):
    """A published int_events_deduplicated with a column this release retired (row_key, now inside
    event_row_key) would fail the incremental run (on_schema_change: fail): `run` rebuilds the events
    layer in full once, says why, and the next run is incremental again."""
    published = tmp_path / "engagement.duckdb"
    code, out, err = run_cli(published, monkeypatch, capfd, "--events", str(EVENTS), "--as-of", "2025-03-20")
    assert code == 0, err[-3000:]
    with duckdb.connect(str(published)) as connection:
        expected = connection.sql("select * from fct_engagement_scores order by all").fetchall()
        # the earlier release's layout: row_key beside the other columns
        connection.execute("alter table int_events_deduplicated add column row_key varchar")
    code, out, err = run_cli(published, monkeypatch, capfd, "--events", str(EVENTS), "--as-of", "2025-03-20")
    assert code == 0, err[-3000:]
    assert "built by an earlier release (int_events_deduplicated has row_key): it is rebuilt in full once" in out
    with duckdb.connect(str(published), read_only=True) as connection:
        columns = {name for (name,) in connection.execute(
            "select column_name from information_schema.columns where table_name = 'int_events_deduplicated'"
        ).fetchall()}
        assert "row_key" not in columns and "event_row_key" in columns
        assert connection.sql("select * from fct_engagement_scores order by all").fetchall() == expected
    code, out, err = run_cli(published, monkeypatch, capfd, "--events", str(EVENTS), "--as-of", "2025-03-20")
    assert code == 0 and "earlier release" not in out, err[-3000:]


def read_rows(path) -> list[list[str]]:
    import csv

    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))[1:]


def write_rows(path, rows) -> None:
    import csv

    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\n")
        writer.writerow(RAW_COLUMNS)
        writer.writerows(rows)
