"""The hip fracture: the fracture types, the operation each guideline pairs with them,
the first days in hospital, the team, and what happens afterwards.

- :class:`HipFractureType` (``data/hip_fracture_types.yaml``): intracapsular
  undisplaced and displaced, trochanteric and subtrochanteric fractures, each with
  the operations that a guideline pairs with it (NICE CG124 and QS16, AAOS 2014 and
  2021), quoted as the guideline words them, and the course's treatment pathway
  (``data/pathways.yaml``) drawn for its first days.
- :class:`HipCareStep` (``data/hip_care.yaml``): what the team does in the first
  days that every fracture type shares (the Hip Fracture Programme from admission,
  pain assessment, daily rehabilitation), each with its role and sources.
- :class:`HipOutcome` (``data/hip_outcomes.yaml``): mortality at 30 days and at one
  year from several sources, each with its year and the people it counts; they
  disagree, and the figure shows them side by side rather than averaging them.
- :class:`PathwayExplorer`: choose the fracture type and see the operation(s) its
  guidelines name, the first days as a day-by-day chart, the team and the sources.
  It offers only the fracture types in the data and shows only the operations
  their guidelines name: it cannot show a hip fracture in a cast.

The explorer has no second control: the guideline criteria that choose between a
hemiarthroplasty and a total hip replacement (NICE CG124 1.6) could not be read
word for word for this course, so it does not pretend to check them.

Taught in: ``notebooks/06_hip_fracture.ipynb``.
"""

from __future__ import annotations

import functools
import html
import textwrap
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Annotated, Any, Literal

import ipywidgets as widgets
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from .cite import TextAndHtml, cited_html, cited_text, sources_line, table_html
from .data import CourseData, iter_cited, load
from .lessons import Lesson, WidgetSpec
from .plots import SummarisedFigure, draw_new, fixed_layout, height_for_rows, legend_below
from .records import (
    ID_PATTERN,
    KeyFact,
    Order,
    Pathway,
    PathwayStep,
    Percent,
    Record,
    SourcedText,
    TimeWindow,
    _reference_to,
    _require_evidence,
)
from .style import OKABE_ITO
from .widgets import FigurePanel, controls_row, details_html, dropdown, error_html

if TYPE_CHECKING:  # matplotlib is imported when a figure is drawn, not with the module
    from matplotlib.figure import Figure

__all__ = [
    "OPERATIONS",
    "HipRecommendation",
    "HipFractureType",
    "HipCareStep",
    "HipOutcome",
    "fracture_types",
    "fracture_type",
    "pathway_of",
    "operations_for",
    "first_days",
    "draw_first_days",
    "first_days_figure",
    "pathway_text",
    "pathway_html",
    "team_text",
    "draw_mortality",
    "mortality_figure",
    "mortality_text",
    "fracture_types_table",
    "anaesthesia_text",
    "PathwayExplorer",
    "FACTS",
    "source_keys",
    "solution_exercise_1",
    "solution_exercise_2",
    "solution_exercise_3",
    "LESSON",
]

#: Every operation a guideline may pair with a hip fracture type, with its name. There
#: is deliberately no cast, splint or traction: no guideline treats a hip fracture so.
OPERATIONS: dict[str, str] = {
    "internal_fixation": "internal fixation (screws)",
    "sliding_hip_screw": "sliding hip screw (an extramedullary implant)",
    "intramedullary_nail": "intramedullary nail",
    "hemiarthroplasty": "hemiarthroplasty (replacing the femoral head)",
    "total_hip_replacement": "total hip replacement",
    "non_operative_care": "non-operative care (no operation)",
}
OperationKind = Literal[
    "internal_fixation",
    "sliding_hip_screw",
    "intramedullary_nail",
    "hemiarthroplasty",
    "total_hip_replacement",
    "non_operative_care",
]

#: Which of the course's hip pathways (data/pathways.yaml) draws the first days after each operation.
PATHWAY_OF_OPERATION: dict[str, str | None] = {
    "internal_fixation": "hip_internal_fixation",
    "sliding_hip_screw": "hip_internal_fixation",
    "intramedullary_nail": "hip_internal_fixation",
    "hemiarthroplasty": "hip_arthroplasty",
    "total_hip_replacement": "hip_arthroplasty",
    "non_operative_care": None,
}

