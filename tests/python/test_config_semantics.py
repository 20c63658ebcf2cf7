"""`validate` refuses configurations that parse but would score wrongly (issue 14, defect 4), and
reports malformed ones in one line each, never a stack trace (defect 6)."""

from __future__ import annotations

import sys

import pytest

from conftest import PROJECT_DIR
from test_generate_and_validate import ALIASES, BANDS, DECLARATION, WEIGHTS, append, config_copy, edit, validate

sys.path.insert(0, str(PROJECT_DIR / "scripts"))
import engagement  # noqa: E402
import engagement_config  # noqa: E402

KEY_FEATURES = "seeds/key_features.csv"

# name -> (file, old text, new text, fragments the output must hold); each is refused with exit 1
REFUSED = {
    "event type that is an alias": (DECLARATION, "    event_type: login\n", "    event_type: signin\n",
                                    ["score_models/saas_customer.yml:line 19", "'signin'", "login_frequency",
                                     "alias of 'login'"]),
    "allow-list row under an undeclared model": (KEY_FEATURES, "saas_customer,reports\n",
                                                 "saas_customer,reports\nsaas_custmer,alerts\n",
                                                 ["seeds/key_features.csv:row 3", "score_model='saas_custmer'",
                                                  "no such score model"]),
    "duplicate YAML key": (DECLARATION, "    event_type: login\n", "    event_type: login\n    event_type: logn\n",
                           ["score_models/saas_customer.yml:line 20", "'event_type' appears twice",
                            "lines 19 and 20"]),
    "complex YAML key": (DECLARATION, "period: month\n", "period: month\n? [a, b]\n: 1\n",
                         ["score_models/saas_customer.yml:line 14", "a key must be a plain name"]),
    "unreachable band": (BANDS, "saas_customer,high,100,,1\nsaas_customer,medium,50,100,2",
                         "saas_customer,high,1000,,1\nsaas_customer,medium,50,1000,2",
                         ["seeds/engagement_bands.csv:row 2", "band='high', min_score=1000",
                          "no score can reach this band", "at most 150"]),
    "measure named like a mart column": (DECLARATION, "measure: login_days", "measure: period_start",
                                         ["line 15", "'period_start'", "is a column of the marts"]),
    "measure named like the measures rows' key": (DECLARATION, "measure: login_days", "measure: period_key",
                                                 ["line 15", "'period_key'", "is a column of the marts"]),
    "measure named like another measure's working column": (
        DECLARATION, "measure: login_days", "measure: days_inactive__last_on",
        ["line 15", "'days_inactive__last_on'", "holds '__'"]),
    "measure too long once derived": (DECLARATION, "measure: latest_nps", "measure: latest_nps_" + "x" * 40,
                                      ["signal 'nps'", "latest_nps_" + "x" * 40 + "__answers_so_far",
                                       "over PostgreSQL's 63"]),
    "points outside decimal(18, 4)": (WEIGHTS, "saas_customer,login_frequency,tier,20,,,50,,daily",
                                      "saas_customer,login_frequency,tier,20,,,99999999999999,,daily",
                                      ["seeds/engagement_weights.csv:rows", "decimal(18, 4)"]),
    "divide_by as a 400-digit integer": (DECLARATION, "divide_by: 60", "divide_by: 1" + "0" * 400,
                                         ["line 35", "divide_by must be a number from 0.0001",
                                          "(401 characters)"]),
}


@pytest.mark.parametrize("case", REFUSED, ids=list(REFUSED))
def test_validate_refuses_semantic_mistakes(case, tmp_path, capsys):
    file, old, new, expected = REFUSED[case]
    project = config_copy(tmp_path)
    edit(project / file, old, new)
    code, output = validate(project, capsys)
    assert code == 1, output
    assert "validate: 1 problem(s)" in output, output
    assert "Traceback" not in output
    for fragment in expected:
        assert fragment in output, f"{fragment!r} not in:\n{output}"
    problem_lines = [line for line in output.splitlines() if line.startswith("  ")]
    assert len(problem_lines) == 1, output  # one line per problem


