"""``revmentor export-summary``: what a summary-only site runs before sending its summary."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from revmentor.cli import main
from revmentor.core.config import load_config
from revmentor.core.disclosure import ORDER_STATISTICS, RANK_STATISTICS
from revmentor.core.instrument import Instrument
from revmentor.simulate.consortium import responses_text
from revmentor.simulate.model import SiteDesign, simulate_site
from revmentor.validation.site import validate_summary_site

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def instrument() -> Instrument:
    config = load_config(ROOT / "config/config.yaml", ROOT / "workflow/schemas/config.schema.yaml")
    return Instrument.from_config(config["instrument"])


def responses_file(tmp_path: Path, instrument, mentors: int, mentees: int) -> Path:
    design = SiteDesign("leeds", {"mentor": mentors, "mentee": mentees}, 0.0, 0.0)
    path = tmp_path / "responses.csv"
    path.write_text(responses_text(simulate_site(design, instrument, 7)), encoding="utf-8")
    return path


def export(tmp_path: Path, data: Path) -> tuple[int, Path]:
    out = tmp_path / "leeds_summary.csv"
    argv = ["--root", str(ROOT), "export-summary", "--site", "leeds"]
    return main([*argv, "--data", str(data), "--out", str(out)]), out


def test_export_withholds_small_rows_and_order_statistics_and_says_so(tmp_path, instrument, capsys):
    code, out = export(tmp_path, responses_file(tmp_path, instrument, 2, 8))
    printed = capsys.readouterr().out.splitlines()
    assert code == 0
    assert (
        "withheld: mentor clinical_practice (n_pairs 2 < disclosure.min_pairs_summary 3): "
        "row not exported"
    ) in printed
    assert (
        "withheld: mentee total: median_pre, q1_pre, q3_pre, median_post, q1_post, q3_post, "
        "hl_estimate, hl_ci_low, hl_ci_high, hl_ci_method, n_nonzero, n_positive, n_negative, "
        "w_plus, w_minus, wilcoxon_z, wilcoxon_var, wilcoxon_p, wilcoxon_p_exact, "
        "wilcoxon_exact_method, sign_test_p, rank_biserial, r_effect "
        "(n_pairs 8 < disclosure.min_pairs_order_statistics 10)"
    ) in printed
    assert printed[-1].startswith(f"Wrote {out}: ")
    summary = pd.read_csv(out)
    assert set(summary["role"]) == {"mentee"}
    assert summary[list(ORDER_STATISTICS + RANK_STATISTICS)].isna().all().all()
    # What the site sends, the centre accepts.
    site = {"site_id": "leeds", "name": "Leeds", "format": "summary", "file": out.name}
    report, typed, _ = validate_summary_site(out, None, site, instrument)
    assert report.errors == (), report.to_markdown()
    assert typed is not None and len(typed) == len(summary)


def test_an_invalid_file_writes_nothing_and_exits_1(tmp_path, instrument, capsys):
    data = responses_file(tmp_path, instrument, 4, 4)
    lines = data.read_text().splitlines()
    lines[1] = lines[1].replace("SYN-LEED-MENTOR001", "")
    data.write_text("\n".join(lines) + "\n")
    code, out = export(tmp_path, data)
    assert code == 1 and not out.exists()
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"revmentor: {data} is not valid, so no summary was written; correct the problems "
        "above and run export-summary again"
    )


def test_a_missing_data_file_is_named(tmp_path, capsys):
    code, _ = export(tmp_path, tmp_path / "nowhere.csv")
    assert code == 2
    assert capsys.readouterr().err == (
        f"revmentor: --data {tmp_path / 'nowhere.csv'}: no such file\n"
    )
