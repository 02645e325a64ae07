"""``disclosure.min_cell`` on the items file a summary-only site sends: the rule
(:func:`revmentor.core.disclosure.items_withholdings`), what the export step withholds and
says, and an attacker who tries to read a small count back from every exported items file
of the simulator."""

from __future__ import annotations

import math
from io import StringIO
from pathlib import Path

import pandas as pd
import pytest

from revmentor.cli import local_summariser, main
from revmentor.core.config import load_config
from revmentor.core.disclosure import DisclosurePolicy, exported_items, items_withholdings
from revmentor.core.instrument import Instrument
from revmentor.core.summary_format import ITEMS_COLUMNS
from revmentor.simulate.consortium import responses_text
from revmentor.simulate.model import SiteDesign, simulate_site
from revmentor.site_export import export_summary
from revmentor.stats.items import items_frame
from revmentor.stats.proportions import mcnemar_exact_p, wilson_interval
from revmentor.validation.site import validate_summary_site
from tests.item_rows import answer_row, pair_row

ROOT = Path(__file__).resolve().parents[2]
POLICY = DisclosurePolicy()
MIN_CELL = POLICY.min_cell
SHARE = ("count", "proportion", "ci_low", "ci_high")
PAIR = ("both_yes", "before_only", "after_only", "both_no", "mcnemar_p")


@pytest.fixture(scope="module")
def instrument() -> Instrument:
    config = load_config(ROOT / "config/config.yaml", ROOT / "workflow/schemas/config.schema.yaml")
    return Instrument.from_config(config["instrument"])


def answer(item: str, n: int, count: int, kind: str = "binary", level: str = "") -> dict:
    return answer_row("oak", item, n, count, kind, level)


def pair(concern: str, both_yes: int, before_only: int, after_only: int, both_no: int) -> dict:
    return pair_row("oak", concern, both_yes, before_only, after_only, both_no)


def export(records: list[dict], policy: DisclosurePolicy = POLICY):
    frame, withheld = exported_items(items_frame(records), policy)
    return frame, [line.describe() for line in withheld]


def test_a_small_count_is_withheld_with_what_gives_it_back():
    frame, said = export([answer("experienced_time", 16, 1), answer("benefited", 16, 9)])
    assert said == [
        "withheld: mentor experienced_time: count, proportion, ci_low, ci_high "
        "(count 1 is below disclosure.min_cell 5)"
    ]
    assert frame.loc[0, list(SHARE)].isna().all() and frame.loc[0, "n_answered"] == 16
    assert frame.loc[1, "count"] == 9


def test_a_small_complement_is_withheld():
    _, said = export([answer("benefited", 15, 13)])
    assert said == [
        "withheld: mentor benefited: count, proportion, ci_low, ci_high "
        "(n_answered 15 - count 13 = 2 is below disclosure.min_cell 5)"
    ]


def test_zero_and_everyone_leave_when_the_group_is_large_enough_but_not_when_small():
    frame, said = export(
        [
            answer("experienced_time", 16, 0),
            answer("benefited", 16, 16),
            answer("experienced_hierarchy", 3, 0),
        ]
    )
    assert list(frame["count"].iloc[:2]) == [0, 16]
    assert said == [
        "withheld: mentor experienced_hierarchy: count, proportion, ci_low, ci_high "
        "(n_answered 3 - count 0 = 3 is below disclosure.min_cell 5)"
    ]


def test_one_small_level_takes_the_smallest_other_level_with_it():
    levels = [("negative", 2), ("none", 6), ("positive", 8)]
    frame, said = export(
        [answer("relationship_effect", 16, c, "categorical", level) for level, c in levels]
    )
    assert said == [
        "withheld: mentor relationship_effect = negative: count, proportion, ci_low, ci_high "
        "(count 2 is below disclosure.min_cell 5)",
        "withheld: mentor relationship_effect = none: count, proportion, ci_low, ci_high "
        "(with n_answered 16 and the other levels' counts, this count gives back the "
        "withheld count of level 'negative')",
    ]
    assert list(frame["count"].isna()) == [True, True, False]


def test_a_small_paired_cell_withholds_the_whole_table_and_its_note():
    frame, said = export([pair("time", 2, 0, 0, 14)])
    assert said == [
        "withheld: mentor concern pair time: both_yes, before_only, after_only, both_no "
        "(both_yes 2 is below disclosure.min_cell 5)",
        "withheld: mentor concern pair time: note (the paired cells are withheld, and this "
        "note says before_only and after_only are 0)",
    ]
    assert frame.loc[0, list(PAIR)].isna().all() and frame.loc[0, "n_pairs"] == 16
    assert frame.loc[0, "note"] == "" or pd.isna(frame.loc[0, "note"])


