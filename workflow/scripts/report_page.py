"""The HTML report: results/report/index.html and every site's report.html."""

import json
from pathlib import Path

from revmentor.core.files import write_text
from revmentor.core.instrument import Instrument
from revmentor.core.logs import step_logging
from revmentor.core.moderators import moderators_from_config
from revmentor.core.shard_manifest import site_files, write_files_manifest
from revmentor.report.flow import read_validation_reports
from revmentor.report.inputs import read_report_frames
from revmentor.report.page.build import (
    PageInputs,
    SharedPageData,
    consortium_page,
    site_page_inputs,
)
from revmentor.report.page.parallel import write_site_pages
from revmentor.report.settings import settings_from

with step_logging(snakemake.log[0], "report_page") as log:
    given = snakemake.input
    frames = read_report_frames(dict(given.items()))
    figures = {Path(path).stem: Path(path) for path in given.figures if path.endswith(".svg")}
    manifest_text = Path(given.manifest).read_text(encoding="utf-8")
    reports = site_files(given.validated, "report")
    inputs = PageInputs(
        settings=settings_from(snakemake.params.settings),
        instrument=Instrument.from_config(snakemake.params.config["instrument"]),
        moderators=moderators_from_config(snakemake.params.config["moderators"]),
        config=snakemake.params.config,
        figures=figures,
        validation=read_validation_reports(
            reports[site] for site in snakemake.params.site_ids if site in reports
        ),
        config_used=Path(given.config_used).read_text(encoding="utf-8"),
        manifest=json.loads(manifest_text),
        manifest_sha256=Path(given.manifest_sha256).read_text(encoding="utf-8").split()[0],
        awaiting=snakemake.params.awaiting,
    )
    write_text(snakemake.output.index, consortium_page(frames, inputs))
    # The hospital pages need only what SharedPageData indexes: the frames go first, so
    # that the processes writing the pages do not each start with them.
    shared = SharedPageData.from_frames(frames, inputs)
    del frames
    site_ids, paths = snakemake.params.site_ids, snakemake.params.site_pages
    write_site_pages(site_ids, shared, site_page_inputs(inputs), paths, cores=snakemake.threads)
    # Last: a job killed half way leaves no manifest, so it runs again.
    write_files_manifest(
        snakemake.output.pages,
        {"job": "report_page"},
        {site: {"page": paths[site]} for site in site_ids},
    )
    # The log says what was written, not how many processes wrote it: logs are outputs,
    # and the same run on another number of cores gives the same bytes.
    log.info("index.html and %d site reports", len(site_ids))
