"""Deterministic, realistic sample of raw events for every score model the project ships.

One CSV (columns event_id, occurred_at, user_id, account_id, event_type, properties, loaded_at;
properties a JSON object text), rows in a shuffled order. The same arguments always give the same
file, byte for byte. With the defaults (1,000 users, 6 UTC months from 2025-01-01, seed 42) it holds
about 129,000 rows: 110,435 product rows and about 18,000 for the other domains. Domains:

Product (saas_customer, saas_account, product_engagement; the generator before issue 10):
  About 1,000 users (u00001...) in about 125 accounts (acct_0001...), personas power, regular,
  casual, churning (goes quiet) and dormant: login, feature_used {"feature"}, session_end
  {"duration_seconds"}, nps_response {"score"}, ticket_opened / ticket_resolved {"ticket_id"}, and
  unknown types (page_view, ...). With the messes real feeds have: type aliases in any case and
  spacing, time-zone offsets and fractional seconds, re-sent duplicates, unknown event types, and
  about 1% bad rows of every reject reason (bad_NNNNN). These rows are drawn from random.Random(seed)
  exactly as before issue 10: taking the other domains' rows out gives the old file byte for byte.

Accounts (saas_account): seats_updated {"seats_used": int, "seats_purchased": int}, 1-3 a month for
  each product account that has members, sent by one of its users (its admin). Seats used follow
  the members (joiners add, churned users free their seat a month later, dormant users' seats are
  sometimes reclaimed); seats purchased are bought in fives and mostly cover the seats used (a few
  rows are over, on purpose), and shrink now and then.

Content (content_engagement, per user and per content_id): about 40% of the product users, with
  their user_id and that month's account_id, in their active months: article_read {"content_id":
  "article-NNN", "read_seconds": int}, article_completed {"content_id"} for some reads and
  content_shared {"content_id", "channel": email | slack | x} for a few, as their persona reads.
  60 articles, Zipf-like popularity (article-001 the most read, a long tail). Deliberately padded:
  40% of the events of article-007, article-012 and article-031 spell it "article-007\t",
  "article-012  " and " article-031", so that trimming is exercised.

Leads (lead_engagement, weekly): prospects, not product users: users // 5 leads (lead-0001...,
  200 by default) at round(users * 0.06) companies (prospect-001..., 60 by default; each has a lead).
  A campaign email goes out every Tuesday (cmp-NN, one per ISO week); a lead shows up by opening
  one, its interest rises to a peak and fades away (stale leads). Cold leads (about half) open a
  few emails at most, warm ones also attend a meeting now and then, hot ones open most emails,
  meet often and attend a demo or two. Types: email_opened {"campaign_id"}, meeting_attended
  {"meeting_id": "mtg-NNNN"}, demo_attended {"demo_id": "demo-NNNN"}; working hours, weekdays.

Employees (employee_engagement, quarterly): not product users, always 150 (emp-001..emp-150),
  account_id empty, every event with a "department" property: engineering 60, sales 35, support
  30, marketing 21 and legal 4, deliberately below the privacy floor of 5. survey_answered
  {"question_id": "q1".."q8", "answer": 1..5} for each quarter that starts inside the sample (two
  by default): each employee answers the 8 questions once, on a day in the quarter's first 2-3
  weeks, or skips the quarter; answers center on the department's mean (support lowest,
  engineering highest) and the employee's own drifting level. absence_recorded {"days": 1 | 0.5}
  and recognition_received {"from_employee": "emp-NNN"} all through the quarter; disengaged
  employees skip more surveys, are absent more and recognized less. (In a sample of a month or
  two without a quarter start, a few employees have no event at all.)

The new domains draw from their own random.Random(f"{seed}-accounts"), f"{seed}-content",
f"{seed}-leads" and f"{seed}-employees", continue the evt_ numbering after the product rows and
are inserted among them at positions drawn by random.Random(f"{seed}-mix"). They keep the writer's
messes (a few type spellings that differ from the canonical name only in case and separators, so
no alias row is needed; padded types; offsets; re-sent duplicates) but not the product's bad rows:
only 8 bad copies among them (invalid timestamps, missing user or event ids).

CRM accounts (issue 13, the optional `accounts` source): a second CSV beside the events
(`sample_accounts.csv` next to `sample_events.csv`; --accounts-out), written from the account ids
the events hold and drawn from its own random.Random(f"{seed}-crm"), so the events file is
byte for byte what it was. Columns account_id, name, plan, arr, owner, region, plus the extra
columns industry and customer_since (kept as they are in dim_accounts.attributes). Product accounts
(acct_NNNN) get a plan (starter, growth, enterprise) and an ARR that grows with it; prospects
(prospect-NNN) plan `prospect` and no ARR. About 4% of the product accounts are left out (the CRM
lags behind the product), and 3 bad rows are added: a blank account_id, an ARR that is not a
number, and a second, different row for an account already listed.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import itertools
import json
import math
import random
from dataclasses import dataclass
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
    def __init__(self, rng: random.Random, first_id: int = 1):
        self.rng = rng
        self.rows: list[list[str]] = []
        self.next_id = first_id

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


def generate_product(users: int, months: int, start: dt.date, seed: int) -> tuple[list[list[str]], list[Member], int, int]:
    """The product events exactly as before issue 10 (same stream, same bytes), plus the roster of
    who was where each month (recorded without drawing from the stream), the next free event id and
    the number of bad rows (bad_NNNNN) used."""
    rng = random.Random(seed)
    writer = SampleWriter(rng)
    roster: list[Member] = []
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
        member = Member(user, persona, [None] * months, [False] * months, [0] * months, [None] * months)
        roster.append(member)

        for index, first in enumerate(periods):
            if index < first_month:
                continue
            last_day = days_in_month(first)
            member.accounts[index] = account
            if index > quits_after:
                if rng.random() < 0.1:  # the odd stray page view after going quiet
                    day = first + dt.timedelta(days=rng.randrange(last_day))
                    writer.event(user, account, rng.choice(UNKNOWN_TYPES), random_instant(rng, day), {"path": "/home"})
                continue
            if index == quits_after and persona == "churning":
                last_day = rng.randint(3, last_day)
            if rng.random() < 0.03:  # moved to another account
                account = f"acct_{rng.randint(1, max(1, users // 8)):04d}"
            member.accounts[index] = account
            member.active[index] = True

            login_days = sorted(rng.sample(range(last_day), min(last_day, rng.randint(*login_range))))
            member.logins[index] = len(login_days)
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
                member.nps[index] = score
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

    good = len(writer.rows)
    add_bad_rows(rng, writer, periods)
    rng.shuffle(writer.rows)
    return writer.rows, roster, writer.next_id, len(writer.rows) - good


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


# --- Issue 10: the other score models' raw events ------------------------------------------------
# Each domain draws from its own random.Random seeded from the main seed, after the product events
# are final, so the product stream above is untouched by them.

NEW_TYPE_SPELLINGS = {
    # canonical mostly; the variants differ only in case and separators, which staging's
    # normalization maps back to the canonical name without an alias row
    "seats_updated": ["seats_updated"] * 8 + ["Seats Updated", "seats.updated"],
    "article_read": ["article_read"] * 8 + ["Article Read", "article-read"],
    "article_completed": ["article_completed"] * 8 + ["Article Completed"],
    "content_shared": ["content_shared"] * 8 + ["Content Shared", "CONTENT-SHARED"],
    "email_opened": ["email_opened"] * 7 + ["Email Opened", "email.opened", "EMAIL_OPENED"],
    "meeting_attended": ["meeting_attended"] * 8 + ["Meeting Attended"],
    "demo_attended": ["demo_attended"] * 8 + ["Demo Attended"],
    "survey_answered": ["survey_answered"] * 8 + ["Survey Answered"],
    "absence_recorded": ["absence_recorded"] * 8 + ["Absence Recorded"],
    "recognition_received": ["recognition_received"] * 8 + ["Recognition Received"],
}
TYPE_SPELLINGS.update(NEW_TYPE_SPELLINGS)
NEW_EVENT_TYPES = frozenset(NEW_TYPE_SPELLINGS)

ARTICLES = [f"article-{number:03d}" for number in range(1, 61)]  # article-001 is the most read
# Raw spellings of three content ids, used on 40% of their events, to exercise trimming.
PADDED_CONTENT_IDS = {"article-007": "article-007\t", "article-012": "article-012  ", "article-031": " article-031"}
# persona: (articles read a month, median read seconds, share completed, share shared)
CONTENT_HABITS = {
    "power": ((4, 12), 300, 0.7, 0.15),
    "regular": ((2, 7), 200, 0.5, 0.08),
    "casual": ((0, 3), 90, 0.3, 0.04),
    "churning": ((1, 5), 150, 0.35, 0.05),
    "dormant": ((0, 1), 60, 0.2, 0.02),
}
SHARE_CHANNELS = (["email", "slack", "x"], [0.5, 0.35, 0.15])

DEPARTMENTS = {  # employees per department; legal is below the privacy floor of 5 on purpose
    "engineering": 60, "sales": 35, "support": 30, "marketing": 21, "legal": 4,
}
DEPARTMENT_MEAN_ANSWER = {"engineering": 3.9, "sales": 3.4, "support": 3.0, "marketing": 3.6, "legal": 3.8}
# q1..q8: how far each question's answers sit from the employee's own level
QUESTION_OFFSETS = [0.2, 0.0, -0.4, 0.3, -0.2, 0.1, -0.3, 0.2]
LEAD_KINDS = {  # share, weeks to the peak, weeks of half-life after it, opens a week at the peak
    "cold": (0.5, (0, 2), (1, 2), 1.0),
    "warm": (0.3, (2, 6), (2, 4), 2.0),
    "hot": (0.2, (3, 8), (4, 10), 3.5),
}


@dataclass
class Member:
    """A product user as generate_product drew them: account per month index (None before they
    start), whether they were active that month (False before they start and after they quit),
    their login days (distinct UTC dates) and NPS answer (None when none) that month."""
    user: str
    persona: str
    accounts: list[str | None]
    active: list[bool]
    logins: list[int]
    nps: list[int | None]


def poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def working_instant(rng: random.Random, day: dt.date, first_hour: int = 7, last_hour: int = 18) -> dt.datetime:
    """An instant on a working day's hours (UTC), with a whole-second fraction like random_instant."""
    seconds = rng.randint(first_hour * 3600, last_hour * 3600 - 1)
    fraction = dt.timedelta(seconds=seconds, microseconds=rng.randint(0, 999) * 1000)
    return dt.datetime(day.year, day.month, day.day) + fraction


