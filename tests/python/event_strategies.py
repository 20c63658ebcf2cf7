"""Hypothesis strategies for raw event sets aimed at the scoring contract's edges.

An example is an as_of_date and a list of raw rows (7 text columns, None for a blank field). Rows
come from per-user "episodes" placed around as_of_date: a second either side of midnight UTC and of
month ends, offsets that move an event across a day or a month, login streaks of 3/4/19/20 days,
5/6 key features, sessions averaging just under or exactly 30 minutes, NPS 6-10, tickets opened and
resolved the same day, users quiet for 29/30/31 days, users with only unknown types, re-sent and
conflicting duplicates, and rows that must be rejected.
"""

from __future__ import annotations

from hypothesis import strategies as st

from reference_scoring import (MICROS_PER_DAY, MICROS_PER_SECOND, date_of, day_number, iso_date, month_start,
                               parse_timestamp)

# as_of dates: month ends (31, 30, 28 and a leap 29), first days, and days inside a month.
AS_OF_DATES = ["2025-03-31", "2025-03-01", "2025-03-15", "2025-02-28", "2024-02-29", "2025-04-30", "2025-01-31",
               "2025-03-30", "2025-03-02"]

SPELLINGS = {
    "login": ["login", "Sign In", "USER-LOGIN", " logged_in ", "signin", "Logged.In"],
    "feature_used": ["feature_used", "Feature Usage", "used-feature"],
    "session_end": ["session_end", "Session Ended", "session.finished"],
    "nps_response": ["nps_response", "NPS", "NPS Survey Response"],
    "ticket_opened": ["ticket_opened", "Ticket-Created"],
    "ticket_resolved": ["ticket_resolved", "ticket_closed", "Support Ticket Resolved"],
    "unknown": ["page_view", "Page View", "!!!", "__button--click__"],
}
# JSON-escaped tabs and line breaks pad some values: staging trims every text property with one rule
FEATURES = ["reports", " Reports ", "DASHBOARDS", "integrations", "alerts", "exports", "api", "search", "settings",
            "reports\\t", "\\nalerts"]
KEY_FEATURE_SPELLINGS = ["reports", "Dashboards", " integrations", "ALERTS", "exports ", "api\\t"]
DURATIONS = ["1799.4", "1800", "1800.6", "1200", "600", "0", "599.9", "3000", '"1800"', '" 1200 "', "1799.99", "6000"]
NPS_SCORES = ["6", "7", "8", "9", "10", "0", '"9"', "9.0"]
OFFSETS = ["Z", "", "+01:00", "-05:00", "+0530", "-0330", "+14:00", "-12:00", "+09:00", "z", "+01", "-11", "+18:00",
           "-1800"]
TIMES_OF_DAY = [0, 1, 86_399, 86_398, 43_200, 3_600]  # seconds after midnight UTC


@st.composite
def instants(draw, as_of: int, days_before: int = 95):
    """A UTC instant (microseconds) near as_of: mostly on an edge day and a second from midnight."""
    edges = [as_of, as_of - 1, month_start(as_of), month_start(as_of) - 1, month_start(month_start(as_of) - 1),
             month_start(month_start(as_of) - 1) - 1, as_of - 29, as_of - 30, as_of - 31, as_of + 1,
             month_start(as_of) - 1 - 29, month_start(as_of) - 1 - 30, month_start(as_of) - 1 - 31]
    day = draw(st.one_of(st.sampled_from(edges), st.integers(as_of - days_before, as_of + 2)))
    seconds = draw(st.one_of(st.sampled_from(TIMES_OF_DAY), st.integers(0, 86_399)))
    micros = draw(st.sampled_from([0, 0, 0, 999_000, 500_000, 999_999]))
    return day * MICROS_PER_DAY + seconds * MICROS_PER_SECOND + micros


