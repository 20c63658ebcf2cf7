"""The sample generator, the CLI, and the main job on the sample data."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import subprocess
import sys
from collections import Counter, defaultdict

import pytest

from conftest import PROJECT_DIR, DbtProject

sys.path.insert(0, str(PROJECT_DIR / "scripts"))
import engagement  # noqa: E402
import generate_sample_events  # noqa: E402

DEPARTMENT_NAMES = ("engineering", "sales", "support", "marketing", "legal")


# sha256 of the default sample (--users 1000 --months 6 --seed 42) as generated before issue 10
PRODUCT_SAMPLE_SHA256 = "a00c2bcfffdd5c66b12de6ee933506f5a5a2abec046c46636b71e602b2a6750b"
LEAD_TYPES = {"email_opened", "meeting_attended", "demo_attended"}
EMPLOYEE_TYPES = {"survey_answered", "absence_recorded", "recognition_received"}
CONTENT_TYPES = {"article_read", "article_completed", "content_shared"}


def normalized_type(text: str) -> str:
    """Staging's event type normalization (engagement_normalize_event_type), in Python."""
    return re.sub(r"^_+|_+$", "", re.sub(r"[ \t\n\r\f\x0b.-]+", "_", text.strip().lower()))


@pytest.fixture(scope="module")
def default_sample(tmp_path_factory):
    path = tmp_path_factory.mktemp("default_sample") / "sample.csv"
    assert generate_sample_events.main(["--out", str(path)]) == 0
    return path


