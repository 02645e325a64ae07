# The site registry, the instrument and the input functions every stage uses.
from pathlib import Path

from snakemake.exceptions import WorkflowError

from revmentor.core.config import read_yaml
from revmentor.core.instrument import Instrument
from revmentor.core.problems import ProblemsError
from revmentor.report.assemble import TABLE_NAMES, settings_from
from revmentor.report.figure_plan import figure_stems
from revmentor.validation.registry import read_registry

SITE_ID_PATTERN = r"[A-Za-z][A-Za-z0-9_-]{0,63}"
# Snakemake's report() flag, under a name its parser does not take for a directive.
report_item = report
CAPTIONS = Path(workflow.basedir) / "workflow/report"


def load_instrument():
    try:
        return Instrument.from_config(config["instrument"])
    except ProblemsError as problem:
        raise WorkflowError(problem.describe(limit=50)) from None


def load_sites():
    schema = read_yaml(Path(workflow.basedir) / "workflow/schemas/sites.schema.yaml")
    try:
        sites = read_registry(
            Path(config["sites"]),
            Path(config["data_root"]),
            allow_absolute=config["allow_absolute_data_paths"],
            row_schema=schema,
        )
    except ProblemsError as problem:
        raise WorkflowError(problem.describe(limit=50)) from None
    return {site.site_id: site for site in sites}


INSTRUMENT = load_instrument()
SITES = load_sites()
SITE_IDS = list(SITES)


wildcard_constraints:
    site=SITE_ID_PATTERN,


def site_data(wildcards):
    return SITES[wildcards.site].path


def site_params(wildcards):
    return SITES[wildcards.site].as_params()


def site_items_file(wildcards):
    """A summary site's optional items file: no input when it sent none."""
    path = SITES[wildcards.site].items_path
    return [path] if path else []


def sites_with_format(data_format):
    return [site_id for site_id, site in SITES.items() if site.format == data_format]


def sites_of_format(data_format):
    """A wildcard pattern matching exactly the sites that send this format."""
    ids = sites_with_format(data_format)
    return "|".join(ids) if ids else "(?!)"


def validation_reports(wildcards=None):
    return expand("results/validation/{site}.json", site=SITE_IDS)


def enrolment_dates():
    """Every site's enrolment date, in registry order (orders cumulative analyses)."""
    return {site_id: site.enrolled.isoformat() for site_id, site in SITES.items()}


def site_summaries(wildcards=None):
    return expand("results/sites/{site}/summary.csv", site=SITE_IDS)


def site_item_tables(wildcards=None):
    return expand("results/sites/{site}/items.csv", site=SITE_IDS)


def site_demographics(wildcards=None):
    return expand("results/sites/{site}/demographics.csv", site=SITE_IDS)


def site_likert_tables(wildcards=None):
    return expand("results/sites/{site}/likert.csv", site=SITE_IDS)


def registry_rows():
    """The registry as plain values: what the report shows of each site."""
    return [site.as_params() for site in SITES.values()]


def report_settings():
    """Everything the report stage reads from the config and registry, as plain values."""
    return {
        "roles": list(INSTRUMENT.roles),
        "outcomes": list(INSTRUMENT.outcomes),
        "names": {site_id: site.name for site_id, site in SITES.items()},
        "enrolled": enrolment_dates(),
        "original_study": config["original_study"],
        "pooling": config["pooling"],
        "report": config["report"],
        "disclosure": config["disclosure"],
    }


def report_table_files():
    return [
        report_item(
            f"results/tables/{name}.{suffix}",
            caption=str(CAPTIONS / f"table_{name}.rst"),
            category="Tables",
            subcategory=name,
        )
        for name in TABLE_NAMES
        for suffix in ("csv", "md", "html")
    ]


def report_figure_files():
    stems = figure_stems(settings_from(report_settings()), INSTRUMENT.domain_ids)
    files = []
    for stem in stems:
        kind = stem.split("_", 1)[0]
        files.append(
            report_item(
                f"results/figures/{stem}.png",
                caption=str(CAPTIONS / f"figure_{kind}.rst"),
                category="Figures",
                subcategory=kind,
            )
        )
        files.append(f"results/figures/{stem}.svg")
    return files


def participant_level_cleans(wildcards=None):
    """Clean tables of the sites that send participant-level data (for the one-stage model)."""
    return expand("results/clean/{site}.csv", site=sites_with_format("responses"))


def all_outputs():
    return [
        *validation_reports(),
        "results/validation/overview.tsv",
        *site_summaries(),
        *expand("results/sites/{site}/items.csv", site=SITE_IDS),
        "results/pooled/meta_analysis.csv",
        "results/pooled/items.csv",
        "results/pooled/ipd_model.csv",
        *report_table_files(),
        *report_figure_files(),
        "results/report/config_used.yaml",
    ]
