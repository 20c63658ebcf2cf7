"""engagement: generate, validate and run the engagement-scoring dbt project.

A thin wrapper: the scoring logic lives in the dbt models; this generates macros from the
score-model declarations, checks the configuration, orchestrates dbt and prints what a person
needs to see. Exit codes: 0 success, 1 a build or check failed, 2 bad usage or input.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_EVENTS = "data/sample_events.csv"
DEFAULT_OUTCOMES = "data/sample_outcomes.csv"  # written beside the sample events (issue 12)
DEFAULT_ACCOUNTS = "data/sample_accounts.csv"  # issue 13: the sample's CRM accounts, beside the events
# What production builds (run, diff) leave to `make test`: the dbt unit tests, which check the SQL
# against the shipped declarations, and the data tests tagged construction_check, which check how a
# key is built rather than the data (the raw-row keys of the views over the raw sources: an md5 of
# the row and its number among identical rows; at 10M events their four tests on the events took
# about 150 of a run's 220 s, reading every raw row again each).
PRODUCTION_BUILD_EXCLUDES = ["--exclude-resource-type", "unit_test", "--exclude", "tag:construction_check"]

sys.path.insert(0, str(Path(__file__).resolve().parent))
import engagement_config  # noqa: E402
import engagement_generate  # noqa: E402
import engagement_settings  # noqa: E402
import engagement_publish  # noqa: E402

BAND_SUMMARY_SQL = """
with scores as (
    select * from {{ ref('fct_engagement_scores') }}
),
trailing_scores as (
    select * from {{ ref('fct_engagement_trailing_scores') }}
),
alerts as (
    select * from {{ ref('fct_engagement_alerts') }}
),
bands as (
    select * from {{ ref('engagement_bands') }}
),
latest as (
    select score_model, max(period_start) as period_start from scores group by score_model
),
rows_by_kind as (
    select scores.score_model, 'period' as kind, scores.period_type as label, scores.period_start as day, scores.band
    from scores
    inner join latest on scores.score_model = latest.score_model and scores.period_start = latest.period_start
    union all
    select score_model, 'trailing', cast(window_days as {{ dbt.type_string() }}), as_of_date, band
    from trailing_scores
    union all
    select alerts.score_model, 'alert', alerts.alert_type, alerts.period_start, alerts.alert_type
    from alerts
    inner join latest on alerts.score_model = latest.score_model and alerts.period_start = latest.period_start
)
select
    rows_by_kind.score_model,
    rows_by_kind.kind,
    rows_by_kind.label,
    rows_by_kind.day,
    coalesce(rows_by_kind.band, '(new)') as band,
    count(*) as entities,
    coalesce(min(bands.band_order), 999) as band_order
from rows_by_kind
left join bands on rows_by_kind.score_model = bands.score_model and rows_by_kind.band = bands.band
group by rows_by_kind.score_model, rows_by_kind.kind, rows_by_kind.label, rows_by_kind.day, rows_by_kind.band
order by rows_by_kind.score_model, band_order, rows_by_kind.kind
"""


# Issue 12: one line per model and outcome of the review marts (empty without outcomes).
REVIEW_SUMMARY_SQL = """
with signals as (
    select * from {{ ref('fct_engagement_signal_review') }}
),
calibration as (
    select * from {{ ref('fct_engagement_outcome_calibration') }}
),
trends as (
    select score_model, outcome, count(distinct period_start) as periods,
        count(distinct case when band_trend = 'rising' then period_start end) as rising,
        count(distinct case when band_trend = 'falling' then period_start end) as falling
    from calibration group by score_model, outcome
)
select signals.score_model, signals.outcome, signals.signal, signals.strength_rank, signals.measure_auc,
    signals.score_auc, signals.observations, signals.observations_with_outcome,
    trends.periods, trends.rising, trends.falling
from signals
left join trends on signals.score_model = trends.score_model and signals.outcome = trends.outcome
where signals.strength_rank <= 3
order by signals.score_model, signals.outcome, signals.strength_rank, signals.signal
"""


def review_summary(target: str | None, dbt_vars: dict, project_dir: Path = PROJECT_DIR) -> list[tuple]:
    args = ["--log-level", "none", "show", "--inline", REVIEW_SUMMARY_SQL, "--limit", "200", "--vars",
            json.dumps(dbt_vars)]
    if target:
        args += ["--target", target]
    try:
        result = invoke_dbt(args, project_dir)
    except RuntimeError:
        return []
    if not result.success:
        return []
    return [tuple(row) for row in result.result.results[0].agate_table.rows]


def auc_direction(value, outcome: str = "it", what: str = "") -> str:
    """How an AUC as the marts hold it reads: below 0.5, lower values go with the outcome, and
    1 - AUC is how well they separate read that way (the raw figure alone looks like a failure)."""
    if value is None:
        return "no AUC"
    if float(value) < 0.5:
        return f"lower {what}goes with {outcome}: {1 - float(value):.4f}"
    return f"higher {what}goes with {outcome}: {float(value):.4f}"


def print_review(rows: list[tuple]) -> None:
    """Per model and outcome: the score's AUC, the calibration trend, the strongest signals."""
    if not rows:
        return
    print("\nReview against outcomes (fct_engagement_signal_review, fct_engagement_outcome_calibration):")
    groups: dict[tuple, list[tuple]] = {}
    for row in rows:
        groups.setdefault((row[0], row[1]), []).append(row)
    for (model, outcome), group in groups.items():
        first = group[0]
        top = ", ".join(f"{row[2]} (AUC {row[4]}; {auc_direction(row[4])})" for row in group)
        trend = f"rising in {first[9]} of {first[8]} periods, falling in {first[10]}" if first[8] else "no period"
        print(f"  {model} / {outcome}: {first[7]} of {first[6]} entity-periods; score AUC {first[5]} "
              f"({auc_direction(first[5], outcome, what='score ')}); "
              f"by band: {trend}; strongest signals: {top}")


