"""What the pandas and polars contenders share: the input contract's constants and the JSON rules.

Neither library parses JSON text column-wise with the contract's rules (an object, and a property
that is a JSON string or number), so both parse each distinct properties text once with Python's
json module and join the result back: properties repeat a lot ({}, {"feature": "reports"}, ...).
The md5 row fingerprint only breaks ties between copies of an event_id, so both compute it for the
rows whose event_id occurs more than once.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import re
from pathlib import Path

# the timestamp pattern of macros/engagement_parse_timestamp_utc.sql, in Python/Rust regex syntax
TIMESTAMP_PATTERN = (
    r"^([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt ]([0-9]{2}:[0-9]{2})(:[0-9]{2}(\.[0-9]{1,9})?)?"
    r"(?:[Zz]|([+-])([0-9]{2}):?([0-9]{2}))?$"
)
NUMBER_PATTERN = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"
# DuckDB's [[:space:]] is ASCII whitespace; its trim() strips spaces only
TYPE_SEPARATORS = r"[ \t\n\v\f\r.-]+"
PROPERTY_OF_TYPE = {
    "feature_used": "feature",
    "session_end": "duration_seconds",
    "nps_response": "score",
    "ticket_opened": "ticket_id",
    "ticket_resolved": "ticket_id",
}
SCORE_MODEL = "saas_customer"


def json_property_texts(texts) -> tuple[list[bool], dict[str, list]]:
    """For each properties text: is it usable (blank or a JSON object), and the text of each contract property.

    A property's text is that of a JSON string or number (as DuckDB's json_extract_string writes it), else None.
    """
    usable, columns = [], {name: [] for name in set(PROPERTY_OF_TYPE.values())}
    for text in texts:
        value = {} if text is None or text.strip(" ") == "" else _json_object(text)
        usable.append(value is not None)
        for name, column in columns.items():
            column.append(_scalar_text(value.get(name)) if value else None)
    return usable, columns


def _json_object(text: str):
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _reject_constant(name: str):
    raise ValueError(f"not JSON: {name}")  # NaN and Infinity are not JSON


def _scalar_text(value) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    return None


def event_type_map(raw_types, aliases: dict) -> dict:
    """Canonical event type of each distinct raw spelling (None when blank), as stg_product__events maps it."""
    normalized_aliases = {_normalize(alias): _normalize(event_type) for alias, event_type in aliases.items()}
    mapping = {}
    for raw in raw_types:
        normalized = _normalize(raw) or None
        mapping[raw] = normalized_aliases.get(normalized, normalized) if normalized else None
    return mapping


def _normalize(text: str | None) -> str | None:
    if text is None:
        return None
    return re.sub(r"^_+|_+$", "", re.sub(TYPE_SEPARATORS, "_", text.strip(" ").lower()))


def fingerprints(rows) -> list[str]:
    """md5 of the raw row as stg_product__events builds it: every column or '<null>', joined by '|'."""
    return [
        hashlib.md5("|".join("<null>" if value is None else value for value in row).encode()).hexdigest()
        for row in rows
    ]


def read_seed(seeds_dir: Path, name: str) -> list[dict]:
    with (seeds_dir / f"{name}.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def number_or_none(text: str) -> float | None:
    return float(text) if text not in (None, "") else None


def scoring_rules(seeds_dir: Path) -> dict:
    """The seeds of the score model: signals (measure -> weight rows), max score, bands, aliases, key features."""
    signals = [row for row in read_seed(seeds_dir, "engagement_signals") if row["score_model"] == SCORE_MODEL]
    weights = [row for row in read_seed(seeds_dir, "engagement_weights") if row["score_model"] == SCORE_MODEL]
    rules = []
    for signal in signals:
        for weight in weights:
            if weight["signal"] == signal["signal"]:
                rules.append({
                    "measure": signal["measure"],
                    "rule": weight["rule"],
                    "min_value": number_or_none(weight["min_value"]),
                    "max_value": number_or_none(weight["max_value"]),
                    "unit": number_or_none(weight["unit"]),
                    "points": float(weight["points"]),
                    "cap": number_or_none(weight["cap"]),
                })
    max_score = 0.0
    for signal in signals:
        best = [
            float(w["points"]) if w["rule"] == "tier" else number_or_none(w["cap"])
            for w in weights
            if w["signal"] == signal["signal"] and (w["rule"] == "tier" or (w["rule"] == "per_unit" and float(w["points"]) > 0))
        ]
        best = [value for value in best if value is not None]
        max_score += max(max(best, default=0.0), 0.0)
    bands = [
        {"band": row["band"], "min_score": number_or_none(row["min_score"]), "max_score": number_or_none(row["max_score"])}
        for row in read_seed(seeds_dir, "engagement_bands") if row["score_model"] == SCORE_MODEL
    ]
    entity_type = next(row["entity_type"] for row in read_seed(seeds_dir, "score_models")
                       if row["score_model"] == SCORE_MODEL)
    aliases = {row["alias"]: row["event_type"] for row in read_seed(seeds_dir, "event_type_aliases")}
    key_features = sorted({row["feature"].strip(" ").lower() for row in read_seed(seeds_dir, "key_features")
                           if row["score_model"] == SCORE_MODEL})
    return {"rules": rules, "max_score": max_score, "bands": bands, "entity_type": entity_type,
            "aliases": aliases, "key_features": key_features}
