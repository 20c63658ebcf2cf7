"""dbt Labs' project-evaluator rules, checked on the project's graph (its package cannot be installed
here, so the rules are written out from its documentation): `dbt parse`, then target/manifest.json.

A new model without a primary-key test, a mart not named fct_/dim_, a staging model outside
staging/<its source>/, a source without freshness, a rejoin, ... fails this test, naming the rule
and the node. The project's deliberate exceptions are the rows of
evaluator/dbt_project_evaluator_exceptions.csv, in the evaluator's own exceptions-seed format, each
with its reason (README "Project rules"); an exception that no longer matches anything fails too.
"""

from __future__ import annotations

import csv
import fnmatch
import json
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from conftest import PROJECT_DIR, DbtProject

sys.path.insert(0, str(PROJECT_DIR / "scripts"))
import engagement  # noqa: E402  (the CLI's production build arguments)

PACKAGE = "engagement_scoring"
EXCEPTIONS = PROJECT_DIR / "evaluator" / "dbt_project_evaluator_exceptions.csv"
# the evaluator's defaults: model types by folder and prefix
PREFIXES = {"base": ("base_",), "staging": ("stg_",), "intermediate": ("int_",), "marts": ("fct_", "dim_"),
            "other": ("rpt_",)}
MODELS_FANOUT_THRESHOLD = 3
TOO_MANY_JOINS_THRESHOLD = 7
CHAINED_VIEWS_THRESHOLD = 4
# the vars that configure the optional sources: their lineage must hold without them too
OPTIONAL_SOURCE_VARS = {"accounts_path": "data/sample_accounts.csv", "outcomes_path": "data/sample_outcomes.csv"}


def parse(work_dir: Path, dbt_vars: dict | None = None) -> dict:
    project = DbtProject(PROJECT_DIR, work_dir)
    result = project.dbt("parse", dbt_vars=dbt_vars)
    assert result.success
    return json.loads((work_dir / "target" / "manifest.json").read_text())


@pytest.fixture(scope="module", params=["default vars", "optional sources configured"])
def manifest(request, tmp_path_factory, dbt_env) -> dict:
    dbt_vars = None if request.param == "default vars" else OPTIONAL_SOURCE_VARS
    return parse(tmp_path_factory.mktemp("rules"), dbt_vars)


def load_exceptions() -> list[dict]:
    with EXCEPTIONS.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        assert row["comment"].strip(), f"exception without a reason: {row}"
    return rows


class Graph:
    """The project's nodes and edges as the evaluator sees them (tests are not part of the DAG)."""

    def __init__(self, manifest: dict):
        self.manifest = manifest
        self.models = {uid: node for uid, node in manifest["nodes"].items()
                       if node["resource_type"] == "model" and node["package_name"] == PACKAGE}
        self.sources = {uid: node for uid, node in manifest["sources"].items() if node["package_name"] == PACKAGE}
        self.tests = [node for node in manifest["nodes"].values()
                      if node["resource_type"] == "test" and node["package_name"] == PACKAGE]
        dag_types = {"model", "seed", "snapshot"}
        self.nodes = {uid: node for uid, node in manifest["nodes"].items() if node["resource_type"] in dag_types}
        self.nodes.update(manifest["sources"])
        self.nodes.update(manifest.get("exposures", {}))
        self.parents: dict[str, set[str]] = defaultdict(set)
        self.children: dict[str, set[str]] = defaultdict(set)
        for uid, node in {**self.nodes}.items():
            for parent in node.get("depends_on", {}).get("nodes", []):
                if parent in self.nodes:
                    self.parents[uid].add(parent)
                    self.children[parent].add(uid)

    def name(self, uid: str) -> str:
        node = self.nodes[uid]
        if node["resource_type"] == "source":
            return f"{node['source_name']}.{node['name']}"
        return node["name"]

    def model_type(self, uid: str) -> str:
        node = self.nodes[uid]
        if node["resource_type"] != "model":
            return node["resource_type"]
        folders = Path(node["original_file_path"]).parts[:-1]
        # the evaluator: the folder name closest to the file decides
        for folder in reversed(folders):
            if folder in PREFIXES and folder != "other":
                return folder
        return "other"

    def tests_on(self, uid: str) -> list[dict]:
        return [test for test in self.tests if test.get("attached_node") == uid
                or (test.get("attached_node") is None and uid in test["depends_on"]["nodes"])]

    def primary_keys(self, uid: str) -> set[str]:
        """Columns with dbt's own `unique` test and `not_null` (a test, or a contract's constraint)."""
        node = self.models[uid]
        unique, not_null = set(), set()
        for test in self.tests_on(uid):
            metadata = test.get("test_metadata") or {}
            # a column's test, or a model's test on an expression (int_events_deduplicated's key)
            column = test.get("column_name") or (metadata.get("kwargs") or {}).get("column_name")
            if metadata.get("namespace") or not column:
                continue  # a package's or the project's own test (engagement_unique_combination) does not count
            if metadata.get("name") == "unique":
                unique.add(column)
            elif metadata.get("name") == "not_null":
                not_null.add(column)
        if node["config"].get("contract", {}).get("enforced"):
            for column, spec in node["columns"].items():
                if any(constraint["type"] == "not_null" for constraint in spec.get("constraints", [])):
                    not_null.add(column)
        return unique & not_null


