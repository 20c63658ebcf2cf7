"""Render docs/benchmarks.md from bench/results/*.json (and the hand-written notes in bench/findings.md)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ORDER = ["dbt", "dbt_sql", "handwritten", "pandas", "polars"]
LABELS = {
    "dbt": "`dbt build` (scoring path)",
    "dbt_sql": "dbt's compiled SQL, run directly",
    "handwritten": "hand-written DuckDB query",
    "pandas": "pandas",
    "polars": "polars",
}


def gib(value: float) -> str:
    return f"{value / 2**30:.2f} GiB"


def seconds(value: float) -> str:
    return f"{value:.1f} s" if value >= 10 else f"{value:.2f} s"


def rate(events: int, value: float) -> str:
    per_second = events / value
    return f"{per_second / 1e6:.2f} M/s" if per_second >= 1e6 else f"{per_second / 1e3:.0f} k/s"


def size_label(size: int) -> str:
    return f"{size // 1_000_000}M" if size % 1_000_000 == 0 else f"{size:,}"


def load(results_dir: Path) -> list[dict]:
    return sorted((json.loads(path.read_text()) for path in results_dir.glob("*.json")), key=lambda r: r["size"])


def load_incremental(folder: Path) -> list[dict]:
    """bench/incremental_bench.py's summaries, one file per size."""
    if not folder.is_dir():
        return []
    return sorted((json.loads(path.read_text()) for path in folder.glob("*.json")), key=lambda r: r["size"])


