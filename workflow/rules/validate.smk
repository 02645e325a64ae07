# Stage 1: check each site's data against the instrument, one job per site.


localrules:
    validation_overview,


rule validate_site:
    input:
        data=site_data,
    output:
        report="results/validation/{site}.json",
        report_md="results/validation/{site}.md",
        clean="results/clean/{site}.csv",
    log:
        "results/logs/validate_site/{site}.log",
    wildcard_constraints:
        site=sites_of_format("responses"),
    params:
        provenance=provenance("validate_site.py"),
        content=site_content,
        site=site_params,
        instrument=config["instrument"],
    script:
        "../scripts/validate_site.py"


rule validate_summary_site:
    input:
        data=site_data,
        item_table=site_items_file,
    output:
        report="results/validation/{site}.json",
        report_md="results/validation/{site}.md",
        summary="results/clean/{site}.csv",
        item_table="results/clean/{site}.items.csv",
    log:
        "results/logs/validate_summary_site/{site}.log",
    wildcard_constraints:
        site=sites_of_format("summary"),
    params:
        provenance=provenance("validate_summary_site.py"),
        content=site_content,
        site=site_params,
        instrument=config["instrument"],
    script:
        "../scripts/validate_summary_site.py"


rule validation_overview:
    input:
        reports=validation_reports,
    output:
        tsv="results/validation/overview.tsv",
        md="results/validation/overview.md",
    log:
        "results/logs/validation_overview.log",
    params:
        provenance=provenance("validation_overview.py"),
        policy=config["validation"]["on_invalid_site"],
    script:
        "../scripts/validation_overview.py"
