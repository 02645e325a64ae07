"""Publication figures, as PNG and SVG: forest and cumulative plots, Likert bars, or why the
sites differ (bubble, subgroup and Baujat plots)."""

import sys
from pathlib import Path

import pandas as pd

from revmentor.core.instrument import Instrument
from revmentor.core.logs import step_logging
from revmentor.core.moderators import moderators_from_config, site_values
from revmentor.report.figure_plan import (
    cumulative_figures,
    forest_figures,
    likert_figures,
    moderator_figures,
)
from revmentor.report.figures.batch import write_figures
from revmentor.report.settings import settings_from

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
    elif snakemake.params.kind == "moderators":
        moderators = moderators_from_config(snakemake.params.moderators)
        values = site_values(moderators, snakemake.params.moderator_values)
        names = ("weights", "moderators", "subgroups", "influence")
        frames = {
            name: pd.read_csv(given[name], keep_default_na=False, na_values=[""]) for name in names
        }
        figures = moderator_figures(frames, settings, moderators, values)
    else:
        counts = pd.concat([pd.read_csv(path) for path in given.likert], ignore_index=True)
        domains = {domain.id: domain.label for domain in instrument.domains}
        levels = range(instrument.scale_min, instrument.scale_max + 1)
        figures = likert_figures(
            counts,
            settings,
            domains,
            levels,
            instrument.timepoints,
            summary_sites=snakemake.params.summary_sites,
        )
    cache = snakemake.params.figure_cache
    drawn = write_figures(figures, folder, cache_folder=Path(cache) if cache else None)
    log.info("%d figures", len(figures))
    # Not in the log, an output that must not depend on what an earlier run left cached.
    print(f"{len(drawn)} drawn, {len(figures) - len(drawn)} copied from {cache}", file=sys.stderr)
