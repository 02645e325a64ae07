"""The ``revmentor`` command: add a site, rebuild the example consortium, verify a run."""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import re
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from revmentor.audit.manifest import (
    NOT_IN_MANIFEST,
    REPORT_MANIFEST,
    Discrepancy,
    UnusableManifest,
    parse_manifest,
    verify,
    verify_records,
)
from revmentor.core.config import CONFIG_SCHEMA, SITES_SCHEMA, load_config, read_yaml
from revmentor.core.disclosure import DisclosurePolicy, exported_items, exported_summary
from revmentor.core.files import write_text
from revmentor.core.instrument import Instrument
from revmentor.core.moderators import Moderator, moderators_from_config
from revmentor.core.problems import ProblemsError
from revmentor.core.redcap import dictionary_csv, event_timepoints, events_problems
from revmentor.core.site_ids import site_id_problem, site_name_problem, visible
from revmentor.core.summary_format import SUMMARY_COLUMNS
from revmentor.core.tables import csv_text
from revmentor.core.workbook import responses_workbook, save_workbook
from revmentor.run_lock import RunRefused, run_workflow, unlock_workflow
from revmentor.simulate.consortium import registry_text, responses_text, write_consortium
from revmentor.simulate.example import EXAMPLE_SITES
from revmentor.site_check import FORMATS, check_file
from revmentor.site_export import export_summary
from revmentor.stats.items import site_items
from revmentor.stats.site_summary import site_summary
from revmentor.validation.readers import ReadLimits
from revmentor.validation.registry import add_site, registered_site_ids, registry_columns
from revmentor.validation.site import validate_site


class CommandError(Exception):
    """A user mistake: printed as one clear line, exit status 2."""


#: The checkout the package was installed from (editable), whose workflow/ holds the schemas.
PACKAGE_CHECKOUT = Path(__file__).resolve().parents[2]


def workflow_file(root: Path, relative: Path) -> Path:
    """A file of the workflow (a schema): in the folder revmentor runs in, else, for a centre
    that keeps only its config/ and data/ and uses the workflow as a module, in the checkout
    the package was installed from."""
    for folder in (root, PACKAGE_CHECKOUT):
        if (folder / relative).is_file():
            return folder / relative
    raise CommandError(
        f"cannot find {relative} in {root} or in {PACKAGE_CHECKOUT}: run revmentor in the "
        "workflow's folder, or install the package from a clone of the workflow "
        "(README, 'Deploy as a Snakemake module')"
    )


def site_id_pattern(root: Path) -> str:
    return read_yaml(workflow_file(root, SITES_SCHEMA))["properties"]["site_id"]["pattern"]


def allowed_site_id(root: Path, site_id: str) -> None:
    """A :class:`CommandError` unless the registry would take ``site_id``."""
    if not re.fullmatch(site_id_pattern(root), site_id):
        raise CommandError(
            f"site id '{visible(site_id)}' is not allowed: start with a letter, then up to 63 "
            "letters, digits, '_' or '-'"
        )
    clash = site_id_problem(site_id)
    if clash:
        raise CommandError(f"site id '{site_id}' is not allowed: {clash[1]}")


def template_about(instrument: Instrument, site_id: str, name: str) -> list[str]:
    return [
        f"Data-entry template for site '{site_id}' ({name}). One row per participant and "
        "timepoint.",
        "participant_id: the site's own pseudonymous code (never a name).",
        f"role: one of {', '.join(instrument.roles)}; "
        f"timepoint: one of {', '.join(instrument.timepoints)} (baseline first).",
        f"Scores: whole numbers from {instrument.scale_min} to {instrument.scale_max}, one per "
        "domain; leave a missing score empty.",
        "Items are asked at one timepoint only (see each column's prompt); binary items: "
        "0 = no, 1 = yes.",
        "Save as .xlsx and point the registry's data column at the file.",
    ]


#: The file each format's site saves under data/<site_id>/, as new-site registers it.
DATA_FILES = {
    "responses": "responses.xlsx",
    "summary": "summary.csv",
    "redcap": "redcap_export.csv",
}


