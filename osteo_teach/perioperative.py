"""Peri-operative care and complications, at the level a nursing student needs.

- :class:`CareAdvice` (``data/periop_care.yaml``): for a situation (after hip
  fracture surgery, in a cast, after fixation with pins or wires, after
  vertebroplasty or kyphoplasty) and a time (first hours, first days, at home),
  what to observe, the warning signs and what to do, each item with its sources
  and, where the source names one, the role (nurse, physiotherapist, doctor...).
- :class:`Frequency` (``data/periop_frequencies.yaml``): how often delirium,
  pressure ulcers, surgical-site infection and cement embolism are reported, by
  setting and source; the sources measure different things in different people,
  so nothing is averaged.
- :class:`CareExplorer`: choose the situation, then one of the times the data
  covers for it, and see the observations, warning signs and actions with their
  sources and roles. Its second menu lists only the times recorded for the chosen
  situation (the explorer cannot show advice the sources do not give).

Taught in: ``notebooks/07_perioperative_care.ipynb``.
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Any, Literal

import ipywidgets as widgets
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from .cite import TextAndHtml, cited_html, cited_text, table_html
from .data import CourseData, iter_cited, load
from .lessons import Lesson, WidgetSpec
from .plots import SummarisedFigure, draw_new, legend_below
from .records import KeyFact, Percent, Record, SourcedText, _require_evidence
from .style import OKABE_ITO
from .widgets import controls_row, details_html, dropdown, error_html

if TYPE_CHECKING:  # matplotlib is imported when a figure is drawn, not with the module
    from matplotlib.figure import Figure

__all__ = [
    "SITUATIONS",
    "TIMES",
    "CareItem",
    "CareAdvice",
    "Frequency",
    "situations",
    "times_for",
    "advice",
    "advice_text",
    "advice_html",
    "roles_in",
    "frequencies",
    "frequencies_table",
    "draw_delirium",
    "delirium_figure",
    "CareExplorer",
    "FACTS",
    "source_keys",
    "solution_exercise_1",
    "solution_exercise_2",
    "solution_exercise_3",
    "LESSON",
]

#: The situations, in teaching order, with their names.
SITUATIONS: dict[str, str] = {
    "after_hip_surgery": "After hip fracture surgery",
    "in_a_cast": "In a cast (wrist or ankle; never a hip)",
    "after_pin_fixation": "After fixation with pins or wires through the skin",
    "after_vertebral_augmentation": "After vertebroplasty or kyphoplasty",
}
Situation = Literal["after_hip_surgery", "in_a_cast", "after_pin_fixation", "after_vertebral_augmentation"]

#: The times, in order, with their names.
TIMES: dict[str, str] = {"first_hours": "The first hours", "first_days": "The first days", "at_home": "At home"}
Time = Literal["first_hours", "first_days", "at_home"]

#: Who does it, where the source names the role.
Role = Literal[
    "nurse",
    "physiotherapist",
    "doctor",
    "surgeon",
    "orthogeriatric team",
    "multidisciplinary team",
    "patient or carer",
]

#: What an item without a named role says in the "who" column.
NO_ROLE = "the source names no role"


class CareItem(BaseModel):
    """One thing to observe, one warning sign or one action, with its sources and (if named) its role."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    role: Role | None = None
    statement: SourcedText

    @field_validator("statement")
    @classmethod
    def _sourced(cls, statement: SourcedText, info: ValidationInfo) -> SourcedText:
        if statement.illustrative:
            raise PydanticCustomError("illustrative_care", "care advice cannot be illustrative: give its sources")
        return statement

    @property
    def who(self) -> str:
        return self.role or NO_ROLE


class CareAdvice(Record):
    """What to observe, the warning signs and what to do, for one situation at one time."""

    situation: Situation
    time: Time
    observe: list[CareItem] = Field(default_factory=list)
    warning_signs: list[CareItem] = Field(default_factory=list)
    actions: list[CareItem] = Field(default_factory=list)

    @model_validator(mode="after")
    def _something(self) -> CareAdvice:
        if not (self.observe or self.warning_signs or self.actions):
            raise PydanticCustomError(
                "empty_advice", "give at least one item to observe, one warning sign or one action"
            )
        return self


