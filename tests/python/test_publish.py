"""Write, audit, publish on DuckDB: `engagement.py run` builds in a work file and replaces the published
file only after every test passed. Readers holding the published file never block a build and never
see a half-published state; a failed, killed or concurrent build leaves the published file as it was.

Two published states are built once (the integration fixture as of two dates, so that their marts
differ); each test starts from a copy of one of them. The CLI runs in subprocesses, as `make run`
runs it, so that it can be killed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from conftest import FIXTURES_DIR, PROJECT_DIR, copy_project
from test_seed_driven import rewrite_csv

EVENTS = FIXTURES_DIR / "integration" / "raw_events.csv"
STATE_AS_OF = {"A": "2025-03-20", "B": "2025-02-20"}

# What a reader checks: row counts of every mart, a checksum of the scores, and the score rows whose
# components do not add up (tests/assert_score_components_add_up.sql, on the published tables).
SNAPSHOT_SQL = """
with component_totals as (
    select score_model, entity_id, period_start, sum(points) as points
    from fct_engagement_score_components group by all
),
mismatches as (
    select 1 from fct_engagement_scores as scores
    full outer join component_totals using (score_model, entity_id, period_start)
    where scores.score is null or component_totals.points is null or scores.score <> component_totals.points
)
select
    (select count(*) from fct_engagement_scores),
    (select count(*) from fct_engagement_score_components),
    (select count(*) from fct_events),
    (select count(*) from rejected_events),
    (select cast(sum(score) as varchar) || '/' || cast(max(as_of_date) as varchar) from fct_engagement_scores),
    (select count(*) from mismatches)
"""

READER = r"""
import json, os, sys, time
import duckdb

database, out_path, stop_path, sql, mode = sys.argv[1:6]
# mode held: a BI tool that opened the file once and never lets go; mode poll: one that opens it anew
# for every poll. Separate processes: DuckDB shares one open database per path within a process, so
# a poller beside the held connection would keep reading the file the held one opened.
held = duckdb.connect(database, read_only=True) if mode == "held" else None
first = [str(value) for value in held.execute(sql).fetchone()] if held else None
with open(out_path, "w") as out:
    out.write(json.dumps({"ready": True}) + "\n")
    out.flush()
    while not os.path.exists(stop_path):
        if held is None:
            try:
                with duckdb.connect(database, read_only=True) as connection:
                    out.write(json.dumps({"state": [str(value) for value in connection.execute(sql).fetchone()]}) + "\n")
            except Exception as error:
                out.write(json.dumps({"error": " ".join(str(error).split())}) + "\n")
            out.flush()
        time.sleep(0.02)
    if held:
        last = [str(value) for value in held.execute(sql).fetchone()]
        out.write(json.dumps({"held_first": first, "held_last": last}) + "\n")
"""


def cli_env(database: Path, **extra: str) -> dict:
    return {**os.environ, "ENGAGEMENT_DUCKDB_PATH": str(database), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "ENGAGEMENT_PUBLISH_PAUSE_AT": "", **extra}


def cli_command(state: str, project_dir: Path = PROJECT_DIR) -> list[str]:
    return [sys.executable, str(project_dir / "scripts" / "engagement.py"), "run", "--events", str(EVENTS),
            "--as-of", STATE_AS_OF[state]]


def run_cli(database: Path, state: str, project_dir: Path = PROJECT_DIR) -> subprocess.CompletedProcess:
    return subprocess.run(cli_command(state, project_dir), capture_output=True, text=True, timeout=600,
                          env=cli_env(database))


def copy_project_with_cli(destination: Path) -> Path:
    """A copy of the project with its scripts, whose CLI builds the copy (its own PROJECT_DIR)."""
    project_dir = copy_project(destination)
    shutil.copytree(PROJECT_DIR / "scripts", project_dir / "scripts",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return project_dir


def without_the_totals_check(project_dir: Path) -> Path:
    """The copy's validate no longer refuses points too large for decimal(18, 4): a stand-in for a
    mistake no check catches, which then fails the build half way (a cast error)."""
    semantics = project_dir / "scripts" / "engagement_semantics.py"
    text = semantics.read_text()
    assert "TOTAL_POINTS_LIMIT = Decimal(10) ** 12" in text
    semantics.write_text(text.replace("TOTAL_POINTS_LIMIT = Decimal(10) ** 12", "TOTAL_POINTS_LIMIT = Decimal(10) ** 40"))
    return project_dir


def snapshot(database: Path) -> list[str]:
    with duckdb.connect(str(database), read_only=True) as connection:
        return [str(value) for value in connection.execute(SNAPSHOT_SQL).fetchone()]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def wal(path: Path) -> Path:
    return Path(str(path) + ".wal")


@pytest.fixture(scope="module")
def states(tmp_path_factory) -> dict:
    """Each state's published file (built by the CLI), and its snapshot."""
    built = {}
    for state in STATE_AS_OF:
        database = tmp_path_factory.mktemp(f"state_{state}") / "engagement.duckdb"
        completed = run_cli(database, state)
        assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
        assert not wal(database).exists()
        built[state] = {"file": database, "snapshot": snapshot(database)}
    assert built["A"]["snapshot"] != built["B"]["snapshot"]
    for state in built.values():
        assert state["snapshot"][-1] == "0"  # components add up
    return built


@pytest.fixture
def published(states, tmp_path) -> Path:
    """A published file holding state A, where users' jobs read it."""
    database = tmp_path / "published" / "engagement.duckdb"
    database.parent.mkdir()
    shutil.copyfile(states["A"]["file"], database)
    return database


