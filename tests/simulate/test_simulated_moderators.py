"""The simulator's moderators have a real effect on a site's change, take no random draw
(a site's data never depend on another site, nor on its own moderator values beyond the
shift), and reach the registry the simulator writes."""

from __future__ import annotations

import dataclasses
import statistics

import pandas as pd
import pytest

from revmentor.core.config import read_yaml
from revmentor.core.moderators import moderators_from_config
from revmentor.simulate.consortium import SimulatedSite, registry_text, write_consortium
from revmentor.simulate.example import EXAMPLE_SITES
from revmentor.simulate.model import SimulationModel, SiteDesign, simulate_site
from revmentor.validation.registry import read_registry

SEED = 20221101
DOMAINS = 7
# Scores mid-scale, so that clipping at 5 does not blur a shift measured on one site.
ROOMY = SimulationModel(
    roles={
        role: dataclasses.replace(model, baseline_mean=2.2)
        for role, model in SimulationModel().roles.items()
    }
)


def mean_total_change(frame: pd.DataFrame, role: str, instrument) -> float:
    """Mean over complete pairs of the change in the total score (post - pre)."""
    scores = frame[frame["role"] == role].set_index(["participant_id", "timepoint"])
    totals = scores[list(instrument.domain_ids)].sum(axis=1, min_count=DOMAINS).unstack()
    return float((totals["post"] - totals["pre"]).dropna().mean())


def one_site(
    instrument, mentors=300, mentees=300, site_id="big", model=None, **moderators
) -> pd.DataFrame:
    design = SiteDesign(
        site_id,
        {"mentor": mentors, "mentee": mentees},
        p_missing_score=0.0,
        p_dropout=0.0,
        moderators=moderators,
    )
    return simulate_site(design, instrument, SEED, model)


def test_reference_values_and_unknown_values_leave_a_site_as_it_was(instrument):
    plain = one_site(instrument, 20, 20)
    pd.testing.assert_frame_equal(
        one_site(instrument, 20, 20, hospital_type="teaching", mentoring_hours="10"), plain
    )
    pd.testing.assert_frame_equal(
        one_site(instrument, 20, 20, hospital_type="", mentoring_hours=""), plain
    )
    # A moderator the model gives no effect is only a registry column.
    pd.testing.assert_frame_equal(one_site(instrument, 20, 20, region="north"), plain)


def test_a_district_hospital_lowers_the_mentors_change_by_the_configured_amount(instrument):
    teaching = one_site(instrument, model=ROOMY, hospital_type="teaching")
    district = one_site(instrument, model=ROOMY, hospital_type="district")
    # Same site, same draws: the difference is the moderator's (7 domains x 0.35 points;
    # rounding to the Likert scale blurs it a little).
    mentor_gap = mean_total_change(district, "mentor", instrument) - mean_total_change(
        teaching, "mentor", instrument
    )
    mentee_gap = mean_total_change(district, "mentee", instrument) - mean_total_change(
        teaching, "mentee", instrument
    )
    assert mentor_gap == pytest.approx(-0.35 * DOMAINS, abs=0.25)
    assert mentee_gap == pytest.approx(-0.1 * DOMAINS, abs=0.2)


def test_hours_of_mentoring_raise_the_change_per_hour_above_ten(instrument):
    few = one_site(instrument, model=ROOMY, mentoring_hours="4")
    many = one_site(instrument, model=ROOMY, mentoring_hours="20")
    ten = one_site(instrument, model=ROOMY, mentoring_hours="10")
    mentor = [mean_total_change(frame, "mentor", instrument) for frame in (few, ten, many)]
    mentee = [mean_total_change(frame, "mentee", instrument) for frame in (few, ten, many)]
    assert mentor[2] - mentor[1] == pytest.approx(0.04 * 10 * DOMAINS, abs=0.25)
    assert mentor[1] - mentor[0] == pytest.approx(0.04 * 6 * DOMAINS, abs=0.25)
    assert mentee[2] - mentee[0] == pytest.approx(0.015 * 16 * DOMAINS, abs=0.2)


def test_across_a_consortium_teaching_and_district_sites_differ_by_about_the_effect(instrument):
    """Independent sites, each with its own random site effect: the mean of the site means
    differs between the two types by about the configured amount."""
    changes: dict[str, list[float]] = {"teaching": [], "district": []}
    for number in range(120):
        kind = ("teaching", "district")[number % 2]
        frame = one_site(instrument, 12, 0, f"site{number:03d}", hospital_type=kind)
        changes[kind].append(mean_total_change(frame, "mentor", instrument))
    gap = statistics.fmean(changes["district"]) - statistics.fmean(changes["teaching"])
    # The sites' own effects (SD 0.25 x 7 points) leave a standard error of about 0.4.
    assert gap == pytest.approx(-0.35 * DOMAINS, abs=0.9)