def findings(manifest: dict) -> dict[str, set[tuple[str, str]]]:
    """Every rule's findings, as (column_name, value) pairs in the evaluator's exceptions format."""
    graph = Graph(manifest)
    found: dict[str, set[tuple[str, str]]] = defaultdict(set)
    models = graph.models

    # --- testing ---
    for uid, node in models.items():
        if not graph.primary_keys(uid):
            found["fct_missing_primary_key_tests"].add(("resource_name", node["name"]))
        if not graph.tests_on(uid):
            found["fct_test_coverage"].add(("resource_name", node["name"]))
    for uid, source in graph.sources.items():
        freshness = source.get("freshness") or {}
        if not any((freshness.get(level) or {}).get("count") and (freshness.get(level) or {}).get("period")
                   for level in ("warn_after", "error_after")):
            found["fct_sources_without_freshness"].add(("resource_name", graph.name(uid)))

    # --- documentation ---
    for uid, node in models.items():
        if not node["description"].strip():
            found["fct_undocumented_models"].add(("resource_name", node["name"]))
    for uid, source in graph.sources.items():
        if not source["description"].strip():
            found["fct_undocumented_source_tables"].add(("resource_name", graph.name(uid)))
        if not source["source_description"].strip():
            found["fct_undocumented_sources"].add(("resource_name", source["source_name"]))

    # --- structure ---
    for uid, node in models.items():
        kind = graph.model_type(uid)
        if not node["name"].startswith(PREFIXES[kind]):
            found["fct_model_naming_conventions"].add(("resource_name", node["name"]))
        folders = Path(node["original_file_path"]).parts[:-1]
        if kind in ("staging", "base"):
            # staging/<source name>/ (base models in its base/ folder), the source found up through base models
            sources = {graph.nodes[p]["source_name"] for p in upstream_sources(graph, uid)}
            expected = {("models", "staging", name) + (("base",) if kind == "base" else ()) for name in sources}
            if folders not in expected:
                found["fct_model_directories"].add(("resource_name", node["name"]))
        elif kind == "other":
            found["fct_model_directories"].add(("resource_name", node["name"]))
    for uid, source in graph.sources.items():
        folders = Path(source["original_file_path"]).parts[:-1]
        if folders != ("models", "staging", source["source_name"]):
            found["fct_source_directories"].add(("resource_name", graph.name(uid)))
    for test in graph.tests:
        attached = test.get("attached_node")
        if attached in models and test["original_file_path"].endswith(".yml"):
            if Path(test["original_file_path"]).parent != Path(models[attached]["original_file_path"]).parent:
                found["fct_test_directories"].add(("resource_name", models[attached]["name"]))

    # --- modeling (the DAG) ---
    for uid in models:
        parents = graph.parents[uid]
        parent_sources = {p for p in parents if graph.nodes[p]["resource_type"] == "source"}
        parent_models = {p for p in parents if graph.nodes[p]["resource_type"] == "model"}
        kind = graph.model_type(uid)
        name = graph.name(uid)
        if parent_sources and parent_models:
            found["fct_direct_join_to_source"].add(("child", name))
        if parent_sources and kind in ("intermediate", "marts"):
            found["fct_marts_or_intermediate_dependent_on_source"].add(("child", name))
        if len(parent_sources) > 1:
            found["fct_multiple_sources_joined"].add(("child", name))
        if not parents:
            found["fct_root_models"].add(("child", name))
        if kind == "staging" and any(graph.model_type(p) in ("intermediate", "marts") for p in parent_models):
            found["fct_staging_dependent_on_marts_or_intermediate"].add(("child", name))
        if kind == "staging" and any(graph.model_type(p) == "staging" for p in parent_models):
            found["fct_staging_dependent_on_staging"].add(("child", name))
        if len(parents) >= TOO_MANY_JOINS_THRESHOLD:
            found["fct_too_many_joins"].add(("child", name))
    for uid in graph.sources:
        children = graph.children[uid]
        if not children:
            found["fct_unused_sources"].add(("source", graph.name(uid)))
        if len(children) > 1:
            found["fct_source_fanout"].add(("parent", graph.name(uid)))
    leaves = {uid for uid in models if not graph.children[uid]}
    for uid in graph.nodes:
        if graph.nodes[uid]["resource_type"] in ("model",) and len(graph.children[uid] & leaves) >= MODELS_FANOUT_THRESHOLD:
            found["fct_model_fanout"].add(("parent", graph.name(uid)))
    # rejoining: a parent's direct child (in between) that has no other child, whose one child is
    # also a direct child of the parent
    for parent in graph.nodes:
        if graph.nodes[parent]["resource_type"] == "exposure":
            continue
        direct = {c for c in graph.children[parent] if graph.nodes[c]["resource_type"] != "exposure"}
        for between in direct:
            onward = {c for c in graph.children[between] if graph.nodes[c]["resource_type"] != "exposure"}
            if len(graph.children[between]) == 1 and onward and onward <= direct:
                found["fct_rejoining_of_upstream_concepts"].add(("parent_and_child", graph.name(between)))
    # hard-coded references: a from/join on a schema.table name rather than ref/source
    # (not checked here: every model reads through ref() and source(); the raw DuckDB file paths
    # live in the sources' external_location)

    # --- performance ---
    for uid in models:
        if chained_views(graph, uid) >= CHAINED_VIEWS_THRESHOLD:
            found["fct_chained_views_dependencies"].add(("child", graph.name(uid)))
    for uid, exposure in manifest.get("exposures", {}).items():
        for parent in graph.parents[uid]:
            node = graph.nodes[parent]
            if node["resource_type"] == "source" or node.get("config", {}).get("materialized") in ("view", "ephemeral"):
                found["fct_exposure_parents_materializations"].add(("parent", graph.name(parent)))

    # --- governance ---
    for uid, node in models.items():
        if node.get("access") == "public" and not node["config"].get("contract", {}).get("enforced"):
            found["fct_public_models_without_contract"].add(("resource_name", node["name"]))
    return found


