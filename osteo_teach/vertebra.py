"""Vertebral augmentation, step by step: a side view of a wedge-shaped vertebra.

:func:`draw_step` draws one step of vertebroplasty or balloon kyphoplasty (from
``data/procedure_steps.yaml``) into a figure: the collapsed front of the
vertebral body, the needle or drill, the balloon, the restored height and the
cement. The drawing is a schematic (illustrative, not to scale); the sourced
statement for each step is shown beside it. :class:`ProcedureStepper` is the
widget: "Procedure:" and "Step:" dropdowns (plus Previous/Next buttons) over one
:class:`~osteo_teach.widgets.FigurePanel`.

Taught in: ``notebooks/04_vertebral_augmentation.ipynb``.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from .cite import TextAndHtml, cited_html, cited_text
from .compare import comparison_widget
from .data import CourseData, load
from .lessons import Lesson, WidgetSpec
from .plots import SummarisedFigure, draw_new
from .records import Procedure, ProcedureStep
from .style import OKABE_ITO
from .widgets import FigurePanel, controls_row, dropdown

if TYPE_CHECKING:  # matplotlib is imported when a figure is drawn, not with the module
    from matplotlib.figure import Figure

__all__ = [
    "LESSON",
    "FACTS",
    "source_keys",
    "SCHEMATIC_NOTE",
    "steps_of",
    "procedures_with_steps",
    "steps_text",
    "draw_step",
    "step_figure",
    "step_summary",
    "all_steps",
    "ProcedureStepper",
    "balloon_step_only_in",
    "solution_exercise_1",
    "solution_exercise_2",
]

#: Printed on every drawing: the geometry is a teaching simplification.
SCHEMATIC_NOTE = "Illustrative schematic, not to scale: shapes and heights are not measurements."

# Schematic geometry (arbitrary units): the body spans x 0..50 (front..back).
_FRONT, _BACK = 0.0, 50.0
_HEIGHT = 30.0  # posterior (back) height of the body
_COLLAPSED = 15.0  # anterior height after collapse (a wedge)
_RESTORED = 26.0  # anterior height after the balloon
_DISC = 5.0
_NEIGHBOUR = 15.0

_BONE = OKABE_ITO["sky_blue"]
_CEMENT = OKABE_ITO["blue"]
_BALLOON = OKABE_ITO["orange"]
_TOOL = OKABE_ITO["vermillion"]
_RESTORE = OKABE_ITO["bluish_green"]
_INK = OKABE_ITO["black"]


def procedures_with_steps(data: CourseData | None = None) -> list[str]:
    """Ids of the procedures that have steps in ``data/procedure_steps.yaml``."""
    data = data or load()
    return list(dict.fromkeys(step.procedure for step in data.records(ProcedureStep)))


def steps_of(procedure_id: str, data: CourseData | None = None) -> list[ProcedureStep]:
    """The steps of one procedure, in order; an unknown id raises a clear KeyError."""
    data = data or load()
    known = procedures_with_steps(data)
    if procedure_id not in known:
        raise KeyError(f"unknown procedure id '{procedure_id}' for the stepper: expected one of {', '.join(known)}")
    steps = [s for s in data.records(ProcedureStep) if s.procedure == procedure_id]
    return sorted(steps, key=lambda s: s.order)


def steps_text(procedure_id: str, data: CourseData | None = None) -> str:
    """Every step of a procedure as numbered text with source keys (for printing)."""
    data = data or load()
    name = data.record(Procedure, procedure_id).name
    lines = [name.upper()]
    for step in steps_of(procedure_id, data):
        lines.append(f"{step.order}. {step.title}: {cited_text(step.description)}")
    return "\n".join(lines) + "\n"


def _body_outline(front_height: float) -> list[tuple[float, float]]:
    return [(_FRONT, 0.0), (_BACK, 0.0), (_BACK, _HEIGHT), (_FRONT, front_height)]


def _upper_endplate(x: float, front_height: float) -> float:
    """Height of the (sloping) upper endplate at position x."""
    return front_height + (_HEIGHT - front_height) * (x - _FRONT) / (_BACK - _FRONT)


def _describe(step: ProcedureStep) -> list[str]:
    shown = ["the collapsed front of the vertebral body" if step.height == "collapsed" else "the restored height"]
    if step.instrument == "needle":
        shown.append("a needle entering from the back")
    elif step.instrument == "drill":
        shown.append("a hand drill opening a channel into the bone")
    elif step.instrument == "cannula":
        shown.append("a working channel from the back")
    if step.balloon == "deflated":
        shown.append("a deflated balloon inside the body")
    elif step.balloon == "inflated":
        shown.append("an inflated balloon lifting the collapsed front")
    if step.cavity and step.cement == "none":
        shown.append("the empty cavity the balloon left")
    if step.cement == "filling":
        shown.append("cement being injected")
    elif step.cement == "set":
        shown.append("set cement inside the vertebra")
    return shown


def draw_step(figure: Figure, step: ProcedureStep, procedure_name: str, n_steps: int) -> str:
    """Draw one procedure step as a side view of a vertebra; return the summary sentence.

    Pure: builds everything on ``figure`` (benchmarks replay it on a fresh figure).
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Ellipse, FancyArrowPatch, Patch, Polygon

    ax = figure.add_subplot()
    restored = step.height == "restored"
    front = _RESTORED if restored else _COLLAPSED
    top = lambda x: _upper_endplate(x, front)  # noqa: E731

    # Neighbouring vertebrae, tilted by the wedge above, level below.
    lift = _DISC
    upper = [
        (_FRONT, top(_FRONT) + lift),
        (_BACK, top(_BACK) + lift),
        (_BACK, top(_BACK) + lift + _NEIGHBOUR),
        (_FRONT, top(_FRONT) + lift + _NEIGHBOUR),
    ]
    lower = [(_FRONT, -_DISC - _NEIGHBOUR), (_BACK, -_DISC - _NEIGHBOUR), (_BACK, -_DISC), (_FRONT, -_DISC)]
    for outline in (upper, lower):
        ax.add_patch(Polygon(outline, closed=True, facecolor=_BONE, alpha=0.25, edgecolor=_INK, linewidth=1))
    ax.text(
        _BACK / 2, top(_BACK / 2) + lift + _NEIGHBOUR / 2, "vertebra above", ha="center", va="center", fontsize="small"
    )
    ax.text(_BACK / 2, -_DISC - _NEIGHBOUR / 2, "vertebra below", ha="center", va="center", fontsize="small")

    # Back of the vertebra: pedicle and spinous process (schematic).
    ax.add_patch(
        Polygon(
            [(_BACK, 12), (_BACK + 14, 13), (_BACK + 30, 4), (_BACK + 34, 8), (_BACK + 16, 24), (_BACK, 24)],
            closed=True,
            facecolor=_BONE,
            alpha=0.45,
            edgecolor=_INK,
            linewidth=1.2,
        )
    )
    ax.text(_BACK + 20, 2, "back of the\nvertebra", ha="left", va="top", fontsize="small")

    # The fractured vertebral body (a wedge, or restored).
    ax.add_patch(Polygon(_body_outline(front), closed=True, facecolor=_BONE, alpha=0.6, edgecolor=_INK, linewidth=2.2))
    if restored:
        ax.plot([_FRONT, _BACK], [_COLLAPSED, _HEIGHT], color=_TOOL, linestyle=":", linewidth=2)
        ax.add_patch(
            FancyArrowPatch(
                (_FRONT + 3, _COLLAPSED),
                (_FRONT + 3, _RESTORED),
                arrowstyle="-|>",
                mutation_scale=18,
                color=_RESTORE,
                linewidth=2.5,
            )
        )
        ax.text(
            _FRONT - 2,
            (_COLLAPSED + _RESTORED) / 2,
            "height\nrestored",
            ha="right",
            va="center",
            color=_INK,
            fontsize="small",
        )
    else:
        ax.annotate(
            "front\ncollapsed",
            xy=(_FRONT + 1, _COLLAPSED),
            xytext=(_FRONT - 3, _COLLAPSED + 16),
            ha="right",
            va="center",
            fontsize="small",
            arrowprops={"arrowstyle": "->", "color": _INK},
        )

    # Instruments enter from the back, through the pedicle, towards the front third.
    entry, tip = (_BACK + 38, 26.0), (14.0, 11.0)
    if step.instrument == "needle":
        ax.plot([entry[0], tip[0]], [entry[1], tip[1]], color=_TOOL, linewidth=3, solid_capstyle="butt")
    elif step.instrument == "drill":
        ax.plot([entry[0], tip[0]], [entry[1], tip[1]], color=_TOOL, linewidth=6, solid_capstyle="butt")
        for k in range(6):  # the flutes of the drill near its tip
            x = tip[0] + 2 + 2.2 * k
            y = tip[1] + (x - tip[0]) * (entry[1] - tip[1]) / (entry[0] - tip[0])
            ax.plot([x - 0.8, x + 0.8], [y - 1.6, y + 1.6], color=_INK, linewidth=1.2)
    elif step.instrument == "cannula":
        stop = (_BACK - 12, tip[1] + (_BACK - 12 - tip[0]) * (entry[1] - tip[1]) / (entry[0] - tip[0]))
        ax.plot([entry[0], stop[0]], [entry[1], stop[1]], color=_TOOL, linewidth=4, solid_capstyle="butt")

    centre_x = 20.0
    mid = lambda h: h / 2  # noqa: E731
    if step.balloon == "deflated":
        ax.add_patch(Ellipse((centre_x + 4, 12.5), 14, 3.5, angle=8, facecolor=_BALLOON, edgecolor=_INK, linewidth=1.2))
    elif step.balloon == "inflated":
        ax.add_patch(
            Ellipse(
                (centre_x, mid(top(centre_x))), 26, top(centre_x) - 3, facecolor=_BALLOON, edgecolor=_INK, linewidth=1.5
            )
        )
    cavity_w, cavity_h = 24.0, top(centre_x) - 5
    if step.cavity:  # the cavity the balloon left; cement fills it below
        ax.add_patch(
            Ellipse(
                (centre_x, mid(top(centre_x))),
                cavity_w,
                cavity_h,
                facecolor="white",
                edgecolor=_INK,
                linestyle="--",
                linewidth=1.5,
            )
        )
    if step.cement != "none":
        fraction = 0.6 if step.cement == "filling" else 1.0
        if step.cavity:  # kyphoplasty: cement fills the cavity
            ax.add_patch(
                Ellipse(
                    (centre_x, mid(top(centre_x))),
                    cavity_w * fraction,
                    cavity_h * fraction,
                    facecolor=_CEMENT,
                    edgecolor=_INK,
                    linewidth=1.2,
                )
            )
        else:  # vertebroplasty: cement spreads through the collapsed bone
            for dx, dy, w, h in ((0, 0, 26, 9), (-8, 2, 13, 8), (9, -1, 15, 7), (4, 3, 12, 6)):
                ax.add_patch(
                    Ellipse(
                        (centre_x - 2 + dx * fraction, 7 + dy * fraction),
                        w * fraction,
                        h * fraction,
                        facecolor=_CEMENT,
                        edgecolor=_CEMENT,
                        linewidth=1,
                    )
                )

    handles = [
        Patch(facecolor=_BONE, alpha=0.6, edgecolor=_INK, label="bone (vertebral body)"),
        Line2D([], [], color=_TOOL, linewidth=4, label="needle / drill / channel"),
        Patch(facecolor=_BALLOON, edgecolor=_INK, label="balloon"),
        Patch(facecolor=_CEMENT, label="acrylic cement"),
        Patch(facecolor="white", edgecolor=_INK, linestyle="--", label="cavity left by the balloon"),
        Line2D([], [], color=_TOOL, linestyle=":", linewidth=2, label="collapsed outline"),
        Line2D([], [], color=_RESTORE, linewidth=2.5, marker=">", label="height restored"),
    ]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.set_xlim(-22, _BACK + 42)
    ax.set_ylim(-_DISC - _NEIGHBOUR - 1, _HEIGHT + _DISC + _NEIGHBOUR + 2)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    ax.set_xlabel("Front of the spine  <-  position (schematic units)  ->  back")
    ax.set_ylabel("Height (schematic units)")
    ax.set_title(f"{procedure_name}, step {step.order} of {n_steps}: {step.title}", loc="left")
    figure.text(0.01, 0.01, SCHEMATIC_NOTE, fontsize="small", style="italic", ha="left", va="bottom")
    return step_summary(step, procedure_name, n_steps)


