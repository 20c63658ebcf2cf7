"""Write N raw benchmark events to Parquet with DuckDB (the SQL is bench/generate_events.sql).

Deterministic: the same N gives the same rows. Run from the repository root:
    .venv/bin/python bench/generate_events.py --events 1000000 --out /tmp/engagement-bench/events_1000000.parquet
"""

from __future__ import annotations

import argparse
import math
import string
import sys
import tempfile
import time
from pathlib import Path

import duckdb

SQL_FILE = Path(__file__).resolve().parent / "generate_events.sql"


def generate(events: int, out: Path, threads: int = 2, memory_limit: str = "8GB", temp_dir: str | None = None) -> int:
    """Writes about `events` raw rows (exactly that many unless the users run out) to `out`; returns the row count."""
    if events < 1000:
        raise ValueError(f"--events must be at least 1000, got {events}")
    out.parent.mkdir(parents=True, exist_ok=True)
    sql = string.Template(SQL_FILE.read_text()).substitute(
        target_events=events,
        # about 110 events a user over the 6 months: room to spare, the kept users are a prefix
        max_users=math.ceil(events / 60) + 100,
        out=str(out).replace("'", "''"),
    )
    with duckdb.connect() as connection:
        connection.execute(f"set threads = {int(threads)}")
        connection.execute(f"set memory_limit = '{memory_limit}'")
        connection.execute(f"set temp_directory = '{temp_dir or tempfile.gettempdir()}'")
        connection.execute("set preserve_insertion_order = false")
        connection.execute(sql)
        return connection.sql(f"select count(*) from read_parquet('{str(out).replace(chr(39), chr(39) * 2)}')").fetchall()[0][0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, required=True, help="number of raw rows to write")
    parser.add_argument("--out", type=Path, required=True, help="Parquet file to write")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory-limit", default="8GB")
    parser.add_argument("--temp-dir", help="where DuckDB spills (default: the system's temporary folder)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    rows = generate(args.events, args.out, args.threads, args.memory_limit, args.temp_dir)
    print(f"wrote {rows:,} raw events to {args.out} in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