class Frequency(Record):
    """How often a complication is reported in one setting, by one source, in one year.

    ``value`` is a point estimate; ``low``/``high`` a range or an interval
    (``interval`` says which: a 95% CI, or a range when ``None``); ``below`` an
    upper bound only ("under 20%").
    """

    topic: Literal["delirium", "pressure ulcer", "surgical-site infection", "pulmonary cement embolism"]
    setting: str
    measure: Literal["prevalence", "incidence"]
    value: Percent | None = None
    low: Percent | None = None
    high: Percent | None = None
    interval: Literal["95% CI"] | None = None
    below: Percent | None = None
    shown_as: str
    source_label: str
    year: Annotated[int, Field(ge=1900, le=2100)]
    statement: SourcedText

    @field_validator("statement")
    @classmethod
    def _sourced(cls, statement: SourcedText, info: ValidationInfo) -> SourcedText:
        _require_evidence(statement.sources, info, "a complication's frequency")
        return statement

    @model_validator(mode="after")
    def _one_kind_of_number(self) -> Frequency:
        if (self.low is None) != (self.high is None):
            raise PydanticCustomError("half_interval", "give both low and high, or neither")
        if self.value is None and self.low is None and self.below is None:
            raise PydanticCustomError("no_value", "give a value, a range (low and high) or an upper bound (below)")
        if self.low is not None and self.high is not None:
            if self.low > self.high:
                raise PydanticCustomError(
                    "inverted_range",
                    "inverted range: low ({low}) is greater than high ({high}); expected low <= high",
                    {"low": f"{self.low:g}", "high": f"{self.high:g}"},
                )
            if self.value is not None and not self.low <= self.value <= self.high:
                raise PydanticCustomError("outside_interval", "the value must lie inside its interval")
        if self.interval is not None and (self.value is None or self.low is None):
            raise PydanticCustomError("interval_without_value", "a 95% CI needs a value and low and high")
        return self


# --- reading the data ----------------------------------------------------------------


def _all_advice(data: CourseData) -> list[CareAdvice]:
    return data.records(CareAdvice)


def situations(data: CourseData | None = None) -> list[str]:
    """The situations that have advice in the data, in teaching order."""
    data = data or load()
    present = {a.situation for a in _all_advice(data)}
    return [s for s in SITUATIONS if s in present]


def times_for(situation: str, data: CourseData | None = None) -> list[str]:
    """The times the data covers for one situation, in order; a KeyError names the known situations."""
    data = data or load()
    present = {a.time for a in _all_advice(data) if a.situation == situation}
    if not present:
        raise KeyError(f"no care advice for '{situation}': expected one of {', '.join(situations(data))}")
    return [t for t in TIMES if t in present]


def advice(situation: str, time: str, data: CourseData | None = None) -> CareAdvice:
    """The advice for one situation at one time; a KeyError lists the times that situation has."""
    data = data or load()
    offered = times_for(situation, data)
    for item in _all_advice(data):
        if item.situation == situation and item.time == time:
            return item
    raise KeyError(
        f"no advice for '{time}' {SITUATIONS.get(situation, situation).lower()}: expected one of {', '.join(offered)}"
    )


def roles_in(item: CareAdvice) -> list[str]:
    """The roles the sources name in one piece of advice, in first-mention order."""
    every = [*item.observe, *item.warning_signs, *item.actions]
    return list(dict.fromkeys(i.role for i in every if i.role is not None))


_SECTIONS = (
    ("observe", "What to observe"),
    ("warning_signs", "Warning signs"),
    ("actions", "What to do"),
)


def _wrap(text: str, width: int, indent: str = "    ") -> str:
    return textwrap.fill(text, width=width, initial_indent=indent, subsequent_indent=indent)


def advice_text(situation: str, time: str, data: CourseData | None = None, width: int = 88) -> str:
    """One piece of advice as text with sources and roles (for printing, handouts and tests)."""
    item = advice(situation, time, data)
    lines = [f"{SITUATIONS[situation].upper()} - {TIMES[time].upper()}"]
    for field, heading in _SECTIONS:
        entries: list[CareItem] = getattr(item, field)
        lines.append(f"{heading}:")
        if not entries:
            lines.append("  - none in the sources read for this course")
        for entry in entries:
            lines.append(f"  - ({entry.who})")
            lines.append(_wrap(cited_text(entry.statement), width))
    roles = roles_in(item)
    lines.append(f"Roles named by the sources: {', '.join(roles) if roles else 'none'}.")
    return "\n".join(lines) + "\n"