def step_summary(step: ProcedureStep, procedure_name: str, n_steps: int) -> str:
    """The sentence that says what :func:`draw_step` draws for one step (no drawing needed)."""
    shown = _describe(step)
    listed = ", ".join(shown[:-1]) + " and " + shown[-1] if len(shown) > 1 else shown[0]
    return (
        f"Schematic side view of a wedge-shaped vertebra, {procedure_name.lower()} step "
        f"{step.order} of {n_steps} ({step.title.lower()}): it shows {listed}."
    )


def all_steps(data: CourseData | None = None) -> TextAndHtml:
    """Every step of every procedure the stepper shows: its sourced statement and its schematic's summary.

    The stepper's static twin (what a screen reader, a handout and GitHub's preview show).
    """
    data = data or load()
    lines: list[str] = []
    parts: list[str] = []
    for procedure_id in procedures_with_steps(data):
        name = data.record(Procedure, procedure_id).name
        steps = steps_of(procedure_id, data)
        lines.append(name.upper())
        items = []
        for step in steps:
            said = step_summary(step, name, len(steps))
            lines.append(f"{step.order}. {step.title}: {cited_text(step.description)}")
            lines.append(f"   Schematic: {said}")
            items.append(
                f"<li><strong>{html.escape(step.title)}:</strong> {cited_html(step.description)}"
                f"<br><em>Schematic:</em> {html.escape(said)}</li>"
            )
        lines.append("")
        parts.append(f"<h4>{html.escape(name)}</h4><ol>{''.join(items)}</ol>")
    return TextAndHtml("\n".join(lines).rstrip() + "\n", "".join(parts))


