"""A second, independent implementation of the scoring contract, in plain Python, for differential tests.

Written from the contract text only: README.md ("The input contract", "Nothing is lost", "The default
score model") and the seed documentation in seeds/_seeds.yml. It shares no code with the SQL models
and does not read them; where the contract is silent it makes its own choice, said in a comment. It
reads the same seed CSVs, so the scores are seed-driven here too.

Arithmetic is exact (integers for instants, Fraction for measures and points), so a rounding slip in
the SQL shows up as a difference instead of being copied.

Where the contract leaves the outcome open (two NPS answers or two accounts at the very same instant),
`Ambiguous` is raised: a test can then skip that input rather than guess. Which copy of a duplicate
event is kept when copies tie on loaded_at is also open ("ties broken by the row's content"); the
caller may pass `choose_copy` to adopt another implementation's pick, and the choice is still checked
to be one of the tied latest copies.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path
from typing import Callable, Iterable, Sequence

import yaml

RAW_COLUMNS = ("event_id", "occurred_at", "user_id", "account_id", "event_type", "properties", "loaded_at")
MEASURES = ("login_days", "features_adopted", "avg_session_minutes", "days_inactive", "latest_nps", "open_tickets")

# "Trimmed" here means ASCII whitespace (space, tab, line feed, carriage return, vertical tab, form
# feed) at either end: a tab-only id is as blank as a space-only one. Other characters (a no-break
# space, an emoji) are content.
ASCII_WHITESPACE = " \t\n\r\x0b\x0c"

MICROS_PER_SECOND = 1_000_000
MICROS_PER_DAY = 86_400 * MICROS_PER_SECOND


class Ambiguous(Exception):
    """The contract does not decide this input's outcome."""


class ContractViolation(Exception):
    """An outcome supplied from outside (choose_copy) breaks the contract."""


def strip(text: str | None) -> str | None:
    return None if text is None else text.strip(ASCII_WHITESPACE)


def blank_to_none(text: str | None) -> str | None:
    text = strip(text)
    return text or None


# ---------------------------------------------------------------------------------------------
# Calendar arithmetic on day numbers (days since 1970-01-01, proleptic Gregorian, any year >= 0),
# done by hand so that year 0000 and the far future behave like any other date.


def is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def days_in_month(year: int, month: int) -> int:
    return [31, 29 if is_leap(year) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]


def day_number(year: int, month: int, day: int) -> int:
    """Days from 1970-01-01 to the date (negative before it)."""
    # Count from 0000-03-01 so that the leap day is the last day of a counted year.
    shifted_year = year - 1 if month <= 2 else year
    shifted_month = month + 9 if month <= 2 else month - 3  # March = 0 ... February = 11
    days_before_year = 365 * shifted_year + shifted_year // 4 - shifted_year // 100 + shifted_year // 400
    days_before_month = (153 * shifted_month + 2) // 5
    days_since_0000_03_01 = days_before_year + days_before_month + day - 1
    return days_since_0000_03_01 - 719_468  # 1970-01-01 is day 719468 counted from 0000-03-01


def date_of(number: int) -> tuple[int, int, int]:
    """The (year, month, day) of a day number; the inverse of day_number, found by search."""
    year = 1970 + number // 366
    while day_number(year + 1, 1, 1) <= number:
        year += 1
    while day_number(year, 1, 1) > number:
        year -= 1
    month = 1
    while month < 12 and day_number(year, month + 1, 1) <= number:
        month += 1
    return year, month, number - day_number(year, month, 1) + 1


def iso_date(number: int) -> str:
    year, month, day = date_of(number)
    return f"{year:04d}-{month:02d}-{day:02d}"


def parse_date(text: str) -> int:
    """A YYYY-MM-DD date (vars and seeds) as a day number."""
    year, month, day = (int(part) for part in text.split("-"))
    if not (1 <= month <= 12 and 1 <= day <= days_in_month(year, month)):
        raise ValueError(f"not a date: {text!r}")
    return day_number(year, month, day)


def month_start(number: int) -> int:
    year, month, _ = date_of(number)
    return day_number(year, month, 1)


def month_end(number: int) -> int:
    year, month, _ = date_of(number)
    return day_number(year, month, days_in_month(year, month))


