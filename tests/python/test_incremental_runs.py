"""Incremental runs give exactly the marts of a full build (README "Incremental runs").

The raw events arrive in 2-5 batches, split by loaded_at the way a loader appends them, with late
rows (stamped before the previous run's watermark, within var engagement__lookback_hours) and
copies of earlier batches' events (re-sent later, or tied on loaded_at with other content). After
each batch the source holds every batch so far and the models are built incrementally; after the
last one every mart (and the incremental table itself) must equal a full build of the same rows.
The integration fixture is one such sequence, hypothesis-drawn event sets (event_strategies.py)
are others: ENGAGEMENT_HYPOTHESIS_EXAMPLES (as in test_differential.py) sets how many, a quarter of
it here (at least 3), since each example is several builds.
"""

from __future__ import annotations

import bisect
import datetime as dt
import os
import random
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

import reference_scoring as reference
from conftest import FIXTURES_DIR, PROJECT_DIR, DbtProject, copy_project
from event_strategies import event_sets
from marts import read_events, write_events

EXAMPLES = max(3, int(os.environ.get("ENGAGEMENT_HYPOTHESIS_EXAMPLES", "20")) // 4)
RANDOM_SEED = os.environ.get("ENGAGEMENT_HYPOTHESIS_SEED")
LOOKBACK_HOURS = 24  # the var's default
ALL_BUT_UNIT_TESTS = ("--exclude", "test_type:unit")
# Marts that are not a function of the raw rows by design: an append-only history has one row per run.
NOT_COMPARED = {"fct_engagement_score_history"}


def compared_tables() -> list[str]:
    """Every mart (each model file of models/marts), and the incremental table the marts are cut from."""
    marts = sorted(path.stem for path in (PROJECT_DIR / "models" / "marts").glob("*.sql"))
    return [mart for mart in marts if mart not in NOT_COMPARED] + ["int_events_deduplicated"]


def now_micros() -> int:
    return reference.parse_timestamp(dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))