Role = Literal[
    "orthogeriatric team",
    "nurse",
    "surgeon and anaesthetist",
    "physiotherapist",
    "multidisciplinary team",
]

#: Who does the steps of the reused pathways (data/pathways.yaml), where the sources name them.
PATHWAY_STEP_ROLES: dict[str, str] = {
    "surgery": "surgeon and anaesthetist",
    "mobilisation": "physiotherapist",
}

#: What the chart says where the sources name no role for a step.
NO_ROLE = "role not named in the source"

#: Colours and markers of the first-days chart, one per role (colour is never the only cue).
ROLE_STYLES: dict[str, tuple[str, str]] = {
    "orthogeriatric team": (OKABE_ITO["reddish_purple"], "s"),
    "nurse": (OKABE_ITO["bluish_green"], "D"),
    "surgeon and anaesthetist": (OKABE_ITO["vermillion"], "X"),
    "physiotherapist": (OKABE_ITO["blue"], ">"),
    "multidisciplinary team": (OKABE_ITO["orange"], "o"),
    NO_ROLE: (OKABE_ITO["black"], "^"),
}

Year = Annotated[int, Field(ge=1900, le=2100)]


# --- records -------------------------------------------------------------------------


class HipRecommendation(BaseModel):
    """One guideline's pairing of a fracture type with its operation(s), as the guideline words it."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    id: Annotated[str, Field(pattern=ID_PATTERN)]
    body: str
    document: str
    year: Year
    operations: Annotated[list[OperationKind], Field(min_length=1)]
    wording: SourcedText
    strength: str | None = None
    note: SourcedText | None = None

    @field_validator("wording")
    @classmethod
    def _sourced(cls, wording: SourcedText, info: ValidationInfo) -> SourcedText:
        if wording.illustrative:
            raise PydanticCustomError("illustrative_recommendation", "a guideline's wording cannot be illustrative")
        _require_evidence(wording.sources, info, "a guideline's recommendation")
        return wording


class HipFractureType(Record):
    """One type of hip fracture, where it is, and the operations the guidelines pair with it.

    ``pathway`` is the course's pathway (``data/pathways.yaml``) that draws the first
    days after the first guideline's first operation; it must match that operation.
    """

    name: str
    order: Order
    capsule: Literal["intracapsular", "extracapsular"]
    description: SourcedText
    pathway: Annotated[str, _reference_to("pathways")]
    recommendations: Annotated[list[HipRecommendation], Field(min_length=1)]
    note: SourcedText | None = None

    @model_validator(mode="after")
    def _pathway_matches_operation(self) -> HipFractureType:
        first = self.recommendations[0].operations[0]
        expected = PATHWAY_OF_OPERATION[first]
        if expected is None:
            raise PydanticCustomError(
                "no_pathway",
                "the first recommendation's first operation ({op}) has no pathway to draw: list an operation first",
                {"op": first},
            )
        if self.pathway != expected:
            raise PydanticCustomError(
                "pathway_mismatch",
                "pathway '{got}' does not draw {op}: expected '{expected}'",
                {"got": self.pathway, "op": OPERATIONS[first], "expected": expected},
            )
        ids = [r.id for r in self.recommendations]
        if len(set(ids)) != len(ids):
            raise PydanticCustomError("duplicate_id", "every recommendation id must be unique")
        return self


class HipCareStep(Record):
    """A step of the first days that every hip fracture shares: who, what, when (days from admission)."""

    order: Order
    role: Role
    label: str
    starts: TimeWindow
    onwards: bool = False
    what: SourcedText
    timing: SourcedText

    @model_validator(mode="after")
    def _in_days(self) -> HipCareStep:
        if self.starts.unit != "days":
            raise PydanticCustomError("unit", "the first days are counted in days: give starts.unit: days")
        return self


class HipOutcome(Record):
    """One reported mortality figure after hip fracture, with its source, year and people counted.

    ``value`` is the figure as reported (``approximate`` when the source says
    "about"); ``low``/``high`` a reported range (hospital means, or a range of
    estimates). ``shown_as`` is how the source writes it ("about one-third").
    """

    measure: Literal["30-day mortality", "1-year mortality"]
    source_label: str
    year: Year
    data_years: str | None = None
    value: Percent | None = None
    approximate: bool = False
    low: Percent | None = None
    high: Percent | None = None
    shown_as: str
    population: str
    statement: SourcedText

    @field_validator("statement")
    @classmethod
    def _sourced(cls, statement: SourcedText, info: ValidationInfo) -> SourcedText:
        _require_evidence(statement.sources, info, "a mortality figure")
        return statement

    @model_validator(mode="after")
    def _a_number(self) -> HipOutcome:
        if self.value is None and (self.low is None or self.high is None):
            raise PydanticCustomError("no_value", "give a value, or a range (low and high)")
        if (self.low is None) != (self.high is None):
            raise PydanticCustomError("half_interval", "give both low and high, or neither")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise PydanticCustomError(
                "inverted_range",
                "inverted range: low ({low}) is greater than high ({high}); expected low <= high",
                {"low": f"{self.low:g}", "high": f"{self.high:g}"},
            )
        return self


# --- reading the data ----------------------------------------------------------------


def fracture_types(data: CourseData | None = None) -> list[HipFractureType]:
    """The hip fracture types, in teaching order."""
    data = data or load()
    return sorted(data.records(HipFractureType), key=lambda t: t.order)


def fracture_type(type_id: str, data: CourseData | None = None) -> HipFractureType:
    """One fracture type; an unknown id raises a KeyError naming the known ones."""
    data = data or load()
    for item in fracture_types(data):
        if item.id == type_id:
            return item
    known = ", ".join(t.id for t in fracture_types(data))
    raise KeyError(f"unknown hip fracture type '{type_id}': expected one of {known}")


def pathway_of(item: HipFractureType, data: CourseData | None = None) -> Pathway:
    """The course pathway drawn for a fracture type (a hip pathway: never a cast)."""
    data = data or load()
    pathway = data.record(Pathway, item.pathway)
    if pathway.site != "hip":
        raise ValueError(f"pathway '{pathway.id}' is for the {pathway.site}, not the hip")
    return pathway


def operations_for(type_id: str, data: CourseData | None = None) -> list[str]:
    """Every operation a guideline in the data pairs with this fracture type (first mention order)."""
    item = fracture_type(type_id, data)
    return list(dict.fromkeys(op for rec in item.recommendations for op in rec.operations))


def care_steps(data: CourseData | None = None) -> list[HipCareStep]:
    """The first-days steps every hip fracture shares, in order."""
    data = data or load()
    return sorted(data.records(HipCareStep), key=lambda s: s.order)


class DayRow:
    """One row of the first-days chart: a shared care step or a step of the fracture's pathway."""

    def __init__(
        self, label: str, role: str, starts: TimeWindow, onwards: bool, what: SourcedText, timing: SourcedText
    ) -> None:
        self.label = label
        self.role = role
        self.starts = starts
        self.onwards = onwards
        self.what = what
        self.timing = timing

    def when(self) -> str:
        """``day 0``, ``days 0-1`` and ``from ...`` for a step that continues."""
        text = self.starts.describe()
        if not self.onwards:
            return text
        return f"from {text}" if self.starts.min == self.starts.max else f"starts {text}, continues"