def step_figure(procedure_id: str, step_id: str | None = None, data: CourseData | None = None) -> SummarisedFigure:
    """One step as a static figure with its summary (default: the first step)."""
    data = data or load()
    steps = steps_of(procedure_id, data)
    step = _find_step(steps, procedure_id, step_id)
    name = data.record(Procedure, procedure_id).name
    return draw_new(draw_step, step, name, len(steps))


def _find_step(steps: list[ProcedureStep], procedure_id: str, step_id: str | None) -> ProcedureStep:
    if step_id is None:
        return steps[0]
    for step in steps:
        if step.id == step_id:
            return step
    raise KeyError(
        f"unknown step '{step_id}' for procedure '{procedure_id}': expected one of {', '.join(s.id for s in steps)}"
    )


class ProcedureStepper(widgets.VBox):
    """Walk through a procedure: "Procedure:" and "Step:" dropdowns, Previous/Next, one figure.

    Exposes what it shows: ``.text`` (the step's sourced statement), ``.png``,
    ``.summary`` and ``.error``.
    """

    def __init__(self, procedure_id: str = "vertebroplasty", data: CourseData | None = None) -> None:
        self.data = data or load()
        procedures = procedures_with_steps(self.data)
        if procedure_id not in procedures:
            procedure_id = procedures[0]
        self.procedure_dropdown = dropdown(
            "Procedure:",
            [(self.data.record(Procedure, p).name, p) for p in procedures],
            procedure_id,
        )
        first = steps_of(procedure_id, self.data)
        self.step_dropdown = dropdown("Step:", self._step_options(first), first[0].id)
        self.previous_button = widgets.Button(description="Previous step", icon="arrow-left")
        self.next_button = widgets.Button(description="Next step", icon="arrow-right")
        self.panel = FigurePanel()
        self.description = widgets.HTML()
        self.text = ""
        self._updating = False
        self.procedure_dropdown.observe(self._on_procedure, names="value")
        self.step_dropdown.observe(self._on_step, names="value")
        self.previous_button.on_click(lambda _: self._move(-1))
        self.next_button.on_click(lambda _: self._move(+1))
        super().__init__(
            [
                controls_row(self.procedure_dropdown, self.step_dropdown),
                widgets.HBox([self.previous_button, self.next_button]),
                self.description,
                self.panel.widget,
            ],
            layout=widgets.Layout(width="100%"),
        )
        self.show(procedure_id, first[0].id)

    @staticmethod
    def _step_options(steps: list[ProcedureStep]) -> list[tuple[str, str]]:
        return [(f"{s.order}. {s.title}", s.id) for s in steps]

    # What is shown, for tests and screen readers.
    @property
    def png(self) -> bytes:
        return self.panel.png

    @property
    def summary(self) -> str:
        return self.panel.summary

    @property
    def error(self) -> str | None:
        return self.panel.error

    def _on_procedure(self, change: dict) -> None:
        steps = steps_of(change["new"], self.data)
        self._updating = True
        try:
            self.step_dropdown.options = self._step_options(steps)
            self.step_dropdown.value = steps[0].id
        finally:
            self._updating = False
        self.show(change["new"], steps[0].id)

    def _on_step(self, change: dict) -> None:
        if not self._updating and change["new"] is not None:
            self.show(self.procedure_dropdown.value, change["new"])

    def _move(self, delta: int) -> None:
        ids = [value for _, value in self.step_dropdown.options]
        index = ids.index(self.step_dropdown.value) + delta
        if 0 <= index < len(ids):
            self.step_dropdown.value = ids[index]

    def show(self, procedure_id: str, step_id: str | None = None) -> None:
        """Draw one step; an unknown procedure or step shows a message, not a traceback."""
        try:
            steps = steps_of(procedure_id, self.data)
            step = _find_step(steps, procedure_id, step_id)
        except KeyError as exc:
            message = str(exc.args[0])
            self.text = ""
            self.description.value = ""
            self.panel.show_error(message)
            return
        statement = step.description
        self.text = f"{step.order}. {step.title}: {cited_text(statement)}"
        self.description.value = (
            f"<p style='font-size:1.1em'><strong>Step {step.order} of {len(steps)}: "
            f"{html.escape(step.title)}.</strong> {cited_html(statement)}</p>"
        )
        index = [s.id for s in steps].index(step.id)
        self.previous_button.disabled = index == 0
        self.next_button.disabled = index == len(steps) - 1
        self.panel.redraw(self._draw(procedure_id, step), key=(procedure_id, step.id))

    def _draw(self, procedure_id: str, step: ProcedureStep) -> Callable[[Figure], str]:
        steps = steps_of(procedure_id, self.data)
        name = self.data.record(Procedure, procedure_id).name
        return functools.partial(draw_step, step=step, procedure_name=name, n_steps=len(steps))

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """Shown in a notebook: draw every other step ahead, in the background."""
        self.panel.render_ahead(
            ((procedure_id, step.id), self._draw(procedure_id, step))
            for procedure_id in procedures_with_steps(self.data)
            for step in steps_of(procedure_id, self.data)
        )
        return super()._repr_mimebundle_(**kwargs)


