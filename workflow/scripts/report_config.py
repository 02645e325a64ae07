"""The configuration and site registry this run used, for the report and for auditors."""

import yaml

from revmentor.core.files import write_text
from revmentor.core.logs import step_logging

with step_logging(snakemake.log[0], "report_config"):
    used = {"config": dict(snakemake.params.config), "sites": list(snakemake.params.sites)}
    write_text(snakemake.output[0], yaml.safe_dump(used, sort_keys=False, allow_unicode=True))
