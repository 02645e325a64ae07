"""A seeded generative model of one site's questionnaire data (synthetic, for examples and tests).

For site *s*, role *r*, participant *i*, domain *d* (latent scale = Likert points):

- site effect on the change: ``u[s,r] ~ Normal(0, site_sd[r]^2)``;
- moderators: the site's known facts (its registry cells) shift the change by
  ``m[s,r] = sum over moderators of shift(value[s], r)``, with no random draw: a categorical
  moderator shifts it by its level's amount (the reference level by 0), a numeric one by
  ``per_unit[r] * (value - centre)``; an unknown (empty) value shifts it by 0;
- participant baseline: ``a[i] ~ Normal(baseline_mean[r], between_sd^2)``;
- participant change: ``c[i] ~ Normal(change_mean[r] + u[s,r] + m[s,r], change_sd^2)``;
- latent scores: ``pre[i,d] = a[i] + domain_baseline[d] + e``,
  ``post[i,d] = a[i] + domain_baseline[d] + c[i] + domain_change[d] + e'``, with
  independent ``e, e' ~ Normal(0, noise_sd^2)``;
- observed score: the latent score rounded to the nearest integer and clipped to the scale;
- missingness: each score is missing completely at random with ``p_missing_score``, and a
  participant drops out before follow-up (no post row) with ``p_dropout``;
- items: each binary item is Bernoulli with its role's probability; a categorical item is
  drawn from its role's level probabilities; items appear only at their own timepoint;
- demographics: drawn from role-specific categorical distributions, on the baseline row.

The defaults are set so that a mentor's median total moves from about 23 to about 29, as
in Raju et al. (2022), and consultants (mentees) change less. By default a district
hospital's mentors gain 0.35 points per domain less than a teaching hospital's, and each
hour of mentoring above 10 adds 0.04 points per domain for mentors (0.015 for mentees), so
that site-level moderators explain part of the sites' heterogeneity. A site with no
moderator values (or the reference level and 10 hours) is simulated exactly as before:
the moderators take no random draw, so no site's data depend on another's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from revmentor.core.instrument import SITE_COLUMN, Instrument, Item
from revmentor.core.numbers import plain_number


@dataclass(frozen=True)
class RoleModel:
    baseline_mean: float
    change_mean: float
    site_sd: float
    item_probability: Mapping[str, float] = field(default_factory=dict)
    level_probability: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    demographic_probability: Mapping[str, Mapping[str, float]] = field(default_factory=dict)


_MENTOR_ITEMS = {
    "concern_hierarchy": 0.7,
    "concern_selection_bias": 0.5,
    "concern_time": 0.4,
    "concern_confidentiality": 0.25,
    "concern_relationship": 0.35,
    "experienced_hierarchy": 0.05,
    "experienced_selection_bias": 0.1,
    "experienced_time": 0.2,
    "experienced_confidentiality": 0.03,
    "experienced_relationship": 0.02,
    "benefited": 0.95,
}
_MENTEE_ITEMS = {
    "concern_hierarchy": 0.4,
    "concern_selection_bias": 0.45,
    "concern_time": 0.5,
    "concern_confidentiality": 0.2,
    "concern_relationship": 0.2,
    "experienced_hierarchy": 0.05,
    "experienced_selection_bias": 0.1,
    "experienced_time": 0.3,
    "experienced_confidentiality": 0.03,
    "experienced_relationship": 0.02,
    "benefited": 0.9,
}
_RELATIONSHIP = {"relationship_effect": {"negative": 0.02, "none": 0.38, "positive": 0.60}}


def _default_roles() -> dict[str, RoleModel]:
    return {
        "mentor": RoleModel(
            baseline_mean=3.3,
            change_mean=0.8,
            site_sd=0.25,
            item_probability=_MENTOR_ITEMS,
            level_probability=_RELATIONSHIP,
            demographic_probability={
                "sex": {"female": 0.45, "male": 0.5, "not_stated": 0.05},
                "age_band": {"18-30": 0.45, "31-40": 0.5, "41-50": 0.05},
                "years_in_role": {"0-4": 0.8, "5-9": 0.2},
            },
        ),
        "mentee": RoleModel(
            baseline_mean=3.6,
            change_mean=0.3,
            site_sd=0.15,
            item_probability=_MENTEE_ITEMS,
            level_probability=_RELATIONSHIP,
            demographic_probability={
                "sex": {"female": 0.35, "male": 0.6, "not_stated": 0.05},
                "age_band": {"31-40": 0.15, "41-50": 0.4, "51-60": 0.35, "61-70": 0.1},
                "years_in_role": {"0-4": 0.15, "5-9": 0.3, "10-14": 0.25, "15-19": 0.2, "20+": 0.1},
            },
        ),
    }


@dataclass(frozen=True)
class ModeratorEffect:
    """How one site-level moderator shifts each role's mean change, in points per domain.

    A categorical moderator gives ``by_level[level][role]`` (levels not listed, such as the
    reference, shift nothing); a numeric one gives ``per_unit[role]`` for each unit above
    ``centre`` (and takes as much off below it).
    """

    by_level: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    per_unit: Mapping[str, float] = field(default_factory=dict)
    centre: float = 0.0

    def shift(self, moderator_id: str, text: str, role: str) -> float:
        """The shift for a site whose registry cell holds ``text`` ("" = unknown: none)."""
        if text == "":
            return 0.0
        if self.by_level:
            return self.by_level.get(text, {}).get(role, 0.0)
        value = plain_number(text)
        if value is None:
            raise ValueError(f"{moderator_id} is numeric, but a simulated site gives '{text}'")
        return self.per_unit.get(role, 0.0) * (value - self.centre)


def _default_moderator_effects() -> dict[str, ModeratorEffect]:
    return {
        "hospital_type": ModeratorEffect(by_level={"district": {"mentor": -0.35, "mentee": -0.1}}),
        "mentoring_hours": ModeratorEffect(per_unit={"mentor": 0.04, "mentee": 0.015}, centre=10.0),
    }


@dataclass(frozen=True)
class SimulationModel:
    roles: Mapping[str, RoleModel] = field(default_factory=_default_roles)
    between_sd: float = 0.45
    change_sd: float = 0.35
    noise_sd: float = 0.45
    domain_baseline: Mapping[str, float] = field(
        default_factory=lambda: {"use_of_technology": 0.3, "areas_for_improvement": -0.3}
    )
    domain_change: Mapping[str, float] = field(
        default_factory=lambda: {"clinical_practice": 0.2, "areas_for_improvement": 0.4}
    )
    p_missing_score: float = 0.01
    p_dropout: float = 0.05
    #: By moderator id; a site's value of a moderator not listed here has no effect.
    moderator_effects: Mapping[str, ModeratorEffect] = field(
        default_factory=_default_moderator_effects
    )

    def moderator_shift(self, values: Mapping[str, str], role: str) -> float:
        """How much a site's moderator values move a role's mean change per domain."""
        return sum(
            (
                self.moderator_effects[moderator_id].shift(moderator_id, text, role)
                for moderator_id, text in values.items()
                if moderator_id in self.moderator_effects
            ),
            0.0,
        )


@dataclass(frozen=True)
class SiteDesign:
    """How many participants a simulated site has, how its data are collected, and its
    moderator values as its registry cells hold them (by moderator id; "" = unknown)."""

    site_id: str
    participants: Mapping[str, int]
    p_missing_score: float | None = None
    p_dropout: float | None = None
    moderators: Mapping[str, str] = field(default_factory=dict)


def site_rng(seed: int, site_id: str) -> np.random.Generator:
    """A generator that depends on the seed and the site id only, not on other sites."""
    site_key = int(hashlib.sha256(site_id.encode("utf-8")).hexdigest()[:16], 16)
    return np.random.default_rng(np.random.SeedSequence([seed, site_key]))


def _likert(latent: np.ndarray, instrument: Instrument) -> np.ndarray:
    return np.clip(np.rint(latent), instrument.scale_min, instrument.scale_max).astype(int)


def _item_value(item: Item, role: RoleModel, rng: np.random.Generator) -> str:
    if item.is_binary:
        return "1" if rng.random() < role.item_probability.get(item.id, 0.3) else "0"
    weights = role.level_probability.get(item.id, {})
    probabilities = np.array([weights.get(level, 1.0) for level in item.levels], dtype=float)
    return str(rng.choice(item.levels, p=probabilities / probabilities.sum()))


def _demographic_value(
    name: str, levels: tuple[str, ...], role: RoleModel, rng: np.random.Generator
) -> str:
    weights = role.demographic_probability.get(name, {})
    probabilities = np.array([weights.get(level, 0.0) for level in levels], dtype=float)
    if probabilities.sum() == 0:
        probabilities = np.ones(len(levels))
    return str(rng.choice(levels, p=probabilities / probabilities.sum()))


def simulate_site(
    design: SiteDesign,
    instrument: Instrument,
    seed: int,
    model: SimulationModel | None = None,
) -> pd.DataFrame:
    """Participant-level responses of one synthetic site, in the responses format."""
    model = model or SimulationModel()
    rng = site_rng(seed, design.site_id)
    p_missing = model.p_missing_score if design.p_missing_score is None else design.p_missing_score
    p_dropout = model.p_dropout if design.p_dropout is None else design.p_dropout
    prefix = "".join(ch for ch in design.site_id.upper() if ch.isalnum())[:4]
    rows: list[dict[str, str | int | None]] = []
    for role_name in instrument.roles:
        role = model.roles.get(role_name) or RoleModel(3.5, 0.5, 0.2)
        site_effect = rng.normal(0.0, role.site_sd) + model.moderator_shift(
            design.moderators, role_name
        )
        tag = "".join(ch for ch in role_name.upper() if ch.isalnum())
        for number in range(1, design.participants.get(role_name, 0) + 1):
            participant = f"SYN-{prefix}-{tag}{number:03d}"
            rows += _participant_rows(
                participant,
                role_name,
                role,
                site_effect,
                instrument,
                model,
                rng,
                p_missing,
                p_dropout,
            )
    frame = pd.DataFrame(rows, columns=list(instrument.known_columns()))
    frame[SITE_COLUMN] = design.site_id
    return frame


def _participant_rows(
    participant: str,
    role_name: str,
    role: RoleModel,
    site_effect: float,
    instrument: Instrument,
    model: SimulationModel,
    rng: np.random.Generator,
    p_missing: float,
    p_dropout: float,
) -> list[dict[str, str | int | None]]:
    domains = instrument.domain_ids
    ability = rng.normal(role.baseline_mean, model.between_sd)
    change = rng.normal(role.change_mean + site_effect, model.change_sd)
    offsets = np.array([model.domain_baseline.get(d, 0.0) for d in domains])
    gains = np.array([model.domain_change.get(d, 0.0) for d in domains])
    latent_pre = ability + offsets + rng.normal(0.0, model.noise_sd, len(domains))
    latent_post = ability + offsets + change + gains + rng.normal(0.0, model.noise_sd, len(domains))
    dropped_out = rng.random() < p_dropout
    rows = []
    for timepoint, latent in zip(instrument.timepoints, (latent_pre, latent_post), strict=True):
        if dropped_out and timepoint == instrument.follow_up:
            continue
        scores = _likert(latent, instrument)
        missing = rng.random(len(domains)) < p_missing
        row: dict[str, str | int | None] = {
            "participant_id": participant,
            "role": role_name,
            "timepoint": timepoint,
        }
        row.update(
            {
                d: None if gone else int(s)
                for d, s, gone in zip(domains, scores, missing, strict=True)
            }
        )
        for item in instrument.items:
            row[item.id] = _item_value(item, role, rng) if item.timepoint == timepoint else None
        if timepoint == instrument.baseline:
            for name, levels in instrument.demographics:
                row[name] = _demographic_value(name, levels, role, rng)
        rows.append(row)
    return rows