# --- the lesson ------------------------------------------------------------------

#: The key facts notebook 04 prints.
FACTS = ("vcf_definition", "vcf_pain_course", "vcf_heals_in_months")

# --- exercises (each solution runs only when a student clicks "Show solution") -------


def balloon_step_only_in(procedure_id: str, other_id: str, data: CourseData | None = None) -> list[ProcedureStep]:
    """The steps of one procedure that use the balloon, which the other procedure never does."""
    data = data or load()
    other_uses_balloon = any(step.balloon != "none" for step in steps_of(other_id, data))
    return [] if other_uses_balloon else [step for step in steps_of(procedure_id, data) if step.balloon == "inflated"]


def solution_exercise_1(course: CourseData) -> str:
    """Exercise 1: the step of balloon kyphoplasty with no counterpart in vertebroplasty, and its source."""
    lines = []
    for step in balloon_step_only_in("balloon_kyphoplasty", "vertebroplasty", course):
        lines.append(f"Only in balloon kyphoplasty: step {step.order}, {step.title} (vertebroplasty uses no balloon).")
        lines.append(f"What it aims to do: {step.description.text}")
        lines.append(f"Sources: {', '.join(step.description.sources)}")
    return "\n".join(lines)


#: Exercise 2: the randomised trial's CT count of cement extravasation per treated level.
EXERCISE_2_NUMBER = ("ajnr_2014_kp_vs_vp", "ct_extravasation")