@pytest.fixture(scope="module")
def sample_rows(default_sample) -> list[dict]:
    with default_sample.open(newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def good_rows(sample_rows) -> list[dict]:
    """The new domains' rows, each event once, without the few deliberately bad copies."""
    seen, rows = set(), []
    for row in sample_rows:
        row = {**row, "canonical": normalized_type(row["event_type"])}
        if (row["canonical"] in generate_sample_events.NEW_EVENT_TYPES and not row["event_id"].startswith("bad_")
                and row["event_id"].strip() and row["event_id"] not in seen):
            seen.add(row["event_id"])
            row["props"] = json.loads(row["properties"])
            rows.append(row)
    return rows


def test_sample_is_deterministic_and_messy(default_sample, sample_rows, tmp_path):
    second = tmp_path / "b.csv"
    assert generate_sample_events.main(["--out", str(second)]) == 0
    assert default_sample.read_bytes() == second.read_bytes()

    rows = sample_rows
    assert 80_000 < len(rows) < 200_000
    assert len({row["user_id"] for row in rows}) >= 990
    months = Counter(row["occurred_at"][:7] for row in rows)
    assert all(months[f"2025-0{month}"] > 5_000 for month in range(1, 7))
    assert months["2025-07"] < 100  # only local times of late-June events with an east offset
    types = Counter(row["event_type"] for row in rows)
    assert {"Sign In", "USER-LOGIN", "feature-usage", "page_view", "NPS"} <= set(types)
    assert any(row["occurred_at"].endswith("+09:00") for row in rows)
    assert any("." in row["occurred_at"][19:] for row in rows)
    ids = Counter(row["event_id"] for row in rows)
    assert sum(1 for count in ids.values() if count > 1) > 100  # re-sent duplicates


def test_the_product_rows_are_the_sample_from_before_issue_10(default_sample):
    """The other domains draw from their own generators: without their rows, the file is the old one."""
    with default_sample.open(newline="") as handle:
        kept = [row for row in csv.reader(handle)
                if normalized_type(row[4]) not in generate_sample_events.NEW_EVENT_TYPES]
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(kept)
    assert hashlib.sha256(text.getvalue().encode()).hexdigest() == PRODUCT_SAMPLE_SHA256


def test_the_new_domains_hold_only_a_handful_of_bad_rows(sample_rows):
    bad = [row for row in sample_rows
           if normalized_type(row["event_type"]) in generate_sample_events.NEW_EVENT_TYPES
           and (row["event_id"].startswith("bad_") or not row["event_id"].strip())]
    assert 1 <= len(bad) <= 10
    types = Counter(normalized_type(row["event_type"]) for row in sample_rows)
    assert all(types[name] > 0 for name in generate_sample_events.NEW_EVENT_TYPES)
    spellings = {row["event_type"] for row in sample_rows}
    assert {"Email Opened", "Survey Answered", "seats_updated", "article_read"} <= spellings
    assert 10_000 < sum(types[name] for name in generate_sample_events.NEW_EVENT_TYPES) < 60_000


def test_the_sample_accounts_update_their_seats(sample_rows, good_rows):
    product = [row for row in sample_rows if row["user_id"].startswith("u")]
    seats = [row for row in good_rows if row["canonical"] == "seats_updated"]
    assert {row["account_id"] for row in seats} == {row["account_id"] for row in product}
    assert all(row["user_id"].startswith("u") for row in seats)
    for row in seats:
        assert set(row["props"]) == {"seats_used", "seats_purchased"}
        assert all(type(value) is int and value >= 0 for value in row["props"].values()), row
    within = sum(row["props"]["seats_used"] <= row["props"]["seats_purchased"] for row in seats)
    assert 0.95 < within / len(seats) < 1  # mostly, and a few over on purpose
    per_month = Counter((row["account_id"], row["occurred_at"][:7]) for row in seats
                        if row["occurred_at"].endswith("Z") and row["occurred_at"][8:10] not in ("01", "31"))
    assert max(per_month.values()) <= 3


def test_the_sample_reads_articles(sample_rows, good_rows):
    users = {row["user_id"] for row in sample_rows if row["user_id"].startswith("u")}
    content = [row for row in good_rows if row["canonical"] in CONTENT_TYPES]
    readers = {row["user_id"] for row in content}
    assert readers <= users and 0.3 < len(readers) / len(users) < 0.5
    ids = Counter(row["props"]["content_id"] for row in content)
    assert all(re.fullmatch(r"\s*article-\d{3}\s*", value) for value in ids)
    assert {"article-007\t", "article-012  ", " article-031"} <= set(ids)
    reads = Counter(row["props"]["content_id"].strip() for row in content if row["canonical"] == "article_read")
    assert 50 <= len(reads) <= 60
    ranked = [count for _, count in reads.most_common()]
    assert ranked[0] > 10 * ranked[len(ranked) // 2]  # a few very popular, a long tail
    types = Counter(row["canonical"] for row in content)
    assert types["article_read"] > types["article_completed"] > types["content_shared"] > 0
    assert all(type(row["props"]["read_seconds"]) is int for row in content if row["canonical"] == "article_read")
    channels = {row["props"]["channel"] for row in content if row["canonical"] == "content_shared"}
    assert channels == {"email", "slack", "x"}


def test_the_sample_has_leads_that_warm_up_and_go_stale(good_rows):
    leads = [row for row in good_rows if row["canonical"] in LEAD_TYPES]
    assert {row["user_id"] for row in leads} == {f"lead-{number:04d}" for number in range(1, 201)}
    assert len({row["account_id"] for row in leads}) == 60
    assert all(row["account_id"].startswith("prospect-") for row in leads)
    keys = {"email_opened": "campaign_id", "meeting_attended": "meeting_id", "demo_attended": "demo_id"}
    assert all(set(row["props"]) == {keys[row["canonical"]]} for row in leads)
    per_lead = Counter(row["user_id"] for row in leads)
    assert sum(count <= 3 for count in per_lead.values()) > 50  # many with only a few opens
    assert len({row["user_id"] for row in leads if row["canonical"] == "demo_attended"}) > 20  # hot leads
    last_seen = defaultdict(str)
    for row in leads:
        last_seen[row["user_id"]] = max(last_seen[row["user_id"]], row["occurred_at"][:10])
    assert sum(day < "2025-05-01" for day in last_seen.values()) > 50  # stale by June


def test_the_sample_has_employees_with_departments_and_quarterly_surveys(sample_rows, good_rows):
    employee_rows = [row for row in sample_rows if row["user_id"].startswith("emp-")]
    assert all(normalized_type(row["event_type"]) in EMPLOYEE_TYPES for row in employee_rows)
    assert all(row["account_id"] == "" for row in employee_rows)
    assert all("department" in json.loads(row["properties"]) for row in employee_rows)
    employees = [row for row in good_rows if row["canonical"] in EMPLOYEE_TYPES]
    department_of = {}
    for row in employees:
        assert department_of.setdefault(row["user_id"], row["props"]["department"]) == row["props"]["department"]
    assert Counter(department_of.values()) == {"engineering": 60, "sales": 35, "support": 30, "marketing": 21,
                                               "legal": 4}
    surveys = [row for row in employees if row["canonical"] == "survey_answered"]
    assert all(type(row["props"]["answer"]) is int and 1 <= row["props"]["answer"] <= 5 for row in surveys)
    assert {row["props"]["question_id"] for row in surveys} == {f"q{number}" for number in range(1, 9)}
    answered = Counter((row["user_id"], row["occurred_at"][:7] < "2025-04", row["props"]["question_id"])
                       for row in surveys)
    assert max(answered.values()) == 1  # once per question and quarter
    respondents = {quarter: {emp for emp, first_quarter, _ in answered if first_quarter == quarter}
                   for quarter in (True, False)}
    assert all(100 < len(people) < 150 for people in respondents.values())  # some skip a quarter
    assert all(row["occurred_at"][:10] <= "2025-01-23" or "2025-04-01" <= row["occurred_at"][:10] <= "2025-04-23"
               for row in surveys if row["occurred_at"].endswith("Z"))
    mean = {department: sum(answers) / len(answers) for department in DEPARTMENT_NAMES
            for answers in [[row["props"]["answer"] for row in surveys if row["props"]["department"] == department]]}
    assert mean["support"] + 0.5 < mean["engineering"]
    absences = [row["props"]["days"] for row in employees if row["canonical"] == "absence_recorded"]
    assert set(absences) == {1, 0.5}
    givers = {row["props"]["from_employee"] for row in employees if row["canonical"] == "recognition_received"}
    assert givers <= set(department_of)


def test_cli_help_and_usage_errors(capsys):
    for argv in (["--help"], ["run", "--help"], ["sample", "--help"]):
        with pytest.raises(SystemExit) as exit_info:
            engagement.main(argv)
        assert exit_info.value.code == 0
    assert "--as-of" in capsys.readouterr().out

    with pytest.raises(SystemExit) as exit_info:
        engagement.main(["no-such-command"])
    assert exit_info.value.code == 2

    assert engagement.main(["run", "--as-of", "2025-02-30"]) == 2
    assert "--as-of must be a date written YYYY-MM-DD, got '2025-02-30'" in capsys.readouterr().err
    # Python reads these as 2025-03-20; the documented form is YYYY-MM-DD only
    for other_form in ("20250320", "2025-W12-4"):
        assert engagement.main(["run", "--as-of", other_form]) == 2
        assert f"--as-of must be a date written YYYY-MM-DD, got '{other_form}'" in capsys.readouterr().err
    # after tomorrow (UTC): every entity inactive until then, and the append-only history kept it
    tomorrow = dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=1)
    later = (tomorrow + dt.timedelta(days=1)).isoformat()
    assert engagement.main(["run", "--as-of", later]) == 2
    assert f"--as-of {later} is after tomorrow ({tomorrow.isoformat()}, UTC)" in capsys.readouterr().err
    assert engagement.parse_as_of(tomorrow.isoformat()) == tomorrow.isoformat()
    assert engagement.main(["run", "--score-model", "nope"]) == 2
    assert "--score-model 'nope' is not declared; declared: content_engagement, content_item_engagement, " \
           "employee_engagement, lead_engagement, product_engagement, saas_account, saas_customer" in capsys.readouterr().err


def test_a_bad_var_is_refused_with_its_name(project):
    with pytest.raises(Exception, match="var 'as_of_date' must be a date written YYYY-MM-DD, got '2025-02-30'"):
        project.build({"events_path": str(PROJECT_DIR / "tests/fixtures/integration/raw_events.csv"),
                       "as_of_date": "2025-02-30"})
    with pytest.raises(Exception, match="var 'max_days_after_loaded_at' must be a whole number >= 0, got '1; drop'"):
        project.build({"max_days_after_loaded_at": "1; drop"})
    with pytest.raises(Exception, match="var 'as_of_date' must not be after tomorrow .*, got '2999-01-01'"):
        project.build({"events_path": str(PROJECT_DIR / "tests/fixtures/integration/raw_events.csv"),
                       "as_of_date": "2999-01-01"})


def test_a_quote_in_a_var_stays_data(project, tmp_path):
    odd = tmp_path / "it's events.csv"
    odd.write_bytes((PROJECT_DIR / "tests/fixtures/integration/raw_events.csv").read_bytes())
    result, failures = project.build({"events_path": str(odd)})
    assert result.success, failures
    # the quote reached the file name intact
    assert project.query("select count(*) from fct_events")[0][0] > 0


def test_an_undeclared_score_model_is_refused(project):
    with pytest.raises(Exception, match="var 'score_model' names no declared score model: 'x' or '1' = '1'"):
        project.build({"score_model": "x' or '1' = '1"})


def test_main_job_on_the_sample(default_sample, tmp_path):
    """`engagement run` end to end in a subprocess, as the README's command runs it."""
    events = default_sample
    database = tmp_path / "sample.duckdb"
    completed = subprocess.run(
        [sys.executable, str(PROJECT_DIR / "scripts" / "engagement.py"), "run", "--events", str(events),
         "--accounts", str(events.with_name("sample_accounts.csv"))],
        capture_output=True, text=True, env={**__import__("os").environ, "ENGAGEMENT_DUCKDB_PATH": str(database),
                                               "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        timeout=600,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    # a summary per model, each of its latest period
    for heading in ("saas_customer: the month starting 2025-06-01 (999 entities), the 30 days to 2025-06-30 (999)",
                    "lead_engagement: the week starting 2025-06-30 (200 entities), the 28 days to 2025-06-30",
                    "content_item_engagement: the month starting 2025-06-01 (60 entities)"):
        assert heading in completed.stdout, completed.stdout[-3000:]
    for band in ("high", "medium", "at_risk", "hot", "warm", "cold"):
        assert f"  {band} " in completed.stdout
    # issue 13: the report is written beside the published file, and run says where
    report = tmp_path / "sample_report.html"
    assert f"report: {report} (open it in a browser" in completed.stdout and report.stat().st_size > 1_000_000

    project = DbtProject(PROJECT_DIR, tmp_path)
    project.database = database
    with events.open(newline="") as handle:
        raw = sum(1 for _ in csv.DictReader(handle))
    clean = project.query("select count(*) from fct_events")[0][0]
    rejected = dict(project.query("select reject_reason, count(*) from rejected_events group by 1"))
    assert clean + sum(rejected.values()) == raw
    assert set(rejected) == {"missing_event_id", "missing_user_id", "missing_event_type", "invalid_timestamp",
                             "out_of_range_timestamp", "invalid_properties", "duplicate_event_id"}
    # every user has every month from their first event's month through June, active or not
    gaps = project.query(
        """
        select entity_id from fct_engagement_scores where score_model = 'saas_customer'
        group by entity_id
        having count(*) <> date_diff('month', min(period_start), date '2025-06-01') + 1
            or max(period_start) <> date '2025-06-01'
        """
    )
    assert gaps == []
    # issue 13: the sample's CRM accounts, 3 bad rows kept with their reason
    assert project.query("select count(*) from dim_accounts where is_in_crm")[0][0] > 150
    assert project.query("select count(*) from fct_rejected_accounts")[0][0] == 3
    quiet = project.query("select count(*) from fct_engagement_score_components "
                          "where score_model = 'saas_customer' and signal = 'inactivity' and points < 0")[0][0]
    assert quiet > 0


def test_a_build_that_spills_to_disk_gives_the_same_scores(tmp_path):
    """With a memory cap far below what the sample needs, DuckDB spills to its temp_directory; the
    build must still succeed on both threads (dbt-duckdb once re-ran SET temp_directory on every new
    cursor, which DuckDB refuses after a spill) and give the scores of an uncapped build."""
    # 192MB on a sample of 5,000 users (646k rows): it spills 12.0-22.5MB (4 runs; 160MB 27.8-33.8MB
    # in 2). Under 256MB it spilled 6.9-15.7MB once the events layer stopped building a hash table on
    # every raw row (58-66MB before), and only 0.2MB once the measures stopped counting active days
    # with a distinct count (2026-12-03 night), too little to test a spill by. The cap
    # has room above the build's floor: what DuckDB cannot spill (hash-table directories, blocks in
    # flight) grows with the input; 5,000 users under 128MB ran out of memory (2 of 2), and before
    # that fix 3,000 users under 160MB about one run in four. The temp directory is watched while
    # the build runs, so the test fails if nothing spilled.
    events = tmp_path / "sample" / "sample.csv"
    events.parent.mkdir()
    assert generate_sample_events.main(["--out", str(events), "--users", "5000"]) == 0
    scores = {}
    import os
    import time

    spilled = {}
    for memory_limit in ("192MB", "80%"):
        database = tmp_path / f"sample-{memory_limit.strip('%')}.duckdb"
        spill_dirs = [tmp_path / f"{database.name}.building.tmp", tmp_path / f"{database.name}.tmp"]
        with open(tmp_path / "run.log", "w") as log:
            build = subprocess.Popen(
                [sys.executable, str(PROJECT_DIR / "scripts" / "engagement.py"), "run", "--events", str(events),
         "--accounts", str(events.with_name("sample_accounts.csv"))],
                stdout=log, stderr=subprocess.STDOUT, text=True,
                env={**os.environ, "ENGAGEMENT_DUCKDB_PATH": str(database), "ENGAGEMENT_THREADS": "2",
                     "ENGAGEMENT_DUCKDB_MEMORY_LIMIT": memory_limit, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
            )
            most = 0
            deadline = time.monotonic() + 600
            while build.poll() is None and time.monotonic() < deadline:
                for folder in spill_dirs:
                    if folder.is_dir():
                        most = max(most, sum(f.stat().st_size for f in folder.iterdir() if f.is_file()))
                time.sleep(0.02)
            returncode = build.wait(timeout=5)
        output = (tmp_path / "run.log").read_text()
        assert returncode == 0, output[-3000:]
        spilled[memory_limit] = most
        project = DbtProject(PROJECT_DIR, tmp_path)
        project.database = database
        scores[memory_limit] = project.query("select * from fct_engagement_scores order by all")
    assert spilled["192MB"] > 2_000_000, spilled
    assert len(scores["192MB"]) > 25_000
    assert scores["192MB"] == scores["80%"]


def test_the_review_line_says_which_way_an_auc_reads(capsys):
    """The marts hold the raw AUC (below 0.5 when a lower score goes with the outcome, as churn does);
    `run` prints it with the direction and the figure read that way, so 0.14 is not taken for a failure."""
    rows = [("saas_customer", "churned", "nps", 1, "0.1285", "0.1418", 3886, 827, 5, 5, 0),
            ("saas_customer", "churned", "login_frequency", 2, "0.6500", "0.1418", 3886, 827, 5, 5, 0),
            ("lead_engagement", "won", "demos", 1, None, "0.7000", 10, 2, 0, 0, 0)]
    engagement.print_review(rows)
    lines = capsys.readouterr().out.strip().splitlines()
    assert ("score AUC 0.1418 (lower score goes with churned: 0.8582)" in lines[1]
            and "nps (AUC 0.1285; lower goes with it: 0.8715)" in lines[1]
            and "login_frequency (AUC 0.6500; higher goes with it: 0.6500)" in lines[1]), lines
    assert "score AUC 0.7000 (higher score goes with won: 0.7000)" in lines[2] and "demos (AUC None; no AUC)" in lines[2]


def test_the_duckdb_profile_keeps_no_insertion_order(project):
    """The profile opens DuckDB with preserve_insertion_order off (keeping an order no model needs
    holds rows in memory, and a capped build ran out of memory with it on): read back through dbt's
    own connection, as every model sees it."""
    result = project.dbt("show", "--inline", "select current_setting('preserve_insertion_order') as kept")
    assert result.success
    assert [tuple(row) for row in result.result.results[0].agate_table.rows] == [(False,)]
