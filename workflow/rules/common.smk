# The site registry, the instrument and the input functions every stage uses.
import functools
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.logging import logger

from revmentor.audit.provenance import (
    code_fingerprint,
    distribution_versions,
    git_state,
    software_fingerprint,
    third_party_imports,
)
from revmentor import __version__ as REVMENTOR_VERSION
from revmentor.core.hashing import sha256_file
from revmentor.core.config import read_yaml
from revmentor.core.instrument import Instrument
from revmentor.core.problems import ProblemsError
from revmentor.core.shard_manifest import void_reason
from revmentor.core.sharding import SHARD_NAME_PATTERN, group_by_shard
from revmentor.core.files import writable_folder_problem
from revmentor.report.settings import TABLE_NAMES, settings_from
from revmentor.report.figure_names import forest_stems, likert_stems, moderator_stems
from revmentor.core.moderators import moderators_from_config
from revmentor.core.redcap import events_problems
from revmentor.replication.settings import check_replication_config, sesoi_by_outcome
from revmentor.validation.registry import load_registry

SITE_ID_PATTERN = r"[A-Za-z][A-Za-z0-9_-]{0,63}"
# Snakemake's report() flag, under a name its parser does not take for a directive.
report_item = report
# The workflow's own folder (workflow/), found from this file rather than from the working
# directory or the main Snakefile, so that it is right when the workflow is a module.
WORKFLOW_FOLDER = Path(str(workflow.current_basedir)).parent
CAPTIONS = WORKFLOW_FOLDER / "report"


def load_instrument():
    try:
        return Instrument.from_config(config["instrument"])
    except ProblemsError as problem:
        raise WorkflowError(problem.describe(limit=50)) from None


def check_replication():
    try:
        check_replication_config(
            config["original_study"], config["replication"], INSTRUMENT
        )
    except ProblemsError as problem:
        raise WorkflowError(problem.describe(limit=50)) from None


def check_redcap():
    problems = events_problems(config["redcap"], INSTRUMENT)
    if problems:
        error = ProblemsError(
            "config.yaml: redcap.events does not fit the instrument", problems
        )
        raise WorkflowError(error.describe(limit=50))


def load_moderators():
    try:
        return moderators_from_config(config["moderators"])
    except ProblemsError as problem:
        raise WorkflowError(problem.describe(limit=50)) from None


def load_sites():
    """The registry: sites whose file is there, and those still awaiting it (which run no
    jobs; the overview, the flow and the report list them)."""
    schema = read_yaml(WORKFLOW_FOLDER / "schemas/sites.schema.yaml")
    try:
        registry = load_registry(
            Path(config["sites"]),
            Path(config["data_root"]),
            allow_absolute=config["allow_absolute_data_paths"],
            row_schema=schema,
            moderators=MODERATORS,
            on_missing_data=config["validation"]["on_missing_data"],
        )
    except ProblemsError as problem:
        raise WorkflowError(problem.describe(limit=50)) from None
    if not registry.sites:
        raise WorkflowError(
            f"no site in {config['sites']} has sent its data yet, so there is nothing to "
            "analyse. Awaiting: "
            + "; ".join(f"{site.site_id} ({site.reason})" for site in registry.awaiting)
        )
    return registry


@functools.cache
def provenance(script):
    """The package code and software versions a script uses: a change reruns the rule."""
    path = WORKFLOW_FOLDER / "scripts" / script
    return {"code": code_fingerprint(path), "software": software_fingerprint(path)}


def check_results_folder():
    problem = writable_folder_problem("results")
    if problem:
        raise WorkflowError(
            f"{problem}. The workflow writes everything under results/: make it a writable "
            "folder (or move the file that has its name), then run again."
        )


INSTRUMENT = load_instrument()
check_replication()
check_redcap()
MODERATORS = load_moderators()
REGISTRY = load_sites()
check_results_folder()
SITES = {site.site_id: site for site in REGISTRY.sites}
# Only sites whose file has arrived run jobs; every registered site, in registry order,
# is counted in the overview, the flow and the report.
SITE_IDS = list(SITES)
REGISTERED_IDS = list(REGISTRY.registered)
AWAITING = [site.as_params() for site in REGISTRY.awaiting]


wildcard_constraints:
    site=SITE_ID_PATTERN,
    shard=SHARD_NAME_PATTERN,


SHARD_SITES = group_by_shard(SITE_IDS, config["execution"]["shards"])
SITE_TABLES = ("summary", "items", "likert", "demographics")


def shard_inputs(wildcards):
    """Every file the shard's sites sent: data, and a summary site's optional items."""
    files = []
    for site in SHARD_SITES[wildcards.shard]:
        files += [SITES[site].path] + (
            [SITES[site].items_path] if SITES[site].items_path else []
        )
    return files


