"""Forest plots, cumulative forest plots and diverging Likert bars, as PNG and SVG."""

from pathlib import Path

import pandas as pd

from revmentor.core.instrument import Instrument
from revmentor.core.logs import step_logging
from revmentor.report.assemble import settings_from
from revmentor.report.figure_plan import cumulative_figures, forest_figures, likert_figures
from revmentor.report.figures import draw_forest, draw_likert, save_figure

with step_logging(snakemake.log[0], "report_figures") as log:
    settings = settings_from(snakemake.params.settings)
    instrument = Instrument.from_config(snakemake.params.instrument)
    level = float(settings.pooling["level"])
    meta = pd.read_csv(snakemake.input.meta)
    folder = Path(snakemake.output.figures[0]).parent
    forests = forest_figures(meta, pd.read_csv(snakemake.input.weights), settings, level)
    forests |= cumulative_figures(pd.read_csv(snakemake.input.cumulative), settings, level)
    likert = pd.concat([pd.read_csv(path) for path in snakemake.input.likert], ignore_index=True)
    bars = likert_figures(
        likert,
        settings,
        {domain.id: domain.label for domain in instrument.domains},
        range(instrument.scale_min, instrument.scale_max + 1),
        instrument.timepoints,
    )
    for stem, data in forests.items():
        save_figure(draw_forest(data), folder / stem)
    for stem, data in bars.items():
        save_figure(draw_likert(data), folder / stem)
    log.info("%d forest and %d Likert figures", len(forests), len(bars))