class UsageError(Exception):
    """Bad arguments or input: exit code 2."""


def parse_date(text: str, option: str) -> str:
    # YYYY-MM-DD only: fromisoformat also reads 20250320 and 2025-W12-4
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        raise UsageError(f"{option} must be a date written YYYY-MM-DD, got {text!r}")
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise UsageError(f"{option} must be a date written YYYY-MM-DD, got {text!r}") from None


def parse_as_of(text: str, option: str = "--as-of") -> str:
    """An as-of date: YYYY-MM-DD and not after tomorrow, UTC (a day's grace for the time zones ahead
    of it); a later one counts days that have not happened as inactive, and the history keeps it."""
    date = parse_date(text, option)
    latest = (dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=1)).isoformat()
    if date > latest:
        raise UsageError(f"{option} {date} is after tomorrow ({latest}, UTC): scores as of a later date count the "
                         "days until then as inactive, and fct_engagement_score_history keeps them")
    return date


def invoke_dbt(args: list[str], project_dir: Path = PROJECT_DIR):
    """Runs one dbt command in this process; returns dbt's result object."""
    from dbt.cli.main import dbtRunner  # imported late: --help must not pay dbt's import time

    result = dbtRunner().invoke([*args, "--project-dir", str(project_dir), "--profiles-dir", str(project_dir)])
    if result.exception is not None:
        # the whole message, on one line: a var's or setting's own words (the macro's error, naming it and
        # its value) come after dbt's first line; the "> called by" lines are dbt's stack, left out
        lines = [line.strip() for line in str(result.exception).splitlines()
                 if line.strip() and not line.strip().startswith("> called by")]
        command = next((arg for arg in args if not arg.startswith("-")), "command")
        raise RuntimeError(f"dbt {command} could not run: "
                           f"{': '.join(lines) if lines else type(result.exception).__name__}")
    return result


def band_summary(target: str | None, dbt_vars: dict, project_dir: Path = PROJECT_DIR) -> list[tuple]:
    args = ["--log-level", "none", "show", "--inline", BAND_SUMMARY_SQL, "--limit", "100", "--vars", json.dumps(dbt_vars)]
    if target:
        args += ["--target", target]
    result = invoke_dbt(args, project_dir)
    if not result.success:
        raise RuntimeError("could not read fct_engagement_scores for the summary")
    table = result.result.results[0].agate_table
    return [tuple(row) for row in table.rows]


def failing_test_rows(result, target: str | None, dbt_vars: dict, limit: int = 20,
                      project_dir: Path = PROJECT_DIR) -> list[str]:
    """One line per row a failed data test returned (dbt itself says only "Got N results"):
    the test's compiled SQL is run again with dbt show, so it works on every engine."""
    lines = []
    for item in result.result or []:
        node = getattr(item, "node", None)
        if getattr(node, "resource_type", None) != "test" or str(item.status) not in ("fail", "error"):
            continue
        if str(item.status) == "error" or not getattr(node, "compiled_code", None):
            message = next((part.strip() for part in str(item.message or "").splitlines() if part.strip()), "")
            lines.append(f"test {node.name}: {str(item.status)} {message}")
            continue
        args = ["--log-level", "none", "show", "--inline", "{% raw %}" + node.compiled_code + "{% endraw %}",
                "--limit", str(limit), "--vars", json.dumps(dbt_vars)]
        if target:
            args += ["--target", target]
        try:
            shown = invoke_dbt(args, project_dir)
        except RuntimeError:
            shown = None
        if shown is None or not shown.success:
            lines.append(f"test {node.name}: failed ({item.failures} row(s); its rows could not be read back)")
            continue
        table = shown.result.results[0].agate_table
        for row in table.rows:
            values = ", ".join(f"{name}={_plain(value)!r}" for name, value in zip(table.column_names, row))
            lines.append(f"test {node.name} failed: {values}")
        if item.failures and item.failures > len(table.rows):
            lines.append(f"test {node.name}: and {item.failures - len(table.rows)} more row(s)")
    return lines


