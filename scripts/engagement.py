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
import subprocess
import sys
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_EVENTS = "data/sample_events.csv"

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


class UsageError(Exception):
    """Bad arguments or input: exit code 2."""


def parse_date(text: str, option: str) -> str:
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise UsageError(f"{option} must be a date written YYYY-MM-DD, got {text!r}") from None


def invoke_dbt(args: list[str], project_dir: Path = PROJECT_DIR):
    """Runs one dbt command in this process; returns dbt's result object."""
    from dbt.cli.main import dbtRunner  # imported late: --help must not pay dbt's import time

    result = dbtRunner().invoke([*args, "--project-dir", str(project_dir), "--profiles-dir", str(project_dir)])
    if result.exception is not None:
        first_line = next((line.strip() for line in str(result.exception).splitlines() if line.strip()), "")
        raise RuntimeError(f"dbt {args[0]} could not run: {first_line or type(result.exception).__name__}")
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
    """Per model: entities per band in its latest calendar period, and over its trailing window."""
    if not rows:
        print("No scores were built: fct_engagement_scores is empty.")
        return
    models: dict[str, list[tuple]] = {}
    for row in rows:
        models.setdefault(row[0], []).append(row)
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
    if args.strict:
        problems += [f"{warning} [a warning; --strict refuses it]" for warning in config.warnings]
    else:
        report_warnings(config.warnings)
    if not config.problems:
        problems += [f"{line}: run scripts/engagement.py generate"
                     for line in engagement_generate.stale_files(project_dir, config.models)]
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
    checks = ["declarations", "weights", "bands", "aliases", "allow-lists", "semantics", "settings", "generated macros"]
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
    if events is None and args.target in (None, "duckdb"):
        events = DEFAULT_EVENTS
        if not (project_dir / events).exists():
            print(f"No events given: generating the sample data set at {events}")
            command_sample(argparse.Namespace(out=str(project_dir / events), users=1000, months=6, seed=42))
    if events is not None:
        dbt_vars["events_path"] = events
    if args.as_of:
        dbt_vars["as_of_date"] = parse_date(args.as_of, "--as-of")
    settings_problems = engagement_settings.check_settings(args.target, dbt_vars)
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
    # (make test), not to production runs, where an added signal would make them fail
    build_args = ["build", "--exclude-resource-type", "unit_test", "--vars", json.dumps(dbt_vars)]
    if args.target:
        build_args += ["--target", args.target]
    if args.full_refresh:
        build_args += ["--full-refresh"]
    # Write, audit, publish (scripts/engagement_publish.py): build and test in a work location,
    # publish it all at once only when every node passed.
    publisher = engagement_publish.publisher_for(project_dir, args.target)
    with publisher.lock():
        publisher.prepare(full_refresh=args.full_refresh)
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
            publisher.publish()
        finally:
            publisher.cleanup()
    print(f"\ndbt build succeeded in {elapsed:.1f} s; published to {publisher.location}.")
    print_summary(rows)
    return 0


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
