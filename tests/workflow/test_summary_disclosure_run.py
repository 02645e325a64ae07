"""End to end: the coordinating centre refuses a summary that breaks the disclosure policy of
its own config, naming the row, the column, the value and the rule."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow

# The site's validation report, as the site reads it: row, column, value, check, message.
REFUSED = (
    "| 2 | median_pre | 3.0 | `disclosure_min_pairs_order_statistics` | '3.0' may not leave "
    "the site under the disclosure policy: n_pairs 8 < disclosure.min_pairs_order_statistics "
    "10; leave this cell empty; 'revmentor export-summary' withholds it |"
)


def test_a_median_from_eight_pairs_is_refused_under_the_centres_policy(example_run, tmp_path):
    # A copy of the finished example run: only the changed site's shard is validated again.
    workspace = example_run.clone(tmp_path / "copy")
    path = workspace.root / "data/example/oakfield_summary.csv"
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")  # row 2: mentor, clinical_practice, 16 pairs
    assert cells[header.index("median_pre")] == "3.0"
    cells[header.index("n_pairs")] = "8"
    lines[1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    stopped = workspace.snakemake("results/validation/policy_check.txt")
    output = stopped.stdout + stopped.stderr
    report = (workspace.root / "results/validation/oakfield.md").read_text()
    assert REFUSED in report, report
    assert stopped.returncode != 0
    workspace.set_config(**{"disclosure.min_pairs_order_statistics": 8})
    workspace.snakemake("results/validation/overview.tsv")
    report = (workspace.root / "results/validation/oakfield.md").read_text()
    assert "disclosure" not in report, (report, output)
