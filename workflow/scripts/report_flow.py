"""The flow diagram (who took part, with every exclusion and its reason), as PNG and SVG,
and its counts as results/tables/flow.csv."""

from pathlib import Path

from revmentor.core.instrument import Instrument
from revmentor.core.logs import step_logging
from revmentor.core.shard_manifest import site_files
from revmentor.core.tables import write_csv
from revmentor.report.figures.flow import draw_flow, flow_diagram_data
from revmentor.report.figures.style import save_figure
from revmentor.report.flow import flow_from_files, flow_table

with step_logging(snakemake.log[0], "report_flow") as log:
    instrument = Instrument.from_config(snakemake.params.instrument)
    given = snakemake.input
    reports = site_files(given.validated, "report")
    flow = flow_from_files(
        snakemake.params.sites,
        [reports[site] for site in snakemake.params.sites if site in reports],
        given.meta,
        given.summaries,
        instrument.roles,
        instrument.outcomes,
    )
    figure = Path(snakemake.output.figures[0])
    save_figure(
        draw_flow(flow_diagram_data(flow, instrument.outcome_labels())), figure.with_suffix("")
    )
    write_csv(snakemake.output.table, flow_table(flow), for_people=True)
    log.info(
        "%d sites registered, %d received, %d valid", flow.registered, flow.received, flow.valid
    )
