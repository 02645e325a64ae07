# Multi-site replication of Raju et al. (BMJ Open 2022) reverse-mentoring study.
# This file only sets up: it validates the config and includes one rule file per stage.
from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config/config.yaml"


validate(config, "workflow/schemas/config.schema.yaml")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/validate.smk"
include: "workflow/rules/site_stats.smk"
include: "workflow/rules/pool.smk"
include: "workflow/rules/replication.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/audit.smk"


rule all:
    default_target: True
    input:
        all_outputs(),