def render_timestamp(instant: int, offset: str, separator: str = "T", fraction_digits: int = 6) -> str:
    """ISO-8601 text of a UTC instant, written in the given offset's local time."""
    sign = -1 if offset.startswith("-") else 1
    digits = offset[1:].replace(":", "") if offset[:1] in ("+", "-") else "0000"
    offset_micros = sign * (int(digits[:2]) * 60 + int(digits[2:] or 0)) * 60 * MICROS_PER_SECOND
    local = instant + offset_micros
    day, rest = divmod(local, MICROS_PER_DAY)
    year, month, dom = date_of(day)
    seconds, micros = divmod(rest, MICROS_PER_SECOND)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    text = f"{year:04d}-{month:02d}-{dom:02d}{separator}{hours:02d}:{minutes:02d}"
    if seconds or micros or fraction_digits:
        text += f":{seconds:02d}"
    if micros:
        # 6 digits, 9 (nanoseconds) or as few as it takes
        fraction = f"{micros:06d}"
        text += "." + (fraction + "000" if fraction_digits == 9 else fraction if fraction_digits else fraction.rstrip("0"))
    return text + offset


@st.composite
def timestamp_texts(draw, instant: int):
    offset = draw(st.sampled_from(OFFSETS))
    separator = draw(st.sampled_from(["T", "T", " "]))
    return render_timestamp(instant, offset, separator, fraction_digits=draw(st.sampled_from([0, 6, 9])))


@st.composite
def loaded_at_texts(draw, instant: int):
    """loaded_at around the event: after it, or exactly / just over one day before it (the range edge)."""
    delta = draw(st.sampled_from([
        5 * 60, 5 * 60, 5 * 60, 0, 3 * 86_400,
        -86_400,  # the event is exactly a day after its load: in range
        -86_401,  # a second more: out_of_range_timestamp
        -4 * 86_400,
    ]))
    if draw(st.integers(0, 30)) == 0:
        return "soon"  # unparseable: no upper bound
    return render_timestamp(instant + delta * MICROS_PER_SECOND, "Z")


def properties_for(kind: str, value: str) -> str:
    names = {"feature_used": "feature", "session_end": "duration_seconds", "nps_response": "score",
             "ticket_opened": "ticket_id", "ticket_resolved": "ticket_id"}
    if kind in names:
        return f'{{"{names[kind]}": {value}}}'
    return value


@st.composite
def rows_for(draw, kind: str, instant: int, value: str | None = None):
    """One raw row of a canonical kind (or 'unknown'), without ids yet: (occurred_at, type, properties, loaded_at)."""
    if value is None:
        value = {
            "feature_used": lambda: f'"{draw(st.sampled_from(FEATURES))}"',
            "session_end": lambda: draw(st.sampled_from(DURATIONS)),
            "nps_response": lambda: draw(st.sampled_from(NPS_SCORES)),
            "ticket_opened": lambda: '"' + draw(st.sampled_from(["T1", "T2", " T1 ", "T1\\t"])) + '"',
            "ticket_resolved": lambda: '"' + draw(st.sampled_from(["T1", "T2", "T2\\r\\n"])) + '"',
            "login": lambda: draw(st.sampled_from(["", "{}", '{"source": "web"}'])),
            "unknown": lambda: draw(st.sampled_from(["", '{"path": "/home"}'])),
        }[kind]()
    if kind == "nps_response":
        # two answers at the very same instant leave "the latest" undecided: spread them by milliseconds
        instant += draw(st.integers(1, 999)) * 1000
    return (
        draw(timestamp_texts(instant)),
        draw(st.sampled_from(SPELLINGS[kind])),
        properties_for(kind, value),
        draw(loaded_at_texts(instant)),
    )


@st.composite
def single_events(draw, as_of: int):
    kind = draw(st.sampled_from(["login", "feature_used", "session_end", "nps_response", "ticket_opened",
                                 "ticket_resolved", "unknown"]))
    return [draw(rows_for(kind, draw(instants(as_of))))]


@st.composite
def login_streaks(draw, as_of: int):
    """k consecutive login days (3/4/19/20, the tier edges), starting on a month start or so."""
    days = draw(st.sampled_from([3, 4, 19, 20, 21]))
    month = draw(st.sampled_from([month_start(as_of), month_start(month_start(as_of) - 1)]))
    first = month + draw(st.sampled_from([0, 0, 1, -1, 9]))
    seconds = draw(st.sampled_from([0, 1, 86_399, 36_000]))
    rows = []
    for offset in range(days):
        instant = (first + offset) * MICROS_PER_DAY + seconds * MICROS_PER_SECOND
        rows.append(draw(rows_for("login", instant)))
    return rows


