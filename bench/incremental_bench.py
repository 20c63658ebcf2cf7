"""Time an incremental run on a 1% batch against a full build (issue 11), on the bench's events.

For each size N, the bench's generated Parquet (bench/run_bench.py's events_file) is split by loaded_at
into a history (the rows before the 99th percentile of loaded_at, and the rows without one) and a
batch (the rest, about 1%), two Parquet files read through one glob. The history is built once with the
bench's dbt selection (`dbt build --select +fct_engagement_scores`, no tests, saas_customer); then, in
rounds, a copy of that database is built again with the batch added (incremental), and all rows are
built with --full-refresh into a fresh database. Both must give the same fct_engagement_scores. Each round
also builds a copy of the history database again with no new rows (the floor an incremental run cannot go
below as the models stand: what every run rebuilds whatever arrived). Prints the median, min and max of each,
the events layer's own time, and where the time goes (the slowest models of the last round of each kind).

    .venv/bin/python bench/incremental_bench.py --sizes "1000000 10000000" --runs 3
    make bench-incremental BENCH_SIZES="1000000 10000000"

Each size's summary goes to bench/results/incremental/<size>.json, which docs/benchmarks.md shows.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run_bench  # noqa: E402


def split(events: Path, workdir: Path) -> tuple[Path, Path, dict]:
    """(history glob, history + batch glob, counts): the events split at the 99th percentile of loaded_at."""
    import duckdb

    history_dir, all_dir = workdir / "history", workdir / "all"
    for folder in (history_dir, all_dir):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    with duckdb.connect() as connection:
        source = f"read_parquet('{events}')"
        [(cut,)] = connection.sql(f"select quantile_disc(loaded_at, 0.99) from {source}").fetchall()
        connection.execute(f"copy (select * from {source} where loaded_at is null or loaded_at < '{cut}') "
                           f"to '{history_dir / 'a_history.parquet'}' (format parquet)")
        connection.execute(f"copy (select * from {source} where loaded_at >= '{cut}') "
                           f"to '{workdir / 'b_batch.parquet'}' (format parquet)")
        [(history,)] = connection.sql(f"select count(*) from read_parquet('{history_dir / 'a_history.parquet'}')").fetchall()
        [(batch,)] = connection.sql(f"select count(*) from read_parquet('{workdir / 'b_batch.parquet'}')").fetchall()
    shutil.copyfile(history_dir / "a_history.parquet", all_dir / "a_history.parquet")
    shutil.copyfile(workdir / "b_batch.parquet", all_dir / "b_batch.parquet")
    return history_dir / "*.parquet", all_dir / "*.parquet", {"history_rows": history, "batch_rows": batch,
                                                              "cut": str(cut)}


def build(workdir: Path, events: Path, env: dict, *extra: str) -> dict:
    result = run_bench.checked(run_bench.run_process(
        run_bench.dbt_command("build", workdir, events, *run_bench.DBT_SELECTION, *extra), env), "dbt build")
    nodes = {item["unique_id"].split(".")[-1]: item["execution_time"]
             for item in json.loads((workdir / "target" / "run_results.json").read_text())["results"]}
    return {"seconds": result["seconds"], "max_rss_bytes": result["max_rss_bytes"],
            "dedup_seconds": nodes.get("int_events_deduplicated"), "nodes_seconds": sum(nodes.values()),
            "nodes": nodes}


def bench_size(size: int, args) -> dict:
    import datetime
    import os

    started = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    load_before = os.getloadavg()[0]
    workdir = args.workdir / f"incremental_{size}"
    workdir.mkdir(parents=True, exist_ok=True)
    events, _ = run_bench.events_file(size, args.workdir, args.threads, args.memory_limit)
    history, everything, counts = split(events, workdir)
    print(f"{size:,} events: history {counts['history_rows']:,}, batch {counts['batch_rows']:,} "
          f"(loaded_at >= {counts['cut']})", flush=True)
    base, incremental_dir, full_dir = workdir / "base", workdir / "incremental", workdir / "full"
    for folder in (base, incremental_dir, full_dir):
        folder.mkdir(exist_ok=True)
    run_bench.fresh_database(base, "engagement.duckdb")
    first = build(base, history, run_bench.dbt_env(base, args.threads, args.memory_limit), "--full-refresh")
    print(f"  history build {first['seconds']:.1f} s", flush=True)
    runs = {"no_new_rows": [], "incremental": [], "full": []}
    for number in range(args.runs):
        run_bench.fresh_database(incremental_dir, "engagement.duckdb")
        shutil.copyfile(base / "engagement.duckdb", incremental_dir / "engagement.duckdb")
        runs["no_new_rows"].append(build(incremental_dir, history,
                                         run_bench.dbt_env(incremental_dir, args.threads, args.memory_limit)))
        run_bench.fresh_database(incremental_dir, "engagement.duckdb")
        shutil.copyfile(base / "engagement.duckdb", incremental_dir / "engagement.duckdb")
        runs["incremental"].append(build(incremental_dir, everything,
                                         run_bench.dbt_env(incremental_dir, args.threads, args.memory_limit)))
        run_bench.fresh_database(full_dir, "engagement.duckdb")
        runs["full"].append(build(full_dir, everything, run_bench.dbt_env(full_dir, args.threads, args.memory_limit),
                                  "--full-refresh"))
        print(f"  run {number + 1}: no new rows {runs['no_new_rows'][-1]['seconds']:.1f} s, "
              f"incremental {runs['incremental'][-1]['seconds']:.1f} s "
              f"(dedup {runs['incremental'][-1]['dedup_seconds']:.1f} s), full {runs['full'][-1]['seconds']:.1f} s "
              f"(dedup {runs['full'][-1]['dedup_seconds']:.1f} s)", flush=True)
    same = (run_bench.checksum(f"duckdb:{incremental_dir / 'engagement.duckdb'}")
            == run_bench.checksum(f"duckdb:{full_dir / 'engagement.duckdb'}"))
    summary = {"size": size, **counts, "same_scores": same, "runs": args.runs, "started": started,
               "load_average_before": round(load_before, 2)}
    for kind, values in runs.items():
        for key in ("seconds", "dedup_seconds"):
            numbers = [value[key] for value in values]
            summary[f"{kind}_{key}"] = {"median": statistics.median(numbers), "min": min(numbers), "max": max(numbers)}
        summary[f"{kind}_max_rss_gib"] = max(value["max_rss_bytes"] for value in values) / 2**30
        # where the time goes: the models' own times in the last round, the slowest first, and the
        # sum of the nodes' times (above the wall time when two threads overlap)
        last = values[-1]["nodes"]
        summary[f"{kind}_slowest_nodes"] = dict(sorted(last.items(), key=lambda item: -item[1])[:8])
        summary[f"{kind}_nodes_seconds"] = values[-1]["nodes_seconds"]
    summary["incremental_share_of_full"] = summary["incremental_seconds"]["median"] / summary["full_seconds"]["median"]
    summary["no_new_rows_share_of_full"] = summary["no_new_rows_seconds"]["median"] / summary["full_seconds"]["median"]
    print(json.dumps(summary, indent=2), flush=True)
    assert same, "the incremental run's scores differ from the full build's"
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000 10000000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory-limit", default="8GB")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/engagement-bench"))
    parser.add_argument("--results-dir", type=Path, default=Path(__file__).resolve().parent / "results" / "incremental",
                        help="one summary per size is written here (<size>.json), read by bench/report.py")
    args = parser.parse_args(argv)
    args.results_dir.mkdir(parents=True, exist_ok=True)
    for size in args.sizes.split():
        summary = bench_size(int(size), args)
        (args.results_dir / f"{int(size)}.json").write_text(json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
