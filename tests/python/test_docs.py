"""The docs site (issue 13): `dbt docs generate --static` builds offline from the built sample, and
every mart, seed, source, macro and their columns are documented; exposures, semantic models and
metrics are in the manifest."""

from __future__ import annotations

import json


def test_docs_build_offline_and_document_every_mart_seed_and_macro(built_sample):
    result = built_sample.dbt("docs", "generate", "--static",
                              dbt_vars={"accounts_path": str(built_sample.work_dir / "sample_accounts.csv")})
    assert result.success
    target = built_sample.work_dir / "target"
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    page = (target / "static_index.html").read_text(encoding="utf-8")
    assert "dim_accounts" in page and len(page) > 1_000_000  # manifest and catalog inside the one file

    undocumented = []
    for unique_id, node in manifest["nodes"].items():
        if node["package_name"] != "engagement_scoring":
            continue
        if node["resource_type"] == "seed" or (node["resource_type"] == "model"
                                               and node["original_file_path"].startswith("models/marts/")):
            if not node["description"].strip():
                undocumented.append(unique_id)
            # every column the warehouse has (the catalog), not only those the YAML names
            for column in catalog["nodes"][unique_id]["columns"]:
                documented = node["columns"].get(column) or node["columns"].get(column.lower())
                if not documented or not documented["description"].strip():
                    undocumented.append(f"{unique_id}.{column}")
    for unique_id, source in manifest["sources"].items():
        if not source["description"].strip():
            undocumented.append(unique_id)
    for unique_id, macro in manifest["macros"].items():
        if macro["package_name"] == "engagement_scoring" and not macro["description"].strip():
            undocumented.append(unique_id)
    assert undocumented == []

    exposures = {exposure["name"]: exposure for exposure in manifest["exposures"].values()}
    assert "engagement_report" in exposures and len(exposures) >= 4
    assert "model.engagement_scoring.dim_accounts" in exposures["engagement_report"]["depends_on"]["nodes"]
    metrics = {metric["name"] for metric in manifest["metrics"].values()}
    assert {"scored_entities", "average_normalized_score", "share_in_lowest_band"} <= metrics
    assert {model["name"] for model in manifest["semantic_models"].values()} >= {"engagement_score", "crm_account"}
    # the accounts source is in the lineage when configured
    assert "source.engagement_scoring.crm.accounts" in manifest["nodes"]["model.engagement_scoring.base_crm__accounts"][
        "depends_on"]["nodes"]
