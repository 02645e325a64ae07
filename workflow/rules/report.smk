# Stage 4: tables, figures and the report, with the original study beside the pooled result.


localrules:
    report_tables,
    report_config,


# Figures drawn before, by the SHA-256 of all that decides their bytes: a figure job copies
# the ones whose data did not change (docs/reproducibility.md). Outside results/, which
# holds only what the audit manifest lists.
FIGURE_CACHE = ".cache/figures"


rule report_tables:
    input:
        meta="results/pooled/meta_analysis.csv",
        weights="results/pooled/weights.csv",
        combined="results/pooled/combined_tests.csv",
        descriptives="results/pooled/descriptives.csv",
        pooled_items="results/pooled/items.csv",
        criteria="results/pooled/replication_criteria.csv",
        verdicts="results/pooled/replication_verdicts.csv",
        moderators="results/pooled/moderators.csv",
        influence="results/pooled/influence.csv",
        summaries=consortium_tables("summary"),
        site_items=consortium_tables("items"),
        demographics=consortium_tables("demographics"),
    output:
        tables=report_table_files(),
    log:
        "results/logs/report_tables.log",
    params:
        provenance=provenance("report_tables.py"),
        settings=report_settings(TABLE_SETTINGS, disclosure=True),
    script:
        "../scripts/report_tables.py"


rule report_forests:
    input:
        meta="results/pooled/meta_analysis.csv",
        weights="results/pooled/weights.csv",
        cumulative="results/pooled/cumulative.csv",
    output:
        figures=report_figure_files("forest"),
    log:
        "results/logs/report_forests.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        provenance=provenance("report_figures.py"),
        settings=report_settings(FOREST_SETTINGS),
        instrument=config["instrument"],
        kind="forest",
        figure_cache=f"{FIGURE_CACHE}/forest",
    script:
        "../scripts/report_figures.py"


rule report_moderators:
    input:
        weights="results/pooled/weights.csv",
        moderators="results/pooled/moderators.csv",
        subgroups="results/pooled/subgroups.csv",
        influence="results/pooled/influence.csv",
    output:
        figures=report_figure_files("moderators"),
    log:
        "results/logs/report_moderators.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        provenance=provenance("report_figures.py"),
        settings=report_settings(FOREST_SETTINGS),
        instrument=config["instrument"],
        moderators=config["moderators"],
        moderator_values=moderator_values(),
        kind="moderators",
        figure_cache=f"{FIGURE_CACHE}/moderators",
    script:
        "../scripts/report_figures.py"


rule report_likert:
    input:
        likert=consortium_tables("likert"),
    output:
        figures=report_figure_files("likert"),
    log:
        "results/logs/report_likert.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        provenance=provenance("report_figures.py"),
        settings=report_settings(LIKERT_SETTINGS, analysis=False),
        instrument=config["instrument"],
        summary_sites=sites_with_format("summary"),
        kind="likert",
        figure_cache=f"{FIGURE_CACHE}/likert",
    script:
        "../scripts/report_figures.py"


# Who took part: sites and participants from registration to the pooled analysis, with
# every exclusion and its reason (the flow diagram and its counts).
rule report_flow:
    input:
        # Every site's validation report, through the shards' manifests.
        validated=shard_manifests("validate"),
        meta="results/pooled/meta_analysis.csv",
        summaries=consortium_tables("summary"),
    output:
        figures=report_figure_files("flow"),
        table="results/tables/flow.csv",
    log:
        "results/logs/report_flow.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        provenance=provenance("report_flow.py"),
        # Every registered site: one without a report is counted as awaiting data.
        sites=REGISTERED_IDS,
        instrument=config["instrument"],
    script:
        "../scripts/report_flow.py"


rule report_config:
    output:
        report(
            "results/report/config_used.yaml",
            caption="../report/config.rst",
            category="Configuration",
        ),
    log:
        "results/logs/report_config.log",
    params:
        provenance=provenance("report_config.py"),
        config=config,
        sites=registry_rows(),
    script:
        "../scripts/report_config.py"


rule report_page:
    input:
        meta="results/pooled/meta_analysis.csv",
        weights="results/pooled/weights.csv",
        combined="results/pooled/combined_tests.csv",
        descriptives="results/pooled/descriptives.csv",
        pooled_items="results/pooled/items.csv",
        criteria="results/pooled/replication_criteria.csv",
        verdicts="results/pooled/replication_verdicts.csv",
        moderators="results/pooled/moderators.csv",
        influence="results/pooled/influence.csv",
        summaries=consortium_tables("summary"),
        site_items=consortium_tables("items"),
        demographics=consortium_tables("demographics"),
        likert=consortium_tables("likert"),
        figures=page_figures(),
        # Every site's validation report, through the shards' manifests.
        validated=shard_manifests("validate"),
        config_used="results/report/config_used.yaml",
        # The footer names the audit manifest the page was written from.
        manifest="results/audit/manifest.json",
        manifest_sha256="results/audit/manifest.sha256",
    output:
        index=report(
            "results/report/index.html",
            caption="../report/index.rst",
            category="Start here",
        ),
        # Every hospital's page is written too, and listed with its SHA-256 in this
        # manifest: Snakemake (8 and 9) hashes every input once per output, so 1,001
        # declared pages cost it minutes at 1,000 sites (docs/scaling.md).
        pages=SITE_PAGES_MANIFEST,
    log:
        "results/logs/report_page.log",
    # The hospital pages are written by this many processes (docs/scaling.md); the step
    # runs alone at the end of a run, after the audit manifest.
    threads: 2
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        provenance=provenance("report_page.py"),
        settings=report_settings(PAGE_SETTINGS, disclosure=True),
        config=page_config(),
        site_ids=SITE_IDS,
        site_pages=site_pages(),
        awaiting=AWAITING,
    script:
        "../scripts/report_page.py"