def shard_content(wildcards):
    """SHA-256 of each site's files as this run found them. A file edited while a run reads
    it changes this param, so the next run redoes the site even if Snakemake's own
    checksum was taken after the edit."""
    hashes = {}
    for site in SHARD_SITES[wildcards.shard]:
        hashes[site] = SITES[site].sha256
        if SITES[site].items_path:
            hashes[f"{site}:items"] = sha256_file(Path(SITES[site].items_path))
    return hashes


def shard_sites(wildcards):
    """The registry rows of the shard's sites, in registry order."""
    return [SITES[site].as_params() for site in SHARD_SITES[wildcards.shard]]


def shard_tables(shard):
    return [f"results/shards/{shard}/{table}.csv" for table in SITE_TABLES]


# Each shard job lists the per-site files it wrote in a manifest of its own, and so does
# the HTML report's job for the hospital pages: Snakemake tracks these few files instead of
# every site's (docs/scaling.md).
SHARD_MANIFESTS = {
    "validate": "results/shards/{shard}/validated.json",
    "stats": "results/shards/{shard}/stats.json",
}
SITE_PAGE = "results/sites/{site}/report.html"
SITE_PAGES_MANIFEST = "results/report/site_pages.json"


def drop_void_manifests():
    """Remove a manifest naming a per-site file that is gone (deleted by hand): Snakemake
    tracks the job by its manifest, so the job then runs again."""
    paths = [
        pattern.format(shard=shard)
        for shard in SHARD_SITES
        for pattern in SHARD_MANIFESTS.values()
    ]
    for path in [*paths, SITE_PAGES_MANIFEST]:
        reason = void_reason(path)
        if reason:
            logger.warning(f"{path}: {reason}; the job that wrote it runs again")
            Path(path).unlink()


def site_pages():
    """Each site's page, by site id, as report_page writes and lists them."""
    return {site: SITE_PAGE.format(site=site) for site in SITE_IDS}


def shard_manifests(step):
    """Every shard's manifest of ``step`` ('validate' or 'stats')."""
    return expand(SHARD_MANIFESTS[step], shard=SHARD_SITES)


drop_void_manifests()


# The files each shard job writes for one site, by kind: a clean items table only for a
# site sending the summary format.
VALIDATED_PATTERNS = {
    "report": "results/validation/{site}.json",
    "report_md": "results/validation/{site}.md",
    "clean": "results/clean/{site}.csv",
    "clean_items": "results/clean/{site}.items.csv",
}
STATS_PATTERNS = {table: f"results/sites/{{site}}/{table}.csv" for table in SITE_TABLES}


def validated_files(site_id):
    return {
        kind: pattern.format(site=site_id)
        for kind, pattern in VALIDATED_PATTERNS.items()
        if kind != "clean_items" or SITES[site_id].format == "summary"
    }


def stats_files(site_id):
    return {
        table: pattern.format(site=site_id) for table, pattern in STATS_PATTERNS.items()
    }


def shard_site_files(step):
    """A params function: each site of the shard with the files ``step`` writes for it."""
    files_of = {"validate": validated_files, "stats": stats_files}[step]
    return lambda wildcards: {
        site: files_of(site) for site in SHARD_SITES[wildcards.shard]
    }


def consortium_tables(table):
    """One of the per-site tables, for every site, as the shards wrote them together."""
    return [f"results/shards/{shard}/{table}.csv" for shard in SHARD_SITES]


def sites_with_format(data_format):
    return [site_id for site_id, site in SITES.items() if site.format == data_format]


def enrolment_dates():
    """Every site's enrolment date, in registry order (orders cumulative analyses)."""
    return {site_id: site.enrolled.isoformat() for site_id, site in SITES.items()}


def moderator_values():
    """Each site's moderator cells as the registry holds them ("" where unknown), in
    registry order: plain strings, so that editing a value reruns the steps using it."""
    return {site_id: dict(site.moderators) for site_id, site in SITES.items()}


def registry_rows():
    """The registry as plain values, moderator cells included: what the report shows of
    each site."""
    return [
        {**site.as_params(), **({"moderators": site.moderators} if MODERATORS else {})}
        for site in SITES.values()
    ]


def report_settings(report_keys, disclosure=False, analysis=True):
    """What a report step reads from the config and registry, as plain values (only what
    it uses, so that changing anything else does not rerun it): the ``report`` keys named,
    the disclosure rule if asked, and the pooling settings and original study unless
    ``analysis`` is False."""
    settings = {
        "roles": list(INSTRUMENT.roles),
        "outcomes": list(INSTRUMENT.outcomes),
        "names": {site_id: site.name for site_id, site in SITES.items()},
        "enrolled": enrolment_dates(),
        "report": {key: config["report"][key] for key in report_keys if key in config["report"]},
    }
    if analysis:
        settings["original_study"] = config["original_study"]
        settings["pooling"] = config["pooling"]
    if disclosure:
        settings["disclosure"] = config["disclosure"]
    return settings