def write_site_templates(
    folder: Path,
    site_id: str,
    name: str,
    data_format: str,
    instrument: Instrument,
    redcap_events: Mapping[str, str] | None = None,
) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    if data_format == "redcap":
        # A REDCap site builds its project from the dictionary instead of filling a sheet.
        path = folder / "redcap_dictionary.csv"
        path.write_text(dictionary_csv(instrument, redcap_events or {}), encoding="utf-8")
        return [path]
    if data_format == "summary":
        path = folder / "summary_template.csv"
        path.write_text(",".join(SUMMARY_COLUMNS) + "\n", encoding="utf-8")
        return [path]
    csv_path = folder / "responses_template.csv"
    csv_path.write_text(",".join(instrument.known_columns()) + "\n", encoding="utf-8")
    xlsx_path = folder / "responses_template.xlsx"
    workbook = responses_workbook(
        instrument, site_id=site_id, about=template_about(instrument, site_id, name)
    )
    save_workbook(workbook, xlsx_path)
    return [csv_path, xlsx_path]


def moderator_settings(
    settings: Sequence[str], moderators: Sequence[Moderator], config_file: Path
) -> dict[str, str]:
    """``--set moderator=value`` options as registry cells, each checked as the registry
    checks it; a mistake is a :class:`CommandError` naming the option."""
    declared = {moderator.id: moderator for moderator in moderators}
    cells: dict[str, str] = {}
    for setting in settings:
        moderator_id, equals, typed = setting.partition("=")
        moderator_id, value = moderator_id.strip(), typed.strip()
        if not equals or not moderator_id:
            raise CommandError(
                f"--set '{setting}' is not MODERATOR=VALUE: write, e.g., "
                "--set hospital_type=teaching"
            )
        if moderator_id not in declared:
            known = ", ".join(declared) if declared else "none are declared"
            raise CommandError(
                f"--set {setting}: '{moderator_id}' is not a moderator declared under "
                f"'moderators:' in {config_file} ({known}); declare it there first"
            )
        if moderator_id in cells:
            raise CommandError(
                f"--set {moderator_id} is given twice ('{cells[moderator_id]}' and '{value}'): "
                "give each moderator once"
            )
        if not value:
            raise CommandError(
                f"--set {setting} gives no value: leave the --set out if the value is not "
                "known (an empty registry cell means unknown)"
            )
        problem = declared[moderator_id].value_problem(value)
        if problem:
            raise CommandError(f"--set {setting}: {problem}")
        cells[moderator_id] = value
    # In the config's order, as the registry's columns are added.
    return {moderator.id: cells[moderator.id] for moderator in moderators if moderator.id in cells}


