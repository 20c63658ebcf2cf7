"""suggest-weights (issue 12): propose a weights CSV for one score model from its outcomes.

The review marts say which signals foresee an outcome one signal at a time; signals that move
together (long sessions and many logins, in the sample) cannot be told apart that way. This fits
all of a model's signals at once, a logistic regression (scikit-learn) of the outcome on each
signal's current points, on the earlier periods, and checks the result on the latest period whose
horizon is over (a held-out later time slice). Steps:

1. Observations: int_engagement_outcome_observations of the built DuckDB file (the published one
   by default), one per entity and calendar period, with each signal's measure and points.
2. Fit: outcome ~ each signal's measure, standardized (L2, C=1), on every period but the last; a
   null measure (it earns no points) takes the mean measure of the observations earning 0 points.
   Measures, not points: a tier's points hide the differences inside it (0 to 3 login days all
   earn 0), which another signal would then stand in for.
3. Each signal's value per point: its coefficient divided by the signal's points per unit of
   standardized measure (the least-squares slope of points on measure); v = -that for an outcome
   to avoid (churned), +that for one to win (converted). The current weights treat every point alike; the proposal multiplies
   each signal's points (tiers, per-unit points and caps, penalties included) by v / (the average
   v, weighted by the signals' best points), so the best score the weights allow (max_score) stays
   the same. A signal whose v is 0 or less (its points did not lower the outcome, holding the others
   fixed) gets 0 points.
4. Rounding to readable points: to a multiple of 5 when the current value is 10 or more, else a
   whole number; a per-unit cap stays the same number of units.
5. Report: the AUC of the current and proposed scores on the held-out period (oriented: 1 = the
   score ranks every entity with the outcome below, for an outcome to avoid, every one without),
   and each change with its reason.

The seed is never written: the proposal goes to --out (refused when it is the seed itself).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

WEIGHT_COLUMNS = ["score_model", "signal", "rule", "min_value", "max_value", "unit", "points", "cap", "label"]
BAD_OUTCOME_WORDS = ("churn", "lost", "cancel", "downgrad", "lapse", "quit", "attrition", "left")


class SuggestError(Exception):
    """Bad input (exit 2): one line naming the file, row or value."""


@dataclass
class Observation:
    entity_id: str
    period_start: str
    had_outcome: bool
    score: float
    measures: dict      # signal -> measure value (None when null)
    points: dict        # signal -> points


def auc(values: list[float], labels: list[bool]) -> float | None:
    """Rank-based AUC (Mann-Whitney), tied values at their average rank, as the SQL computes it:
    P(value with the label > value without) + P(equal) / 2. None when a side is empty."""
    pairs = sorted(zip(values, labels), key=lambda pair: pair[0])
    positives = sum(1 for _, label in pairs if label)
    negatives = len(pairs) - positives
    if positives == 0 or negatives == 0:
        return None
    rank_sum, index = 0.0, 0
    while index < len(pairs):
        end = index
        while end + 1 < len(pairs) and pairs[end + 1][0] == pairs[index][0]:
            end += 1
        average_rank = (index + 1 + end + 1) / 2
        rank_sum += average_rank * sum(1 for _, label in pairs[index:end + 1] if label)
        index = end + 1
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def is_bad_outcome(outcome: str) -> bool:
    return any(word in outcome for word in BAD_OUTCOME_WORDS)


def read_weights(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != WEIGHT_COLUMNS:
            raise SuggestError(f"{path}: header must be {','.join(WEIGHT_COLUMNS)}, got {','.join(reader.fieldnames or [])}")
        return list(reader)


def number(text: str) -> float | None:
    return None if text is None or text.strip() == "" else float(text)


def rule_points(rows: list[dict], value: float | None) -> float:
    """The points one signal's weights rows give a measure value, as int_engagement_points does."""
    if value is None:
        return 0.0
    for row in rows:
        points, cap, unit = number(row["points"]), number(row["cap"]), number(row["unit"])
        if row["rule"] == "tier":
            low, high = number(row["min_value"]), number(row["max_value"])
            if (low is None or value >= low) and (high is None or value < high):
                return points
            continue
        raw = math.floor(value / unit) * points if row["rule"] == "per_unit" else value / unit * points
        if cap is not None:
            raw = min(raw, cap) if cap >= 0 else max(raw, cap)
        return raw
    return 0.0