def test_a_header_only_allow_list_is_refused(tmp_path, capsys):
    project = config_copy(tmp_path)
    (project / KEY_FEATURES).write_text("score_model,feature\n")
    code, output = validate(project, capsys)
    assert code == 1, output
    assert "signal 'feature_adoption'" in output and "seeds/key_features.csv has no rows" in output, output


def test_an_allow_list_with_rows_only_for_a_misspelled_model_is_refused(tmp_path, capsys):
    project = config_copy(tmp_path)
    path = project / KEY_FEATURES
    path.write_text(path.read_text().replace("saas_customer,", "saas_custmer,"))
    code, output = validate(project, capsys)
    assert code == 1, output
    assert "has no rows for score_model 'saas_customer'" in output, output
    assert "score_model='saas_custmer'" in output


def test_an_unknown_event_type_is_a_warning_and_strict_refuses_it(tmp_path, capsys):
    project = config_copy(tmp_path)
    edit(project / DECLARATION, "    event_type: login\n", "    event_type: logn\n")
    assert engagement.main(["generate", "--project-dir", str(project)]) == 0
    capsys.readouterr()
    code, output = validate(project, capsys)
    assert code == 0, output
    assert "warning: score_models/saas_customer.yml:line 19" in output
    assert "signal 'login_frequency'" in output and "'logn'" in output
    assert "1 warning(s)" in output
    code = engagement.main(["validate", "--project-dir", str(project), "--skip-lint", "--skip-parse", "--strict"])
    output = capsys.readouterr().err
    assert code == 1 and "'logn'" in output, output
    # declaring it canonical in the alias seed silences it
    append(project / ALIASES, "logn,logn")
    code, output = validate(project, capsys)
    assert code == 0 and "warning" not in output, output


LEAD_DECLARATION = "score_models/lead_engagement.yml"
LEAD_SCOPE = "  event_types: [email_opened, meeting_attended, demo_attended]\n"


def test_an_alias_in_a_scope_is_refused_and_an_unknown_type_is_a_warning(tmp_path, capsys):
    """`scope: event_types` names the types that bring an entity into the model. An alias there never
    matched (staging renames it), a typo left its entities out: validate called both good and the model
    scored nobody (lead_engagement: no scores at all with the three aliases; found by a hostile pass)."""
    project = config_copy(tmp_path)
    edit(project / LEAD_DECLARATION, LEAD_SCOPE, "  event_types: [email_open, meeting_attended, demo_attended]\n")
    assert engagement.main(["generate", "--project-dir", str(project)]) == 0
    capsys.readouterr()
    code, output = validate(project, capsys)
    assert code == 1, output
    assert ("score_models/lead_engagement.yml:line 12: scope: event_types 'email_open' is an alias of "
            "'email_opened'") in output, output
    edit(project / LEAD_DECLARATION, "[email_open, meeting_attended, demo_attended]",
         "[email_opened, meeting_attended, demo_atended]")
    assert engagement.main(["generate", "--project-dir", str(project)]) == 0
    capsys.readouterr()
    code, output = validate(project, capsys)
    assert code == 0 and "1 warning(s)" in output, output
    assert "line 12: scope: event_types 'demo_atended' is no canonical event type" in output, output
    code = engagement.main(["validate", "--project-dir", str(project), "--skip-lint", "--skip-parse", "--strict"])
    assert code == 1 and "'demo_atended'" in capsys.readouterr().err