def in_batches(rows: list[tuple], count: int, picker: random.Random) -> list[list[tuple]]:
    """`rows` (plus copies made here) in `count` batches, split by loaded_at, with late rows and
    cross-batch copies that every run must still place like a full build does."""
    lookback = LOOKBACK_HOURS * 3600 * reference.MICROS_PER_SECOND
    now = now_micros()

    def stamp(row):
        instant = reference.parse_timestamp(row[6])
        return instant if instant is not None and instant <= now else None  # the watermark ignores the rest

    instants = sorted({stamp(row) for row in rows} - {None})
    count = max(1, min(count, len(instants)))
    cuts = sorted(picker.sample(instants[1:], count - 1)) if count > 1 else []
    batches = [[] for _ in range(count)]
    for row in rows:
        instant = stamp(row)
        # rows without a usable loaded_at are read by every run: any batch will do
        batches[picker.randrange(count) if instant is None else bisect.bisect_right(cuts, instant)].append(row)

    for number in range(1, count):
        watermark = max((stamp(row) for batch in batches[:number] for row in batch if stamp(row) is not None),
                        default=None)
        if watermark is None:
            continue
        # late loads: rows stamped before the watermark but within the lookback arrive a batch later
        late = [row for row in batches[number - 1] if stamp(row) is not None and stamp(row) >= watermark - lookback]
        for row in picker.sample(late, len(late) // 2):
            batches[number - 1].remove(row)
            batches[number].append(row)
        # copies of earlier events: re-sent with this batch's loaded_at, or tied with an earlier copy
        stamps = [row[6] for row in batches[number] if stamp(row) is not None]
        earlier = [row for batch in batches[:number] for row in batch if row[0]]
        for original in picker.sample(earlier, min(3, len(earlier))):
            if stamps:
                batches[number].append(original[:6] + (picker.choice(stamps),))
            if stamp(original) is None or stamp(original) >= watermark - lookback:
                batches[number].append(original[:3] + ("acct_other" if original[3] != "acct_other" else None,)
                                       + original[4:])
    return batches


def table_checksums(project: DbtProject) -> dict[str, tuple[int, str]]:
    """Each table's row count and an order-independent checksum of its rows."""
    return {
        table: project.query(
            f"select count(*), md5(coalesce(string_agg(row_md5, ',' order by row_md5), '')) "
            f"from (select md5(cast(compared as varchar)) as row_md5 from {table} as compared)"
        )[0]
        for table in compared_tables()
    }


def differences(incremental: DbtProject, full: DbtProject) -> list[str]:
    expected, actual = table_checksums(full), table_checksums(incremental)
    problems = []
    for table in compared_tables():
        if expected[table] != actual[table]:
            query = f"select * from {table}"
            before, after = set(full.query(query)), set(incremental.query(query))
            problems.append(f"{table}: {len(before - after)} row(s) only in the full build, e.g. "
                            f"{sorted(before - after, key=repr)[:2]}; {len(after - before)} only after the "
                            f"incremental runs, e.g. {sorted(after - before, key=repr)[:2]}")
    return problems


def postgres_differences(server, incremental_schema: str, full_schema: str) -> list[str]:
    """differences() on PostgreSQL: every compared table of the incremental schema against the full one."""
    problems = []
    for table in compared_tables():
        before = set(server.query(f"select * from {full_schema}.{table}"))
        after = set(server.query(f"select * from {incremental_schema}.{table}"))
        if before != after:
            problems.append(f"{table}: {sorted(before - after, key=repr)[:2]} only in the full build,"
                            f" {sorted(after - before, key=repr)[:2]} only after the incremental runs")
    return problems


def build(project: DbtProject, events: Path, dbt_vars: dict, *extra: str) -> None:
    """dbt build (models and data tests), or with extra = ("run", ...) the models alone."""
    if extra[:1] == ("run",):
        result = project.dbt("run", *extra[1:], dbt_vars={"events_path": str(events), **dbt_vars})
        failures = [f"{item.node.name}: {item.message}" for item in (result.result or []) if str(item.status) == "error"]
    else:
        result, failures = project.build({"events_path": str(events), **dbt_vars}, *extra)
    assert result.success and not failures, failures


def run_in_batches(incremental: DbtProject, full: DbtProject, batches: list[list[tuple]], dbt_vars: dict,
                   *extra: str, first_full_refresh: bool = False) -> list[str]:
    """Builds each batch incrementally (the source growing), then all rows in full; their differences."""
    events = incremental.work_dir / "events.csv"
    loaded = []
    for number, batch in enumerate(batches):
        loaded += batch
        build(incremental, write_events(events, loaded), dbt_vars, *extra,
              *(["--full-refresh"] if first_full_refresh and number == 0 else []))
    build(full, write_events(full.work_dir / "events.csv", loaded), dbt_vars, *extra)
    return differences(incremental, full)


def test_integration_fixture_in_batches_gives_the_full_build(tmp_path, dbt_env):
    rows = read_events(FIXTURES_DIR / "integration" / "raw_events.csv")
    batches = in_batches(rows, 3, random.Random(3))
    assert len(batches) == 3 and all(batches)
    # a row stamped far in the future, loaded first, must not become the watermark (every later row
    # would be lost)
    batches[0].append(("future_load", "2025-03-10T10:00:00Z", "u1", "acct_01", "login", "", "2099-01-01T00:00:00Z"))
    (tmp_path / "incremental").mkdir()
    (tmp_path / "full").mkdir()
    incremental = DbtProject(PROJECT_DIR, tmp_path / "incremental", full_refresh=False)
    full = DbtProject(PROJECT_DIR, tmp_path / "full")
    problems = run_in_batches(incremental, full, batches, {"as_of_date": "2025-03-20"}, *ALL_BUT_UNIT_TESTS)
    assert not problems, "\n".join(problems)
    # the runs really were incremental: the second and third parsed only their batch and the copies
    [(duplicates,)] = incremental.query("select count(*) from rejected_events where reject_reason = 'duplicate_event_id'")
    assert duplicates > 0


def test_a_load_later_than_the_lookback_fails_the_build_and_a_full_refresh_repairs_it(tmp_path, dbt_env):
    rows = read_events(FIXTURES_DIR / "integration" / "raw_events.csv")
    project = DbtProject(PROJECT_DIR, tmp_path, full_refresh=False)
    events = tmp_path / "events.csv"
    build(project, write_events(events, rows), {"as_of_date": "2025-03-20"}, *ALL_BUT_UNIT_TESTS)
    # stamped a month before the watermark: no incremental run reads it again
    late = ("too_late", "2025-02-10T10:00:00Z", "u1", "acct_01", "login", "", "2025-02-10T10:05:00Z")
    result, failures = project.build({"events_path": str(write_events(events, rows + [late])),
                                      "as_of_date": "2025-03-20"}, *ALL_BUT_UNIT_TESTS)
    assert not result.success
    assert [failure for failure in failures if failure.startswith("assert_raw_events_all_accounted_for")], failures
    build(project, events, {"as_of_date": "2025-03-20"}, *ALL_BUT_UNIT_TESTS, "--full-refresh")
    assert project.query("select count(*) from fct_events where event_id = 'too_late'") == [(1,)]


def test_an_events_layer_of_the_release_before_is_continued_without_a_rebuild(tmp_path, dbt_env):
    """The release before stored event_row_key on clean rows too; this one stores it on rejected rows
    only and replaces clean rows by event_id. An incremental run on the older table must place every
    row as a full build does: no clean row left beside its replacement (the build's unique test on
    the key expression would fail), none lost."""
    rows = read_events(FIXTURES_DIR / "integration" / "raw_events.csv")
    batches = in_batches(rows, 3, random.Random(5))
    (tmp_path / "incremental").mkdir()
    (tmp_path / "full").mkdir()
    incremental = DbtProject(PROJECT_DIR, tmp_path / "incremental", full_refresh=False)
    full = DbtProject(PROJECT_DIR, tmp_path / "full")
    dbt_vars = {"as_of_date": "2025-03-20"}
    events = incremental.work_dir / "events.csv"
    build(incremental, write_events(events, batches[0]), dbt_vars, *ALL_BUT_UNIT_TESTS)

    def keys_on_clean_rows(sql: str) -> int:
        with duckdb.connect(str(incremental.database)) as connection:
            connection.execute(sql)
            return connection.execute("select count(*) from int_events_deduplicated"
                                      " where reject_reason is null and event_row_key is not null").fetchone()[0]

    # the older table: a clean row's key written out
    assert keys_on_clean_rows("update int_events_deduplicated set event_row_key = 'id:' || event_id || '#c1'"
                              " where reject_reason is null") > 0
    build(incremental, write_events(events, batches[0] + batches[1]), dbt_vars, *ALL_BUT_UNIT_TESTS)
    build(incremental, write_events(events, batches[0] + batches[1] + batches[2]), dbt_vars, *ALL_BUT_UNIT_TESTS)
    # the clean rows the runs did not read again keep their written key; the same rows otherwise
    assert keys_on_clean_rows("update int_events_deduplicated set event_row_key = null where reject_reason is null") == 0
    build(full, write_events(full.work_dir / "events.csv", batches[0] + batches[1] + batches[2]), dbt_vars,
          *ALL_BUT_UNIT_TESTS)
    problems = differences(incremental, full)
    assert not problems, "\n".join(problems)


def rescore_batches() -> list[list[tuple]]:
    """Four batches, each one of the cases the measures' rescoring must handle (see the test below)."""
    def event(event_id, day, user, event_type, loaded, properties=""):
        return (event_id, f"2025-{day}T10:00:00Z", user, "acct_1", event_type, properties, f"2025-{loaded}T12:00:00Z")

    # the first batch loaded day by day (the lookback rereads only its last day), the others later
    return [
        [
            event("e1", "01-10", "u1", "login", "01-10"),
            event("e2", "01-12", "u1", "nps_response", "01-12", '{"score": 3}'),
            event("e3", "01-15", "u1", "ticket_opened", "01-15", '{"ticket_id": "T1"}'),
            event("e4", "02-03", "u1", "login", "02-03"),
            event("e5", "03-02", "u1", "login", "03-02"),
            event("e6", "01-20", "u2", "login", "01-20"),
            # u3 enters with an event in scope in March; its periods start at its page view in January
            event("e8", "01-05", "u3", "page_view", "01-05"),
            event("e9", "03-03", "u3", "login", "03-03"),
            # u4: only a page view, not measured yet
            event("e10", "01-06", "u4", "page_view", "01-06"),
            # u5: measured from January for one login in March
            event("e15", "01-07", "u5", "page_view", "01-07"),
            event("e11", "03-04", "u5", "login", "03-04"),
        ],
        [
            # the open month moves on; u1's January ticket closes; u4's first event in scope, with a
            # page view in January before everything this run reads
            event("e12", "04-01", "u1", "ticket_resolved", "04-03", '{"ticket_id": "T1"}'),
            event("e13", "04-01", "u1", "login", "04-03"),
            event("e14", "04-01", "u4", "login", "04-03"),
            event("e16", "04-02", "u2", "login", "04-03"),
        ],
        [
            # u5's one login is sent again for u6, later: u5 leaves the model, January rows and all
            event("e11", "03-04", "u6", "login", "04-06"),
            event("e17", "04-05", "u2", "login", "04-06"),
        ],
        [
            # u1's January login is sent again, dated February for u2: January is rescored
            event("e1", "02-10", "u2", "login", "04-09"),
            event("e18", "04-08", "u1", "nps_response", "04-09", '{"score": 10}'),
        ],
    ]


# which calendar rows each run kept (not rewritten): the rows whose loaded_through is older than the latest
KEPT_ROWS = ("select entity_id, cast(period_start as varchar) from {measures} where loaded_through <"
             " (select max(loaded_through) from {measures}) order by 1, 2")


def assert_rescored_as_designed(kept: list[list[tuple]], u4_early_rows: int) -> None:
    assert kept[1] == [("u1", "2025-01-01"), ("u1", "2025-02-01"), ("u2", "2025-01-01"), ("u2", "2025-02-01"),
                       ("u3", "2025-01-01"), ("u3", "2025-02-01"), ("u5", "2025-01-01"), ("u5", "2025-02-01")]
    # batch 3 rescored from March (u5's login): u5's January and February rows left with it
    assert ("u5", "2025-01-01") not in kept[2] and ("u1", "2025-01-01") in kept[2]
    # batch 4 rescored from January: nothing kept
    assert kept[3] == []
    # u4 got its January to March rows in batch 2, which read April's events only
    assert u4_early_rows == 3


def test_measures_rescore_from_the_first_period_a_batch_can_change(tmp_path, dbt_env):
    """The measures models rescore each entity from the first period a run can have changed and keep
    the rows before it (macros/engagement_rescore.sql); each batch hits one of the cases that need
    more than the events since then (rescore_batches), and after every batch the marts equal a full
    build's."""
    (tmp_path / "incremental").mkdir()
    (tmp_path / "full").mkdir()
    incremental = DbtProject(PROJECT_DIR, tmp_path / "incremental", full_refresh=False)
    full = DbtProject(PROJECT_DIR, tmp_path / "full", full_refresh=True)
    measures = "int_saas_customer__measures"
    loaded = []
    kept = []
    for number, batch in enumerate(rescore_batches()):
        loaded += batch
        build(incremental, write_events(incremental.work_dir / "events.csv", loaded), {}, *ALL_BUT_UNIT_TESTS)
        build(full, write_events(full.work_dir / "events.csv", loaded), {}, *ALL_BUT_UNIT_TESTS)
        problems = differences(incremental, full)
        assert not problems, f"after batch {number + 1}:\n" + "\n".join(problems)
        kept.append(incremental.query(KEPT_ROWS.format(measures=measures)))
    [(u4_early_rows,)] = incremental.query(f"select count(*) from {measures} where entity_id = 'u4'"
                                           " and period_kind = 'calendar' and period_start < '2025-04-01'")
    assert_rescored_as_designed(kept, u4_early_rows)


def login(event_id: str, day: str, user: str, loaded: str | None) -> tuple:
    """A raw login of 2025 (day and loaded as MM-DD; loaded None: no loaded_at) for acct_1."""
    loaded_at = f"2025-{loaded}T12:00:00Z" if loaded else ""
    return (event_id, f"2025-{day}T10:00:00Z", user, "acct_1", "login", "", loaded_at)


def batches_against_a_full_build(tmp_path: Path, batches: list[list[tuple]]) -> DbtProject:
    """run_in_batches into tmp_path/incremental against tmp_path/full; asserts no difference and returns
    the incremental project."""
    (tmp_path / "incremental").mkdir()
    (tmp_path / "full").mkdir()
    incremental = DbtProject(PROJECT_DIR, tmp_path / "incremental", full_refresh=False)
    full = DbtProject(PROJECT_DIR, tmp_path / "full", full_refresh=True)
    problems = run_in_batches(incremental, full, batches, {}, *ALL_BUT_UNIT_TESTS)
    assert not problems, "\n".join(problems)
    return incremental


def test_an_entity_whose_first_event_moves_later_loses_its_earlier_periods(tmp_path, dbt_env):
    """u7's January login is sent again dated March (a later loaded_at: that copy is kept), so u7's
    periods now start in March. The run rescores from January, u7 has no state before it and is
    rescored from its first period: its January and February rows must go (they lingered when the
    strategy replaced rows only from each entity's first rescored period)."""
    incremental = batches_against_a_full_build(tmp_path, [
        [login("e20", "01-10", "u7", "01-10"), login("e21", "03-05", "u7", "03-05"),
         login("e22", "03-05", "u1", "03-05")],
        [login("e20", "03-06", "u7", "03-08")],
    ])
    assert incremental.query("select min(period_start) from int_saas_customer__measures"
                             " where entity_id = 'u7' and period_kind = 'calendar'") == [(dt.date(2025, 3, 1),)]


def test_a_copy_loaded_before_the_watermark_but_read_with_its_event_ids_copies_reaches_the_marts(tmp_path, dbt_env):
    """A run reads every copy of an event_id that has a row loaded in its window or without a loaded_at,
    so it may keep a copy stamped before the window (a loader's late file): e30's copy for u9 arrives
    stamped in March, beside a copy staging rejects (no user) stamped in the window; e40's copy for u11
    arrives stamped in March, and its kept copy has no loaded_at. The events layer keeps both late
    copies, as a full build does; fct_events and the measures chose what to rewrite by the kept copy's
    own loaded_at and left e30 and e40 as they were, and every test passed (found by a hostile run on
    the sample). They now follow every event_id with a row, kept or rejected, in the window."""
    incremental = batches_against_a_full_build(tmp_path, [
        [login("e30", "02-28", "u8", "03-01"), login("e40", "02-20", "u10", None),
         login("e31", "06-20", "u1", "06-30")],
        [login("e30", "02-02", "u9", "03-02"), login("e30", "06-29", "", "07-01"),
         login("e40", "02-25", "u11", "03-05")],
    ])
    assert incremental.query("select event_id, user_id from fct_events where event_id in ('e30', 'e40')"
                             " order by event_id") == [("e30", "u9"), ("e40", "u11")]


def test_measures_are_rescored_in_full_when_the_rules_or_the_as_of_date_change(tmp_path, dbt_env):
    """A run under other rules (an allow-list row edited: rules_version) or with an earlier as-of date
    rescores every period, not only the open one: the marts equal a full build's each time."""
    from test_seed_driven import rewrite_csv

    project_dir = copy_project(tmp_path / "project")
    incremental = DbtProject(project_dir, tmp_path / "incremental", full_refresh=False)
    full = DbtProject(project_dir, tmp_path / "full", full_refresh=True)
    (tmp_path / "incremental").mkdir()
    (tmp_path / "full").mkdir()
    events = FIXTURES_DIR / "integration" / "raw_events.csv"

    def both(dbt_vars):
        for project in (incremental, full):
            build(project, events, dbt_vars, *ALL_BUT_UNIT_TESTS)
        return differences(incremental, full)

    assert both({"as_of_date": "2025-03-20"}) == []

    def reports_not_key(rows):
        return [row for row in rows if not (row["score_model"] == "saas_customer" and row["feature"].lower() == "reports")]

    before = incremental.query("select sum(features_adopted) from int_saas_customer__measures")
    rewrite_csv(project_dir / "seeds" / "key_features.csv", reports_not_key)
    problems = both({"as_of_date": "2025-03-20"})
    assert not problems, "after the allow-list edit:\n" + "\n".join(problems)
    assert incremental.query("select sum(features_adopted) from int_saas_customer__measures") != before
    problems = both({"as_of_date": "2025-02-15"})
    assert not problems, "after the as-of date moved back:\n" + "\n".join(problems)


def without_sign_in(rows):
    """The alias seed without `sign_in,login`: the fixture's Sign In, sign-in, sign in ... events
    become an event type of their own (sign_in), no login."""
    return [row for row in rows if row["alias"] != "sign_in"]


# a clean row's key written out, as a row kept from an earlier run holds it until a run decides it
# again (the table's key expression reads it the same, so the build's tests pass either way)
MARK_KEPT_ROW = ("update int_events_deduplicated set event_row_key = 'id:' || event_id || '#c1'"
                 " where event_id = 'u1_e01'")
KEPT_ROW_MARKED = "select count(*) from int_events_deduplicated where event_row_key = 'id:u1_e01#c1'"


def test_a_run_under_other_parse_rules_decides_every_raw_row_again(tmp_path, dbt_env):
    """An edit of the alias seed, or of a var the parse reads, changes how every raw row is decided:
    the next incremental run decides them all again (parse_rules_version), with no --full-refresh, and
    the marts equal a full build's; a run under the same rules keeps the rows it does not read again.
    The first run on a table without the column (a release before it) decides every row again too."""
    from test_seed_driven import rewrite_csv

    project_dir = copy_project(tmp_path / "project")
    incremental = DbtProject(project_dir, tmp_path / "incremental", full_refresh=False)
    full = DbtProject(project_dir, tmp_path / "full", full_refresh=True)
    (tmp_path / "incremental").mkdir()
    (tmp_path / "full").mkdir()
    events = FIXTURES_DIR / "integration" / "raw_events.csv"
    dbt_vars = {"as_of_date": "2025-03-20"}

    def both(dbt_vars) -> tuple[bool, list[str]]:
        """Builds both; whether the marked row was kept, and the differences once it is unmarked."""
        for project in (incremental, full):
            build(project, events, dbt_vars, *ALL_BUT_UNIT_TESTS)
        with duckdb.connect(str(incremental.database)) as connection:
            [(kept,)] = connection.execute(KEPT_ROW_MARKED).fetchall()
            connection.execute("update int_events_deduplicated set event_row_key = null where reject_reason is null")
        return kept == 1, differences(incremental, full)

    def mark_kept_row() -> None:
        with duckdb.connect(str(incremental.database)) as connection:
            connection.execute(MARK_KEPT_ROW)

    assert both(dbt_vars) == (False, [])
    assert incremental.query("select count(*) from fct_events where event_type = 'sign_in'") == [(0,)]
    mark_kept_row()
    assert both(dbt_vars) == (True, []), "a run under the same rules decided a kept row again"

    mark_kept_row()
    rewrite_csv(project_dir / "seeds" / "event_type_aliases.csv", without_sign_in)
    kept, problems = both(dbt_vars)
    assert not problems, "after the alias edit:\n" + "\n".join(problems)
    assert not kept, "the alias edit's run kept a row decided under the old aliases"
    assert incremental.query("select count(*) from fct_events where event_type = 'sign_in'")[0][0] > 0

    mark_kept_row()
    before = incremental.query("select count(*) from fct_rejected_events")
    kept, problems = both({**dbt_vars, "earliest_event_date": "2025-02-01"})
    assert not problems, "after earliest_event_date changed:\n" + "\n".join(problems)
    assert not kept, "the run under another earliest_event_date kept a row decided under the old one"
    assert incremental.query("select count(*) from fct_rejected_events") != before

    # a table of the release before: no parse_rules_version column
    mark_kept_row()
    with duckdb.connect(str(incremental.database)) as connection:
        for table in ("int_events_deduplicated", "fct_events"):
            connection.execute(f"alter table {table} drop column parse_rules_version")
    kept, problems = both({**dbt_vars, "earliest_event_date": "2025-02-01"})
    assert not problems, "after a run on tables without the column:\n" + "\n".join(problems)
    assert not kept


@pytest.mark.postgres
def test_postgres_run_under_other_parse_rules_decides_every_raw_row_again(tmp_path, dbt_env):
    """The alias edit and the tables without parse_rules_version on PostgreSQL (the pre-hook's delete in
    the run's transaction, the column added by the schema sync): the models run incrementally into one
    schema and in full into another, compared after each step."""
    from engines import PostgresServer, find_postgres_bin
    from test_seed_driven import rewrite_csv

    bin_dir = find_postgres_bin()
    assert bin_dir is not None, "PostgreSQL server binaries not found: `make system-deps` installs them (Debian)"
    project_dir = copy_project(tmp_path / "project")
    server = PostgresServer(bin_dir)
    try:
        server.start()
        server.load_raw_events(FIXTURES_DIR / "integration" / "raw_events.csv")
        projects = {}
        for schema, full_refresh in (("continued", False), ("rebuilt", True)):
            (tmp_path / schema).mkdir()
            projects[schema] = DbtProject(project_dir, tmp_path / schema, target="postgres", full_refresh=full_refresh,
                                          env={**server.env(), "ENGAGEMENT_SCHEMA": schema})

        def step(what: str) -> None:
            for project in projects.values():
                assert project.dbt("seed", dbt_vars={"events_path": ""}).success
                build(project, tmp_path / "unused.csv", {"events_path": "", "as_of_date": "2025-03-20"}, "run",
                      *ALL_BUT_UNIT_TESTS)
            problems = postgres_differences(server, "continued", "rebuilt")
            assert not problems, f"{what}:\n" + "\n".join(problems)

        step("the first build")
        rewrite_csv(project_dir / "seeds" / "event_type_aliases.csv", without_sign_in)
        step("after the alias edit")
        assert server.query("select count(*) from continued.fct_events where event_type = 'sign_in'")[0][0] > 0
        connection = server.connect()
        with connection, connection.cursor() as cursor:
            for table in ("int_events_deduplicated", "fct_events"):
                # cascade: the views on them go too (each run makes them again)
                cursor.execute(f"alter table continued.{table} drop column parse_rules_version cascade")
        connection.close()
        step("after a run on tables without the column")
    except Exception:
        print(f"PostgreSQL server log:\n{server.log_tail()}")
        raise
    finally:
        server.stop()


@pytest.mark.postgres
def test_postgres_measures_rescore_from_the_first_period_a_batch_can_change(tmp_path, dbt_env):
    """The same batches on PostgreSQL (the strategy's delete and insert, the state read back): the
    models run incrementally into one schema (rescored) and in full into another (rebuilt), compared after every batch."""
    from engines import PostgresServer, find_postgres_bin

    bin_dir = find_postgres_bin()
    assert bin_dir is not None, "PostgreSQL server binaries not found: `make system-deps` installs them (Debian)"
    server = PostgresServer(bin_dir)
    try:
        server.start()
        projects = {}
        for schema, full_refresh in (("rescored", False), ("rebuilt", True)):
            (tmp_path / schema).mkdir()
            projects[schema] = DbtProject(PROJECT_DIR, tmp_path / schema, target="postgres", full_refresh=full_refresh,
                                          env={**server.env(), "ENGAGEMENT_SCHEMA": schema})
            assert projects[schema].dbt("seed").success  # then the models alone, each batch
        measures = "rescored.int_saas_customer__measures"
        loaded = []
        kept = []
        for number, batch in enumerate(rescore_batches()):
            loaded += batch
            events = write_events(tmp_path / "events.csv", loaded)
            if number == 0:
                server.load_raw_events(events)
            else:  # the views read raw.events: its rows are replaced, the table stays
                connection = server.connect()
                with connection, connection.cursor() as cursor, events.open(encoding="utf-8") as handle:
                    cursor.execute("truncate raw.events")
                    cursor.copy_expert("copy raw.events from stdin with (format csv, header true)", handle)
                connection.close()
            for project in projects.values():
                build(project, tmp_path / "events.csv", {"events_path": ""}, "run", *ALL_BUT_UNIT_TESTS)
            problems = postgres_differences(server, "rescored", "rebuilt")
            assert not problems, f"after batch {number + 1}:\n" + "\n".join(problems)
            kept.append([tuple(row) for row in server.query(KEPT_ROWS.format(measures=measures))])
        [(u4_early_rows,)] = server.query(f"select count(*) from {measures} where entity_id = 'u4'"
                                          " and period_kind = 'calendar' and period_start < '2025-04-01'")
        assert_rescored_as_designed(kept, u4_early_rows)
    except Exception:
        print(f"PostgreSQL server log:\n{server.log_tail()}")
        raise
    finally:
        server.stop()


@pytest.fixture(scope="module")
def seeded_pair(tmp_path_factory, dbt_env) -> tuple[DbtProject, DbtProject]:
    """Two projects with their seeds loaded once: one built in batches, one in full."""
    projects = []
    for name in ("incremental", "full"):
        project = DbtProject(PROJECT_DIR, tmp_path_factory.mktemp(name), full_refresh=name == "full")
        assert project.dbt("seed").success
        projects.append(project)
    return projects[0], projects[1]


def test_drawn_event_sets_in_batches_give_the_full_build(seeded_pair):
    incremental, full = seeded_pair
    compared = []

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=RANDOM_SEED is None, database=None,
              print_blob=True, suppress_health_check=list(HealthCheck))
    @given(example=event_sets(), count=st.integers(2, 5), split_seed=st.integers(0, 2**16))
    def check(example, count, split_seed):
        as_of_date, rows = example
        batches = in_batches(list(rows), count, random.Random(split_seed))
        # each example is a new input: its first batch replaces the previous example's state
        # models only: the volume guards would refuse a first batch that is mostly bad rows
        problems = run_in_batches(incremental, full, batches, {"as_of_date": as_of_date}, "run", "--select",
                                  "resource_type:model", first_full_refresh=True)
        assert not problems, f"{len(batches)} batches as of {as_of_date}:\n" + "\n".join(problems)
        compared.append(len(batches))

    if RANDOM_SEED is not None:
        check = seed(int(RANDOM_SEED))(check)
    check()
    assert len(compared) == EXAMPLES and any(count > 1 for count in compared), compared


