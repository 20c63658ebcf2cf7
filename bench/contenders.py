"""Run one benchmark contender on a Parquet file of raw events, in this process, and print a JSON line.

    python bench/contenders.py {dbt_sql,handwritten,pandas,polars} --events FILE --workdir DIR [...]

bench/run_bench.py starts each run in a fresh process of this script, so that the peak RSS it reads
is this run's alone. The JSON line holds `seconds`: the work itself, from opening the database or
reading the Parquet file to the result fully materialized (a DuckDB table in a database file, or a
DataFrame in memory). What comes before (interpreter start, imports, copying the seeds for dbt_sql)
and after (writing a DataFrame's result to Parquet so it can be compared) is not in `seconds`.
The `dbt` contender is not here: run_bench.py times the `dbt build` command itself.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
SEEDS_DIR = PROJECT_DIR / "seeds"
SCORING_PATH = [  # the models of `dbt build --select +fct_engagement_scores`, in dependency order
    "base_product__events",
    "int_events_deduplicated",
    "int_events_clean",
    "int_saas_customer__measures",
    "int_engagement_measures",
    "int_engagement_points",
    "int_engagement_scores",
    "int_engagement_rule_versions",
    "int_engagement_score_changes",
    "fct_engagement_scores",
]
SEEDS = ["engagement_bands", "engagement_weights", "event_type_aliases", "key_features"]


def rules_dir(workdir: Path) -> Path:
    """The seeds, plus the declaration of saas_customer (score_models/saas_customer.yml) as two CSVs,
    engagement_signals (score_model, signal, measure) and score_models (score_model, entity_type),
    which the hand-written query and the DataFrame versions read; copied here, untimed."""
    import csv
    import shutil

    import yaml

    target = workdir / "rules"
    target.mkdir(parents=True, exist_ok=True)
    for seed in SEEDS:
        shutil.copy(SEEDS_DIR / f"{seed}.csv", target / f"{seed}.csv")
    declaration = yaml.safe_load((PROJECT_DIR / "score_models" / "saas_customer.yml").read_text())
    with (target / "engagement_signals.csv").open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["score_model", "signal", "measure"])
        for item in declaration["signals"]:
            writer.writerow([declaration["score_model"], item["signal"], item.get("measure", item["signal"])])
    with (target / "score_models.csv").open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["score_model", "entity_type"])
        writer.writerow([declaration["score_model"], declaration["entity"]])
    return target


def quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def duckdb_connect(database: Path, threads: int, memory_limit: str, temp_dir: Path):
    import duckdb

    for stale in (database, Path(f"{database}.wal")):
        stale.unlink(missing_ok=True)
    database.parent.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect(str(database))
    connection.execute(f"set threads = {int(threads)}")
    connection.execute(f"set memory_limit = {quote(memory_limit)}")
    connection.execute(f"set temp_directory = {quote(str(temp_dir))}")
    return connection


def compiled_models(dbt_target: Path) -> list[tuple[str, str, str]]:
    """(name, materialization, compiled select) of each model on the scoring path, from dbt's manifest."""
    manifest = json.loads((dbt_target / "manifest.json").read_text())
    by_name = {node["name"]: node for node in manifest["nodes"].values() if node["resource_type"] == "model"}
    models = []
    for name in SCORING_PATH:
        node = by_name[name]
        if not node.get("compiled_code"):
            raise SystemExit(f"{dbt_target}/manifest.json has no compiled SQL for {name}: run dbt build first")
        models.append((name, node["config"]["materialized"], node["compiled_code"]))
    return models


def run_dbt_sql(args) -> dict:
    """The SQL dbt compiled for the scoring path, each model created in turn in one DuckDB connection."""
    database = args.workdir / "engagement.duckdb"  # same file name as dbt's, so its compiled names resolve
    models = compiled_models(args.dbt_target)
    connection = duckdb_connect(database, args.threads, args.memory_limit, args.workdir / "tmp")
    connection.execute(f"attach {quote(str(args.dbt_database))} as dbt_built (read_only)")
    for seed in SEEDS:  # dbt loads these from the CSVs in milliseconds; copied here, untimed
        connection.execute(f"create table main.{seed} as select * from dbt_built.main.{seed}")
    connection.execute("detach dbt_built")
    started = time.perf_counter()
    for name, materialized, sql in models:
        kind = "view" if materialized == "view" else "table"
        connection.execute(f"create or replace {kind} main.{name} as {sql}")
    seconds = time.perf_counter() - started
    connection.close()
    return {"seconds": seconds, "output": f"duckdb:{database}"}


def run_handwritten(args) -> dict:
    import string

    sql = string.Template((BENCH_DIR / "handwritten_scores.sql").read_text()).safe_substitute(
        events=str(args.events).replace("'", "''"), seeds=str(rules_dir(args.workdir)).replace("'", "''")
    )
    database = args.workdir / "handwritten.duckdb"
    started = time.perf_counter()
    connection = duckdb_connect(database, args.threads, args.memory_limit, args.workdir / "tmp")
    connection.execute(sql)
    seconds = time.perf_counter() - started
    connection.close()
    return {"seconds": seconds, "output": f"duckdb:{database}"}


def run_dataframe(args, library: str) -> dict:
    import pyarrow

    pyarrow.set_cpu_count(args.threads)
    pyarrow.set_io_thread_count(args.threads)
    sys.path.insert(0, str(BENCH_DIR))
    if library == "polars":
        import scores_polars as implementation
    else:
        import scores_pandas as implementation
    seeds = rules_dir(args.workdir)
    started = time.perf_counter()
    result = implementation.compute(args.events, seeds)
    seconds = time.perf_counter() - started
    out = args.workdir / f"{library}_scores.parquet"
    out.parent.mkdir(parents=True, exist_ok=True)
    if library == "polars":
        result.write_parquet(out)
    else:
        result.to_parquet(out, index=False)
    return {"seconds": seconds, "output": f"parquet:{out}"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("contender", choices=["dbt_sql", "handwritten", "pandas", "polars"])
    parser.add_argument("--events", type=Path, required=True)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory-limit", default="8GB")
    parser.add_argument("--dbt-target", type=Path, help="dbt's target path (dbt_sql reads manifest.json)")
    parser.add_argument("--dbt-database", type=Path, help="the DuckDB file dbt built (dbt_sql copies its seeds)")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    os.environ["POLARS_MAX_THREADS"] = str(args.threads)  # read when polars is imported
    if args.contender == "dbt_sql":
        result = run_dbt_sql(args)
    elif args.contender == "handwritten":
        result = run_handwritten(args)
    else:
        result = run_dataframe(args, args.contender)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