def new_site(args: argparse.Namespace) -> int:
    root = Path(args.root)
    config = load_config(root / args.config, workflow_file(root, CONFIG_SCHEMA))
    instrument = Instrument.from_config(config["instrument"])
    moderators = moderators_from_config(config["moderators"])
    moderator_cells = moderator_settings(args.set, moderators, root / args.config)
    allowed_site_id(root, args.site_id)
    sites_tsv = root / config["sites"]
    taken = {site.casefold() for site in registered_site_ids(sites_tsv)}
    if args.site_id.casefold() in taken:
        raise CommandError(f"site id '{args.site_id}' is already in {sites_tsv}")
    # The registry trims every cell, so the name is saved as it will be read.
    name = args.name.strip()
    if not name:
        raise CommandError("the site name is empty: give the hospital's name with --name")
    name_problem = site_name_problem(name)
    if name_problem:
        raise CommandError(f"site name '{visible(name)}' is not allowed: {name_problem}")
    enrolled = args.enrolled or dt.date.today().isoformat()
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", enrolled) or not _is_date(enrolled):
        raise CommandError(
            f"--enrolled '{visible(enrolled)}' is not a date written YYYY-MM-DD: give the "
            "day the site joined as, e.g., 2025-02-01 for 1 February 2025"
        )
    if args.redcap_group and args.format != "redcap":
        raise CommandError(
            f"--redcap-group is for a REDCap site: add --format redcap, or leave "
            f"--redcap-group out for a {args.format} site"
        )
    data_root = root / config["data_root"]
    if args.format == "redcap":
        problems = events_problems(config["redcap"], instrument)
        if problems:
            raise ProblemsError(
                f"{root / args.config}: redcap.events does not fit the instrument", problems
            )
    data_file = f"{args.site_id}/{DATA_FILES[args.format]}"
    values = {
        "site_id": args.site_id,
        "name": name,
        "data": data_file,
        "format": args.format,
        "enrolled": enrolled,
        **({"redcap_group": args.redcap_group} if args.redcap_group else {}),
        **moderator_cells,
    }
    columns_before = registry_columns(sites_tsv)
    # Registered first: a registry that would not read back is refused before any file
    # is made. The name is kept as typed; outputs people open neutralise it.
    add_site(
        sites_tsv,
        values,
        row_schema=read_yaml(workflow_file(root, SITES_SCHEMA)),
        moderators=moderators,
    )
    templates = write_site_templates(
        data_root / args.site_id,
        args.site_id,
        name,
        args.format,
        instrument,
        event_timepoints(config["redcap"]),
    )
    print(f"Added site '{args.site_id}' to {sites_tsv}.")
    # A registry made afresh has no sites for which a column could be added.
    added = [cell for cell in moderator_cells if columns_before and cell not in columns_before]
    if added:
        print(
            f"Added the column(s) {', '.join(added)} to {sites_tsv}: empty (value unknown) "
            "for the sites already there."
        )
    if moderator_cells:
        shown = ", ".join(f"{key}={value}" for key, value in moderator_cells.items())
        print(f"Moderators: {shown}")
    unset = [moderator.id for moderator in moderators if moderator.id not in moderator_cells]
    if unset:
        print(
            f"Not set, so unknown for this site: {', '.join(unset)} (give them with "
            f"--set, or fill in the site's row of {sites_tsv}). A site whose value is "
            "unknown leaves the analyses of that moderator."
        )
    print("Templates: " + ", ".join(str(path) for path in templates))
    first = (
        'build the REDCap project from the dictionary (README, "Collect in REDCap"), '
        "export its records as CSV (raw data) and save the export"
        if args.format == "redcap"
        else "fill in a template, save it"
    )
    print(
        f"Next: {first} as {data_root / data_file}, then run "
        "'snakemake -n' to see what will run and 'snakemake --cores all' to run it."
    )
    return 0


def _is_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def local_summariser(instrument: Instrument, seed: int, policy: DisclosurePolicy | None = None):
    """What a summary-only site runs on its own data: validate, then summarise, with the
    disclosure policy applied as ``revmentor export-summary`` applies it."""
    policy = policy or DisclosurePolicy()

    def summarise(frame: pd.DataFrame, site_id: str) -> tuple[str, str]:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "responses.csv"
            path.write_text(responses_text(frame), encoding="utf-8")
            site = {"site_id": site_id, "name": site_id, "format": "responses", "file": "local"}
            report, clean = validate_site(path, site, instrument)
        if clean is None:
            raise ValueError(f"simulated site {site_id} is invalid:\n{report.to_markdown()}")
        summary = site_summary(clean, instrument, site_id, seed)
        exported, _ = exported_summary(summary, policy, instrument.outcome_range)
        items, _ = exported_items(site_items(clean, instrument, site_id), policy)
        return csv_text(exported, for_people=False), csv_text(items, for_people=False)

    return summarise