def to_weekday(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=(7 - day.weekday()) % 7) if day.weekday() >= 5 else day


def generate_accounts(seed: int, roster: list[Member], periods: list[dt.date], first_id: int) -> SampleWriter:
    """seats_updated 1-3 times a month per account, by an admin, once the account has users.
    Seats used follow the members (joiners add, quitters free theirs a month later, dormant
    users' seats are sometimes reclaimed); seats purchased are bought up in fives, mostly."""
    rng = random.Random(f"{seed}-accounts")
    writer = SampleWriter(rng, first_id)
    accounts = sorted({account for member in roster for account in member.accounts if account})
    for account in accounts:
        admin = None
        purchased = 0
        for index, first in enumerate(periods):
            holders = [
                member for member in roster
                if member.accounts[index] == account
                and (member.active[index] or (index > 0 and member.active[index - 1]))
            ]
            if not holders:
                continue
            if admin is None or admin not in holders:
                admin = rng.choice(holders)
            used = sum(1 for member in holders if member.persona != "dormant" or rng.random() < 0.5)
            used = max(1, used)
            if purchased == 0:
                purchased = 5 * math.ceil(used * 1.2 / 5)
            elif used > purchased and rng.random() < 0.8:
                purchased = 5 * math.ceil(used / 5) + (5 if rng.random() < 0.3 else 0)
            elif used < purchased - 5 and rng.random() < 0.2:
                purchased = max(5, 5 * math.ceil(used / 5))
            last_day = days_in_month(first)
            days = sorted(rng.sample(range(last_day), rng.randint(1, 3)))
            for position, offset in enumerate(days):
                seats_used = max(0, used - (len(days) - 1 - position) * rng.randint(0, 1))
                writer.event(admin.user, account, "seats_updated",
                             working_instant(rng, first + dt.timedelta(days=offset)),
                             {"seats_used": seats_used, "seats_purchased": purchased})
    return writer