def advice_html(situation: str, time: str, data: CourseData | None = None) -> str:
    """One piece of advice as a table: section, who, what (with its sources)."""
    item = advice(situation, time, data)
    rows = []
    for field, heading in _SECTIONS:
        entries: list[CareItem] = getattr(item, field)
        if not entries:
            rows.append(
                f"<tr><th scope='row'>{html.escape(heading)}</th><td>-</td>"
                "<td><em>none in the sources read for this course</em></td></tr>"
            )
        for entry in entries:
            rows.append(
                f"<tr><th scope='row'>{html.escape(heading)}</th><td>{html.escape(entry.who)}</td>"
                f"<td>{cited_html(entry.statement)}</td></tr>"
            )
    return table_html(
        "ot-care",
        ("Section", "Who", "What the source says"),
        rows,
        caption=f"{SITUATIONS[situation]}: {TIMES[time].lower()}",
    )


def advice_summary(situation: str, time: str, data: CourseData | None = None) -> str:
    """One line: how many items of each kind, and the roles."""
    item = advice(situation, time, data)
    roles = roles_in(item)
    counts = ", ".join(
        _count(len(getattr(item, field)), noun)
        for field, noun in (("observe", "thing to observe"), ("warning_signs", "warning sign"), ("actions", "action"))
    )
    return f"{SITUATIONS[situation]}, {TIMES[time].lower()}: {counts}; roles named: {', '.join(roles) or 'none'}."


def _count(n: int, noun: str) -> str:
    if n == 1:
        return f"1 {noun}"
    plural = noun.replace("thing ", "things ") if noun.startswith("thing") else noun + "s"
    return f"{n} {plural}"


# --- how often -------------------------------------------------------------------------


def frequencies(data: CourseData | None = None, topic: str | None = None) -> list[Frequency]:
    """The reported frequencies, in file order (optionally one topic)."""
    data = data or load()
    found = data.records(Frequency)
    return [f for f in found if topic is None or f.topic == topic]


def frequencies_table(data: CourseData | None = None) -> TextAndHtml:
    """Every reported frequency with its setting, measure, source and year (text and HTML)."""
    data = data or load()
    lines, rows = [], []
    for f in frequencies(data):
        lines.append(f"{f.topic.upper()}, {f.setting}: {f.measure} {f.shown_as} - {f.source_label} ({f.year})")
        lines.append(f"  Sources: {', '.join(f.statement.sources)}")
        rows.append(
            f"<tr><th scope='row'>{html.escape(f.topic)}</th><td>{html.escape(f.setting)}</td>"
            f"<td>{html.escape(f.measure)}: <strong>{html.escape(f.shown_as)}</strong></td>"
            f"<td>{html.escape(f'{f.source_label} ({f.year})')}<br>{cited_html(f.statement)}</td></tr>"
        )
    return TextAndHtml(
        "\n".join(lines) + "\n",
        table_html(
            "ot-frequencies",
            ("Complication", "Setting", "How often", "Source"),
            rows,
            caption="How often complications are reported (different settings and measures: do not average)",
        ),
    )


MEASURE_STYLES = {"prevalence": (OKABE_ITO["orange"], "s"), "incidence": (OKABE_ITO["blue"], "o")}


def draw_delirium(figure: Figure, data: CourseData | None = None) -> str:
    """Delirium by setting, as ranges, intervals and points with their sources; return the summary."""
    from matplotlib.lines import Line2D

    data = data or load()
    items = frequencies(data, "delirium")
    ax = figure.add_subplot()
    labels = []
    for index, f in enumerate(items):
        y = len(items) - 1 - index
        colour, marker = MEASURE_STYLES[f.measure]
        right = 0.0
        if f.low is not None and f.high is not None:
            if f.interval is None:  # a range of estimates
                ax.barh(y, f.high - f.low, left=f.low, height=0.5, color=colour, alpha=0.85, edgecolor="black")
            else:  # a confidence interval around a value
                ax.plot([f.low, f.high], [y, y], color="black", lw=2.5, zorder=4)
                for end in (f.low, f.high):
                    ax.plot([end], [y], marker="|", ms=14, mew=2.5, color="black", zorder=4)
            right = f.high
        if f.below is not None:
            ax.plot([0, f.below], [y, y], color=colour, lw=2.5, ls=":")
            ax.plot([f.below], [y], marker="<", ms=12, color=colour, ls="none")
            right = f.below
        if f.value is not None:
            ax.plot([f.value], [y], marker=marker, ms=12, color=colour, mec="black", ls="none", zorder=5)
            right = max(right, f.value)
        ax.text(right + 1, y, f.shown_as, va="center", fontsize="small")
        labels.append("\n".join([*textwrap.wrap(f.setting, 50), f"{f.source_label} ({f.year})"]))
    ax.set_yticks(range(len(items)), list(reversed(labels)))
    ax.set_xlim(0, 70)
    ax.set_ylim(-0.6, len(items) - 0.4)
    ax.set_xlabel("People with delirium (%)")
    ax.set_title("Delirium: how often depends on the setting and the study")
    ax.grid(axis="y", visible=False)
    legend_below(
        ax,
        [
            Line2D(
                [],
                [],
                color=MEASURE_STYLES["prevalence"][0],
                marker="s",
                lw=6,
                label="prevalence (have it at one time)",
            ),
            Line2D([], [], color=MEASURE_STYLES["incidence"][0], marker="o", lw=6, label="incidence (new cases)"),
            Line2D([], [], color="black", marker="|", ms=12, lw=2.5, label="95% CI of a pooled estimate"),
            Line2D([], [], color="black", marker="<", ls=":", label="upper bound only"),
        ],
        ncol=2,
        offset=-0.16,
    )
    return delirium_summary(data)