def upstream_sources(graph: Graph, uid: str) -> set[str]:
    """The sources a staging model reads, directly or through its base models."""
    found = set()
    for parent in graph.parents[uid]:
        kind = graph.nodes[parent]["resource_type"]
        if kind == "source":
            found.add(parent)
        elif kind == "model" and graph.model_type(parent) == "base":
            found |= upstream_sources(graph, parent)
    return found


def chained_views(graph: Graph, uid: str) -> int:
    """The longest chain of views/ephemeral models ending in this model's parents."""
    best = 0
    for parent in graph.parents[uid]:
        node = graph.nodes[parent]
        if node["resource_type"] == "model" and node["config"].get("materialized") in ("view", "ephemeral"):
            best = max(best, 1 + chained_views(graph, parent))
    return best


def unexcepted(found: dict[str, set[tuple[str, str]]], exceptions: list[dict]) -> list[str]:
    left = []
    for rule, items in sorted(found.items()):
        for column, value in sorted(items):
            if not any(row["fct_name"] == rule and row["column_name"] == column
                       and fnmatch.fnmatchcase(value, row["id_to_exclude"].replace("%", "*").replace("_", "?"))
                       for row in exceptions):
                left.append(f"{rule}: {column} = {value}")
    return left


def test_every_model_has_a_primary_key_test_and_every_rule_holds(manifest):
    """The evaluator reports nothing but the documented exceptions: every model has one column tested
    unique and not null (so test coverage is 100%), every mart is fct_/dim_, ..."""
    assert unexcepted(findings(manifest), load_exceptions()) == []


