"""Reading the marts of a build: raw event CSVs in, comparable rows and order-independent checksums out."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterable, Sequence

from conftest import DbtProject

RAW_COLUMNS = ["event_id", "occurred_at", "user_id", "account_id", "event_type", "properties", "loaded_at"]
MARTS = ["fct_engagement_scores", "fct_engagement_score_components", "fct_engagement_trailing_scores",
         "fct_account_engagement", "fct_account_band_mix", "fct_group_engagement", "fct_events", "rejected_events",
         "fct_engagement_alerts", "fct_engagement_current"]

# Models and their data tests only: the seeds are built once per project, and unit tests do not
# depend on the events.
MODELS_ONLY = ("--select", "resource_type:model", "--exclude", "test_type:unit")


def write_events(path: Path, rows: Iterable[Sequence[str | None]]) -> Path:
    """Raw rows to a CSV file as the source reads it (every field quoted; None is written blank)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\n")
        writer.writerow(RAW_COLUMNS)
        writer.writerows(rows)
    return path


def read_events(path: Path) -> list[tuple]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        return [tuple(row) for row in reader]


def build(project: DbtProject, events: Path, as_of_date: str | None = None, *extra: str,
          more_vars: dict | None = None) -> None:
    """Builds the models on the events file; fails the test if dbt or any data test fails."""
    dbt_vars = {"events_path": str(events), **(more_vars or {})}
    if as_of_date is not None:
        dbt_vars["as_of_date"] = as_of_date
    result, failures = project.build(dbt_vars, *extra)
    assert result.success and not failures, failures


def checksums(project: DbtProject) -> dict[str, tuple[int, str]]:
    """Each mart's row count and a checksum of its rows that ignores their order but not their multiplicity."""
    out = {}
    for mart in MARTS:
        [(count, digest)] = project.query(
            f"""
            select count(*), md5(coalesce(string_agg(row_md5, ',' order by row_md5), ''))
            from (select md5(cast(mart as varchar)) as row_md5 from {mart} as mart)
            """
        )
        out[mart] = (count, digest)
    return out


def mart_rows(project: DbtProject, mart: str, where: str = "true") -> list[tuple]:
    """A mart's rows, sorted, for a readable difference."""
    return sorted(project.query(f"select * from {mart} where {where}"), key=repr)
