"""The benchmark harness (bench/, `make bench`) at a tiny size: it runs, and every contender gives dbt's scores.

pandas and polars are benchmark-only dependencies (requirements-bench.txt); their contenders run
here only when they are installed.
"""

from __future__ import annotations

import importlib.util
import json
import sys

import duckdb

from conftest import PROJECT_DIR

sys.path.insert(0, str(PROJECT_DIR / "bench"))
import run_bench  # noqa: E402

SIZE = 20_000


def test_the_benchmark_runs_and_every_contender_gives_the_same_scores(tmp_path, dbt_env):
    contenders = ["dbt", "dbt_sql", "handwritten"]
    contenders += [name for name in ("pandas", "polars") if importlib.util.find_spec(name) is not None]
    results, report = tmp_path / "results", tmp_path / "benchmarks.md"
    assert run_bench.main([
        "--sizes", str(SIZE), "--runs", "1", "--warmups", "0", "--skip-dbt-extras", "--memory-limit", "1GB",
        "--contenders", " ".join(contenders),
        "--workdir", str(tmp_path / "work"), "--results-dir", str(results), "--report", str(report),
    ]) == 0

    result = json.loads((results / f"{SIZE}.json").read_text())
    assert result["differs"] == []
    assert set(result["contenders"]) == set(contenders)
    assert len({value["checksum"] for value in result["contenders"].values()}) == 1
    assert result["contenders"]["dbt"]["rows"] > 100
    assert "fct_engagement_scores" in result["contenders"]["dbt"]["nodes"]
    assert "| hand-written DuckDB query |" in report.read_text()

    # the generated input is exactly N rows of text, with the sample's kinds of mess
    events = result["events"]["path"]
    with duckdb.connect() as connection:
        rows, ids, spellings, offsets, bad, unparseable, not_objects = connection.sql(f"""
            select
                count(*), count(distinct event_id), count(distinct event_type),
                count(*) filter (where occurred_at like '%+09:00'),
                count(*) filter (where event_id like 'bad_%' or event_id = ''),
                count(*) filter (where occurred_at = 'yesterday'),
                count(*) filter (where properties like '[%')
            from read_parquet('{events}')
        """).fetchall()[0]
        columns = {row[0] for row in connection.sql(f"describe select * from read_parquet('{events}')").fetchall()}
    assert rows == result["events"]["rows"] and abs(rows - SIZE) < SIZE * 0.01
    assert 0.01 < 1 - ids / rows < 0.04  # re-sent duplicates (and the bad rows' blank ids)
    assert spellings > 30 and offsets > 0 and unparseable > 0 and not_objects > 0
    assert 0.005 < bad / rows < 0.02
    assert columns == {"event_id", "occurred_at", "user_id", "account_id", "event_type", "properties", "loaded_at"}


def test_large_inputs_are_written_in_parts_that_do_not_collide(tmp_path):
    """Above --part-events the generator writes a folder of parts (one sort each, not one huge one):
    about N / parts rows each, users and accounts and event ids of each part its own, and the first
    part the very rows that N = part size gives on its own."""
    import generate_events

    folder, single = tmp_path / "parts", tmp_path / "single.parquet"
    rows = generate_events.generate(30_000, folder, memory_limit="1GB", temp_dir=str(tmp_path), part_events=10_000)
    assert generate_events.generate(10_000, single, memory_limit="1GB", temp_dir=str(tmp_path), part_events=10_000) > 9_000
    assert sorted(path.name for path in folder.iterdir()) == ["part-0000.parquet", "part-0001.parquet", "part-0002.parquet"]
    with duckdb.connect() as connection:
        parts = connection.sql(f"""
            select
                filename,
                count(*) as rows,
                min(user_id) filter (where trim(user_id) <> '') as first_user,
                max(user_id) as last_user,
                min(account_id) filter (where event_id like 'evt_%') as first_account,  -- bad rows all use acct_000001
                max(account_id) filter (where event_id like 'evt_%') as last_account,
                count(*) filter (where not regexp_full_match(account_id, 'acct_[0-9]{{6}}')) as odd_accounts
            from read_parquet('{folder}/*.parquet', filename = true)
            group by filename
            order by filename
        """).fetchall()
        resent, clashes = connection.sql(f"""
            select count(*) filter (where files = 1), count(*) filter (where files > 1)
            from (
                select event_id, count(distinct filename) as files
                from read_parquet('{folder}/*.parquet', filename = true)
                where trim(event_id) <> ''
                group by event_id
                having count(*) > 1
            )
        """).fetchall()[0]
        first_part_differs = connection.sql(f"""
            select count(*) from (
                select * from read_parquet('{folder}/part-0000.parquet')
                except all
                select * from read_parquet('{single}')
            )
        """).fetchall()[0][0]
    assert rows == sum(part[1] for part in parts)
    assert all(abs(part[1] - 10_000) < 10_000 * 0.05 for part in parts)  # as for one file: N unless the users run out
    for earlier, later in zip(parts, parts[1:]):
        assert earlier[3] < later[2], "users of two parts overlap"
        assert earlier[5] < later[4], "accounts of two parts overlap"
    assert all(part[6] == 0 for part in parts)
    assert resent > 0 and clashes == 0  # duplicates are re-sent within a part; ids never clash across parts
    assert first_part_differs == 0


