"""Patient cases: one fictional woman's journey through three fractures, decision by decision.

Each case in ``data/cases.yaml`` is a fictional patient (labelled fictional in the
data and on screen) walked through a few **decision points**. Every decision
point has a question, options with their own sourced feedback (why the option is
right or wrong) and what happens next: the option's ``next`` decision point (a
wrong choice may lead to a short extra point that puts it right), or the next
point in order. Where the roles differ, a decision point has a **lens** for the
nurse, the physiotherapist and the doctor: the same moment of care, seen through
each role's own question, options and feedback, each sourced.

One widget, :class:`CasePlayer`, plays any case: a case dropdown, a role (lens)
dropdown, a decision-point dropdown (to jump to a point when presenting), the
options as radio buttons and a "Next" button. At the end of a case it lists the
choices made and offers the next case of the journey. Everything it shows is
exposed as text (``player.text``), and :func:`case_paths` lists every path
through every case, so plain pytest can walk them all.

Taught in: ``notebooks/09_patient_cases.ipynb`` (the capstone).
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Literal

import ipywidgets as widgets
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from .cite import TextAndHtml, cited_html, cited_text, sources_line, table_html
from .data import CourseData, load
from .lessons import Lesson, WidgetSpec
from .plots import SummarisedFigure, draw_new, legend_below
from .records import ID_PATTERN, FractureSiteId, QuizQuestion, Record, SourcedText
from .style import OKABE_ITO
from .widgets import controls_row, dropdown, error_html

if TYPE_CHECKING:  # matplotlib is imported when a figure is drawn, not with the module
    from matplotlib.figure import Figure

__all__ = [
    "ROLES",
    "LENSES",
    "LENS_NAMES",
    "END",
    "CaseOption",
    "LensView",
    "DecisionPoint",
    "Case",
    "View",
    "cases_in_order",
    "journey",
    "view",
    "next_point",
    "case_paths",
    "case_routes",
    "case_problems",
    "case_questions",
    "journey_text",
    "point_text",
    "roles_overview",
    "cases_overview",
    "draw_journey",
    "journey_figure",
    "CasePlayer",
    "solution_exercise_1",
    "solution_exercise_2",
    "solution_exercise_3",
    "LESSON",
]

#: The roles a decision point may have a lens for.
ROLES: tuple[str, ...] = ("nurse", "physiotherapist", "doctor")
#: The choices of the lens dropdown: the whole team's shared question, then each role.
LENSES: tuple[str, ...] = ("team", *ROLES)
LENS_NAMES: dict[str, str] = {
    "team": "Whole team",
    "nurse": "Nurse",
    "physiotherapist": "Physiotherapist",
    "doctor": "Doctor",
}
Lens = Literal["nurse", "physiotherapist", "doctor"]

#: ``next: end`` ends the case after this option.
END = "end"

#: What a decision point is about (drawn as a marker shape on the journey map).
Topic = Literal["treatment", "care", "evidence", "rehabilitation", "bone_health"]
TOPIC_NAMES: dict[str, str] = {
    "treatment": "treatment choice",
    "care": "care after treatment",
    "evidence": "reading the evidence",
    "rehabilitation": "rehabilitation",
    "bone_health": "bone health: preventing the next fracture",
}
#: Marker and colour per topic (Okabe-Ito; the shape carries the meaning too).
TOPIC_STYLES: dict[str, tuple[str, str]] = {
    "treatment": ("s", OKABE_ITO["blue"]),
    "care": ("o", OKABE_ITO["bluish_green"]),
    "evidence": ("D", OKABE_ITO["reddish_purple"]),
    "rehabilitation": ("^", OKABE_ITO["orange"]),
    "bone_health": ("*", OKABE_ITO["vermillion"]),
}

_RIGHT = OKABE_ITO["bluish_green"]
_WRONG = OKABE_ITO["vermillion"]
_FICTIONAL_BADGE = "Fictional patient: not a real person; for education only, not medical advice."


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class CaseOption(_Strict):
    """One choice at a decision point: why it is right or wrong (sourced), and where it leads."""

    text: str
    correct: bool = False
    feedback: SourcedText
    #: The decision point this choice leads to (default: the next point in order; ``end``: the case ends).
    next: Annotated[str, Field(pattern=ID_PATTERN)] | None = None


def _check_options(options: Sequence[CaseOption], where: str) -> None:
    texts = [option.text for option in options]
    if len(set(texts)) != len(texts):
        raise PydanticCustomError("duplicate_option", "the options of {where} must all differ", {"where": where})
    right = sum(option.correct for option in options)
    if right != 1:
        raise PydanticCustomError(
            "one_right_option",
            "{where} needs exactly one option with 'correct: true' (found {n})",
            {"where": where, "n": right},
        )


class LensView(_Strict):
    """One role's view of a decision point: its own question, options and focus."""

    question: str
    #: What this role does at this moment, and why the question differs (sourced).
    focus: SourcedText
    options: Annotated[list[CaseOption], Field(min_length=2)]

    @model_validator(mode="after")
    def _one_right(self) -> LensView:
        _check_options(self.options, "a lens view")
        return self


