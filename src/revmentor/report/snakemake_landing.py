"""The figures at a glance on the landing page of Snakemake's own report (``snakemake
--report``), read from the flow table (``results/tables/flow.csv``).

Snakemake 9.27.1 opens its report on the rule graph unless ``--report-metadata`` gives the
landing page entries (report/html_reporter/template/components/app.js), and it renders
string entries as a dict of docutils parts (report/__init__.py, ``render_metadata``), so
the entries are counts: ``workflow/report/metadata.yaml`` lists what this returns.
"""

from __future__ import annotations

import csv
from pathlib import Path

from revmentor.core.instrument import TOTAL


def landing_counts(flow_csv: Path | str) -> dict[str, int]:
    """Hospitals registered and valid, and each role's participants in the pooled analysis
    of the total score, labelled for a reader; empty when the flow table is not written."""
    path = Path(flow_csv)
    if not path.is_file():
        return {}
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))

    def count(unit: str, stage: str, role: str = "", outcome: str = "") -> int | None:
        return next(
            (
                int(row["count"])
                for row in rows
                if (row["unit"], row["stage"], row["role"], row["outcome"], row["reason"])
                == (unit, stage, role, outcome, "")
            ),
            None,
        )

    counts = {
        "Hospitals registered": count("sites", "registered"),
        "Hospitals with valid data": count("sites", "valid"),
    }
    roles = dict.fromkeys(row["role"] for row in rows if row["unit"] == "participants")
    for role in roles:
        counts[f"{role.capitalize()}s pooled, total score"] = count(
            "participants", "pooled", role, TOTAL
        )
    return {label: value for label, value in counts.items() if value is not None}
