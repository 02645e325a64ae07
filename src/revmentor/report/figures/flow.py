"""The flow diagram (CONSORT style): hospitals and participants from registration to the
pooled analysis, a box per stage with its count, and beside each step a box with everyone
it excluded, counted under each reason.

:func:`flow_diagram_data` turns a :class:`~revmentor.report.flow.Flow` into the text of
every box; :func:`draw_flow` lays the boxes out. The shared stages (registered, received,
valid) run down one column, then the diagram splits into one column per role. Reasons are
aggregated with counts, and only the commonest few are listed, so that the diagram reads
the same at 6 sites and at 1,000.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, Rectangle

from revmentor.report.figures.style import figure_style, new_figure
from revmentor.report.flow import Exclusion, Flow, OutcomeFlow, ParticipantFlow, find_outcome

#: Reasons listed in one box; the rest are summed on one line.
MAX_REASONS = 4
#: Sites named beside a reason; past this only their number is given.
MAX_SITES_NAMED = 3
MAIN_COLOUR = "#f2f5fa"
SIDE_COLOUR = "#ffffff"
EDGE_COLOUR = "#33415c"
FONT_SIZE = 8.0
TITLE_SIZE = 11.0
LINE_HEIGHT = FONT_SIZE * 1.3 / 72
PADDING = 0.08
#: Average width of a character at FONT_SIZE in DejaVu Sans, inches (for wrapping).
CHAR_WIDTH = FONT_SIZE * 0.53 / 72
BOLD_CHAR_WIDTH = FONT_SIZE * 0.6 / 72
BULLET = "\u2022 "
STEP_GAP = 0.3
#: Width of one role's column, inches.
BRANCH_WIDTH = 5.3


@dataclass(frozen=True)
class FlowBox:
    """A box: its first line in bold, then its body."""

    heading: str
    lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class FlowColumn:
    """Boxes down one column; ``excluded[i]`` (if any) sits beside the step from box i to
    box i + 1."""

    boxes: tuple[FlowBox, ...]
    excluded: tuple[FlowBox | None, ...]


@dataclass(frozen=True)
class FlowDiagramData:
    title: str
    shared: FlowColumn
    branches: tuple[FlowColumn, ...]
    footer: tuple[str, ...]


# --------------------------------------------------------------------------- content


def plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def reason_lines(
    exclusions: Sequence[Exclusion],
    unit: tuple[str, str] | None = None,
    max_reasons: int = MAX_REASONS,
    max_sites: int = MAX_SITES_NAMED,
) -> tuple[str, ...]:
    """One line per reason, commonest first: its count (in ``unit`` if given) and, for a
    few sites, their ids; past ``max_reasons`` the rest on one line."""

    def counted(count: int) -> str:
        return plural(count, *unit) if unit else f"{count:,}"

    lines = []
    for exclusion in exclusions[:max_reasons]:
        named = ""
        if exclusion.sites and len(exclusion.sites) <= max_sites:
            named = f" ({', '.join(exclusion.sites)})"
        lines.append(f"{BULLET}{exclusion.reason}: {counted(exclusion.count)}{named}")
    rest = exclusions[max_reasons:]
    if rest:
        count = sum(exclusion.count for exclusion in rest)
        lines.append(f"{BULLET}{plural(len(rest), 'other reason')}: {counted(count)}")
    return tuple(lines)


def _named_sites(exclusions: Sequence[Exclusion]) -> tuple[str, ...]:
    sites = [site for exclusion in exclusions for site in exclusion.sites]
    return (", ".join(sites),) if 0 < len(sites) <= MAX_SITES_NAMED else ()


def _by_role(counts: Mapping[str, int]) -> str:
    return ", ".join(plural(count, role) for role, count in counts.items())


def _participant_box(
    participant: ParticipantFlow, pooled: OutcomeFlow | None, outcome_label: str
) -> FlowColumn:
    role = participant.role
    role_title = f"{role[:1].upper()}{role[1:]}s"
    boxes = [
        FlowBox(
            f"{role_title} at valid hospitals: {participant.valid:,}",
            (
                (
                    f"of whom {participant.at_summary_sites:,} at summary-only hospitals "
                    "(counted from their summaries)",
                )
                if participant.at_summary_sites
                else ()
            ),
        ),
        FlowBox(f"{role_title} with a pre and post {outcome_label}: {participant.paired:,}"),
        FlowBox(
            f"{role_title} in the pooled analysis: {participant.included:,}",
            (f"{plural(pooled.k, 'hospital') if pooled else 'No hospital'}; {outcome_label}",),
        ),
    ]
    not_paired = sum(exclusion.count for exclusion in participant.not_paired)
    left_out_pairs = sum(exclusion.count for exclusion in participant.at_sites_left_out)
    left_out_sites = pooled.excluded if pooled else ()
    excluded = [
        FlowBox(f"Not paired: {not_paired:,}", reason_lines(participant.not_paired)),
        FlowBox(
            f"Hospitals left out: {sum(e.count for e in left_out_sites):,}"
            + (f" ({plural(left_out_pairs, role)} with pairs)" if left_out_pairs else ""),
            reason_lines(left_out_sites, ("hospital", "hospitals")),
        ),
    ]
    return FlowColumn(tuple(boxes), tuple(excluded))


def flow_diagram_data(
    flow: Flow,
    outcome_labels: Mapping[str, str],
) -> FlowDiagramData:
    """The text of every box. ``outcome_labels`` names the outcomes ("Total score")."""
    received = {p.role: p.received for p in flow.participants}
    valid = {p.role: p.valid for p in flow.participants}
    failed = {p.role: p.at_invalid_sites for p in flow.participants}
    summary_note = (
        (f"{plural(flow.summary_sites, 'hospital')} sent a summary only",)
        if flow.summary_sites
        else ()
    )
    shared = FlowColumn(
        boxes=(
            FlowBox(f"Hospitals registered: {flow.registered:,}"),
            FlowBox(f"Data received: {plural(flow.received, 'hospital')}", (_by_role(received),)),
            FlowBox(
                f"Passed validation: {plural(flow.valid, 'hospital')}",
                (_by_role(valid), *summary_note),
            ),
        ),
        excluded=(
            FlowBox(
                f"Awaiting data: {plural(flow.n_awaiting, 'hospital')}",
                _named_sites(flow.awaiting),
            ),
            FlowBox(
                f"Failed validation: {plural(flow.n_failed, 'hospital')}",
                (
                    *((_by_role(failed),) if flow.n_failed else ()),
                    *reason_lines(flow.failed, ("hospital", "hospitals")),
                ),
            ),
        ),
    )
    branches = []
    for participant in flow.participants:
        pooled = find_outcome(flow.outcomes, participant.role, participant.outcome)
        label = outcome_labels.get(participant.outcome, participant.outcome).lower()
        branches.append(_participant_box(participant, pooled, label))
    return FlowDiagramData(
        title="Who took part: hospitals and participants, registration to pooled analysis",
        shared=shared,
        branches=tuple(branches),
        footer=_footer(flow),
    )


def _footer(flow: Flow) -> tuple[str, ...]:
    lines = []
    for participant in flow.participants:
        ks = [f.k for f in flow.outcomes if f.role == participant.role]
        if ks:
            span = f"{min(ks):,}" if min(ks) == max(ks) else f"{min(ks):,} to {max(ks):,}"
            lines.append(
                f"{participant.role[:1].upper()}{participant.role[1:]}s, every outcome: "
                f"{span} hospitals pooled (results/pooled/meta_analysis.csv)."
            )
    lines.append(
        "Participants: those with any row at a hospital; a hospital that sent a summary "
        "only counts its pairs and the exclusions its summary gives."
    )
    return tuple(lines)


# --------------------------------------------------------------------------- drawing


def _wrapped(box: FlowBox, width: float) -> tuple[list[str], list[str]]:
    inner = width - 2 * PADDING
    heading = textwrap.wrap(box.heading, max(12, int(inner / BOLD_CHAR_WIDTH))) or [""]
    chars = max(12, int(inner / CHAR_WIDTH))
    body = []
    for line in box.lines:
        # A bullet's continuation lines start under its text, not under the bullet.
        indent = "  " if line.startswith(BULLET) else ""
        body += textwrap.wrap(line, chars, subsequent_indent=indent)
    return heading, body


def _box_height(box: FlowBox, width: float) -> float:
    heading, body = _wrapped(box, width)
    return (len(heading) + len(body)) * LINE_HEIGHT + 2 * PADDING


def _draw_box(
    ax, box: FlowBox, left: float, top: float, width: float, height: float, colour: str
) -> None:
    """Draw ``box`` with its top-left corner at (left, top)."""
    heading, body = _wrapped(box, width)
    ax.add_patch(
        Rectangle(
            (left, top - height), width, height, facecolor=colour, edgecolor=EDGE_COLOUR, lw=0.8
        )
    )
    y = top - PADDING
    for line in heading:
        ax.text(left + PADDING, y, line, va="top", ha="left", fontsize=FONT_SIZE, weight="bold")
        y -= LINE_HEIGHT
    for line in body:
        ax.text(left + PADDING, y, line, va="top", ha="left", fontsize=FONT_SIZE)
        y -= LINE_HEIGHT


def _arrow(ax, start: tuple[float, float], end: tuple[float, float]) -> None:
    ax.add_patch(
        FancyArrowPatch(
            start,
            end,
            arrowstyle="-|>",
            mutation_scale=9,
            lw=0.8,
            color=EDGE_COLOUR,
            shrinkA=0,
            shrinkB=0,
        )
    )


def _line(ax, xs: Sequence[float], ys: Sequence[float]) -> None:
    ax.plot(xs, ys, color=EDGE_COLOUR, lw=0.8, solid_capstyle="butt")


@dataclass(frozen=True)
class _Geometry:
    main_left: float
    main_width: float
    side_left: float
    side_width: float


@dataclass(frozen=True)
class _Rows:
    """Heights shared by columns drawn side by side, so that their stages line up."""

    boxes: tuple[float, ...]
    sides: tuple[float, ...]

    @property
    def height(self) -> float:
        steps = sum(STEP_GAP + (side + STEP_GAP if side else 0.0) for side in self.sides)
        return sum(self.boxes) + steps


def _rows(columns: Sequence[FlowColumn], geometries: Sequence[_Geometry]) -> _Rows:
    n_boxes = max(len(column.boxes) for column in columns)
    boxes = [0.0] * n_boxes
    sides = [0.0] * (n_boxes - 1)
    for column, geometry in zip(columns, geometries, strict=True):
        for index, box in enumerate(column.boxes):
            boxes[index] = max(boxes[index], _box_height(box, geometry.main_width))
        for index, side in enumerate(column.excluded[: n_boxes - 1]):
            if side is not None:
                sides[index] = max(sides[index], _box_height(side, geometry.side_width))
    return _Rows(tuple(boxes), tuple(sides))


def _draw_column(ax, column: FlowColumn, geometry: _Geometry, top: float, rows: _Rows) -> None:
    centre = geometry.main_left + geometry.main_width / 2
    y = top
    for index, box in enumerate(column.boxes):
        _draw_box(
            ax, box, geometry.main_left, y, geometry.main_width, rows.boxes[index], MAIN_COLOUR
        )
        y -= rows.boxes[index]
        if index == len(column.boxes) - 1:
            break
        side = column.excluded[index] if index < len(column.excluded) else None
        step = STEP_GAP + (rows.sides[index] + STEP_GAP if rows.sides[index] else 0.0)
        if side is not None:
            side_height = _box_height(side, geometry.side_width)
            middle = y - step / 2
            side_top = middle + side_height / 2
            _draw_box(
                ax,
                side,
                geometry.side_left,
                side_top,
                geometry.side_width,
                side_height,
                SIDE_COLOUR,
            )
            right = geometry.side_left > centre
            edge = geometry.side_left if right else geometry.side_left + geometry.side_width
            _arrow(ax, (centre, middle), (edge, middle))
        _arrow(ax, (centre, y), (centre, y - step))
        y -= step


def draw_flow(data: FlowDiagramData) -> Figure:
    n_branches = max(1, len(data.branches))
    width = max(10.8, BRANCH_WIDTH * n_branches + 0.2)
    shared = _Geometry(
        main_left=width / 2 - 3.2, main_width=3.0, side_left=width / 2 + 0.3, side_width=3.2
    )
    branches = []
    for index in range(len(data.branches)):
        region = width / n_branches * index + (width / n_branches - BRANCH_WIDTH) / 2
        branches.append(
            _Geometry(
                main_left=region + 0.1, main_width=2.5, side_left=region + 2.8, side_width=2.35
            )
        )
    footer_chars = int((width - 0.4) / CHAR_WIDTH)
    footer = [piece for line in data.footer for piece in textwrap.wrap(line, footer_chars)]
    shared_rows = _rows([data.shared], [shared])
    branch_rows = _rows(data.branches, branches) if data.branches else None
    title_height = 0.5
    split_height = 0.45
    height = (
        title_height
        + shared_rows.height
        + (split_height + branch_rows.height if branch_rows else 0.0)
        + 0.3
        + len(footer) * LINE_HEIGHT
        + 0.1
    )
    with figure_style():
        figure = new_figure(width, height)
        ax = figure.add_axes((0.0, 0.0, 1.0, 1.0))
        ax.set_xlim(0, width)
        ax.set_ylim(0, height)
        ax.set_axis_off()
        ax.text(
            0.2, height - 0.15, data.title, va="top", ha="left", fontsize=TITLE_SIZE, weight="bold"
        )
        top = height - title_height
        _draw_column(ax, data.shared, shared, top, shared_rows)
        bottom = top - shared_rows.height
        if branch_rows:
            centre = shared.main_left + shared.main_width / 2
            bar = bottom - split_height / 2
            centres = [geometry.main_left + geometry.main_width / 2 for geometry in branches]
            _line(ax, [centre, centre], [bottom, bar])
            _line(ax, [min(*centres, centre), max(*centres, centre)], [bar, bar])
            for column, geometry, x in zip(data.branches, branches, centres, strict=True):
                _arrow(ax, (x, bar), (x, bottom - split_height))
                _draw_column(ax, column, geometry, bottom - split_height, branch_rows)
        y = 0.1 + len(footer) * LINE_HEIGHT
        for line in footer:
            ax.text(0.2, y, line, va="top", ha="left", fontsize=FONT_SIZE - 0.5, color="#333333")
            y -= LINE_HEIGHT
    return figure