def export_summary_command(args: argparse.Namespace) -> int:
    """Write the summary a summary-only site sends, and say what the policy withheld."""
    root = Path(args.root)
    config = load_config(root / args.config, workflow_file(root, CONFIG_SCHEMA))
    instrument = Instrument.from_config(config["instrument"])
    policy = DisclosurePolicy.from_config(config["disclosure"])
    data = Path(args.data)
    if not data.is_file():
        raise CommandError(f"--data {args.data}: no such file")
    result = export_summary(data, args.data, args.site, instrument, config["seed"], policy)
    if result.csv is None:
        print(result.report.to_markdown(), file=sys.stderr)
        print(
            f"revmentor: {args.data} is not valid, so no summary was written; correct the "
            "problems above and run export-summary again",
            file=sys.stderr,
        )
        return 1
    write_text(Path(args.out), result.csv)
    for withheld in result.withheld:
        print(withheld.describe())
    wrote = f"Wrote {args.out}: {len(result.withheld)} withholding(s)"
    sent = "this file"
    if args.items_out and result.items_csv is not None:
        write_text(Path(args.items_out), result.items_csv)
        for withheld in result.items_withheld:
            print(withheld.describe())
        wrote += f" and {args.items_out}: {len(result.items_withheld)} withholding(s)"
        sent = "these two files"
    print(
        f"{wrote} under the disclosure policy "
        f"(min_pairs_summary {policy.min_pairs_summary}, min_pairs_order_statistics "
        f"{policy.min_pairs_order_statistics}, min_cell {policy.min_cell}). Send {sent} "
        "only; the responses stay with the site."
    )
    return 0


def simulate_example(args: argparse.Namespace) -> int:
    root = Path(args.root)
    config = load_config(root / args.config, workflow_file(root, CONFIG_SCHEMA))
    instrument = Instrument.from_config(config["instrument"])
    out_dir = root / args.out
    rows = write_consortium(
        EXAMPLE_SITES,
        out_dir,
        root / config["data_root"],
        instrument,
        config["seed"],
        summarise=local_summariser(
            instrument, config["seed"], DisclosurePolicy.from_config(config["disclosure"])
        ),
    )
    (root / args.sites).write_text(registry_text(rows), encoding="utf-8")
    print(f"Wrote {len(rows)} synthetic sites to {out_dir} and the registry {args.sites}.")
    return 0


def check_command(args: argparse.Namespace) -> int:
    """Validate one file as the workflow would; exit 1 when it is invalid."""
    root = Path(args.root)
    config = load_config(root / args.config, workflow_file(root, CONFIG_SCHEMA))
    if args.site is not None:
        allowed_site_id(root, args.site)
    path = Path(args.file)
    if not path.is_file():
        raise CommandError(f"{args.file}: no such file")
    items = Path(args.items) if args.items else None
    if items is not None and not items.is_file():
        raise CommandError(f"--items {args.items}: no such file")
    if items is not None and args.format not in (None, "summary"):
        raise CommandError("--items is the items file of a summary: add --format summary")
    checked = check_file(
        path,
        Instrument.from_config(config["instrument"]),
        site_id=args.site,
        data_format=args.format,
        items_path=items,
        limits=ReadLimits.from_config(config["validation"]),
        redcap=config["redcap"],
        disclosure=DisclosurePolicy.from_config(config["disclosure"]),
    )
    if items is not None and checked.data_format != "summary":
        raise CommandError(
            f"--items is the items file of a summary, and {args.file} reads as a "
            f"{checked.data_format} file: add --format summary if it is one"
        )
    report = checked.report
    print(report.to_markdown(), end="")
    for note in checked.notes:
        print(f"revmentor check: {note}", file=sys.stderr)
    verdict = (
        f"{args.file} is valid" if report.is_valid else f"{args.file} is NOT valid"
    ) + f": {len(report.errors)} error(s), {len(report.warnings)} warning(s)"
    print(
        f"revmentor check: {verdict}"
        + ("" if report.is_valid else "; correct the errors above and check it again"),
        file=sys.stderr,
    )
    return 0 if report.is_valid else 1


def redcap_dictionary(args: argparse.Namespace) -> int:
    """Write the REDCap data dictionary of the configured instrument."""
    root = Path(args.root)
    config = load_config(root / args.config, workflow_file(root, CONFIG_SCHEMA))
    instrument = Instrument.from_config(config["instrument"])
    problems = events_problems(config["redcap"], instrument)
    if problems:
        raise ProblemsError(
            f"{root / args.config}: redcap.events does not fit the instrument", problems
        )
    events = event_timepoints(config["redcap"])
    out = Path(args.out)
    write_text(out, dictionary_csv(instrument, events))
    print(
        f"Wrote the REDCap data dictionary to {out}. In REDCap: Project Setup > Data "
        "Dictionary > upload it; then enable longitudinal data collection, define the "
        f"events {', '.join(events)} and designate the form on both (README, "
        '"Collect in REDCap").'
    )
    return 0


