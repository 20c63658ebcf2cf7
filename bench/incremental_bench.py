"""Time an incremental run on a 1% batch against a full build (issue 11), on the bench's events.

For each size N, the bench's generated Parquet (bench/run_bench.py's events_file) is split by loaded_at
into a history (the rows before the 99th percentile of loaded_at, and the rows without one) and a
batch (the rest, about 1%), two Parquet files read through one glob. The history is built once with the
bench's dbt selection (`dbt build --select +fct_engagement_scores`, no tests, saas_customer); then, in
rounds, a copy of that database is built again with the batch added (incremental), and all rows are
built with --full-refresh into a fresh database. Both must give the same fct_engagement_scores. Each round
also builds a copy of the history database again with no new rows (the floor an incremental run cannot go
below as the models stand: what every run rebuilds whatever arrived). Every run reads the same glob with
the same vars (the batch is linked into the folder or taken out), as a daily job does, so dbt's partial
parse serves every timed run alike. Prints the median, min and max of each, the events layer's own time,
and where the time goes (the slowest models of the last round of each kind).

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
    """(events glob, batch file, counts): the events split at the 99th percentile of loaded_at into the
    history, workdir/events/a_history.parquet, and the batch, workdir/b_batch.parquet, which `batch_in`
    puts into the events folder (a hard link) or takes out. Every run reads the one glob, as a daily job
    reads a folder that grows: same vars, so dbt's partial parse serves every run alike.
    Kept for the next run, as the events are: split again only when the events' glob is another one."""
    import duckdb

    events_dir, batch = workdir / "events", workdir / "b_batch.parquet"
    done = workdir / "split.json"
    if done.exists():
        kept = json.loads(done.read_text())
        if kept.get("events") == str(events) and batch.exists() and (events_dir / "a_history.parquet").exists():
            return events_dir / "*.parquet", batch, kept["counts"]
    for stale in (events_dir, workdir / "history", workdir / "all"):
        shutil.rmtree(stale, ignore_errors=True)
    events_dir.mkdir(parents=True)
    with duckdb.connect() as connection:
        source = f"read_parquet('{events}')"
        [(cut,)] = connection.sql(f"select quantile_disc(loaded_at, 0.99) from {source}").fetchall()
        connection.execute(f"copy (select * from {source} where loaded_at is null or loaded_at < '{cut}') "
                           f"to '{events_dir / 'a_history.parquet'}' (format parquet)")
        connection.execute(f"copy (select * from {source} where loaded_at >= '{cut}') to '{batch}' (format parquet)")
        [(history,)] = connection.sql(f"select count(*) from read_parquet('{events_dir / 'a_history.parquet'}')").fetchall()
        [(batch_rows,)] = connection.sql(f"select count(*) from read_parquet('{batch}')").fetchall()
    counts = {"history_rows": history, "batch_rows": batch_rows, "cut": str(cut)}
    done.write_text(json.dumps({"events": str(events), "counts": counts}))
    return events_dir / "*.parquet", batch, counts


def batch_in(glob: Path, batch: Path, present: bool) -> None:
    """The batch in the events folder (present) or out of it."""
    linked = glob.parent / batch.name
    linked.unlink(missing_ok=True)
    if present:
        linked.hardlink_to(batch)


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
    glob, batch, counts = split(events, workdir)
    print(f"{size:,} events: history {counts['history_rows']:,}, batch {counts['batch_rows']:,} "
          f"(loaded_at >= {counts['cut']})", flush=True)
    base, incremental_dir, full_dir = workdir / "base", workdir / "incremental", workdir / "full"
    for folder in (base, incremental_dir, full_dir):
        folder.mkdir(exist_ok=True)
    run_bench.fresh_database(base, "engagement.duckdb")
    batch_in(glob, batch, present=False)
    first = build(base, glob, run_bench.dbt_env(base, args.threads, args.memory_limit), "--full-refresh")
    print(f"  history build {first['seconds']:.1f} s", flush=True)
    for folder in (incremental_dir, full_dir):
        # parsed once before the rounds (untimed), so that every timed run finds dbt's partial parse
        run_bench.checked(run_bench.run_process(run_bench.dbt_command("parse", folder, glob),
                                                run_bench.dbt_env(folder, args.threads, args.memory_limit)),
                          "dbt parse")
    runs = {"no_new_rows": [], "incremental": [], "full": []}
    for number in range(args.runs):
        # each step is printed as it ends, so a long size reports what it has measured so far
        for kind, folder, with_batch, extra in (("no_new_rows", incremental_dir, False, ()),
                                                ("incremental", incremental_dir, True, ()),
                                                ("full", full_dir, True, ("--full-refresh",))):
            run_bench.fresh_database(folder, "engagement.duckdb")
            if kind != "full":
                shutil.copyfile(base / "engagement.duckdb", folder / "engagement.duckdb")
            batch_in(glob, batch, present=with_batch)
            runs[kind].append(build(folder, glob, run_bench.dbt_env(folder, args.threads, args.memory_limit),
                                    *extra))
            print(f"  run {number + 1}: {kind.replace('_', ' ')} {runs[kind][-1]['seconds']:.1f} s "
                  f"(events layer {runs[kind][-1]['dedup_seconds']:.1f} s)", flush=True)
    # the incremental folder holds the incremental run's database: it runs after the no-new-rows one
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
