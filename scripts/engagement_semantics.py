"""Semantic checks of the configuration: mistakes that are well-formed but would score wrongly.

The structural checks (engagement_config) make sure every file parses and every value has the
right shape; these make sure the pieces fit together:

- a declared event type that the events can never hold once staged: an alias name (the staging
  model maps it to its canonical type, so the signal would never see it) is an error; a type that
  is neither canonical in seeds/event_type_aliases.csv nor an alias is a warning (a typo such as
  `logn` scores 0 for everyone, but a new event type may be on its way: add `<type>,<type>` to the
  alias seed to declare it canonical, and the warning goes; `validate --strict` makes warnings
  errors); so is an alias whose target no model reads and no `type,type` row declares canonical (a
  typo in the target, `signin,logn`, moves those events out of every signal);
- allow-list rows under an undeclared score model, and a signal whose allow-list has no rows for
  its model (header-only or misspelled model: the measure would be 0 for everyone);
- bands no score can reach, from the lowest and highest score the weights allow (as
  fct_engagement_scores computes max_score);
- measure names that are columns of the marts and working tables, and names that pass PostgreSQL's
  63-byte limit once the generator derives its working columns from them;
- weights whose totals would not fit decimal(18, 4), the type of points and scores.

Each problem names the file, the line or row, the value and what would be accepted. Nothing here
builds SQL.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from engagement_config import (
    Config,
    Problem,
    _read_seed,
    _relative,
    normalize_event_type,
    seed_columns,
)

# Columns of the marts, the intermediate tables and the generated measure SQL: a measure of one of
# these names would collide with them.
RESERVED_MEASURE_NAMES = frozenset({
    "score_model", "entity_type", "entity_id", "account_id", "user_id", "period_start", "period_end",
    "as_of_date", "effective_end", "score", "max_score", "normalized_score", "band", "band_order", "signal",
    "measure", "measure_value", "points", "best_points", "event_id", "event_type", "occurred_at",
    "occurred_on", "loaded_at", "properties", "first_event_on", "allowed_value", "latest_value",
    "recency_rank", "item_key", "opened_on", "closed_on", "open_change", "reject_reason",
    # the multi-model pipeline's columns (int_engagement_measures, the periods spine, the roll-ups)
    "group_id", "period_kind", "period_type", "is_first_period", "percentile", "is_banded", "is_lowest_band",
    "is_in_scope", "member", "members", "as_of", "window_start", "window_end", "window_days", "is_new",
    "account_rank", "group_rank", "n", "events",
    # the periods spine's latest event, and the change, alert and history columns
    "last_event_on", "period_number", "previous_score", "previous_normalized_score", "previous_band",
    "previous_band_order", "score_change", "normalized_change", "band_change", "periods_in_lowest_band",
    "days_since_last_event", "weights_version", "alert_type", "recorded_at", "rule_text",
    # the keys of the measures rows (per entity and period, and per signal)
    "period_key", "measure_key",
})
IDENTIFIER_BYTES = 63  # PostgreSQL cuts longer identifiers (NAMEDATALEN - 1)
# decimal(18, 4) holds 14 digits before the point; scores are sums of points, and normalizing
# multiplies them by 100, so a model's totals stay below 10^12.
TOTAL_POINTS_LIMIT = Decimal(10) ** 12
# measures of these kinds can be negative (they read a numeric property, or divide such measures),
# the others never are
SIGNED_KINDS = {"sum", "average", "min", "max", "latest_value", "ratio"}
INFINITY = Decimal("Infinity")


def check_semantics(config: Config) -> None:
    """Appends the semantic problems (and warnings) of a structurally valid configuration."""
    _check_names(config)
    _check_event_types(config)
    _check_alias_targets(config)
    _check_allow_lists(config)
    if any(problem.file.endswith("engagement_weights.csv") for problem in config.problems):
        return  # totals and reachable bands need weights that passed the structural checks
    weights = _weights_by_model(config)
    _check_totals(config, weights)
    _check_bands_reachable(config, weights)


# --- names ------------------------------------------------------------------------------------


def derived_names(signal) -> list[str]:
    """The working columns and CTEs the generator (scripts/engagement_generate.py) derives from a measure."""
    measure, params = signal.measure, signal.params
    names = [measure] + [f"{measure}__{suffix}" for suffix in (
        "event", "on", "value", "member", "member_day", "members", "member_days", "last_on", "in_period",
        "answers_so_far", "key")]
    names += [f"{prefix}__{measure}" for prefix in (
        "allowed", "latest", "items", "item_changes", "members", "member_changes")]
    for key in ("property", "key_property"):
        if key in params:
            # property__<property>, <event_type>__<property>__number / __on_scale, and __<n> when two
            # properties differ only in case
            names.append(f"property__{params[key].lower()}__99")
            if "event_type" in params:
                names.append(f"{params['event_type']}__{params[key].lower()}__99__on_scale")
    return names


def _check_names(config: Config) -> None:
    for model in config.models:
        for signal in model.measures:
            if signal.measure in RESERVED_MEASURE_NAMES:
                config.problems.append(Problem(
                    model.source, f"line {signal.line}", repr(signal.measure),
                    f"measure name of signal {signal.signal!r} is a column of the marts or working tables; "
                    f"choose another (reserved: {', '.join(sorted(RESERVED_MEASURE_NAMES))})"))
            elif "__" in signal.measure:
                # every working column the generator derives from a measure is <measure>__<suffix> or
                # <prefix>__<measure>: a measure without '__' can never be another measure's working column
                config.problems.append(Problem(
                    model.source, f"line {signal.line}", repr(signal.measure),
                    f"measure name of signal {signal.signal!r} holds '__', which the generated SQL uses for "
                    "the working columns it derives from measures (days_inactive__last_on, ...); use single "
                    "underscores"))
            longest = max(derived_names(signal), key=lambda name: len(name.encode()))
            if len(longest.encode()) > IDENTIFIER_BYTES:
                config.problems.append(Problem(
                    model.source, f"line {signal.line}", repr(signal.measure),
                    f"signal {signal.signal!r}: the generated column {longest!r} is {len(longest.encode())} "
                    f"bytes, over PostgreSQL's {IDENTIFIER_BYTES}; shorten the measure (or event type and "
                    "property) name"))


# --- event types ------------------------------------------------------------------------------


def _alias_rows(config: Config) -> list[tuple[int, dict, str, str]] | None:
    """(line, row, alias, target) of the alias seed, both normalized as staging normalizes them."""
    path = config.project_dir / "seeds" / "event_type_aliases.csv"
    if not path.exists():
        return None
    scratch = Config(project_dir=config.project_dir)  # its problems are check_aliases' to report
    rows = _read_seed(path, seed_columns(config.project_dir, "event_type_aliases"), scratch)
    if rows is None:
        return None
    return [(line, row, normalize_event_type(row["alias"]), normalize_event_type(row["event_type"]))
            for line, row in rows]


def _aliases(config: Config) -> tuple[set[str], dict[str, str]] | None:
    rows = _alias_rows(config)
    if rows is None:
        return None
    pairs = [(alias, target) for _, _, alias, target in rows]
    canonical = {target for _, target in pairs if target}
    aliases = {alias: target for alias, target in pairs if alias and alias != target}
    return canonical, aliases


def _check_event_types(config: Config) -> None:
    known = _aliases(config)
    if known is None:
        return
    canonical, aliases = known

    def check(model, where: str, subject: str, value: str, unseen: str, typo: str) -> None:
        """An alias is an error (staging renames it, so it never matches: `unseen`), a type neither
        canonical nor an alias a warning (`typo` says what a typo would do)."""
        if value in aliases and value not in canonical:
            config.problems.append(Problem(
                model.source, where, repr(value),
                f"{subject} {value!r} is an alias of {aliases[value]!r} in seeds/event_type_aliases.csv; the "
                f"staging model renames it, so {unseen}: declare {aliases[value]!r}"))
        elif value not in canonical:
            config.warnings.append(Problem(
                model.source, where, repr(value),
                f"{subject} {value!r} is no canonical event type in seeds/event_type_aliases.csv ({typo}); if it "
                f"is a new type, add the row {value},{value} to declare it"))

    for model in config.models:
        for signal in model.measures:
            for key in ("event_type", "close_event_type"):
                if signal.params.get(key) is not None:
                    check(model, f"line {signal.key_lines.get(key, signal.line)}", f"signal {signal.signal!r}: {key}",
                          signal.params[key], "the signal would never see it", "a typo scores 0 for everyone")
        # scope: event_types, the types that bring an entity into the model
        for value in model.scope:
            check(model, f"line {model.scope_line}", "scope: event_types", value,
                  "it would bring no entity into the model",
                  "a typo leaves the entities it should bring in out of the model")


def _check_alias_targets(config: Config) -> None:
    """An alias whose target no score model reads and no `type,type` row declares canonical is a
    warning: a typo in the target (`signin,logn`) moves those events out of every signal."""
    pairs = _alias_rows(config)
    if pairs is None:
        return
    declared_canonical = {target for _, _, alias, target in pairs if alias == target}
    read = {signal.params.get(key) for model in config.models for signal in model.measures
            for key in ("event_type", "close_event_type")}
    file = _relative(config.project_dir / "seeds" / "event_type_aliases.csv", config.project_dir)
    for line, row, alias, target in pairs:
        if alias and target and alias != target and target not in read and target not in declared_canonical:
            config.warnings.append(Problem(
                file, f"row {line}", f"event_type={row['event_type']!r}",
                f"the alias {row['alias']!r} maps to {target!r}, which no score model reads (a typo moves these "
                f"events out of every signal); if it is a type of its own, add the row {target},{target}"))


# --- allow-lists ------------------------------------------------------------------------------


def _check_allow_lists(config: Config) -> None:
    declared = {model.name for model in config.models}
    users: dict[str, list[tuple]] = {}
    for model in config.models:
        for signal in model.measures:
            if signal.params.get("allow_list"):
                users.setdefault(signal.params["allow_list"], []).append((model, signal))
    for seed, signals in sorted(users.items()):
        path = config.project_dir / "seeds" / f"{seed}.csv"
        file = _relative(path, config.project_dir)
        scratch = Config(project_dir=config.project_dir)  # shape problems are reported by engagement_config
        rows = _read_seed(path, ["score_model", signals[0][1].params["property"]], scratch)
        if rows is None:
            continue
        models_with_rows = set()
        for line, row in rows:
            model_name = row["score_model"]
            if model_name not in declared and model_name not in config.refused:
                config.problems.append(Problem(
                    file, f"row {line}", f"score_model={model_name!r}",
                    f"no such score model; declared: {', '.join(sorted(declared)) or 'none'}"))
            models_with_rows.add(model_name)
        for model, signal in signals:
            if model.name not in models_with_rows:
                what = "has no rows" if not rows else f"has no rows for score_model {model.name!r}"
                config.problems.append(Problem(
                    model.source, f"line {signal.line}", f"allow_list={seed!r}",
                    f"signal {signal.signal!r}: the allow-list {file} {what}, so the measure would be 0 for "
                    "every entity; add the values that count"))


# --- weights: totals and reachable bands ------------------------------------------------------


def _decimal(text: str) -> Decimal | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _weights_by_model(config: Config) -> dict[str, dict[str, list[tuple[int, dict]]]]:
    """score model -> signal -> [(row, numbers)], parseable rows only (engagement_config reports the rest)."""
    path = config.project_dir / "seeds" / "engagement_weights.csv"
    scratch = Config(project_dir=config.project_dir)
    rows = _read_seed(path, seed_columns(config.project_dir, "engagement_weights"), scratch) if path.exists() else None
    result: dict[str, dict[str, list[tuple[int, dict]]]] = {}
    for line, row in rows or []:
        if row["rule"] not in ("tier", "per_unit", "linear") or _decimal(row["points"]) is None:
            continue
        numbers = {column: _decimal(row[column]) for column in ("min_value", "max_value", "unit", "points", "cap")}
        numbers["rule"] = row["rule"]
        result.setdefault(row["score_model"], {}).setdefault(row["signal"], []).append((line, numbers))
    return result


def score_range(model, weights: dict[str, list[tuple[int, dict]]]) -> tuple[Decimal, Decimal]:
    """(lowest, highest) score the weights allow; the highest is fct_engagement_scores' max_score.

    A null measure or a value in no tier earns 0, so 0 is always possible for a signal. A positive
    per-unit rule earns at most its cap; a negative one at least its cap (no cap: no bound). A
    positive per-unit rule on a measure that can be negative has no lower bound either.
    """
    kinds = {signal.signal: signal.kind for signal in model.signals}
    lowest = highest = Decimal(0)
    for signal, rows in weights.items():
        if signal not in kinds:
            continue
        best = worst = Decimal(0)
        for _, numbers in rows:
            points, cap = numbers["points"], numbers["cap"]
            if numbers["rule"] == "tier":
                best, worst = max(best, points), min(worst, points)
            elif points > 0:
                best = max(best, cap if cap is not None else INFINITY)
                if kinds[signal] in SIGNED_KINDS:
                    worst = -INFINITY
            else:
                worst = min(worst, cap if cap is not None else -INFINITY)
                if kinds[signal] in SIGNED_KINDS:
                    best = INFINITY  # a negative measure times negative points: the cap bounds only below
        highest += best
        lowest += worst
    return lowest, highest


def _check_totals(config: Config, weights: dict) -> None:
    file = "seeds/engagement_weights.csv"
    for model in config.models:
        total = Decimal(0)
        rows_seen = []
        for signal, rows in weights.get(model.name, {}).items():
            largest = max((max(abs(numbers["points"]), abs(numbers["cap"] or 0)) for _, numbers in rows),
                          default=Decimal(0))
            total += largest
            rows_seen += [str(line) for line, _ in rows]
        if total >= TOTAL_POINTS_LIMIT:
            config.problems.append(Problem(
                file, f"rows {', '.join(sorted(rows_seen, key=int))}", f"score_model={model.name!r}, total {total}",
                f"the signals' largest points and caps add up to {total}, which does not fit the scores' type "
                f"decimal(18, 4) once summed and normalized; keep each model's total below {TOTAL_POINTS_LIMIT:,}"))


def _check_bands_reachable(config: Config, weights: dict) -> None:
    path = config.project_dir / "seeds" / "engagement_bands.csv"
    if not path.exists():
        return
    file = _relative(path, config.project_dir)
    scratch = Config(project_dir=config.project_dir)
    rows = _read_seed(path, seed_columns(config.project_dir, "engagement_bands"), scratch)
    models = {model.name: model for model in config.models}
    ranges = {name: score_range(model, weights.get(name, {})) for name, model in models.items()}
    for line, row in rows or []:
        if row["score_model"] not in ranges:
            continue
        lowest, highest = ranges[row["score_model"]]
        low, high = _decimal(row["min_score"]), _decimal(row["max_score"])
        if low is not None and low > highest:
            config.problems.append(Problem(
                file, f"row {line}", f"band={row['band']!r}, min_score={low}",
                f"no score can reach this band: the weights of {row['score_model']!r} allow at most {highest}"))
        elif high is not None and high <= lowest:
            config.problems.append(Problem(
                file, f"row {line}", f"band={row['band']!r}, max_score={high}",
                f"no score can reach this band: the weights of {row['score_model']!r} allow at least {lowest}"))