class DecisionPoint(_Strict):
    """One moment of the case: the fictional story so far, then a question with options.

    ``lenses`` gives a role its own question where the roles differ; a role
    without a lens sees the shared ``question`` and ``options``.
    """

    id: Annotated[str, Field(pattern=ID_PATTERN)]
    title: str
    topic: Topic
    #: The fictional story at this point (what happens to the patient, not a medical claim).
    story: str
    question: str
    options: Annotated[list[CaseOption], Field(min_length=2)]
    lenses: dict[Lens, LensView] = {}
    #: A short extra point reached only by a choice that needs putting right.
    remedial: bool = False

    @model_validator(mode="after")
    def _one_right(self) -> DecisionPoint:
        _check_options(self.options, f"decision point '{self.id}'")
        if self.id == END:
            raise PydanticCustomError("reserved_id", "'end' is reserved: it ends the case")
        return self


class Case(Record):
    """One fictional patient's case: the story, the decision points, and what it teaches.

    ``fictional`` must be ``true``: every patient in the cases is made up (the
    widget says so on screen). ``continues`` names the next case of the journey.

    Taught in: ``notebooks/09_patient_cases.ipynb``.
    """

    title: str
    fictional: Literal[True]
    #: How the patient is introduced (no name that could be a real person's).
    patient: str
    age: Annotated[int, Field(ge=18, le=110)]
    #: A short name for the fracture, for the journey map ("Wrist fracture").
    fracture: str
    site: FractureSiteId
    #: The treatment pathway of ``data/pathways.yaml`` that the case follows.
    pathway: str
    summary: str
    opening: str
    points: Annotated[list[DecisionPoint], Field(min_length=2)]
    ending: str
    #: What the case teaches, each point sourced (shown at the end of the case).
    lessons: Annotated[list[SourcedText], Field(min_length=1)]
    #: The lessons to revisit (lesson ids).
    revisit: list[Annotated[str, Field(pattern=r"^\d\d_[a-z0-9_]+$")]] = Field(default_factory=list)
    continues: Annotated[str, Field(pattern=ID_PATTERN)] | None = None

    @field_validator("pathway")
    @classmethod
    def _known_pathway(cls, pathway: str, info: ValidationInfo) -> str:
        known = (info.context or {}).get("pathways")
        if known is not None and pathway not in known:
            raise PydanticCustomError(
                "unknown_reference",
                "unknown treatment pathway id '{value}': expected one of the ids in data/pathways.yaml",
                {"value": pathway},
            )
        return pathway

    @model_validator(mode="after")
    def _walkable(self) -> Case:
        ids = [point.id for point in self.points]
        duplicate = next((i for i in ids if ids.count(i) > 1), None)
        if duplicate is not None:
            raise PydanticCustomError("duplicate_id", "duplicate decision point id '{id}'", {"id": duplicate})
        for point in self.points:
            for lens, options in _all_option_lists(point):
                for option in options:
                    if option.next is not None and option.next != END and option.next not in ids:
                        raise PydanticCustomError(
                            "unknown_reference",
                            "option '{option}' of decision point '{point}'{lens} leads to '{next}', which is not "
                            "a decision point of this case: expected one of {ids} or 'end'",
                            {
                                "option": option.text,
                                "point": point.id,
                                "lens": f" ({lens})" if lens else "",
                                "next": option.next,
                                "ids": ", ".join(ids),
                            },
                        )
        for lens in LENSES:
            _check_no_loops(self, lens)
        reached = {point_id for lens in LENSES for route in case_routes(self, lens) for point_id in route}
        unreached = [point_id for point_id in ids if point_id not in reached]
        if unreached:
            raise PydanticCustomError(
                "unreachable", "decision point '{id}' cannot be reached from the first point", {"id": unreached[0]}
            )
        return self

    def point(self, point_id: str) -> DecisionPoint:
        """One decision point by id (a KeyError names the points)."""
        for point in self.points:
            if point.id == point_id:
                return point
        raise KeyError(
            f"'{point_id}' is not a decision point of case '{self.id}': expected one of "
            f"{', '.join(p.id for p in self.points)}"
        )


def _lens_view(point: DecisionPoint, lens: str) -> LensView | None:
    """The role's own view of a point, or ``None`` where it sees the shared question."""
    return next((lens_view for name, lens_view in point.lenses.items() if name == lens), None)


def _all_option_lists(point: DecisionPoint) -> Iterator[tuple[str | None, list[CaseOption]]]:
    yield None, point.options
    for lens, lens_view in point.lenses.items():
        yield lens, lens_view.options


