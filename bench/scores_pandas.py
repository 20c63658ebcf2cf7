"""fct_engagement_scores with pandas: the same contract and rows as the dbt models, read from the same Parquet."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from scores_common import (
    NUMBER_PATTERN,
    PROPERTY_OF_TYPE,
    SCORE_MODEL,
    TIMESTAMP_PATTERN,
    event_type_map,
    fingerprints,
    json_property_texts,
    scoring_rules,
)

RAW_COLUMNS = ["event_id", "occurred_at", "user_id", "account_id", "event_type", "properties", "loaded_at"]


def blank_to_na(text: pd.Series) -> pd.Series:
    stripped = text.str.strip(" ")
    return stripped.mask(stripped == "")


def parse_timestamp(text: pd.Series) -> pd.Series:
    """UTC timestamp of ISO-8601 text, NaT when unparseable or impossible (macros/engagement_parse_timestamp_utc)."""
    parts = text.str.strip(" ").str.extract(TIMESTAMP_PATTERN)
    hours = pd.to_numeric(parts[5], errors="coerce").fillna(0)
    minutes = pd.to_numeric(parts[6], errors="coerce").fillna(0)
    sign = np.select([parts[4] == "+", parts[4] == "-"], [1, -1], 0)
    local = pd.to_datetime(parts[0] + " " + parts[1] + parts[2].fillna(":00"), format="ISO8601", errors="coerce")
    utc = local - pd.to_timedelta(sign * (hours * 60 + minutes), unit="min")
    return utc.where((hours <= 18) & (minutes <= 59))


def safe_number(text: pd.Series) -> pd.Series:
    trimmed = text.str.strip(" ")
    number = pd.to_numeric(trimmed, errors="coerce").astype("float64")
    return number.where(trimmed.str.fullmatch(NUMBER_PATTERN).fillna(False).astype(bool) & np.isfinite(number))


def clean_events(events_path: Path, seeds: dict) -> pd.DataFrame:
    raw = pd.read_parquet(events_path, columns=RAW_COLUMNS)

    type_map = event_type_map(raw["event_type"].dropna().unique().tolist(), seeds["aliases"])
    canonical_type = raw["event_type"].map(type_map)
    # each distinct properties text is parsed once; codes point every row at its text
    codes, distinct_properties = pd.factorize(raw["properties"], use_na_sentinel=False)
    usable, texts = json_property_texts([None if pd.isna(text) else text for text in distinct_properties])
    properties_ok = np.asarray(usable)[codes]
    property_text = pd.Series(None, index=raw.index, dtype="str")
    for event_type, name in PROPERTY_OF_TYPE.items():
        rows = (canonical_type == event_type).to_numpy()
        values = np.asarray(texts[name], dtype=object)[codes[rows]]
        property_text[rows] = pd.array(values, dtype="str")

    events = pd.DataFrame({
        "event_id": blank_to_na(raw["event_id"]),
        "user_id": blank_to_na(raw["user_id"]),
        "account_id": blank_to_na(raw["account_id"]),
        "event_type": canonical_type,
        "occurred_at": parse_timestamp(raw["occurred_at"]),
        "loaded_at": parse_timestamp(raw["loaded_at"]),
    })
    is_feature = (canonical_type == "feature_used").to_numpy()
    is_session = (canonical_type == "session_end").to_numpy()
    is_nps = (canonical_type == "nps_response").to_numpy()
    is_ticket = canonical_type.isin(["ticket_opened", "ticket_resolved"]).to_numpy()
    events["feature"] = blank_to_na(property_text.str.lower()).where(is_feature)
    number = safe_number(property_text.where(is_session | is_nps))
    events["duration_seconds"] = number.where(is_session)
    events["nps_number"] = number.where(is_nps)
    events["ticket_id"] = blank_to_na(property_text).where(is_ticket)

    valid = (
        events["event_id"].notna()
        & events["user_id"].notna()
        & events["event_type"].notna()
        & events["occurred_at"].notna()
        & (events["occurred_at"] >= pd.Timestamp("2000-01-01"))
        & ~(events["occurred_at"] > events["loaded_at"] + pd.Timedelta(days=1))
        & properties_ok
        & (~is_feature | events["feature"].notna())
        & (~is_session | (events["duration_seconds"] >= 0))
        & (~is_nps | (events["nps_number"].between(0, 10) & (events["nps_number"] == np.floor(events["nps_number"]))))
        & (~is_ticket | events["ticket_id"].notna())
    )
    events = events[valid.to_numpy()]

    # One copy per event_id: the latest loaded_at (nulls last), ties broken by the raw row's md5.
    repeated = events["event_id"].duplicated(keep=False).to_numpy()
    copies = events[repeated].copy()
    copies["row_fingerprint"] = fingerprints(
        raw.loc[copies.index, RAW_COLUMNS].astype(object).where(raw.loc[copies.index, RAW_COLUMNS].notna(), None)
        .itertuples(index=False, name=None)
    )
    copies = (
        copies.sort_values(["event_id", "loaded_at", "row_fingerprint"], ascending=[True, False, True], na_position="last")
        .drop_duplicates("event_id", keep="first")
        .drop(columns="row_fingerprint")
    )
    events = pd.concat([events[~repeated], copies])
    events["nps_score"] = events["nps_number"].astype("Int32")
    events["occurred_on"] = events["occurred_at"].dt.normalize()
    return events.drop(columns=["nps_number", "loaded_at"]).rename(columns={"user_id": "entity_id"})


def month_index(dates: pd.Series) -> pd.Series:
    return dates.dt.year * 12 + dates.dt.month - 1


def month_start(index: pd.Series) -> pd.Series:
    return pd.to_datetime(pd.DataFrame({"year": index // 12, "month": index % 12 + 1, "day": 1}))


def compute(events_path: Path, seeds_dir: Path) -> pd.DataFrame:
    seeds = scoring_rules(seeds_dir)
    events = clean_events(events_path, seeds)
    events["month"] = month_index(events["occurred_on"])
    as_of = events["occurred_on"].max()
    keys = ["entity_id", "month"]

    logins = events[events["event_type"] == "login"].groupby(keys)["occurred_on"].nunique().rename("login_days")
    adopted = events[events["feature"].isin(seeds["key_features"]).to_numpy() & (events["event_type"] == "feature_used")]
    features = adopted.groupby(keys)["feature"].nunique().rename("features_adopted")
    sessions = events[events["event_type"] == "session_end"].groupby(keys)["duration_seconds"].agg(["sum", "count"])
    session_minutes = (sessions["sum"] / (60.0 * sessions["count"])).rename("avg_session_minutes")
    last_event = events.groupby(keys)["occurred_on"].max().rename("last_event_on")
    latest = ["occurred_at", "event_id"]
    nps = (
        events[events["event_type"] == "nps_response"].sort_values(latest)
        .groupby(keys)["nps_score"].last().rename("month_latest_nps")
    )
    accounts = (
        events[events["account_id"].notna()].sort_values(latest).groupby("entity_id")["account_id"].last()
    )
    tickets = (
        events[events["event_type"].isin(["ticket_opened", "ticket_resolved"])]
        .assign(
            opened_on=lambda df: df["occurred_on"].where(df["event_type"] == "ticket_opened"),
            resolved_on=lambda df: df["occurred_on"].where(df["event_type"] == "ticket_resolved"),
        )
        .groupby(["entity_id", "ticket_id"])[["opened_on", "resolved_on"]].min()
        .reset_index()
    )
    tickets = tickets[tickets["opened_on"].notna()]
    opened = tickets[tickets["resolved_on"].isna() | (tickets["resolved_on"] > tickets["opened_on"])]
    resolved = tickets[tickets["resolved_on"] > tickets["opened_on"]]
    ticket_changes = (
        pd.concat([
            pd.DataFrame({"entity_id": opened["entity_id"], "month": month_index(opened["opened_on"]), "open_change": 1}),
            pd.DataFrame({"entity_id": resolved["entity_id"], "month": month_index(resolved["resolved_on"]),
                          "open_change": -1}),
        ])
        .groupby(keys)["open_change"].sum()
    )

    as_of_month = as_of.year * 12 + as_of.month - 1
    first_month = events.groupby("entity_id")["month"].min()
    months = (as_of_month - first_month + 1).to_numpy()
    spine = pd.DataFrame({"entity_id": np.repeat(first_month.index.to_numpy(), months)})
    spine["month"] = np.repeat(first_month.to_numpy(), months) + spine.groupby("entity_id").cumcount().to_numpy()
    measured = (
        spine.set_index(keys)
        .join([logins, features, session_minutes, last_event, nps, ticket_changes])
        .reset_index()
        .sort_values(keys)
    )
    by_entity = measured.groupby("entity_id", sort=False)
    measured["period_start"] = month_start(measured["month"])
    measured["period_end"] = measured["period_start"] + pd.offsets.MonthEnd(0)
    measured["as_of_date"] = as_of
    measured["account_id"] = measured["entity_id"].map(accounts)
    measured["login_days"] = measured["login_days"].fillna(0)
    measured["features_adopted"] = measured["features_adopted"].fillna(0)
    measured["avg_session_minutes"] = measured["avg_session_minutes"].fillna(0.0)
    last_event_on = by_entity["last_event_on"].ffill()  # the spine starts at the first active month
    measured["days_inactive"] = (np.minimum(measured["period_end"], as_of) - last_event_on).dt.days
    measured["latest_nps"] = by_entity["month_latest_nps"].ffill()
    measured["open_tickets"] = measured["open_change"].fillna(0).groupby(measured["entity_id"], sort=False).cumsum()

    score = np.zeros(len(measured))
    for rule in seeds["rules"]:
        value = measured[rule["measure"]].astype("float64").to_numpy()
        if rule["rule"] == "tier":
            inside = np.ones(len(value), dtype=bool)
            if rule["min_value"] is not None:
                inside &= value >= rule["min_value"]
            if rule["max_value"] is not None:
                inside &= value < rule["max_value"]
            points = np.where(inside, rule["points"], 0.0)
        elif rule["rule"] == "per_unit":
            points = np.floor(value / rule["unit"]) * rule["points"]
            if rule["cap"] is not None:
                points = np.minimum(points, rule["cap"]) if rule["points"] >= 0 else np.maximum(points, rule["cap"])
        else:
            points = np.zeros(len(value))
        score += np.where(np.isnan(value), 0.0, points)

    max_score = seeds["max_score"]
    band = np.full(len(score), None, dtype=object)
    for row in reversed(seeds["bands"]):
        inside = np.ones(len(score), dtype=bool)
        if row["min_score"] is not None:
            inside &= score >= row["min_score"]
        if row["max_score"] is not None:
            inside &= score < row["max_score"]
        band = np.where(inside, row["band"], band)
    normalized = np.round(100 * np.clip(score, 0, max_score) / max_score, 2) if max_score > 0 else np.zeros(len(score))
    return pd.DataFrame({
        "score_model": SCORE_MODEL,
        "entity_type": seeds["entity_type"],
        "entity_id": measured["entity_id"].to_numpy(),
        "account_id": measured["account_id"].to_numpy(),
        "period_start": measured["period_start"].dt.date.to_numpy(),
        "period_end": measured["period_end"].dt.date.to_numpy(),
        "as_of_date": as_of.date(),
        "score": score,
        "max_score": float(max_score),
        "normalized_score": normalized,
        "band": band,
    })