@pytest.mark.parametrize("line, bad, message", [
    ("  engagement__lookback_hours: 24\n", "  engagement__lookback_hours: -1\n",
     "var engagement__lookback_hours=-1 (dbt_project.yml) must be a whole number >= 0"),
    ("  engagement__trend_min_change: 5\n", "  engagement__trend_min_change: 2.5\n",
     "var engagement__trend_min_change=2.5 (dbt_project.yml) must be a whole number >= 0"),
    ("  engagement__privacy_min_group_size: 5\n", '  engagement__privacy_min_group_size: "5 or 1=1"\n',
     "var engagement__privacy_min_group_size='5 or 1=1' (dbt_project.yml) must be a whole number >= 0"),
    ("  as_of_date: null\n", '  as_of_date: "2025-06-31"\n',
     "var as_of_date='2025-06-31' (dbt_project.yml) must be a date written YYYY-MM-DD"),
])
def test_validate_refuses_a_bad_number_or_date_var_in_the_project(line, bad, message, tmp_path, capsys):
    """The macros refuse these when they render; validate called them good (a lookback of -1 even passed
    dbt parse, and the run failed after building seeds and staging). Refused in one line, naming the var."""
    project = config_copy(tmp_path)
    text = (PROJECT_DIR / "dbt_project.yml").read_text()
    assert line in text
    (project / "dbt_project.yml").write_text(text.replace(line, bad))
    code, output = validate(project, capsys)
    assert code == 1, output
    assert message in output and "Traceback" not in output, output
    (project / "dbt_project.yml").write_text(text)
    assert validate(project, capsys)[0] == 0


def test_the_checked_vars_are_those_the_macros_read_as_numbers_and_dates():
    """engagement_settings checks the vars the macros read with engagement_int_var and engagement_date_var:
    a new such var must be added there too."""
    import re

    import engagement_settings

    sql = "\n".join(path.read_text() for folder in ("macros", "models", "tests")
                    for path in (PROJECT_DIR / folder).rglob("*.sql"))
    assert set(engagement_settings.INT_VARS) == set(re.findall(r"engagement_int_var\('([a-z_]+)'", sql))
    assert set(engagement_settings.DATE_VARS) == set(re.findall(r"engagement_date_var\('([a-z_]+)'", sql))


def test_the_score_range_is_the_one_the_marts_compute():
    """max_score as fct_engagement_scores derives it (150 for the shipped weights); no lower bound
    while a negative per-unit rule has no cap."""
    import engagement_semantics  # here, not at the top: the other tests run without it

    config = engagement_config.check_configuration(PROJECT_DIR)
    model = next(model for model in config.models if model.name == "saas_customer")
    weights = engagement_semantics._weights_by_model(config)[model.name]
    lowest, highest = engagement_semantics.score_range(model, weights)
    assert highest == 150
    assert lowest == -engagement_semantics.INFINITY


@pytest.mark.parametrize("setting, value", [("ENGAGEMENT_THREADS", "0"), ("ENGAGEMENT_THREADS", "two"),
                                            ("ENGAGEMENT_SCHEMA", 'x"; drop table main.fct_engagement_scores; --'),
                                            ("ENGAGEMENT_DUCKDB_MEMORY_LIMIT", "0"),
                                            ("ENGAGEMENT_DUCKDB_MEMORY_LIMIT", "150%")])
def test_validate_refuses_bad_settings_in_one_line(setting, value, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(setting, value)
    code, output = validate(config_copy(tmp_path), capsys)
    assert code == 1, output
    assert f"{setting}={value!r}" in output and "Traceback" not in output, output


def test_an_alias_target_no_model_reads_is_a_warning_and_strict_refuses_it(tmp_path, capsys):
    """Issue 14, defect 4: `signin,logn` (a typo in the alias's target) moved every `signin` login out of
    login_frequency and validate called it good."""
    project = config_copy(tmp_path)
    edit(project / ALIASES, "signin,login\n", "signin,logn\n")
    code, output = validate(project, capsys)
    assert code == 0, output
    assert "warning: seeds/event_type_aliases.csv:row 3" in output
    assert "'signin' maps to 'logn'" in output and "no score model reads" in output
    code = engagement.main(["validate", "--project-dir", str(project), "--skip-lint", "--skip-parse", "--strict"])
    assert code == 1 and "'logn'" in capsys.readouterr().err
    # a type of its own, declared canonical: no warning
    append(project / ALIASES, "logn,logn")
    code, output = validate(project, capsys)
    assert code == 0 and "warning" not in output, output
