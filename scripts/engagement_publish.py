"""Write, audit, publish: `engagement.py run` builds into a work location, runs every data test
there, and only then publishes all of it at once, so readers see the previous build or the new
one, never a mix, and a failed or killed build leaves the published marts exactly as they were.

- DuckDB: the work file is the published file's name plus `.building`, in the same folder. It
  starts as a copy of the published file (so tables of your own in it, such as a raw events
  table, carry over), is built and tested, checkpointed and closed (its WAL folded in), flushed
  to disk, and then renamed over the published file (os.replace: atomic on POSIX). A reader
  that holds the old file open keeps reading the old build until it reconnects.
- PostgreSQL: the work schema is `<schema>__building`; publishing renames it to the published
  name in one transaction (macros/engagement_publish_schema.sql). Before the build, the published
  table of every incremental model is copied into the work schema (on Spark too:
  macros/engagement_carry_over_incremental.sql), so that an incremental run continues from it.
- Spark: the work database is `<schema>__building`; publishing copies its tables into the
  published database and swaps them in by rename, one table at a time (no transactions).

One build at a time per published file or schema: a second one fails at once with one line (a
lock file, released by the kernel when the holder dies, even by kill -9).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import shutil
import time
from pathlib import Path

import yaml

PUBLISH_ATTEMPTS = 20  # schema swaps tried while readers hold the old tables
WORK_SUFFIX = "__building"
# An identifier the schema swap can name without quoting surprises (and PostgreSQL's 63-byte limit).
SCHEMA_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class PublishError(RuntimeError):
    """The build could not be published (or not even started); the message is one line."""


def engine_of(project_dir: Path, target: str | None) -> tuple[str, str]:
    """(target name, adapter type) of the profile target a build would use."""
    profiles = yaml.safe_load((project_dir / "profiles.yml").read_text())["engagement_scoring"]
    name = target or os.environ.get("ENGAGEMENT_TARGET") or "duckdb"
    outputs = profiles["outputs"]
    if name not in outputs:
        raise PublishError(f"target {name!r} is not in profiles.yml; targets: {', '.join(sorted(outputs))}")
    return name, outputs[name]["type"]


def release_duckdb() -> None:
    """Closes the DuckDB database dbt-duckdb keeps open in this process after a command."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:
        return
    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            DuckDBConnectionManager._ENV.close()
        DuckDBConnectionManager.close_all_connections()


