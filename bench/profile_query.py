"""Where a query's time goes: run it under DuckDB's profiler and print the costliest operators.

    # a dbt model, its compiled SQL from a benchmark run's manifest, against that run's database
    .venv/bin/python bench/profile_query.py --model int_events_deduplicated \
        --dbt-target /tmp/engagement-bench/10000000/dbt/target --database /tmp/engagement-bench/10000000/dbt/engagement.duckdb
    # an edited copy of a compiled model, against the same database
    .venv/bin/python bench/profile_query.py --sql-file edited.sql --database /tmp/engagement-bench/10000000/dbt/engagement.duckdb
    # the hand-written query
    .venv/bin/python bench/profile_query.py --handwritten --events /tmp/engagement-bench/events_10000000_*.parquet

This is EXPLAIN ANALYZE, summed per operator: the top lines name the operators and the expressions
(projections, filters, aggregates) that take the time.
"""

from __future__ import annotations

import argparse
import json
import string
import sys
import tempfile
import time
from pathlib import Path

import duckdb

BENCH_DIR = Path(__file__).resolve().parent


def operators(node):
    """Every operator in a profile, whatever the nesting (DuckDB's JSON layout changes between versions)."""
    if isinstance(node, dict):
        if ("timing" in node or "operator_timing" in node) and ("type" in node or "operator_type" in node):
            yield node
        for value in node.values():
            if isinstance(value, (dict, list)):
                yield from operators(value)
    elif isinstance(node, list):
        for item in node:
            yield from operators(item)


def timing(node: dict) -> float:
    return node.get("timing", node.get("operator_timing", 0.0))


def describe(node: dict) -> str:
    extra = node.get("extra_info") or {}
    details = []
    for key in ("Projections", "Expression", "Filters", "Aggregates", "Groups", "Conditions", "Function", "CTE Name",
                "Partition By", "Order By"):
        if key in extra:
            value = extra[key]
            value = "; ".join(value) if isinstance(value, list) else str(value)
            details.append(f"{key}: {value}")
    text = " | ".join(details)
    return text if len(text) <= 400 else text[:397] + "..."


def profile(connection, sql: str, top: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "profile.json"
        connection.execute("pragma enable_profiling = 'json'")
        connection.execute(f"pragma profiling_output = '{output}'")
        connection.execute("set profiling_mode = 'detailed'")
        started = time.perf_counter()
        connection.execute(sql)
        elapsed = time.perf_counter() - started
        connection.execute("pragma disable_profiling")
        tree = json.loads(output.read_text())
    nodes = list(operators(tree))
    total = sum(timing(node) for node in nodes)
    print(f"wall {elapsed:.2f} s; operator time {total:.2f} s (summed over threads)")
    for node in sorted(nodes, key=lambda node: -timing(node))[:top]:
        share = timing(node) / total if total else 0
        rows = node.get("intermediate_rows", node.get("operator_cardinality", 0))
        kind = node.get("type", node.get("operator_type"))
        print(f"{timing(node):8.2f} s {share:6.1%}  {kind:<22} {rows:>12,} rows  {describe(node)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a dbt model whose compiled SQL to profile")
    parser.add_argument("--dbt-target", type=Path, help="dbt's target path (manifest.json)")
    parser.add_argument("--database", type=Path, help="the DuckDB file the model's inputs are in (opened read-only)")
    parser.add_argument("--sql-file", type=Path, help="a query of your own (e.g. an edited compiled model), with --database")
    parser.add_argument("--handwritten", action="store_true", help="profile bench/handwritten_scores.sql")
    parser.add_argument("--events", type=Path, help="Parquet file of raw events (with --handwritten)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args(argv)

    if args.handwritten:
        template = (BENCH_DIR / "handwritten_scores.sql").read_text()
        # the same rules folder the bench gives it (the seeds plus saas_customer's declaration as CSVs)
        sys.path.insert(0, str(BENCH_DIR))
        from contenders import rules_dir

        seeds = rules_dir(Path(tempfile.mkdtemp(prefix="profile_rules_")))
        sql = string.Template(template).safe_substitute(events=str(args.events), seeds=str(seeds))
        sql = "create temp table profiled as " + sql.split(" as\n", 1)[1]
        connection = duckdb.connect()
    elif args.sql_file and args.database:
        sql = f"create temp table profiled as {args.sql_file.read_text()}"
        connection = duckdb.connect(str(args.database), read_only=True)
    elif args.model and args.dbt_target and args.database:
        manifest = json.loads((args.dbt_target / "manifest.json").read_text())
        node = next(node for node in manifest["nodes"].values()
                    if node["resource_type"] == "model" and node["name"] == args.model)
        sql = f"create temp table profiled as {node['compiled_code']}"
        connection = duckdb.connect(str(args.database), read_only=True)
    else:
        parser.error("give --handwritten --events FILE, or --model NAME --dbt-target DIR --database FILE")
    connection.execute(f"set threads = {args.threads}")
    profile(connection, sql, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
