"""diff (issue 12): what a weights or bands change would do, before it is merged.

Builds the scores twice on DuckDB, each in a copy of the project's dbt files in a temporary
folder and into its own DuckDB file there: "before" with the current seeds (or those of a git
ref, --base-ref), "after" with the proposed ones (--weights, --bands; the current seeds for the
ones not given). The published file (ENGAGEMENT_DUCKDB_PATH) is never opened. Then compares each
model's latest calendar period: entities per band before and after (a migration matrix), how many
moved, the biggest movers, and each signal's share of the points (the sum of |points| of the signal
over that of all the model's signals). Markdown on stdout, CSV files with --output.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import tempfile
from pathlib import Path

SEEDS = {"weights": "seeds/engagement_weights.csv", "bands": "seeds/engagement_bands.csv"}
PROJECT_FILES = ["dbt_project.yml", "profiles.yml"]
PROJECT_FOLDERS = ["models", "macros", "seeds", "tests", "score_models"]
BAND_NONE = "(none)"   # no row on that side (an entity only one build scores) or no band (cold start)


class DiffError(Exception):
    """Bad input (exit 2): one line naming the file, ref or value."""


def seed_from_ref(project_dir: Path, ref: str, seed: str, destination: Path) -> None:
    """`git show REF:seeds/...` into destination; the ref is passed as one argument, never to a shell."""
    if ref.startswith("-"):
        raise DiffError(f"--base-ref {ref!r} is not a git ref")
    shown = subprocess.run(["git", "-C", str(project_dir), "show", f"{ref}:{seed}"], capture_output=True)
    if shown.returncode != 0:
        message = shown.stderr.decode(errors="replace").strip().splitlines()
        raise DiffError(f"--base-ref {ref!r}: cannot read {seed} there ({message[0] if message else 'git failed'})")
    destination.write_bytes(shown.stdout)


def copy_project(project_dir: Path, destination: Path) -> Path:
    ignore = shutil.ignore_patterns(".venv", "target", "logs", "data", ".git", "__pycache__", ".pytest_cache")
    destination.mkdir(parents=True)
    for name in PROJECT_FILES:
        shutil.copy2(project_dir / name, destination / name)
    for name in PROJECT_FOLDERS:
        shutil.copytree(project_dir / name, destination / name, ignore=ignore)
    return destination


def latest_period_rows(database: Path) -> dict:
    """(score_model, entity_id) -> (period_start, band, score, normalized_score), each model's latest
    calendar period; and (score_model, signal) -> sum of |points| there."""
    import duckdb

    with duckdb.connect(str(database), read_only=True) as connection:
        scores = connection.execute("""
            with latest as (
                select score_model, max(period_start) as period_start from fct_engagement_scores group by score_model
            )
            select scores.score_model, scores.entity_id, cast(scores.period_start as varchar), scores.band,
                   cast(scores.score as double), cast(scores.normalized_score as double)
            from fct_engagement_scores as scores
            inner join latest on scores.score_model = latest.score_model and scores.period_start = latest.period_start
        """).fetchall()
        shares = connection.execute("""
            with latest as (
                select score_model, max(period_start) as period_start from fct_engagement_scores group by score_model
            )
            select components.score_model, components.signal, sum(abs(cast(components.points as double)))
            from fct_engagement_score_components as components
            inner join latest
                on components.score_model = latest.score_model and components.period_start = latest.period_start
            group by components.score_model, components.signal
        """).fetchall()
    return ({(model, entity): (period, band, score, normalized) for model, entity, period, band, score, normalized in scores},
            {(model, signal): total for model, signal, total in shares})


def compare(before: tuple, after: tuple, top: int = 10) -> dict:
    scores_before, shares_before = before
    scores_after, shares_after = after
    models = sorted({model for model, _ in scores_before} | {model for model, _ in scores_after})
    migration: dict[tuple, int] = {}
    movers = []
    per_model = {}
    for model in models:
        keys = sorted({key for key in scores_before if key[0] == model} | {key for key in scores_after if key[0] == model})
        moved = 0
        period = None
        for key in keys:
            old, new = scores_before.get(key), scores_after.get(key)
            period = period or (old or new)[0]
            band_before = (old[1] if old else None) or BAND_NONE
            band_after = (new[1] if new else None) or BAND_NONE
            migration[(model, band_before, band_after)] = migration.get((model, band_before, band_after), 0) + 1
            if band_before != band_after:
                moved += 1
            change = (new[2] if new else 0.0) - (old[2] if old else 0.0)
            movers.append((model, key[1], band_before, band_after, old[2] if old else None, new[2] if new else None,
                           change))
        per_model[model] = {"period": period, "entities": len(keys), "moved": moved}
    movers.sort(key=lambda row: (-abs(row[6]), row[0], row[1]))
    signals = sorted(set(shares_before) | set(shares_after))
    share_rows = []
    for model, signal in signals:
        total_before = sum(value for (m, _), value in shares_before.items() if m == model)
        total_after = sum(value for (m, _), value in shares_after.items() if m == model)
        share_before = shares_before.get((model, signal), 0.0) / total_before if total_before else 0.0
        share_after = shares_after.get((model, signal), 0.0) / total_after if total_after else 0.0
        share_rows.append((model, signal, share_before, share_after, share_after - share_before))
    return {"models": per_model, "migration": migration, "movers": [row for row in movers if row[6] != 0][:top],
            "shares": share_rows}


def band_orders(bands_csv: Path) -> dict:
    with bands_csv.open(newline="", encoding="utf-8") as handle:
        return {(row["score_model"], row["band"]): int(row["band_order"]) for row in csv.DictReader(handle)
                if row.get("band_order", "").strip().isdigit()}


def markdown(result: dict, orders: dict, title: str) -> str:
    lines = [f"## {title}", ""]
    total = sum(model["entities"] for model in result["models"].values())
    moved = sum(model["moved"] for model in result["models"].values())
    share = 100 * moved / total if total else 0.0
    lines += [f"{moved} of {total} entities ({share:.1f}%) change band in their model's latest period.", ""]
    still = [f"{model} ({summary['entities']})" for model, summary in result["models"].items() if not summary["moved"]]
    if still:
        lines += ["No entity changes band in: " + ", ".join(still) + " (their matrices are in band_migration.csv).", ""]
    for model, summary in result["models"].items():
        if not summary["moved"]:
            continue
        cells = {(before, after): count for (m, before, after), count in result["migration"].items() if m == model}
        bands = sorted({band for pair in cells for band in pair}, key=lambda band: (orders.get((model, band), 999), band))
        moved_share = 100 * summary["moved"] / summary["entities"] if summary["entities"] else 0.0
        lines += [f"### {model}, period starting {summary['period']}: {summary['moved']} of {summary['entities']} "
                  f"moved ({moved_share:.1f}%)", "",
                  "| before \\ after | " + " | ".join(bands) + " | total |",
                  "|---" * (len(bands) + 2) + "|"]
        for before in bands:
            row = [cells.get((before, after), 0) for after in bands]
            lines.append(f"| **{before}** | " + " | ".join(str(value) for value in row) + f" | {sum(row)} |")
        lines.append("| total | " + " | ".join(str(sum(cells.get((before, after), 0) for before in bands))
                                              for after in bands) + f" | {summary['entities']} |")
        lines.append("")
    changed_shares = [row for row in result["shares"] if abs(row[4]) >= 0.0005]
    if changed_shares:
        lines += ["### Share of points by signal (latest period)", "", "| model | signal | before | after | change |",
                  "|---|---|---|---|---|"]
        lines += [f"| {m} | {s} | {100 * b:.1f}% | {100 * a:.1f}% | {100 * c:+.1f} pts |" for m, s, b, a, c in changed_shares]
        lines.append("")
    if result["movers"]:
        lines += ["### Biggest movers", "", "| model | entity | band before | band after | score before | score after |",
                  "|---|---|---|---|---|---|"]
        for model, entity, band_before, band_after, old, new, _ in result["movers"]:
            lines.append(f"| {model} | {entity} | {band_before} | {band_after} | {_number(old)} | {_number(new)} |")
        lines.append("")
    return "\n".join(lines)


def _number(value):
    return "-" if value is None else f"{value:g}"


def write_csvs(result: dict, output: Path) -> list[Path]:
    output.mkdir(parents=True, exist_ok=True)
    files = {
        "band_migration.csv": (["score_model", "band_before", "band_after", "entities"],
                               [(m, b, a, n) for (m, b, a), n in sorted(result["migration"].items())]),
        "models.csv": (["score_model", "period_start", "entities", "moved"],
                       [(m, s["period"], s["entities"], s["moved"]) for m, s in result["models"].items()]),
        "biggest_movers.csv": (["score_model", "entity_id", "band_before", "band_after", "score_before", "score_after",
                                "change"], result["movers"]),
        "signal_shares.csv": (["score_model", "signal", "share_before", "share_after", "change"],
                              [(m, s, round(b, 6), round(a, 6), round(c, 6)) for m, s, b, a, c in result["shares"]]),
    }
    written = []
    for name, (header, rows) in files.items():
        path = output / name
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)
        written.append(path)
    return written


def prepare_sides(project_dir: Path, work: Path, weights: Path | None, bands: Path | None,
                  base_ref: str | None) -> dict[str, Path]:
    """Two project copies under work: before (current seeds, or base_ref's) and after (the given
    files over the current seeds)."""
    before = copy_project(project_dir, work / "before" / "project")
    if base_ref:
        for seed in SEEDS.values():
            seed_from_ref(project_dir, base_ref, seed, before / seed)
    after = copy_project(project_dir, work / "after" / "project")
    for given, seed in ((weights, SEEDS["weights"]), (bands, SEEDS["bands"])):
        if given is not None:
            shutil.copyfile(given, after / seed)
    return {"before": before, "after": after}


def new_work_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="engagement-diff-"))