@contextlib.contextmanager
def exclusive_lock(path: Path, what: str):
    """Holds an exclusive lock on `path` (created if missing); PublishError at once if another holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            handle.seek(0)
            holder = handle.read().strip()
            raise PublishError(f"another build is running for {what} ({holder or 'lock ' + str(path)}); "
                               "nothing was built or published") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, lock {path}")
        handle.flush()
        yield
    finally:
        handle.close()  # closing releases the lock


def fsync_path(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def pause_point(step: str) -> None:
    """For the kill tests only: ENGAGEMENT_PUBLISH_PAUSE_AT=<step> stops here (a line on stderr, then a sleep)."""
    if os.environ.get("ENGAGEMENT_PUBLISH_PAUSE_AT") == step:
        import sys
        import time

        print(f"engagement publish: paused at {step}", file=sys.stderr, flush=True)
        time.sleep(600)


class DuckDBPublisher:
    """Builds into `<published>.building` and replaces the published file with it."""

    def __init__(self, project_dir: Path):
        configured = os.environ.get("ENGAGEMENT_DUCKDB_PATH", "data/engagement.duckdb")
        if configured == ":memory:" or configured.startswith("md:"):
            raise PublishError(f"ENGAGEMENT_DUCKDB_PATH={configured!r} is not a file: there is nothing to publish to")
        published = Path(configured)
        self.published = published if published.is_absolute() else project_dir / published
        self.work = self.published.with_name(self.published.name + ".building")
        self.location = str(configured)
        # DuckDB's spill folder: the profile's default follows ENGAGEMENT_DUCKDB_PATH, so it is the
        # work file's own; a folder set with ENGAGEMENT_DUCKDB_TEMP_DIR is left to DuckDB.
        self.temp_dir = None if os.environ.get("ENGAGEMENT_DUCKDB_TEMP_DIR") else Path(str(self.work) + ".tmp")

    def wal(self, path: Path) -> Path:
        return Path(str(path) + ".wal")

    def lock(self):
        return exclusive_lock(Path(str(self.published) + ".lock"), str(self.location))

    def prepare(self, full_refresh: bool = False) -> None:
        """Removes what a killed or failed run left, and starts the work file from the published one
        (incremental models included, so they continue from it; --full-refresh rebuilds them there)."""
        for leftover in (self.work, self.wal(self.work), self.temp_dir):
            if leftover is not None:
                remove(leftover)
        self.published.parent.mkdir(parents=True, exist_ok=True)
        if not self.published.exists():
            if self.wal(self.published).exists():
                raise PublishError(f"{self.wal(self.published)} has no database file beside it; move it away")
            return
        if self.wal(self.published).exists():
            # Written outside `engagement.py run` (a plain dbt build, killed or still open): fold it
            # in, which changes nothing readers see, so that the copy below holds all of it.
            import duckdb

            try:
                with duckdb.connect(str(self.published)) as connection:
                    connection.execute("checkpoint")
            except duckdb.Error as error:
                raise PublishError(f"{self.location} has a write-ahead log from a write outside engagement.py run "
                                   f"and could not be checkpointed ({str(error).splitlines()[0]}); "
                                   "close the program holding it and run again") from None
        shutil.copyfile(self.published, self.work)

    def build_env(self) -> dict:
        return {"ENGAGEMENT_DUCKDB_PATH": str(self.work)}

    def publish(self) -> None:
        import duckdb

        release_duckdb()
        pause_point("built")
        # Checkpoint and close: every change is in the file itself, and no WAL is left to carry over.
        with duckdb.connect(str(self.work)) as connection:
            connection.execute("checkpoint")
        if self.wal(self.work).exists():
            raise PublishError(f"{self.wal(self.work)} was left after the checkpoint; nothing was published")
        fsync_path(self.work)
        pause_point("synced")
        if self.wal(self.published).exists():
            raise PublishError(f"{self.wal(self.published)} appeared during the build: something else writes "
                               f"{self.location}; nothing was published")
        os.replace(self.work, self.published)
        fsync_path(self.published.parent)  # the rename itself, durable
        pause_point("replaced")
        self.cleanup()

    def cleanup(self) -> None:
        release_duckdb()
        if self.temp_dir is not None:
            remove(self.temp_dir)

    def describe_failure(self) -> str:
        return f"nothing was published: {self.location} is as it was (the failed build is in {self.work})"


class SchemaPublisher:
    """PostgreSQL and Spark: builds into `<schema>__building` and swaps it in (engagement_publish_schema)."""

    def __init__(self, project_dir: Path, target: str, engine: str):
        default = "engagement"
        self.published = os.environ.get("ENGAGEMENT_SCHEMA", default)
        self.work = self.published + WORK_SUFFIX
        if not SCHEMA_PATTERN.fullmatch(self.published) or len(self.work) > 63:
            raise PublishError(f"ENGAGEMENT_SCHEMA must be letters, digits and underscores, at most "
                               f"{63 - len(WORK_SUFFIX)} long (the work schema adds {WORK_SUFFIX}), "
                               f"got {self.published!r}")
        self.project_dir = project_dir
        self.target = target
        self.engine = engine
        self.location = f"{engine} schema {self.published}"

    def lock(self):
        lock = self.project_dir / "target" / f"publish-{self.target}-{self.published}.lock"
        return exclusive_lock(lock, self.location)

    def operation(self, macro: str, **extra) -> None:
        """Runs one of the project's publishing macros; PublishError with dbt's error in one line."""
        from dbt.cli.main import dbtRunner

        errors = []

        def keep_errors(event) -> None:
            if event.info.level == "error":
                errors.append(" ".join(event.info.msg.split()))

        arguments = json.dumps({"work_schema": self.work, "published_schema": self.published, **extra})
        result = dbtRunner(callbacks=[keep_errors]).invoke(
            ["--quiet", "run-operation", macro, "--args", arguments, "--target", self.target,
             "--project-dir", str(self.project_dir), "--profiles-dir", str(self.project_dir)])
        if result.exception is not None or not result.success:
            message = "; ".join(errors) or str(result.exception or "see dbt's log")
            raise PublishError(f"{macro} failed: {message}")

    def prepare(self, full_refresh: bool = False) -> None:
        self.operation("engagement_prepare_work_schema")
        # the work schema starts empty: incremental models continue from their published tables (on
        # --full-refresh only those configured full_refresh: false, which dbt never rebuilds)
        self.operation("engagement_carry_over_incremental", full_refresh=full_refresh)

    def build_env(self) -> dict:
        return {"ENGAGEMENT_SCHEMA": self.work}

    def publish(self) -> None:
        pause_point("built")
        # the swap waits at most 0.5 s for readers' locks, then rolls back whole: try again, so that a
        # busy reader delays the publish a little instead of deadlocking with it
        for attempt in range(1, PUBLISH_ATTEMPTS + 1):
            try:
                self.operation("engagement_publish_schema")
                break
            except PublishError as error:
                text = str(error).lower()
                if attempt == PUBLISH_ATTEMPTS or not ("lock timeout" in text or "deadlock detected" in text):
                    raise
                time.sleep(0.2 * attempt)
        pause_point("replaced")

    def cleanup(self) -> None:
        pass

    def describe_failure(self) -> str:
        return f"nothing was published: schema {self.published} is as it was (the failed build is in {self.work})"


def publisher_for(project_dir: Path, target: str | None):
    """The publisher of the target's engine."""
    name, engine = engine_of(project_dir, target)
    if engine == "duckdb":
        return DuckDBPublisher(project_dir)
    if engine in ("postgres", "spark"):
        return SchemaPublisher(project_dir, name, engine)
    raise PublishError(f"target {name!r} is a {engine} target: engagement.py run publishes on duckdb, "
                       "postgres and spark only")


@contextlib.contextmanager
def environment(values: dict):
    """Sets env vars for the dbt commands of the build (the profile reads them), and restores them."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
