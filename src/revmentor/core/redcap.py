"""The instrument as a REDCap project: its data dictionary and the codes its export uses.

The one home of everything REDCap-specific that follows from the instrument: the form
and field names, the raw codes of each dropdown, and which event is which timepoint. The
dictionary is written from here, and the reader of a REDCap export
(:mod:`revmentor.validation.redcap`) decodes with the very same tables, so the two cannot
drift apart.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from revmentor.core.instrument import Instrument
from revmentor.core.problems import Problem

#: REDCap's data dictionary columns, in the order its importer expects.
DICTIONARY_COLUMNS = (
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
)

#: The one form (instrument, in REDCap's words) holding every field; both events use it.
FORM = "confidence"
#: The record id: REDCap takes the dictionary's first field as the record id field.
RECORD_ID = "participant_id"
ROLE = "role"
#: The domains share one matrix group, so REDCap shows them as one grid of radio buttons.
DOMAIN_MATRIX = "confidence_domains"
#: What an export adds to the fields: the event, the data access group, repeating
#: instruments and the form's completion status.
EVENT_COLUMN = "redcap_event_name"
DAG_COLUMN = "redcap_data_access_group"
REPEAT_COLUMNS = ("redcap_repeat_instrument", "redcap_repeat_instance")
COMPLETE_COLUMN = f"{FORM}_complete"
COMPLETE_CODES = {"0": "Incomplete", "1": "Unverified", "2": "Complete"}
#: config.yaml's ``redcap`` block as its schema fills it in, for callers without a config.
DEFAULT_REDCAP: Mapping[str, Any] = {"events": {"pre_arm_1": "pre", "post_arm_1": "post"}}


@dataclass(frozen=True)
class Field:
    """One row of the dictionary; unnamed columns stay empty."""

    name: str
    field_type: str
    label: str
    choices: str = ""
    note: str = ""
    section_header: str = ""
    branching_logic: str = ""
    required: bool = False
    matrix_group: str = ""

    def row(self) -> dict[str, str]:
        return {
            "Variable / Field Name": self.name,
            "Form Name": FORM,
            "Section Header": self.section_header,
            "Field Type": self.field_type,
            "Field Label": self.label,
            "Choices, Calculations, OR Slider Labels": self.choices,
            "Field Note": self.note,
            "Text Validation Type OR Show Slider Number": "",
            "Text Validation Min": "",
            "Text Validation Max": "",
            "Identifier?": "",
            "Branching Logic (Show field only if...)": self.branching_logic,
            "Required Field?": "y" if self.required else "",
            "Custom Alignment": "",
            "Question Number (surveys only)": "",
            "Matrix Group Name": self.matrix_group,
            "Matrix Ranking?": "",
            "Field Annotation": "",
        }


def dropdown_codes(levels: tuple[str, ...]) -> dict[str, str]:
    """Raw code -> level of a dropdown. REDCap's raw codes may hold letters, digits and
    underscores only, which levels such as ``18-30`` or ``20+`` break, so every dropdown
    is coded 1..k in the config's order and shows the level as its label."""
    return {str(number): level for number, level in enumerate(levels, start=1)}


def dropdowns(instrument: Instrument) -> dict[str, dict[str, str]]:
    """Every dropdown field's raw code -> level: the role, the demographics and the
    categorical items."""
    coded = {ROLE: dropdown_codes(instrument.roles)}
    coded.update({name: dropdown_codes(levels) for name, levels in instrument.demographics})
    coded.update(
        {item.id: dropdown_codes(item.levels) for item in instrument.items if not item.is_binary}
    )
    return coded


def score_codes(instrument: Instrument) -> dict[str, str]:
    """A domain's raw code is its score."""
    return {
        str(score): str(score) for score in range(instrument.scale_min, instrument.scale_max + 1)
    }


def _choices(codes: Mapping[str, str]) -> str:
    return " | ".join(f"{code}, {label}" for code, label in codes.items())


def _score_choices(instrument: Instrument) -> str:
    low, high = instrument.scale_min, instrument.scale_max
    labels = {str(score): str(score) for score in range(low, high + 1)}
    labels[str(low)] = f"{low} (lowest)"
    labels[str(high)] = f"{high} (highest)"
    return _choices(labels)


def event_timepoints(redcap: Mapping[str, Any]) -> dict[str, str]:
    """REDCap event name -> timepoint, from the config's ``redcap.events``."""
    return {str(event): str(timepoint) for event, timepoint in redcap["events"].items()}


def events_problems(redcap: Mapping[str, Any], instrument: Instrument) -> list[Problem]:
    """Each event must name a timepoint, and each timepoint have exactly one event."""
    events = event_timepoints(redcap)
    problems = [
        Problem(
            row=None,
            column=f"redcap.events.{event}",
            check="redcap_event_timepoint",
            message=f"event '{event}' is mapped to '{timepoint}', which is not one of the "
            f"timepoints {list(instrument.timepoints)}",
            value=timepoint,
        )
        for event, timepoint in events.items()
        if timepoint not in instrument.timepoints
    ]
    for timepoint in instrument.timepoints:
        mapped = [event for event, target in events.items() if target == timepoint]
        if len(mapped) != 1:
            problems.append(
                Problem(
                    row=None,
                    column="redcap.events",
                    check="redcap_one_event_per_timepoint",
                    message=f"timepoint '{timepoint}' needs exactly one REDCap event, "
                    f"but {len(mapped)} are mapped to it ({', '.join(mapped) or 'none'})",
                    value=timepoint,
                )
            )
    return problems


def dictionary_fields(instrument: Instrument, events: Mapping[str, str]) -> list[Field]:
    """The dictionary's fields, the record id first. ``events`` maps event -> timepoint;
    an item asked at one timepoint is shown only in that timepoint's event."""
    event_of = {timepoint: event for event, timepoint in events.items()}
    coded = dropdowns(instrument)
    fields = [
        Field(
            RECORD_ID,
            "text",
            "Participant ID",
            note="The site's pseudonymous code, never a name",
        ),
        Field(ROLE, "dropdown", "Role", choices=_choices(coded[ROLE]), required=True),
    ]
    low, high = instrument.scale_min, instrument.scale_max
    score_choices = _score_choices(instrument)
    for index, domain in enumerate(instrument.domains):
        fields.append(
            Field(
                domain.id,
                "radio",
                domain.label,
                choices=score_choices,
                section_header=(
                    f"How confident are you in giving feedback on each of these? "
                    f"({low} = lowest, {high} = highest)"
                    if index == 0
                    else ""
                ),
                matrix_group=DOMAIN_MATRIX,
            )
        )
    for item in instrument.items:
        logic = f"[event-name] = '{event_of[item.timepoint]}'" if item.timepoint in event_of else ""
        if item.is_binary:
            fields.append(Field(item.id, "yesno", item.label, branching_logic=logic))
        else:
            fields.append(
                Field(
                    item.id,
                    "dropdown",
                    item.label,
                    choices=_choices(coded[item.id]),
                    branching_logic=logic,
                )
            )
    for name, _ in instrument.demographics:
        fields.append(
            Field(
                name, "dropdown", name.replace("_", " ").capitalize(), choices=_choices(coded[name])
            )
        )
    return fields


def dictionary_csv(instrument: Instrument, events: Mapping[str, str]) -> str:
    """The REDCap data dictionary as CSV text: REDCap's 18 columns in its order, one row
    per field, the same bytes for the same instrument."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=DICTIONARY_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for field in dictionary_fields(instrument, events):
        writer.writerow(field.row())
    return buffer.getvalue()
