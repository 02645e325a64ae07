"""A site's item rows and demographic counts, counted from a small table by hand."""

from __future__ import annotations

import pandas as pd

from revmentor.core.summary_format import ITEM_NOT_COLLECTED, NOT_RECORDED
from revmentor.stats.distributions import demographic_counts
from revmentor.stats.items import site_items


def table(rows):
    frame = pd.DataFrame(rows)
    for column in ("concern_time", "experienced_time"):
        frame[column] = pd.array(frame[column], dtype="Int64")
    return frame


ROWS = [
    # participant, role, timepoint, concern_time, experienced_time, relationship_effect, sex
    ("a", "mentor", "pre", 1, None, None, "female"),
    ("a", "mentor", "post", None, 0, "positive", "male"),  # a's first sex counts
    ("b", "mentor", "pre", 1, None, None, None),
    ("b", "mentor", "post", None, 1, "none", "male"),
    ("c", "mentor", "pre", 0, None, None, None),
    ("c", "mentor", "post", None, None, "positive", None),
    ("d", "mentor", "post", None, 1, "unknown level", "male"),
    ("e", "mentee", "pre", None, None, None, "female"),
]
COLUMNS = [
    "participant_id",
    "role",
    "timepoint",
    "concern_time",
    "experienced_time",
    "relationship_effect",
    "sex",
]


def test_items_count_each_roles_answers_at_their_own_timepoint(instrument):
    clean = table([dict(zip(COLUMNS, row, strict=True)) for row in ROWS])
    items = site_items(clean, instrument, "s")
    mentors = items[items["role"] == "mentor"].set_index(["kind", "item", "level"])
    concern = mentors.loc[("binary", "concern_time", "")]
    assert (concern["n_answered"], concern["count"]) == (3, 2)
    experienced = mentors.loc[("binary", "experienced_time", "")]
    assert (experienced["n_answered"], experienced["count"]) == (3, 2)
    positive = mentors.loc[("categorical", "relationship_effect", "positive")]
    assert (positive["n_answered"], positive["count"]) == (4, 2)
    assert mentors.loc[("binary", "benefited", ""), "note"] == ITEM_NOT_COLLECTED
    pair = mentors.loc[("concern_pair", "time", "concern_time -> experienced_time")]
    # a: yes -> no, b: yes -> yes; c has no post answer, d no pre answer
    assert (pair["n_pairs"], pair["both_yes"], pair["before_only"]) == (2, 1, 1)
    assert (pair["after_only"], pair["both_no"]) == (0, 0)
    assert set(items["role"]) == {"mentor", "mentee"}


def test_demographics_count_each_participant_once_by_their_first_answer(instrument):
    clean = table([dict(zip(COLUMNS, row, strict=True)) for row in ROWS])
    counts = demographic_counts(clean, instrument, "s")
    sex = counts[(counts["role"] == "mentor") & (counts["variable"] == "sex")]
    assert dict(zip(sex["level"], sex["count"], strict=True)) == {
        "female": 1,
        "male": 2,
        "other": 0,
        "not_stated": 0,
        NOT_RECORDED: 1,
    }
    ages = counts[(counts["role"] == "mentee") & (counts["variable"] == "age_band")]
    assert ages.set_index("level").loc[NOT_RECORDED, "count"] == 1  # no age column at all
