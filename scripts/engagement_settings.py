"""Checks of the run settings (env vars and dbt vars) before dbt is started.

Every setting that becomes an SQL identifier must match a strict pattern (the same patterns as
macros/engagement_check_identifier.sql, which refuses them again at dbt parse time for plain `dbt`
runs); numbers must be numbers; the DuckDB file must be writable and not held by another process.
Each problem is one line naming the setting and its value.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

# Keep in step with macros/engagement_check_identifier.sql.
NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
DATABASE_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,62}")
TARGETS = ("duckdb", "postgres", "spark")
DEFAULT_SCHEMAS = {"duckdb": "main", "postgres": "engagement", "spark": "engagement"}
DEFAULT_DUCKDB_PATH = "data/engagement.duckdb"


def duckdb_database_name(path: str) -> str:
    """The database (catalog) name dbt-duckdb derives from the file name: data/my.db.duckdb -> my."""
    if path == ":memory:":
        return "memory"
    return os.path.basename(path).lstrip(".").split(".")[0]


def check_settings(target: str | None, dbt_vars: dict | None = None, environ=None) -> list[str]:
    """One line per bad setting: env vars of the chosen target and the identifier vars."""
    environ = os.environ if environ is None else environ
    problems: list[str] = []
    target = target or environ.get("ENGAGEMENT_TARGET") or "duckdb"
    if target not in TARGETS:
        problems.append(f"target {target!r} (--target or ENGAGEMENT_TARGET) must be one of {', '.join(TARGETS)}")
        return problems
    schema = environ.get("ENGAGEMENT_SCHEMA", DEFAULT_SCHEMAS[target])
    if not NAME_PATTERN.fullmatch(schema):
        problems.append(f"ENGAGEMENT_SCHEMA={schema!r} must match ^{NAME_PATTERN.pattern}$ (it becomes an SQL "
                        "schema name)")
    threads = environ.get("ENGAGEMENT_THREADS", "2")
    if not re.fullmatch(r"[0-9]{1,3}", threads.strip()) or not 1 <= int(threads) <= 256:
        problems.append(f"ENGAGEMENT_THREADS={threads!r} must be a whole number from 1 to 256")
    if target == "duckdb":
        memory_limit = environ.get("ENGAGEMENT_DUCKDB_MEMORY_LIMIT")
        if memory_limit is not None:
            problem = duckdb_memory_limit_problem(memory_limit)
            if problem:
                problems.append(f"ENGAGEMENT_DUCKDB_MEMORY_LIMIT={memory_limit!r} must be a size DuckDB reads, "
                                f"such as 8GB or 80% ({problem})")
        path = environ.get("ENGAGEMENT_DUCKDB_PATH", DEFAULT_DUCKDB_PATH)
        name = duckdb_database_name(path)
        if not DATABASE_PATTERN.fullmatch(name):
            problems.append(f"ENGAGEMENT_DUCKDB_PATH={path!r}: the file name gives the database name {name!r}, "
                            f"which must match ^{DATABASE_PATTERN.pattern}$ (it becomes an SQL identifier)")
    if target == "postgres":
        dbname = environ.get("ENGAGEMENT_POSTGRES_DBNAME", "engagement")
        if not DATABASE_PATTERN.fullmatch(dbname):
            problems.append(f"ENGAGEMENT_POSTGRES_DBNAME={dbname!r} must match ^{DATABASE_PATTERN.pattern}$")
        port = environ.get("ENGAGEMENT_POSTGRES_PORT", "5432")
        if not re.fullmatch(r"[0-9]{1,5}", port.strip()) or not 1 <= int(port) <= 65535:
            problems.append(f"ENGAGEMENT_POSTGRES_PORT={port!r} must be a port number from 1 to 65535")
    for name, default, pattern in (("events_schema", "raw", NAME_PATTERN), ("events_table", "events", NAME_PATTERN),
                                   ("events_database", None, DATABASE_PATTERN),
                                   # the optional outcomes source (issue 12)
                                   ("outcomes_schema", "raw", NAME_PATTERN), ("outcomes_table", None, NAME_PATTERN),
                                   ("outcomes_database", None, DATABASE_PATTERN)):
        value = (dbt_vars or {}).get(name, default)
        if value is not None and not (isinstance(value, str) and pattern.fullmatch(value)):
            problems.append(f"var {name}={value!r} must match ^{pattern.pattern}$ (it becomes an SQL identifier)")
    return problems


def duckdb_memory_limit_problem(value: str) -> str | None:
    """None when DuckDB accepts the value as its memory_limit; else DuckDB's own reason, one line. Asked of
    DuckDB itself (an in-memory database), so the rule is exactly the one the profile's value meets."""
    import duckdb

    try:
        duckdb.connect(":memory:", config={"memory_limit": value}).close()
    except duckdb.Error as error:
        return str(error).splitlines()[0]
    return None