def test_readers_never_block_a_build_nor_see_a_half_published_state(states, published, tmp_path):
    stop = tmp_path / "stop"
    outputs = {mode: tmp_path / f"{mode}.jsonl" for mode in ("held", "poll")}
    readers = [subprocess.Popen([sys.executable, "-c", READER, str(published), str(out), str(stop), SNAPSHOT_SQL, mode])
               for mode, out in outputs.items()]
    try:
        deadline = time.monotonic() + 60
        while not all(out.exists() and out.read_text().strip() for out in outputs.values()):
            assert time.monotonic() < deadline, "the readers did not start"
            time.sleep(0.05)
        for state in ("B", "A"):  # two publishes while one reader polls and the other holds the file open
            completed = run_cli(published, state)
            assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
            assert snapshot(published) == states[state]["snapshot"]
            time.sleep(0.5)
    finally:
        stop.touch()
        for reader in readers:
            reader.wait(timeout=60)
    records = [json.loads(line) for line in outputs["poll"].read_text().splitlines()]
    polls = [record["state"] for record in records if "state" in record]
    errors = [record["error"] for record in records if "error" in record]
    assert not errors, errors[:5]
    allowed = [states["A"]["snapshot"], states["B"]["snapshot"]]
    assert [poll for poll in polls if poll not in allowed] == []
    assert states["B"]["snapshot"] in polls, f"the reader never saw the new build in {len(polls)} polls"
    # the connection held open all along still reads the build it opened, whole
    [held] = [json.loads(line) for line in outputs["held"].read_text().splitlines() if "held_first" in line]
    assert held["held_first"] == held["held_last"] == states["A"]["snapshot"]
    assert not wal(published).exists()
    # nothing of the build is left beside the published file (the HTML report `run` writes there is
    # a product of the run, not a leftover)
    assert sorted(path.name for path in published.parent.iterdir()) == \
        ["engagement.duckdb", "engagement.duckdb.lock", "engagement_report.html"]


def start_cli(database: Path, state: str, pause_at: str = "") -> subprocess.Popen:
    return subprocess.Popen(cli_command(state), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=cli_env(database, ENGAGEMENT_PUBLISH_PAUSE_AT=pause_at))


def wait_for_line(process: subprocess.Popen, needle: str, timeout: float = 300) -> list[str]:
    """Reads the process's output until a line holds `needle`; fails if it ends first."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        if needle in line:
            return seen
    process.kill()
    raise AssertionError(f"never printed {needle!r}:\n{''.join(seen)[-3000:]}")


# Where the build is killed: after the first mart of the scores is written (new components beside old
# scores, were it written in place), after the whole build and its tests, after the work file is
# checkpointed and flushed (just before the rename), and just after the rename.
KILL_POINTS = {
    "after-a-few-nodes": "OK created sql table model main.fct_engagement_score_components",
    "built": "engagement publish: paused at built",
    "synced": "engagement publish: paused at synced",
    "replaced": "engagement publish: paused at replaced",
}


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_kill_9_at_any_point_leaves_the_published_marts_whole(states, published, point):
    before = digest(published)
    process = start_cli(published, "B", pause_at="" if point == "after-a-few-nodes" else point)
    try:
        wait_for_line(process, KILL_POINTS[point])
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
    assert not wal(published).exists()
    if point == "replaced":  # the new file was already in place: it is whole
        assert snapshot(published) == states["B"]["snapshot"]
        return
    assert digest(published) == before
    assert snapshot(published) == states["A"]["snapshot"]
    if point == "after-a-few-nodes":
        # the half-built work file (and its WAL) is cleared by the next run, which publishes
        leftovers = sorted(path.name for path in published.parent.iterdir() if ".building" in path.name)
        assert "engagement.duckdb.building" in leftovers
        completed = run_cli(published, "B")
        assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
        assert snapshot(published) == states["B"]["snapshot"]
        assert [path.name for path in published.parent.iterdir() if ".building" in path.name] == []


def test_a_second_concurrent_build_fails_with_one_line_and_changes_nothing(states, published):
    before = digest(published)
    first = start_cli(published, "B", pause_at="built")
    try:
        wait_for_line(first, "engagement publish: paused at built")
        second = run_cli(published, "B")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=60)
    assert second.returncode == 1
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1, second.stderr
    assert lines[0].startswith(f"engagement run: another build is running for {published} (pid {first.pid}"), lines
    assert "nothing was built or published" in lines[0]
    assert digest(published) == before


def test_a_cast_error_in_the_build_leaves_the_published_marts_as_they_were(states, published, tmp_path):
    """A 14-digit weight overflows decimal(18, 4) in the score sum, after the components mart is
    built: published in place, components and scores would disagree. (validate refuses such a
    weight now; the copy's check is lifted to stand for a mistake no check catches.)"""
    project_dir = without_the_totals_check(copy_project_with_cli(tmp_path / "project"))

    def huge_weekly_points(rows):
        for row in rows:
            if row["signal"] == "login_frequency" and row["label"] == "weekly":
                row["points"] = "99999999999999"
        return rows

    rewrite_csv(project_dir / "seeds" / "engagement_weights.csv", huge_weekly_points)
    before = digest(published)
    completed = run_cli(published, "B", project_dir)
    assert completed.returncode == 1, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert "out of range" in completed.stdout.lower(), completed.stdout[-3000:]
    assert snapshot(published) == states["A"]["snapshot"]
    assert digest(published) == before
    last = completed.stderr.strip().splitlines()[-1]
    assert last.startswith("engagement run: dbt build failed after "), completed.stderr
    assert f"nothing was published: {published} is as it was" in last
