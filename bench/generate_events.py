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


PART_EVENTS = 10_000_000


def users_for(events: int) -> int:
    """Users to draw for `events` rows: about 110 events a user over the 6 months, room to spare
    (the kept users are a prefix)."""
    return math.ceil(events / 60) + 100


def parts(events: int, part_events: int = PART_EVENTS) -> list[dict]:
    """How `events` rows are split into parts of at most `part_events`: each part's row count and the
    offsets that keep its users, accounts and bad rows apart from the other parts'. The first part of
    100M events is the same rows as 10M events."""
    count = max(1, math.ceil(events / part_events))
    sizes = [events // count + (1 if number < events % count else 0) for number in range(count)]
    result, users, accounts, bad_rows = [], 0, 0, 0
    for size in sizes:
        result.append({"target_events": size, "user_offset": users, "account_offset": accounts, "bad_offset": bad_rows})
        users += users_for(size)
        accounts += max(1, users_for(size) // 8)  # as many as the SQL draws from
        bad_rows += size // 50  # the SQL writes 1%
    return result


def write_part(connection, part: dict, out: Path) -> None:
    sql = string.Template(SQL_FILE.read_text()).substitute(
        target_events=part["target_events"],
        max_users=users_for(part["target_events"]),
        user_offset=part["user_offset"],
        account_offset=part["account_offset"],
        bad_offset=part["bad_offset"],
        out=str(out).replace("'", "''"),
    )
    connection.execute(sql)


def generate(events: int, out: Path, threads: int = 2, memory_limit: str = "8GB", temp_dir: str | None = None,
             part_events: int = PART_EVENTS) -> int:
    """Writes about `events` raw rows (exactly that many unless the users run out); returns the row count.

    Up to `part_events` rows go to the file `out`; more are written to the folder `out` as
    part-0000.parquet, part-0001.parquet, ... (read them with the glob out/*.parquet).
    """
    if events < 1000:
        raise ValueError(f"--events must be at least 1000, got {events}")
    plan = parts(events, part_events)
    if len(plan) > 1:
        out.mkdir(parents=True, exist_ok=True)
        files = [out / f"part-{number:04d}.parquet" for number in range(len(plan))]
        pattern = out / "*.parquet"
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        files = [out]
        pattern = out
    with duckdb.connect() as connection:
        connection.execute(f"set threads = {int(threads)}")
        connection.execute(f"set memory_limit = '{memory_limit}'")
        connection.execute(f"set temp_directory = '{temp_dir or tempfile.gettempdir()}'")
        connection.execute("set preserve_insertion_order = false")
        for part, path in zip(plan, files):
            started = time.perf_counter()
            write_part(connection, part, path)
            if len(plan) > 1:
                print(f"  part {path.name}: {part['target_events']:,} events in {time.perf_counter() - started:.1f} s",
                      flush=True)
        return connection.sql(f"select count(*) from read_parquet('{str(pattern).replace(chr(39), chr(39) * 2)}')").fetchall()[0][0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, required=True, help="number of raw rows to write")
    parser.add_argument("--out", type=Path, required=True,
                        help="Parquet file to write (a folder of part files above --part-events)")
    parser.add_argument("--part-events", type=int, default=PART_EVENTS, help="most rows in one part file")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory-limit", default="8GB")
    parser.add_argument("--temp-dir", help="where DuckDB spills (default: the system's temporary folder)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    rows = generate(args.events, args.out, args.threads, args.memory_limit, args.temp_dir, args.part_events)
    print(f"wrote {rows:,} raw events to {args.out} in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