def _plain(value):
    """Numbers and dates as their text, so that a row prints the way the seed holds it."""
    return value if value is None or isinstance(value, str) else str(value)


def print_summary(rows: list[tuple]) -> None:
    """Per model: entities per band in its latest calendar period and over its trailing window, and
    the alerts raised in its latest period."""
    if not rows:
        print("No scores were built: fct_engagement_scores is empty.")
        return
    models: dict[str, list[tuple]] = {}
    alerts: dict[str, list[tuple]] = {}
    for row in rows:
        (alerts if row[1] == "alert" else models).setdefault(row[0], []).append(row)
    for model, model_rows in models.items():
        period = next((row for row in model_rows if row[1] == "period"), None)
        trailing = next((row for row in model_rows if row[1] == "trailing"), None)
        totals = {kind: sum(row[5] for row in model_rows if row[1] == kind) for kind in ("period", "trailing")}
        heading = f"\n{model}:"
        if period:
            heading += f" the {period[2]} starting {period[3]} ({totals['period']} entities)"
        if trailing:
            heading += f"{',' if period else ''} the {trailing[2]} days to {trailing[3]} ({totals['trailing']})"
        print(heading + "\n")
        print(f"  {'band':<12} {'latest period':>14} {'share':>7} {'trailing window':>16} {'share':>7}")
        bands = list(dict.fromkeys(row[4] for row in model_rows))
        for band in bands:
            cells = []
            for kind in ("period", "trailing"):
                count = sum(row[5] for row in model_rows if row[1] == kind and row[4] == band)
                share = f"{100 * count / totals[kind]:.1f}%" if totals[kind] else "-"
                cells.append((count, share))
            print(f"  {band:<12} {cells[0][0]:>14} {cells[0][1]:>7} {cells[1][0]:>16} {cells[1][1]:>7}")
        raised = sorted(alerts.get(model, []), key=lambda row: row[2])
        if raised:
            print("  alerts in the latest period: " + ", ".join(f"{row[2]} {row[5]}" for row in raised)
                  + " (fct_engagement_alerts)")


def report(problems: list, heading: str) -> None:
    print(f"{heading}: {len(problems)} problem(s)", file=sys.stderr)
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)


def checked_config(project_dir: Path) -> engagement_config.Config:
    """The configuration, or UsageError listing every problem in it."""
    config = engagement_config.check_configuration(project_dir)
    if config.problems:
        report(config.problems, "configuration refused")
        raise UsageError("fix the configuration above; nothing was generated or run")
    report_warnings(config.warnings)
    return config


def report_warnings(warnings: list) -> None:
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)


def command_generate(args: argparse.Namespace) -> int:
    project_dir = Path(args.project_dir)
    config = engagement_config.load_config(project_dir)
    if config.problems:
        report(config.problems, "declarations refused")
        return 2
    if args.check:
        stale = engagement_generate.stale_files(project_dir, config.models)
        if stale:
            print("generated macros are out of date (run: scripts/engagement.py generate):", file=sys.stderr)
            for line in stale:
                print(f"  {line}", file=sys.stderr)
            return 1
        print(f"generated macros are up to date ({len(config.models)} score model(s))")
        return 0
    written = engagement_generate.write_all(project_dir, config.models)
    for path in written:
        print(f"wrote {path}")
    if not written:
        print("generated macros were already up to date")
    return 0


