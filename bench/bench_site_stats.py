"""Benchmark: the per-site work of the workflow's shard jobs, in one process, per site.

It simulates a consortium with the package's simulator (as ``bench/run_bench.py`` does:
20 mentors and 20 mentees per site), then times, site by site, what the two shard jobs do:

- ``validate``: ``validate_shard.py``'s work (read and check the file, the report as JSON
  and Markdown, the clean table as CSV);
- ``stats``: ``stats_shard.py``'s work (read the clean tables back, the four per-site
  tables of every site and the change table, all as CSV; all sites as one shard where the
  package has ``shard_tables``, site by site before).

``--baseline REV`` runs the same timings first on the package as it is at git revision
REV (exported to a temporary folder), so that before and after are measured in one run on
the same machine. ``--profile FILE`` writes a cProfile of the stats phase of this tree.

    PYTHONPATH=src python bench/bench_site_stats.py --sites 100 --baseline HEAD
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def simulate(folder: Path, n_sites: int, seed: int) -> None:
    sys.path.insert(0, str(REPO / "bench"))
    from run_bench import build

    build(folder, n_sites, seed)


def measure(folder: Path, profile: Path | None) -> dict[str, float]:
    """Seconds per site of the validate and the stats work, on the package imported here."""
    from revmentor.core.config import SITES_SCHEMA, load_config, read_yaml
    from revmentor.core.disclosure import DisclosurePolicy
    from revmentor.core.instrument import Instrument
    from revmentor.core.moderators import moderators_from_config
    from revmentor.core.tables import table_csv
    from revmentor.stats.distributions import CHANGE_COLUMNS, change_table
    from revmentor.steps import SITE_TABLES, site_tables
    from revmentor.validation.clean import clean_csv, read_clean
    from revmentor.validation.readers import ReadLimits
    from revmentor.validation.registry import read_registry
    from revmentor.validation.site import validate

    try:  # the pairs shared by the tables of one site (absent before issue 15)
        from revmentor.stats.pairs import site_pairs
    except ImportError:
        site_pairs = None
    try:  # every site of a shard at once, as stats_shard.py does (issue 15)
        from revmentor.steps import SiteData, shard_tables
    except ImportError:
        shard_tables = None
    try:  # a shard's sites validated together, as its job does (absent before issue 15)
        from revmentor.validation.site import validate_each
    except ImportError:

        def validate_each(sites, instrument, limits, redcap=None, disclosure=None):
            return (validate(site, instrument, limits, disclosure=disclosure) for site in sites)

    config = load_config(
        folder / "config/config.yaml", REPO / "workflow/schemas/config.schema.yaml"
    )
    instrument = Instrument.from_config(config["instrument"])
    limits = ReadLimits.from_config(config["validation"])
    disclosure = DisclosurePolicy.from_config(config["disclosure"])
    seed = config["seed"]
    sites = read_registry(
        folder / config["sites"],
        folder / config["data_root"],
        allow_absolute=config["allow_absolute_data_paths"],
        row_schema=read_yaml(REPO / SITES_SCHEMA),
        moderators=moderators_from_config(config.get("moderators")),
    )
    cleans = folder / "clean"
    cleans.mkdir(exist_ok=True)
    previous = Path.cwd()
    os.chdir(folder)
    try:
        started = time.process_time()
        params = [site.as_params() for site in sites]
        checked_sites = validate_each(params, instrument, limits, disclosure=disclosure)
        for site, checked in zip(sites, checked_sites, strict=True):
            checked.report.to_json()
            checked.report.to_markdown()
            text = clean_csv(checked.clean, instrument)
            (cleans / f"{site.site_id}.csv").write_text(text, encoding="utf-8")
        validate_seconds = time.process_time() - started

        def stats_phase() -> None:
            if shard_tables is not None:
                shard = shard_tables(
                    (
                        SiteData(
                            site.site_id, read_clean(cleans / f"{site.site_id}.csv", instrument)
                        )
                        for site in sites
                    ),
                    instrument,
                    seed,
                )
                for table in SITE_TABLES:
                    shard.csv_texts(table)
                table_csv(shard.changes, CHANGE_COLUMNS, for_people=False)
                return
            for site in sites:
                clean = read_clean(cleans / f"{site.site_id}.csv", instrument)
                if site_pairs is None:
                    tables = site_tables(site.site_id, instrument, seed, clean)
                    changes = change_table(clean, instrument, site.site_id)
                else:
                    pairs = site_pairs(clean, instrument)
                    tables = site_tables(site.site_id, instrument, seed, clean, pairs=pairs)
                    changes = change_table(clean, instrument, site.site_id, pairs)
                for table, frame in tables.items():
                    table_csv(frame, SITE_TABLES[table], for_people=False)
                table_csv(changes, CHANGE_COLUMNS, for_people=False)

        started = time.process_time()
        stats_phase()
        stats_seconds = time.process_time() - started
        # profiled apart from the timing, which the profiler would slow down
        profiler = cProfile.Profile() if profile else None
        if profiler:
            profiler.runcall(stats_phase)
    finally:
        os.chdir(previous)
    if profiler and profile:
        profiler.dump_stats(profile)
        shown = io.StringIO()
        pstats.Stats(profiler, stream=shown).sort_stats("cumulative").print_stats(30)
        print(shown.getvalue(), file=sys.stderr)
    return {
        "validate_per_site": validate_seconds / len(sites),
        "stats_per_site": stats_seconds / len(sites),
    }


def baseline(folder: Path, revision: str) -> dict[str, float]:
    """The same measure on the package at ``revision``, in a fresh process."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", revision, "src"], capture_output=True, check=True
    ).stdout
    with tempfile.TemporaryDirectory(prefix="bench-baseline-") as target:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(target, filter="data")
        environment = {**os.environ, "PYTHONPATH": str(Path(target) / "src")}
        result = subprocess.run(
            [sys.executable, __file__, "--measure-only", str(folder)],
            capture_output=True,
            text=True,
            check=True,
            env=environment,
        )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", type=int, default=100)
    parser.add_argument("--seed", type=int, default=20240501)
    parser.add_argument("--baseline", metavar="REV", help="also time the package at git REV")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the stats phase")
    parser.add_argument("--measure-only", type=Path, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.measure_only:
        print(json.dumps(measure(arguments.measure_only, None)))
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-site-stats-") as work:
        folder = Path(work) / f"sites{arguments.sites}"
        simulate(folder, arguments.sites, arguments.seed)
        rows = []
        if arguments.baseline:
            rows.append((f"at {arguments.baseline}", baseline(folder, arguments.baseline)))
        rows.append(("this tree", measure(folder, arguments.profile)))
    print(f"{arguments.sites} sites, CPU seconds per site")
    print(f"{'package':<20} {'validate':>10} {'stats':>10}")
    for name, seconds in rows:
        print(
            f"{name:<20} {seconds['validate_per_site']:>10.4f} {seconds['stats_per_site']:>10.4f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
