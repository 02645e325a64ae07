"""Publication figures, as PNG and SVG: forest and cumulative plots, or Likert bars."""

from pathlib import Path

import pandas as pd

from revmentor.core.instrument import Instrument
from revmentor.core.logs import step_logging
from revmentor.report.assemble import settings_from
from revmentor.report.figure_plan import cumulative_figures, forest_figures, likert_figures
from revmentor.report.figures import draw_forest, draw_likert, save_figure

with step_logging(snakemake.log[0], f"report_{snakemake.params.kind}") as log:
    settings = settings_from(snakemake.params.settings)
    instrument = Instrument.from_config(snakemake.params.instrument)
    folder = Path(snakemake.output.figures[0]).parent
    given = snakemake.input
    if snakemake.params.kind == "forest":
        level = float(settings.pooling["level"])
        weights = pd.read_csv(given.weights)
        figures = forest_figures(pd.read_csv(given.meta), weights, settings, level)
        figures |= cumulative_figures(pd.read_csv(given.cumulative), settings, level)
        draw = draw_forest
    else:
        counts = pd.concat([pd.read_csv(path) for path in given.likert], ignore_index=True)
        domains = {domain.id: domain.label for domain in instrument.domains}
        levels = range(instrument.scale_min, instrument.scale_max + 1)
        figures = likert_figures(counts, settings, domains, levels, instrument.timepoints)
        draw = draw_likert
    for stem, data in figures.items():
        save_figure(draw(data), folder / stem)
    log.info("%d figures", len(figures))