def _check_no_loops(case: Case, lens: str) -> None:
    """A path must end: no option may lead back to a point already on its way."""

    def visit(point_id: str, on_path: tuple[str, ...]) -> None:
        if point_id in on_path:
            raise PydanticCustomError(
                "loop",
                "decision point '{id}' leads back to itself ({lens}): a case must end",
                {"id": point_id, "lens": lens},
            )
        for option in view(case, point_id, lens).options:
            target = next_point(case, point_id, option)
            if target is not None:
                visit(target, (*on_path, point_id))

    visit(case.points[0].id, ())


# --- reading a case -------------------------------------------------------------


@dataclass(frozen=True)
class View:
    """What one role sees at one decision point."""

    point: DecisionPoint
    lens: str
    question: str
    options: list[CaseOption]
    #: The role's focus (``None`` where every role sees the same question).
    focus: SourcedText | None

    @property
    def shared(self) -> bool:
        """Whether every role sees this question (no lens of its own)."""
        return self.focus is None

    def option(self, text: str) -> CaseOption:
        for option in self.options:
            if option.text == text:
                return option
        raise KeyError(
            f"'{text}' is not an option at '{self.point.id}' ({self.lens}): expected one of "
            f"{'; '.join(o.text for o in self.options)}"
        )

    @property
    def right(self) -> CaseOption:
        return next(option for option in self.options if option.correct)


def view(case: Case, point_id: str, lens: str) -> View:
    """The question and options one role sees at one decision point."""
    if lens not in LENSES:
        raise KeyError(f"unknown role '{lens}': expected one of {', '.join(LENSES)}")
    point = case.point(point_id)
    lens_view = _lens_view(point, lens)
    if lens_view is None:
        return View(point, lens, point.question, point.options, None)
    return View(point, lens, lens_view.question, lens_view.options, lens_view.focus)


def next_point(case: Case, point_id: str, option: CaseOption) -> str | None:
    """Where a choice leads: its ``next``, else the next non-remedial point in order; ``None`` ends the case."""
    if option.next == END:
        return None
    if option.next is not None:
        return option.next
    ids = [point.id for point in case.points]
    for later in case.points[ids.index(point_id) + 1 :]:
        if not later.remedial:
            return later.id
    return None


def case_paths(case: Case, lens: str) -> list[list[tuple[str, str]]]:
    """Every path through a case for one role: each a list of (decision point id, option text)."""

    def walk(point_id: str) -> Iterator[list[tuple[str, str]]]:
        for option in view(case, point_id, lens).options:
            target = next_point(case, point_id, option)
            step = (point_id, option.text)
            if target is None:
                yield [step]
            else:
                for rest in walk(target):
                    yield [step, *rest]

    return list(walk(case.points[0].id))


def case_routes(case: Case, lens: str) -> list[tuple[str, ...]]:
    """The distinct sequences of decision points a role can pass through (branches included)."""

    def walk(point_id: str) -> Iterator[tuple[str, ...]]:
        targets = dict.fromkeys(next_point(case, point_id, o) for o in view(case, point_id, lens).options)
        for target in targets:
            if target is None:
                yield (point_id,)
            else:
                for rest in walk(target):
                    yield (point_id, *rest)

    return list(dict.fromkeys(walk(case.points[0].id)))


def cases_in_order(data: CourseData | None = None) -> list[Case]:
    """Every case, in file order."""
    return (data or load()).records(Case)


def journey(data: CourseData | None = None) -> list[Case]:
    """The cases of the journey, first to last (following ``continues`` from the first case)."""
    cases = cases_in_order(data)
    by_id = {case.id: case for case in cases}
    chain: list[Case] = []
    current: Case | None = cases[0] if cases else None
    while current is not None and current not in chain:
        chain.append(current)
        current = by_id.get(current.continues) if current.continues else None
    return chain


def case_problems(data: CourseData | None = None) -> list[str]:
    """Cross-record problems the loader cannot see inside one record (should be none)."""
    from .lessons import all_lessons

    data = data or load()
    cases = cases_in_order(data)
    ids = {case.id for case in cases}
    lesson_ids = {lesson.id for lesson in all_lessons()}
    problems = []
    for case in cases:
        if case.continues is not None and case.continues not in ids:
            problems.append(f"case '{case.id}' continues with '{case.continues}', which is not a case")
        pathway = data.get("pathways", case.pathway)
        if getattr(pathway, "site", None) != case.site:
            problems.append(f"case '{case.id}': pathway '{case.pathway}' is not a treatment of site '{case.site}'")
        problems += [f"case '{case.id}' revisits unknown lesson '{r}'" for r in case.revisit if r not in lesson_ids]
    return problems


# --- text -------------------------------------------------------------------------


def _wrap(text: str, indent: str = "  ", rest: str | None = None) -> str:
    return textwrap.fill(
        " ".join(text.split()),
        width=88,
        initial_indent=indent,
        subsequent_indent=indent if rest is None else rest,
        break_on_hyphens=False,
        break_long_words=False,
    )