def test_the_shift_is_added_to_each_role_as_the_model_says():
    model = SimulationModel()
    values = {"hospital_type": "district", "mentoring_hours": "12.5"}
    assert model.moderator_shift(values, "mentor") == pytest.approx(-0.35 + 0.04 * 2.5)
    assert model.moderator_shift(values, "mentee") == pytest.approx(-0.1 + 0.015 * 2.5)
    assert model.moderator_shift({}, "mentor") == 0.0


def test_a_simulated_site_with_a_non_number_for_a_numeric_moderator_is_refused(instrument):
    with pytest.raises(ValueError) as raised:
        one_site(instrument, 2, 2, mentoring_hours="ten")
    assert str(raised.value) == "mentoring_hours is numeric, but a simulated site gives 'ten'"


def test_registry_text_writes_the_moderator_columns_and_the_registry_reads_them(
    tmp_path, instrument, repo, config
):
    sites = [
        SimulatedSite(
            SiteDesign("alpha", {"mentor": 3, "mentee": 3}, moderators=values),
            name,
            "2024-01-01",
            f"{name.lower()}.csv",
        )
        for name, values in (
            ("Alpha", {"hospital_type": "district", "mentoring_hours": "7.5"}),
            ("Beta", {"hospital_type": "teaching", "mentoring_hours": ""}),
        )
    ]
    sites[1] = SimulatedSite(
        SiteDesign("beta", {"mentor": 3, "mentee": 3}, moderators=sites[1].moderators),
        "Beta",
        "2024-01-01",
        "beta.csv",
    )
    rows = write_consortium(sites, tmp_path / "data", tmp_path / "data", instrument, SEED)
    text = registry_text(rows)
    assert text == (
        "site_id\tname\tdata\tformat\tenrolled\thospital_type\tmentoring_hours\n"
        "alpha\tAlpha\talpha.csv\tresponses\t2024-01-01\tdistrict\t7.5\n"
        "beta\tBeta\tbeta.csv\tresponses\t2024-01-01\tteaching\t\n"
    )
    sheet = tmp_path / "sites.tsv"
    sheet.write_text(text, encoding="utf-8")
    read_back = read_registry(
        sheet,
        tmp_path / "data",
        allow_absolute=False,
        row_schema=read_yaml(repo / "workflow/schemas/sites.schema.yaml"),
        moderators=moderators_from_config(config["moderators"]),
    )
    assert [site.moderators for site in read_back] == [
        {"hospital_type": "district", "mentoring_hours": "7.5"},
        {"hospital_type": "teaching", "mentoring_hours": ""},
    ]


def test_every_example_site_has_a_valid_value_of_every_configured_moderator(config):
    moderators = moderators_from_config(config["moderators"])
    assert [moderator.id for moderator in moderators] == ["hospital_type", "mentoring_hours"]
    assert moderators[0].reference == "teaching"
    for site in EXAMPLE_SITES:
        for moderator in moderators:
            text = site.moderators[moderator.id]
            assert text != "" and moderator.value_problem(text) is None, site.design.site_id
    kinds = [site.moderators["hospital_type"] for site in EXAMPLE_SITES]
    hours = {site.moderators["mentoring_hours"] for site in EXAMPLE_SITES}
    assert sorted(set(kinds)) == ["district", "teaching"] and len(hours) >= 4


def test_the_example_pilot_is_still_shaped_like_the_study(instrument, config):
    """The pilot is at the model's reference (teaching, 10 hours): its mentors' median total
    moves from about 23 to about 29, as in Raju et al. (2022)."""
    pilot = next(site for site in EXAMPLE_SITES if site.design.site_id == "pilot")
    assert pilot.moderators == {"hospital_type": "teaching", "mentoring_hours": "10"}
    frame = simulate_site(pilot.design, instrument, config["seed"])
    mentors = frame[frame["role"] == "mentor"]
    totals = mentors.set_index(["participant_id", "timepoint"])[list(instrument.domain_ids)]
    by_time = totals.sum(axis=1).unstack()
    assert abs(by_time["pre"].median() - 23) <= 1.5
    assert abs(by_time["post"].median() - 29) <= 1.5