TABLE_SETTINGS = ("alpha", "site_order")
PAGE_SETTINGS = (*TABLE_SETTINGS, "appendix_max_sites")
FOREST_SETTINGS = ("forest_max_sites", "site_order")
LIKERT_SETTINGS = ("likert_max_sites", "site_order")


# Snakemake's report lists the items of a subcategory as a table of their labels and hides
# the caption behind an icon (snakemake 9.27.1, report/html_reporter/template/components/
# abstract_results.js), so each item carries a few-word summary as a label too. Label
# values stay short: the report draws the selected row on one line.
TABLE_SUBCATEGORIES = {
    "replication": "Replication: headline table",
    "replication_matrix": "Replication: criteria matrix",
    "heterogeneity": "Why hospitals differ",
    "sites": "Results per site",
    "participants": "Participants (Table 1)",
    "items": "Concerns, benefit, relationship",
}
TABLE_FORMATS = {
    "html": "HTML, to read",
    "md": "Markdown, to paste",
    "csv": "CSV, every column",
}
FIGURE_SUBCATEGORIES = {
    "flow": "Flow diagram",
    "forest": "Forest plots",
    "cumulative": "Cumulative plots",
    "likert": "Likert charts",
    "bubble": "Moderators: bubble plots",
    "subgroups": "Moderators: subgroup plots",
    "baujat": "Influence: Baujat plots",
}
FIGURE_SUMMARIES = {
    "flow": "who took part, every exclusion counted",
    "forest": "change per site, pooled, original",
    "cumulative": "pooled change as sites joined",
    "likert": "answers before and after",
    "bubble": "change against the moderator",
    "subgroups": "pooled change per level",
    "baujat": "sites driving heterogeneity",
}


def figure_labels(stem):
    """What a reader needs to pick a figure from the report's list: the role, the outcome
    (or Likert domain), the moderator where there is one, and what the figure shows."""
    kind, _, rest = stem.partition("_")
    labels = {}
    role = next((r for r in INSTRUMENT.roles if rest.startswith(f"{r}_")), None)
    if role is not None:
        labels["role"] = role.capitalize()
        rest = rest.removeprefix(f"{role}_")
        subjects = (*INSTRUMENT.outcomes, "overview")
        subject = max(
            (o for o in subjects if rest == o or rest.startswith(f"{o}_")),
            key=len,
            default=rest,
        )
        labels["outcome"] = (
            "All domains"
            if subject == "overview"
            else INSTRUMENT.outcome_label(subject)
        )
        moderator_id = rest.removeprefix(subject).removeprefix("_")
        if moderator_id:
            labels["moderator"] = next(
                (m.label for m in MODERATORS if m.id == moderator_id), moderator_id
            )
    labels["shows"] = FIGURE_SUMMARIES.get(kind, kind)
    return labels


def report_table_files():
    return [
        report_item(
            f"results/tables/{name}.{suffix}",
            caption=str(CAPTIONS / f"table_{name}.rst"),
            category="Tables",
            subcategory=TABLE_SUBCATEGORIES.get(name, name),
            labels={"format": TABLE_FORMATS[suffix]},
        )
        for name in TABLE_NAMES
        for suffix in ("csv", "md", "html")
    ]


def report_figure_files(kind):
    """The figures of one kind ('forest': forest and cumulative; 'moderators': bubble,
    subgroup and Baujat plots; 'likert'; 'flow': the flow diagram), PNG flagged for the
    report, SVG beside it."""
    if kind == "flow":
        stems = ["flow"]
    elif kind == "forest":
        stems = forest_stems(settings_from(report_settings(FOREST_SETTINGS)))
    elif kind == "moderators":
        stems = moderator_stems(
            settings_from(report_settings(FOREST_SETTINGS)), MODERATORS
        )
    else:
        stems = likert_stems(
            settings_from(report_settings(LIKERT_SETTINGS)), INSTRUMENT.domain_ids
        )
    files = []
    for stem in stems:
        kind_of_stem = stem.split("_", 1)[0]
        files.append(
            report_item(
                f"results/figures/{stem}.png",
                caption=str(CAPTIONS / f"figure_{kind_of_stem}.rst"),
                category="Figures",
                subcategory=FIGURE_SUBCATEGORIES.get(kind_of_stem, kind_of_stem),
                labels=figure_labels(stem),
            )
        )
        files.append(f"results/figures/{stem}.svg")
    return files


