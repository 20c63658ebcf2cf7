"""README.md stays whole: users' jobs depend on the public interface (vars, environment settings, the
CLI's commands and flags, the marts), so each of them is documented there, the sections users look
for are present, and every link inside the page lands on a heading. (A rewrite of the figures once
dropped half the README, its warehouse and operating sections included, and nothing failed.)"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml

PROJECT_DIR = Path(__file__).resolve().parents[2]
README = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")

sys.path.insert(0, str(PROJECT_DIR / "scripts"))
import engagement  # noqa: E402  (the CLI's own parser: its commands and flags)

# What the developers' guide asks the README to cover, by the headings it is found under.
REQUIRED_SECTIONS = [
    "The two commands",
    "Measured",
    "Pointing it at your own data",
    "Running on your warehouse",
    "Operating it",
    "Configuration (all data, no SQL)",
    "Layout",
    "Incremental runs",
]


def headings(text: str) -> list[str]:
    in_fence = False
    found = []
    for line in text.splitlines():
        if line.startswith("```"):
            in_fence = not in_fence
        elif not in_fence and re.match(r"#{1,6} ", line):
            found.append(line.lstrip("#").strip())
    return found


def github_anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lowercased, punctuation other than - and _ dropped, spaces to -."""
    text = heading.lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def test_the_sections_users_look_for_are_there():
    assert [name for name in REQUIRED_SECTIONS if name not in headings(README)] == []


def test_every_link_inside_the_page_lands_on_a_heading():
    anchors = {github_anchor(name) for name in headings(README)}
    links = set(re.findall(r"\]\(#([^)]+)\)", README))
    assert links, "the README links its own sections"
    assert sorted(links - anchors) == []


def test_github_anchor_follows_githubs_rule():
    assert github_anchor("Operating it") == "operating-it"
    assert github_anchor("Configuration (all data, no SQL)") == "configuration-all-data-no-sql"
    assert github_anchor("`validate`: bad configuration is refused") == "validate-bad-configuration-is-refused"


def test_every_var_setting_mart_and_cli_flag_is_documented():
    project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())
    vars_ = sorted(project["vars"])
    settings = sorted(set(re.findall(r"ENGAGEMENT_[A-Z_]+", (PROJECT_DIR / "profiles.yml").read_text())))
    marts = sorted(path.stem for path in (PROJECT_DIR / "models" / "marts").glob("*.sql"))

    parser = engagement.build_parser()
    commands = next(action for action in parser._actions if isinstance(action, argparse._SubParsersAction))
    cli = []
    for name, sub in commands.choices.items():
        cli.append(name)
        for action in sub._actions:
            if action.help == argparse.SUPPRESS:
                continue
            cli += [flag for flag in action.option_strings if flag.startswith("--")]

    assert len(vars_) > 20 and len(settings) > 15 and len(marts) > 10 and len(cli) > 20
    def mentioned(name: str) -> bool:
        return re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", README) is not None

    missing = [f"var {name}" for name in vars_ if not mentioned(name)]
    missing += [f"setting {name}" for name in settings if not mentioned(name)]
    missing += [f"mart {name}" for name in marts if not mentioned(name)]
    missing += [f"CLI {flag}" for flag in sorted(set(cli)) if not mentioned(flag)]
    assert missing == []