def incremental_section(summaries: list[dict]) -> list[str]:
    if not summaries:
        return []
    lines = [
        "## Incremental runs: a 1% batch against a full build",
        "",
        "`bench/incremental_bench.py` (`make bench-incremental`) splits each size's Parquet by `loaded_at` at the",
        "99th percentile: the history is built once (the same dbt selection as above), then, in rounds, a copy",
        "of that database is built again with the batch added (incremental: the events layer parses only the",
        "new rows; everything after it is rebuilt), and all rows are built with `--full-refresh` into a fresh",
        "database. Both must give the same `fct_engagement_scores` (checked each time). Each round also builds a",
        "copy of the history again with no new rows: the floor of an incremental run as the models stand (every",
        "model after the events layer is rebuilt in full, whatever arrived). Every run reads one glob with the same",
        "vars (the batch is linked into its folder or taken out), as a daily job does, so dbt's partial parse serves",
        "every timed run alike (summaries started before 2026-12-03T12:00 predate this: their batch run changed the",
        "glob and paid a full parse, about 7 s at 10M on that machine, that the full builds did not always pay; the",
        "models' own times below are not affected).",
        "",
        "| N | history + batch rows | incremental run (median) | min - max | full build (median) | min - max "
        "| incremental / full | no new rows (median, min - max) | no new rows / full "
        "| events layer, incremental / full | same scores |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for summary in summaries:
        incremental, full = summary["incremental_seconds"], summary["full_seconds"]
        dedup_incremental, dedup_full = summary["incremental_dedup_seconds"], summary["full_dedup_seconds"]
        floor = summary.get("no_new_rows_seconds")
        no_new_rows = (f"{seconds(floor['median'])} ({seconds(floor['min'])} - {seconds(floor['max'])})"
                       if floor else "not measured")
        no_new_rows_share = f"{summary['no_new_rows_share_of_full']:.0%}" if floor else "-"
        lines.append(
            f"| {size_label(summary['size'])} | {summary['history_rows']:,} + {summary['batch_rows']:,} "
            f"| {seconds(incremental['median'])} | {seconds(incremental['min'])} - {seconds(incremental['max'])} "
            f"| {seconds(full['median'])} | {seconds(full['min'])} - {seconds(full['max'])} "
            f"| {summary['incremental_share_of_full']:.0%} "
            f"| {no_new_rows} | {no_new_rows_share} "
            f"| {seconds(dedup_incremental['median'])} / {seconds(dedup_full['median'])} "
            f"| {'yes' if summary['same_scores'] else 'NO'} |"
        )
    runs = summaries[0].get("runs")
    started = ", ".join(f"{size_label(s['size'])} {s.get('started', '?')} (load {s.get('load_average_before', '?')})"
                        for s in summaries)
    lines += ["", f"Rounds per size: {runs if runs is not None else '?'}; started {started}.", ""]
    breakdowns = [summary for summary in summaries if "incremental_slowest_nodes" in summary]
    if breakdowns:
        lines += ["Where the time goes: each model's own time in the last round (seconds; two threads overlap, so",
                  "the models' sum exceeds the wall time), the slowest of each kind of run.", ""]
        for summary in breakdowns:
            for kind, label in (("full", "full build"), ("incremental", "incremental run"),
                                ("no_new_rows", "no new rows")):
                nodes = ", ".join(f"`{name}` {value:.1f}" for name, value in summary[f"{kind}_slowest_nodes"].items())
                lines.append(f"- {size_label(summary['size'])}, {label} (models' sum "
                             f"{summary[f'{kind}_nodes_seconds']:.1f} s): {nodes}")
        lines.append("")
    return lines


def size_section(result: dict) -> list[str]:
    rows = result["events"]["rows"]
    contenders = result["contenders"]
    reference = contenders.get("handwritten", {}).get("seconds", {}).get("median")
    lines = [
        f"### N = {size_label(result['size'])} ({rows:,} raw events, Parquet {result['events']['bytes'] / 2**20:,.0f} MiB)",
        "",
        f"Median of {result['runs']} runs after {result['warmups']} warm-up; run {result['started']} to "
        f"{result['finished']} (load average before {result['load_average_before'][0]:.2f}, "
        f"after {result['load_average_after'][0]:.2f}).",
        "",
        "| contender | wall time (median) | min - max | events/s | CPU time | peak RSS | vs hand-written | scores |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in ORDER:
        if name not in contenders:
            continue
        value = contenders[name]
        if "skipped" in value:
            lines.append(f"| {LABELS[name]} | not run | | | | | | {value['skipped']} |")
            continue
        median = value["seconds"]["median"]
        ratio = f"{median / reference:.2f}x" if reference else "-"
        reference_cpu = contenders.get("handwritten", {}).get("cpu_seconds", {}).get("median")
        if reference_cpu and "cpu_seconds" in value:
            ratio += f" ({value['cpu_seconds']['median'] / reference_cpu:.2f}x CPU)"
        same = "differs" if name in result["differs"] else "same"
        # user + system time of the whole process (interpreter and imports included), median
        cpu = seconds(value["cpu_seconds"]["median"]) if "cpu_seconds" in value else "-"
        lines.append(
            f"| {LABELS[name]} | {seconds(median)} | {seconds(value['seconds']['min'])} - {seconds(value['seconds']['max'])} "
            f"| {rate(rows, median)} | {cpu} | {gib(value['max_rss_bytes'])} | {ratio} | {same} ({value['rows']:,} rows) |"
        )
    lines.append("")
    if result.get("rss_note"):
        lines += [result["rss_note"], ""]
    if result["differs"]:
        lines += [f"**Scores differ from the hand-written query's: {', '.join(result['differs'])}.**", ""]
    else:
        checksum = next(value["checksum"] for value in contenders.values() if "checksum" in value)
        lines += [f"Every contender gave the same scores (checksum `{checksum}`).", ""]

    if "dbt" in contenders and "skipped" not in contenders["dbt"]:
        dbt = contenders["dbt"]
        overhead = result.get("dbt_overhead", {})
        wall, nodes = dbt["seconds"]["median"], dbt["nodes_seconds"]["median"]
        lines += [
            "dbt's time, apart:",
            "",
            f"- the `dbt build` command {seconds(wall)}, of which its {len(dbt['nodes'])} nodes {seconds(nodes)} and the rest "
            f"({seconds(wall - nodes)}) is dbt itself: interpreter and imports, reading the project (partial parse, "
            "warm), connecting, run_results and manifest writing.",
        ]
        if not overhead:
            lines.append("- `dbt --version`, `dbt parse` and the full `dbt build` with tests were not timed in this run "
                         "(`--skip-dbt-extras`).")
        if overhead:
            lines += [
                f"- `dbt --version` (the CLI starting) {seconds(overhead['version_seconds'])}; `dbt parse` "
                f"{seconds(overhead['parse_cold_seconds'])} with `--no-partial-parse`, "
                f"{seconds(overhead['parse_warm_seconds'])} with the partial parse the runs use.",
                f"- a plain `dbt build` of the whole project (all {overhead['full_build_nodes']} nodes: also "
                f"`rejected_events`, {overhead['tests_count']} data and unit tests; `make run` leaves the unit tests and "
                f"the construction checks to `make test`), once: {seconds(overhead['full_build_seconds'])}, "
                f"peak RSS {gib(overhead['full_build_max_rss_bytes'])}; seeds and models "
                f"{seconds(overhead['full_build_models_seconds'])}, tests {seconds(overhead['tests_seconds'])} (slowest: "
                + ", ".join(f"`{name}` {seconds(value)}" for name, value in overhead["slowest_tests"]) + ")"
                + (f"; failed: {', '.join(overhead['full_build_failed'])}" if overhead["full_build_failed"] else "")
                + ".",
            ]
        slowest = sorted(dbt["nodes"].items(), key=lambda pair: -pair[1])
        lines += [
            "- per node (median): " + ", ".join(f"`{name}` {seconds(value)}" for name, value in slowest if value >= 0.05)
            + "; the rest under 0.05 s each.",
            "",
        ]
    return lines


# Two sizes run further apart than this are not one sequence: the machine's speed drifts by up to 20%
# within an hour, so their ratio mixes the hours with the growth, and the report says so.
ONE_SEQUENCE_HOURS = 3


def apart_note(before: dict, after: dict) -> str:
    """Empty when the two results were started within ONE_SEQUENCE_HOURS of each other (or a date is
    missing); else a note naming both start times."""
    try:
        starts = [datetime.fromisoformat(result["started"]) for result in (before, after)]
    except (KeyError, TypeError, ValueError):
        return ""
    if abs(starts[1] - starts[0]) <= timedelta(hours=ONE_SEQUENCE_HOURS):
        return ""
    return (f"; not one sequence: run {starts[0]:%Y-%m-%d %H:%M} and {starts[1]:%Y-%m-%d %H:%M} UTC, "
            "so the ratio mixes the machine's hours with the growth")


def scaling_section(results: list[dict]) -> list[str]:
    if len(results) < 2:
        return []
    lines = [
        "## How the cost grows",
        "",
        "Wall-time ratio between consecutive sizes, with the CPU-time and peak-RSS ratios (linear = the events ratio):",
        "",
        "| contender | " + " | ".join(
            f"{size_label(a['size'])} -> {size_label(b['size'])} (events x{b['events']['rows'] / a['events']['rows']:.1f})"
            for a, b in zip(results, results[1:])) + " |",
        "|---|" + "---|" * (len(results) - 1),
    ]
    for name in ORDER:
        cells = []
        for before, after in zip(results, results[1:]):
            a, b = before["contenders"].get(name, {}), after["contenders"].get(name, {})
            if "seconds" in a and "seconds" in b:
                cpu = (f"CPU x{b['cpu_seconds']['median'] / a['cpu_seconds']['median']:.2f}, "
                       if "cpu_seconds" in a and "cpu_seconds" in b else "")
                cells.append(f"x{b['seconds']['median'] / a['seconds']['median']:.2f} "
                             f"({cpu}RSS x{b['max_rss_bytes'] / a['max_rss_bytes']:.2f}{apart_note(before, after)})")
            else:
                cells.append("-")
        if any(cell != "-" for cell in cells):
            lines.append(f"| {LABELS[name]} | " + " | ".join(cells) + " |")
    return lines + [""]


def machine_section(results: list[dict]) -> list[str]:
    info = results[-1]["machine"]
    versions = ", ".join(f"{name} {version}" for name, version in info["versions"].items())
    return [
        "## Machine",
        "",
        f"{info['cpu']}, {info['cores']} cores, {info['memory_bytes'] / 2**30:.1f} GiB RAM, {info['os']}, "
        f"Python {info['python']}; {versions}. The machine is shared with other work, so timings are noisy: the load "
        "average before and after each size is given with it.",
        "",
    ]


def render(results: list[dict]) -> str:
    first = results[0] if results else {}
    lines = [
        "# Benchmarks",
        "",
        "<!-- Generated by bench/report.py from bench/results/*.json and bench/findings.md; "
        "rerun `make bench` (or `.venv/bin/python bench/run_bench.py --report-only`) instead of editing. -->",
        "",
        "How long scoring takes, and how the cost grows with the number of raw events: the project's",
        "`dbt build` against the SQL dbt compiled (run directly, so the difference is dbt's own overhead), one",
        "hand-written DuckDB query written for speed, pandas and polars, all computing the same",
        "`fct_engagement_scores` rows from the same Parquet file.",
        "",
        "```sh",
        "make bench                                             # N = 1M and 10M",
        'make bench BENCH_SIZES="1000000 10000000 100000000"    # and 100M (pandas and polars are skipped above 20M)',
        "```",
        "",
        "## What is timed",
        "",
        "- **Input**: N raw events written by DuckDB SQL straight to Parquet (`bench/generate_events.sql`), with the",
        "  sample's mix and mess: tracker spellings in odd case and spacing, unknown types, offsets, `T` or space,",
        "  fractional seconds, ~2% re-sent duplicates, ~1% bad rows cycling through every reject reason, churning",
        "  users who go quiet; about 110 events a user over 6 months; every column text. Generation is not timed.",
        "- **`dbt build`**: `dbt build --select +fct_engagement_scores --exclude-resource-type test unit_test` with",
        "  `events_path` pointing at the file and `score_model: saas_customer` (the bench's events are the SaaS product's):",
        "  4 seeds, 3 views, 8 tables (`int_events_deduplicated` incremental, built in full here) and the start hook,",
        "  into a fresh DuckDB file. Wall time of the",
        "  whole command, dbt's startup and parse included (partial parse warm from the warm-up run); its per-node",
        "  times come from `run_results.json`. Data and unit tests are reported apart (a full `dbt build`, once, unless",
        "  the run was made with `--skip-dbt-extras`).",
        "- **dbt's compiled SQL**: the compiled `select` of each of those 10 models from `manifest.json`, run as",
        "  `create or replace view/table ... as` in one DuckDB connection (seeds copied in beforehand, untimed).",
        "- **hand-written query**: `bench/handwritten_scores.sql`, one `create table ... as` statement.",
        "- **pandas / polars**: `bench/scores_pandas.py`, `bench/scores_polars.py`: read the Parquet file, return the",
        "  scores as a DataFrame in memory.",
        "- **Rounds**: every contender runs once per round, a warm-up round first, then the measured rounds (the",
        "  median is reported), so that other work on the shared machine falls on all of them alike.",
        "- **Same conditions**: each run in a fresh process (`bench/contenders.py`, or the `dbt` CLI), "
        f"{first.get('threads', 2)} threads for all",
        f"  (DuckDB `threads`, `POLARS_MAX_THREADS`, Arrow's CPU and I/O pools; pandas itself is single-threaded),",
        f"  DuckDB `memory_limit` {first.get('memory_limit', '?')} and a `temp_directory` to spill to (pandas and polars",
        "  have no such cap), results fully materialized (a table in a DuckDB file, or a DataFrame). Times are the",
        "  work itself; for the four non-dbt contenders, without the interpreter's start and imports (0.3-1.5 s, kept in",
        "  the results files as `process_seconds`). Peak RSS is the process's own maximum resident set (`wait4`);",
        "  CPU time is its user + system time (whole process, start-up included): on this shared machine it is",
        "  steadier than wall time when other work competes for the 2 cores.",
        "- **Same answer**: an order-independent checksum of (entity_id, period_start, score, normalized_score, band)",
        "  of each contender's rows is compared with the hand-written query's; the run says which differs.",
        "",
    ]
    if not results:
        return "\n".join(lines + ["No results yet: run `make bench`.", ""])
    lines += ["## Results", ""]
    for result in results:
        lines += size_section(result)
    lines += scaling_section(results)
    lines += incremental_section(load_incremental(BENCH_DIR / "results" / "incremental"))
    findings = BENCH_DIR / "findings.md"
    if findings.exists():
        lines += [findings.read_text().rstrip(), ""]
    lines += machine_section(results)
    return "\n".join(lines)


def write(results_dir: Path, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(load(results_dir)))