def next_month(number: int) -> int:
    return month_end(number) + 1


# ---------------------------------------------------------------------------------------------
# Timestamps: ISO-8601 date, T or space (either case), hours and minutes, optional seconds and a
# fraction of up to nanoseconds (kept to the microsecond, the rest dropped: 23:59:59.9999999 is still
# that day; no clock writes finer), then Z, +hh:mm, +hhmm, +hh, or nothing (= UTC). Clock values must exist: hour 00-23
# (no 24:00), second 00-59 (no leap second), and offsets are at most 18:00 either way (+18:00 yes, +18:01 no).

_TIMESTAMP = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})[Tt ]"
    r"(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d{1,9}))?)?"
    r"(?:[Zz]|(?P<sign>[+-])(?P<offset_hours>\d{2})(?::?(?P<offset_minutes>\d{2}))?)?",
    re.ASCII,
)


def parse_timestamp(text: str | None) -> int | None:
    """Microseconds since 1970-01-01T00:00:00Z, or None when unparseable or impossible."""
    text = strip(text)
    if not text:
        return None
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        return None
    year, month, day = int(match["year"]), int(match["month"]), int(match["day"])
    if year == 0:  # no year 0 in the Gregorian calendar the engines use (PostgreSQL refuses it)
        return None
    hour, minute = int(match["hour"]), int(match["minute"])
    second = int(match["second"] or 0)
    if not (1 <= month <= 12 and 1 <= day <= days_in_month(year, month)):
        return None
    if not (hour <= 23 and minute <= 59 and second <= 59):
        return None
    micros = int((match["fraction"] or "").ljust(6, "0")[:6])
    offset_minutes = 0
    if match["sign"]:
        offset_hours, offset_mins = int(match["offset_hours"]), int(match["offset_minutes"] or 0)
        if offset_mins > 59 or offset_hours * 60 + offset_mins > 18 * 60:
            return None
        offset_minutes = (offset_hours * 60 + offset_mins) * (1 if match["sign"] == "+" else -1)
    local_seconds = ((day_number(year, month, day) * 24 + hour) * 60 + minute) * 60 + second
    return (local_seconds - offset_minutes * 60) * MICROS_PER_SECOND + micros


def day_of(instant: int) -> int:
    return instant // MICROS_PER_DAY


# ---------------------------------------------------------------------------------------------
# Event types, properties and numbers.

_TYPE_SEPARATORS = re.compile(r"[ \t\n\r\x0b\x0c.\-]+")


def normalize_event_type(text: str | None) -> str | None:
    """Trimmed, lowercased, runs of spaces/hyphens/dots to one '_', edge '_' dropped; None if empty."""
    if text is None:
        return None
    normalized = _TYPE_SEPARATORS.sub("_", strip(text).lower()).strip("_")
    return normalized or None