def test_paired_cells_that_give_a_withheld_count_back_are_withheld():
    # 16 answered before, 15 of them after: 0 + 0 of the pairs said yes before, so the
    # count withheld (0 or 1, and a withheld count is not 0) is 1.
    before = {**answer("concern_time", 16, 1), "timepoint": "pre"}
    frame, said = export([before, answer("experienced_time", 15, 5), pair("time", 0, 0, 5, 10)])
    assert said[-1] == (
        "withheld: mentor concern pair time: both_yes, before_only, after_only, both_no, "
        "mcnemar_p (the count of concern_time is withheld, and the paired cells give it back "
        "(its yes answers are both_yes plus before_only or after_only))"
    )
    assert frame.loc[2, list(PAIR)].isna().all()


def test_min_cell_0_withholds_nothing():
    _, said = export(
        [answer("experienced_time", 16, 1), pair("time", 1, 1, 1, 1)], DisclosurePolicy(min_cell=0)
    )
    assert said == []


def test_what_the_export_leaves_yields_nothing_more_to_withhold():
    records = [
        answer("experienced_time", 16, 1),
        *[
            answer("relationship_effect", 16, c, "categorical", level)
            for level, c in [("negative", 2), ("none", 6), ("positive", 8)]
        ],
        pair("time", 2, 0, 0, 14),
    ]
    frame, _ = export(records)
    rows = {index: row for index, row in enumerate(frame.to_dict("records"))}
    assert items_withholdings(rows, MIN_CELL) == []


def test_export_summary_writes_the_items_file_the_centre_accepts(tmp_path, instrument, capsys):
    design = SiteDesign("leeds", {"mentor": 6, "mentee": 12}, 0.0, 0.05)
    data = tmp_path / "responses.csv"
    data.write_text(responses_text(simulate_site(design, instrument, 7)), encoding="utf-8")
    summary, items = tmp_path / "leeds_summary.csv", tmp_path / "leeds_items.csv"
    argv = ["--root", str(ROOT), "export-summary", "--site", "leeds", "--data", str(data)]
    code = main([*argv, "--out", str(summary), "--items-out", str(items)])
    printed = capsys.readouterr().out.splitlines()
    assert code == 0
    sent = export_summary(data, "responses.csv", "leeds", instrument, 20260101, POLICY)
    item_lines = [line.describe() for line in sent.items_withheld]
    assert item_lines and set(item_lines) <= set(printed)
    assert (
        "withheld: mentor concern_time: count, proportion, ci_low, ci_high "
        "(count 2 is below disclosure.min_cell 5)"
    ) in printed
    assert printed[-1].startswith(f"Wrote {summary}: ") and f" and {items}: " in printed[-1]
    assert printed[-1].endswith("Send these two files only; the responses stay with the site.")
    assert list(pd.read_csv(items).columns) == list(ITEMS_COLUMNS)
    site = {
        "site_id": "leeds",
        "name": "Leeds",
        "format": "summary",
        "file": summary.name,
        "items_file": items.name,
    }
    report, _, typed = validate_summary_site(summary, items, site, instrument)
    assert report.errors == (), report.to_markdown()
    assert typed is not None and typed["count"].isna().any()


# --- The attacker --------------------------------------------------------------------------


def small(value: int, n: int) -> bool:
    return 0 < value < MIN_CELL or 0 < n - value < MIN_CELL


