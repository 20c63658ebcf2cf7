"""Benchmark the scoring path: dbt build vs its compiled SQL vs a hand-written query vs pandas vs polars.

For each size N: generate N raw events to Parquet with DuckDB (bench/generate_events.sql), then
time five contenders on that same file, each run in a fresh process (peak RSS is that process's
own, from wait4), in rounds of one run each (so that other work on a shared machine falls on all
alike): a warm-up round first, then --runs measured rounds (the median is reported):

  dbt          `dbt build --select +fct_engagement_scores --exclude-resource-type test unit_test`
               (6 seeds, 2 views, 6 tables), the whole command's wall time, into a fresh DuckDB file;
               run_results.json gives the per-node times. `dbt parse` and `dbt --version` are timed
               apart, and a full `dbt build` (every model, data test and unit test) is run once after
               and reported apart.
  dbt_sql      the SQL dbt compiled for those models (manifest.json), run directly in one DuckDB connection
  handwritten  bench/handwritten_scores.sql, one query
  pandas       bench/scores_pandas.py
  polars       bench/scores_polars.py

All five get the same threads; the DuckDB ones the same memory_limit and temp_directory. All must
give the same fct_engagement_scores rows: an order-independent checksum of (entity_id, period_start,
score, normalized_score, band) is compared, and the run says which contender differs.

Results go to bench/results/N.json; docs/benchmarks.md is rendered from every results file.
    .venv/bin/python bench/run_bench.py --sizes 1000000 10000000
    .venv/bin/python bench/run_bench.py --report-only
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
REPORT = PROJECT_DIR / "docs" / "benchmarks.md"
VENV_BIN = Path(sys.executable).parent
CONTENDERS = ["dbt", "dbt_sql", "handwritten", "pandas", "polars"]
DBT_SELECTION = ["--select", "+fct_engagement_scores", "--exclude-resource-type", "test", "unit_test"]
CHECKSUM_COLUMNS = "entity_id, period_start, score, normalized_score, band"


def run_process(command: list[str], env: dict | None = None, timeout: float | None = None) -> dict:
    """Runs a command to its end; its wall time, peak RSS (its own, not its parent's), exit code and output."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, **(env or {})}, cwd=PROJECT_DIR)
    # wait4 reaps the child itself, so read its pipes in threads (dbt writes a lot) and wait for it here
    import threading

    output = {"stdout": [], "stderr": []}
    readers = [threading.Thread(target=lambda name=name: output[name].append(getattr(process, name).read()))
               for name in output]
    for reader in readers:
        reader.start()
    try:
        _, status, usage = os.wait4(process.pid, 0)
    except KeyboardInterrupt:
        process.kill()
        raise
    seconds = time.perf_counter() - started
    for reader in readers:
        reader.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    return {
        "seconds": seconds,
        "max_rss_bytes": usage.ru_maxrss * 1024,  # KiB on Linux
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "returncode": process.returncode,
        "stdout": "".join(output["stdout"]),
        "stderr": "".join(output["stderr"]),
    }


def checked(result: dict, what: str) -> dict:
    if result["returncode"] != 0:
        tail = "\n".join((result["stdout"] + result["stderr"]).splitlines()[-30:])
        raise SystemExit(f"{what} failed (exit {result['returncode']}):\n{tail}")
    return result


def checksum(output: str) -> dict:
    """Row count and an order-independent checksum of the scores an output holds."""
    import duckdb

    kind, _, location = output.partition(":")
    with duckdb.connect() as connection:
        if kind == "duckdb":
            connection.execute(f"attach '{location}' as result (read_only)")
            source = "result.main.fct_engagement_scores"
        else:
            source = f"read_parquet('{location}')"
        rows, total = connection.sql(f"""
            select count(*), coalesce(sum(hash(entity_id, period_start, score, normalized_score, band)), 0)
            from (
                select
                    cast(entity_id as varchar) as entity_id,
                    cast(period_start as date) as period_start,
                    cast(score as decimal(18, 4)) as score,
                    cast(normalized_score as decimal(5, 2)) as normalized_score,
                    cast(band as varchar) as band
                from {source}
            )
        """).fetchall()[0]
    return {"rows": rows, "checksum": hashlib.sha256(str(total).encode()).hexdigest()[:16]}


def events_file(size: int, workdir: Path, threads: int, memory_limit: str) -> tuple[Path, dict]:
    """The raw events of `size` rows, generated unless the same generator wrote them before: one
    Parquet file, or above 10M rows a folder of part files, returned as the glob that reads them all.

    Generated in a child process: Linux carries a process's peak RSS over into the children it starts
    (the copy a child is forked from counts), so this process must stay small for the peaks it reads.
    """
    import duckdb

    sys.path.insert(0, str(BENCH_DIR))
    from generate_events import PART_EVENTS

    generator = b"".join((BENCH_DIR / name).read_bytes() for name in ("generate_events.sql", "generate_events.py"))
    version = hashlib.sha256(generator).hexdigest()[:8]
    path = workdir / (f"events_{size}_{version}.parquet" if size <= PART_EVENTS else f"events_{size}_{version}")
    if not path.exists():
        print(f"  generating {size:,} raw events -> {path}", flush=True)
        partial = path.with_name(path.name + ".partial")
        generated = checked(run_process([
            sys.executable, str(BENCH_DIR / "generate_events.py"), "--events", str(size), "--out", str(partial),
            "--threads", str(threads), "--memory-limit", memory_limit, "--temp-dir", str(workdir / "tmp"),
        ]), "generate_events.py")
        partial.rename(path)
    else:
        generated = None
    files = sorted(path.glob("*.parquet")) if path.is_dir() else [path]
    events = path / "*.parquet" if path.is_dir() else path
    info = {"path": str(events), "files": len(files)}
    if generated:
        info["generated_seconds"] = round(generated["seconds"], 1)
        info["generated_max_rss_bytes"] = generated["max_rss_bytes"]
    with duckdb.connect() as connection:
        info["rows"] = connection.sql(f"select count(*) from read_parquet('{events}')").fetchall()[0][0]
    info["bytes"] = sum(file.stat().st_size for file in files)
    return events, info


def own_peak_rss() -> int:
    """This process's peak RSS: a floor under every child's, see events_file."""
    status = Path("/proc/self/status").read_text()
    return next(int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmHWM"))


def dbt_env(workdir: Path, threads: int, memory_limit: str) -> dict:
    return {
        "ENGAGEMENT_DUCKDB_PATH": str(workdir / "engagement.duckdb"),
        "ENGAGEMENT_DUCKDB_MEMORY_LIMIT": memory_limit,
        "ENGAGEMENT_DUCKDB_TEMP_DIR": str(workdir / "tmp"),
        "ENGAGEMENT_THREADS": str(threads),
        "ENGAGEMENT_TARGET": "duckdb",
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def dbt_command(command: str, workdir: Path, events: Path, *extra: str) -> list[str]:
    return [
        str(VENV_BIN / "dbt"), command, *extra,
        # the bench's events are the SaaS product's: it times the saas_customer model alone
        "--vars", json.dumps({"events_path": str(events), "score_model": "saas_customer"}),
        "--project-dir", str(PROJECT_DIR),
        "--target-path", str(workdir / "target"),
        "--log-path", str(workdir / "logs"),
    ]


def fresh_database(workdir: Path, name: str) -> None:
    for stale in (workdir / name, workdir / f"{name}.wal"):
        stale.unlink(missing_ok=True)
    shutil.rmtree(workdir / "tmp", ignore_errors=True)


def run_dbt(workdir: Path, events: Path, env: dict) -> dict:
    fresh_database(workdir, "engagement.duckdb")
    result = checked(run_process(dbt_command("build", workdir, events, *DBT_SELECTION), env), "dbt build")
    run_results = json.loads((workdir / "target" / "run_results.json").read_text())
    nodes = {item["unique_id"].split(".")[-1]: item["execution_time"] for item in run_results["results"]}
    return {
        "seconds": result["seconds"],
        "max_rss_bytes": result["max_rss_bytes"],
        "cpu_seconds": result["cpu_seconds"],
        "nodes": nodes,
        "nodes_seconds": sum(nodes.values()),
        "dbt_elapsed_seconds": run_results["elapsed_time"],
        "output": f"duckdb:{workdir / 'engagement.duckdb'}",
    }


def run_contender(name: str, events: Path, workdir: Path, dbt_workdir: Path, threads: int, memory_limit: str) -> dict:
    command = [
        sys.executable, str(BENCH_DIR / "contenders.py"), name,
        "--events", str(events), "--workdir", str(workdir),
        "--threads", str(threads), "--memory-limit", memory_limit,
        "--dbt-target", str(dbt_workdir / "target"), "--dbt-database", str(dbt_workdir / "engagement.duckdb"),
    ]
    shutil.rmtree(workdir / "tmp", ignore_errors=True)
    result = checked(run_process(command), name)
    reported = json.loads(result["stdout"].strip().splitlines()[-1])
    return {
        "seconds": reported["seconds"],
        "process_seconds": result["seconds"],
        "max_rss_bytes": result["max_rss_bytes"],
        "cpu_seconds": result["cpu_seconds"],
        "output": reported["output"],
    }


def test_name(unique_id: str) -> str:
    parts = unique_id.split(".")  # test.project.name.hash, unit_test.project.model.name
    name = parts[3] if parts[0] == "unit_test" else parts[2]
    return name if len(name) <= 50 else name[:47] + "..."


def summarize(runs: list[dict], key: str = "seconds") -> dict:
    values = [run[key] for run in runs]
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def bench_size(size: int, args) -> dict:
    workdir = args.workdir / str(size)
    workdir.mkdir(parents=True, exist_ok=True)
    events, events_info = events_file(size, args.workdir, args.threads, args.memory_limit)
    rows = events_info["rows"]
    result = {
        "size": size, "events": events_info, "threads": args.threads, "memory_limit": args.memory_limit,
        "runs": args.runs, "warmups": args.warmups, "started": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "load_average_before": os.getloadavg(), "contenders": {},
    }
    dbt_workdir = workdir / "dbt"
    env = dbt_env(dbt_workdir, args.threads, args.memory_limit)
    active = []
    for name in args.contenders:
        if name in ("pandas", "polars") and rows > args.max_dataframe_events:
            print(f"  {name}: skipped at {rows:,} events (over --max-dataframe-events {args.max_dataframe_events:,})")
            result["contenders"][name] = {"skipped": f"not run above {args.max_dataframe_events:,} events "
                                                     "(--max-dataframe-events): in-memory frames would not fit"}
        else:
            active.append(name)
    # Rounds: every contender once per round, so that other work on a shared machine falls on all alike.
    runs = {name: [] for name in active}
    for number in range(args.warmups + args.runs):
        label = "warm-up" if number < args.warmups else f"run {number - args.warmups + 1}/{args.runs}"
        for name in active:
            if name == "dbt":
                run = run_dbt(dbt_workdir, events, env)
            else:
                if name == "dbt_sql" and not (dbt_workdir / "target" / "manifest.json").exists():
                    raise SystemExit("dbt_sql needs the dbt contender to have run first (its manifest and seeds)")
                run = run_contender(name, events, workdir / name, dbt_workdir, args.threads, args.memory_limit)
            print(f"  {name:<12} {label:<10} {run['seconds']:8.2f} s  CPU {run['cpu_seconds']:8.2f} s  "
                  f"peak RSS {run['max_rss_bytes'] / 2**30:5.2f} GiB  (load {os.getloadavg()[0]:.1f})", flush=True)
            if number >= args.warmups:
                runs[name].append(run)
    for name in active:
        summary = {
            "seconds": summarize(runs[name]),
            "cpu_seconds": summarize(runs[name], "cpu_seconds"),
            "max_rss_bytes": max(run["max_rss_bytes"] for run in runs[name]),
            "runs": [{key: value for key, value in run.items() if key != "output"} for run in runs[name]],
            **checksum(runs[name][-1]["output"]),
        }
        if name == "dbt":
            summary["nodes_seconds"] = summarize(runs[name], "nodes_seconds")
            summary["nodes"] = {node: statistics.median(run["nodes"][node] for run in runs[name])
                                for node in runs[name][0]["nodes"]}
        else:
            summary["process_seconds"] = summarize(runs[name], "process_seconds")
        result["contenders"][name] = summary

    if "dbt" in args.contenders and not args.skip_dbt_extras:
        # dbt's own costs apart from the models: the CLI starting, parsing the project, and the tests
        version = checked(run_process([str(VENV_BIN / "dbt"), "--version"], env), "dbt --version")
        parse_cold = checked(run_process(dbt_command("parse", dbt_workdir, events, "--no-partial-parse"), env), "dbt parse")
        parse_warm = checked(run_process(dbt_command("parse", dbt_workdir, events), env), "dbt parse")
        # the whole project as a plain `dbt build` builds it: every model, seed, data test and unit test, once
        # (make run leaves out the unit tests and the construction checks: engagement.PRODUCTION_BUILD_EXCLUDES)
        fresh_database(dbt_workdir, "engagement.duckdb")
        full = run_process(dbt_command("build", dbt_workdir, events), env)
        full_results = json.loads((dbt_workdir / "target" / "run_results.json").read_text())["results"]
        tests = [item for item in full_results if item["unique_id"].startswith(("test.", "unit_test."))]
        result["dbt_overhead"] = {
            "version_seconds": version["seconds"],
            "parse_cold_seconds": parse_cold["seconds"],
            "parse_warm_seconds": parse_warm["seconds"],
            "full_build_seconds": full["seconds"],
            "full_build_max_rss_bytes": full["max_rss_bytes"],
            "full_build_nodes": len(full_results),
            "full_build_failed": sorted(item["unique_id"] for item in full_results if item["status"] in ("fail", "error")),
            "full_build_models_seconds": sum(item["execution_time"] for item in full_results
                                             if item["unique_id"].startswith(("model.", "seed."))),
            "tests_count": len(tests),
            "tests_seconds": sum(item["execution_time"] for item in tests),
            "slowest_tests": sorted(((test_name(item["unique_id"]), item["execution_time"]) for item in tests),
                                    key=lambda pair: -pair[1])[:3],
        }
    result["load_average_after"] = os.getloadavg()
    result["harness_max_rss_bytes"] = own_peak_rss()
    result["finished"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")

    reference = result["contenders"].get("handwritten") or next(
        (value for value in result["contenders"].values() if "checksum" in value), None)
    result["differs"] = sorted(
        name for name, value in result["contenders"].items()
        if "checksum" in value and (value["checksum"], value["rows"]) != (reference["checksum"], reference["rows"])
    )
    return result


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = next(int(line.split()[1]) * 1024 for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    versions = {}
    for package in ["dbt-core", "dbt-duckdb", "duckdb", "pandas", "polars", "pyarrow", "numpy"]:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return {
        "cpu": cpu, "cores": os.cpu_count(), "memory_bytes": memory,
        "os": f"{platform.system()} {platform.release()}", "python": platform.python_version(), "versions": versions,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000 10000000", help="raw event counts, space-separated")
    parser.add_argument("--runs", type=int, default=3, help="measured runs per contender (median reported)")
    parser.add_argument("--warmups", type=int, default=1, help="unmeasured runs first")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory-limit", default="8GB", help="DuckDB memory_limit for every DuckDB contender")
    parser.add_argument("--contenders", default=" ".join(CONTENDERS), help="which, space-separated (dbt first)")
    parser.add_argument("--max-dataframe-events", type=int, default=20_000_000,
                        help="skip pandas and polars above this many events (they hold everything in memory)")
    parser.add_argument("--skip-dbt-extras", action="store_true",
                        help="do not time dbt --version, dbt parse and the full dbt build with tests")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/engagement-bench"))
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument("--report", type=Path, default=REPORT, help="the Markdown report (empty: none)")
    parser.add_argument("--report-only", action="store_true", help="only render the report from the results files")
    args = parser.parse_args(argv)
    args.contenders = args.contenders.split()
    unknown = set(args.contenders) - set(CONTENDERS)
    if unknown:
        parser.error(f"unknown contenders {sorted(unknown)}; choose from {CONTENDERS}")
    if "dbt_sql" in args.contenders and "dbt" in args.contenders:
        args.contenders.sort(key=lambda name: name != "dbt")

    if not args.report_only:
        info = machine()
        for size in [int(text) for text in args.sizes.replace(",", " ").split()]:
            print(f"N = {size:,}", flush=True)
            result = bench_size(size, args)
            result["machine"] = info
            args.results_dir.mkdir(parents=True, exist_ok=True)
            (args.results_dir / f"{size}.json").write_text(json.dumps(result, indent=2) + "\n")
            if result["differs"]:
                print(f"  DIFFERENT SCORES from the hand-written query: {', '.join(result['differs'])}")
            else:
                print("  all contenders gave the same scores")
    if str(args.report) not in ("", "."):
        sys.path.insert(0, str(BENCH_DIR))
        import report

        report.write(args.results_dir, args.report)
        print(f"report: {args.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