# PostgreSQL and Spark: one batched sequence each, through `engagement.py run` (write, audit,
# publish), so that the publish step's carry-over is tested too. A test-only incremental model
# (one row per run, appended) shows that every incremental model continues from its published
# table, not only the ones this project ships.
RUN_LOG_MODEL = """{{ config(materialized='incremental') }}
select '{{ invocation_id }}' as invocation_id, count(*) as raw_rows_parsed
from {{ ref('int_events_deduplicated') }}
"""


# The same, kept through --full-refresh (dbt's full_refresh: false, as an append-only history is).
RUN_HISTORY_MODEL = RUN_LOG_MODEL.replace("materialized='incremental'", "materialized='incremental', full_refresh=false")


def project_with_run_log(destination: Path) -> Path:
    from test_publish import copy_project_with_cli

    project_dir = copy_project_with_cli(destination)
    (project_dir / "models" / "intermediate" / "int_test_run_log.sql").write_text(RUN_LOG_MODEL)
    (project_dir / "models" / "intermediate" / "int_test_run_history.sql").write_text(RUN_HISTORY_MODEL)
    return project_dir


def cli_sequence(run, load, read, batches: list[list[tuple]]) -> list[str]:
    """Each batch loaded (the source growing) and published by an incremental run, then the same rows
    by --full-refresh: the tables that differ, and the run log's rows after each."""
    import collections

    loaded = []
    for batch in batches:
        loaded += batch
        load(loaded)
        assert run() == 0
    incremental = read()
    assert len(incremental["int_test_run_log"]) == len(batches)  # one row per run: carried over each time
    assert run("--full-refresh") == 0
    full = read()
    assert len(full["int_test_run_log"]) == 1
    assert len(full["int_test_run_history"]) == len(batches) + 1
    problems = []
    for table in compared_tables():
        before, after = collections.Counter(full[table]), collections.Counter(incremental[table])
        if before != after:
            problems.append(f"{table}: {sorted(before - after, key=repr)[:2]} only in the full build; "
                            f"{sorted(after - before, key=repr)[:2]} only after the incremental runs")
    return problems