# The vars the macros read as whole numbers (engagement_int_var) and as dates (engagement_date_var), with the
# same rules, so that validate refuses a bad one before anything runs: a lookback of -1 passed validate
# and dbt parse, and failed the run in the events layer after seeds and staging were built.
INT_VARS = ("engagement__lookback_hours", "engagement__min_clean_events", "engagement__outcome_horizon_days",
            "engagement__privacy_min_group_size", "engagement__trend_min_change", "max_days_after_loaded_at")
DATE_VARS = ("as_of_date", "earliest_event_date", "engagement__outcomes_observed_through")


def check_project_vars(project_dir: Path, dbt_vars: dict | None = None) -> list[str]:
    """One line per bad number or date var: dbt_project.yml's values, overridden by dbt_vars."""
    import datetime as dt

    import yaml

    try:
        project = yaml.safe_load((Path(project_dir) / "dbt_project.yml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return []  # dbt itself says what is wrong with the file
    declared = project.get("vars") if isinstance(project.get("vars"), dict) else {}
    values = {**declared, **(dbt_vars or {})}
    # a value dbt renders itself ("{{ env_var(...) }}") is checked by the macros when they read it
    values = {name: value for name, value in values.items() if "{{" not in str(value)}
    problems = []
    for name in INT_VARS:
        if name in values and values[name] is not None:
            text = str(values[name]).strip()
            if not re.fullmatch(r"[0-9]{1,9}", text):
                where = "the command line" if name in (dbt_vars or {}) else "dbt_project.yml"
                problems.append(f"var {name}={values[name]!r} ({where}) must be a whole number >= 0")
    for name in DATE_VARS:
        value = values.get(name)
        if value is None or str(value).strip() in ("", "none", "None", "null"):
            continue
        text = str(value).strip()
        try:
            valid = bool(re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text)) and dt.date.fromisoformat(text) is not None
        except ValueError:
            valid = False
        if not valid:
            where = "the command line" if name in (dbt_vars or {}) else "dbt_project.yml"
            problems.append(f"var {name}={value!r} ({where}) must be a date written YYYY-MM-DD")
    return problems


class DatabaseLocked(Exception):
    """The DuckDB file is held by another process: a run-time failure (exit 1), not bad usage."""


def check_duckdb_file(path: str, project_dir: Path, open_file: bool = True) -> str | None:
    """None when dbt can open the DuckDB file for writing; else one line saying why not (a bad
    setting). With open_file, also opens it: raises DatabaseLocked when another process holds it
    (the publishing run leaves that out: a reader of the published file does not block it)."""
    if path == ":memory:":
        return None
    import duckdb

    file = Path(path) if Path(path).is_absolute() else project_dir / path
    directory = file.parent
    if not directory.exists():
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            return f"ENGAGEMENT_DUCKDB_PATH={path!r}: cannot create the folder {str(directory)!r}: {error.strerror}"
    if not directory.is_dir():
        return f"ENGAGEMENT_DUCKDB_PATH={path!r}: {str(directory)!r} is not a folder"
    if file.exists() and not file.is_file():
        return f"ENGAGEMENT_DUCKDB_PATH={path!r} is not a file"
    if not os.access(directory, os.W_OK) or (file.exists() and not os.access(file, os.W_OK)):
        return f"ENGAGEMENT_DUCKDB_PATH={path!r} cannot be written (no write permission)"
    if not open_file:
        return None
    try:
        connection = duckdb.connect(str(file))
    except duckdb.IOException as error:
        message = str(error)
        if "lock" in message.lower():
            holder = re.search(r"held in (.*?)(?: \(PID (\d+)\))", message)
            who = f" (held by PID {holder.group(2)}, {holder.group(1)})" if holder else ""
            raise DatabaseLocked(f"ENGAGEMENT_DUCKDB_PATH={path!r} is open in another process{who}: close it "
                                 "(a BI tool, another build) and run again") from None
        return f"ENGAGEMENT_DUCKDB_PATH={path!r} cannot be opened: {message.splitlines()[0]}"
    except duckdb.Error as error:
        return f"ENGAGEMENT_DUCKDB_PATH={path!r} cannot be opened: {str(error).splitlines()[0]}"
    connection.close()
    return None
