"""revmentor: the multi-site replication workflow's logic, as plain importable functions.

The Snakemake rules under ``workflow/`` call into this package through thin scripts; the
package itself never imports snakemake.
"""

__version__ = "0.1.0"