def journey_text(data: CourseData | None = None) -> str:
    """The journey as text: each case, its fictional patient, its decision points and roles."""
    data = data or load()
    lines = ["The journey (a fictional patient; no real person is described):"]
    for number, case in enumerate(journey(data), start=1):
        pathway = data.get("pathways", case.pathway)
        main = [p for p in case.points if not p.remedial]
        lensed = sum(bool(p.lenses) for p in main)
        lines.append(f"{number}. {case.title} ({case.fracture.lower()} at {case.age}; fictional patient)")
        lines.append(_wrap(case.summary, "   "))
        lines.append(
            _wrap(
                f"{len(main)} decision points, {lensed} with questions of their own for some roles; "
                f"pathway: {getattr(pathway, 'name', case.pathway)}.",
                "   ",
            )
        )
        lines.append(_wrap("; ".join(f"{p.title} [{TOPIC_NAMES[p.topic]}]" for p in main) + ".", "   "))
    return "\n".join(lines) + "\n"


def _shared_note(current: View) -> str:
    """What the player says above a question that is not a role's own."""
    # A role that has no question of its own here is told so: choosing it must visibly do something.
    role = "" if current.lens == "team" else LENS_NAMES[current.lens].lower()
    if not current.point.lenses:
        return (
            f"As the {role}: every role answers the same question here."
            if role
            else "The same question for every role."
        )
    seen_as = f"As the {role}: no question of your own here. " if role else ""
    roles = [LENS_NAMES[role].lower() for role in ROLES if role in current.point.lenses]
    have = "has" if len(roles) == 1 else "have"
    return (
        f"{seen_as}The whole team's shared question; the {' and the '.join(roles)} {have} a question of their own here."
    )


def _point_text(case: Case, current: View, chosen: CaseOption | None) -> str:
    lines = [f"{case.title.upper()} ({_FICTIONAL_BADGE})", f"{current.point.title}", _wrap(current.point.story, "")]
    if current.focus is not None:
        lines.append(f"As the {LENS_NAMES[current.lens].lower()}: {cited_text(current.focus)}")
    else:
        lines.append(f"({_shared_note(current)})")
    lines.append(f"Question: {current.question}")
    lines += [f"  - {option.text}" for option in current.options]
    if chosen is not None:
        verdict = "Best choice." if chosen.correct else f"Not the best choice. The best choice: {current.right.text}"
        lines.append(f"You chose: {chosen.text}. {verdict}")
        lines.append(_wrap(cited_text(chosen.feedback), ""))
    return "\n".join(lines) + "\n"


def point_text(case_id: str, lens: str, point_id: str, choice: str | None, data: CourseData | None = None) -> str:
    """What the player shows at one point for one role and choice, as text (the player's pure twin)."""
    case = (data or load()).record(Case, case_id)
    current = view(case, point_id, lens)
    return _point_text(case, current, current.option(choice) if choice is not None else None)


# --- the journey map --------------------------------------------------------------


def draw_journey(figure: Figure, data: CourseData | None = None) -> str:
    """Draw the fictional patient's journey: each case at her age, its decision points by topic."""
    from matplotlib.lines import Line2D

    data = data or load()
    chain = journey(data)
    ax = figure.add_subplot()
    ages = [case.age for case in chain]
    ax.axhline(0, color=OKABE_ITO["black"], lw=1.5, zorder=1)
    topics_seen: list[str] = []
    for case in chain:
        ax.plot([case.age], [0], marker="X", ms=18, color=OKABE_ITO["black"], ls="none", zorder=3)
        ax.annotate(
            f"{case.fracture}\n(age {case.age})",
            (case.age, 0),
            xytext=(0, 16),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize="medium",
            fontweight="bold",
        )
        main = [p for p in case.points if not p.remedial]
        for row, point in enumerate(main, start=1):
            marker, colour = TOPIC_STYLES[point.topic]
            y = -row
            ax.plot([case.age], [y], marker=marker, ms=15, color=colour, ls="none", zorder=3)
            label = "\n".join(textwrap.wrap(point.title, 26))
            ax.text(case.age + 0.08, y, label, va="center", fontsize="small")
            if point.topic not in topics_seen:
                topics_seen.append(point.topic)
    low = -max(len([p for p in c.points if not p.remedial]) for c in chain) - 0.7
    ax.set_ylim(low, 1.4)
    ax.set_xlim(min(ages) - 0.3, max(ages) + 0.75)
    ax.set_xticks(ages, [f"{age}" for age in ages])
    ax.set_yticks([])
    ax.grid(False)
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel("Age of the fictional patient (years)")
    ax.set_title("One fictional patient, three fractures: the decision points of each case")
    handles = [
        Line2D([], [], marker=TOPIC_STYLES[t][0], color=TOPIC_STYLES[t][1], ls="none", ms=12, label=TOPIC_NAMES[t])
        for t in TOPIC_STYLES
        if t in topics_seen
    ]
    handles.insert(0, Line2D([], [], marker="X", color=OKABE_ITO["black"], ls="none", ms=12, label="a fracture"))
    legend_below(ax, handles, ncol=3, offset=-0.12)
    chances = sum(p.topic == "bone_health" for c in chain for p in c.points if not p.remedial)
    parts = [
        f"{c.title.lower()} at {c.age} ({len([p for p in c.points if not p.remedial])} decision points)" for c in chain
    ]
    return (
        f"A fictional patient's journey through {len(chain)} cases: {'; '.join(parts)}; "
        f"{chances} of the decision points (stars) are chances to prevent the next fracture."
    )