class _JsonNumber(str):
    """A JSON number, kept as its source text."""


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def parse_properties(text: str | None) -> dict | None:
    """The properties as a dict ({} when null or blank), or None when not a JSON object.

    Strict JSON (RFC 8259): no NaN or Infinity literals, no trailing commas, no comments.
    """
    if text is None or strip(text) == "":
        return {}
    try:
        value = json.loads(text, parse_int=_JsonNumber, parse_float=_JsonNumber, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def scalar_text(properties: dict, name: str) -> str | None:
    """A property that is a string or a number, as text; None when missing, null, boolean, object or array."""
    value = properties.get(name)
    if isinstance(value, str):  # _JsonNumber is a str too, holding the number's own text
        return str(value)
    return None


_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", re.ASCII)


def to_number(text: str | None) -> Decimal | None:
    """Text holding a finite decimal number (that a double can hold) as an exact Decimal; else None."""
    text = strip(text)
    if text is None or not _NUMBER.fullmatch(text):
        return None
    number = Decimal(text)
    # Rounded to the nearest double, a number past the largest double is infinite: not a number.
    if math.isinf(float(number)):
        return None
    return number


# ---------------------------------------------------------------------------------------------
# Seeds.


def _seed(seeds_dir: Path, name: str) -> list[dict]:
    with (seeds_dir / f"{name}.csv").open(newline="", encoding="utf-8") as handle:
        return [{key: (value if value != "" else None) for key, value in row.items()} for row in csv.DictReader(handle)]


def _decimal(text: str | None) -> Fraction | None:
    return None if text is None else Fraction(Decimal(text))


@dataclass
class Config:
    """The score model's slice of the seeds, and the vars."""

    score_model: str
    entity_type: str | None
    aliases: dict[str, str]
    canonical_types: set[str]
    key_features: set[str]
    signals: list[tuple[str, str]]  # (signal, measure), in seed order
    weights: dict[str, list[dict]]
    bands: list[dict]
    earliest_event_day: int
    max_days_after_loaded_at: int

    @classmethod
    def from_seeds(cls, seeds_dir: Path, score_model: str = "saas_customer",
                   earliest_event_date: str = "2000-01-01", max_days_after_loaded_at: int = 1) -> "Config":
        aliases = {}
        for row in _seed(seeds_dir, "event_type_aliases"):
            aliases[normalize_event_type(row["alias"])] = normalize_event_type(row["event_type"])
        # the score model's declaration (entity, signals) sits beside the seeds, in score_models/
        declaration = yaml.safe_load((seeds_dir.parent / "score_models" / f"{score_model}.yml").read_text())
        weights = defaultdict(list)
        for row in _seed(seeds_dir, "engagement_weights"):
            if row["score_model"] == score_model:
                weights[row["signal"]].append({
                    "rule": row["rule"],
                    "min_value": _decimal(row["min_value"]),
                    "max_value": _decimal(row["max_value"]),
                    "unit": _decimal(row["unit"]),
                    "points": _decimal(row["points"]),
                    "cap": _decimal(row["cap"]),
                })
        return cls(
            score_model=score_model,
            entity_type=declaration["entity"],
            aliases=aliases,
            canonical_types=set(aliases.values()),
            key_features={strip(row["feature"]).lower() for row in _seed(seeds_dir, "key_features")
                          if row["score_model"] == score_model},
            signals=[(item["signal"], item.get("measure", item["signal"])) for item in declaration["signals"]],
            weights=dict(weights),
            bands=[{"band": row["band"], "min_score": _decimal(row["min_score"]), "max_score": _decimal(row["max_score"])}
                   for row in _seed(seeds_dir, "engagement_bands") if row["score_model"] == score_model],
            earliest_event_day=parse_date(earliest_event_date),
            max_days_after_loaded_at=max_days_after_loaded_at,
        )


# ---------------------------------------------------------------------------------------------
# Rows: validation, reject reasons, duplicates.


@dataclass
class Event:
    """A raw row, parsed; reject_reason is None for a clean event."""

    raw: tuple
    event_id: str | None
    user_id: str | None
    account_id: str | None
    event_type: str | None
    is_known_event_type: bool
    occurred_at: int | None
    loaded_at: int | None
    feature: str | None = None
    duration_seconds: Decimal | None = None
    nps_score: int | None = None
    ticket_id: str | None = None
    reject_reason: str | None = None

    @property
    def occurred_on(self) -> int:
        return day_of(self.occurred_at)


def raw_key(raw: Sequence[str | None]) -> tuple:
    """A raw row with null and empty text made equal (the contract treats them alike)."""
    return tuple("" if value is None else value for value in raw)


def parse_row(raw: Sequence[str | None], config: Config) -> Event:
    raw = tuple(raw)
    values = dict(zip(RAW_COLUMNS, raw))
    normalized_type = normalize_event_type(values["event_type"])
    event_type = config.aliases.get(normalized_type, normalized_type) if normalized_type else None
    event = Event(
        raw=raw,
        event_id=blank_to_none(values["event_id"]),
        user_id=blank_to_none(values["user_id"]),
        account_id=blank_to_none(values["account_id"]),
        event_type=event_type,
        is_known_event_type=event_type in config.canonical_types,
        occurred_at=parse_timestamp(values["occurred_at"]),
        loaded_at=parse_timestamp(values["loaded_at"]),
    )
    properties = parse_properties(values["properties"])
    properties_ok = properties is not None
    if properties_ok and event_type == "feature_used":
        feature = blank_to_none(scalar_text(properties, "feature"))
        event.feature = feature.lower() if feature else None
        properties_ok = event.feature is not None
    elif properties_ok and event_type == "session_end":
        event.duration_seconds = to_number(scalar_text(properties, "duration_seconds"))
        properties_ok = event.duration_seconds is not None and event.duration_seconds >= 0
    elif properties_ok and event_type == "nps_response":
        score = to_number(scalar_text(properties, "score"))
        properties_ok = score is not None and score == score.to_integral_value() and 0 <= score <= 10
        event.nps_score = int(score) if properties_ok else None
    elif properties_ok and event_type in ("ticket_opened", "ticket_resolved"):
        event.ticket_id = blank_to_none(scalar_text(properties, "ticket_id"))
        properties_ok = event.ticket_id is not None

    # First match wins, in the contract's order.
    if event.event_id is None:
        event.reject_reason = "missing_event_id"
    elif event.user_id is None:
        event.reject_reason = "missing_user_id"
    elif event.event_type is None:
        event.reject_reason = "missing_event_type"
    elif event.occurred_at is None:
        event.reject_reason = "invalid_timestamp"
    elif event.occurred_at < config.earliest_event_day * MICROS_PER_DAY or (
        # An unparseable loaded_at gives no upper bound (the contract measures from the row's own
        # loaded_at, and there is none to measure from).
        event.loaded_at is not None
        and event.occurred_at > event.loaded_at + config.max_days_after_loaded_at * MICROS_PER_DAY
    ):
        event.reject_reason = "out_of_range_timestamp"
    elif not properties_ok:
        event.reject_reason = "invalid_properties"
    return event


ChooseCopy = Callable[[str, list[Event]], Event]


def classify(raw_rows: Iterable[Sequence[str | None]], config: Config,
             choose_copy: ChooseCopy | None = None) -> list[Event]:
    """Every raw row parsed, with its final reject reason (duplicate_event_id among rows otherwise valid)."""
    events = [parse_row(raw, config) for raw in raw_rows]
    copies = defaultdict(list)
    for event in events:
        if event.reject_reason is None:
            copies[event.event_id].append(event)
    for event_id, group in copies.items():
        if len(group) == 1:
            continue
        # The latest loaded_at wins; an unparseable loaded_at is older than any.
        latest = max(-1 if event.loaded_at is None else event.loaded_at for event in group)
        candidates = [event for event in group if (-1 if event.loaded_at is None else event.loaded_at) == latest]
        if len({raw_key(event.raw) for event in candidates}) == 1:
            kept = candidates[0]  # identical copies: which one is kept changes nothing
        elif choose_copy is None:
            kept = min(candidates, key=lambda event: raw_key(event.raw))  # this implementation's own content order
        else:
            kept = choose_copy(event_id, candidates)
            if not any(kept is candidate for candidate in candidates):
                raise ContractViolation(f"event {event_id!r}: the copy kept is not one with the latest loaded_at")
        for event in group:
            if event is not kept:
                event.reject_reason = "duplicate_event_id"
    return events


# ---------------------------------------------------------------------------------------------
# Measures, points, scores.


@dataclass
class ScoreRow:
    entity_id: str
    account_id: str | None
    period_start: str
    period_end: str
    as_of_date: str
    measures: dict[str, Fraction | None]
    points: dict[str, Fraction] = field(default_factory=dict)
    score: Fraction = Fraction(0)
    max_score: Fraction = Fraction(0)
    normalized_score: Decimal = Decimal("0.00")
    band: str | None = None


def _signal_points(value: Fraction | None, rows: list[dict]) -> Fraction:
    if value is None:
        return Fraction(0)
    total = Fraction(0)
    for row in rows:
        if row["rule"] == "tier":
            above_min = row["min_value"] is None or value >= row["min_value"]
            below_max = row["max_value"] is None or value < row["max_value"]
            if above_min and below_max:
                total += row["points"]
        elif row["rule"] == "per_unit":
            earned = (value // row["unit"]) * row["points"]
            if row["cap"] is not None:
                earned = min(earned, row["cap"]) if row["points"] >= 0 else max(earned, row["cap"])
            total += earned
    return total


def max_score(config: Config) -> Fraction:
    total = Fraction(0)
    for signal, _ in config.signals:
        best = Fraction(0)  # a value in no tier, or no units, earns 0
        for row in config.weights.get(signal, []):
            if row["rule"] == "tier":
                best = max(best, row["points"])
            elif row["rule"] == "per_unit" and row["points"] > 0 and row["cap"] is not None:
                best = max(best, row["cap"])
        total += best
    return total


def _latest(events: list[Event], value: Callable[[Event], object], what: str):
    """The value of the event with the latest occurred_at; Ambiguous when tied events disagree."""
    if not events:
        return None
    latest = max(event.occurred_at for event in events)
    values = {value(event) for event in events if event.occurred_at == latest}
    if len(values) > 1:
        raise Ambiguous(f"{what}: {sorted(map(str, values))} at the same instant")
    return values.pop()


SCOPE = {"login", "feature_used", "session_end", "nps_response", "ticket_opened", "ticket_resolved"}


def score(events: list[Event], config: Config, as_of_date: str | None) -> list[ScoreRow]:
    """Every entity-month from the entity's first clean event month through the as_of month."""
    clean = [event for event in events if event.reject_reason is None]
    if as_of_date is None:
        if not clean:
            return []
        as_of = max(event.occurred_on for event in clean)
    else:
        as_of = parse_date(as_of_date)
    by_user = defaultdict(list)
    for event in clean:
        if event.occurred_on <= as_of:  # events after as_of are ignored
            by_user[event.user_id].append(event)

    best_score = max_score(config)
    rows = []
    for user_id, user_events in sorted(by_user.items()):
        # a user enters the model with a first product event (the declaration's scope); from then
        # on every event counts, and the months start at the user's first event of any type
        if not any(event.event_type in SCOPE for event in user_events):
            continue
        account_id = _latest([event for event in user_events if event.account_id is not None],
                             lambda event: event.account_id, f"{user_id} account")
        period = month_start(min(event.occurred_on for event in user_events))
        while period <= as_of:
            effective_end = min(month_end(period), as_of)
            so_far = [event for event in user_events if event.occurred_on <= effective_end]
            in_month = [event for event in so_far if event.occurred_on >= period]
            sessions = [event.duration_seconds for event in in_month if event.event_type == "session_end"]
            tickets = defaultdict(lambda: {"opened": False, "resolved": False})
            for event in so_far:
                if event.event_type == "ticket_opened":
                    tickets[event.ticket_id]["opened"] = True
                elif event.event_type == "ticket_resolved":
                    tickets[event.ticket_id]["resolved"] = True
            latest_nps = _latest([event for event in so_far if event.event_type == "nps_response"],
                                 lambda event: event.nps_score, f"{user_id} NPS")
            measures = {
                "login_days": Fraction(len({event.occurred_on for event in in_month if event.event_type == "login"})),
                "features_adopted": Fraction(len({event.feature for event in in_month
                                                  if event.event_type == "feature_used"
                                                  and event.feature in config.key_features})),
                "avg_session_minutes": Fraction(sum(sessions)) / (60 * len(sessions)) if sessions else Fraction(0),
                "days_inactive": Fraction(effective_end - max(event.occurred_on for event in so_far)),
                "latest_nps": None if latest_nps is None else Fraction(latest_nps),
                "open_tickets": Fraction(sum(1 for ticket in tickets.values() if ticket["opened"] and not ticket["resolved"])),
            }
            row = ScoreRow(
                entity_id=user_id,
                account_id=account_id,
                period_start=iso_date(period),
                period_end=iso_date(month_end(period)),
                as_of_date=iso_date(as_of),
                measures=measures,
                max_score=best_score,
            )
            for signal, measure in config.signals:
                row.points[signal] = _signal_points(measures.get(measure), config.weights.get(signal, []))
            row.score = sum(row.points.values(), Fraction(0))
            if best_score > 0:
                clamped = min(max(row.score, Fraction(0)), best_score)
                exact = 100 * clamped / best_score
                row.normalized_score = (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
                    Decimal("0.01"), rounding=ROUND_HALF_UP)
            bands = [band["band"] for band in config.bands
                     if (band["min_score"] is None or row.score >= band["min_score"])
                     and (band["max_score"] is None or row.score < band["max_score"])]
            row.band = bands[0] if len(bands) == 1 else None
            rows.append(row)
            period = next_month(period)
    return rows
