"""The engagement report (issue 13): one self-contained HTML file drawn from the published marts.

Per score model: the band mix over time, the score distribution of the latest period, its bands,
the biggest drops (computed here from fct_engagement_scores, each entity's score against its
previous period) and the alerts (fct_engagement_alerts, when the build has that mart), and each
signal's points; then the account view (fct_account_engagement with the CRM attributes of
dim_accounts) and, when the build has an outcomes mart, outcome rates by band.

Charts are plotly (Vega-free, no CDN): plotly.js is embedded once in the file, so it opens with no
network. Every value from the data reaches the page escaped (html.escape for text, JSON with `<`
escaped inside scripts); queries take values as parameters, never pasted into SQL. It reads the
DuckDB file read-only (the published one: `engagement.py run` swaps a whole build in atomically).
"""

from __future__ import annotations

import datetime as dt
import decimal
import html
import json
from pathlib import Path

import duckdb

TOP_ROWS = 10
ACCOUNT_ROWS = 25


class ReportError(Exception):
    """The report cannot be written (no marts, unreadable file): one line for the CLI."""


def _plain(value):
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


class Marts:
    """Read-only queries on the published marts; values always passed as parameters."""

    def __init__(self, connection: duckdb.DuckDBPyConnection):
        self.connection = connection
        self.tables = {name for (name,) in connection.execute(
            "select table_name from information_schema.tables where table_schema = current_schema()").fetchall()}

    def rows(self, sql: str, *params) -> list[tuple]:
        return [tuple(_plain(value) for value in row) for row in self.connection.execute(sql, list(params)).fetchall()]

    def columns(self, table: str) -> list[str]:
        return [name for (name,) in self.connection.execute(
            "select column_name from information_schema.columns where table_schema = current_schema() "
            "and table_name = ? order by ordinal_position", [table]).fetchall()]


# The report's figures, one query each (the test runs the same functions' SQL against its own
# expectations, computed independently).

def score_models(marts: Marts) -> list[str]:
    return [model for (model,) in marts.rows("select distinct score_model from fct_engagement_scores order by 1")]


def band_order(marts: Marts, model: str) -> list[str]:
    if "engagement_bands" not in marts.tables:
        return []
    return [band for (band,) in marts.rows(
        "select band from engagement_bands where score_model = ? order by band_order", model)]


def latest_period(marts: Marts, model: str):
    return marts.rows("select max(period_start) from fct_engagement_scores where score_model = ?", model)[0][0]


def band_mix_over_time(marts: Marts, model: str) -> list[tuple]:
    return marts.rows(
        """
        select period_start, coalesce(band, '(none)') as band, count(*) as entities
        from fct_engagement_scores where score_model = ?
        group by period_start, band order by period_start, band
        """, model)


def latest_bands(marts: Marts, model: str, period) -> list[tuple]:
    """band, entities, share of the period's entities, average normalized score."""
    return marts.rows(
        """
        select coalesce(band, '(none)') as band, count(*) as entities,
               count(*) / sum(count(*)) over () as share, avg(normalized_score) as average_normalized_score
        from fct_engagement_scores where score_model = ? and period_start = ?
        group by band order by band
        """, model, period)


def score_distribution(marts: Marts, model: str, period) -> list[tuple]:
    """Entities per 10-point bin of the normalized score (0-10, ..., 90-100; 100 falls in the last)."""
    return marts.rows(
        """
        select least(cast(floor(normalized_score / 10) as integer), 9) * 10 as bin_start, count(*) as entities
        from fct_engagement_scores where score_model = ? and period_start = ?
        group by bin_start order by bin_start
        """, model, period)


def biggest_drops(marts: Marts, model: str, period, limit: int = TOP_ROWS) -> list[tuple]:
    """The entities whose score fell most from their previous period into the latest one."""
    return marts.rows(
        """
        with scores as (
            select
                entity_id, account_id, period_start, score, band,
                lag(score) over (partition by entity_id order by period_start) as previous_score,
                lag(band) over (partition by entity_id order by period_start) as previous_band
            from fct_engagement_scores where score_model = ?
        )
        select entity_id, account_id, previous_band, band, previous_score, score, score - previous_score as change
        from scores
        where period_start = ? and previous_score is not null and score < previous_score
        order by change, entity_id
        limit ?
        """, model, period, limit)


