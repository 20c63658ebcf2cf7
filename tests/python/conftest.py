"""Shared helpers: run dbt in this process against a throwaway DuckDB file, and read the result."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import duckdb
import pytest
from dbt.cli.main import dbtRunner

PROJECT_DIR = Path(__file__).resolve().parents[2]
FIXTURES_DIR = PROJECT_DIR / "tests" / "fixtures"


def release_duckdb() -> None:
    """Closes the DuckDB database that dbt-duckdb may keep open in this process after a command.

    A separate `dbt` process frees the file when it exits; in-process, dbt-duckdb keeps its
    environment, and the profile opens the database with config_options (memory_limit,
    temp_directory), so the tests' own duckdb.connect() would be refused ("a different
    configuration than existing connections"). Closing it makes each command act like a process.
    """
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            DuckDBConnectionManager._ENV.close()
        DuckDBConnectionManager.close_all_connections()


class DbtProject:
    """A dbt project directory and the DuckDB file its builds write to (or another profile target)."""

    def __init__(self, project_dir: Path, work_dir: Path, target: str | None = None, env: dict | None = None,
                 full_refresh: bool = True):
        self.project_dir = project_dir
        self.work_dir = work_dir
        self.database = work_dir / "engagement.duckdb"
        self.target = target
        self.env = env or {}  # set only while a dbt command of this project runs
        # Tests build one input after another into the same database, each a whole new input: their
        # builds and runs are full refreshes unless a test is about incremental runs
        # (test_incremental_runs.py), which says so.
        self.full_refresh = full_refresh

    def dbt(self, *args: str, dbt_vars: dict | None = None):
        """Runs one dbt command; returns dbt's result (check .success)."""
        os.environ["ENGAGEMENT_DUCKDB_PATH"] = str(self.database)
        command = [
            *args,
            *(["--full-refresh"] if self.full_refresh and args and args[0] in ("build", "run") else []),
            "--project-dir", str(self.project_dir),
            "--profiles-dir", str(self.project_dir),
            "--target-path", str(self.work_dir / "target"),
            "--log-path", str(self.work_dir / "logs"),
        ]
        if self.target is not None:
            command += ["--target", self.target]
        if dbt_vars is not None:
            command += ["--vars", json.dumps(dbt_vars)]
        saved = {name: os.environ.get(name) for name in self.env}
        os.environ.update(self.env)
        try:
            result = dbtRunner().invoke(command)
        finally:
            release_duckdb()
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        if result.exception is not None:
            raise result.exception
        return result

    def build(self, dbt_vars: dict | None = None, *extra: str):
        result = self.dbt("build", *extra, dbt_vars=dbt_vars)
        failures = [
            f"{item.node.name}: {item.status} {item.message}"
            for item in (result.result or [])
            if str(item.status) in ("error", "fail")
        ]
        return result, failures

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.database)) as connection:
            return connection.sql(sql).fetchall()


@pytest.fixture(scope="session")
def dbt_env():
    """dbt settings for every test: no usage stats, and the project's own profile."""
    old = dict(os.environ)
    os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    os.environ.pop("DBT_PROFILES_DIR", None)
    os.environ.pop("ENGAGEMENT_TARGET", None)
    os.environ.pop("ENGAGEMENT_SCHEMA", None)  # the tests read each engine's default schema
    yield
    os.environ.clear()
    os.environ.update(old)


@pytest.fixture
def project(tmp_path, dbt_env) -> DbtProject:
    """The repository's project, building into a fresh DuckDB file."""
    return DbtProject(PROJECT_DIR, tmp_path)


def copy_project(destination: Path) -> Path:
    """A copy of the project's dbt files, for tests that edit seeds or vars."""
    ignore = shutil.ignore_patterns(".venv", "target", "logs", "data", ".git", "__pycache__", ".pytest_cache")
    destination.mkdir(parents=True, exist_ok=True)
    for name in ["dbt_project.yml", "profiles.yml"]:
        shutil.copy2(PROJECT_DIR / name, destination / name)
    for name in ["models", "macros", "seeds", "tests", "score_models"]:
        shutil.copytree(PROJECT_DIR / name, destination / name, ignore=ignore)
    return destination


# --- issue 13: one build of the default sample (events and CRM accounts) for the read-only tests of
# the semantic layer and the report. Tests must not write to it. ---
@pytest.fixture(scope="session")
def built_sample(tmp_path_factory, dbt_env) -> DbtProject:
    """The default sample (1,000 users, 6 months, seed 42, with its sample_accounts.csv and
    sample_outcomes.csv) built once."""
    import sys

    sys.path.insert(0, str(PROJECT_DIR / "scripts"))
    import generate_sample_events

    work_dir = tmp_path_factory.mktemp("built_sample")
    events = work_dir / "sample_events.csv"
    assert generate_sample_events.main(["--out", str(events)]) == 0
    project = DbtProject(PROJECT_DIR, work_dir)
    result, failures = project.build({"events_path": str(events), "accounts_path": str(work_dir / "sample_accounts.csv"),
                                      "outcomes_path": str(work_dir / "sample_outcomes.csv")},
                                     "--exclude-resource-type", "unit_test")
    assert result.success and not failures, failures
    return project
# --- issue 13 (end) ---