def verify_manifest(args: argparse.Namespace) -> int:
    """Re-hash every file the manifest lists and look for files it does not list.

    Exit 0: everything matches; 1: a discrepancy (a changed, missing or unlisted file, or a
    manifest whose own SHA-256 is not the published one); 2: the manifest is unusable."""
    root = Path(args.root)
    path = root / args.manifest
    published = _published_sha256(args.manifest_sha256)
    if not path.is_file():
        raise CommandError(f"no manifest at {path}: run the workflow first ('make run')")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise CommandError(f"cannot read the manifest {path}: {error.strerror}") from None
    own_sha256 = hashlib.sha256(data).hexdigest()
    if published is not None and own_sha256 != published:
        print(
            f"verify: FAILED: {path} has SHA-256 {own_sha256}, not the published "
            f"{published}. The manifest was edited or replaced after that hash was "
            "published, so its list of files cannot be trusted: nothing was checked "
            "against it. Get the manifest that was published, or check the hash you typed.",
            file=sys.stderr,
        )
        return 1
    sidecar = path.with_suffix(".sha256")
    pages_path = root / REPORT_MANIFEST
    try:
        manifest = parse_manifest(data, str(path))
        pages = (
            parse_manifest(pages_path.read_bytes(), str(pages_path))
            if pages_path.is_file()
            else None
        )
        page_files = [record["path"] for record in pages["outputs"]] if pages else []
        problems = verify(
            manifest,
            root,
            inputs_may_be_under=[Path(folder) for folder in args.allow_inputs_under],
            also_unlisted=[_relative(file, root) for file in (path, sidecar)] + page_files,
            shown=str(path),
        )
        if pages is not None:
            problems += verify_records(pages, root)
    except UnusableManifest as error:
        raise CommandError(str(error)) from None
    recorded = sidecar.read_bytes().split()[:1] if sidecar.is_file() else [own_sha256.encode()]
    sidecar_differs = recorded != [own_sha256.encode()]
    if sidecar_differs:
        problems.append(
            Discrepancy(_relative(sidecar, root), "does not hold the manifest's own SHA-256")
        )
    checked = len(manifest["inputs"]) + len(manifest["outputs"]) + len(page_files)
    own = f"manifest SHA-256: {own_sha256}"
    own += (
        " (matches the published hash)"
        if published
        else " (compare it with the published hash, or pass it with --manifest-sha256)"
    )
    for problem in problems:
        print(problem)
    if problems:
        unlisted = sum(problem.problem == NOT_IN_MANIFEST for problem in problems)
        differ = len(problems) - unlisted - sidecar_differs
        summary = [f"verify: {differ} of {checked} files differ from {path}"]
        if unlisted:
            summary.append(f"{unlisted} file(s) under results/ are not in it")
        if sidecar_differs:
            summary.append(f"{sidecar} holds another hash")
        print("; ".join(summary) + f"\n{own}", file=sys.stderr)
        return 1
    listed = f"{path} and {pages_path}" if pages else str(path)
    print(f"verify: all {checked} files match {listed}, and results/ holds no other file\n{own}")
    return 0


def _published_sha256(text: str | None) -> str | None:
    if text is None:
        return None
    digest = text.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise CommandError(
            f"--manifest-sha256 {text!r} is not a SHA-256 (64 hexadecimal digits); copy "
            "the hash published with the results"
        )
    return digest