def alerts(marts: Marts, model: str, limit: int = TOP_ROWS) -> tuple[list[tuple], list[tuple]] | None:
    """(alerts per type in the model's latest alert period, the latest alerts) or None without the mart."""
    if "fct_engagement_alerts" not in marts.tables:
        return None
    counts = marts.rows(
        """
        select alert_type, count(*) from fct_engagement_alerts
        where score_model = ? and period_start = (select max(period_start) from fct_engagement_alerts where score_model = ?)
        group by alert_type order by alert_type
        """, model, model)
    latest = marts.rows(
        """
        select period_start, alert_type, entity_id, account_id, previous_score, score, score_change, previous_band, band
        from fct_engagement_alerts where score_model = ?
        order by period_start desc, score_change, entity_id, alert_type
        limit ?
        """, model, limit)
    return counts, latest


def signal_points(marts: Marts, model: str, period) -> list[tuple]:
    """signal, total points in the period, share of the period's total score (penalties negative)."""
    return marts.rows(
        """
        select signal, sum(points) as points, sum(points) / nullif(sum(sum(points)) over (), 0) as share
        from fct_engagement_score_components where score_model = ? and period_start = ?
        group by signal order by points desc, signal
        """, model, period)


def account_view(marts: Marts, limit: int = ACCOUNT_ROWS) -> list[tuple]:
    """The accounts of the latest period of each account model, lowest scores first, with CRM attributes."""
    if "fct_account_engagement" not in marts.tables:
        return []
    crm = "dim_accounts" in marts.tables
    return marts.rows(
        f"""
        with latest as (
            select score_model, max(period_start) as period_start from fct_account_engagement group by score_model
        )
        select
            accounts.score_model, accounts.account_id,
            {'crm.account_name, crm.plan, crm.arr, crm.account_owner, crm.region' if crm else 'null, null, null, null, null'},
            accounts.band, accounts.normalized_score, accounts.users_scored, accounts.avg_user_normalized_score,
            accounts.share_in_lowest_band
        from fct_account_engagement as accounts
        inner join latest on accounts.score_model = latest.score_model and accounts.period_start = latest.period_start
        {'left join dim_accounts as crm on accounts.account_id = crm.account_id' if crm else ''}
        order by accounts.normalized_score, accounts.account_id, accounts.score_model
        limit ?
        """, limit)


def score_by_plan(marts: Marts) -> list[tuple]:
    """Average normalized account score of the latest period per CRM plan (empty without dim_accounts)."""
    if "fct_account_engagement" not in marts.tables or "dim_accounts" not in marts.tables:
        return []
    return marts.rows(
        """
        with latest as (
            select score_model, max(period_start) as period_start from fct_account_engagement group by score_model
        )
        select accounts.score_model, coalesce(crm.plan, '(no CRM plan)') as plan, count(*) as accounts,
               avg(accounts.normalized_score) as average_normalized_score
        from fct_account_engagement as accounts
        inner join latest on accounts.score_model = latest.score_model and accounts.period_start = latest.period_start
        left join dim_accounts as crm on accounts.account_id = crm.account_id
        group by accounts.score_model, plan order by accounts.score_model, plan
        """)


OUTCOME_RATES_SQL = """
select
    score_model,
    outcome,
    band,
    min(band_order) as band_order,
    sum(entities) as entities,
    sum(entities_with_outcome) as entities_with_outcome,
    sum(entities_with_outcome) * 1.0 / nullif(sum(entities), 0) as outcome_rate
from fct_engagement_outcome_calibration
group by score_model, outcome, band
order by score_model, outcome, band_order, band
"""


def outcome_rates(marts: Marts) -> list[tuple]:
    """Per model, outcome and band, pooled over the reviewed periods: entities, how many had the
    outcome within the horizon, and the rate (fct_engagement_outcome_calibration; none without outcomes)."""
    if "fct_engagement_outcome_calibration" not in marts.tables:
        return []
    return marts.rows(OUTCOME_RATES_SQL)


