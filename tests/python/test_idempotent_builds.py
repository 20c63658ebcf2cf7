"""Rebuilding is idempotent and order-independent: the same raw events give the same marts, whatever the
row order, however often they are built, and whether they arrived in one load or in two batches."""

from __future__ import annotations

import random
import sys

import pytest

from conftest import FIXTURES_DIR, PROJECT_DIR, DbtProject
from marts import MARTS, build, checksums, mart_rows, read_events, write_events

sys.path.insert(0, str(PROJECT_DIR / "scripts"))
import generate_sample_events  # noqa: E402

ALL_BUT_UNIT_TESTS = ("--exclude", "test_type:unit")


@pytest.fixture(scope="module")
def raw_rows(tmp_path_factory) -> list[tuple]:
    """A messy mix: a small sample (aliases, offsets, re-sent duplicates, bad rows), the integration
    fixture, the hostile corpus, and copies that tie on loaded_at but differ in content, so that
    which copy is kept rests on the content tie-break alone."""
    sample = tmp_path_factory.mktemp("sample") / "sample.csv"
    assert generate_sample_events.main(["--out", str(sample), "--users", "60", "--months", "3", "--seed", "7"]) == 0
    rows = read_events(sample)
    rows += read_events(FIXTURES_DIR / "integration" / "raw_events.csv")
    rows += read_events(FIXTURES_DIR / "hostile" / "hostile_events.csv")
    picker = random.Random(4)
    ties = []
    for row in picker.sample(rows, 40):
        event_id, occurred_at, user_id, account_id, event_type, properties, loaded_at = row
        ties.append((event_id, occurred_at, user_id, "acct_tie" if account_id != "acct_tie" else "acct_other",
                     event_type, properties, loaded_at))
    return rows + ties + COLLIDING_PAIRS


# Copies of an event, tied on loaded_at, whose columns joined with '|' (and null written '<null>')
# read the same: a tie-break on that joined text alone cannot order them.
COLLIDING_PAIRS = [
    row
    for number in range(8)
    for row in [
        (f"pipe-{number}", "2025-03-10T10:00:00Z", f"p{number}|x", "y", "login", "", "2025-03-10T10:05:00Z"),
        (f"pipe-{number}", "2025-03-10T10:00:00Z", f"p{number}", "x|y", "login", "", "2025-03-10T10:05:00Z"),
        (f"null-{number}", "2025-03-10T10:00:00Z", f"n{number}", "<null>", "login", "", "2025-03-10T10:05:00Z"),
        (f"null-{number}", "2025-03-10T10:00:00Z", f"n{number}", None, "login", "", "2025-03-10T10:05:00Z"),
    ]
]


@pytest.fixture(scope="module")
def built_once(raw_rows, tmp_path_factory, dbt_env):
    """One build of all the rows: the checksums every other way of building must reproduce."""
    work = tmp_path_factory.mktemp("once")
    project = DbtProject(PROJECT_DIR, work)
    build(project, write_events(work / "events.csv", raw_rows), None, *ALL_BUT_UNIT_TESTS)
    return project, checksums(project)


def assert_same_marts(project: DbtProject, reference: DbtProject, expected: dict, actual: dict) -> None:
    for mart in MARTS:
        if expected[mart] != actual[mart]:
            before, after = set(mart_rows(reference, mart)), set(mart_rows(project, mart))
            pytest.fail(f"{mart} differs: {len(before - after)} row(s) only in the first build, e.g. "
                        f"{sorted(before - after, key=repr)[:3]}; {len(after - before)} only in this one, e.g. "
                        f"{sorted(after - before, key=repr)[:3]}")


def test_the_input_is_worth_checking(built_once, raw_rows):
    project, sums = built_once
    assert len(raw_rows) > 2_000
    assert sums["fct_engagement_scores"][0] > 100
    [(duplicates,)] = project.query("select count(*) from rejected_events where reject_reason = 'duplicate_event_id'")
    assert duplicates >= 50
    # every mart has rows, so an equal checksum means something
    assert all(count > 0 for count, _ in sums.values())


def test_building_twice_gives_identical_marts(built_once, raw_rows):
    project, first = built_once
    project.full_refresh = False  # the second build is an incremental run with nothing new
    try:
        build(project, project.work_dir / "events.csv", None, *ALL_BUT_UNIT_TESTS)
    finally:
        project.full_refresh = True
    assert_same_marts(project, project, first, checksums(project))


def test_shuffled_rows_give_identical_marts(built_once, raw_rows, tmp_path):
    reference, expected = built_once
    shuffled = list(raw_rows)
    random.Random(11).shuffle(shuffled)
    assert shuffled != raw_rows
    # some colliding copies swap places, so a tie-break that depends on row order shows
    positions = {row: index for index, row in enumerate(shuffled)}
    pairs = zip(COLLIDING_PAIRS[::2], COLLIDING_PAIRS[1::2])
    assert any(positions[first] > positions[second] for first, second in pairs)
    project = DbtProject(PROJECT_DIR, tmp_path)
    build(project, write_events(tmp_path / "shuffled.csv", shuffled), None, *ALL_BUT_UNIT_TESTS)
    assert_same_marts(project, reference, expected, checksums(project))


def test_two_batches_give_the_marts_of_one_load(built_once, raw_rows, tmp_path):
    """The rows loaded in two batches split by loaded_at (the second an incremental run): rows without
    a valid loaded_at, and copies of the first batch's events, in both (test_incremental_runs.py has
    more batches, late loads and the other engines)."""
    import reference_scoring

    reference, expected = built_once
    project = DbtProject(PROJECT_DIR, tmp_path, full_refresh=False)
    events = tmp_path / "events.csv"
    instants = sorted(stamp for stamp in map(reference_scoring.parse_timestamp, (row[6] for row in raw_rows))
                      if stamp is not None)
    middle = instants[len(instants) // 2]
    first = [row for index, row in enumerate(raw_rows)
             if (reference_scoring.parse_timestamp(row[6]) or (middle if index % 2 else 0)) < middle]
    assert len(raw_rows) // 3 < len(first) < len(raw_rows) * 2 // 3
    build(project, write_events(events, first), None, *ALL_BUT_UNIT_TESTS)
    assert checksums(project) != expected  # the first batch alone is really different
    build(project, write_events(events, raw_rows), None, *ALL_BUT_UNIT_TESTS)
    assert_same_marts(project, reference, expected, checksums(project))
