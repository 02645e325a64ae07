"""Apply validation.on_invalid_site once the overview is written: under 'stop', fail naming
each invalid site; otherwise record what the analyses go on with."""

from pathlib import Path

from revmentor.core.files import write_text
from revmentor.core.logs import step_logging
from revmentor.validation.policy import policy_check, read_overview
from revmentor.validation.report import ValidationReport

with step_logging(snakemake.log[0], "policy_check"):
    table = read_overview(snakemake.input.overview)
    text = policy_check(
        table,
        snakemake.params.policy,
        lambda path: ValidationReport.from_json(Path(path).read_text("utf-8")),
    )
    write_text(snakemake.output[0], text)