# --- HTML ---

def esc(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def fmt(value, kind: str = "number") -> str:
    if value is None:
        return "-"
    if kind == "int":
        return f"{int(value):,}"
    if kind == "share":
        return f"{100 * float(value):.1f}%"
    if kind == "money":
        return f"{float(value):,.0f}"
    if isinstance(value, (int, float)):
        return f"{float(value):,.2f}"
    return str(value)


def cell(value, kind: str = "text") -> str:
    """A table cell; numbers carry their exact value in data-value, for readers and the tests."""
    if kind == "text":
        return f"<td>{esc(value if value is not None else '-')}</td>"
    raw = "" if value is None else repr(float(value))
    return f'<td class="num" data-value="{esc(raw)}">{esc(fmt(value, kind))}</td>'


def table(table_id: str, headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{esc(name)}</th>" for name in headers)
    body = "".join("<tr>" + "".join(row) + "</tr>" for row in rows)
    return f'<table id="{esc(table_id)}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


class Charts:
    """Plotly figures as divs plus one script each; plotly.js itself is embedded once in the head."""

    def __init__(self):
        self.count = 0

    def figure(self, chart_id: str, data: list[dict], layout: dict) -> str:
        self.count += 1
        spec = {"data": data, "layout": {"height": 320, "margin": {"l": 50, "r": 20, "t": 40, "b": 50}, **layout}}
        payload = json.dumps(spec, default=_plain).replace("<", "\\u003c").replace(">", "\\u003e").replace(
            "&", "\\u0026")
        return (f'<div class="chart" id="{esc(chart_id)}"></div>'
                f'<script>(function () {{ var spec = {payload}; '
                f'Plotly.newPlot({json.dumps(chart_id)}, spec.data, spec.layout, '
                f'{{displaylogo: false, responsive: true, staticPlot: false}}); }})();</script>')


BAND_COLORS = ["#2e7d32", "#f9a825", "#c62828", "#6a1b9a"]  # best band green ... lowest red


def band_color(order: list[str], band: str) -> str:
    if band not in order:
        return "#9e9e9e"
    index = order.index(band)
    return BAND_COLORS[-2] if index == len(order) - 1 and len(order) <= 3 else BAND_COLORS[min(index, 3)]


def slug(text: str) -> str:
    return "".join(character if character.isalnum() else "-" for character in text.lower())


def model_section(marts: Marts, charts: Charts, model: str) -> str:
    period = latest_period(marts, model)
    order = band_order(marts, model)
    mix = band_mix_over_time(marts, model)
    bands_seen = sorted({band for _, band, _ in mix}, key=lambda band: (order.index(band) if band in order else 99, band))
    periods = sorted({period_start for period_start, _, _ in mix})
    counts = {(period_start, band): entities for period_start, band, entities in mix}
    key = slug(model)
    parts = [f'<section class="model" id="model-{esc(key)}"><h2>{esc(model)}</h2>',
             f'<p>Latest period: <strong>{esc(period)}</strong>.</p>']

    parts.append("<h3>Band mix over time</h3>")
    parts.append(charts.figure(f"chart-{key}-band-mix", [
        {"type": "bar", "name": band, "x": periods, "y": [counts.get((p, band), 0) for p in periods],
         "marker": {"color": band_color(order, band)}}
        for band in bands_seen], {"barmode": "stack", "yaxis": {"title": "entities"}}))

    parts.append(f"<h3>Score distribution, {esc(period)}</h3>")
    bins = score_distribution(marts, model, period)
    parts.append(charts.figure(f"chart-{key}-distribution", [
        {"type": "bar", "x": [f"{start}-{start + 10}" for start, _ in bins], "y": [entities for _, entities in bins],
         "name": "entities"}], {"xaxis": {"title": "normalized score"}, "yaxis": {"title": "entities"}}))
    bands = sorted(latest_bands(marts, model, period),
                   key=lambda row: (order.index(row[0]) if row[0] in order else 99, row[0]))
    parts.append(table(f"bands-{key}", ["band", "entities", "share", "average normalized score"],
                       [[cell(band), cell(entities, "int"), cell(share, "share"), cell(average, "number")]
                        for band, entities, share, average in bands]))

    parts.append(f"<h3>Biggest drops into {esc(period)}</h3>")
    drops = biggest_drops(marts, model, period)
    if drops:
        parts.append(charts.figure(f"chart-{key}-drops", [
            {"type": "bar", "orientation": "h", "y": [row[0] for row in drops][::-1],
             "x": [row[6] for row in drops][::-1], "name": "score change"}],
            {"xaxis": {"title": "score change"}, "yaxis": {"automargin": True}}))
        parts.append(table(f"drops-{key}", ["entity", "account", "previous band", "band", "previous score", "score",
                                            "change"],
                           [[cell(row[0]), cell(row[1]), cell(row[2]), cell(row[3]), cell(row[4], "number"),
                             cell(row[5], "number"), cell(row[6], "number")] for row in drops]))
    else:
        parts.append(f'<p id="drops-{esc(key)}">No score fell from the previous period.</p>')
    found = alerts(marts, model)
    if found is None:
        parts.append(f'<p class="missing" id="alerts-{esc(key)}">No alerts table in this build '
                     '(fct_engagement_alerts).</p>')
    else:
        alert_counts, latest = found
        parts.append(table(f"alerts-{key}", ["alert", "alerts in the latest period"],
                           [[cell(kind), cell(count, "int")] for kind, count in alert_counts]))
        parts.append(table(f"alerts-latest-{key}", ["period", "alert", "entity", "account", "previous score", "score",
                                                    "change", "previous band", "band"],
                           [[cell(row[0]), cell(row[1]), cell(row[2]), cell(row[3]), cell(row[4], "number"),
                             cell(row[5], "number"), cell(row[6], "number"), cell(row[7]), cell(row[8])]
                            for row in latest]))

    parts.append(f"<h3>Each signal's points, {esc(period)}</h3>")
    signals = signal_points(marts, model, period)
    parts.append(charts.figure(f"chart-{key}-signals", [
        {"type": "bar", "x": [row[0] for row in signals], "y": [row[1] for row in signals], "name": "points"}],
        {"yaxis": {"title": "points (all entities)"}}))
    parts.append(table(f"signals-{key}", ["signal", "points", "share of the total score"],
                       [[cell(signal), cell(points, "number"), cell(share, "share")]
                        for signal, points, share in signals]))
    parts.append("</section>")
    return "".join(parts)


def accounts_section(marts: Marts, charts: Charts) -> str:
    parts = ['<section id="accounts"><h2>Accounts</h2>']
    rows = account_view(marts)
    if not rows:
        parts.append('<p class="missing">No account roll-up in this build (fct_account_engagement).</p></section>')
        return "".join(parts)
    if "dim_accounts" not in marts.tables:
        parts.append('<p class="missing">No dim_accounts in this build: no CRM attributes.</p>')
    plans = score_by_plan(marts)
    if plans:
        by_model: dict[str, list[tuple]] = {}
        for model, plan, accounts, average in plans:
            by_model.setdefault(model, []).append((plan, accounts, average))
        parts.append("<h3>Average account score by CRM plan, latest period</h3>")
        parts.append(charts.figure("chart-accounts-by-plan", [
            {"type": "bar", "name": model, "x": [row[0] for row in values], "y": [row[2] for row in values]}
            for model, values in by_model.items()], {"barmode": "group", "yaxis": {"title": "average normalized score"}}))
        parts.append(table("accounts-by-plan", ["score model", "plan", "accounts", "average normalized score"],
                           [[cell(model), cell(plan), cell(accounts, "int"), cell(average, "number")]
                            for model, plan, accounts, average in plans]))
    parts.append(f"<h3>The {len(rows)} lowest-scoring accounts, latest period</h3>")
    parts.append(table("accounts-lowest", ["score model", "account", "name", "plan", "ARR", "owner", "region", "band",
                                           "normalized score", "users scored", "average user score",
                                           "users in lowest band"],
                       [[cell(row[0]), cell(row[1]), cell(row[2]), cell(row[3]), cell(row[4], "money"), cell(row[5]),
                         cell(row[6]), cell(row[7]), cell(row[8], "number"), cell(row[9], "int"),
                         cell(row[10], "number"), cell(row[11], "share")] for row in rows]))
    parts.append("</section>")
    return "".join(parts)


def outcomes_section(marts: Marts, charts: Charts) -> str:
    parts = ['<section id="outcomes"><h2>Outcome rates by band</h2>']
    rows = outcome_rates(marts)
    if not rows:
        parts.append('<p class="missing" id="outcomes-missing">No outcomes in this build.</p></section>')
        return "".join(parts)
    parts.append("<p>The share of entities with each outcome within the horizon after a period, by the band "
                 "they were in, pooled over the reviewed periods (<code>fct_engagement_outcome_calibration</code>). "
                 "A score that works shows the rate of a bad outcome rising towards the lowest band.</p>")
    parts.append(charts.figure("chart-outcomes", [
        {"type": "bar", "name": f"{model} / {outcome}",
         "x": [row[2] for row in rows if (row[0], row[1]) == (model, outcome)],
         "y": [float(row[6] or 0) for row in rows if (row[0], row[1]) == (model, outcome)]}
        for model, outcome in dict.fromkeys((row[0], row[1]) for row in rows)],
        {"barmode": "group", "yaxis": {"title": "outcome rate", "tickformat": ".0%"}}))
    parts.append(table("outcomes", ["score model", "outcome", "band", "entities", "with the outcome", "rate"],
                       [[cell(row[0]), cell(row[1]), cell(row[2]), cell(row[4], "int"), cell(row[5], "int"),
                         cell(row[6], "share")] for row in rows]))
    parts.append("</section>")
    return "".join(parts)


STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }
h1 { margin-bottom: 0.2rem; } h2 { border-top: 1px solid #ccc; padding-top: 1rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #e3e3e3; padding: 0.2rem 0.6rem; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.chart { width: 100%; min-height: 320px; } .missing { color: #777; font-style: italic; }
nav a { margin-right: 0.8rem; }
"""


def render(marts: Marts, plotly_js: str, source: str) -> str:
    if "fct_engagement_scores" not in marts.tables:
        raise ReportError(f"{source} has no fct_engagement_scores: run `make run` (or engagement.py run) first")
    charts = Charts()
    models = score_models(marts)
    sections = [model_section(marts, charts, model) for model in models]
    sections.append(accounts_section(marts, charts))
    sections.append(outcomes_section(marts, charts))
    nav = "".join(f'<a href="#model-{esc(slug(model))}">{esc(model)}</a>' for model in models)
    as_of = marts.rows("select max(as_of_date) from fct_engagement_scores")[0][0]
    script = plotly_js.replace("</script", "<\\/script")
    return (
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<title>Engagement report</title>"
        f"<style>{STYLE}</style><script>{script}</script></head><body>"
        f"<h1>Engagement report</h1><p>Scores as of <strong id=\"as-of\">{esc(as_of)}</strong>, "
        f"from <code>{esc(source)}</code>; {len(models)} score model(s).</p>"
        f"<nav>{nav}<a href=\"#accounts\">accounts</a><a href=\"#outcomes\">outcomes</a></nav>"
        + "".join(sections) + "</body></html>"
    )


def write_report(database: Path, output: Path) -> Path:
    """Writes the report of the DuckDB file's marts to output (atomically: a temp file renamed)."""
    from plotly.offline import get_plotlyjs

    if not database.is_file():
        raise ReportError(f"no published marts at {database}: run `make run` first (or set ENGAGEMENT_DUCKDB_PATH)")
    try:
        connection = duckdb.connect(str(database), read_only=True)
    except duckdb.Error as error:
        raise ReportError(f"cannot open {database} read-only: {str(error).splitlines()[0]}") from None
    try:
        page = render(Marts(connection), get_plotlyjs(), str(database))
    finally:
        connection.close()
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    partial.write_text(page, encoding="utf-8")
    partial.replace(output)
    return output


def default_output(database: Path) -> Path:
    """data/engagement.duckdb -> data/engagement_report.html (beside the published file)."""
    return database.with_name(database.name.split(".")[0] + "_report.html")