def _int(value: object) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def read_back(items: pd.DataFrame) -> list[tuple[str, int, int]]:
    """Every count (what, value, out of n) an attacker can read or work out exactly from
    one exported items file: the cells, the proportion and Wilson interval of a row whose
    count is empty, a categorical level from n_answered and the others, a paired cell from
    n_pairs and the others or from McNemar's p, a binary count from the paired cells, and
    the paired cells from the binary counts (Fréchet bounds) where they meet in one value.
    It knows the rule: a withheld count is small, or its complement is."""
    items = items.fillna({"level": ""})
    found: list[tuple[str, int, int]] = []
    counts: dict[tuple[str, str], tuple[int | None, int]] = {}
    for row in items[items["kind"] != "concern_pair"].to_dict("records"):
        n, count = _int(row["n_answered"]), _int(row["count"])
        what = f"{row['role']} {row['item']} {row['level']}"
        if count is None and not pd.isna(row["proportion"]):
            count = round(row["proportion"] * n)
        if count is None and not (pd.isna(row["ci_low"]) and pd.isna(row["ci_high"])):
            fits = [c for c in range(n + 1) if _wilson_matches(c, n, row)]
            count = fits[0] if len(fits) == 1 else None
        if count is not None:
            found.append((what, count, n))
        counts[(row["role"], str(row["item"]) + "|" + str(row["level"]))] = (count, n)
    for (role, item), group in items[items["kind"] == "categorical"].groupby(["role", "item"]):
        known = [_int(c) for c in group["count"]]
        if known.count(None) == 1:
            n = _int(group["n_answered"].iloc[0])
            found.append((f"{role} {item} (others)", n - sum(c for c in known if c), n))
    for row in items[items["kind"] == "concern_pair"].to_dict("records"):
        n = _int(row["n_pairs"])
        cells = {c: _int(row[c]) for c in PAIR[:4]}
        if list(cells.values()).count(None) == 1:
            missing = next(c for c, v in cells.items() if v is None)
            cells[missing] = n - sum(v for v in cells.values() if v is not None)
        if None in cells.values() and not pd.isna(row["mcnemar_p"]):
            fits = {
                (b, c)
                for b in range(n + 1)
                for c in range(n + 1 - b)
                if math.isclose(mcnemar_exact_p(b, c) or -1, row["mcnemar_p"], rel_tol=1e-9)
            }
            if len({b for b, _ in fits}) == 1:
                cells["before_only"] = next(iter(fits))[0]
        before, after = str(row["level"]).split(" -> ")
        (r, n_r), (a, n_a) = counts[(row["role"], before + "|")], counts[(row["role"], after + "|")]
        if None not in cells.values():
            # The pairs' yes answers, plus at most one per participant who answered the item
            # but is not paired; a withheld count is small (or its complement is).
            for item, count, of, yes in (
                (before, r, n_r, cells["both_yes"] + cells["before_only"]),
                (after, a, n_a, cells["both_yes"] + cells["after_only"]),
            ):
                if count is None and of >= n:
                    fits = [c for c in range(yes, yes + of - n + 1) if small(c, of)]
                    if len(fits) == 1:
                        found.append((f"{row['role']} {item} (from the pair)", fits[0], of))
        elif n_r == n_a == n and r is not None and a is not None:
            low, high = max(0, r + a - n), min(r, a)
            if low == high:
                cells = {
                    "both_yes": low,
                    "before_only": r - low,
                    "after_only": a - low,
                    "both_no": n - r - a + low,
                }
        found += [
            (f"{row['role']} {row['item']} {c}", v, n) for c, v in cells.items() if v is not None
        ]
    return found


def _wilson_matches(count: int, n: int, row: dict) -> bool:
    low, high = wilson_interval(count, n) or (None, None)
    return all(
        pd.isna(row[column]) or math.isclose(row[column], value, abs_tol=1e-12)
        for column, value in (("ci_low", low), ("ci_high", high))
    )


@pytest.mark.parametrize("n", [2, 3, 4, 6, 8, 12, 20, 30])
def test_no_small_count_can_be_read_back_from_the_simulators_items_files(instrument, n):
    summarise = local_summariser(instrument, 11, POLICY)
    for index in range(2):
        design = SiteDesign(f"n{n}s{index}", {"mentor": n, "mentee": n})
        sent = summarise(simulate_site(design, instrument, 20260101 + index), design.site_id)[1]
        items = pd.read_csv(StringIO(sent), keep_default_na=True)
        leaked = [(what, v, of) for what, v, of in read_back(items) if small(v, of)]
        assert leaked == [], f"{design.site_id}: {leaked}"


def test_the_attacker_finds_what_an_unprotected_file_gives_away(instrument):
    """Without the policy the attacker's reading does find small counts (so the test above
    can fail)."""
    summarise = local_summariser(instrument, 11, DisclosurePolicy(min_cell=0))
    design = SiteDesign("open", {"mentor": 8, "mentee": 8})
    items = pd.read_csv(StringIO(summarise(simulate_site(design, instrument, 20260101), "open")[1]))
    assert any(small(v, of) for _, v, of in read_back(items))