def journey_figure(data: CourseData | None = None) -> SummarisedFigure:
    """The journey map as a figure with its summary."""
    return draw_new(draw_journey, data or load())


# --- the player ---------------------------------------------------------------------


class CasePlayer(widgets.VBox):
    """Play any case: choose a case and a role, answer each decision point, press "Next".

    Controls (in display order): the case dropdown, the role dropdown, the
    decision-point dropdown (jump to a point; it follows the case as you go) and
    the options (radio buttons). ``next()`` is the "Next" button. Exposes
    ``.text`` (what is shown), ``.error``, ``.finished``, ``.history`` (the
    choices made on this run: point id, option text, whether it was the best).
    """

    def __init__(self, data: CourseData | None = None, case_id: str | None = None, lens: str = "team") -> None:
        self.data = data or load()
        self.cases = {case.id: case for case in cases_in_order(self.data)}
        self.error: str | None = None
        self.text = ""
        self.finished = False
        self.history: list[tuple[str, str, bool]] = []
        self._updating = False
        first = case_id if case_id in self.cases else next(iter(self.cases))
        self.case_dropdown = dropdown("Case:", [(c.title, c.id) for c in self.cases.values()], first)
        self.lens_dropdown = dropdown("Your role:", [(LENS_NAMES[lens], lens) for lens in LENSES], lens)
        self.point_dropdown = dropdown("Decision point:", self._point_options(first), self.cases[first].points[0].id)
        self.point_dropdown.layout.width = "34em"
        self.choices = widgets.RadioButtons(
            options=[],
            value=None,
            description="Your choice:",
            layout=widgets.Layout(width="100%"),
            style={"description_width": "initial"},
        )
        self.next_button = widgets.Button(description="Next", tooltip="Go on with the case", disabled=True)
        self.next_button.on_click(lambda _button: self.next())
        self.again_button = widgets.Button(description="Start this case again", tooltip="Back to the first point")
        self.again_button.on_click(lambda _button: self.restart())
        self.continue_button = widgets.Button(description="Continue the journey", tooltip="Play the next case")
        self.continue_button.on_click(lambda _button: self.continue_journey())
        self.header = widgets.HTML()
        self.scene = widgets.HTML()
        self.feedback = widgets.HTML()
        self.ending = widgets.HTML()
        self.end_buttons = widgets.HBox([self.again_button, self.continue_button])
        self.case_dropdown.observe(self._on_case, names="value")
        self.lens_dropdown.observe(self._on_lens, names="value")
        self.point_dropdown.observe(self._on_point, names="value")
        self.choices.observe(self._on_choice, names="value")
        super().__init__(
            [
                controls_row(self.case_dropdown, self.lens_dropdown, self.point_dropdown),
                self.header,
                self.scene,
                self.choices,
                self.feedback,
                self.next_button,
                self.ending,
                self.end_buttons,
            ],
            layout=widgets.Layout(width="100%"),
        )
        self.show_point(self.cases[first].points[0].id)

    # ---- what is shown ---------------------------------------------------
    @property
    def case(self) -> Case:
        return self.cases[self.case_dropdown.value]

    @property
    def lens(self) -> str:
        return str(self.lens_dropdown.value)

    @property
    def point_id(self) -> str:
        return str(self.point_dropdown.value)

    @property
    def current(self) -> View:
        return view(self.case, self.point_id, self.lens)

    @property
    def chosen(self) -> CaseOption | None:
        if self.choices.value is None:
            return None
        return self.current.option(self.choices.value)

    def _point_options(self, case_id: str) -> list[tuple[str, str]]:
        points = self.cases[case_id].points
        main = [p for p in points if not p.remedial]
        labels = []
        for point in points:
            if point.remedial:
                labels.append((f"   (extra) {point.title}", point.id))
            else:
                labels.append((f"{main.index(point) + 1}. {point.title}", point.id))
        return labels

    def _set_quietly(self, control: widgets.ValueWidget, **values: object) -> None:
        self._updating = True
        try:
            for name, value in values.items():
                setattr(control, name, value)
        finally:
            self._updating = False

    def show_point(self, point_id: str) -> None:
        """Show one decision point of the current case for the current role (no choice made yet)."""
        self.error = None
        self.finished = False
        self.ending.value = ""
        self.end_buttons.layout.display = "none"
        try:
            current = view(self.case, point_id, self.lens)
        except KeyError as exc:
            self._show_error(str(exc.args[0]))
            return
        if self.point_dropdown.value != point_id:
            self._set_quietly(self.point_dropdown, value=point_id)
        self._set_quietly(self.choices, options=[o.text for o in current.options], value=None)
        self.choices.layout.display = None
        self.next_button.layout.display = None
        self.next_button.disabled = True
        self.next_button.description = "Next"
        case = self.case
        self.header.value = (
            f"<h3 style='margin:0.3em 0'>{html.escape(case.title)}</h3>"
            f"<p style='margin:0.2em 0'><strong>{html.escape(case.patient)}</strong> "
            f"<span style='border:1px solid #444;padding:0 0.4em;margin-left:0.4em'>"
            f"{html.escape(_FICTIONAL_BADGE)}</span></p>"
        )
        focus = (
            f"<p><strong>As the {html.escape(LENS_NAMES[self.lens].lower())}:</strong> {cited_html(current.focus)}</p>"
            if current.focus is not None
            else f"<p><em>{html.escape(_shared_note(current))}</em></p>"
        )
        opening = (
            f"<p><em>{html.escape(case.opening)}</em></p>" if point_id == case.points[0].id and not self.history else ""
        )
        self.scene.value = (
            f"{opening}<h4 style='margin:0.4em 0'>{html.escape(current.point.title)}</h4>"
            f"<p>{html.escape(current.point.story)}</p>{focus}"
            f"<p style='font-size:1.1em'><strong>{html.escape(current.question)}</strong></p>"
        )
        self.feedback.value = ""
        self.text = _point_text(case, current, None)

    def _show_error(self, message: str) -> None:
        self.error = message
        self.text = ""
        self.scene.value = error_html(message)
        self.feedback.value = ""
        self.choices.layout.display = "none"
        self.next_button.layout.display = "none"

    # ---- answering, as a student does ---------------------------------------
    def choose(self, text: str) -> None:
        """Pick an option (as clicking its radio button does)."""
        self.current.option(text)  # a clear KeyError for an unknown option
        self.choices.value = text

    def next(self) -> None:
        """The "Next" button: record the choice and go where it leads (or end the case)."""
        chosen = self.chosen
        if chosen is None or self.finished:
            return
        self.history.append((self.point_id, chosen.text, chosen.correct))
        target = next_point(self.case, self.point_id, chosen)
        if target is None:
            self.finish()
        else:
            self.show_point(target)

    def play(self, choices: Sequence[str]) -> None:
        """Choose each option in turn, pressing "Next" after each (a whole path)."""
        for text in choices:
            self.choose(text)
            self.next()

    def restart(self) -> None:
        """Back to the first decision point of this case, with no choices made."""
        self.history = []
        self.show_point(self.case.points[0].id)

    def continue_journey(self) -> None:
        """Play the next case of the journey (the "Continue the journey" button)."""
        following = self.case.continues
        if following is None or following not in self.cases:
            return
        self.case_dropdown.value = following

    def finish(self) -> None:
        """The end of the case: what happened, the choices made, what the case teaches."""
        case = self.case
        self.finished = True
        self.choices.layout.display = "none"
        self.next_button.layout.display = "none"
        self.scene.value = ""
        self.feedback.value = ""
        best = sum(correct for _, _, correct in self.history)
        rows = []
        for point_id, text, correct in self.history:
            point = case.point(point_id)
            mark = "best choice" if correct else "not the best choice"
            rows.append(
                f"<tr><th scope='row'>{html.escape(point.title)}</th><td>{html.escape(text)}</td>"
                f"<td>{html.escape(mark)}</td></tr>"
            )
        table = table_html(
            "ot-case-choices", ("Decision point", "Your choice", "Verdict"), rows, caption="Your decisions in this case"
        )
        lessons = "".join(f"<li>{cited_html(statement)}</li>" for statement in case.lessons)
        following = self.cases.get(case.continues) if case.continues else None
        self.continue_button.layout.display = None if following is not None else "none"
        if following is not None:
            self.continue_button.description = f"Continue the journey: {following.title}"
        self.end_buttons.layout.display = None
        self.ending.value = (
            f'<div role="status" aria-live="polite"><h4>End of the case</h4>'
            f"<p>{html.escape(case.ending)}</p>"
            f"<p><strong>{best} of {len(self.history)} decisions were the best choice.</strong></p>{table}"
            f"<p><strong>What this case shows:</strong></p><ul>{lessons}</ul></div>"
        )
        lines = [f"{case.title.upper()}: END OF THE CASE ({_FICTIONAL_BADGE})", _wrap(case.ending, "")]
        lines.append(f"{best} of {len(self.history)} decisions were the best choice.")
        lines += [f"  - {case.point(p).title}: {t} ({'best' if c else 'not the best'})" for p, t, c in self.history]
        lines.append("What this case shows:")
        lines += [_wrap(cited_text(statement)) for statement in case.lessons]
        if following is not None:
            lines.append(f"Next in the journey: {following.title}.")
        self.text = "\n".join(lines) + "\n"

    # ---- observers ------------------------------------------------------------
    def _on_case(self, change: dict) -> None:
        case_id = change["new"]
        self.history = []
        self._set_quietly(
            self.point_dropdown, options=self._point_options(case_id), value=self.cases[case_id].points[0].id
        )
        self.show_point(self.cases[case_id].points[0].id)

    def _on_lens(self, change: dict) -> None:
        self.history = []
        self.show_point(self.point_id)

    def _on_point(self, change: dict) -> None:
        if not self._updating and change["new"] is not None:
            self.show_point(change["new"])

    def _on_choice(self, change: dict) -> None:
        if self._updating or change["new"] is None:
            return
        current = self.current
        try:
            chosen = current.option(change["new"])
        except KeyError as exc:
            self._show_error(str(exc.args[0]))
            return
        verdict = "Best choice." if chosen.correct else "Not the best choice."
        colour = _RIGHT if chosen.correct else _WRONG
        best = "" if chosen.correct else f"<p>The best choice: <strong>{html.escape(current.right.text)}</strong></p>"
        target = next_point(self.case, self.point_id, chosen)
        references = "".join(f"<li>{html.escape(ref)}</li>" for ref in self.data.references(chosen.feedback.sources))
        extra = ""
        if target is not None and self.case.point(target).remedial:
            extra = "<p><em>Next, a short extra step puts this right.</em></p>"
        self.feedback.value = (
            f'<div role="status" aria-live="polite" style="border-left:6px solid {colour};'
            f'padding:0.3em 0.8em;margin:0.3em 0"><p><strong>{html.escape(verdict)}</strong></p>{best}'
            f"<p>{html.escape(chosen.feedback.text)}</p>{extra}"
            f'<details><summary style="color:#444;font-size:0.85em">'
            f"{html.escape(sources_line(chosen.feedback.sources))}</summary>"
            f'<ul style="font-size:0.85em">{references}</ul></details></div>'
        )
        self.next_button.disabled = False
        self.next_button.description = "Next" if target is not None else "Finish the case"
        self.text = _point_text(self.case, current, chosen)