def solution_exercise_2(course: CourseData) -> str:
    """Exercise 2: extravasation per treated level in each arm, the absolute difference, and why it differs."""
    from .evidence import arm_percentages, risk_difference, trial_number

    ct = trial_number(*EXERCISE_2_NUMBER, course)
    kp, vp = arm_percentages(ct)
    return (
        f"Kyphoplasty {kp:.1f}% vs vertebroplasty {vp:.1f}% of treated levels; "
        f"absolute difference {risk_difference(ct):+.1f} percentage points ({ct.note}) [{', '.join(ct.sources)}]\n"
        "Different detection (CT of every level vs pooled studies) and a different unit "
        "(treated levels, not patients): the figures measure different things."
    )


#: The procedures compared in notebook 04.
PROCEDURES = ("vertebroplasty", "balloon_kyphoplasty")


def source_keys(course: CourseData) -> Iterable[str]:
    """Every source behind the lesson: the procedures, their steps and the facts printed."""
    keys = ["health_library_article"]
    for procedure_id in PROCEDURES:
        procedure = course.record(Procedure, procedure_id)
        keys += [k for statement in (procedure.summary, *procedure.aspects.values()) for k in statement.sources]
        keys += [k for step in steps_of(procedure_id, course) for k in step.description.sources]
    keys += course.fact_sources(FACTS)
    return dict.fromkeys(keys)


