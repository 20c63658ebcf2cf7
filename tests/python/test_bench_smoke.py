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