# --- quiz questions made from the cases (for the export to learning platforms) -------------


def case_questions(data: CourseData | None = None) -> list[QuizQuestion]:
    """Every decision point, for every role that sees it differently, as a single-choice question.

    The question text carries the fictional story; the options keep their own
    feedback; the explanation is the role's focus (or the case's first lesson).
    """
    data = data or load()
    questions = []
    for case in journey(data):
        for point in case.points:
            variants: list[tuple[str, str, list[CaseOption], SourcedText | None]] = [
                ("team", point.question, point.options, None)
            ]
            variants += [(lens, lv.question, lv.options, lv.focus) for lens, lv in point.lenses.items()]
            for lens, question, options, focus in variants:
                role = "" if lens == "team" else f" As the {LENS_NAMES[lens].lower()}:"
                stem = f"Case: {case.title}. Patient: {case.patient}. {point.story}{role} {question}"
                questions.append(
                    QuizQuestion.model_validate(
                        {
                            "id": f"case_{case.id}_{point.id}_{lens}",
                            "notebook": LESSON.id,
                            "kind": "single",
                            "skill": "application",
                            "question": " ".join(stem.split()),
                            "options": [o.model_dump(exclude={"next"}, exclude_none=True) for o in options],
                            "explanation": (focus or case.lessons[0]).model_dump(),
                        }
                    )
                )
    return questions