def generate_content(seed: int, roster: list[Member], periods: list[dt.date], first_id: int) -> SampleWriter:
    """About 40% of the product users read articles in the months they are active, as their
    persona does; some reads are completed, a few shared. Article popularity is Zipf-like."""
    rng = random.Random(f"{seed}-content")
    writer = SampleWriter(rng, first_id)
    popularity = list(itertools.accumulate(1 / rank ** 1.1 for rank in range(1, len(ARTICLES) + 1)))

    def content_id(article: str) -> str:
        return PADDED_CONTENT_IDS[article] if article in PADDED_CONTENT_IDS and rng.random() < 0.4 else article

    for member in roster:
        if rng.random() >= 0.4:
            continue
        read_range, median_seconds, completed_share, shared_share = CONTENT_HABITS[member.persona]
        for index, first in enumerate(periods):
            if not member.active[index]:
                continue
            account = member.accounts[index]
            last_day = days_in_month(first)
            for _ in range(rng.randint(*read_range)):
                article = rng.choices(ARTICLES, cum_weights=popularity)[0]
                when = random_instant(rng, first + dt.timedelta(days=rng.randrange(last_day)))
                seconds = max(5, int(rng.lognormvariate(math.log(median_seconds), 0.6)))
                writer.event(member.user, account, "article_read", when,
                             {"content_id": content_id(article), "read_seconds": seconds})
                if rng.random() < completed_share:
                    writer.event(member.user, account, "article_completed", when + dt.timedelta(seconds=seconds),
                                 {"content_id": content_id(article)})
                if rng.random() < shared_share:
                    channel = rng.choices(*SHARE_CHANNELS)[0]
                    writer.event(member.user, account, "content_shared",
                                 when + dt.timedelta(seconds=seconds + rng.randint(5, 600)),
                                 {"content_id": content_id(article), "channel": channel})
    return writer