def first_days(type_id: str, data: CourseData | None = None) -> list[DayRow]:
    """The rows drawn for one fracture type: the pathway's steps and the shared steps, by start day."""
    data = data or load()
    item = fracture_type(type_id, data)
    rows: list[DayRow] = []
    for step in care_steps(data):
        rows.append(DayRow(step.label, step.role, step.starts, step.onwards, step.what, step.timing))
    for pstep in pathway_of(item, data).steps:
        rows.append(_pathway_row(pstep))
    return sorted(rows, key=lambda r: (r.starts.min, r.starts.max))


def _pathway_row(step: PathwayStep) -> DayRow:
    starts = step.starts
    if starts.unit != "days":  # the hip pathways are in days; keep the chart honest if one is not
        raise ValueError(f"pathway step '{step.id}' is timed in {starts.unit}, not days")
    onwards = step.kind in ("mobilisation", "weight_bearing", "physiotherapy")
    return DayRow(step.label, PATHWAY_STEP_ROLES.get(step.kind, NO_ROLE), starts, onwards, step.what, step.timing)


# --- the first-days chart --------------------------------------------------------------

_TEXT_BOX = {"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1.5}


def _day_label(row: DayRow) -> str:
    """A first-days row's label: the step and who does it, in lines of at most 30 characters."""
    return "\n".join(textwrap.wrap(f"{row.label} ({row.role})", 30))


def first_days_labels(type_id: str, data: CourseData | None = None) -> list[str]:
    """The first-days chart's row labels, top to bottom: each step and who does it."""
    return [_day_label(row) for row in first_days(type_id, data)]


def first_days_height(data: CourseData | None = None) -> float:
    """Inches: the explorer's figure, tall enough for the fracture type with the most crowded rows."""
    data = data or load()
    label_sets = (first_days_labels(t.id, data) for t in fracture_types(data))
    return height_for_rows(label_sets, row_span=0.4, title_lines=1, legend_rows=3, x_tick_lines=2)


def draw_first_days(figure: Figure, type_id: str, data: CourseData | None = None) -> str:
    """Draw the first days in hospital for one fracture type, day by day; return the summary."""
    from matplotlib.lines import Line2D

    data = data or load()
    item = fracture_type(type_id, data)
    rows = first_days(type_id, data)
    ax = figure.add_subplot()
    x_end = 5.0
    for index, row in enumerate(rows):
        y = len(rows) - 1 - index
        colour, marker = ROLE_STYLES.get(row.role, ROLE_STYLES[NO_ROLE])
        low, high = row.starts.min, row.starts.max
        if high > low:  # a window: "the day of, or the day after"
            ax.barh(y, high - low, left=low, height=0.5, facecolor="white", edgecolor=colour, lw=2)
        ax.plot([low], [y], marker=marker, ms=14, color=colour, ls="none", zorder=6, clip_on=False)
        end = high
        if row.onwards:
            end = min(high + 1.2, x_end - 0.1)
            ax.annotate("", xy=(end, y), xytext=(high, y), arrowprops={"arrowstyle": "-|>", "color": colour, "lw": 2})
        ax.text(end + 0.08, y, row.when(), va="center", fontsize="small", bbox=_TEXT_BOX, zorder=7)
    labels = [_day_label(row) for row in reversed(rows)]
    ax.set_yticks(range(len(rows)), labels)
    ax.set_xticks(range(5), ["day 0\n(admission)", "day 1", "day 2", "day 3", "day 4"])
    ax.set_xlim(-0.3, x_end)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("Days from admission (the operation is on day 0 or day 1)")
    roles = list(dict.fromkeys(r.role for r in rows))
    handles = [
        Line2D([], [], color=ROLE_STYLES[r][0], marker=ROLE_STYLES[r][1], ls="none", ms=10, label=r) for r in roles
    ]
    handles.append(Line2D([], [], color=OKABE_ITO["black"], marker=None, ls="-", label="arrow: continues"))
    # Fixed margins from the labels, not a crop to what is drawn: a new state in a fraction less time.
    fixed_layout(figure, ax, labels, f"{item.name}: the first days", handles, legend_most_columns=3, x_tick_lines=2)
    return first_days_summary(type_id, data)


def first_days_summary(type_id: str, data: CourseData | None = None) -> str:
    """The first-days chart in one sentence."""
    data = data or load()
    item = fracture_type(type_id, data)
    ops = " or ".join(OPERATIONS[op] for op in item.recommendations[0].operations)
    steps = "; ".join(f"{r.label.lower()} ({r.role}) {r.when()}" for r in first_days(type_id, data))
    return (
        f"{item.name}: {item.recommendations[0].body} {item.recommendations[0].document} pairs it with {ops}; "
        f"the first days from admission: {steps}. No step is a cast or bed rest."
    )


def first_days_figure(type_id: str, data: CourseData | None = None) -> SummarisedFigure:
    """The first-days chart as a figure with its summary (displays in a notebook)."""
    return draw_new(draw_first_days, type_id, data)


# --- text and HTML ---------------------------------------------------------------------


def _fill(text: str, width: int, indent: str = "    ") -> str:
    return textwrap.fill(text, width=width, initial_indent=indent, subsequent_indent=indent)


def pathway_text(type_id: str, data: CourseData | None = None, width: int = 88) -> str:
    """What the explorer shows for one fracture type, as text with sources."""
    data = data or load()
    item = fracture_type(type_id, data)
    lines = [item.name.upper(), _fill("Where: " + cited_text(item.description), width, "  ")]
    lines.append("  Which operation, as each guideline words it:")
    for rec in item.recommendations:
        ops = ", ".join(OPERATIONS[op] for op in rec.operations)
        strength = f"; strength: {rec.strength}" if rec.strength else ""
        lines.append(f"  - {rec.body} {rec.document} ({rec.year}): {ops}{strength}")
        lines.append(_fill(cited_text(rec.wording), width))
        if rec.note is not None:
            lines.append(_fill("Note: " + cited_text(rec.note), width))
    if item.note is not None:
        lines.append(_fill("Note: " + cited_text(item.note), width, "  "))
    lines.append("  The first days (days from admission):")
    for row in first_days(type_id, data):
        lines.append(f"  - {row.when()}: {row.label} ({row.role})")
        lines.append(_fill(cited_text(row.what), width))
        lines.append(_fill("When: " + cited_text(row.timing), width))
    return "\n".join(lines) + "\n"


def pathway_html(type_id: str, data: CourseData | None = None) -> str:
    """The guidelines' operations for one fracture type as a table (HTML)."""
    data = data or load()
    item = fracture_type(type_id, data)
    rows = []
    for rec in item.recommendations:
        ops = "<br>".join(html.escape(OPERATIONS[op]) for op in rec.operations)
        extra = f"<br><em>Note:</em> {cited_html(rec.note)}" if rec.note else ""
        strength = html.escape(rec.strength or "not graded in the text read")
        rows.append(
            f"<tr><th scope='row'>{html.escape(rec.body)} {html.escape(rec.document)} ({rec.year})</th>"
            f"<td>{ops}</td><td>{cited_html(rec.wording)}{extra}</td><td>{strength}</td></tr>"
        )
    where = f"<p><strong>Where:</strong> {cited_html(item.description)}</p>"
    note = f"<p><em>Note:</em> {cited_html(item.note)}</p>" if item.note else ""
    return (
        where
        + table_html(
            "ot-hip-ops",
            ("Guideline", "Operation(s) it names", "Wording", "Strength"),
            rows,
            caption=f"{item.name}: which operation, per guideline",
        )
        + note
    )


def team_text(data: CourseData | None = None, width: int = 88) -> str:
    """Who does what in the first days (every fracture type), with sources."""
    data = data or load()
    lines = ["THE TEAM IN THE FIRST DAYS"]
    for step in care_steps(data):
        lines.append(f"- {step.role}: {step.label} ({step.starts.describe()}{' onwards' if step.onwards else ''})")
        lines.append(_fill(cited_text(step.what), width))
    return "\n".join(lines) + "\n"


def team_html(data: CourseData | None = None) -> str:
    """The team table (HTML)."""
    data = data or load()
    rows = [
        f"<tr><th scope='row'>{html.escape(s.role)}</th><td>{html.escape(s.label)}</td>"
        f"<td>{html.escape(s.starts.describe())}{' onwards' if s.onwards else ''}</td>"
        f"<td>{cited_html(s.what)}</td></tr>"
        for s in care_steps(data)
    ]
    return table_html(
        "ot-hip-team", ("Who", "What", "When (from admission)", "What the source says"), rows, caption="The team"
    )


def fracture_types_table(data: CourseData | None = None) -> TextAndHtml:
    """Every fracture type with its capsule and the operation(s) NICE or AAOS names first."""
    data = data or load()
    lines, rows = [], []
    for item in fracture_types(data):
        first = item.recommendations[0]
        ops = " or ".join(OPERATIONS[op] for op in first.operations)
        lines.append(
            f"- {item.name} ({item.capsule}): {ops}; named by {first.body} {first.document} ({first.year}) "
            f"[{', '.join(first.wording.sources)}]"
        )
        rows.append(
            f"<tr><th scope='row'>{html.escape(item.name)}</th><td>{html.escape(item.capsule)}</td>"
            f"<td>{html.escape(ops)}</td><td>{html.escape(f'{first.body} {first.document} ({first.year})')}<br>"
            f"<span class='ot-sources'>{html.escape(sources_line(first.wording.sources))}</span></td></tr>"
        )
    return TextAndHtml(
        "\n".join(lines) + "\n",
        table_html(
            "ot-hip-types",
            ("Fracture type", "Capsule", "Operation", "Guideline"),
            rows,
            caption="Hip fracture types and the operation a guideline names first",
        ),
    )


# --- outcomes -------------------------------------------------------------------------

MEASURE_COLOURS = {"30-day mortality": OKABE_ITO["sky_blue"], "1-year mortality": OKABE_ITO["blue"]}


def outcomes(data: CourseData | None = None) -> list[HipOutcome]:
    """The mortality figures, 30-day first, each group oldest source first."""
    data = data or load()
    order = {"30-day mortality": 0, "1-year mortality": 1}
    return sorted(data.records(HipOutcome), key=lambda o: (order[o.measure], o.year))


def _outcome_label(o: HipOutcome) -> str:
    years = f", data {o.data_years}" if o.data_years else ""
    return f"{o.source_label} ({o.year}{years})"


def draw_mortality(figure: Figure, data: CourseData | None = None) -> str:
    """Mortality at 30 days and at one year from each source, side by side; return the summary."""
    from matplotlib.patches import Patch

    data = data or load()
    items = outcomes(data)
    ax = figure.add_subplot()
    labels = []
    y = len(items) - 1
    for o in items:
        colour = MEASURE_COLOURS[o.measure]
        if o.value is not None:
            ax.barh(y, o.value, height=0.6, color=colour, edgecolor=OKABE_ITO["black"], lw=1)
        if o.low is not None and o.high is not None:
            ax.plot([o.low, o.high], [y, y], color=OKABE_ITO["black"], lw=3, solid_capstyle="butt", zorder=5)
            for end in (o.low, o.high):
                ax.plot([end], [y], marker="|", ms=16, mew=3, color=OKABE_ITO["black"], zorder=5)
        right = max(v for v in (o.value, o.high) if v is not None)
        ax.text(right + 0.8, y, o.shown_as, va="center", fontsize="small", bbox=_TEXT_BOX)
        labels.append(f"{o.measure}:\n{_outcome_label(o)}")
        y -= 1
    ax.set_yticks(range(len(items)), list(reversed(labels)))
    ax.set_xlim(0, 50)
    ax.set_xlabel("Deaths (% of people with a hip fracture)")
    ax.set_title("Mortality after hip fracture: the sources differ (each with its year)")
    ax.grid(axis="y", visible=False)
    legend_below(
        ax,
        [
            Patch(facecolor=MEASURE_COLOURS["30-day mortality"], edgecolor="black", label="within 30 days (1 month)"),
            Patch(facecolor=MEASURE_COLOURS["1-year mortality"], edgecolor="black", label="within 1 year"),
            ax.plot([], [], color="black", lw=3, marker="|", ms=12, label="black line: range of hospital means")[0],
        ],
        ncol=3,
        offset=-0.16,
    )
    return mortality_summary(data)


def mortality_summary(data: CourseData | None = None) -> str:
    """The mortality figure in one sentence."""
    parts = [f"{o.measure} {o.shown_as} ({_outcome_label(o)}; {o.population})" for o in outcomes(data)]
    return (
        "Mortality after hip fracture differs between sources, years and the people counted: "
        + "; ".join(parts)
        + ". The figures are not averaged."
    )


def mortality_figure(data: CourseData | None = None) -> SummarisedFigure:
    """The mortality comparison as a figure with its summary."""
    return draw_new(draw_mortality, data, height=5.5)


def mortality_text(data: CourseData | None = None, width: int = 88) -> str:
    """Every mortality figure with its source, year and population, as text."""
    lines = []
    for o in outcomes(data):
        lines.append(f"{o.measure.upper()}: {o.shown_as} - {_outcome_label(o)}")
        lines.append(_fill(f"People: {o.population}", width, "  "))
        lines.append(_fill(cited_text(o.statement), width, "  "))
    return "\n".join(lines) + "\n"


#: The key facts on anaesthesia, oldest evidence first (the notebook prints them in this order).
ANAESTHESIA_FACTS = ("hip_anaesthesia_nice_2011", "hip_anaesthesia_aaos_2014", "hip_anaesthesia_regain_2021")


def anaesthesia_text(data: CourseData | None = None, width: int = 88) -> str:
    """Regional or general anaesthesia: what each source said, in the order it was published."""
    data = data or load()
    lines = []
    for fact_id in (*ANAESTHESIA_FACTS, "hip_anaesthesia_regain_1_year"):
        fact = data.record(KeyFact, fact_id)
        lines.append(_fill(f"- {fact.topic}: " + cited_text(fact.statement), width, ""))
    return "\n".join(lines) + "\n"


# --- the pathway explorer ---------------------------------------------------------------


class PathwayExplorer(widgets.VBox):
    """Choose a hip fracture type; see the operation(s), the first days, the team and the sources.

    The dropdown offers only the fracture types in ``data/hip_fracture_types.yaml``;
    each shows only the operations its guidelines name (never a cast). Exposes
    ``.png``, ``.summary``, ``.text``, ``.html`` and ``.error`` for tests.
    """

    def __init__(self, type_id: str | None = None, data: CourseData | None = None) -> None:
        self.data = data or load()
        types = fracture_types(self.data)
        if type_id not in {t.id for t in types}:
            type_id = types[0].id
        self.type_dropdown = dropdown("Hip fracture:", [(t.name, t.id) for t in types], type_id)
        self.operations = widgets.HTML()
        self.panel = FigurePanel(height=first_days_height(self.data))
        self.team = widgets.HTML(team_html(self.data))
        self.details = widgets.HTML()
        self.text = ""
        self.type_dropdown.observe(self._on_type, names="value")
        heading = widgets.HTML(
            "<p><em>A lesson in reading guidelines, not advice: the operation is chosen by the patient "
            "and their surgical team.</em></p>"
        )
        super().__init__(
            [controls_row(self.type_dropdown), heading, self.operations, self.panel.widget, self.team, self.details],
            layout=widgets.Layout(width="100%"),
        )
        self.show(type_id)

    @property
    def png(self) -> bytes:
        return self.panel.png

    @property
    def summary(self) -> str:
        return self.panel.summary

    @property
    def error(self) -> str | None:
        return self.panel.error

    @property
    def html(self) -> str:
        return self.operations.value

    def _draw(self, type_id: str) -> Callable[[Figure], str]:
        return functools.partial(draw_first_days, type_id=type_id, data=self.data)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """Shown in a notebook: draw the other fracture types' first days ahead, in the background."""
        self.panel.render_ahead((t.id, self._draw(t.id)) for t in fracture_types(self.data))
        return super()._repr_mimebundle_(**kwargs)

    def _on_type(self, change: dict) -> None:
        if change["new"] is not None:
            self.show(change["new"])

    def show(self, type_id: str) -> None:
        """Show one fracture type; an unknown one shows a message, not a traceback."""
        try:
            self.text = pathway_text(type_id, self.data)
            table = pathway_html(type_id, self.data)
        except (KeyError, ValueError) as exc:
            self.text = ""
            self.operations.value = error_html(str(exc.args[0]))
            self.details.value = ""
            self.panel.show_error(str(exc.args[0]))
            return
        self.operations.value = table
        self.panel.redraw(self._draw(type_id), key=type_id)
        self.details.value = details_html("Everything shown, with sources", self.text)


# --- exercises -------------------------------------------------------------------------


def solution_exercise_1(course: CourseData) -> str:
    """A displaced intracapsular fracture: which operation, and why not fixation."""
    item = fracture_type("intracapsular_displaced", course)
    lines = [f"What the guidelines pair with this fracture ({item.name.lower()}):"]
    for rec in item.recommendations:
        ops = " or ".join(OPERATIONS[op] for op in rec.operations)
        lines.append(f"- {rec.body} {rec.document} ({rec.year}): {ops}. {cited_text(rec.wording)}")
    lines.append(
        "So the guidelines pair it with a replacement (arthroplasty), not with screws: "
        + cited_text(course.record(KeyFact, "hip_displaced_blood_supply").statement)
    )
    lines.append(
        "Hemiarthroplasty or total hip replacement? NICE sets criteria for that choice; their exact "
        "wording was not read for this course, so the explorer does not check them."
    )
    return "\n".join(lines)


def solution_exercise_2(course: CourseData) -> str:
    """Mrs A.'s first days after a trochanteric fracture: what happens when, and who does it."""
    rows = first_days("trochanteric", course)
    lines = ["Who does what in Mrs A.'s first days (admitted on day 0 with a trochanteric fracture):"]
    lines += [f"- the {r.role}: {r.label.lower()}, {r.when()} [{', '.join(r.timing.sources)}]" for r in rows]
    lines.append("No cast: the aim is mobilisation, with a physiotherapist, on the day after surgery.")
    return "\n".join(lines)


def solution_exercise_3(course: CourseData) -> str:
    """Why the mortality figures differ, and which one to quote."""
    lines = ["Each figure counts different people, in different years:"]
    lines += [
        f"- {o.measure} {o.shown_as}: {_outcome_label(o)}; {o.population} [{', '.join(o.statement.sources)}]"
        for o in outcomes(course)
    ]
    lines.append(
        "Quote a figure with its source, its year and whom it counts; do not average them. The national "
        "audit cohort counts every patient aged 60 or over in England and Wales; the Copenhagen cohort only "
        "people who walked and lived at home before the fracture, at one hospital: its lower one-year figure "
        "cannot be compared with NICE's without saying so."
    )
    return "\n".join(lines)


# --- the lesson ------------------------------------------------------------------------

#: Key facts the notebook prints (data/hip_facts.yaml).
FACTS = (
    "hip_definition",
    "hip_capsule",
    "hip_displaced_blood_supply",
    "hip_surgery_timing",
    "hip_early_mobility",
    "hip_fracture_programme",
    *ANAESTHESIA_FACTS,
    "hip_anaesthesia_regain_1_year",
    "hip_recovery_mobility",
    "hip_institutionalised",
    "hip_deaths_after_discharge",
)


def source_keys(course: CourseData) -> Iterable[str]:
    """Every source behind the explorer, the figures and the facts the notebook prints."""
    shown: list[Any] = [
        *fracture_types(course),
        *(pathway_of(t, course) for t in fracture_types(course)),
        *care_steps(course),
        *outcomes(course),
        *(course.record(KeyFact, f) for f in FACTS),
    ]
    return dict.fromkeys(key for cited in iter_cited(shown) for key in cited.sources)


def _explorer_direct(explorer: PathwayExplorer) -> bytes:
    """The explorer's current picture, drawn afresh by the pure draw function."""
    from .plots import new_figure, render_png

    figure = new_figure(*explorer.panel.figure.get_size_inches())
    draw_first_days(figure, explorer.type_dropdown.value, explorer.data)
    return render_png(figure)


def pathway_static(course: CourseData) -> TextAndHtml:
    """Every fracture type's operations, first days, team and sources (what the explorer can show)."""
    types = fracture_types(course)
    text = "\n\n".join(pathway_text(t.id, course) for t in types)
    return TextAndHtml(text, "".join(pathway_html(t.id, course) for t in types))


LESSON = Lesson(
    id="06_hip_fracture",
    title="The hip fracture: which operation, the first days and what follows",
    summary=(
        "Intracapsular and extracapsular hip fractures, the operation each guideline pairs with them, "
        "surgery and mobilisation within days, orthogeriatric care, anaesthesia and outcomes."
    ),
    data_files=("hip_fracture_types", "hip_care", "hip_outcomes", "hip_facts", "pathways"),
    widgets=(
        WidgetSpec(
            "PathwayExplorer",
            build=lambda course: PathwayExplorer(data=course),
            controls=lambda explorer: [explorer.type_dropdown],
            shows=lambda explorer: explorer.png,
            label="Hip fracture:",
            draws_figure=True,
            direct=_explorer_direct,
            text=pathway_static,
        ),
    ),
    sources=source_keys,
    tables={
        "hip_fracture_types": HipFractureType,
        "hip_care": HipCareStep,
        "hip_outcomes": HipOutcome,
        "hip_facts": KeyFact,
    },
)