@st.composite
def feature_bursts(draw, as_of: int):
    """5 or 6 distinct key features (the cap edge) in one month, plus maybe a non-key one."""
    count = draw(st.sampled_from([5, 6]))
    month = draw(st.sampled_from([month_start(as_of), month_start(month_start(as_of) - 1)]))
    rows = []
    for index, feature in enumerate(KEY_FEATURE_SPELLINGS[:count] + draw(st.sampled_from([[], ["search"]]))):
        instant = (month + index) * MICROS_PER_DAY + 12 * 3600 * MICROS_PER_SECOND
        rows.append(draw(rows_for("feature_used", instant, f'"{feature}"')))
    return rows


@st.composite
def session_sets(draw, as_of: int):
    """Sessions averaging around 30 minutes: 1799.4 s alone is 29.99, 1500 + 2100 is exactly 30."""
    durations = draw(st.sampled_from([["1799.4"], ["1800"], ["1500", "2100"], ["1799.4", "1800.6"],
                                      ["600", "1200", "3600"], ["1199.7", "1200.3"], ["0", "3600"]]))
    day = draw(st.sampled_from([month_start(as_of), as_of, month_start(as_of) - 1]))
    return [draw(rows_for("session_end", day * MICROS_PER_DAY + (index + 1) * 3600 * MICROS_PER_SECOND, value))
            for index, value in enumerate(durations)]


@st.composite
def ticket_stories(draw, as_of: int):
    """A ticket opened, then resolved the same day, a day or a month later, never, or before opening."""
    ticket = draw(st.sampled_from(["T1", "T2", "T-9"]))
    opened = draw(instants(as_of))
    # opened as "T1\t" and resolved as "T1" is one ticket
    rows = [draw(rows_for("ticket_opened", opened, f'"{ticket}{draw(st.sampled_from(["", "", chr(92) + "t"]))}"'))]
    resolution = draw(st.sampled_from([None, 0, 60, 86_400, 31 * 86_400, -86_400]))
    if resolution is not None:
        rows.append(draw(rows_for("ticket_resolved", opened + resolution * MICROS_PER_SECOND, f'"{ticket}"')))
    return rows


@st.composite
def nps_answers(draw, as_of: int):
    """One or two NPS answers of the tier edges (6/7 detractor or not, 8/9 promoter or not, 10)."""
    return [draw(rows_for("nps_response", draw(instants(as_of)), draw(st.sampled_from(["6", "7", "8", "9", "10"]))))
            for _ in range(draw(st.integers(1, 2)))]


@st.composite
def quiet_users(draw, as_of: int):
    """A last event exactly 29, 30 or 31 days before as_of or before a month end."""
    end = draw(st.sampled_from([as_of, month_start(as_of) - 1]))
    gap = draw(st.sampled_from([29, 30, 31]))
    seconds = draw(st.sampled_from([0, 86_399]))
    kind = draw(st.sampled_from(["login", "unknown"]))
    return [draw(rows_for(kind, (end - gap) * MICROS_PER_DAY + seconds * MICROS_PER_SECOND))]


@st.composite
def unknown_only(draw, as_of: int):
    return [draw(rows_for("unknown", draw(instants(as_of)))) for _ in range(draw(st.integers(1, 3)))]


