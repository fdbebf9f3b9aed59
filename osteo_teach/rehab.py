"""Rehabilitation and preventing the next fracture: the programme, falls, and secondary prevention.

The seed article says that working with the healthcare provider and a physical
therapist on an activity and rehabilitation programme "can speed your recovery and
protect you from future fractures". This module teaches that sentence from cited data:

- :func:`programme_table`: what a rehabilitation programme contains (mobility,
  strength, balance, activities of daily living, posture) after a wrist, hip or spine
  fracture, as the sources read say it (a gap says so).
- :func:`refracture_figure`: the cumulative risk of another fracture over time after a
  first one, from ONE cohort (``data/refracture_risk.yaml``), with its denominators.
- :func:`falls_figure`: exercise and the rate of falls, rate ratios with their 95% CIs
  read against 1 (no difference) (``data/falls_effects.yaml``).
- :func:`horizon_text`: a randomised trial of treatment after hip fracture
  (``data/prevention_trials.yaml``), with absolute numbers computed from counts only.
- :class:`CarePlanner`: choose a fracture, then one of the treatments recorded for it
  (``data/pathways.yaml``); see what happens at day 1, week 1, 6 weeks, 3 months and
  1 year (``data/care_plans.yaml``). Steps are limited to the treatments they apply
  to, so the planner cannot show cast advice after a hip operation; timings no source
  gives are hatched and labelled illustrative.

Draw functions are pure: ``draw_*(figure, ...)`` builds everything on the figure given
and returns the one-sentence summary.

Taught in: ``notebooks/08_rehabilitation_and_prevention.ipynb``.
"""

from __future__ import annotations

import functools
import html
import math
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

import ipywidgets as widgets
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from .cite import TextAndHtml, cited_html, cited_text, table_html
from .data import CourseData, format_reported, iter_cited, load
from .lessons import Lesson, WidgetSpec
from .plots import SummarisedFigure, draw_new, legend_under_figure, save_whole
from .records import (
    ID_PATTERN,
    ConfidenceInterval,
    Count,
    FractureSite,
    FractureSiteId,
    KeyFact,
    Pathway,
    PathwayStep,
    Percent,
    Ratio,
    Record,
    SourcedText,
    Trial,
    TrialNumber,
    _reference_to,
    _require_evidence,
)
from .style import OKABE_ITO
from .widgets import FigurePanel, controls_row, details_html, dropdown

if TYPE_CHECKING:  # matplotlib is imported when a figure is drawn, not with the module
    from matplotlib.figure import Figure

__all__ = [
    "TIME_POINTS",
    "DOMAINS",
    "COMPONENTS",
    "CareStep",
    "ProgrammeItem",
    "CarePlan",
    "RefractureRisk",
    "FallsEffect",
    "care_plans",
    "plan_for",
    "planner_sites",
    "treatments_for",
    "column_for",
    "PlannedItem",
    "Plan",
    "resolve_plan",
    "draw_care_plan",
    "care_plan_text",
    "CarePlanner",
    "programme_table",
    "risk_points",
    "draw_refracture_risk",
    "refracture_figure",
    "falls_effects",
    "draw_falls_effect",
    "falls_figure",
    "horizon",
    "horizon_deaths",
    "risk_difference",
    "number_needed_to_treat",
    "horizon_text",
    "solution_exercise_1",
    "solution_exercise_2",
    "solution_exercise_3",
    "solution_exercise_4",
    "FACTS",
    "source_keys",
    "LESSON",
]

# --- the care plan's vocabulary -----------------------------------------------------

TimePoint = Literal["day_1", "week_1", "week_6", "month_3", "year_1"]
#: The planner's columns, in order, with their headings.
TIME_POINTS: dict[str, str] = {
    "day_1": "Day 1",
    "week_1": "Week 1",
    "week_6": "6 weeks",
    "month_3": "3 months",
    "year_1": "1 year",
}
#: The latest time (weeks after the fracture) each column holds: a column collects what
#: happens after the previous column and up to this time.
COLUMN_ENDS: dict[str, float] = {"day_1": 2 / 7, "week_1": 1.0, "week_6": 6.0, "month_3": 13.0, "year_1": 52.0}

Domain = Literal["rehabilitation", "falls", "bone_health", "medication"]
#: The planner's rows under the treatment, with their labels.
DOMAINS: dict[str, str] = {
    "rehabilitation": "Rehabilitation",
    "falls": "Falls",
    "bone_health": "Bone health",
    "medication": "Medication",
}
#: The first row: the treatment itself, read from data/pathways.yaml.
TREATMENT_ROW = "treatment"
ROW_LABELS: dict[str, str] = {TREATMENT_ROW: "Treatment", **DOMAINS}
#: One Okabe-Ito colour per row; rows are also labelled, so colour is never the only cue.
ROW_COLOURS: dict[str, str] = {
    TREATMENT_ROW: OKABE_ITO["vermillion"],
    "rehabilitation": OKABE_ITO["blue"],
    "falls": OKABE_ITO["orange"],
    "bone_health": OKABE_ITO["bluish_green"],
    "medication": OKABE_ITO["reddish_purple"],
}
#: Pathway steps that are the treatment itself or decide it (not rehabilitation or weight bearing).
TREATMENT_KINDS = frozenset({"surgery", "reduction", "procedure", "immobilisation", "review"})

Component = Literal["mobility", "strength", "balance", "daily_living", "posture"]
#: What a physiotherapist's programme contains, in the order the table shows.
COMPONENTS: dict[str, str] = {
    "mobility": "Mobility (moving, walking)",
    "strength": "Strength",
    "balance": "Balance",
    "daily_living": "Activities of daily living",
    "posture": "Posture and spine-sparing",
}