def _stepper_direct(stepper: Any) -> bytes:
    """The stepper's current picture, drawn afresh with the pure draw function."""
    from .plots import new_figure, render_png

    procedure_id, step_id = stepper.procedure_dropdown.value, stepper.step_dropdown.value
    steps = steps_of(procedure_id, stepper.data)
    step = _find_step(steps, procedure_id, step_id)
    figure = new_figure(*stepper.panel.figure.get_size_inches())
    draw_step(figure, step, stepper.data.record(Procedure, procedure_id).name, len(steps))
    return render_png(figure)


LESSON = Lesson(
    id="04_vertebral_augmentation",
    title="Vertebral compression fractures: vertebroplasty vs balloon kyphoplasty",
    summary=(
        "What a vertebral compression fracture is, how each procedure puts cement into the vertebra, "
        "step by step, and how they compare, cement leakage included."
    ),
    data_files=("procedures", "procedure_steps", "aspects", "comparisons", "key_facts", "trials"),
    widgets=(
        WidgetSpec(
            "ProcedureStepper",
            build=lambda course: ProcedureStepper(data=course),
            controls=lambda stepper: [stepper.procedure_dropdown, stepper.step_dropdown],
            shows=lambda stepper: stepper.png,
            label="Procedure:",
            draws_figure=True,
            direct=_stepper_direct,
            text=lambda course: all_steps(course),
            text_title="Every step of both procedures, as text, with what each schematic shows",
        ),
        comparison_widget("vertebral_augmentation"),
    ),
    sources=source_keys,
)
