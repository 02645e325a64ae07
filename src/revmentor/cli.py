"""The ``revmentor`` command: add a site, rebuild the example consortium, verify a run."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from revmentor.audit.manifest import verify
from revmentor.core.config import SITES_SCHEMA, load_config, read_yaml
from revmentor.core.instrument import Instrument
from revmentor.core.problems import ProblemsError
from revmentor.core.summary_format import SUMMARY_COLUMNS
from revmentor.core.tables import csv_text
from revmentor.core.workbook import responses_workbook, save_workbook
from revmentor.simulate.consortium import registry_text, responses_text, write_consortium
from revmentor.simulate.example import EXAMPLE_SITES
from revmentor.stats.items import site_items
from revmentor.stats.site_summary import site_summary
from revmentor.validation.readers import decode_text
from revmentor.validation.site import validate_site


class CommandError(Exception):
    """A user mistake: printed as one clear line, exit status 2."""


def site_id_pattern(root: Path) -> str:
    return read_yaml(root / SITES_SCHEMA)["properties"]["site_id"]["pattern"]


def registered_ids(sites_tsv: Path) -> list[str]:
    if not sites_tsv.exists():
        return []
    lines = decode_text(sites_tsv.read_bytes(), str(sites_tsv)).splitlines()
    return [line.split("\t", 1)[0].strip() for line in lines[1:] if line.strip()]


def template_about(instrument: Instrument, site_id: str) -> list[str]:
    return [
        f"Data-entry template for site '{site_id}'. One row per participant and timepoint.",
        "participant_id: the site's own pseudonymous code (never a name).",
        f"role: one of {', '.join(instrument.roles)}; "
        f"timepoint: one of {', '.join(instrument.timepoints)} (baseline first).",
        f"Scores: whole numbers from {instrument.scale_min} to {instrument.scale_max}, one per "
        "domain; leave a missing score empty.",
        "Items are asked at one timepoint only (see each column's prompt); binary items: "
        "0 = no, 1 = yes.",
        "Save as .xlsx and point the registry's data column at the file.",
    ]


def write_site_templates(
    folder: Path, site_id: str, data_format: str, instrument: Instrument
) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    if data_format == "summary":
        path = folder / "summary_template.csv"
        path.write_text(",".join(SUMMARY_COLUMNS) + "\n", encoding="utf-8")
        return [path]
    csv_path = folder / "responses_template.csv"
    csv_path.write_text(",".join(instrument.known_columns()) + "\n", encoding="utf-8")
    xlsx_path = folder / "responses_template.xlsx"
    workbook = responses_workbook(
        instrument, site_id=site_id, about=template_about(instrument, site_id)
    )
    save_workbook(workbook, xlsx_path)
    return [csv_path, xlsx_path]


def new_site(args: argparse.Namespace) -> int:
    root = Path(args.root)
    config = load_config(root / args.config, root / "workflow/schemas/config.schema.yaml")
    instrument = Instrument.from_config(config["instrument"])
    if not re.fullmatch(site_id_pattern(root), args.site_id):
        raise CommandError(
            f"site id '{args.site_id}' is not allowed: start with a letter, then up to 63 "
            "letters, digits, '_' or '-'"
        )
    sites_tsv = root / config["sites"]
    taken = {site.casefold() for site in registered_ids(sites_tsv)}
    if args.site_id.casefold() in taken:
        raise CommandError(f"site id '{args.site_id}' is already in {sites_tsv}")
    if "\t" in args.name or "\n" in args.name:
        raise CommandError("the site name may not contain tabs or line breaks")
    enrolled = args.enrolled or dt.date.today().isoformat()
    dt.date.fromisoformat(enrolled)
    data_root = root / config["data_root"]
    folder = data_root / args.site_id
    templates = write_site_templates(folder, args.site_id, args.format, instrument)
    data_file = f"{args.site_id}/{'summary.csv' if args.format == 'summary' else 'responses.xlsx'}"
    values = {
        "site_id": args.site_id,
        "name": args.name,
        "data": data_file,
        "format": args.format,
        "enrolled": enrolled,
    }
    text = sites_tsv.read_text(encoding="utf-8")
    header = text.splitlines()[0].split("\t") if text.strip() else list(values)
    row = "\t".join(values.get(column.strip(), "") for column in header) + "\n"
    sites_tsv.write_text(text + ("" if text.endswith("\n") else "\n") + row, encoding="utf-8")
    print(f"Added site '{args.site_id}' to {sites_tsv}.")
    print("Templates: " + ", ".join(str(path) for path in templates))
    print(
        f"Next: fill in a template, save it as {data_root / data_file}, then run "
        "'snakemake -n' to see what will run and 'snakemake --cores all' to run it."
    )
    return 0


def local_summariser(instrument: Instrument, seed: int):
    """What a summary-only site runs on its own data: validate, then summarise."""

    def summarise(frame: pd.DataFrame, site_id: str) -> tuple[str, str]:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "responses.csv"
            path.write_text(responses_text(frame), encoding="utf-8")
            site = {"site_id": site_id, "name": site_id, "format": "responses", "file": "local"}
            report, clean = validate_site(path, site, instrument)
        if clean is None:
            raise ValueError(f"simulated site {site_id} is invalid:\n{report.to_markdown()}")
        return (
            csv_text(site_summary(clean, instrument, site_id, seed)),
            csv_text(site_items(clean, instrument, site_id)),
        )

    return summarise


def simulate_example(args: argparse.Namespace) -> int:
    root = Path(args.root)
    config = load_config(root / args.config, root / "workflow/schemas/config.schema.yaml")
    instrument = Instrument.from_config(config["instrument"])
    out_dir = root / args.out
    rows = write_consortium(
        EXAMPLE_SITES,
        out_dir,
        root / config["data_root"],
        instrument,
        config["seed"],
        summarise=local_summariser(instrument, config["seed"]),
    )
    (root / args.sites).write_text(registry_text(rows), encoding="utf-8")
    print(f"Wrote {len(rows)} synthetic sites to {out_dir} and the registry {args.sites}.")
    return 0


def verify_manifest(args: argparse.Namespace) -> int:
    """Re-hash every file the manifest lists; name each one missing or changed."""
    root = Path(args.root)
    path = root / args.manifest
    if not path.is_file():
        raise CommandError(f"no manifest at {path}: run the workflow first ('make run')")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    problems = verify(manifest, root)
    checked = len(manifest["inputs"]) + len(manifest["outputs"])
    for problem in problems:
        print(problem)
    if problems:
        print(f"verify: {len(problems)} of {checked} files differ from {path}", file=sys.stderr)
        return 1
    print(f"verify: all {checked} files match {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="revmentor", description=__doc__)
    parser.add_argument("--root", default=".", help="the workflow's folder (default: .)")
    parser.add_argument("--config", default="config/config.yaml", help="config file, from root")
    commands = parser.add_subparsers(dest="command", required=True)

    add = commands.add_parser("new-site", help="register a hospital and make its templates")
    add.add_argument("site_id")
    add.add_argument("--name", required=True, help="the hospital's name, as shown in tables")
    add.add_argument("--format", choices=["responses", "summary"], default="responses")
    add.add_argument("--enrolled", help="ISO date the site joined (default: today)")
    add.set_defaults(run=new_site)

    example = commands.add_parser("simulate-example", help="rebuild the bundled example")
    example.add_argument("--out", default="data/example")
    example.add_argument("--sites", default="config/sites.tsv")
    example.set_defaults(run=simulate_example)

    check = commands.add_parser("verify", help="check every file against the audit manifest")
    check.add_argument("--manifest", default="results/audit/manifest.json")
    check.set_defaults(run=verify_manifest)
    return parser


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