def test_every_exception_is_used(tmp_path_factory, dbt_env):
    """An exception the project no longer needs is removed rather than left to hide a future finding."""
    found: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for dbt_vars in (None, OPTIONAL_SOURCE_VARS):
        for rule, items in findings(parse(tmp_path_factory.mktemp("rules_used"), dbt_vars)).items():
            found[rule] |= items
    for row in load_exceptions():
        pattern = row["id_to_exclude"].replace("%", "*").replace("_", "?")
        assert any(fnmatch.fnmatchcase(value, pattern) for column, value in found[row["fct_name"]]
                   if column == row["column_name"]), f"unused exception: {row}"


def test_the_rules_catch_a_model_without_a_primary_key_test(manifest):
    """The check itself: a model whose key tests are gone is reported (and nothing else changes)."""
    uid = "model.engagement_scoring.fct_engagement_scores"
    broken = json.loads(json.dumps(manifest))
    for test_id in [test_id for test_id, node in broken["nodes"].items()
                    if node["resource_type"] == "test" and node.get("attached_node") == uid
                    and node.get("column_name") == "score_key"]:
        del broken["nodes"][test_id]
    assert unexcepted(findings(broken), load_exceptions()) == [
        "fct_missing_primary_key_tests: resource_name = fct_engagement_scores"]


def test_construction_checks_are_the_raw_row_key_tests_alone(manifest):
    """The tests `engagement.py run` leaves to `make test` (tag construction_check): exactly the unique and
    not_null tests of the raw-row keys of the views over the raw sources, keys built from the row itself
    (an md5 of its columns and its number among identical rows). A data rule given the tag would stop
    guarding production runs: this fails if any other test carries it, or if a raw-row key loses it."""
    tagged = sorted((node["test_metadata"]["name"], node["attached_node"].split(".")[-1], node["column_name"])
                    for node in Graph(manifest).tests if "construction_check" in node["tags"])
    raw_row_keys = {"base_product__events": "raw_event_key", "stg_product__events": "raw_event_key",
                    "base_crm__accounts": "account_row_key", "stg_crm__accounts": "account_row_key",
                    "base_outcomes__outcomes": "outcome_row_key", "stg_outcomes__outcomes": "outcome_row_key"}
    assert tagged == sorted((test, model, key) for model, key in raw_row_keys.items() for test in ("not_null", "unique"))
    assert engagement.PRODUCTION_BUILD_EXCLUDES[-2:] == ["--exclude", "tag:construction_check"]


CROSS_MODEL_TESTS = {"assert_raw_events_all_accounted_for", "assert_rejected_share_below_maximum",
                     "assert_score_components_add_up"}


def test_a_selected_build_runs_only_the_tests_whose_models_it_builds(tmp_path, dbt_env):
    """`dbt build --select +fct_engagement_scores` leaves out the data tests that also read a model it does
    not build (fct_events, fct_engagement_score_components): under dbt's default indirect selection (eager)
    they ran against those tables as they were and, once new raw rows had arrived, failed (the raw rows
    not all accounted for, telling the user to run --full-refresh; the components not adding up), tried on
    the sample. The project's flag indirect_selection: buildable; a whole build still runs every test."""
    project = DbtProject(PROJECT_DIR, tmp_path)

    def tests(*select: str) -> set[str]:
        result = project.dbt("ls", "--resource-type", "test", "--output", "name", *select)
        assert result.success
        return set(result.result)

    scoring_path = tests("--select", "+fct_engagement_scores")
    assert scoring_path.isdisjoint(CROSS_MODEL_TESTS), sorted(scoring_path & CROSS_MODEL_TESTS)
    # the tests of the models the selection builds and of their ancestors stay, those reading a seed too
    assert {"assert_raw_events_not_empty", "unique_fct_engagement_scores_score_key",
            "engagement_bands_cover_every_score"} <= scoring_path
    assert CROSS_MODEL_TESTS <= tests()
    assert CROSS_MODEL_TESTS <= tests("--select", "+fct_engagement_scores", "+fct_events", "+rejected_events",
                                      "+fct_engagement_score_components")