def page_figures():
    """The SVG figures the HTML report embeds."""
    kinds = ("forest", "moderators", "likert", "flow")
    return [
        str(path)
        for kind in kinds
        for path in report_figure_files(kind)
        if str(path).endswith(".svg")
    ]


def page_config():
    """The config sections the HTML report's words are written from."""
    keys = (
        "instrument",
        "moderators",
        "original_study",
        "pooling",
        "report",
        "replication",
        "disclosure",
    )
    return {key: config[key] for key in keys} | {
        "validation": {"on_invalid_site": config["validation"]["on_invalid_site"]}
    }


# Every file the shard jobs write for one site, as patterns: the validation overview
# removes those of a site no longer in the registry.
SITE_OUTPUT_PATTERNS = [
    *VALIDATED_PATTERNS.values(),
    *STATS_PATTERNS.values(),
    SITE_PAGE,
]


def shard_outputs(shard):
    """Every file of one shard that Snakemake tracks; its manifests list the sites' files."""
    return [
        f"results/shards/{shard}/validation.tsv",
        f"results/clean/shards/{shard}.changes.csv",
        *shard_tables(shard),
        *(pattern.format(shard=shard) for pattern in SHARD_MANIFESTS.values()),
        f"results/logs/validate/{shard}.log",
        f"results/logs/stats/{shard}.log",
    ]


CONSORTIUM_OUTPUTS = [
    "results/validation/overview.tsv",
    "results/validation/overview.md",
    "results/validation/policy_check.txt",
    *(
        f"results/pooled/{name}.csv"
        for name in (
            "meta_analysis",
            "weights",
            "leave_one_out",
            "cumulative",
            "combined_tests",
            "moderators",
            "subgroups",
            "influence",
            "items",
            "ipd_model",
            "descriptives",
            "replication_criteria",
            "replication_verdicts",
        )
    ),
    "results/report/config_used.yaml",
    "results/tables/flow.csv",
    *(
        f"results/logs/{step}.log"
        for step in (
            "validation_overview",
            "policy_check",
            "pool_sites",
            "pool_sensitivity",
            "pool_moderators",
            "pool_items",
            "ipd_model",
            "replication_criteria",
            "report_tables",
            "report_forests",
            "report_moderators",
            "report_likert",
            "report_flow",
            "report_config",
        )
    ),
]


def audited_outputs():
    """The files the audit manifest lists beside those the shard manifests list."""
    files = [path for shard in SHARD_SITES for path in shard_outputs(shard)]
    files += CONSORTIUM_OUTPUTS
    files += [str(path) for path in report_table_files()]
    files += [str(path) for path in report_figure_files("forest")]
    files += [str(path) for path in report_figure_files("moderators")]
    files += [str(path) for path in report_figure_files("likert")]
    files += [str(path) for path in report_figure_files("flow")]
    return files


def audited_inputs():
    """The consortium's own files: the config, the registry and every site's data."""
    files = [*workflow.configfiles, config["sites"]]
    for site in SITES.values():
        files += [site.path] + ([site.items_path] if site.items_path else [])
    return files


def audited_input_hashes():
    """Content of the config and registry: editing them (even a comment) renews the manifest."""
    return {
        path: sha256_file(Path(path))
        for path in [*workflow.configfiles, config["sites"]]
    }


def imported_packages():
    """Third-party packages any step imports, and their installed versions (recorded in the
    manifest, so an upgrade renews it)."""
    scripts = sorted((WORKFLOW_FOLDER / "scripts").glob("*.py"))
    names = sorted(set().union(*(third_party_imports(script) for script in scripts)))
    return {"names": names, "versions": distribution_versions([*names, "snakemake"])}


def workflow_version():
    return {"version": REVMENTOR_VERSION, **git_state(WORKFLOW_FOLDER.parent)}


def all_outputs():
    return [
        *shard_manifests("validate"),
        "results/validation/overview.tsv",
        *shard_manifests("stats"),
        "results/pooled/meta_analysis.csv",
        "results/pooled/items.csv",
        "results/pooled/ipd_model.csv",
        "results/pooled/replication_criteria.csv",
        *report_table_files(),
        *report_figure_files("forest"),
        *report_figure_files("moderators"),
        *report_figure_files("likert"),
        *report_figure_files("flow"),
        "results/report/config_used.yaml",
        "results/audit/manifest.json",
        "results/report/index.html",
        # Asked for by name, as the shards' manifests are: Snakemake reruns a job for a
        # missing output only when a job that runs anyway (this one) asks for it.
        SITE_PAGES_MANIFEST,
        "results/audit/report_manifest.json",
    ]
