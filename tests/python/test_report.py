"""The HTML report (issue 13), opened in a real headless Chromium (Debian's chromium, driven by
playwright's Python API): no console errors, no network, every chart drawn, the numbers in the page
equal to the marts' (computed here independently), and a screenshot under the test's output."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from conftest import PROJECT_DIR

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
HOSTILE_NAME = '</script><script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'


def write_report(database: Path, output: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(PROJECT_DIR / "scripts" / "engagement.py"), "report",
                           "--database", str(database), "--output", str(output)],
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is missing: run `make system-deps` (Debian's chromium package)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def hostile_database(built_sample, tmp_path_factory) -> Path:
    """A copy of the built sample whose lowest-scoring account has a name made to break out of the page."""
    copy = tmp_path_factory.mktemp("hostile_report") / "engagement.duckdb"
    shutil.copy2(built_sample.database, copy)
    with duckdb.connect(str(copy)) as connection:
        connection.execute(
            """
            update dim_accounts set account_name = ? where account_id = (
                select account_id from fct_account_engagement
                where period_start = (select max(period_start) from fct_account_engagement)
                order by normalized_score, account_id limit 1)
            """, [HOSTILE_NAME])
    return copy


def open_report(browser, path: Path):
    """The page, loaded with every network request refused; returns (page, console errors, requests)."""
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    errors, requests = [], []
    page.on("console", lambda message: errors.append(message.text) if message.type in ("error", "warning") else None)
    page.on("pageerror", lambda error: errors.append(str(error)))

    def refuse(route):
        requests.append(route.request.url)
        route.abort()

    page.route(lambda url: not url.startswith("file:"), refuse)
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, errors, requests


def table_values(page, table_id: str) -> list[list]:
    """The rows of a table: text cells as text, number cells as their data-value (None for '-')."""
    return page.eval_on_selector_all(
        f"#{table_id} tbody tr",
        """rows => rows.map(row => Array.from(row.cells).map(cell =>
            cell.classList.contains('num') ? (cell.dataset.value === '' ? null : Number(cell.dataset.value))
                                           : cell.textContent))""")


def close(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(b)))


def rows_equal(got: list[list], expected: list[tuple]) -> bool:
    if len(got) != len(expected):
        return False
    for got_row, expected_row in zip(got, expected):
        for a, b in zip(got_row, expected_row):
            if isinstance(b, str) or (b is None and isinstance(a, str)):
                if a != ("-" if b is None else b):
                    return False
            elif isinstance(a, str) or not close(a, b):  # a number must be a number cell (data-value)
                return False
    return True


def test_the_report_renders_in_chromium_with_the_marts_numbers(built_sample, browser, tmp_path):
    output = tmp_path / "report.html"
    done = write_report(built_sample.database, output)
    assert done.returncode == 0, done.stderr
    assert "cdn" not in output.read_text(encoding="utf-8").lower()[:2000]
    page, errors, requests = open_report(browser, output)
    try:
        assert errors == [] and requests == []
        charts = page.eval_on_selector_all(
            ".chart", """charts => charts.map(chart => {
                const svg = chart.querySelector('svg.main-svg');
                const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
                return [chart.id, box.width, box.height, chart.querySelectorAll('.trace').length,
                        chart.querySelectorAll('.point path, .bars path').length];
            })""")
        models = [model for (model,) in built_sample.query(
            "select distinct score_model from fct_engagement_scores order by 1")]
        # four charts per model (band mix, distribution, drops, signals), the accounts by plan and
        # the outcome rates by band
        assert len(charts) == 4 * len(models) + 2
        for chart_id, width, height, traces, marks in charts:
            assert width > 100 and height > 100 and traces > 0 and marks > 0, chart_id

        for model in models:
            key = model.replace("_", "-")
            [(period,)] = built_sample.query(
                f"select max(period_start) from fct_engagement_scores where score_model = '{model}'")
            bands = built_sample.query(
                f"""
                select scores.band, count(*), count(*) / (select count(*) from fct_engagement_scores
                    where score_model = '{model}' and period_start = '{period}'), avg(scores.normalized_score)
                from fct_engagement_scores as scores
                left join engagement_bands as bands on scores.score_model = bands.score_model and scores.band = bands.band
                where scores.score_model = '{model}' and scores.period_start = '{period}'
                group by scores.band, bands.band_order order by bands.band_order
                """)
            assert rows_equal(table_values(page, f"bands-{key}"), bands), model
            # drops: this period's score against the same entity's row for the period before (no window function)
            drops = built_sample.query(
                f"""
                select now.entity_id, now.account_id, before.band, now.band, before.score, now.score,
                       now.score - before.score as change
                from fct_engagement_scores as now
                inner join fct_engagement_scores as before
                    on now.score_model = before.score_model and now.entity_id = before.entity_id
                    and before.period_start = (select max(period_start) from fct_engagement_scores as earlier
                        where earlier.score_model = now.score_model and earlier.entity_id = now.entity_id
                        and earlier.period_start < now.period_start)
                where now.score_model = '{model}' and now.period_start = '{period}' and now.score < before.score
                order by change, now.entity_id limit 10
                """)
            assert drops and rows_equal(table_values(page, f"drops-{key}"), drops), model
            # alerts (issue 11's mart): per type, in the model's latest alert period
            alert_counts = built_sample.query(
                f"""
                select alert_type, count(*) from fct_engagement_alerts
                where score_model = '{model}' and period_start = (
                    select max(period_start) from fct_engagement_alerts where score_model = '{model}')
                group by alert_type order by alert_type
                """)
            assert rows_equal(table_values(page, f"alerts-{key}"), alert_counts), model
            signals = built_sample.query(
                f"""
                select signal, sum(points), sum(points) / (select sum(score) from fct_engagement_scores
                    where score_model = '{model}' and period_start = '{period}')
                from fct_engagement_score_components where score_model = '{model}' and period_start = '{period}'
                group by signal order by sum(points) desc, signal
                """)
            assert rows_equal(table_values(page, f"signals-{key}"), signals), model

        accounts = built_sample.query(
            """
            select engagement.score_model, engagement.account_id, crm.account_name, crm.plan, crm.arr, crm.account_owner,
                   crm.region, engagement.band, engagement.normalized_score, engagement.users_scored,
                   engagement.avg_user_normalized_score, engagement.share_in_lowest_band
            from fct_account_engagement as engagement
            left join dim_accounts as crm on engagement.account_id = crm.account_id
            where engagement.period_start = (select max(period_start) from fct_account_engagement)
            order by engagement.normalized_score, engagement.account_id limit 25
            """)
        assert any(row[3] for row in accounts)  # CRM attributes are there
        assert rows_equal(table_values(page, "accounts-lowest"), accounts)
        plans = built_sample.query(
            """
            select engagement.score_model, coalesce(crm.plan, '(no CRM plan)') as plan, count(*),
                   avg(engagement.normalized_score)
            from fct_account_engagement as engagement
            left join dim_accounts as crm on engagement.account_id = crm.account_id
            where engagement.period_start = (select max(period_start) from fct_account_engagement)
            group by all order by 1, 2
            """)
        assert rows_equal(table_values(page, "accounts-by-plan"), plans) and len(plans) >= 4
        # outcome rates by band, pooled over the reviewed periods (the sample has outcomes)
        outcomes = built_sample.query(
            """
            select c.score_model, c.outcome, c.band, sum(c.entities), sum(c.entities_with_outcome),
                   sum(c.entities_with_outcome) * 1.0 / sum(c.entities)
            from fct_engagement_outcome_calibration as c
            group by all order by c.score_model, c.outcome, min(c.band_order), c.band
            """)
        assert outcomes and rows_equal(table_values(page, "outcomes"), outcomes)
        churned_at_risk = [row for row in outcomes if row[1] == "churned" and row[2] == "at_risk"][0]
        churned_high = [row for row in outcomes if row[1] == "churned" and row[2] == "high"][0]
        assert churned_at_risk[5] > churned_high[5]  # the sample's hidden relation shows
        screenshot = tmp_path / "report.png"
        page.screenshot(path=str(screenshot), full_page=True)
        assert screenshot.stat().st_size > 50_000
    finally:
        page.close()


def test_values_from_the_data_stay_text(hostile_database, browser, tmp_path):
    """An account name made of script tags is shown as text and runs nothing."""
    output = tmp_path / "report.html"
    done = write_report(hostile_database, output)
    assert done.returncode == 0, done.stderr
    page, errors, requests = open_report(browser, output)
    try:
        assert errors == [] and requests == []
        assert page.evaluate("window.__pwned") is None
        assert HOSTILE_NAME in [row[2] for row in table_values(page, "accounts-lowest")]
        page.screenshot(path=str(tmp_path / "report-hostile.png"))
    finally:
        page.close()


def test_without_an_alerts_table_the_report_says_so(built_sample, tmp_path):
    """A build without fct_engagement_alerts (an older one) still gets a report, which says so; and
    one without outcomes (the calibration mart empty) says that."""
    copy = tmp_path / "engagement.duckdb"
    shutil.copy2(built_sample.database, copy)
    with duckdb.connect(str(copy)) as connection:
        connection.execute("drop table fct_engagement_alerts")
        connection.execute("delete from fct_engagement_outcome_calibration")
    output = tmp_path / "report.html"
    done = write_report(copy, output)
    assert done.returncode == 0, done.stderr
    page = output.read_text(encoding="utf-8")
    assert 'id="alerts-saas-customer">No alerts table in this build' in page
    assert '<table id="alerts-saas-customer">' not in page
    assert 'id="outcomes-missing">No outcomes in this build.' in page


def test_report_cli_errors_are_one_line(tmp_path):
    done = write_report(tmp_path / "missing.duckdb", tmp_path / "report.html")
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and "no published marts" in done.stderr
    (tmp_path / "folder.html").mkdir()
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    done = write_report(empty, tmp_path / "folder.html")
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "is a folder" in done.stderr
    done = write_report(empty, tmp_path / "report.html")
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and "has no fct_engagement_scores" in done.stderr