def generate_leads(seed: int, leads: int, prospects: int, start: dt.date, end: dt.date, first_id: int) -> SampleWriter:
    """Prospects, not product users. A campaign email goes out each Tuesday (cmp-NN, one a week);
    each lead enters some week, grows interested to a peak and fades (stale leads), opening that
    week's email or the last one. Cold leads open a few emails at most; warm ones meet sales now
    and then around their peak; hot ones open most emails, meet often and attend a demo or two."""
    rng = random.Random(f"{seed}-leads")
    writer = SampleWriter(rng, first_id)
    first_monday = start - dt.timedelta(days=start.weekday())
    weeks = [first_monday + dt.timedelta(weeks=number) for number in range((end - first_monday).days // 7 + 1)]
    kinds = list(LEAD_KINDS)
    companies = [f"prospect-{number:03d}" for number in range(1, prospects + 1)]
    meeting_counter = demo_counter = 0

    def emit(lead: str, company: str, canonical: str, day: dt.date, properties: dict) -> None:
        if start <= day <= end:
            writer.event(lead, company, canonical, working_instant(rng, day, 7, 21), properties)

    for number in range(1, leads + 1):
        lead = f"lead-{number:04d}"
        # every company has a lead, the larger ones several
        if number <= prospects:
            company = companies[number - 1]
        else:  # the first half of the companies twice as likely
            company = rng.choice(companies[: max(1, prospects // 2)] + companies)
        kind = rng.choices(kinds, weights=[LEAD_KINDS[name][0] for name in kinds])[0]
        _, rise_range, half_life_range, peak_opens = LEAD_KINDS[kind]
        entry = rng.randrange(max(1, len(weeks) - 2))
        peak = entry + rng.randint(*rise_range)
        half_life = rng.uniform(*half_life_range)
        opens_left = rng.randint(1, 4) if kind == "cold" else 10_000
        demos = {"hot": rng.randint(1, 2), "warm": 1 if rng.random() < 0.1 else 0, "cold": 0}[kind]
        demo_weeks = {min(len(weeks) - 1, peak + rng.randint(-1, 1)) for _ in range(demos)}
        for week_number in range(entry, len(weeks)):
            monday = weeks[week_number]
            if week_number <= peak:
                interest = (week_number - entry + 1) / (peak - entry + 1)
            else:
                interest = 0.5 ** ((week_number - peak) / half_life)
            if interest < 0.05:
                break
            opens = poisson(rng, peak_opens * interest)
            if week_number == entry:
                opens = max(1, opens)  # opening a campaign email is how a lead shows up
            for _ in range(min(opens_left, opens)):
                opens_left -= 1
                campaign = week_number if rng.random() < 0.8 or week_number == 0 else week_number - 1
                lag = rng.choices([0, 1, 2, 3, 6], weights=[40, 25, 15, 10, 10])[0]
                emit(lead, company, "email_opened", weeks[campaign] + dt.timedelta(days=1 + lag),
                     {"campaign_id": f"cmp-{campaign % 99 + 1:02d}"})
            meeting_rate = {"cold": 0.0, "warm": 0.2, "hot": 0.45}[kind]
            if rng.random() < meeting_rate * interest:
                meeting_counter += 1
                emit(lead, company, "meeting_attended", monday + dt.timedelta(days=rng.randint(0, 3)),
                     {"meeting_id": f"mtg-{meeting_counter:04d}"})
            if week_number in demo_weeks:
                demo_counter += 1
                emit(lead, company, "demo_attended", monday + dt.timedelta(days=rng.randint(1, 4)),
                     {"demo_id": f"demo-{demo_counter:04d}"})
    return writer


def generate_employees(seed: int, start: dt.date, end: dt.date, first_id: int) -> SampleWriter:
    """150 employees (emp-001..emp-150) in five departments, legal with 4 on purpose (below the
    privacy floor of 5). A quarterly survey (q1..q8, answers 1-5) in the first weeks of each
    quarter that starts in the sample, some skipping it; absences and recognitions all along.
    Each employee has an engagement level around the department's mean that drifts each quarter;
    disengaged employees answer lower, skip more, are absent more and recognized less."""
    rng = random.Random(f"{seed}-employees")
    writer = SampleWriter(rng, first_id)
    departments = [name for name, count in DEPARTMENTS.items() for _ in range(count)]
    rng.shuffle(departments)
    employees = [f"emp-{number:03d}" for number in range(1, len(departments) + 1)]
    level = {emp: rng.gauss(DEPARTMENT_MEAN_ANSWER[dept], 0.5) for emp, dept in zip(employees, departments)}
    quarters = []
    first = dt.date(start.year, 3 * ((start.month - 1) // 3) + 1, 1)
    while first <= end:
        following = dt.date(first.year + (first.month == 10), (first.month + 2) % 12 + 1, 1)
        quarters.append((first, following - dt.timedelta(days=1)))
        first = following
    for quarter_start, quarter_end in quarters:
        span = (quarter_end - quarter_start).days + 1
        days = [day for day in (quarter_start + dt.timedelta(days=n) for n in range(span))
                if start <= day <= end and day.weekday() < 5]
        for emp, dept in zip(employees, departments):
            level[emp] += rng.gauss(0, 0.25)
            engaged = level[emp] >= 3.0
            survey_day = to_weekday(quarter_start + dt.timedelta(days=rng.randint(0, 18)))
            if start <= quarter_start and survey_day <= end and rng.random() >= (0.08 if engaged else 0.3):
                when = working_instant(rng, survey_day)
                for question, offset in enumerate(QUESTION_OFFSETS, start=1):
                    answer = max(1, min(5, round(rng.gauss(level[emp] + offset, 0.7))))
                    writer.event(emp, "", "survey_answered", when + dt.timedelta(seconds=question * rng.randint(4, 40)),
                                 {"question_id": f"q{question}", "answer": answer, "department": dept})
            if not days:
                continue
            share = len(days) / 65  # the part of the quarter inside the sample
            for _ in range(poisson(rng, (1.0 if engaged else 3.5) * share)):
                writer.event(emp, "", "absence_recorded", working_instant(rng, rng.choice(days), 6, 10),
                             {"days": 1 if rng.random() < 0.7 else 0.5, "department": dept})
            for _ in range(poisson(rng, max(0.1, 0.8 + 0.8 * (level[emp] - 3.4)) * share)):
                colleagues = [other for other, other_dept in zip(employees, departments)
                              if other_dept == dept and other != emp]
                giver = rng.choice(colleagues) if colleagues and rng.random() < 0.6 else rng.choice(employees)
                while giver == emp:
                    giver = rng.choice(employees)
                writer.event(emp, "", "recognition_received", working_instant(rng, rng.choice(days)),
                             {"from_employee": giver, "department": dept})
    return writer


def add_domain_bad_rows(rng: random.Random, domains: list[list[list[str]]], first_number: int) -> list[list[str]]:
    """A handful of bad copies among the new domains' rows: invalid timestamps and missing ids."""
    templates = [
        lambda r: r.__setitem__(1, "2025-02-30T10:00:00Z"),  # invalid_timestamp
        lambda r: r.__setitem__(2, ""),                      # missing_user_id
        lambda r: r.__setitem__(1, "not a time"),            # invalid_timestamp
        lambda r: r.__setitem__(0, "  "),                    # missing_event_id
    ]
    bad = []
    for rows in domains:
        for _ in range(2 if rows else 0):
            row = list(rng.choice(rows))
            row[0] = f"bad_{first_number + len(bad):05d}"
            templates[len(bad) % len(templates)](row)
            bad.append(row)
    return bad


def generate(users: int, months: int, start: dt.date, seed: int, with_outcomes: bool = False):
    """The product rows in the very order they had before issue 10, with the other domains' rows
    (shuffled by their own generator) inserted at positions drawn by yet another one. With
    with_outcomes, a pair: those rows and the outcome rows (issue 12; the events are the same)."""
    product, roster, next_id, product_bad = generate_product(users, months, start, seed)
    periods = month_starts(start, months)
    end = periods[-1] + dt.timedelta(days=days_in_month(periods[-1]) - 1)
    domains = []
    for build in (
        lambda first_id: generate_accounts(seed, roster, periods, first_id),
        lambda first_id: generate_content(seed, roster, periods, first_id),
        lambda first_id: generate_leads(seed, max(10, users // 5), max(3, round(users * 0.06)), start, end, first_id),
        lambda first_id: generate_employees(seed, start, end, first_id),
    ):
        writer = build(next_id)
        next_id = writer.next_id
        domains.append(writer.rows)
    mixer = random.Random(f"{seed}-mix")
    added = [row for rows in domains for row in rows] + add_domain_bad_rows(mixer, domains, product_bad)
    mixer.shuffle(added)
    total = len(product) + len(added)
    slots = set(mixer.sample(range(total), len(added)))
    product_rows, added_rows = iter(product), iter(added)
    rows = [next(added_rows) if position in slots else next(product_rows) for position in range(total)]
    if with_outcomes:
        return rows, generate_outcomes(seed, roster, periods)
    return rows


# --- Issue 12: outcomes, with a hidden relation to behaviour ---------------------------------------
# The review (fct_engagement_signal_review) should find this and nothing else: after each month,
# a saas_customer user who has not churned yet churns with the chance
#     p = 1 / (1 + exp(-(CHURN_INTERCEPT + CHURN_PER_LOGIN_DAY x login days that month
#                         + CHURN_IF_DETRACTOR x [latest NPS so far is 0-6])))
# on a day 1 to CHURN_LAG_DAYS after the month ends. Session time, features, tickets and
# inactivity play no part (they correlate with logins only through the personas).
OUTCOME_COLUMNS = ["entity_id", "score_model", "entity_type", "outcome", "occurred_at"]
CHURN_INTERCEPT = -0.5
CHURN_PER_LOGIN_DAY = -0.6
CHURN_IF_DETRACTOR = 1.8
CHURN_LAG_DAYS = 75


def generate_outcomes(seed: int, roster: list[Member], periods: list[dt.date]) -> list[list[str]]:
    """`churned` rows for saas_customer users, drawn from random.Random(f"{seed}-outcomes") by the
    relation above, in user order, with a few of a real feed's messes: outcome names in other case
    and spacing, dates without a time, a row sent twice, and 5 bad rows (missing entity id, an
    undeclared score model, an impossible date, no outcome, an unknown entity type)."""
    rng = random.Random(f"{seed}-outcomes")
    rows: list[list[str]] = []
    for member in roster:
        latest_nps = None
        for index, first in enumerate(periods):
            if member.accounts[index] is None:
                continue
            if member.nps[index] is not None:
                latest_nps = member.nps[index]
            logit = CHURN_INTERCEPT + CHURN_PER_LOGIN_DAY * member.logins[index]
            logit += CHURN_IF_DETRACTOR if latest_nps is not None and latest_nps <= 6 else 0.0
            if rng.random() >= 1 / (1 + math.exp(-logit)):
                continue
            month_end = first + dt.timedelta(days=days_in_month(first) - 1)
            day = month_end + dt.timedelta(days=rng.randint(1, CHURN_LAG_DAYS))
            when = random_instant(rng, day)
            text = day.isoformat() if rng.random() < 0.2 else when.strftime("%Y-%m-%dT%H:%M:%SZ")
            name = rng.choice(["churned"] * 8 + ["Churned", " churned "])
            rows.append([member.user, "saas_customer", "", name, text])
            if rng.random() < 0.02:
                rows.append(list(rows[-1]))
            break
    rows += [
        ["", "saas_customer", "", "churned", "2025-03-04T10:00:00Z"],
        ["u00001", "saas_custmer", "", "churned", "2025-03-04T10:00:00Z"],
        ["u00002", "saas_customer", "", "churned", "2025-02-30T10:00:00Z"],
        ["u00003", "saas_customer", "", " ", "2025-03-04T10:00:00Z"],
        ["u00004", "", "visitor", "churned", "2025-03-04T10:00:00Z"],
    ]
    return rows


def outcomes_path_for(events_path: Path) -> Path:
    """data/sample_events.csv -> data/sample_outcomes.csv; other names get _outcomes added."""
    stem = events_path.stem
    name = stem.replace("events", "outcomes") if "events" in stem else f"{stem}_outcomes"
    return events_path.with_name(name + events_path.suffix)


ACCOUNT_COLUMNS = ["account_id", "name", "plan", "arr", "owner", "region", "industry", "customer_since"]
ACCOUNT_PLANS = [("starter", 0.45, 3_000, 15_000), ("growth", 0.4, 15_000, 80_000), ("enterprise", 0.15, 80_000, 400_000)]
ACCOUNT_OWNERS = ["Ada Park", "Bo Lindqvist", "Chioma Eze", "Dev Patel", "Elena Rossi", "Farid Haddad"]
ACCOUNT_REGIONS = ["EMEA", "NA", "APAC", "LATAM"]
ACCOUNT_INDUSTRIES = ["software", "retail", "finance", "health", "education", "manufacturing"]
NAME_PARTS = (["Acme", "Blue", "Cedar", "Delta", "Ember", "Fjord", "Granite", "Harbor", "Iris", "Juniper",
               "Kite", "Lumen", "Maple", "Nimbus", "Orbit", "Pine", "Quartz", "River", "Summit", "Tidal"],
              ["Labs", "Systems", "Works", "Health", "Retail", "Capital", "Logistics", "Studio", "Foods", "Group"])


def sample_accounts(rows: list[list[str]], seed: int) -> list[list[str]]:
    """The CRM rows for the account ids of the events (see the module doc), in a shuffled order."""
    rng = random.Random(f"{seed}-crm")
    ids = sorted({row[3].strip() for row in rows if row[3].strip().startswith(("acct_", "prospect-"))})
    out = []
    for account in ids:
        if account.startswith("acct_") and rng.random() < 0.04:
            continue  # not in the CRM yet
        name = f"{rng.choice(NAME_PARTS[0])} {rng.choice(NAME_PARTS[1])} ({account})"
        owner, region, industry = rng.choice(ACCOUNT_OWNERS), rng.choice(ACCOUNT_REGIONS), rng.choice(ACCOUNT_INDUSTRIES)
        since = (dt.date(2021, 1, 1) + dt.timedelta(days=rng.randrange(1400))).isoformat()
        if account.startswith("prospect-"):
            out.append([account, name, "prospect", "", owner, region, industry, ""])
            continue
        draw, plan = rng.random(), ACCOUNT_PLANS[-1]
        for candidate in ACCOUNT_PLANS:
            if draw < candidate[1]:
                plan = candidate
                break
            draw -= candidate[1]
        arr = round(rng.uniform(plan[2], plan[3]), -2)
        out.append([account, name, plan[0], f"{arr:.2f}", owner, region, industry, since])
    if out:
        first = out[0]
        out.append(["  ", "Nameless Inc", "growth", "20000.00", "Ada Park", "EMEA", "software", "2023-01-01"])
        out.append([f"{first[0]}", f"{first[1]} (old CRM copy)", "starter", "1000.00", first[4], first[5], "", ""])
        out.append(["acct_bad_arr", "Broken Arr Ltd", "growth", "twelve thousand", "Bo Lindqvist", "NA", "retail", ""])
    rng.shuffle(out)
    return out


def accounts_path_for(events_path: Path) -> Path:
    """sample_events.csv -> sample_accounts.csv; other names get _accounts added to their stem."""
    stem = events_path.stem
    stem = stem[: -len("_events")] + "_accounts" if stem.endswith("_events") else stem + "_accounts"
    return events_path.with_name(stem + ".csv")


def read_rows(path: Path) -> list[list[str]]:
    """The rows of an events CSV written by write_csv (to make the accounts of an existing sample)."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        return [row for row in reader]


def write_accounts_csv(rows: list[list[str]], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(ACCOUNT_COLUMNS)
        out.writerows(rows)


def write_csv(rows: list[list[str]], path: Path, columns: list[str] = COLUMNS) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(columns)
        out.writerows(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="data/sample_events.csv", help="CSV file to write (default: %(default)s)")
    parser.add_argument("--users", type=int, default=1000, help="number of users (default: %(default)s)")
    parser.add_argument("--months", type=int, default=6, help="number of UTC months (default: %(default)s)")
    parser.add_argument("--start", default="2025-01-01", help="first month, YYYY-MM-DD (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default: %(default)s)")
    parser.add_argument("--outcomes-out", help="outcomes CSV to write (default: beside --out, 'events' in the "
                                               "name replaced by 'outcomes': data/sample_outcomes.csv)")
    parser.add_argument("--accounts-out", help="CRM accounts CSV to write (default: beside --out, "
                                               "sample_events.csv -> sample_accounts.csv)")
    args = parser.parse_args(argv)
    if args.users < 1 or args.months < 1:
        parser.error("--users and --months must be at least 1")
    try:
        start = dt.date.fromisoformat(args.start).replace(day=1)
    except ValueError:
        parser.error(f"--start must be a date YYYY-MM-DD, got {args.start!r}")
    rows, outcomes = generate(args.users, args.months, start, args.seed, with_outcomes=True)
    write_csv(rows, Path(args.out))
    print(f"wrote {len(rows)} raw events for {args.users} users over {args.months} months to {args.out}")
    outcomes_out = Path(args.outcomes_out) if args.outcomes_out else outcomes_path_for(Path(args.out))
    write_csv(outcomes, outcomes_out, OUTCOME_COLUMNS)
    print(f"wrote {len(outcomes)} outcomes to {outcomes_out}")
    accounts_out = Path(args.accounts_out) if args.accounts_out else accounts_path_for(Path(args.out))
    accounts = sample_accounts(rows, args.seed)
    write_accounts_csv(accounts, accounts_out)
    print(f"wrote {len(accounts)} CRM account rows to {accounts_out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