def _relative(path: Path, root: Path) -> str:
    """``path`` as the manifest names files (relative to the workflow folder), if inside."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="revmentor", description=__doc__)
    parser.add_argument("--root", default=".", help="the workflow's folder (default: .)")
    parser.add_argument("--config", default="config/config.yaml", help="config file, from root")
    commands = parser.add_subparsers(dest="command", required=True)

    add = commands.add_parser("new-site", help="register a hospital and make its templates")
    add.add_argument("site_id")
    add.add_argument("--name", required=True, help="the hospital's name, as shown in tables")
    add.add_argument("--format", choices=list(DATA_FILES), default="responses")
    add.add_argument("--enrolled", help="the date the site joined, YYYY-MM-DD (default: today)")
    add.add_argument(
        "--redcap-group",
        metavar="GROUP",
        help="a REDCap site's data access group, when it is not the site id as REDCap "
        "writes a group name (lower case, '_' for other characters)",
    )
    add.add_argument(
        "--set",
        metavar="MODERATOR=VALUE",
        action="append",
        default=[],
        help="the site's value of a moderator declared in the config (repeatable), "
        "e.g. --set hospital_type=teaching --set mentoring_hours=12",
    )
    add.set_defaults(run=new_site)

    example = commands.add_parser("simulate-example", help="rebuild the bundled example")
    example.add_argument("--out", default="data/example")
    example.add_argument("--sites", default="config/sites.tsv")
    example.set_defaults(run=simulate_example)

    export = commands.add_parser(
        "export-summary",
        help="validate and summarise a site's responses, with the disclosure policy applied",
    )
    export.add_argument("--site", required=True, help="the site's id in the registry")
    export.add_argument("--data", required=True, help="the site's responses file")
    export.add_argument("--out", required=True, help="the summary CSV to write and send")
    export.add_argument(
        "--items-out",
        help="also write the items CSV (concerns, benefit, relationship effect) to send",
    )
    export.set_defaults(run=export_summary_command)

    one_file = commands.add_parser(
        "check",
        help="validate one site's file as the workflow would, before sending it",
        description="Validate one file against the configured instrument, with no workflow "
        "and no registry entry. Prints the report the workflow writes; exits 1 when the file "
        "is invalid.",
    )
    one_file.add_argument("file", help="the file to check (.xlsx or .csv)")
    one_file.add_argument(
        "--site", help="your site id, checked against the file (default: the one it names)"
    )
    one_file.add_argument(
        "--format", choices=FORMATS, help="the file's format (default: read from its columns)"
    )
    one_file.add_argument("--items", help="a summary's items file, checked with it")
    one_file.set_defaults(run=check_command)

    dictionary = commands.add_parser(
        "redcap-dictionary", help="write a REDCap data dictionary for the configured instrument"
    )
    dictionary.add_argument("--out", required=True, help="the CSV file to write")
    dictionary.set_defaults(run=redcap_dictionary)

    check = commands.add_parser("verify", help="check every file against the audit manifest")
    check.add_argument("--manifest", default="results/audit/manifest.json")
    check.add_argument(
        "--manifest-sha256",
        metavar="HASH",
        help="the manifest's SHA-256 as published with the results: fail unless it matches",
    )
    check.add_argument(
        "--allow-inputs-under",
        metavar="FOLDER",
        action="append",
        default=[],
        help="a folder outside the workflow folder that holds inputs (data kept elsewhere)",
    )
    check.set_defaults(run=verify_manifest)

    run = commands.add_parser("run", help="run the workflow (what 'make run' does)")
    run.add_argument("--cores", default="all", help="cores Snakemake may use (default: all)")
    run.add_argument("snakemake_args", nargs="*", help="more Snakemake arguments, after --")
    run.set_defaults(run=run_command)

    unlock = commands.add_parser("unlock", help="remove a killed run's lock (refused mid-run)")
    unlock.set_defaults(run=unlock_command)
    return parser


def run_command(args: argparse.Namespace) -> int:
    try:
        return run_workflow(Path(args.root), ["--cores", args.cores, *args.snakemake_args])
    except RunRefused as refused:
        raise CommandError(str(refused)) from None


def unlock_command(args: argparse.Namespace) -> int:
    try:
        return unlock_workflow(Path(args.root))
    except RunRefused as refused:
        raise CommandError(str(refused)) from None


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (CommandError, ValueError) as error:
        print(f"revmentor: {error}", file=sys.stderr)
        return 2
    except ProblemsError as error:
        print(f"revmentor: {error.describe()}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