# --- exercises ----------------------------------------------------------------------


def solution_exercise_1(course: CourseData) -> str:
    """Where the roles differ: the decision points with a lens, and each role's question."""
    lines = []
    for case in journey(course):
        for point in case.points:
            if not point.lenses:
                continue
            lines.append(f"{case.title} - {point.title}:")
            for lens in ROLES:
                current = view(case, point.id, lens)
                focus = f" Focus: {cited_text(current.focus)}" if current.focus else ""
                lines.append(_wrap(f"{LENS_NAMES[lens]}: {current.question}{focus}", "  - ", "    "))
    return "\n".join(lines)


def solution_exercise_2(course: CourseData) -> str:
    """The chances to prevent the next fracture, and what the sources say about each."""
    lines = ["Bone-health decision points on the journey (the best choice, with its sources):"]
    for case in journey(course):
        for point in case.points:
            if point.topic != "bone_health" or point.remedial:
                continue
            best = view(case, point.id, "team").right
            lines.append(f"- {case.title}, age {case.age}: {point.title}")
            lines.append(_wrap(f"Best: {best.text}. {cited_text(best.feedback)}", "    "))
    return "\n".join(lines)


def solution_exercise_3(course: CourseData) -> str:
    """The paths through each case: how many, and which choices lead to an extra step."""
    lines = []
    for case in journey(course):
        for lens in LENSES:
            paths = case_paths(case, lens)
            routes = case_routes(case, lens)
            who = "the whole team" if lens == "team" else f"the {LENS_NAMES[lens].lower()}"
            lines.append(f"{case.title}, as {who}: {len(paths)} paths, {len(routes)} routes.")
        for point in case.points:
            for role, options in _all_option_lists(point):
                for option in options:
                    if option.next and option.next != END and case.point(option.next).remedial:
                        who = f" ({LENS_NAMES[role].lower()})" if role else ""
                        lines.append(
                            f"  '{option.text}'{who} leads to the extra step '{case.point(option.next).title}'."
                        )
    return "\n".join(lines)