def fixture_batches(count: int = 3) -> list[list[tuple]]:
    batches = in_batches(read_events(FIXTURES_DIR / "integration" / "raw_events.csv"), count, random.Random(3))
    assert len(batches) == count and all(batches)
    # each later batch carries copies of earlier events (re-sent, or tied with other content)
    for number in range(1, count):
        earlier = {row[0] for batch in batches[:number] for row in batch if row[0]}
        assert any(row[0] in earlier for row in batches[number]), number
    return batches


@pytest.mark.postgres
def test_postgres_batches_published_incrementally_give_the_full_build(tmp_path, dbt_env, monkeypatch):
    import sys

    from engines import PostgresServer, find_postgres_bin

    sys.path.insert(0, str(PROJECT_DIR / "scripts"))
    import engagement

    project_dir = project_with_run_log(tmp_path / "project")
    bin_dir = find_postgres_bin()
    assert bin_dir is not None, "PostgreSQL server binaries not found: `make system-deps` installs them (Debian)"
    server = PostgresServer(bin_dir)
    try:
        server.start()
        for name, value in {**server.env(), "ENGAGEMENT_SCHEMA": "engagement"}.items():
            monkeypatch.setenv(name, value)
        monkeypatch.chdir(project_dir)

        def run(*extra):
            return engagement.main(["run", "--target", "postgres", "--as-of", "2025-03-20",
                                    "--project-dir", str(project_dir), *extra])

        def load(rows):
            # the published views read raw.events: its rows are replaced, the table stays
            events = write_events(tmp_path / "events.csv", rows)
            if not server.query("select count(*) from pg_tables where schemaname = 'raw'")[0][0]:
                server.load_raw_events(events)
                return
            connection = server.connect()
            with connection, connection.cursor(), events.open(encoding="utf-8") as handle:
                cursor = connection.cursor()
                cursor.execute("truncate raw.events")
                cursor.copy_expert("copy raw.events from stdin with (format csv, header true)", handle)
            connection.close()

        def read():
            return {table: server.query(f"select * from engagement.{table}")
                    for table in compared_tables() + ["int_test_run_log", "int_test_run_history"]}

        problems = cli_sequence(run, load, read, fixture_batches())
        assert not problems, "\n".join(problems)
    except Exception:
        print(f"PostgreSQL server log:\n{server.log_tail()}")
        raise
    finally:
        server.stop()