ILLUSTRATIVE_HATCH = "///"
_TEXT_BOX = {"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1.2}
#: What the planner says in a window with nothing planned.
NOTHING_PLANNED = "nothing planned"

PathwayId = Annotated[str, _reference_to("pathways")]


def _sourced(statement: SourcedText, what: str) -> SourcedText:
    if statement.illustrative:
        raise PydanticCustomError(
            "unsourced_statement",
            "{what} is always sourced: only a step's timing may be illustrative",
            {"what": what},
        )
    return statement


# --- record models (one per data file of this lesson) ---------------------------------


class CareStep(BaseModel):
    """One step of a care plan: what happens (sourced) and when (sourced or illustrative).

    ``treatments`` limits the step to some of the site's treatments (ids from
    ``data/pathways.yaml``); empty means every treatment of the site.
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    id: Annotated[str, Field(pattern=ID_PATTERN)]
    domain: Domain
    at: TimePoint
    #: Short enough to read in a cell of the planner's figure.
    label: Annotated[str, Field(min_length=3, max_length=45)]
    treatments: list[PathwayId] = []
    what: SourcedText
    timing: SourcedText

    @field_validator("what")
    @classmethod
    def _what_is_sourced(cls, what: SourcedText) -> SourcedText:
        return _sourced(what, "what happens at a step")

    @field_validator("timing")
    @classmethod
    def _timing_needs_evidence(cls, timing: SourcedText, info: ValidationInfo) -> SourcedText:
        _require_evidence(timing.sources, info, "a step's timing")
        return timing

    def applies_to(self, treatment_id: str) -> bool:
        """Whether the step happens after this treatment."""
        return not self.treatments or treatment_id in self.treatments


class ProgrammeItem(BaseModel):
    """One component of a rehabilitation programme for one fracture, as a source says it."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    component: Component
    text: SourcedText

    @field_validator("text")
    @classmethod
    def _text_is_sourced(cls, text: SourcedText) -> SourcedText:
        return _sourced(text, "a programme component")


class CarePlan(Record):
    """What happens after one kind of fracture, from day 1 to 1 year (``data/care_plans.yaml``).

    Taught in: ``notebooks/08_rehabilitation_and_prevention.ipynb`` (care planner).
    """

    site: FractureSiteId
    name: str
    #: Why this fracture calls for preventing the next one.
    why: SourcedText
    programme: Annotated[list[ProgrammeItem], Field(min_length=1)]
    steps: Annotated[list[CareStep], Field(min_length=1)]

    @model_validator(mode="after")
    def _consistent(self) -> CarePlan:
        ids = [step.id for step in self.steps]
        duplicate = next((i for i in ids if ids.count(i) > 1), None)
        if duplicate is not None:
            raise PydanticCustomError(
                "duplicate_id", "duplicate step id '{id}': expected every step id to be unique", {"id": duplicate}
            )
        components = [item.component for item in self.programme]
        twice = next((c for c in components if components.count(c) > 1), None)
        if twice is not None:
            raise PydanticCustomError(
                "duplicate_component",
                "programme component '{c}' is given twice: expected one statement per component",
                {"c": twice},
            )
        missing = [domain for domain in DOMAINS if domain not in {step.domain for step in self.steps}]
        if missing:
            raise PydanticCustomError(
                "missing_domain",
                "the plan has no step for {missing}: expected at least one step in each of {all}",
                {"missing": ", ".join(missing), "all": ", ".join(DOMAINS)},
            )
        return self


class RefractureRisk(Record):
    """The cumulative risk of another fracture at one time after a first one (one cohort).

    Taught in: ``notebooks/08_rehabilitation_and_prevention.ipynb`` (figure 1).
    """

    years: Annotated[float, Field(gt=0)]
    percent: Percent
    #: The number of people the study gives for this time point (its denominator).
    women: Count
    population: str
    counted_from: str
    statement: SourcedText

    @field_validator("statement")
    @classmethod
    def _needs_evidence(cls, statement: SourcedText, info: ValidationInfo) -> SourcedText:
        _require_evidence(_sourced(statement, "a cumulative risk").sources, info, "a cumulative risk")
        return statement


class FallsEffect(Record):
    """One pooled estimate of exercise and falls: a rate ratio with its 95% CI.

    Taught in: ``notebooks/08_rehabilitation_and_prevention.ipynb`` (figure 2).
    """

    label: str
    measure: Literal["rate ratio"]
    value: Ratio
    ci: ConfidenceInterval
    #: Decimal places the source prints (0.70, not 0.7).
    decimals: Annotated[int, Field(ge=0, le=4)] = 2
    participants: Count
    studies: Count
    certainty: Literal["high", "moderate", "low", "very low"]
    outcome: str
    population: str
    statement: SourcedText

    @field_validator("statement")
    @classmethod
    def _needs_evidence(cls, statement: SourcedText, info: ValidationInfo) -> SourcedText:
        _require_evidence(_sourced(statement, "a falls estimate").sources, info, "a falls estimate")
        return statement

    @model_validator(mode="after")
    def _interval(self) -> FallsEffect:
        if self.ci.level is None:
            raise PydanticCustomError("missing_level", "give the interval's level (95), as the source states it")
        if self.ci.low <= 0:
            raise PydanticCustomError(
                "out_of_bounds",
                "{low} is not a possible lower limit for a ratio: expected a value greater than 0",
                {"low": f"{self.ci.low:g}"},
            )
        if not self.ci.low <= self.value <= self.ci.high:
            raise PydanticCustomError(
                "inverted_range",
                "the value ({v}) must lie inside its interval ({lo} to {hi})",
                {"v": f"{self.value:g}", "lo": f"{self.ci.low:g}", "hi": f"{self.ci.high:g}"},
            )
        return self

    def number(self, value: float) -> str:
        """A ratio with the decimals the source prints."""
        return format_reported(value, self.decimals)

    @property
    def estimate(self) -> str:
        """``0.77 (95% CI 0.71 to 0.83)``."""
        level = f"{self.ci.level:g}" if self.ci.level is not None else ""
        return f"{self.number(self.value)} ({level}% CI {self.number(self.ci.low)} to {self.number(self.ci.high)})"


# --- care plans ---------------------------------------------------------------------


def care_plans(data: CourseData | None = None) -> list[CarePlan]:
    """Every care plan, in file order."""
    data = data or load()
    return data.records(CarePlan, "care_plans")


def planner_sites(data: CourseData | None = None) -> list[FractureSite]:
    """The fracture sites the planner offers: those with a care plan and a treatment pathway."""
    data = data or load()
    with_pathways = {p.site for p in data.records(Pathway)}
    return [data.record(FractureSite, plan.site) for plan in care_plans(data) if plan.site in with_pathways]


def plan_for(site_id: str, data: CourseData | None = None) -> CarePlan:
    """The care plan of one site; a KeyError naming the planned sites otherwise."""
    data = data or load()
    for plan in care_plans(data):
        if plan.site == site_id:
            return plan
    known = ", ".join(plan.site for plan in care_plans(data))
    raise KeyError(f"no care plan for fracture site '{site_id}': expected one of {known}")


def treatments_for(site_id: str, data: CourseData | None = None) -> list[Pathway]:
    """The treatments recorded for one site (``data/pathways.yaml``), in file order."""
    from .timeline import pathways_for

    return pathways_for(site_id, data or load())


def column_for(weeks: float) -> str:
    """The planner column holding a time after the fracture (in weeks)."""
    for column, end in COLUMN_ENDS.items():
        if weeks <= end + 1e-9:
            return column
    return "year_1"


def plan_problems(data: CourseData | None = None) -> list[str]:
    """Steps limited to treatments their site does not have (each would never be shown)."""
    data = data or load()
    problems = []
    for plan in care_plans(data):
        own = {p.id for p in data.records(Pathway) if p.site == plan.site}
        for step in plan.steps:
            foreign = [t for t in step.treatments if t not in own]
            if foreign:
                problems.append(
                    f"data/care_plans.yaml, plan '{plan.id}', step '{step.id}': treatments {', '.join(foreign)} "
                    f"are not treatments of {plan.site}; expected some of {', '.join(sorted(own))}"
                )
    return problems


@dataclass(frozen=True)
class PlannedItem:
    """One entry of the planner: a row, a column, what happens and when (with sources)."""

    row: str
    at: str
    label: str
    what: SourcedText
    timing: SourcedText
    #: Where the item comes from: the plan's step id, or ``pathway:<step id>``.
    origin: str

    @property
    def illustrative(self) -> bool:
        return self.timing.illustrative


@dataclass(frozen=True)
class Plan:
    """Everything the planner shows for one site and one of its treatments."""

    site: FractureSite
    plan: CarePlan
    pathway: Pathway
    items: tuple[PlannedItem, ...]

    def cell(self, row: str, at: str) -> list[PlannedItem]:
        """The items of one row in one column."""
        return [item for item in self.items if item.row == row and item.at == at]

    def row(self, row: str) -> list[PlannedItem]:
        return [item for item in self.items if item.row == row]


def _describe_pathway_step(step: PathwayStep) -> str:
    if step.ends is not None:
        return f"{step.starts.describe()} to {step.ends.describe()}"
    return step.starts.describe()


def _treatment_items(pathway: Pathway) -> list[PlannedItem]:
    """The treatment itself, from the pathway's steps (its first step if none is a treatment)."""
    steps = [s for s in pathway.steps if s.kind in TREATMENT_KINDS] or pathway.steps[:1]
    items = []
    for step in steps:
        low, high = step.starts.in_weeks
        items.append(
            PlannedItem(
                row=TREATMENT_ROW,
                at=column_for((low + high) / 2),
                label=step.label,
                what=step.what,
                timing=step.timing,
                origin=f"pathway:{step.id}",
            )
        )
    return items


def resolve_plan(site_id: str, treatment_id: str, data: CourseData | None = None) -> Plan:
    """What the planner shows for one site and one of its treatments.

    A treatment of another site, or an unknown id, raises a KeyError naming this
    site's treatments; steps limited to other treatments are left out.
    """
    data = data or load()
    site = data.record(FractureSite, site_id)
    plan = plan_for(site_id, data)
    options = treatments_for(site_id, data)
    pathway = next((p for p in options if p.id == treatment_id), None)
    if pathway is None:
        raise KeyError(
            f"'{treatment_id}' is not a treatment for {site.name.lower()}: expected one of "
            f"{', '.join(p.id for p in options)}"
        )
    steps = [
        PlannedItem(row=s.domain, at=s.at, label=s.label, what=s.what, timing=s.timing, origin=s.id)
        for s in plan.steps
        if s.applies_to(treatment_id)
    ]
    order = {key: n for n, key in enumerate(ROW_LABELS)}
    columns = {key: n for n, key in enumerate(TIME_POINTS)}
    items = sorted([*_treatment_items(pathway), *steps], key=lambda i: (order[i.row], columns[i.at]))
    return Plan(site=site, plan=plan, pathway=pathway, items=tuple(items))


def _cell_text(item: PlannedItem, width: int, compact: bool = False) -> str:
    """A cell's wrapped label; ``compact`` (a shared cell) drops a bracketed detail, kept in the text."""
    label = item.label.split(" (")[0] if compact else item.label
    label = "\n".join(textwrap.wrap(label, max(width, 8)))
    return f"{label}\n(illustrative timing)" if item.illustrative else label


def draw_care_plan(figure: Figure, site_id: str, treatment_id: str, data: CourseData | None = None) -> str:
    """Draw one site's care plan as a grid (rows: treatment and care domains; columns: time).

    Sourced timings are tinted boxes; illustrative ones are hatched, hollow and labelled.
    Returns the summary sentence.
    """
    import matplotlib as mpl
    from matplotlib.patches import Patch, Rectangle

    data = data or load()
    plan = resolve_plan(site_id, treatment_id, data)
    rows = list(ROW_LABELS)
    columns = list(TIME_POINTS)
    ax = figure.add_axes((0.16, 0.13, 0.83, 0.76))
    ax.set_xlim(0, len(columns))
    ax.set_ylim(0, len(rows))
    ax.axis("off")
    font = mpl.rcParams["font.size"] * 0.69  # "x-small"
    cell_inches = figure.get_size_inches()[0] * 0.83 / len(columns)
    width = int(cell_inches * 72 / (font * 0.62))
    pad = 0.06
    for r, row in enumerate(rows):
        y0 = len(rows) - 1 - r
        colour = ROW_COLOURS[row]
        figure.text(
            0.155,
            0.13 + 0.76 * (y0 + 0.5) / len(rows),
            ROW_LABELS[row],
            ha="right",
            va="center",
            fontsize="small",
            fontweight="bold",
            color=OKABE_ITO["black"],
        )
        ax.add_patch(Rectangle((0, y0 + pad), 0.04, 1 - 2 * pad, color=colour, lw=0, clip_on=False))
        for c, column in enumerate(columns):
            items = plan.cell(row, column)
            if not items:
                ax.add_patch(
                    Rectangle(
                        (c + pad, y0 + pad), 1 - 2 * pad, 1 - 2 * pad, facecolor="#f2f2f2", edgecolor="#bbbbbb", lw=1
                    )
                )
                ax.text(c + 0.5, y0 + 0.5, "—", ha="center", va="center", fontsize="small", color="#555555")
                continue
            height = (1 - 2 * pad) / len(items)
            for k, item in enumerate(items):
                bottom = y0 + 1 - pad - (k + 1) * height
                box = Rectangle(
                    (c + pad, bottom + 0.02),
                    1 - 2 * pad,
                    height - 0.04,
                    facecolor="white" if item.illustrative else colour,
                    alpha=1.0 if item.illustrative else 0.25,
                    edgecolor=colour,
                    lw=1.6,
                    hatch=ILLUSTRATIVE_HATCH if item.illustrative else None,
                )
                ax.add_patch(box)
                if not item.illustrative:  # a solid edge over the tint (the tint's alpha fades its edge)
                    ax.add_patch(
                        Rectangle(
                            (c + pad, bottom + 0.02), 1 - 2 * pad, height - 0.04, fill=False, edgecolor=colour, lw=1.6
                        )
                    )
                ax.text(
                    c + 0.5,
                    bottom + height / 2,
                    _cell_text(item, width, compact=len(items) > 1),
                    ha="center",
                    va="center",
                    fontsize=font,
                    linespacing=1.1,
                    bbox=_TEXT_BOX if item.illustrative else None,  # keeps text readable over the hatching
                    zorder=5,
                )
    for c, column in enumerate(columns):
        ax.text(
            c + 0.5, len(rows) + 0.08, TIME_POINTS[column], ha="center", va="bottom", fontsize="small", weight="bold"
        )
    figure.suptitle(f"{plan.plan.name}: {plan.pathway.name}", x=0.01, ha="left", fontsize="medium", y=0.995)
    handles = [
        Patch(facecolor=OKABE_ITO["blue"], alpha=0.25, edgecolor=OKABE_ITO["blue"], label="timing from a source"),
        Patch(
            facecolor="white",
            edgecolor=OKABE_ITO["black"],
            hatch=ILLUSTRATIVE_HATCH,
            label="hatched: illustrative timing (no source gives it)",
        ),
        Patch(facecolor="#f2f2f2", edgecolor="#bbbbbb", label=f"— {NOTHING_PLANNED}"),
    ]
    legend_under_figure(figure, handles, most_columns=3)  # as many columns as fit the width
    save_whole(figure)  # laid out by fixed positions: nothing to crop (tests/test_rehab.py checks)
    return summary(plan)


def _lower_first(text: str) -> str:
    """``Cast`` -> ``cast``, but ``HORIZON`` and ``NICE`` stay as they are."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _lower_words(text: str) -> str:
    return " ".join(_lower_first(word) for word in text.split(" "))


def summary(plan: Plan) -> str:
    """The planner's picture in one sentence (for screen readers, handouts and tests)."""
    parts = []
    for row in ROW_LABELS:
        items = plan.row(row)
        if not items:
            continue
        entries = [
            f"{TIME_POINTS[i.at].lower()} {_lower_words(i.label)}"
            + (" (illustrative timing)" if i.illustrative else "")
            for i in items
        ]
        parts.append(f"{ROW_LABELS[row].lower()}: {', '.join(entries)}")
    illustrative = sum(item.illustrative for item in plan.items)
    if illustrative == len(plan.items):
        timings = f"all {illustrative} timings are illustrative (hatched): no source read gives them"
    else:
        timings = (
            f"{illustrative} of the {len(plan.items)} timings are illustrative (hatched), "
            f"the other {len(plan.items) - illustrative} come from a source"
        )
    return f"{plan.plan.name}, {_lower_words(plan.pathway.name)}: {'; '.join(parts)}; {timings}."


def care_plan_text(site_id: str, treatment_id: str, data: CourseData | None = None, width: int = 88) -> str:
    """The planner's content as plain text with sources (for printing, handouts and tests)."""
    plan = resolve_plan(site_id, treatment_id, data)

    def block(text: str) -> str:
        return textwrap.fill(text, width=width, initial_indent="    ", subsequent_indent="    ")

    lines = [f"{plan.plan.name.upper()} - {plan.pathway.name.upper()}", block("Why: " + cited_text(plan.plan.why))]
    for column, heading in TIME_POINTS.items():
        items = [item for item in plan.items if item.at == column]
        lines.append(f"{heading.upper()}")
        if not items:
            lines.append(f"  - {NOTHING_PLANNED}")
        for item in items:
            flag = " - timing illustrative" if item.illustrative else ""
            lines.append(f"  - {ROW_LABELS[item.row]}: {item.label}{flag}")
            lines.append(block(cited_text(item.what)))
            lines.append(block("When: " + cited_text(item.timing)))
    return "\n".join(lines) + "\n"


class CarePlanner(widgets.VBox):
    """Choose a fracture, then one of its treatments; see what happens from day 1 to 1 year.

    The treatment dropdown lists only the treatments recorded for the chosen fracture;
    steps limited to other treatments are not shown. Exposes ``.png``, ``.summary``,
    ``.text`` and ``.error`` for tests.
    """

    def __init__(self, site_id: str = "wrist", treatment_id: str | None = None, data: CourseData | None = None) -> None:
        import matplotlib as mpl

        from .style import apply_requested_style

        self.data = data or load()
        sites = planner_sites(self.data)
        if site_id not in {s.id for s in sites}:
            site_id = sites[0].id
        self.site_dropdown = dropdown("Fracture:", [(plan_for(s.id, self.data).name, s.id) for s in sites], site_id)
        options = self._treatment_options(site_id)
        if treatment_id not in {value for _, value in options}:
            treatment_id = options[0][1]
        everything = [(p.name, p.id) for s in sites for p in treatments_for(s.id, self.data)]
        self.treatment_dropdown = dropdown("Treatment:", everything, treatment_id)
        self.treatment_dropdown.options = options
        self.treatment_dropdown.value = treatment_id
        apply_requested_style()  # so the size below is the chosen style's
        width, height = mpl.rcParams["figure.figsize"]
        self.panel = FigurePanel(width, height * 1.45)
        self.details = widgets.HTML()
        self.text = ""
        self._updating = False
        self.site_dropdown.observe(self._on_site, names="value")
        self.treatment_dropdown.observe(self._on_treatment, names="value")
        super().__init__(
            [controls_row(self.site_dropdown, self.treatment_dropdown), self.panel.widget, self.details],
            layout=widgets.Layout(width="100%"),
        )
        self.show(site_id, treatment_id)

    def _draw(self, site_id: str, treatment_id: str) -> Callable[[Figure], str]:
        return functools.partial(draw_care_plan, site_id=site_id, treatment_id=treatment_id, data=self.data)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """Shown in a notebook: draw every other plan ahead, in the background."""
        self.panel.render_ahead(
            ((s.id, p.id), self._draw(s.id, p.id))
            for s in planner_sites(self.data)
            for p in treatments_for(s.id, self.data)
        )
        return super()._repr_mimebundle_(**kwargs)

    def _treatment_options(self, site_id: str) -> list[tuple[str, str]]:
        return [(p.name, p.id) for p in treatments_for(site_id, self.data)]

    @property
    def png(self) -> bytes:
        return self.panel.png

    @property
    def summary(self) -> str:
        return self.panel.summary

    @property
    def error(self) -> str | None:
        return self.panel.error

    def _on_site(self, change: dict) -> None:
        options = self._treatment_options(change["new"])
        self._updating = True
        try:
            self.treatment_dropdown.options = options
            self.treatment_dropdown.value = options[0][1]
        finally:
            self._updating = False
        self.show(change["new"], options[0][1])

    def _on_treatment(self, change: dict) -> None:
        if not self._updating and change["new"] is not None:
            self.show(self.site_dropdown.value, change["new"])

    def show(self, site_id: str, treatment_id: str) -> None:
        """Draw one plan; an unknown or foreign treatment shows a message, not a traceback."""
        try:
            self.text = care_plan_text(site_id, treatment_id, self.data)
        except KeyError as exc:
            self.text = ""
            self.details.value = ""
            self.panel.show_error(str(exc.args[0]))
            return
        self.panel.redraw(self._draw(site_id, treatment_id), key=(site_id, treatment_id))
        self.details.value = details_html("What is shown, with sources", self.text)


# --- the programme table ---------------------------------------------------------------


def _programme(plan: CarePlan) -> dict[str, SourcedText]:
    return {item.component: item.text for item in plan.programme}


#: What a cell says where no source read gives a component for a fracture.
NO_COMPONENT = "not in the sources read for this fracture"


def programme_table(data: CourseData | None = None, width: int = 88) -> TextAndHtml:
    """What a rehabilitation programme contains, by fracture: HTML in a notebook, text when printed."""
    data = data or load()
    plans = care_plans(data)
    used = [c for c in COMPONENTS if any(c in _programme(p) for p in plans)]
    lines: list[str] = []
    rows = []
    for component in used:
        lines.append(COMPONENTS[component].upper())
        cells = []
        for plan in plans:
            statement = _programme(plan).get(component)
            body = cited_text(statement, NO_COMPONENT)
            lines.append(
                textwrap.fill(f"{plan.name}: {body}", width=width, initial_indent="  ", subsequent_indent="    ")
            )
            cells.append(
                f"<td>{cited_html(statement)}</td>"
                if statement is not None
                else f'<td class="ot-missing"><em>{html.escape(NO_COMPONENT)}</em></td>'
            )
        rows.append(f"<tr><th scope='row'>{html.escape(COMPONENTS[component])}</th>{''.join(cells)}</tr>")
        lines.append("")
    table = table_html(
        "ot-programme",
        ("Component", *(plan.name for plan in plans)),
        rows,
        caption="What a rehabilitation programme contains after each fracture (as the sources read say it)",
    )
    return TextAndHtml("\n".join(lines).rstrip() + "\n", table)


# --- figure 1: the risk of another fracture over time ------------------------------------


def risk_points(data: CourseData | None = None) -> list[RefractureRisk]:
    """The cumulative risks of another fracture, earliest first."""
    data = data or load()
    return sorted(data.records(RefractureRisk, "refracture_risk"), key=lambda p: p.years)


def _one_source(points: list[RefractureRisk]) -> list[str]:
    sources = {tuple(p.statement.sources) for p in points}
    populations = {p.population for p in points}
    if len(sources) != 1 or len(populations) != 1:
        raise ValueError(
            "the subsequent-fracture curve joins points from one study and one population only: "
            f"found sources {sorted(sources)} and populations {sorted(populations)}"
        )
    return list(next(iter(sources)))


def _years(value: float) -> str:
    return f"{value:g} year" + ("" if value == 1 else "s")


def draw_refracture_risk(figure: Figure, points: list[RefractureRisk], source_text: str) -> str:
    """The cumulative risk of another fracture at each reported time, with its denominator.

    The first one to two years are shaded as the "imminent risk" period. Points are joined
    by dotted lines only to guide the eye (no values between them are reported).
    """
    from matplotlib.patches import Patch

    points = sorted(points, key=lambda p: p.years)
    _one_source(points)
    ax = figure.add_subplot()
    xs = [p.years for p in points]
    ys = [p.percent for p in points]
    x_end = max(xs) + 0.8
    ax.axvspan(0, 2, facecolor=OKABE_ITO["sky_blue"], alpha=0.18, hatch="..", edgecolor=OKABE_ITO["sky_blue"], lw=0)
    ax.text(1.0, max(ys) * 1.22, "imminent risk:\nthe first one to two years", ha="center", va="top", fontsize="small")
    ax.plot(xs, ys, ls=":", color=OKABE_ITO["black"], lw=1.5, zorder=2)
    ax.plot(xs, ys, ls="none", marker="o", ms=11, color=OKABE_ITO["blue"], zorder=3)
    for p in points:
        ax.annotate(
            f"{p.percent:g}% by {_years(p.years)}\n(n = {p.women:,} women)",
            (p.years, p.percent),
            textcoords="offset points",
            xytext=(10, -4),
            ha="left",
            va="top",
            fontsize="small",
            bbox=_TEXT_BOX,
        )
    ax.set_xlim(0, x_end)
    ax.set_ylim(0, max(ys) * 1.3)
    ax.set_xticks(range(math.ceil(x_end)))
    ax.set_xlabel("Years after the first fracture")
    ax.set_ylabel("Had another fracture (cumulative %)")
    ax.set_title("Risk of another fracture after a first one", loc="left")
    ax.legend(
        handles=[
            ax.plot([], [], ls="none", marker="o", ms=9, color=OKABE_ITO["blue"], label="reported cumulative risk")[0],
            ax.plot([], [], ls=":", color=OKABE_ITO["black"], label="dotted: joins the points\n(no values between)")[0],
            Patch(facecolor=OKABE_ITO["sky_blue"], alpha=0.18, hatch="..", label="shaded: imminent-risk period"),
        ],
        loc="center left",
        bbox_to_anchor=(1.01, 0.3),
        fontsize="small",
        frameon=False,
    )
    figure.subplots_adjust(bottom=0.27, top=0.9, right=0.74)
    note = (
        f"People: {points[0].population}, counted from {points[0].counted_from}. An observational cohort: a risk, "
        f"not the effect of a treatment. Fewer women had long follow-up (n at each point). {source_text}"
    )
    figure.text(0.01, 0.01, textwrap.fill(note, 120), fontsize="x-small", style="italic", ha="left", va="bottom")
    steps = [ys[0] / xs[0]] + [(ys[i] - ys[i - 1]) / (xs[i] - xs[i - 1]) for i in range(1, len(points))]
    reported = ", ".join(f"{p.percent:g}% by {_years(p.years)} ({p.women:,} women)" for p in points)
    return (
        f"In {points[0].population}, counted from {points[0].counted_from}, the cumulative risk of another "
        f"fracture was {reported}; the curve rises most steeply in the first year (about "
        f"{steps[0]:.0f} points a year, against about {steps[-1]:.0f} a year between years "
        f"{xs[-2]:g} and {xs[-1]:g}), the imminent-risk period shaded."
    )


def refracture_figure(data: CourseData | None = None) -> SummarisedFigure:
    """Figure 1: the risk of another fracture over time, from one cohort, with its summary."""
    data = data or load()
    points = risk_points(data)
    return draw_new(draw_refracture_risk, points, f"Source: {', '.join(_one_source(points))}.")


# --- figure 2: exercise and the rate of falls ----------------------------------------------

#: What the line at 1 means; the figure labels it.
NO_EFFECT = "1 = no difference in the rate of falls"


def falls_effects(data: CourseData | None = None) -> list[FallsEffect]:
    """The falls estimates, in file order."""
    data = data or load()
    return data.records(FallsEffect, "falls_effects")


def draw_falls_effect(figure: Figure, effects: list[FallsEffect], note: str) -> str:
    """Rate ratios with their 95% CIs on a log axis, read against the no-effect line at 1."""
    from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator

    ax = figure.add_subplot()
    ys = list(range(len(effects)))[::-1]
    ax.axvline(1, color=OKABE_ITO["vermillion"], ls="--", lw=2.5, label=NO_EFFECT, zorder=1)
    for y, effect in zip(ys, effects, strict=True):
        ax.errorbar(
            [effect.value],
            [y],
            xerr=[[effect.value - effect.ci.low], [effect.ci.high - effect.value]],
            fmt="s",
            ms=10,
            color=OKABE_ITO["blue"],
            ecolor=OKABE_ITO["blue"],
            capsize=8,
            lw=2.5,
            zorder=3,
        )
        ax.annotate(
            f"{effect.estimate}\n{effect.studies} studies, {effect.participants:,} people; "
            f"{effect.certainty} certainty",
            (effect.value, y),
            textcoords="offset points",
            xytext=(0, 12),
            ha="center",
            va="bottom",
            fontsize="small",
        )
    ax.plot([], [], marker="s", ms=9, lw=2.5, color=OKABE_ITO["blue"], label="rate ratio with its 95% CI")
    ax.set_xscale("log")
    ticks = [0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.set_xlim(0.5, 1.5)
    ax.set_ylim(-0.7, len(effects) + 0.45)
    ax.set_yticks(ys, ["\n".join(textwrap.wrap(e.label, 24)) for e in effects])
    ax.grid(axis="y", visible=False)
    ax.text(0.52, -0.55, "← fewer falls with exercise", ha="left", va="bottom", fontsize="small")
    ax.text(1.47, -0.55, "more falls with exercise →", ha="right", va="bottom", fontsize="small")
    ax.set_xlabel("Rate ratio, exercise vs control (log scale)")
    ax.set_title("Exercise programmes and the rate of falls (Cochrane review)", loc="left")
    ax.legend(loc="upper right", fontsize="small", framealpha=0.9)
    figure.subplots_adjust(left=0.24, right=0.98, top=0.9, bottom=0.3)
    figure.text(0.01, 0.01, note, fontsize="x-small", style="italic", ha="left", va="bottom")
    below = [e for e in effects if e.ci.high < 1]
    verdict = (
        "every interval lies wholly below 1, so a reduction in the rate of falls was shown"
        if len(below) == len(effects)
        else f"{len(below)} of {len(effects)} intervals lie wholly below 1"
    )
    estimates = "; ".join(f"{e.label.lower()}: rate ratio {e.estimate}" for e in effects)
    return (
        f"In older people living in the community, exercise programmes and the rate of falls: {estimates}; "
        f"{verdict}. The number of people who fell is not drawn."
    )


def falls_figure(data: CourseData | None = None) -> SummarisedFigure:
    """Figure 2: exercise and the rate of falls, with the 95% CIs and the line at 1."""
    effects = falls_effects(data)
    sources = ", ".join(dict.fromkeys(k for e in effects for k in e.statement.sources))
    note = (
        "Rate ratio: falls per person-year with exercise divided by falls per person-year without it. Both rows come "
        "from one review\n(the second is a subset of its trials, not a separate result). Not drawn: the risk ratio for "
        f"the number of people who fell (read only in a\ntranslated abstract). Source: {sources}."
    )
    return draw_new(draw_falls_effect, effects, note)


# --- a trial of treatment after hip fracture -------------------------------------------------

#: The trial this lesson teaches (``data/prevention_trials.yaml``).
HORIZON = "horizon_rft"
#: Its number that has counts with denominators.
HORIZON_DEATHS = "deaths"


def horizon(data: CourseData | None = None) -> Trial:
    """The HORIZON Recurrent Fracture Trial record."""
    data = data or load()
    found = [t for t in data.records(Trial, "prevention_trials") if t.id == HORIZON]
    if not found:
        raise KeyError(f"no trial '{HORIZON}' in data/prevention_trials.yaml")
    return found[0]


def horizon_deaths(data: CourseData | None = None) -> TrialNumber:
    """HORIZON's deaths, counts with their denominators."""
    for number in horizon(data).numbers:
        if number.id == HORIZON_DEATHS:
            return number
    raise KeyError(f"trial '{HORIZON}' has no number '{HORIZON_DEATHS}'")


def _shares(number: TrialNumber) -> tuple[float, float]:
    if number.intervention_total is None or number.control_total is None:
        raise ValueError(f"'{number.id}' has no denominators: an absolute difference needs counts and their totals")
    return number.intervention / number.intervention_total, number.control / number.control_total


def risk_difference(number: TrialNumber) -> float:
    """Intervention minus control, in percentage points, from counts and their totals."""
    treated, control = _shares(number)
    return 100 * (treated - control)


def number_needed_to_treat(number: TrialNumber) -> int:
    """1 / the absolute risk difference, rounded up (the quiz computes it the same way)."""
    treated, control = _shares(number)
    return math.ceil(1 / abs(treated - control))


def horizon_text(data: CourseData | None = None, width: int = 88) -> str:
    """HORIZON-RFT: design, the results as reported, and the absolute numbers worked out from counts."""
    trial = horizon(data)
    deaths = horizon_deaths(data)

    def wrap(text: str, indent: str = "  ") -> str:
        return textwrap.fill(text, width=width, initial_indent=indent, subsequent_indent=indent + "  ")

    lines = [f"{trial.name.upper()} ({trial.year})", wrap("Design: " + cited_text(trial.design))]
    lines.append(wrap(f"Participants: {trial.participants} {trial.participants_counted}"))
    lines.append(wrap("Control: " + cited_text(trial.control)))
    lines.append(wrap("Primary end point: " + cited_text(trial.primary_endpoint)))
    lines.append("  Results as reported (zoledronic acid vs placebo):")
    for number in trial.numbers:
        treated = format_reported(number.intervention, number.decimals)
        control = format_reported(number.control, number.decimals)
        if number.intervention_total is not None and number.control_total is not None:
            shown = f"{treated} of {number.intervention_total} vs {control} of {number.control_total} {number.unit}"
        else:
            shown = f"{treated} vs {control} {number.unit}"
        note = f" - {number.note}" if number.note else ""
        lines.append(wrap(f"- {number.measure}: {shown}{note} [{', '.join(number.sources)}]", "    "))
    treated_share, control_share = _shares(deaths)
    lines.append("  Absolute numbers, worked out from the death counts and their denominators:")
    lines.append(
        wrap(
            f"Deaths: {deaths.intervention:g}/{deaths.intervention_total} = {100 * treated_share:.1f}% vs "
            f"{deaths.control:g}/{deaths.control_total} = {100 * control_share:.1f}%; absolute difference "
            f"{risk_difference(deaths):+.1f} percentage points; number needed to treat to prevent one death "
            f"= 1 / {abs(treated_share - control_share):.4f} = about {number_needed_to_treat(deaths)} "
            f"(over the trial's median follow-up).",
            "    ",
        )
    )
    lines.append(
        wrap(
            "The fracture percentages are Kaplan-Meier event rates, not counts divided by the number "
            "randomised, so they are not used for these calculations.",
            "    ",
        )
    )
    return "\n".join(lines) + "\n"


# --- exercise solutions (shown only when a student clicks "Show solution") -------------------


def solution_exercise_1(course: CourseData) -> str:
    """The first week after a wrist fracture treated by closed reduction and a cast."""
    plan = resolve_plan("wrist", "wrist_closed_reduction_cast", course)
    lines = ["First week after a wrist fracture, closed reduction and cast (from the care planner):"]
    for item in plan.items:
        if item.at not in ("day_1", "week_1"):
            continue
        timing = (
            f"illustrative timing ({item.timing.reason})"
            if item.illustrative
            else f"sourced timing [{', '.join(item.timing.sources)}]"
        )
        lines.append(f"- {TIME_POINTS[item.at]}, {ROW_LABELS[item.row]}: {item.label} - {timing}")
    lines += [
        "Who: the nurse or practitioner in the fracture clinic asks about the fall and prompts the falls and",
        "bone-health assessments; the physiotherapist teaches the exercises for the free joints; a doctor",
        "(or the fracture liaison service) assesses fracture risk and decides about treatment with the patient.",
        "Only the treatment's own timing comes from a source here: the rest is the planner's illustrative",
        "placement, because the sources give who and what, not the day.",
    ]
    return "\n".join(lines)


def solution_exercise_2(course: CourseData) -> str:
    """How to read the falls rate ratio, and what it does not say."""
    effect = falls_effects(course)[0]
    fallers = course.fact("falls_exercise_population")
    return "\n".join(
        [
            f"Rate ratio {effect.estimate}: the rate of falls (falls per person-year) was about "
            f"{100 * (1 - effect.value):.0f}% lower with exercise; the whole interval lies below 1, so a reduction "
            "was shown (high-certainty evidence).",
            "It is a rate of falls, not a count of people: a few people who fall often weigh heavily in a rate.",
            "'A quarter fewer people will fall' is a different measure (the number of people who fell), which",
            "this lesson does not use: it was read only in a translated abstract.",
            f"Who was studied: {fallers}",
            "So it applies to older people living at home, not specifically to people recovering from a fracture.",
        ]
    )


def solution_exercise_3(course: CourseData) -> str:
    """The absolute difference and number needed to treat for deaths in HORIZON."""
    deaths = horizon_deaths(course)
    treated, control = _shares(deaths)
    return "\n".join(
        [
            f"Zoledronic acid: {deaths.intervention:g} / {deaths.intervention_total} = {100 * treated:.2f}%",
            f"Placebo: {deaths.control:g} / {deaths.control_total} = {100 * control:.2f}%",
            f"Absolute difference: {risk_difference(deaths):+.2f} percentage points "
            f"(about {abs(risk_difference(deaths)):.1f} fewer deaths per 100 treated).",
            f"Number needed to treat: 1 / {abs(treated - control):.4f} = {1 / abs(treated - control):.1f}, "
            f"rounded up to {number_needed_to_treat(deaths)}, over a median follow-up of 1.9 years.",
            "Why not the fracture rates (8.6% vs 13.9%)? They are Kaplan-Meier event rates, not counts over the",
            "number randomised, and the counts were not found on an allowed source: use the deaths, which the",
            "abstract gives as counts with their denominators.",
        ]
    )


def solution_exercise_4(course: CourseData) -> str:
    """What the fracture liaison service evidence shows, and its limits."""
    return "\n".join(
        [
            course.fact("fls_effects"),
            course.fact("fls_caveats"),
            "So: the 13.4% vs 6.4% are unweighted averages, mostly from observational studies, an association",
            "rather than proof that an FLS halves fractures. The process results (more testing, more treatment",
            "started) are more direct; 'halves' overstates what the evidence shows.",
        ]
    )


# --- the lesson -------------------------------------------------------------------------------

#: The cited statements the notebook prints (``data/rehab_facts.yaml`` and the seed sentence).
FACTS = (
    "rehabilitation",
    "falls_how_often",
    "falls_cause_fractures",
    "falls_exercise_population",
    "falls_multifactorial_assessment",
    "falls_assessment_parts",
    "prior_fracture_doubles_risk",
    "imminent_risk",
    "treatment_gap",
    "fracture_risk_assessment",
    "bisphosphonates_nice",
    "fls_what",
    "fls_components",
    "fls_effects",
    "fls_caveats",
    "horizon_safety",
    "horizon_second_hip_fracture",
    "horizon_first_dose",
    "hip_recovery",
)


def _planner_pathway_steps(course: CourseData) -> list[PathwayStep]:
    """The pathway steps the planner's treatment row can show (their sources join the reading list)."""
    shown: list[PathwayStep] = []
    for site in planner_sites(course):
        for pathway in treatments_for(site.id, course):
            shown.extend(
                step
                for item in _treatment_items(pathway)
                for step in pathway.steps
                if f"pathway:{step.id}" == item.origin
            )
    return shown


def source_keys(course: CourseData) -> Iterable[str]:
    """Every source behind the lesson's table, figures, planner, trial and printed facts."""
    shown: list[Any] = [
        *care_plans(course),
        *_planner_pathway_steps(course),
        *risk_points(course),
        *falls_effects(course),
        horizon(course),
        *(course.record(KeyFact, fact) for fact in FACTS),
    ]
    return list(dict.fromkeys(key for cited in iter_cited(shown) for key in cited.sources))


def _planner_direct(planner: CarePlanner) -> bytes:
    """The planner's current picture, drawn afresh with the pure draw function."""
    from .plots import new_figure, render_png

    figure = new_figure(*planner.panel.figure.get_size_inches())
    draw_care_plan(figure, planner.site_dropdown.value, planner.treatment_dropdown.value, planner.data)
    return render_png(figure)


def planner_static(course: CourseData) -> str:
    """Every fracture's care plan for each of its treatments (what the care planner can show)."""
    return "\n\n".join(
        care_plan_text(site.id, treatment.id, course)
        for site in planner_sites(course)
        for treatment in treatments_for(site.id, course)
    )


LESSON = Lesson(
    id="08_rehabilitation_and_prevention",
    title="Rehabilitation and preventing the next fracture",
    summary=(
        "What a rehabilitation programme contains after wrist, hip and spine fractures, how exercise reduces falls, "
        "why a first fracture calls for bone-health care, and what happens from day 1 to 1 year."
    ),
    data_files=(
        "care_plans",
        "refracture_risk",
        "falls_effects",
        "prevention_trials",
        "rehab_facts",
        "pathways",
        "key_facts",
    ),
    widgets=(
        WidgetSpec(
            "CarePlanner",
            build=lambda course: CarePlanner(data=course),
            controls=lambda planner: [planner.site_dropdown, planner.treatment_dropdown],
            shows=lambda planner: planner.png,
            label="Fracture:",
            draws_figure=True,
            direct=_planner_direct,
            text=planner_static,
        ),
    ),
    sources=source_keys,
    tables={
        "care_plans": CarePlan,
        "refracture_risk": RefractureRisk,
        "falls_effects": FallsEffect,
        "prevention_trials": Trial,
        "rehab_facts": KeyFact,
    },
)
