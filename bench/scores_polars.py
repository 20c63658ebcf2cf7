"""fct_engagement_scores with polars: the same contract and rows as the dbt models, read from the same Parquet."""

from __future__ import annotations

from pathlib import Path

import polars as pl

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


def parse_timestamp(column: str) -> pl.Expr:
    """UTC timestamp of ISO-8601 text, null when unparseable or impossible (macros/engagement_parse_timestamp_utc)."""
    parts = pl.col(column).str.strip_chars(" ").str.extract_groups(TIMESTAMP_PATTERN)
    hours = parts.struct.field("6").cast(pl.Int32, strict=False).fill_null(0)
    minutes = parts.struct.field("7").cast(pl.Int32, strict=False).fill_null(0)
    sign = pl.when(parts.struct.field("5") == "+").then(1).when(parts.struct.field("5") == "-").then(-1).otherwise(0)
    local = pl.concat_str(
        [parts.struct.field("1"), pl.lit(" "), parts.struct.field("2"), parts.struct.field("3").fill_null(":00")]
    ).str.to_datetime("%Y-%m-%d %H:%M:%S%.f", strict=False, time_unit="us")
    return (
        pl.when((hours <= 18) & (minutes <= 59))
        .then(local - pl.duration(minutes=sign * (hours * 60 + minutes)))
        .otherwise(None)
    )


def safe_number(text: pl.Expr) -> pl.Expr:
    trimmed = text.str.strip_chars(" ")
    number = trimmed.cast(pl.Float64, strict=False)
    return pl.when(trimmed.str.contains(NUMBER_PATTERN) & number.is_finite()).then(number).otherwise(None)


def clean_events(events_path: Path, seeds: dict) -> pl.DataFrame:
    raw = pl.read_parquet(events_path, columns=RAW_COLUMNS)

    type_map = event_type_map(raw.get_column("event_type").unique().to_list(), seeds["aliases"])
    types = pl.DataFrame({"event_type": list(type_map), "canonical_type": list(type_map.values())},
                         schema={"event_type": pl.String, "canonical_type": pl.String})
    distinct_properties = raw.get_column("properties").unique().to_list()
    usable, texts = json_property_texts(distinct_properties)
    properties = pl.DataFrame(
        {"properties": distinct_properties, "properties_ok": usable, **{f"property_{k}": v for k, v in texts.items()}},
        schema={"properties": pl.String, "properties_ok": pl.Boolean, **{f"property_{k}": pl.String for k in texts}},
    )

    property_text = pl.lit(None, dtype=pl.String)
    for event_type, name in PROPERTY_OF_TYPE.items():
        property_text = pl.when(pl.col("canonical_type") == event_type).then(pl.col(f"property_{name}")).otherwise(property_text)

    events = (
        raw.lazy()
        .join(types.lazy(), on="event_type", how="left", nulls_equal=True)
        .join(properties.lazy(), on="properties", how="left", nulls_equal=True)
        .with_columns(
            event_id_clean=pl.col("event_id").str.strip_chars(" ").replace("", None),
            user_id_clean=pl.col("user_id").str.strip_chars(" ").replace("", None),
            account_id_clean=pl.col("account_id").str.strip_chars(" ").replace("", None),
            occurred=parse_timestamp("occurred_at"),
            loaded=parse_timestamp("loaded_at"),
            property_text=property_text,
        )
        .with_columns(
            feature=pl.when(pl.col("canonical_type") == "feature_used")
            .then(pl.col("property_text").str.strip_chars(" ").str.to_lowercase().replace("", None)),
            number=pl.when(pl.col("canonical_type").is_in(["session_end", "nps_response"]))
            .then(safe_number(pl.col("property_text"))),
            ticket_id=pl.when(pl.col("canonical_type").is_in(["ticket_opened", "ticket_resolved"]))
            .then(pl.col("property_text").str.strip_chars(" ").replace("", None)),
        )
        .filter(
            pl.col("event_id_clean").is_not_null()
            & pl.col("user_id_clean").is_not_null()
            & pl.col("canonical_type").is_not_null()
            & pl.col("occurred").is_not_null()
            & (pl.col("occurred") >= pl.datetime(2000, 1, 1))
            & ~(pl.col("occurred") > pl.col("loaded") + pl.duration(days=1)).fill_null(False)
            & pl.col("properties_ok")
            & ((pl.col("canonical_type") != "feature_used") | pl.col("feature").is_not_null())
            & ((pl.col("canonical_type") != "session_end") | (pl.col("number") >= 0).fill_null(False))
            & (
                (pl.col("canonical_type") != "nps_response")
                | ((pl.col("number") >= 0) & (pl.col("number") <= 10) & (pl.col("number") == pl.col("number").floor()))
                .fill_null(False)
            )
            & (~pl.col("canonical_type").is_in(["ticket_opened", "ticket_resolved"]) | pl.col("ticket_id").is_not_null())
        )
        .collect()
    )

    # One copy per event_id: the latest loaded_at (nulls last), ties broken by the raw row's md5.
    copies = events.filter(pl.col("event_id_clean").is_duplicated())
    singles = events.filter(~pl.col("event_id_clean").is_duplicated())
    copies = copies.with_columns(
        row_fingerprint=pl.Series(fingerprints(copies.select(RAW_COLUMNS).iter_rows()), dtype=pl.String)
    )
    kept = (
        copies.sort(["event_id_clean", "loaded", "row_fingerprint"], descending=[False, True, False], nulls_last=True)
        .unique("event_id_clean", keep="first", maintain_order=False)
        .drop("row_fingerprint")
    )
    return pl.concat([singles, kept]).select(
        entity_id=pl.col("user_id_clean"),
        event_id=pl.col("event_id_clean"),
        account_id=pl.col("account_id_clean"),
        event_type=pl.col("canonical_type"),
        occurred_at=pl.col("occurred"),
        occurred_on=pl.col("occurred").dt.date(),
        feature=pl.col("feature"),
        duration_seconds=pl.when(pl.col("canonical_type") == "session_end").then(pl.col("number")),
        nps_score=pl.when(pl.col("canonical_type") == "nps_response").then(pl.col("number").cast(pl.Int32)),
        ticket_id=pl.col("ticket_id"),
    )