def test_the_report_shows_incremental_runs_beside_full_builds():
    """bench/incremental_bench.py's summaries become a table of docs/benchmarks.md, with the share."""
    import report

    summary = {
        "size": 10_000_000, "history_rows": 9_900_000, "batch_rows": 100_000, "same_scores": True, "runs": 3,
        "started": "2026-12-02T07:00:00+00:00", "load_average_before": 0.4,
        "incremental_seconds": {"median": 12.0, "min": 11.0, "max": 14.0},
        "full_seconds": {"median": 48.0, "min": 46.0, "max": 50.0},
        "incremental_dedup_seconds": {"median": 3.0, "min": 2.5, "max": 3.5},
        "full_dedup_seconds": {"median": 25.0, "min": 24.0, "max": 26.0},
        "incremental_share_of_full": 0.25,
    }
    lines = report.incremental_section([summary, {**summary, "size": 1_000_000, "same_scores": False}])
    rows = [line for line in lines if line.startswith("| 1")]
    assert "| 10M | 9,900,000 + 100,000 | 12.0 s | 11.0 s - 14.0 s | 48.0 s | 46.0 s - 50.0 s | 25% |" in rows[0]
    assert rows[0].endswith("| 3.00 s / 25.0 s | yes |")
    assert rows[1].startswith("| 1M |") and rows[1].endswith("| NO |")  # a mismatch is shown
    assert "| 25% | not measured | - |" in rows[0]  # a summary from before the no-new-rows runs
    assert report.incremental_section([]) == []
    # the floor (a run with no new rows) and where the time goes, when measured
    measured = {
        **summary, "no_new_rows_seconds": {"median": 9.0, "min": 8.5, "max": 9.9}, "no_new_rows_share_of_full": 0.1875,
        **{f"{kind}_slowest_nodes": {"int_events_deduplicated": 3.25, "int_saas_customer__measures": 4.5}
           for kind in ("full", "incremental", "no_new_rows")},
        **{f"{kind}_nodes_seconds": 20.0 for kind in ("full", "incremental", "no_new_rows")},
    }
    lines = report.incremental_section([measured])
    assert "| 25% | 9.00 s (8.50 s - 9.90 s) | 19% |" in [line for line in lines if line.startswith("| 10M")][0]
    assert ("- 10M, no new rows (models' sum 20.0 s): `int_events_deduplicated` 3.2, "
            "`int_saas_customer__measures` 4.5") in lines


def test_the_growth_of_sizes_run_hours_apart_is_marked_as_not_one_sequence():
    """docs/benchmarks.md's growth table divides one size's median by the next's; when the two were run
    more than 3 hours apart (one size re-run alone), the cell says so, since the machine's speed drifts
    by up to 20% within an hour. Within 3 hours, or without a start time, no note."""
    import report

    def result(size, seconds, started):
        return {"size": size, "events": {"rows": size}, "started": started,
                "contenders": {"dbt": {"seconds": {"median": seconds}, "cpu_seconds": {"median": seconds},
                                       "max_rss_bytes": 2**30}}}

    def dbt_row(*results):
        return next(line for line in report.scaling_section(list(results)) if line.startswith("| `dbt build`"))

    apart = dbt_row(result(10_000_000, 31.0, "2026-12-05T06:40:34+00:00"),
                    result(100_000_000, 285.0, "2026-12-04T21:26:32+00:00"))
    assert "x9.19 (CPU x9.19, RSS x1.00; not one sequence: run 2026-12-05 06:40 and 2026-12-04 21:26 UTC" in apart
    close = dbt_row(result(10_000_000, 31.0, "2026-12-05T06:40:34+00:00"),
                    result(100_000_000, 285.0, "2026-12-05T09:40:00+00:00"))
    assert close.endswith("| x9.19 (CPU x9.19, RSS x1.00) |")
    undated = dbt_row(result(10_000_000, 31.0, "2026-12-05T06:40:34+00:00"), result(100_000_000, 285.0, None))
    assert undated.endswith("| x9.19 (CPU x9.19, RSS x1.00) |")


def test_the_incremental_bench_splits_once_and_moves_only_the_batch(tmp_path):
    """The incremental bench's input: the history and the batch split at the 99th percentile of
    loaded_at (rows without one in the history), read through one glob; the batch is linked in or
    taken out, the history never moves; a second split of the same events reuses the first."""
    import incremental_bench

    events = tmp_path / "events.parquet"
    duckdb.sql(f"""
        copy (
            select 'e' || i as event_id,
                   case when i % 50 = 0 then null else strftime(timestamp '2025-01-01' + to_seconds(i), '%Y-%m-%dT%H:%M:%SZ')
                   end as loaded_at
            from range(1000) as t(i)
        ) to '{events}' (format parquet)
    """)
    workdir = tmp_path / "work"
    workdir.mkdir()
    glob, batch, counts = incremental_bench.split(events, workdir)
    assert counts["history_rows"] + counts["batch_rows"] == 1000 and 5 <= counts["batch_rows"] <= 15, counts

    def rows() -> int:
        return duckdb.sql(f"select count(*) from read_parquet('{glob}')").fetchall()[0][0]

    def nulls_in_batch() -> int:
        return duckdb.sql(f"select count(*) from read_parquet('{batch}') where loaded_at is null").fetchall()[0][0]

    assert rows() == counts["history_rows"] and nulls_in_batch() == 0
    incremental_bench.batch_in(glob, batch, present=True)
    assert rows() == 1000
    incremental_bench.batch_in(glob, batch, present=True)  # twice: still one copy
    assert rows() == 1000
    incremental_bench.batch_in(glob, batch, present=False)
    assert rows() == counts["history_rows"] and batch.exists()
    history = glob.parent / "a_history.parquet"
    written = history.stat().st_mtime_ns
    assert incremental_bench.split(events, workdir) == (glob, batch, counts)
    assert history.stat().st_mtime_ns == written  # kept, not split again