def delirium_summary(data: CourseData | None = None) -> str:
    """The delirium figure in one sentence."""
    parts = [
        f"{f.measure} {f.shown_as} ({f.setting}; {f.source_label} {f.year})" for f in frequencies(data, "delirium")
    ]
    return "Delirium is reported at different rates in different settings and studies: " + "; ".join(parts) + "."


def delirium_figure(data: CourseData | None = None) -> SummarisedFigure:
    """The delirium comparison as a figure with its summary."""
    return draw_new(draw_delirium, data, height=6.0)


# --- the care explorer -----------------------------------------------------------------

_SITUATION_COLOURS = {
    "after_hip_surgery": OKABE_ITO["blue"],
    "in_a_cast": OKABE_ITO["reddish_purple"],
    "after_pin_fixation": OKABE_ITO["bluish_green"],
    "after_vertebral_augmentation": OKABE_ITO["vermillion"],
}


class CareExplorer(widgets.VBox):
    """Choose a situation, then one of its times; see what to observe, the warning signs and what to do.

    The time menu lists only the times the data covers for the situation. Exposes
    ``.html`` (the table), ``.text``, ``.summary`` and ``.error`` for tests.
    """

    def __init__(self, situation: str | None = None, time: str | None = None, data: CourseData | None = None) -> None:
        self.data = data or load()
        offered = situations(self.data)
        if situation not in offered:
            situation = offered[0]
        self.situation_dropdown = dropdown("Situation:", [(SITUATIONS[s], s) for s in offered], situation)
        times = times_for(situation, self.data)
        if time not in times:
            time = times[0]
        self.time_dropdown = dropdown("When:", [(TIMES[t], t) for t in TIMES], time)
        self.time_dropdown.options = [(TIMES[t], t) for t in times]
        self.time_dropdown.value = time
        self.table = widgets.HTML()
        self.caption = widgets.HTML()
        self.details = widgets.HTML()
        self.text = ""
        self.summary = ""
        self.error: str | None = None
        self._updating = False
        self._built: dict[tuple[str, str], tuple[str, str, str]] = {}
        self.situation_dropdown.observe(self._on_situation, names="value")
        self.time_dropdown.observe(self._on_time, names="value")
        note = widgets.HTML(
            "<p><em>For learning what the sources say, not a care plan: follow the local protocol and the "
            "team's instructions.</em></p>"
        )
        super().__init__(
            [controls_row(self.situation_dropdown, self.time_dropdown), note, self.caption, self.table, self.details],
            layout=widgets.Layout(width="100%"),
        )
        self.show(situation, time)

    @property
    def html(self) -> str:
        return self.table.value

    def _on_situation(self, change: dict) -> None:
        times = times_for(change["new"], self.data)
        self._updating = True
        try:
            self.time_dropdown.options = [(TIMES[t], t) for t in times]
            self.time_dropdown.value = times[0]
        finally:
            self._updating = False
        self.show(change["new"], times[0])

    def _on_time(self, change: dict) -> None:
        if not self._updating and change["new"] is not None:
            self.show(self.situation_dropdown.value, change["new"])

    def _content(self, situation: str, time: str) -> tuple[str, str, str]:
        """The text, table and summary of one choice, built once per choice (the data does not change)."""
        key = (situation, time)
        if key not in self._built:
            self._built[key] = (
                advice_text(situation, time, self.data),
                advice_html(situation, time, self.data),
                advice_summary(situation, time, self.data),
            )
        return self._built[key]

    def show(self, situation: str, time: str) -> None:
        """Show one situation at one time; an unknown choice shows a message, not a traceback."""
        try:
            self.text, table, self.summary = self._content(situation, time)
        except KeyError as exc:
            self.error = str(exc.args[0])
            self.text = self.summary = ""
            self.table.value = error_html(self.error)
            self.caption.value = ""
            self.details.value = ""
            return
        self.error = None
        colour = _SITUATION_COLOURS.get(situation, OKABE_ITO["black"])
        self.caption.value = (
            f"<p style='border-left:6px solid {colour};padding-left:0.5em'><strong>{html.escape(self.summary)}"
            "</strong></p>"
        )
        self.table.value = table
        self.details.value = details_html("The same, as plain text", self.text)