# --- the lesson -----------------------------------------------------------------------


def source_keys(course: CourseData) -> list[str]:
    """Every source behind the cases (options, lenses, lessons) and the lesson's quiz questions."""
    keys: list[str] = []
    for case in cases_in_order(course):
        for point in case.points:
            for _lens, options in _all_option_lists(point):
                keys += [k for option in options for k in option.feedback.sources]
            keys += [k for lens_view in point.lenses.values() for k in lens_view.focus.sources]
        keys += [k for statement in case.lessons for k in statement.sources]
    return list(dict.fromkeys(keys))


def _player_text(player: CasePlayer) -> str:
    return player.text


def _player_direct(player: CasePlayer) -> str:
    """The same text from the pure function, for the player's current choices."""
    return point_text(player.case.id, player.lens, player.point_id, player.choices.value, player.data)


def _cases_table_html(course: CourseData) -> str:
    rows = []
    for case in journey(course):
        main = [p for p in case.points if not p.remedial]
        rows.append(
            f"<tr><th scope='row'>{html.escape(case.title)}</th><td>{html.escape(case.patient)}</td>"
            f"<td>{html.escape(case.summary)}</td><td>{len(main)}</td></tr>"
        )
    return table_html(
        "ot-cases", ("Case", "Patient (fictional)", "What happens", "Decision points"), rows, caption="The cases"
    )


def roles_overview(course: CourseData | None = None) -> TextAndHtml:
    """Each role's own questions across the journey, with what the role does there (sourced)."""
    course = course or load()
    text = ["What each role does at the decision points where the roles differ:"]
    rows = []
    for role in ROLES:
        text.append(f"{LENS_NAMES[role]}:")
        for case in journey(course):
            for point in case.points:
                lens_view = _lens_view(point, role)
                if lens_view is None:
                    continue
                text.append(_wrap(f"{case.fracture}, {point.title}: {cited_text(lens_view.focus)}", "  - ", "    "))
                rows.append(
                    f"<tr><th scope='row'>{html.escape(LENS_NAMES[role])}</th>"
                    f"<td>{html.escape(case.fracture)}: {html.escape(point.title)}</td>"
                    f"<td>{html.escape(lens_view.question)}</td><td>{cited_html(lens_view.focus)}</td></tr>"
                )
    table = table_html(
        "ot-roles",
        ("Role", "Decision point", "The role's own question", "What the role does (sources)"),
        rows,
        caption="Where the roles differ",
        font_size="0.95em",
    )
    return TextAndHtml("\n".join(text) + "\n", table)


def cases_overview(course: CourseData | None = None) -> TextAndHtml:
    """The cases as a table (HTML) and as text."""
    course = course or load()
    return TextAndHtml(journey_text(course), _cases_table_html(course))


def cases_static(course: CourseData) -> str:
    """Every case's decision points, for the whole team and each role, with the feedback on every
    option (what the case player can show, as a case book)."""
    parts = [journey_text(course)]
    for case in journey(course):
        for point in case.points:
            for lens in LENSES:
                if lens != "team" and _lens_view(point, lens) is None:
                    continue  # this role sees the shared question, already given for the team
                current = view(case, point.id, lens)
                parts.append(_point_text(case, current, None).rstrip())
                for option in current.options:
                    verdict = "best choice" if option.correct else "not the best choice"
                    parts.append(
                        _wrap(f"If you choose '{option.text}' ({verdict}): {cited_text(option.feedback)}", "  ")
                    )
    return "\n\n".join(parts) + "\n"


LESSON = Lesson(
    id="09_patient_cases",
    title="Patient cases: one fictional patient, three fractures",
    summary=(
        "A fictional woman's wrist, spine and hip fractures, decision by decision, seen as a nurse, "
        "a physiotherapist or a doctor, with sourced feedback on every choice."
    ),
    data_files=("cases", "pathways", "guidelines", "trials", "quiz"),
    tables={"cases": Case},
    widgets=(
        WidgetSpec(
            "CasePlayer",
            build=lambda course: CasePlayer(course),
            controls=lambda player: [player.case_dropdown, player.lens_dropdown, player.point_dropdown, player.choices],
            shows=_player_text,
            label="Case:",
            direct=_player_direct,
            text=cases_static,
        ),
    ),
    sources=source_keys,
)
