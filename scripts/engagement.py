"""engagement: run and check the engagement-scoring dbt project.

A thin wrapper: the scoring logic lives in the dbt models; this orchestrates dbt and prints
what a person needs to see. Exit codes: 0 success, 1 a build or check failed, 2 bad usage or input.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_EVENTS = "data/sample_events.csv"

BAND_SUMMARY_SQL = """
with scores as (
    select * from {{ ref('fct_engagement_scores') }}
),
bands as (
    select * from {{ ref('engagement_bands') }}
),
latest as (
    select max(period_start) as period_start from scores
)
select
    scores.period_start,
    scores.band,
    count(*) as entities,
    round(avg(scores.normalized_score), 1) as avg_normalized_score,
    min(bands.band_order) as band_order
from scores
inner join latest on scores.period_start = latest.period_start
left join bands on scores.score_model = bands.score_model and scores.band = bands.band
group by scores.period_start, scores.band
order by band_order
"""


class UsageError(Exception):
    """Bad arguments or input: exit code 2."""


def parse_date(text: str, option: str) -> str:
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise UsageError(f"{option} must be a date written YYYY-MM-DD, got {text!r}") from None


def invoke_dbt(args: list[str]):
    """Runs one dbt command in this process; returns dbt's result object."""
    from dbt.cli.main import dbtRunner  # imported late: --help must not pay dbt's import time

    result = dbtRunner().invoke([*args, "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR)])
    if result.exception is not None:
        raise RuntimeError(f"dbt {args[0]} could not run: {result.exception}")
    return result


def band_summary(target: str | None, dbt_vars: dict) -> list[tuple]:
    args = ["--log-level", "none", "show", "--inline", BAND_SUMMARY_SQL, "--limit", "100", "--vars", json.dumps(dbt_vars)]
    if target:
        args += ["--target", target]
    result = invoke_dbt(args)
    if not result.success:
        raise RuntimeError("could not read fct_engagement_scores for the summary")
    table = result.result.results[0].agate_table
    return [tuple(row) for row in table.rows]


def print_summary(rows: list[tuple]) -> None:
    if not rows:
        print("No scores: no clean events were found (see rejected_events).")
        return
    total = sum(row[2] for row in rows)
    print(f"\nEngagement bands for the latest period, {rows[0][0]} ({total} entities):\n")
    print(f"  {'band':<12} {'entities':>9} {'share':>7} {'avg normalized':>15}")
    for _, band, count, average, _ in rows:
        print(f"  {str(band):<12} {count:>9} {100 * count / total:>6.1f}% {float(average):>15.1f}")


def command_sample(args: argparse.Namespace) -> int:
    sys.path.insert(0, str(PROJECT_DIR / "scripts"))
    import generate_sample_events

    return generate_sample_events.main(
        ["--out", args.out, "--users", str(args.users), "--months", str(args.months), "--seed", str(args.seed)]
    )


def command_run(args: argparse.Namespace) -> int:
    dbt_vars: dict[str, str] = {}
    events = args.events
    if events is None and args.target in (None, "duckdb"):
        events = DEFAULT_EVENTS
        if not (PROJECT_DIR / events).exists():
            print(f"No events given: generating the sample data set at {events}")
            command_sample(argparse.Namespace(out=str(PROJECT_DIR / events), users=1000, months=6, seed=42))
    if events is not None:
        dbt_vars["events_path"] = events
    if args.as_of:
        dbt_vars["as_of_date"] = parse_date(args.as_of, "--as-of")

    os.chdir(PROJECT_DIR)  # relative paths in vars and profiles are relative to the project
    started = time.perf_counter()
    build_args = ["build", "--vars", json.dumps(dbt_vars)]
    if args.target:
        build_args += ["--target", args.target]
    result = invoke_dbt(build_args)
    elapsed = time.perf_counter() - started
    if not result.success:
        print(f"\ndbt build failed after {elapsed:.1f} s: see the errors above.", file=sys.stderr)
        return 1
    print(f"\ndbt build succeeded in {elapsed:.1f} s.")
    print_summary(band_summary(args.target, dbt_vars))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="engagement", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="build the scores (dbt build) and print users per band",
                              description="Build every model and test (dbt build), then print the band summary "
                                          "of the latest period.")
    run.add_argument("--events", help="raw events file or glob, CSV or Parquet (DuckDB only; default: the sample, "
                                      "generated when missing)")
    run.add_argument("--as-of", help="score as of this UTC date, YYYY-MM-DD (default: the latest clean event date)")
    run.add_argument("--target", help="dbt target from profiles.yml (default: ENGAGEMENT_TARGET or duckdb)")
    run.set_defaults(handler=command_run)

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
    except RuntimeError as error:
        print(f"engagement {args.command}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
