"""A labelled schematic of the ways a reduced long-bone fracture is held.

Four panels on the same broken long bone: plate and screws, pins or wires, an
intramedullary rod (nail), and a cast or splint. Each panel says which reduction
it usually goes with and cites the statements in ``data/procedures.yaml`` that
name that hardware: a plate usually after open (anatomical) reduction
(Marsell & Einhorn 2011), a nail usually after closed reduction (AO Surgery
Reference, CRIF), a cast or splint after closed reduction (the article). The drawing itself is a
schematic: not to scale, and not a surgical technique.

Taught in: ``notebooks/02_fracture_reduction.ipynb``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .compare import comparison_text, comparison_widget
from .data import TIER_NAMES, CourseData, load
from .lessons import Lesson
from .plots import SummarisedFigure, draw_new
from .records import Procedure
from .style import OKABE_ITO

if TYPE_CHECKING:  # matplotlib is imported when a figure is drawn, not with the module
    from matplotlib.figure import Figure

__all__ = [
    "FixationOption",
    "FIXATION_OPTIONS",
    "FACTS",
    "LESSON",
    "option_sources",
    "draw_fixation",
    "fixation_schematic",
    "source_keys",
    "inside_the_body",
    "solution_exercise_1",
    "solution_exercise_2",
]


@dataclass(frozen=True)
class FixationOption:
    """One way of holding the bone; ``cited_by`` lists (procedure id, aspect id) statements naming it."""

    id: str
    title: str
    where: str
    cited_by: tuple[tuple[str, str], ...]


#: The four options drawn, in order. ``cited_by`` points at the statements in
#: data/procedures.yaml that name the hardware (their source keys are printed).
FIXATION_OPTIONS: tuple[FixationOption, ...] = (
    FixationOption(
        "plate",
        "Plate and screws",
        "On the bone, under the skin:\nusually after open reduction",
        (("open_reduction", "hardware"),),
    ),
    FixationOption(
        "pins", "Pins or wires", "Across the break:\nafter open reduction", (("open_reduction", "hardware"),)
    ),
    FixationOption(
        "rod",
        "Intramedullary rod (nail)",
        "Inside the bone's canal: usually after\nclosed reduction (opened only if that fails)",
        (("closed_reduction", "hardware"), ("open_reduction", "hardware")),
    ),
    FixationOption(
        "cast",
        "Cast or splint",
        "Outside the skin, no incision:\nclosed reduction",
        (("closed_reduction", "hardware"), ("closed_reduction", "what_is_done")),
    ),
)

#: Colours (Okabe-Ito only): bone, hardware, cast, skin, fracture line.
COLOURS = {
    "bone": OKABE_ITO["yellow"],
    "hardware": OKABE_ITO["blue"],
    "screw": OKABE_ITO["black"],
    "cast": OKABE_ITO["sky_blue"],
    "skin": OKABE_ITO["reddish_purple"],
    "break": OKABE_ITO["vermillion"],
}


def option_sources(option: FixationOption, data: CourseData | None = None) -> list[str]:
    """The source keys of the statements that name this option (resolved from data)."""
    data = data or load()
    keys: list[str] = []
    for procedure_id, aspect_id in option.cited_by:
        statement = data.record(Procedure, procedure_id).aspects[aspect_id]
        keys.extend(k for k in statement.sources if k not in keys)
    return keys


def _bone(ax: Any) -> None:
    """A long bone (shaft with wider ends), a limb outline around it, and a break in the middle."""
    from matplotlib.patches import FancyBboxPatch, Rectangle

    ax.add_patch(
        FancyBboxPatch(
            (0.6, 1.2),
            8.8,
            3.6,
            boxstyle="round,pad=0,rounding_size=1.6",
            facecolor=COLOURS["skin"],
            alpha=0.12,
            edgecolor=COLOURS["skin"],
            lw=1.5,
        )
    )
    for x in (0.9, 8.1):
        ax.add_patch(
            FancyBboxPatch(
                (x, 2.0),
                1.0,
                2.0,
                boxstyle="round,pad=0,rounding_size=0.45",
                facecolor=COLOURS["bone"],
                alpha=0.55,
                edgecolor=OKABE_ITO["black"],
                lw=1.2,
            )
        )
    ax.add_patch(
        Rectangle((1.6, 2.45), 6.8, 1.1, facecolor=COLOURS["bone"], alpha=0.55, edgecolor=OKABE_ITO["black"], lw=1.2)
    )
    xs = [4.85, 5.15, 4.9, 5.2, 4.95]
    ys = [2.35, 2.7, 3.0, 3.3, 3.65]
    ax.plot(xs, ys, color=COLOURS["break"], lw=2.5, solid_joinstyle="miter")


def _plate(ax: Any) -> None:
    from matplotlib.patches import Rectangle

    ax.add_patch(Rectangle((3.1, 3.55), 3.8, 0.28, facecolor=COLOURS["hardware"], edgecolor=OKABE_ITO["black"], lw=1))
    for x in (3.4, 4.1, 5.9, 6.6):
        ax.plot([x, x], [3.83, 2.35], color=COLOURS["screw"], lw=2.5)
        ax.plot([x - 0.15, x + 0.15], [3.9, 3.9], color=COLOURS["screw"], lw=3)


def _pins(ax: Any) -> None:
    for (x0, y0), (x1, y1) in (((3.2, 4.9), (6.4, 2.1)), ((6.8, 4.9), (3.6, 2.1))):
        ax.plot([x0, x1], [y0, y1], color=COLOURS["hardware"], lw=2.5)
        ax.plot([x0], [y0], marker="o", ms=5, color=COLOURS["hardware"])


def _rod(ax: Any) -> None:
    from matplotlib.patches import Rectangle

    ax.add_patch(Rectangle((1.2, 2.83), 7.4, 0.34, facecolor=COLOURS["hardware"], edgecolor=OKABE_ITO["black"], lw=1))
    for x in (2.0, 7.9):
        ax.plot([x, x], [2.3, 3.7], color=COLOURS["screw"], lw=2.5)


def _cast(ax: Any) -> None:
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(
        FancyBboxPatch(
            (1.6, 0.8),
            6.8,
            4.4,
            boxstyle="round,pad=0,rounding_size=0.8",
            facecolor=COLOURS["cast"],
            alpha=0.35,
            edgecolor=COLOURS["cast"],
            lw=2,
            hatch="..",
        )
    )


_DRAW = {"plate": _plate, "pins": _pins, "rod": _rod, "cast": _cast}


def draw_fixation(figure: Figure, data: CourseData | None = None) -> str:
    """Draw the four fixation options on the same broken long bone; return the summary."""
    data = data or load()
    axes = figure.subplots(2, 2).ravel()
    for ax, option in zip(axes, FIXATION_OPTIONS, strict=False):
        if option.id == "cast":
            _cast(ax)
        _bone(ax)
        if option.id != "cast":
            _DRAW[option.id](ax)
        ax.set_xlim(0, 10)
        ax.set_ylim(-2.0, 5.3)
        ax.axis("off")
        ax.set_title(option.title, fontweight="bold")
        sources = ", ".join(option_sources(option, data))
        ax.text(5, 0.6, option.where, ha="center", va="top", fontsize="small")
        ax.text(5, -1.3, f"Sources: {sources}", ha="center", va="top", fontsize="x-small")
    figure.suptitle("Holding a reduced long-bone fracture (schematic, not to scale)")
    figure.text(
        0.5,
        -0.01,
        "Purple outline: skin. Yellow: bone. Red-orange zigzag: the break. Blue: hardware or cast.",
        ha="center",
        va="bottom",
        fontsize="small",
    )
    names = ", ".join(o.title.lower() for o in FIXATION_OPTIONS)
    return (
        f"Schematic of a broken long bone held four ways ({names}): a plate and pins sit inside "
        f"the body after open reduction, an intramedullary nail usually goes in after closed "
        f"reduction, and a cast or splint holds the bone from outside without an incision."
    )


def fixation_schematic(data: CourseData | None = None) -> SummarisedFigure:
    """The fixation schematic as a figure with its summary (displays in a notebook)."""
    import matplotlib as mpl

    width, _ = mpl.rcParams["figure.figsize"]
    return draw_new(draw_fixation, data, width=width, height=width * 0.72)


# --- the lesson ------------------------------------------------------------------

#: The key facts notebook 02 prints.
FACTS = ("check_xray", "open_fracture_definition")

#: The procedures compared in notebook 02.
PROCEDURES = ("open_reduction", "closed_reduction")


def source_keys(course: CourseData) -> Iterable[str]:
    """Every source behind the comparison, the schematic and the facts the lesson prints."""
    keys = [
        key
        for procedure_id in PROCEDURES
        for statement in (
            course.record(Procedure, procedure_id).summary,
            *course.record(Procedure, procedure_id).aspects.values(),
        )
        for key in statement.sources
    ]
    keys += [key for option in FIXATION_OPTIONS for key in option_sources(option, course)]
    keys += course.fact_sources(FACTS)
    return dict.fromkeys(keys)


# --- exercises (each solution runs only when a student clicks "Show solution") -------

#: The closed-reduction statements exercise 1 asks about.
EXERCISE_1_ASPECTS = ("access", "risks")


def inside_the_body(options: Iterable[FixationOption] = FIXATION_OPTIONS) -> list[str]:
    """The fixation options that leave hardware inside the body (all but the cast or splint)."""
    return [option.id for option in options if option.id != "cast"]


def solution_exercise_1(course: CourseData) -> str:
    """Exercise 1: why closed reduction carries less risk of infection, what it risks instead, the sources."""
    parts = [comparison_text("fracture_reduction", aspect, course) for aspect in EXERCISE_1_ASPECTS]
    closed = course.record(Procedure, "closed_reduction")
    keys = dict.fromkeys(key for aspect in EXERCISE_1_ASPECTS for key in closed.aspects[aspect].sources)
    tiers = [f"{key} (tier {course.source(key).tier}: {TIER_NAMES[course.source(key).tier]})" for key in keys]
    parts.append(
        "Answer: no incision means no surgical wound to infect; the trade-off is that a bone that is not "
        "reset correctly heals in its deformed position.\n"
        f"The closed-reduction statements rest on: {'; '.join(tiers)}. Patient information (tier C) may "
        "word a statement but is never the only source of a number."
    )
    return "\n".join(parts)


def solution_exercise_2(course: CourseData) -> str:
    """Exercise 2: which options leave hardware inside the body, which hold from outside, and the nail."""
    lines = [f"{option.title}: {option.where.replace(chr(10), ' ')}" for option in FIXATION_OPTIONS]
    inside = [o.title for o in FIXATION_OPTIONS if o.id in inside_the_body()]
    outside = [o.title for o in FIXATION_OPTIONS if o.id not in inside_the_body()]
    rod = next(o for o in FIXATION_OPTIONS if o.id == "rod")
    lines += [
        "",
        f"Inside the body: {', '.join(inside)}. From outside: {', '.join(outside)}.",
        f"Inside the bone although it usually follows a closed reduction: {rod.title} "
        f"[{', '.join(option_sources(rod, course))}].",
    ]
    return "\n".join(lines)


LESSON = Lesson(
    id="02_fracture_reduction",
    title="Fracture reduction: open vs closed",
    summary=(
        "Putting the bone back in line with or without an incision, what holds it (plate, pins, nail, "
        "cast), immobilisation, the check x-ray and the risks of each."
    ),
    data_files=("procedures", "aspects", "comparisons", "key_facts"),
    widgets=(comparison_widget("fracture_reduction"),),
    sources=source_keys,
)
