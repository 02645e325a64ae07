"""A site's pre/post pairs, built once and shared by every per-site table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from revmentor.simulate.model import SiteDesign, simulate_site
from revmentor.stats.distributions import change_table, likert_counts
from revmentor.stats.pairs import role_pairs, site_pairs
from revmentor.stats.site_summary import site_summary
from revmentor.steps import site_tables
from revmentor.validation.clean import clean_csv, read_clean
from revmentor.validation.site import validate_site


@pytest.fixture(scope="module")
def clean(instrument, tmp_path_factory) -> pd.DataFrame:
    """A simulated site with missing scores and dropouts, validated and read back as the
    statistics job reads it."""
    folder = tmp_path_factory.mktemp("site")
    design = SiteDesign("s", {"mentor": 30, "mentee": 25}, p_missing_score=0.05, p_dropout=0.2)
    simulate_site(design, instrument, 11).to_csv(folder / "s.csv", index=False)
    site = {"site_id": "s", "name": "S", "format": "responses", "file": "s.csv"}
    report, checked = validate_site(folder / "s.csv", site, instrument)
    assert report.errors == ()
    (folder / "clean.csv").write_text(clean_csv(checked, instrument), "utf-8")
    return read_clean(folder / "clean.csv", instrument)


def test_site_pairs_are_each_roles_pairs(clean, instrument):
    shared = site_pairs(clean, instrument)
    assert list(shared) == ["mentor", "mentee"]
    excluded = 0
    for role, by_outcome in shared.items():
        alone = role_pairs(clean, role, instrument)
        assert list(by_outcome) == list(alone) == list(instrument.outcomes)
        for outcome, pairs in by_outcome.items():
            np.testing.assert_array_equal(pairs.pre, alone[outcome].pre)
            np.testing.assert_array_equal(pairs.post, alone[outcome].post)
            assert pairs.excluded == alone[outcome].excluded
            excluded += pairs.n_excluded
    assert excluded > 0  # the dropouts and missing scores are counted


def test_pairs_follow_the_participant_ids_in_sorted_order(clean, instrument):
    mentors = clean[clean["role"] == "mentor"]
    pre = mentors[mentors["timepoint"] == instrument.baseline].set_index("participant_id")
    post = mentors[mentors["timepoint"] == instrument.follow_up].set_index("participant_id")
    both = sorted(set(pre.index) & set(post.index))
    domain = instrument.domain_ids[0]
    expected = pd.DataFrame({"pre": pre.loc[both, domain], "post": post.loc[both, domain]})
    expected = expected.dropna().astype(float)
    pairs = site_pairs(clean, instrument)["mentor"][domain]
    np.testing.assert_array_equal(pairs.pre, expected["pre"].to_numpy())
    np.testing.assert_array_equal(pairs.post, expected["post"].to_numpy())


def test_a_role_without_participants_has_empty_pairs(clean, instrument):
    mentors = clean[clean["role"] == "mentor"]
    assert list(site_pairs(mentors, instrument)) == ["mentor"]
    for pairs in role_pairs(mentors, "mentee", instrument).values():
        assert pairs.n == 0 and pairs.n_excluded == 0


def test_tables_from_shared_pairs_equal_the_tables_built_alone(clean, instrument):
    pairs = site_pairs(clean, instrument)
    shared = site_tables("s", instrument, 5, clean, pairs=pairs)
    alone = site_tables("s", instrument, 5, clean)
    for table in shared:
        pd.testing.assert_frame_equal(shared[table], alone[table], check_exact=True)
    pd.testing.assert_frame_equal(shared["summary"], site_summary(clean, instrument, "s", 5))
    pd.testing.assert_frame_equal(shared["likert"], likert_counts(clean, instrument, "s"))
    pd.testing.assert_frame_equal(
        change_table(clean, instrument, "s", pairs), change_table(clean, instrument, "s")
    )


def test_the_change_table_holds_every_complete_pair(clean, instrument):
    changes = change_table(clean, instrument, "s")
    for role, by_outcome in site_pairs(clean, instrument).items():
        for outcome, pairs in by_outcome.items():
            mine = changes[(changes["role"] == role) & (changes["outcome"] == outcome)]
            np.testing.assert_array_equal(mine["change"].to_numpy(), pairs.post - pairs.pre)
    assert list(changes.columns) == ["site_id", "role", "outcome", "change"]
    assert changes["change"].dtype == float


def test_likert_counts_add_up_to_the_pairs(clean, instrument):
    counts = likert_counts(clean, instrument, "s")
    pairs = site_pairs(clean, instrument)
    for (role, outcome, timepoint), group in counts.groupby(["role", "outcome", "timepoint"]):
        assert group["count"].sum() == pairs[role][outcome].n
        scores = pairs[role][outcome].pre if timepoint == instrument.baseline else None
        if scores is not None:
            for level, count in zip(group["level"], group["count"], strict=True):
                assert count == int((scores == level).sum())