def compute(events_path: Path, seeds_dir: Path) -> pl.DataFrame:
    seeds = scoring_rules(seeds_dir)
    events = clean_events(events_path, seeds).with_columns(period_start=pl.col("occurred_on").dt.truncate("1mo"))
    as_of = events.get_column("occurred_on").max()

    is_session = pl.col("event_type") == "session_end"
    latest = ["occurred_at", "event_id"]
    monthly = events.group_by("entity_id", "period_start").agg(
        login_days=pl.col("occurred_on").filter(pl.col("event_type") == "login").n_unique(),
        features_adopted=pl.col("feature")
        .filter((pl.col("event_type") == "feature_used") & pl.col("feature").is_in(seeds["key_features"]))
        .n_unique(),
        avg_session_minutes=pl.col("duration_seconds").filter(is_session).sum()
        / (60.0 * is_session.sum()).replace(0.0, None),
        last_event_on=pl.col("occurred_on").max(),
        month_latest_nps=pl.col("nps_score").sort_by(latest).drop_nulls().last(),  # null but for NPS answers
    )
    accounts = (
        events.filter(pl.col("account_id").is_not_null())
        .group_by("entity_id")
        .agg(account_id=pl.col("account_id").sort_by(latest).last())
    )
    tickets = (
        events.filter(pl.col("event_type").is_in(["ticket_opened", "ticket_resolved"]))
        .group_by("entity_id", "ticket_id")
        .agg(
            opened_on=pl.col("occurred_on").filter(pl.col("event_type") == "ticket_opened").min(),
            resolved_on=pl.col("occurred_on").filter(pl.col("event_type") == "ticket_resolved").min(),
        )
        .filter(pl.col("opened_on").is_not_null())
    )
    ticket_changes = (
        pl.concat([
            tickets.filter(pl.col("resolved_on").is_null() | (pl.col("resolved_on") > pl.col("opened_on")))
            .select("entity_id", period_start=pl.col("opened_on").dt.truncate("1mo"), open_change=pl.lit(1)),
            tickets.filter(pl.col("resolved_on") > pl.col("opened_on"))
            .select("entity_id", period_start=pl.col("resolved_on").dt.truncate("1mo"), open_change=pl.lit(-1)),
        ])
        .group_by("entity_id", "period_start")
        .agg(pl.col("open_change").sum())
    )
    as_of_month = pl.lit(as_of).dt.truncate("1mo")
    spine = (
        monthly.group_by("entity_id")
        .agg(first_period=pl.col("period_start").min())
        .select("entity_id", period_start=pl.date_ranges("first_period", as_of_month, "1mo"))
        .explode("period_start")
    )
    measured = (
        spine.join(monthly, on=["entity_id", "period_start"], how="left")
        .join(ticket_changes, on=["entity_id", "period_start"], how="left")
        .join(accounts, on="entity_id", how="left")
        .sort("entity_id", "period_start")
        .with_columns(
            period_end=pl.col("period_start").dt.month_end(),
            as_of_date=pl.lit(as_of),
            login_days=pl.col("login_days").fill_null(0),
            features_adopted=pl.col("features_adopted").fill_null(0),
            avg_session_minutes=pl.col("avg_session_minutes").fill_null(0.0),
            last_event_on=pl.col("last_event_on").cum_max().forward_fill().over("entity_id"),
            latest_nps=pl.col("month_latest_nps").forward_fill().over("entity_id"),
            open_tickets=pl.col("open_change").fill_null(0).cum_sum().over("entity_id"),
        )
        .with_columns(
            days_inactive=(pl.min_horizontal("period_end", "as_of_date") - pl.col("last_event_on")).dt.total_days()
        )
    )

    score = pl.lit(0.0)
    for rule in seeds["rules"]:
        value = pl.col(rule["measure"]).cast(pl.Float64)
        if rule["rule"] == "tier":
            inside = pl.lit(True)
            if rule["min_value"] is not None:
                inside = inside & (value >= rule["min_value"])
            if rule["max_value"] is not None:
                inside = inside & (value < rule["max_value"])
            points = pl.when(inside).then(rule["points"]).otherwise(0.0)
        elif rule["rule"] == "per_unit":
            points = (value / rule["unit"]).floor() * rule["points"]
            if rule["cap"] is not None:
                points = points.clip(upper_bound=rule["cap"]) if rule["points"] >= 0 else points.clip(lower_bound=rule["cap"])
        else:
            points = pl.lit(0.0)
        score = score + pl.when(value.is_null()).then(0.0).otherwise(points)

    max_score = seeds["max_score"]
    band = pl.lit(None, dtype=pl.String)
    for row in reversed(seeds["bands"]):
        inside = pl.lit(True)
        if row["min_score"] is not None:
            inside = inside & (pl.col("score") >= row["min_score"])
        if row["max_score"] is not None:
            inside = inside & (pl.col("score") < row["max_score"])
        band = pl.when(inside).then(pl.lit(row["band"])).otherwise(band)
    normalized = (
        (100 * pl.col("score").clip(0, max_score) / max_score).round(2, mode="half_away_from_zero")
        if max_score > 0 else pl.lit(0.0)
    )
    return measured.with_columns(score=score).select(
        score_model=pl.lit(SCORE_MODEL),
        entity_type=pl.lit(seeds["entity_type"]),
        entity_id="entity_id",
        account_id="account_id",
        period_start="period_start",
        period_end="period_end",
        as_of_date="as_of_date",
        score=pl.col("score").cast(pl.Decimal(18, 4)),
        max_score=pl.lit(max_score).cast(pl.Decimal(18, 4)),
        normalized_score=normalized.cast(pl.Decimal(5, 2)),
        band=band,
    )
