"""Deterministic, realistic sample of raw product events for the engagement score.

About 1,000 users over 6 UTC months, with the messes real feeds have: type aliases in any
case and spacing, time-zone offsets and fractional seconds, re-sent duplicates, unknown event
types, bad rows of every reject reason, and users who go quiet. The same arguments always
give the same file, byte for byte.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import random
from pathlib import Path

COLUMNS = ["event_id", "occurred_at", "user_id", "account_id", "event_type", "properties", "loaded_at"]

# Tracker spellings of each canonical type, as they arrive from different SDKs.
TYPE_SPELLINGS = {
    "login": ["login", "Login", "sign_in", "Sign In", "signin", "USER-LOGIN", "logged.in"],
    "feature_used": ["feature_used", "Feature Used", "feature_use", "feature-usage", "used_feature"],
    "session_end": ["session_end", "Session Ended", "session_finished", "session.end"],
    "nps_response": ["nps_response", "NPS", "nps_submitted", "NPS Survey Response"],
    "ticket_opened": ["ticket_opened", "Ticket Created", "support_ticket_opened"],
    "ticket_resolved": ["ticket_resolved", "ticket_closed", "Support Ticket Resolved"],
}
UNKNOWN_TYPES = ["page_view", "Page View", "button_click", "export_clicked", "invite_sent"]
KEY_FEATURES = ["reports", "dashboards", "integrations", "alerts", "exports", "api"]
OTHER_FEATURES = ["settings", "billing", "search", "profile"]
OFFSETS = ["Z", "Z", "Z", "", "+00:00", "+09:00", "-05:00", "-08:00", "+05:30", "+0100"]

# persona: (share, login days a month, features a month, session minutes, quits after month)
PERSONAS = {
    "power": (0.15, (18, 26), (3, 7), (25, 60)),
    "regular": (0.35, (5, 14), (1, 4), (10, 35)),
    "casual": (0.25, (1, 5), (0, 2), (3, 15)),
    "churning": (0.15, (4, 12), (1, 3), (5, 25)),
    "dormant": (0.10, (0, 2), (0, 1), (2, 8)),
}


def month_starts(start: dt.date, months: int) -> list[dt.date]:
    starts = []
    year, month = start.year, start.month
    for _ in range(months):
        starts.append(dt.date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return starts


def days_in_month(first: dt.date) -> int:
    following = dt.date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return (following - first).days


def render_timestamp(rng: random.Random, utc: dt.datetime) -> str:
    """Writes a UTC instant the way some tracker would: any offset, T or space, maybe fractions."""
    offset = rng.choice(OFFSETS)
    if offset in ("Z", ""):
        local, zone = utc, offset
    else:
        sign = 1 if offset[0] == "+" else -1
        hours, minutes = int(offset[1:3]), int(offset[-2:])
        local = utc + sign * dt.timedelta(hours=hours, minutes=minutes)
        zone = offset
    separator = "T" if rng.random() < 0.85 else " "
    text = local.strftime(f"%Y-%m-%d{separator}%H:%M:%S")
    if rng.random() < 0.3:
        text += f".{local.microsecond // 1000:03d}"
    return text + zone


class SampleWriter:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.rows: list[list[str]] = []
        self.next_id = 1

    def event(self, user: str, account: str, canonical: str, when: dt.datetime, properties: dict | None):
        rng = self.rng
        event_type = rng.choice(TYPE_SPELLINGS.get(canonical, [canonical]))
        if rng.random() < 0.05:
            event_type = f"  {event_type} "
        loaded = when + dt.timedelta(minutes=rng.randint(1, 600))
        row = [
            f"evt_{self.next_id:07d}",
            render_timestamp(rng, when),
            user,
            account,
            event_type,
            json.dumps(properties) if properties else rng.choice(["", "{}"]),
            loaded.strftime("%Y-%m-%dT%H:%M:%SZ"),
        ]
        self.next_id += 1
        self.rows.append(row)
        if rng.random() < 0.02:  # the pipeline re-sent the batch: same event_id, loaded later
            again = list(row)
            again[6] = (loaded + dt.timedelta(hours=rng.randint(1, 48))).strftime("%Y-%m-%dT%H:%M:%SZ")
            self.rows.append(again)


def random_instant(rng: random.Random, day: dt.date) -> dt.datetime:
    seconds = rng.randint(0, 86_399)
    return dt.datetime(day.year, day.month, day.day) + dt.timedelta(seconds=seconds, microseconds=rng.randint(0, 999) * 1000)


def generate(users: int, months: int, start: dt.date, seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    writer = SampleWriter(rng)
    periods = month_starts(start, months)
    persona_names = list(PERSONAS)
    shares = [PERSONAS[name][0] for name in persona_names]
    ticket_counter = 0

    for number in range(1, users + 1):
        user = f"u{number:05d}"
        account = f"acct_{rng.randint(1, max(1, users // 8)):04d}"
        persona = rng.choices(persona_names, weights=shares)[0]
        _, login_range, feature_range, minute_range = PERSONAS[persona]
        first_month = rng.randint(0, months - 1) if rng.random() < 0.3 else 0
        quits_after = rng.randint(first_month, max(first_month, months - 2)) if persona == "churning" else months
        open_tickets: list[str] = []

        for index, first in enumerate(periods):
            if index < first_month:
                continue
            last_day = days_in_month(first)
            if index > quits_after:
                if rng.random() < 0.1:  # the odd stray page view after going quiet
                    day = first + dt.timedelta(days=rng.randrange(last_day))
                    writer.event(user, account, rng.choice(UNKNOWN_TYPES), random_instant(rng, day), {"path": "/home"})
                continue
            if index == quits_after and persona == "churning":
                last_day = rng.randint(3, last_day)
            if rng.random() < 0.03:  # moved to another account
                account = f"acct_{rng.randint(1, max(1, users // 8)):04d}"

            login_days = sorted(rng.sample(range(last_day), min(last_day, rng.randint(*login_range))))
            for offset in login_days:
                day = first + dt.timedelta(days=offset)
                writer.event(user, account, "login", random_instant(rng, day), None)
                if rng.random() < 0.8:
                    seconds = max(0, int(rng.gauss(sum(minute_range) / 2, (minute_range[1] - minute_range[0]) / 3) * 60))
                    value = str(seconds) if rng.random() < 0.1 else seconds
                    writer.event(user, account, "session_end", random_instant(rng, day), {"duration_seconds": value})
                if rng.random() < 0.5:
                    writer.event(user, account, rng.choice(UNKNOWN_TYPES), random_instant(rng, day), {"path": "/app"})

            for _ in range(rng.randint(*feature_range)):
                day = first + dt.timedelta(days=rng.randrange(last_day))
                feature = rng.choice(KEY_FEATURES + OTHER_FEATURES)
                if rng.random() < 0.1:
                    feature = f" {feature.upper()} "
                writer.event(user, account, "feature_used", random_instant(rng, day), {"feature": feature})

            if rng.random() < 0.12:
                day = first + dt.timedelta(days=rng.randrange(last_day))
                base = {"power": 9, "regular": 8, "casual": 6, "churning": 4, "dormant": 5}[persona]
                score = max(0, min(10, base + rng.randint(-2, 2)))
                writer.event(user, account, "nps_response", random_instant(rng, day),
                             {"score": str(score) if rng.random() < 0.2 else score})

            if rng.random() < 0.1:
                ticket_counter += 1
                ticket = f"T-{ticket_counter:05d}"
                day = first + dt.timedelta(days=rng.randrange(last_day))
                writer.event(user, account, "ticket_opened", random_instant(rng, day), {"ticket_id": ticket})
                open_tickets.append(ticket)
            if open_tickets and rng.random() < 0.5:
                ticket = open_tickets.pop(0)
                day = first + dt.timedelta(days=last_day - 1)
                writer.event(user, account, "ticket_resolved", random_instant(rng, day), {"ticket_id": ticket})

    add_bad_rows(rng, writer, periods)
    rng.shuffle(writer.rows)
    return writer.rows


def add_bad_rows(rng: random.Random, writer: SampleWriter, periods: list[dt.date]) -> None:
    """About 1% of rows, one kind of mess each, so every reject reason shows up in the sample."""
    templates = [
        lambda r: r.__setitem__(0, ""),                                   # missing_event_id
        lambda r: r.__setitem__(2, "   "),                                # missing_user_id
        lambda r: r.__setitem__(4, " -- "),                               # missing_event_type
        lambda r: r.__setitem__(1, "2025-02-30T10:00:00Z"),               # invalid_timestamp
        lambda r: r.__setitem__(1, "yesterday"),                          # invalid_timestamp
        lambda r: r.__setitem__(1, "1970-01-01T00:00:00Z"),               # out_of_range_timestamp
        lambda r: r.__setitem__(1, "2099-01-01T00:00:00Z"),               # out_of_range_timestamp
        lambda r: (r.__setitem__(4, "feature_used"), r.__setitem__(5, '{"feature": ""}')),   # invalid_properties
        lambda r: (r.__setitem__(4, "session_end"), r.__setitem__(5, '{"duration_seconds": -5}')),
        lambda r: (r.__setitem__(4, "nps_response"), r.__setitem__(5, '{"score": 11}')),
        lambda r: r.__setitem__(5, '["not", "an", "object"]'),
        lambda r: r.__setitem__(5, '{"truncated": '),
    ]
    count = max(len(templates), len(writer.rows) // 100)
    for number in range(count):
        day = periods[rng.randrange(len(periods))] + dt.timedelta(days=rng.randrange(28))
        when = random_instant(rng, day)
        row = [
            f"bad_{number:05d}", when.strftime("%Y-%m-%dT%H:%M:%SZ"), f"u{rng.randint(1, 1000):05d}", "acct_0001",
            "login", "", (when + dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        ]
        templates[number % len(templates)](row)
        writer.rows.append(row)


def write_csv(rows: list[list[str]], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(COLUMNS)
        out.writerows(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="data/sample_events.csv", help="CSV file to write (default: %(default)s)")
    parser.add_argument("--users", type=int, default=1000, help="number of users (default: %(default)s)")
    parser.add_argument("--months", type=int, default=6, help="number of UTC months (default: %(default)s)")
    parser.add_argument("--start", default="2025-01-01", help="first month, YYYY-MM-DD (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.users < 1 or args.months < 1:
        parser.error("--users and --months must be at least 1")
    try:
        start = dt.date.fromisoformat(args.start).replace(day=1)
    except ValueError:
        parser.error(f"--start must be a date YYYY-MM-DD, got {args.start!r}")
    rows = generate(args.users, args.months, start, args.seed)
    write_csv(rows, Path(args.out))
    print(f"wrote {len(rows)} raw events for {args.users} users over {args.months} months to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