# --- exercises -------------------------------------------------------------------------


def solution_exercise_1(course: CourseData) -> str:
    """Mr B., a wrist in a new cast, has rising pain on the ward: what first, and who."""
    item = advice("in_a_cast", "first_hours", course)
    lines = ["Check first for compartment syndrome (the cast can cause it):"]
    for entry in item.warning_signs:
        lines.append(f"- sign: {cited_text(entry.statement)}")
    for entry in item.actions:
        lines.append(f"- {entry.who}: {cited_text(entry.statement)}")
    lines.append(
        "So: check his pain against his injury and on passive movement of the fingers, do not be reassured by a "
        "pulse, and call for a senior review if his pain scores are not reducing."
    )
    return "\n".join(lines)


def solution_exercise_2(course: CourseData) -> str:
    """Mrs C., day 2 after a hemiarthroplasty, is quiet and sleepy: is this delirium?"""
    first = advice("after_hip_surgery", "first_hours", course)
    days = advice("after_hip_surgery", "first_days", course)
    lines = [cited_text(first.warning_signs[0].statement)]
    lines.append(cited_text(days.observe[2].statement))
    lines.append(cited_text(first.actions[0].statement))
    lines.append(
        "So yes, possibly: hypoactive delirium looks like quiet sleepiness, and day 2 is when it often shows. "
        "Treat it as urgent and tell the team: it is potentially reversible if its cause is found."
    )
    return "\n".join(lines)


def solution_exercise_3(course: CourseData) -> str:
    """A classmate says "delirium affects a third of hip fracture patients": how would you say it instead?"""
    lines = ["The figures measure different things in different people:"]
    for f in frequencies(course, "delirium"):
        lines.append(
            f"- {f.setting}: {f.measure} {f.shown_as} ({f.source_label}, {f.year}) [{', '.join(f.statement.sources)}]"
        )
    lines.append(
        "Say which figure, from which study, in which setting: for example, a meta-analysis of 25 studies "
        "put the incidence after hip fracture at about a third, with a confidence interval; one centre "
        "found about a fifth."
    )
    return "\n".join(lines)


# --- the lesson ------------------------------------------------------------------------

#: Key facts the notebook prints (data/periop_facts.yaml).
FACTS = ("periop_neurovascular", "periop_vte_trap", "periop_contraindications_left_out")


def source_keys(course: CourseData) -> Iterable[str]:
    """Every source behind the explorer, the frequencies and the facts the notebook prints."""
    shown: list[Any] = [
        *course.records(CareAdvice),
        *frequencies(course),
        *(course.record(KeyFact, f) for f in FACTS),
    ]
    return dict.fromkeys(key for cited in iter_cited(shown) for key in cited.sources)


def _explorer_direct(explorer: CareExplorer) -> str:
    """The explorer's table built afresh from the pure functions."""
    return advice_html(explorer.situation_dropdown.value, explorer.time_dropdown.value, explorer.data)


def care_static(course: CourseData) -> TextAndHtml:
    """Every situation at every time the data covers (what the care explorer can show)."""
    pairs = [(s, t) for s in situations(course) for t in times_for(s, course)]
    return TextAndHtml(
        "\n\n".join(advice_text(s, t, course) for s, t in pairs), "".join(advice_html(s, t, course) for s, t in pairs)
    )


LESSON = Lesson(
    id="07_perioperative_care",
    title="Peri-operative care and complications",
    summary=(
        "What a nurse observes after hip surgery, in a cast, after pin fixation and after vertebroplasty: "
        "warning signs, what to do, who does it, and how often complications occur."
    ),
    data_files=("periop_care", "periop_frequencies", "periop_facts"),
    widgets=(
        WidgetSpec(
            "CareExplorer",
            build=lambda course: CareExplorer(data=course),
            controls=lambda explorer: [explorer.situation_dropdown, explorer.time_dropdown],
            shows=lambda explorer: explorer.html,
            label="Situation:",
            direct=_explorer_direct,
            text=care_static,
        ),
    ),
    sources=source_keys,
    tables={"periop_care": CareAdvice, "periop_frequencies": Frequency, "periop_facts": KeyFact},
)