@pytest.mark.spark
def test_spark_batches_published_incrementally_give_the_full_build(tmp_path, dbt_env, monkeypatch):
    import sys

    from engines import LocalSpark

    sys.path.insert(0, str(PROJECT_DIR / "scripts"))
    import engagement

    project_dir = project_with_run_log(tmp_path / "project")
    spark = LocalSpark()
    try:
        for name, value in {**spark.env(), "ENGAGEMENT_SCHEMA": "engagement"}.items():
            monkeypatch.setenv(name, value)
        monkeypatch.chdir(project_dir)
        # dbt makes the Spark session (from the profile); the raw events are loaded through it
        project = DbtProject(project_dir, tmp_path / "dbt", target="spark")
        (tmp_path / "dbt").mkdir()
        assert project.dbt("run-operation", "engagement_prepare_work_schema", "--args",
                           '{"work_schema": "engagement__building", "published_schema": "engagement"}').success
        spark.session().sparkContext.setLogLevel("ERROR")

        def run(*extra):
            return engagement.main(["run", "--target", "spark", "--as-of", "2025-03-20",
                                    "--project-dir", str(project_dir), *extra])

        def load(rows):
            spark.load_raw_events(write_events(tmp_path / "events.csv", rows))

        def read():
            return {table: spark.query(f"select * from engagement.{table}")
                    for table in compared_tables() + ["int_test_run_log", "int_test_run_history"]}

        # two batches, not three: each Spark run (build, tests, publish) takes about a minute and a
        # half, and the three-batch sequence is run through the same CLI on PostgreSQL above
        problems = cli_sequence(run, load, read, fixture_batches(2))
        assert not problems, "\n".join(problems)
    finally:
        spark.stop()
