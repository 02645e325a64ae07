# The workflow is workflow/Snakefile (the catalog's standard layout); this file lets `snakemake`
# run in the repository root, with workflow/Snakefile's rule all as the default target.
workflow.include("workflow/Snakefile", overwrite_default_target=True)