@st.composite
def bad_rows(draw, as_of: int):
    """Rows that must be rejected, one reason each (ids are filled in later, some blanked here)."""
    instant = draw(instants(as_of))
    good = draw(rows_for("login", instant))
    problem = draw(st.sampled_from(["missing_event_id", "missing_user_id", "missing_event_type", "invalid_timestamp",
                                    "out_of_range", "before_2000", "invalid_properties"]))
    occurred_at, event_type, properties, loaded_at = good
    if problem == "missing_event_type":
        event_type = draw(st.sampled_from(["", " -- ", None, "..."]))
    elif problem == "invalid_timestamp":
        occurred_at = draw(st.sampled_from(["2025-02-29T10:00:00Z", "2025-13-01T00:00:00Z", "yesterday", "1740823200",
                                            "2025-03-01T24:00:00Z", "2025-03-31T23:59:60Z", None, ""]))
    elif problem == "out_of_range":
        loaded_at = render_timestamp(instant - 86_401 * MICROS_PER_SECOND, "Z")
    elif problem == "before_2000":
        occurred_at = draw(st.sampled_from(["1999-12-31T23:59:59Z", "2000-01-01T00:59:59+01:00", "1970-01-01T00:00:00Z"]))
    elif problem == "invalid_properties":
        kind = draw(st.sampled_from(["login", "feature_used", "session_end", "nps_response", "ticket_opened"]))
        bad = {"login": ["[]", '"text"', '{"a": ', "[1, 2]", '{"a": NaN}', '{"a": 1,}'], "feature_used": ['"  "', "null", "true", '{"x": 1}'],
               "session_end": ["-5", '"NaN"', "1e309", '"12abc"', '"-1"'],
               "nps_response": ["11", "7.5", "-1", "true", '"ten"'], "ticket_opened": ['" "', "null", "[1]"]}[kind]
        event_type = draw(st.sampled_from(SPELLINGS[kind]))
        properties = properties_for(kind, draw(st.sampled_from(bad)))
    return problem, (occurred_at, event_type, properties, loaded_at)


# A dbt build costs seconds whatever the rows, so each example is several users with several episodes.
EPISODES = [single_events, single_events, login_streaks, feature_bursts, session_sets, ticket_stories, quiet_users,
            nps_answers]


@st.composite
def event_sets(draw, max_users: int = 6):
    """(as_of_date, raw rows): a few users' episodes, bad rows and duplicates, in a drawn order."""
    as_of_text = draw(st.sampled_from(AS_OF_DATES))
    year, month, day = (int(part) for part in as_of_text.split("-"))
    as_of = day_number(year, month, day)
    rows = []
    serial = 0

    def add(user_id, account_id, body):
        nonlocal serial
        serial += 1
        event_id = f"e{serial:03d}"
        occurred_at, event_type, properties, loaded_at = body
        rows.append([event_id, occurred_at, user_id, account_id, event_type, properties, loaded_at])

    for index in range(1, draw(st.integers(1, max_users)) + 1):  # shrinks towards one user
        user_id = f"u{index}"
        account_id = draw(st.sampled_from([f"acct_{index}", None]))
        episodes = [unknown_only] if draw(st.integers(0, 5)) == 0 else draw(
            st.lists(st.sampled_from(EPISODES), min_size=1, max_size=6))
        for episode in episodes:
            for body in draw(episode(as_of)):
                spelled_user = draw(st.sampled_from([user_id, user_id, user_id, f" {user_id} ", f"{user_id}\t"]))
                add(spelled_user, draw(st.sampled_from([account_id, account_id, None])), body)
        for _ in range(draw(st.integers(0, 2))):
            problem, body = draw(bad_rows(as_of))
            blank = draw(st.sampled_from([None, "", "   ", "\t", " \r\n "]))
            add(blank if problem == "missing_user_id" else user_id, account_id, body)
            if problem == "missing_event_id":
                rows[-1][0] = blank

    # Duplicates: re-sent copies (later or earlier load, identical), and conflicting copies loaded at
    # the same instant, whose winner the contract leaves to the row's content.
    for _ in range(draw(st.integers(0, 3)) if rows else 0):
        original = draw(st.sampled_from(rows))
        copy = list(original)
        how = draw(st.sampled_from(["identical", "loaded_later", "loaded_earlier", "same_load_other_content",
                                    "padded_id"]))
        if how in ("loaded_later", "loaded_earlier") and copy[6] not in (None, "soon"):
            shift = (3600 if how == "loaded_later" else -3600) * MICROS_PER_SECOND
            copy[6] = render_timestamp(parse_timestamp(copy[6]) + shift, "+02:00")
            copy[5] = copy[5] if copy[4] not in SPELLINGS["session_end"] else '{"duration_seconds": 42}'
        elif how == "same_load_other_content":
            copy[3] = "acct_other" if copy[3] is None else None
        elif how == "padded_id" and copy[0]:
            copy[0] = draw(st.sampled_from([f" {copy[0]} ", f"{copy[0]}\t"]))
        rows.insert(draw(st.integers(0, len(rows))), copy)

    for index, row in enumerate(rows):
        rows[index] = tuple(row)
    return iso_date(as_of), rows