def command_validate(args: argparse.Namespace) -> int:
    project_dir = Path(args.project_dir)
    config = engagement_config.check_configuration(project_dir)
    problems = [str(problem) for problem in config.problems]
    problems += engagement_settings.check_settings(None)
    problems += engagement_settings.check_project_vars(project_dir)
    if args.strict:
        problems += [f"{warning} [a warning; --strict refuses it]" for warning in config.warnings]
    else:
        report_warnings(config.warnings)
    if not config.problems:
        problems += [f"{line}: run scripts/engagement.py generate"
                     for line in engagement_generate.stale_files(project_dir, config.models)]
    problems += engagement_generate.event_contract_problems(project_dir)
    if not args.skip_lint and not problems:
        sqlfluff = Path(sys.executable).parent / "sqlfluff"
        # the dbt templater compiles against the profile: an in-memory DuckDB needs no data/ folder
        lint = subprocess.run([str(sqlfluff), "lint", "models", "tests"], cwd=project_dir, capture_output=True,
                              text=True, env={**os.environ, "ENGAGEMENT_DUCKDB_PATH": ":memory:"})
        if lint.returncode != 0:
            problems.append("sqlfluff lint failed:\n" + (lint.stdout + lint.stderr).strip())
    if not args.skip_parse and not problems:
        os.chdir(project_dir)
        result = invoke_dbt(["--log-level", "none", "parse"], project_dir)
        if not result.success:
            problems.append("dbt parse failed (run `dbt parse` to see why)")
    if problems:
        print(f"validate: {len(problems)} problem(s)", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    checks = ["declarations", "weights", "bands", "aliases", "allow-lists", "semantics", "settings", "generated macros",
              "event columns"]
    checks += [] if args.skip_lint else ["sqlfluff"]
    checks += [] if args.skip_parse else ["dbt parse"]
    warned = f", {len(config.warnings)} warning(s)" if config.warnings and not args.strict else ""
    print(f"validate: all good ({', '.join(checks)}; {len(config.models)} score model(s){warned})")
    return 0


def command_sample(args: argparse.Namespace) -> int:
    import generate_sample_events

    return generate_sample_events.main(
        ["--out", args.out, "--users", str(args.users), "--months", str(args.months), "--seed", str(args.seed)]
    )


def command_run(args: argparse.Namespace) -> int:
    project_dir = Path(args.project_dir)
    dbt_vars: dict[str, str] = {}
    events = args.events
    outcomes = getattr(args, "outcomes", None)
    if events is None and args.target in (None, "duckdb"):
        events = DEFAULT_EVENTS
        # the sample's outcomes go with the sample's events (an older sample may lack them)
        outcomes = DEFAULT_OUTCOMES if outcomes is None else outcomes
        if not (project_dir / events).exists() or not (project_dir / DEFAULT_OUTCOMES).exists():
            print(f"No events given: generating the sample data set at {events}")
            command_sample(argparse.Namespace(out=str(project_dir / events), users=1000, months=6, seed=42))
    if events is not None:
        dbt_vars["events_path"] = events
    dbt_vars.update(outcome_vars(outcomes, args.target, project_dir))
    # --- issue 13: the optional CRM accounts (with the default sample: its accounts file) ---
    accounts = args.accounts
    if accounts is not None and (args.target or os.environ.get("ENGAGEMENT_TARGET") or "duckdb") != "duckdb":
        raise UsageError("--accounts reads a file on DuckDB only; elsewhere name a table with the dbt vars "
                         "accounts_schema and accounts_table")
    if accounts is None and args.events is None and args.target in (None, "duckdb"):
        if not (project_dir / DEFAULT_ACCOUNTS).exists():
            import generate_sample_events

            generate_sample_events.write_accounts_csv(generate_sample_events.sample_accounts(
                generate_sample_events.read_rows(project_dir / DEFAULT_EVENTS), 42), project_dir / DEFAULT_ACCOUNTS)
        accounts = DEFAULT_ACCOUNTS
    if accounts is not None:
        dbt_vars["accounts_path"] = accounts
    # --- issue 13 (end) ---
    if args.as_of:
        dbt_vars["as_of_date"] = parse_as_of(args.as_of)
    settings_problems = engagement_settings.check_settings(args.target, dbt_vars)
    settings_problems += engagement_settings.check_project_vars(project_dir, dbt_vars)
    if settings_problems:
        raise UsageError("; ".join(settings_problems))
    config = checked_config(project_dir)
    if args.score_model is not None:
        declared = sorted(model.name for model in config.models)
        if args.score_model not in declared:
            raise UsageError(f"--score-model {args.score_model!r} is not declared; declared: {', '.join(declared)}")
        dbt_vars["score_model"] = args.score_model
    stale = engagement_generate.stale_files(project_dir, config.models)
    if stale:
        raise UsageError("generated macros are out of date (" + "; ".join(stale) + "): run scripts/engagement.py generate")

    os.chdir(project_dir)  # relative paths in vars and profiles are relative to the project
    if (args.target or os.environ.get("ENGAGEMENT_TARGET") or "duckdb") == "duckdb":
        # checked here, not left to dbt: it reports an unwritable path with a stack trace. A reader
        # holding the published file open does not block the build (it writes a work file).
        problem = engagement_settings.check_duckdb_file(
            os.environ.get("ENGAGEMENT_DUCKDB_PATH", engagement_settings.DEFAULT_DUCKDB_PATH), project_dir,
            open_file=False)
        if problem:
            raise UsageError(problem)
    # dbt unit tests check the SQL against the shipped declarations: they belong to the test suite
    # (make test), not to production runs, where an added signal would make them fail; so do the
    # construction checks (PRODUCTION_BUILD_EXCLUDES)
    build_args = ["build", *PRODUCTION_BUILD_EXCLUDES, "--vars", json.dumps(dbt_vars)]
    if args.target:
        build_args += ["--target", args.target]
    full_refresh = args.full_refresh
    rebuild_reason = events_layer_rebuild_reason(dbt_vars, args.target)
    if rebuild_reason and not full_refresh:
        print(rebuild_reason)
        full_refresh = True
    if full_refresh:
        build_args += ["--full-refresh"]
    # Write, audit, publish (scripts/engagement_publish.py): build and test in a work location,
    # publish it all at once only when every node passed.
    publisher = engagement_publish.publisher_for(project_dir, args.target)
    with publisher.lock():
        publisher.prepare(full_refresh=full_refresh)
        started = time.perf_counter()
        try:
            with engagement_publish.environment(publisher.build_env()):
                result = invoke_dbt(build_args, project_dir)
                elapsed = time.perf_counter() - started
                if not result.success:
                    guards = failed_guards(result, args.target, project_dir)
                    engagement_publish.release_duckdb()
                    if guards:
                        raise engagement_publish.PublishError(f"{'; '.join(guards)}; {publisher.describe_failure()}")
                    for line in failing_test_rows(result, args.target, dbt_vars, project_dir=project_dir):
                        print(f"  {line}", file=sys.stderr)
                    raise engagement_publish.PublishError(f"dbt build failed after {elapsed:.1f} s (see the errors "
                                                          f"above); {publisher.describe_failure()}")
                rows = band_summary(args.target, dbt_vars, project_dir)
                review_rows = review_summary(args.target, dbt_vars, project_dir)
            publisher.publish()
        finally:
            publisher.cleanup()
    print(f"\ndbt build succeeded in {elapsed:.1f} s; published to {publisher.location}.")
    print_summary(rows)
    print_review(review_rows)
    print_report_location(args.target)
    return 0


# Columns int_events_deduplicated had in an earlier release and no longer has: a published table
# that holds one is rebuilt in full once (row_key: now part of event_row_key, the delete+insert key).
RETIRED_EVENTS_LAYER_COLUMNS = frozenset({"row_key"})


def events_layer_rebuild_reason(dbt_vars: dict, target: str | None) -> str | None:
    """On DuckDB: why this run must rebuild the events layer in full, in a sentence: its events_path
    differs from the one the published build read (int_events_source), or the published events layer
    has an earlier release's columns; None when neither, or nothing was published yet."""
    if (target or os.environ.get("ENGAGEMENT_TARGET") or "duckdb") != "duckdb" or "events_path" not in dbt_vars:
        return None
    published = Path(os.environ.get("ENGAGEMENT_DUCKDB_PATH", engagement_settings.DEFAULT_DUCKDB_PATH))
    if not published.is_file():
        return None
    import duckdb

    try:
        with duckdb.connect(str(published), read_only=True) as connection:
            found = connection.execute(
                "select events_path from int_events_source"
                " where exists (select 1 from information_schema.tables where table_name = 'int_events_source')"
            ).fetchall()
            columns = {name for (name,) in connection.execute(
                "select column_name from information_schema.columns where table_name = 'int_events_deduplicated'"
            ).fetchall()}
    except duckdb.Error:
        return None  # an older build (no such table) or a file another process holds: keep the incremental run
    finally:
        engagement_publish.release_duckdb()
    if columns and not columns.isdisjoint(RETIRED_EVENTS_LAYER_COLUMNS):
        # the model refuses a changed column set (on_schema_change: fail): rebuilt once, in full
        return ("The published events layer was built by an earlier release (int_events_deduplicated has "
                + ", ".join(sorted(columns & RETIRED_EVENTS_LAYER_COLUMNS)) + "): it is rebuilt in full once.")
    if not found or found[0][0] == dbt_vars["events_path"]:
        return None
    return (f"The events source changed since the published build (was {found[0][0]!r}, now "
            f"{dbt_vars['events_path']!r}): the events layer is rebuilt in full (another file is not new rows "
            "of the same feed).")


def outcome_vars(outcomes: str | None, target: str | None, project_dir: Path) -> dict:
    """The dbt vars for --outcomes (issue 12): a file or glob on DuckDB. Checked here so that a
    missing file is one line, not a DuckDB stack trace."""
    if outcomes is None:
        return {}
    if (target or os.environ.get("ENGAGEMENT_TARGET") or "duckdb") != "duckdb":
        raise UsageError(f"--outcomes {outcomes!r}: a file is read on DuckDB only; elsewhere set the vars "
                         "outcomes_schema and outcomes_table")
    path = Path(outcomes) if Path(outcomes).is_absolute() else project_dir / outcomes
    if not any(ch in outcomes for ch in "*?[") and not path.is_file():
        raise UsageError(f"--outcomes {outcomes!r}: no such file")
    return {"outcomes_path": outcomes}


# --- issue 13: the HTML report (scripts/engagement_report.py) ---
def published_duckdb(project_dir: Path) -> Path:
    path = Path(os.environ.get("ENGAGEMENT_DUCKDB_PATH", engagement_settings.DEFAULT_DUCKDB_PATH))
    return path if path.is_absolute() else project_dir / path


def print_report_location(target: str | None) -> None:
    """After a DuckDB run: writes the report beside the published file and says where it is."""
    if (target or os.environ.get("ENGAGEMENT_TARGET") or "duckdb") != "duckdb":
        print("\nreport: the HTML report reads DuckDB builds only (engagement.py report)")
        return
    import engagement_report

    database = published_duckdb(Path.cwd())
    try:
        output = engagement_report.write_report(database, engagement_report.default_output(database))
    except (engagement_report.ReportError, OSError) as error:
        print(f"\nreport: not written: {error}", file=sys.stderr)
        return
    print(f"\nreport: {output} (open it in a browser; no network needed)")


def command_report(args: argparse.Namespace) -> int:
    import engagement_report

    project_dir = Path(args.project_dir)
    if (os.environ.get("ENGAGEMENT_TARGET") or "duckdb") != "duckdb":
        raise UsageError("the report reads the published DuckDB file; ENGAGEMENT_TARGET is "
                         f"{os.environ.get('ENGAGEMENT_TARGET')!r}")
    database = Path(args.database) if args.database else published_duckdb(project_dir)
    output = Path(args.output) if args.output else engagement_report.default_output(database)
    if output.exists() and output.is_dir():
        raise UsageError(f"--output {str(output)!r} is a folder; give a file name such as report.html")
    try:
        written = engagement_report.write_report(database, output)
    except engagement_report.ReportError as error:
        raise RuntimeError(str(error)) from None
    except OSError as error:
        raise UsageError(f"cannot write {str(output)!r}: {error.strerror}") from None
    print(f"report: {written}")
    return 0
# --- issue 13 (end) ---


def failed_guards(result, target: str | None, project_dir: Path) -> list[str]:
    """'volume guard <name> failed: <its problem row>' for each volume guard the build failed."""
    found = []
    # by name: the guards run in parallel, and one line should read the same on every run
    for item in sorted(result.result or [], key=lambda item: item.node.name):
        node = item.node
        if str(item.status) != "fail" or "volume_guard" not in (node.tags or []):
            continue
        problem = "see its rows"
        args = ["--log-level", "none", "show", "--inline", node.compiled_code, "--limit", "1"]
        if target:
            args += ["--target", target]
        try:
            shown = invoke_dbt(args, project_dir)
            if shown.success:
                table = shown.result.results[0].agate_table
                if table.rows:
                    problem = str(table.rows[0]["problem"])
        except RuntimeError:
            pass
        found.append(f"volume guard {node.name} failed: {problem}")
    return found


def command_suggest_weights(args: argparse.Namespace) -> int:
    """Issue 12: a proposed weights CSV for one model and outcome, and its report (Markdown)."""
    import re

    import engagement_suggest

    project_dir = Path(args.project_dir)
    declared = sorted(model.name for model in engagement_config.load_config(project_dir).models)
    if args.model not in declared:
        raise UsageError(f"--model {args.model!r} is not declared; declared: {', '.join(declared)}")
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", args.outcome):
        raise UsageError(f"--outcome {args.outcome!r} must be an outcome name as the marts hold it "
                         "(lowercase letters, digits, underscores), e.g. churned")
    db_path = os.environ.get("ENGAGEMENT_DUCKDB_PATH", engagement_settings.DEFAULT_DUCKDB_PATH)
    db_path = db_path if Path(db_path).is_absolute() else str(project_dir / db_path)
    if not Path(db_path).is_file():
        raise UsageError(f"ENGAGEMENT_DUCKDB_PATH={db_path!r}: no such file; build first (make run)")
    out = Path(args.out or f"data/proposed_weights__{args.model}__{args.outcome}.csv")
    out = out if out.is_absolute() else project_dir / out
    weights = project_dir / "seeds" / "engagement_weights.csv"
    try:
        report_text = engagement_suggest.suggest(db_path, weights, args.model, args.outcome, out, args.direction)
    except engagement_suggest.SuggestError as error:
        raise UsageError(str(error)) from None
    if args.report:
        Path(args.report).write_text(report_text, encoding="utf-8")
    print(report_text, end="")
    return 0


def command_diff(args: argparse.Namespace) -> int:
    """Issue 12: scores with other seeds beside the current ones, in a temporary folder (DuckDB)."""
    import shutil

    import engagement_diff

    project_dir = Path(args.project_dir)
    if not (args.weights or args.bands or args.base_ref):
        raise UsageError("nothing to compare: give --weights, --bands or --base-ref")
    given = {}
    for option, value in (("--weights", args.weights), ("--bands", args.bands)):
        if value is not None:
            path = Path(value) if Path(value).is_absolute() else Path.cwd() / value
            if not path.is_file():
                raise UsageError(f"{option} {value!r}: no such file")
            given[option] = path
    if args.fail_if_moved is not None and not 0 <= args.fail_if_moved <= 100:
        raise UsageError(f"--fail-if-moved {args.fail_if_moved:g} must be a percentage from 0 to 100")
    dbt_vars: dict[str, str] = {}
    events = args.events
    if events is None:
        events = str(project_dir / DEFAULT_EVENTS)
        if not Path(events).exists():
            print(f"No events given: generating the sample data set at {DEFAULT_EVENTS}")
            command_sample(argparse.Namespace(out=events, users=1000, months=6, seed=42))
    dbt_vars["events_path"] = events if Path(events).is_absolute() else str(Path.cwd() / events)
    if args.as_of:
        dbt_vars["as_of_date"] = parse_as_of(args.as_of)
    if args.score_model is not None:
        declared = sorted(model.name for model in engagement_config.load_config(project_dir).models)
        if args.score_model not in declared:
            raise UsageError(f"--score-model {args.score_model!r} is not declared; declared: {', '.join(declared)}")
        dbt_vars["score_model"] = args.score_model

    work = engagement_diff.new_work_dir()
    try:
        try:
            sides = engagement_diff.prepare_sides(project_dir, work, given.get("--weights"), given.get("--bands"),
                                                  args.base_ref)
        except engagement_diff.DiffError as error:
            raise UsageError(str(error)) from None
        names = {"before": {seed: f"{args.base_ref}:{seed}" if args.base_ref else seed
                            for seed in engagement_diff.SEEDS.values()},
                 "after": {engagement_diff.SEEDS["weights"]: args.weights or engagement_diff.SEEDS["weights"],
                           engagement_diff.SEEDS["bands"]: args.bands or engagement_diff.SEEDS["bands"]}}
        for side, side_dir in sides.items():
            config = engagement_config.check_configuration(side_dir)
            if config.problems:
                for problem in config.problems:
                    problem.file = names[side].get(problem.file, problem.file)
                report(config.problems, f"the {side} seeds are refused")
                raise UsageError(f"fix the {side} seeds above; nothing was built")
        databases = {}
        for side, side_dir in sides.items():
            databases[side] = work / side / "engagement.duckdb"
            build_args = ["build", *PRODUCTION_BUILD_EXCLUDES, "--target", "duckdb",
                          "--select", "+fct_engagement_scores +fct_engagement_score_components", "--indirect-selection", "cautious",
                          "--vars", json.dumps(dbt_vars), "--target-path", str(work / side / "target"),
                          "--log-path", str(work / side / "logs"), "--log-level", "none"]
            env = {"ENGAGEMENT_DUCKDB_PATH": str(databases[side]), "ENGAGEMENT_TARGET": "duckdb"}
            with engagement_publish.environment(env):
                result = invoke_dbt(build_args, side_dir)
                engagement_publish.release_duckdb()
                if not result.success:
                    for line in failing_test_rows(result, "duckdb", dbt_vars, project_dir=side_dir):
                        print(f"  {line}", file=sys.stderr)
                    engagement_publish.release_duckdb()
                    raise RuntimeError(f"dbt build with the {side} seeds failed (see above); the published "
                                       "marts were not touched")
        result = engagement_diff.compare(engagement_diff.latest_period_rows(databases["before"]),
                                         engagement_diff.latest_period_rows(databases["after"]), top=args.top)
        after_label = " and ".join(value for value in (args.weights, args.bands) if value) or "the working tree's seeds"
        before_label = f"{args.base_ref}'s seeds" if args.base_ref else "the current seeds"
        title = f"Scores with {after_label} against {before_label}"
        print(engagement_diff.markdown(result, engagement_diff.band_orders(sides["after"] / "seeds/engagement_bands.csv"),
                                       title))
        if args.output:
            for path in engagement_diff.write_csvs(result, Path(args.output)):
                print(f"wrote {path}", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    total = sum(model["entities"] for model in result["models"].values())
    moved = sum(model["moved"] for model in result["models"].values())
    if args.fail_if_moved is not None and total and 100 * moved / total > args.fail_if_moved:
        print(f"engagement diff: {moved} of {total} entities ({100 * moved / total:.1f}%) change band, more than "
              f"--fail-if-moved {args.fail_if_moved:g}%", file=sys.stderr)
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="engagement", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="build the scores (dbt build) and print entities per band",
                              description="Build every score model and test (dbt build) in a work location "
                                          "(DuckDB: a work file beside the published one; elsewhere: the schema "
                                          "plus __building), publish it all at once only when every node passed, "
                                          "then print each model's band summary of its latest period and "
                                          "trailing window.")
    run.add_argument("--events", help="raw events file or glob, CSV or Parquet (DuckDB only; default: the sample, "
                                      "generated when missing)")
    run.add_argument("--outcomes", help="outcomes file or glob, CSV or Parquet, for the review marts (DuckDB only; "
                                        "default: the sample's outcomes with the sample's events, else none)")
    run.add_argument("--accounts", help="CRM accounts file, CSV or Parquet (DuckDB only; default: the sample's "
                                        "accounts with the sample events, else none)")
    run.add_argument("--as-of", help="score as of this UTC date, YYYY-MM-DD (default: the latest clean event date)")
    run.add_argument("--target", help="dbt target from profiles.yml (default: ENGAGEMENT_TARGET or duckdb)")
    run.add_argument("--score-model", help="score only this model, declared in score_models/ (default: every one)")
    run.add_argument("--full-refresh", action="store_true",
                     help="rebuild the incremental models from all raw rows (after a late load beyond "
                          "var engagement__lookback_hours, or a change to the parsing rules)")
    run.add_argument("--project-dir", default=str(PROJECT_DIR), help=argparse.SUPPRESS)
    run.set_defaults(handler=command_run)

    generate = commands.add_parser("generate", help="write macros/generated/ from score_models/*.yml",
                                   description="Generate the measure macros from the score-model declarations.")
    generate.add_argument("--check", action="store_true",
                          help="write nothing; exit 1 when a generated file is stale or missing")
    generate.add_argument("--project-dir", default=str(PROJECT_DIR), help=argparse.SUPPRESS)
    generate.set_defaults(handler=command_generate)

    validate = commands.add_parser("validate", help="check declarations, seeds, generated macros, lint and parse",
                                   description="Check the configuration before anything runs: declarations, the "
                                               "weights, bands, alias and allow-list seeds, generated macros, "
                                               "sqlfluff lint and dbt parse. Reports every problem found.")
    validate.add_argument("--skip-lint", action="store_true", help="do not run sqlfluff lint")
    validate.add_argument("--skip-parse", action="store_true", help="do not run dbt parse")
    validate.add_argument("--strict", action="store_true",
                          help="refuse warnings too (a declared event type that is in no alias seed row)")
    validate.add_argument("--project-dir", default=str(PROJECT_DIR), help=argparse.SUPPRESS)
    validate.set_defaults(handler=command_validate)

    suggest = commands.add_parser("suggest-weights", help="propose a weights CSV from the outcomes (issue 12)",
                                  description="Fit a model's signals against an outcome (scikit-learn logistic "
                                              "regression on the earlier periods), write a proposed weights CSV in "
                                              "the seed's format (the seed is never written) and report the current "
                                              "and proposed AUC on the latest period held out. Reads the built "
                                              "DuckDB file (ENGAGEMENT_DUCKDB_PATH). Needs `make review-install`.")
    suggest.add_argument("--model", required=True, help="the score model, e.g. saas_customer")
    suggest.add_argument("--outcome", required=True, help="the outcome, e.g. churned")
    suggest.add_argument("--out", help="proposed weights CSV (default: data/proposed_weights__MODEL__OUTCOME.csv)")
    suggest.add_argument("--report", help="also write the report (Markdown) to this file")
    suggest.add_argument("--direction", choices=["avoid", "win"],
                         help="avoid: higher scores should mean less of the outcome (default for churned, lost, "
                              "cancelled ...); win: more (default otherwise)")
    suggest.add_argument("--project-dir", default=str(PROJECT_DIR), help=argparse.SUPPRESS)
    suggest.set_defaults(handler=command_suggest_weights)

    diff = commands.add_parser("diff", help="what a weights or bands change would do (band migration, movers)",
                               description="Build the scores with the current seeds (or --base-ref's) and with "
                                           "--weights / --bands, each in a temporary DuckDB file (the published "
                                           "file is never touched), and print, per model's latest period, the band "
                                           "migration matrix, how many moved, the biggest movers and each signal's "
                                           "share of the points, as Markdown.")
    diff.add_argument("--weights", help="proposed weights CSV (the seed's format); default: the current seed")
    diff.add_argument("--bands", help="proposed bands CSV (the seed's format); default: the current seed")
    diff.add_argument("--base-ref", help="compare against this git ref's seeds (git show REF:seeds/...) instead of "
                                         "the working tree's")
    diff.add_argument("--events", help="raw events file or glob (default: the sample)")
    diff.add_argument("--as-of", help="score as of this UTC date, YYYY-MM-DD")
    diff.add_argument("--score-model", help="compare only this model")
    diff.add_argument("--output", help="also write CSV files here: band_migration.csv, models.csv, "
                                       "biggest_movers.csv, signal_shares.csv")
    diff.add_argument("--top", type=int, default=10, help="biggest movers to list (default: %(default)s)")
    diff.add_argument("--fail-if-moved", type=float, metavar="PCT",
                      help="exit 1 when more than PCT%% of the entities change band (for CI)")
    diff.add_argument("--project-dir", default=str(PROJECT_DIR), help=argparse.SUPPRESS)
    diff.set_defaults(handler=command_diff)
    report = commands.add_parser("report", help="write the HTML report of the published marts",
                                 description="Write one self-contained HTML report (charts embedded, no network "
                                             "needed) from the published DuckDB marts, read-only.")
    report.add_argument("--output", help="HTML file to write (default: beside the DuckDB file, "
                                         "data/engagement_report.html)")
    report.add_argument("--database", help="DuckDB file to read (default: ENGAGEMENT_DUCKDB_PATH or "
                                           "data/engagement.duckdb)")
    report.add_argument("--project-dir", default=str(PROJECT_DIR), help=argparse.SUPPRESS)
    report.set_defaults(handler=command_report)

    sample = commands.add_parser("sample", help="write the deterministic sample raw events",
                                 description="Write the deterministic sample of raw events (CSV).")
    sample.add_argument("--out", default=str(PROJECT_DIR / DEFAULT_EVENTS), help="CSV file to write")
    sample.add_argument("--users", type=int, default=1000, help="number of users (default: %(default)s)")
    sample.add_argument("--months", type=int, default=6, help="number of months (default: %(default)s)")
    sample.add_argument("--seed", type=int, default=42, help="random seed (default: %(default)s)")
    sample.set_defaults(handler=command_sample)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except UsageError as error:
        print(f"engagement {args.command}: {error}", file=sys.stderr)
        return 2
    except RuntimeError as error:  # engagement_publish.PublishError included
        print(f"engagement {args.command}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