def best_points(rows: list[dict]) -> float:
    """A signal's most points (its best tier, or the cap of positive per-unit and linear points)."""
    best = 0.0
    for row in rows:
        points = number(row["points"]) or 0.0
        if row["rule"] == "tier":
            best = max(best, points)
        elif points > 0:
            best = max(best, number(row["cap"]) or 0.0)
    return best


def readable(value: float, reference: float) -> float:
    """A multiple of 5 when the current value is 10 or more (in size), else a whole number."""
    step = 5 if abs(reference) >= 10 else 1
    return float(step * round(value / step))


def text(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def load_observations(db_path: str, model: str, outcome: str) -> list[Observation]:
    import duckdb

    try:
        connection = duckdb.connect(db_path, read_only=True)
    except duckdb.Error as error:
        raise SuggestError(f"{db_path}: cannot be opened read-only: {str(error).splitlines()[0]}") from None
    try:
        try:
            rows = connection.execute(
                "select entity_id, cast(period_start as varchar), signal, measure_value, cast(points as double), "
                "had_outcome from int_engagement_outcome_observations where score_model = ? and outcome = ? "
                "order by period_start, entity_id, signal", [model, outcome]).fetchall()
            known = connection.execute(
                "select distinct score_model || ' ' || outcome from int_engagement_outcome_observations "
                "order by 1").fetchall()
        except duckdb.CatalogException:
            raise SuggestError(f"{db_path} has no int_engagement_outcome_observations: build with outcomes "
                               "first (make run, or engagement.py run --outcomes FILE)") from None
    finally:
        connection.close()
    if not rows:
        pairs = ", ".join(row[0] for row in known) or "none (no outcomes were given)"
        raise SuggestError(f"no observations of --model {model!r} with --outcome {outcome!r} in {db_path}; "
                           f"models and outcomes there: {pairs}")
    observations: dict[tuple, Observation] = {}
    for entity_id, period_start, signal, measure, points, had in rows:
        key = (entity_id, period_start)
        observation = observations.setdefault(key, Observation(entity_id, period_start, bool(had), 0.0, {}, {}))
        if signal == "(score)":
            observation.score = float(points)
        else:
            observation.measures[signal] = measure
            observation.points[signal] = float(points)
    return list(observations.values())


def measure_column(observations: list[Observation], signal: str) -> list[float]:
    """A signal's measure per observation, standardized (mean 0, sd 1). A null measure (it earns
    no points) takes the mean measure of the observations whose points are 0, or of all."""
    measures = [observation.measures.get(signal) for observation in observations]
    zero = [m for m, o in zip(measures, observations) if m is not None and o.points.get(signal, 0.0) == 0]
    known = [m for m in measures if m is not None]
    fill = sum(zero) / len(zero) if zero else (sum(known) / len(known) if known else 0.0)
    filled = [fill if m is None else float(m) for m in measures]
    mean = sum(filled) / len(filled)
    sd = math.sqrt(sum((value - mean) ** 2 for value in filled) / len(filled))
    return [(value - mean) / sd if sd else 0.0 for value in filled]


def points_per_unit(measures: list, points: list[float], standardized: list[float]) -> float:
    """The least-squares slope of a signal's points on its standardized measure: points per sd."""
    count = len(points)
    mean_points = sum(points) / count
    variance = sum(value * value for value in standardized) / count
    if not variance:
        return 0.0
    return sum(z * (p - mean_points) for z, p in zip(standardized, points)) / count / variance


def propose(weights: list[dict], model: str, factors: dict[str, float]) -> list[dict]:
    """The whole seed, the model's rows with points (and caps) multiplied by their signal's factor
    and made readable; other models' rows untouched."""
    proposed = []
    for row in weights:
        row = dict(row)
        if row["score_model"] == model and row["signal"] in factors:
            factor = factors[row["signal"]]
            points, cap = number(row["points"]), number(row["cap"])
            new_points = readable(points * factor, points) if points is not None else None
            row["points"] = text(new_points)
            if cap is not None:
                if row["rule"] == "per_unit" and points:
                    new_cap = new_points * round(cap / points)   # the same number of units
                else:
                    new_cap = readable(cap * factor, cap)
                row["cap"] = text(new_cap)
        proposed.append(row)
    return proposed


def suggest(db_path: str, weights_path: Path, model: str, outcome: str, out: Path,
            direction: str | None = None) -> str:
    """Writes the proposal to out; returns the report (Markdown)."""
    if out.resolve() == weights_path.resolve():
        raise SuggestError(f"--out {out} is the weights seed itself: suggest-weights never overwrites it; "
                           "write the proposal elsewhere and review it with `engagement.py diff --weights`")
    try:
        from sklearn.linear_model import LogisticRegression
    except ImportError:
        raise SuggestError("suggest-weights needs scikit-learn: run `make review-install` "
                           "(pinned in requirements-review.txt)") from None
    weights = read_weights(weights_path)
    model_rows = [row for row in weights if row["score_model"] == model]
    if not model_rows:
        raise SuggestError(f"{weights_path}: no rows for --model {model!r}")
    signals = list(dict.fromkeys(row["signal"] for row in model_rows))
    by_signal = {signal: [row for row in model_rows if row["signal"] == signal] for signal in signals}
    bad = is_bad_outcome(outcome) if direction is None else direction == "avoid"

    observations = load_observations(db_path, model, outcome)
    periods = sorted({observation.period_start for observation in observations})
    if len(periods) < 2:
        raise SuggestError(f"--model {model!r} --outcome {outcome!r}: {len(periods)} period(s) with the horizon over; "
                           "at least 2 are needed (earlier ones to fit, the latest to test)")
    held_out = periods[-1]
    train = [observation for observation in observations if observation.period_start != held_out]
    test = [observation for observation in observations if observation.period_start == held_out]
    for name, part in (("fit", train), ("held-out", test)):
        with_outcome = sum(observation.had_outcome for observation in part)
        if with_outcome in (0, len(part)):
            raise SuggestError(f"--outcome {outcome!r}: the {name} periods have {with_outcome} of {len(part)} "
                               "observations with the outcome; both kinds are needed")

    labels = [observation.had_outcome for observation in train]
    columns = {signal: measure_column(train, signal) for signal in signals}
    features = [[columns[signal][index] for signal in signals] for index in range(len(train))]
    fit = LogisticRegression(C=1.0, max_iter=2000).fit(features, labels)
    # back from standardized measures to log-odds per point: per measure unit (/ its sd), then per
    # point through the slope of the signal's points on its measure
    coefficients = {}
    for signal, coefficient in zip(signals, fit.coef_[0]):
        measures = [observation.measures.get(signal) for observation in train]
        points = [observation.points.get(signal, 0.0) for observation in train]
        slope = points_per_unit(measures, points, columns[signal])
        coefficients[signal] = coefficient / slope if slope else 0.0
    value_per_point = {signal: (-coefficients[signal] if bad else coefficients[signal]) for signal in signals}
    best = {signal: best_points(by_signal[signal]) for signal in signals}
    max_score = sum(best.values())
    weighted = sum(best[signal] * max(value_per_point[signal], 0.0) for signal in signals)
    if max_score <= 0 or weighted <= 0:
        raise SuggestError(f"--model {model!r} --outcome {outcome!r}: no signal's points lowered the chance of the "
                           "outcome in the fit; no proposal")
    average = weighted / max_score
    factors = {signal: max(value_per_point[signal], 0.0) / average for signal in signals}
    proposed = propose(weights, model, factors)

    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=WEIGHT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(proposed)

    proposed_rows = [row for row in proposed if row["score_model"] == model]
    proposed_by_signal = {signal: [row for row in proposed_rows if row["signal"] == signal] for signal in signals}
    labels_test = [observation.had_outcome for observation in test]

    def oriented_auc(scores: list[float]) -> float:
        value = auc(scores, labels_test)
        return 1 - value if bad else value

    current_scores = [sum(rule_points(by_signal[s], o.measures.get(s)) for s in signals) for o in test]
    mismatches = sum(1 for o, score in zip(test, current_scores) if abs(o.score - score) > 1e-6)
    proposed_scores = [sum(rule_points(proposed_by_signal[s], o.measures.get(s)) for s in signals) for o in test]
    current_auc, proposed_auc = oriented_auc(current_scores), oriented_auc(proposed_scores)
    new_max = sum(best_points(proposed_by_signal[signal]) for signal in signals)

    word = "lowered" if bad else "raised"
    lines = [
        f"## Suggested weights: {model}, {outcome}",
        "",
        f"Fit: logistic regression of `{outcome}` within the horizon on the signals' measures (standardized), "
        "turned into log-odds per point through each signal's points per unit of measure; "
        f"{len(train)} observations ({periods[0]} to {periods[-2]}, {sum(labels)} with the outcome); "
        f"held out: the period {held_out} ({len(test)} observations, {sum(labels_test)} with the outcome).",
        "",
        "| | AUC on the held-out period |",
        "|---|---|",
        f"| current weights | {current_auc:.4f} |",
        f"| proposed weights | {proposed_auc:.4f} |",
        "",
        f"(AUC oriented so that 1 means the score puts every entity with the outcome "
        f"{'below' if bad else 'above'} every one without; 0.5 is chance.) Max score: {text(max_score)} now, "
        f"{text(new_max)} proposed (rounding).",
        "",
        "| signal | fitted change in log-odds per point | factor | rows (current -> proposed) | why |",
        "|---|---|---|---|---|",
    ]
    for signal in signals:
        changes = []
        for old, new in zip(by_signal[signal], proposed_by_signal[signal]):
            label = old["label"] or old["rule"]
            change = f"{label}: {old['points']} -> {new['points']}"
            if old["cap"]:
                change += f" (cap {old['cap']} -> {new['cap']})"
            changes.append(change)
        factor = factors[signal]
        unchanged = all(old == new for old, new in zip(by_signal[signal], proposed_by_signal[signal]))
        if factor == 0 and unchanged:
            why = "earns no points now, and the fit gives it none"
        elif factor == 0:
            why = (f"its points did not lower the chance of {outcome} once the other signals are known: no points"
                   if bad else f"its points did not raise the chance of {outcome} once the others are known: no points")
        elif unchanged:
            why = f"unchanged once rounded (factor {factor:.2f})"
        elif factor > 1.05:
            why = f"a point of it {word} the odds of {outcome} more than the average point: more weight"
        elif factor < 0.95:
            why = f"a point of it {word} the odds of {outcome} less than the average point: less weight"
        else:
            why = "about as telling as the average point: unchanged but for rounding"
        lines.append(f"| {signal} | {coefficients[signal]:+.4f} | {factor:.2f} | {'; '.join(changes)} | {why} |")
    if mismatches:
        lines += ["", f"Warning: the weights file's rules give {mismatches} held-out score(s) other than the build's: "
                      "was the database built with another weights file?"]
    lines += ["", f"Proposed weights written to `{out}` (the seed is unchanged). See what they would do with "
                  f"`scripts/engagement.py diff --weights {out}`."]
    return "\n".join(lines) + "\n"
