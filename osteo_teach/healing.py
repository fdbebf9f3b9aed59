"""Fracture healing over time: the healing phases, healing time by site, and the
factors that slow healing.

Everything drawn comes from ``data/`` (healing_phases, fracture_sites,
healing_factors, key_facts). The timeline explorer, which draws a site's
treatment pathway over these phases, lives in :mod:`osteo_teach.timeline`.

Draw functions are pure: ``draw_*(figure, ...)`` builds everything on the
figure passed in and returns the one-sentence summary, so widgets can redraw
one figure in place and benchmarks can replay a draw on a fresh figure.

Taught in: ``notebooks/03_healing_timelines.ipynb``.
"""

from __future__ import annotations

import html
import textwrap
from typing import TYPE_CHECKING, Any

from .cite import TextAndHtml, cited_html, cited_text, table_html
from .data import CourseData, format_reported, iter_cited, load
from .lessons import Lesson, WidgetSpec
from .plots import SummarisedFigure, draw_new, legend_below
from .records import FractureSite, HealingFactor, HealingPhase, KeyFact, Pathway
from .style import OKABE_ITO

if TYPE_CHECKING:  # matplotlib is imported when a figure is drawn, not with the module
    from matplotlib.figure import Figure

__all__ = [
    "PHASE_COLOURS",
    "REFERENCE_FACT",
    "phases_in_order",
    "draw_phase_row",
    "reference_line",
    "draw_phases",
    "phase_timeline",
    "phases_text",
    "source_keys",
    "draw_site_chart",
    "site_healing_chart",
    "factors_table_text",
    "factors_table_html",
    "FactorsTable",
    "factors_table",
    "FACTS",
    "pathways_at",
    "has_immobilisation",
    "illustrative_steps",
    "earliest_start_gap",
    "solution_exercise_1",
    "solution_exercise_2",
    "LESSON",
]

#: One colour per healing phase (warm = early, cool = late), all Okabe-Ito.
PHASE_COLOURS: dict[str, str] = {
    "inflammation": OKABE_ITO["vermillion"],
    "soft_callus": OKABE_ITO["orange"],
    "hard_callus": OKABE_ITO["sky_blue"],
    "remodelling": OKABE_ITO["bluish_green"],
}
_FALLBACK_PHASE_COLOURS = [OKABE_ITO[c] for c in ("reddish_purple", "blue", "yellow")]

#: Colours of the site chart and the reference line.
SITE_COLOURS: dict[str, str] = {
    "site": OKABE_ITO["blue"],
    "study": OKABE_ITO["orange"],
    "reference": OKABE_ITO["black"],
}

#: The key fact drawn as the reference line ("about 6 weeks for most bones").
REFERENCE_FACT = "most_bones_heal_in_6_weeks"

#: The other key facts the lesson prints.
FACTS = ("phases_differ_between_sources", "nonunion_by_bone")


def _weeks(low: float, high: float) -> str:
    """``6-8 weeks`` or ``6 weeks``."""
    return f"{low:g} weeks" if low == high else f"{low:g}-{high:g} weeks"


def phases_in_order(data: CourseData) -> list[HealingPhase]:
    """The healing phases, first to last."""
    return sorted(data.records(HealingPhase), key=lambda p: p.order)


def _phase_colour(phase: HealingPhase, index: int) -> str:
    return PHASE_COLOURS.get(phase.id, _FALLBACK_PHASE_COLOURS[index % len(_FALLBACK_PHASE_COLOURS)])


def draw_phase_row(ax, y: float, phase: HealingPhase, index: int, x_end: float) -> None:
    """One phase as a bar at height ``y``, in its colour (shared with the timeline explorer)."""
    _fuzzy_bar(ax, y, phase, _phase_colour(phase, index), x_end)


def _fuzzy_bar(ax, y: float, phase: HealingPhase, colour: str, x_end: float, height: float = 0.6) -> None:
    """A phase as a bar whose uncertain start and end fade in and out."""
    from matplotlib.patches import Rectangle

    start_lo, start_hi = phase.starts.min, phase.starts.max
    if phase.ends is None:
        end_lo = end_hi = x_end
    else:
        end_lo, end_hi = phase.ends.min, phase.ends.max
    core_lo, core_hi = start_hi, max(start_hi, end_lo)
    bottom = y - height / 2
    if core_hi > core_lo:
        ax.add_patch(Rectangle((core_lo, bottom), core_hi - core_lo, height, color=colour, alpha=0.9, lw=0))
    fading_strip(ax, start_lo, start_hi, bottom, height, colour, rising=True)
    fading_strip(ax, end_lo, end_hi, bottom, height, colour, rising=False)


def fading_strip(
    ax, low: float, high: float, bottom: float, height: float, colour: str, rising: bool, steps: int = 12
) -> None:
    """A time that lies somewhere between ``low`` and ``high``: ``steps`` bands fading in (or out).

    One collection of bands rather than a patch each: a timeline draws a dozen such
    edges, and a collection is a fraction of the drawing time of its patches.
    """
    from matplotlib.collections import PolyCollection
    from matplotlib.colors import to_rgb

    if high <= low:
        return
    width = (high - low) / steps
    red, green, blue = to_rgb(colour)
    bands, colours = [], []
    for i in range(steps):
        fraction = (i + 0.5) / steps
        left, top = low + i * width, bottom + height
        bands.append([(left, bottom), (left + width, bottom), (left + width, top), (left, top)])
        colours.append((red, green, blue, 0.9 * (fraction if rising else 1 - fraction)))
    ax.add_collection(PolyCollection(bands, facecolors=colours, linewidths=0))


def _phase_label(phase: HealingPhase) -> str:
    start = _weeks(phase.starts.min, phase.starts.max).replace(" weeks", "")
    if phase.ends is None:
        return f"from week {start}, for months to years"
    end = _weeks(phase.ends.min, phase.ends.max).replace(" weeks", "")
    return f"week {start} to {end}"


def reference_line(ax, weeks: float, y_top: float) -> None:
    """The dashed "most bones: about N weeks" line every healing figure shares."""
    ax.axvline(weeks, color=SITE_COLOURS["reference"], ls="--", lw=1.5, zorder=5)
    ax.text(
        weeks,
        y_top,
        f" most bones: about {weeks:g} weeks",
        ha="left",
        va="bottom",
        fontsize="small",
        color=SITE_COLOURS["reference"],
    )


def _reference_weeks(data: CourseData) -> float:
    return float(data.record(KeyFact, REFERENCE_FACT).value or 0)


def draw_phases(figure: Figure, data: CourseData | None = None) -> str:
    """Draw the healing phases as overlapping windows with fuzzy edges; return the summary."""
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    data = data or load()
    phases = phases_in_order(data)
    ax = figure.add_subplot()
    x_end = max([16.0] + [p.starts.max * 1.6 for p in phases] + [p.ends.max * 1.4 for p in phases if p.ends])
    for row, phase in enumerate(phases):
        y = len(phases) - 1 - row
        _fuzzy_bar(ax, y, phase, _phase_colour(phase, row), x_end)
        ax.text(phase.starts.min + 0.1, y + 0.34, _phase_label(phase), ha="left", va="bottom", fontsize="small")
    ax.set_yticks(range(len(phases)), [p.name for p in reversed(phases)])
    ax.set_xlim(0, x_end)
    ax.set_ylim(-0.6, len(phases) - 0.05)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(axis="y", visible=False)
    reference = _reference_weeks(data)
    reference_line(ax, reference, len(phases) - 0.35)
    ax.set_xlabel("Time after the fracture (weeks)")
    ax.set_ylabel("Healing phase")
    ax.set_title("Bone healing phases overlap (approximate windows)")
    legend_below(ax, [Patch(color=PHASE_COLOURS["soft_callus"], alpha=0.35, label="faded edge: start or end varies")])
    names = ", ".join(p.name.lower() for p in phases)
    return (
        f"The {len(phases)} healing phases ({names}) overlap: each starts and ends within a "
        f"range of weeks (faded edges), and the last continues for months to years; the dashed "
        f"line marks the about-{reference:g}-weeks figure for most bones."
    )


def phase_timeline(data: CourseData | None = None) -> SummarisedFigure:
    """The healing-phase timeline as a figure with its summary (displays in a notebook)."""
    return draw_new(draw_phases, data)


def phases_text(data: CourseData | None = None, width: int = 88) -> str:
    """Each healing phase with its approximate window and cited description, as plain text.

    The heading says the windows are approximate, so the text alone (without the figure's
    title) does not read as exact week boundaries.
    """
    data = data or load()
    lines: list[str] = ["Approximate windows (sources differ; phases overlap):"]
    for phase in phases_in_order(data):
        lines.append(f"{phase.order}. {phase.name.upper()} ({_phase_label(phase)})")
        lines.append(
            textwrap.fill(cited_text(phase.description), width=width, initial_indent="   ", subsequent_indent="   ")
        )
    return "\n".join(lines) + "\n"


def source_keys(data: CourseData | None = None, facts: tuple[str, ...] = ()) -> list[str]:
    """Every source key behind this module's figures and tables (plus the key facts named).

    Used for a notebook's reading list, so the list cannot drift from what is shown.
    """
    data = data or load()
    shown = [
        *data.records(HealingPhase),
        *data.records(FractureSite),
        *data.records(Pathway),
        *data.records(HealingFactor),
        *(data.record(KeyFact, f) for f in (REFERENCE_FACT, *facts)),
    ]
    return list(dict.fromkeys(key for cited in iter_cited(shown) for key in cited.sources))


def _is_study(site: FractureSite) -> bool:
    return (site.qualifier or "").startswith("study")


def draw_site_chart(figure: Figure, data: CourseData | None = None) -> str:
    """Typical healing time by fracture site as ranges; return the summary.

    Sites without a healing time from a primary study, guideline or review are
    left out (and named in the summary): a chart cannot draw a range no such
    source gives.
    """
    from matplotlib.patches import Patch

    data = data or load()
    all_sites = data.records(FractureSite)
    unsourced = [s for s in all_sites if s.healing_weeks is None]
    drawn = sorted(
        ((s, s.healing_weeks) for s in all_sites if s.healing_weeks is not None),
        key=lambda pair: (pair[1].min, pair[1].max),
        reverse=True,
    )
    ax = figure.add_subplot()
    x_end = max(weeks.max for _, weeks in drawn) * 1.25
    for y, (site, weeks) in enumerate(drawn):
        colour = SITE_COLOURS["study"] if _is_study(site) else SITE_COLOURS["site"]
        low, high = weeks.min, weeks.max
        if high > low:
            ax.barh(y, high - low, left=low, height=0.55, color=colour, alpha=0.85)
        else:
            ax.plot([low], [y], marker="D", ms=10, color=colour, ls="none")
        if site.central_weeks is not None and high > low:
            ax.plot([site.central_weeks], [y], marker="o", ms=7, color=OKABE_ITO["black"], ls="none")
        ax.text(high + x_end * 0.015, y, f"{_weeks(low, high)} ({site.qualifier})", va="center", fontsize="small")
    ax.set_yticks(range(len(drawn)), [site.name for site, _ in drawn])
    ax.set_xlim(0, x_end)
    ax.set_ylim(-0.7, len(drawn))
    ax.grid(axis="y", visible=False)
    reference = _reference_weeks(data)
    reference_line(ax, reference, len(drawn) - 0.55)
    ax.set_xlabel("Time after the fracture (weeks)")
    ax.set_ylabel("Fracture site")
    ax.set_title("Healing time by fracture site (typical ranges, weeks)")
    legend_below(
        ax,
        [
            Patch(color=SITE_COLOURS["site"], label="typical / approximate (guideline, textbook)"),
            Patch(color=SITE_COLOURS["study"], label="result of one study"),
            ax.plot([], [], marker="o", color=OKABE_ITO["black"], ls="none", label="study mean")[0],
        ],
        ncol=3,
    )
    fastest = min(drawn, key=lambda pair: pair[1].min)
    slowest = max(drawn, key=lambda pair: pair[1].max)
    studies = sum(_is_study(site) for site, _ in drawn)
    left_out = (
        f" Not drawn, because no primary study, guideline or review gives their healing time: "
        f"{', '.join(s.name.lower() for s in unsourced)}."
        if unsourced
        else ""
    )
    return (
        f"Healing times differ by site, from about {fastest[1].min:g} weeks "
        f"({fastest[0].name.lower()}) to up to {slowest[1].max:g} weeks "
        f"({slowest[0].name.lower()}); {studies} of the {len(drawn)} ranges are the result of a single "
        f"study, the others typical or approximate ranges, each saying what it measures; the dashed "
        f"line marks about {reference:g} weeks for most bones." + left_out
    )


def site_healing_chart(data: CourseData | None = None) -> SummarisedFigure:
    """Healing time by site as a figure with its summary (displays in a notebook)."""
    return draw_new(draw_site_chart, data)


# --- Factors that slow healing ----------------------------------------------------


def _factors(data: CourseData) -> list[HealingFactor]:
    return data.records(HealingFactor)


def _estimate(factor: HealingFactor) -> str:
    text = format_reported(factor.value, factor.decimals)
    if factor.ci is not None:
        level = f"{factor.ci.level:g}% CI " if factor.ci.level is not None else "CI "
        text += f" ({level}{factor.ci.low:g} to {factor.ci.high:g})"
    return text


def factors_table_text(data: CourseData | None = None, width: int = 88) -> str:
    """The factors that slow healing, one block per reported estimate, with sources."""
    data = data or load()
    lines: list[str] = []
    for factor in _factors(data):
        lines.append(f"{factor.factor.upper()}: {factor.measure} {_estimate(factor)}")
        for label, value in (("Outcome", factor.outcome), ("People", factor.population)):
            lines.append(textwrap.fill(f"{label}: {value}", width=width, initial_indent="  ", subsequent_indent="    "))
        lines.append(f"  Sources: {', '.join(factor.statement.sources)}")
        if factor.caveat is not None:
            lines.append(
                textwrap.fill(
                    "Caveat: " + cited_text(factor.caveat), width=width, initial_indent="  ", subsequent_indent="    "
                )
            )
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def factors_table_html(data: CourseData | None = None) -> str:
    """The factors table as HTML (factor, estimate, outcome, people, sources, caveat)."""
    data = data or load()
    rows = []
    for factor in _factors(data):
        caveat = f"<br><em>Caveat:</em> {cited_html(factor.caveat)}" if factor.caveat else ""
        rows.append(
            f"<tr><th scope='row'>{html.escape(factor.factor)}</th>"
            f"<td>{html.escape(factor.measure)}: <strong>{html.escape(_estimate(factor))}</strong></td>"
            f"<td>{html.escape(factor.outcome)}</td><td>{html.escape(factor.population)}{caveat}</td>"
            f"<td>{html.escape(', '.join(factor.statement.sources))}</td></tr>"
        )
    return table_html(
        "ot-factors",
        ("Factor", "Estimate", "Outcome", "People studied", "Sources"),
        rows,
        caption="Factors that slow fracture healing",
    )


#: Kept for notebooks that name it: a table that shows HTML and prints as text.
FactorsTable = TextAndHtml


def factors_table(data: CourseData | None = None) -> TextAndHtml:
    """The factors that slow healing, as an object that shows HTML in a notebook."""
    return TextAndHtml(factors_table_text(data), factors_table_html(data))


# --- exercises (each solution runs only when a student clicks "Show solution") -------

#: The sites exercise 1 asks about, and the healing factors exercise 2 sets side by side.
EXERCISE_1_SITES = ("ankle", "hip")
EXERCISE_2_FACTORS = ("osteoporosis_quan", "smoking_meta_analysis")


def pathways_at(site_id: str, data: CourseData | None = None) -> list[Pathway]:
    """The treatment pathways recorded for one fracture site, in file order."""
    data = data or load()
    return [pathway for pathway in data.records(Pathway) if pathway.site == site_id]


def has_immobilisation(pathway: Pathway) -> bool:
    """Whether a pathway holds the bone in a cast, splint or sling (an immobilisation step)."""
    return any(step.kind == "immobilisation" for step in pathway.steps)


def illustrative_steps(pathway: Pathway) -> list[str]:
    """The labels of the steps whose timing no source gives (drawn as illustrative)."""
    return [step.label for step in pathway.steps if step.timing.illustrative]


def earliest_start_gap(first: str, second: str, data: CourseData | None = None) -> float:
    """Weeks from the earliest start of one healing phase to the earliest start of another."""
    data = data or load()
    phases = {phase.id: phase for phase in phases_in_order(data)}
    return phases[second].starts.min - phases[first].starts.min


def solution_exercise_1(course: CourseData) -> str:
    """Exercise 1: the ankle's and the hip's treatment pathways, step by step, sourced or illustrative."""
    lines: list[str] = []
    for site in EXERCISE_1_SITES:
        for pathway in pathways_at(site, course):
            lines.append(f"{pathway.name} ({pathway.site})")
            for step in pathway.steps:
                flag = "illustrative" if step.timing.illustrative else "sourced: " + ", ".join(step.timing.sources)
                lines.append(f"  - {step.label}: {step.starts.describe()} [{flag}]")
            lines.append("")
    hip = pathways_at("hip", course)
    casts = [p.name for p in hip if has_immobilisation(p)]
    surgery = next(step for step in hip[0].steps if step.kind == "surgery")
    mobilise = next(step for step in hip[0].steps if step.kind == "mobilisation")
    lines.append(
        f"Hip pathways with a cast or splint: {', '.join(casts) or 'none'} (of {len(hip)} in the data). "
        f"Surgery: {cited_text(surgery.timing)} Mobilisation: {cited_text(mobilise.timing)}"
    )
    return "\n".join(lines)


def solution_exercise_2(course: CourseData) -> str:
    """Exercise 2: why "osteoporosis slows healing more than smoking" does not follow from the table."""
    lines = []
    factors = [course.record(HealingFactor, record_id) for record_id in EXERCISE_2_FACTORS]
    for factor in factors:
        lines.append(f"{factor.factor}: {factor.measure}, outcome: {factor.outcome}; people: {factor.population}")
    for factor in factors:
        if factor.caveat is not None:
            lines.append(f"Caveat ({factor.factor.lower()}): {cited_text(factor.caveat)}")
    lines.append(
        "Different studies, measures, outcomes and people: the numbers cannot be ranked directly, "
        "so the table does not show that one factor slows healing more than the other."
    )
    return "\n".join(lines)


# --- the lesson ------------------------------------------------------------------


def _timeline_explorer(course: CourseData) -> Any:
    from .timeline import TimelineExplorer

    return TimelineExplorer(data=course)


def _all_timelines(course: CourseData) -> TextAndHtml:
    from .timeline import all_timelines

    return all_timelines(course)


def _timeline_direct(explorer: Any) -> bytes:
    """The explorer's current picture, drawn afresh with the pure draw function."""
    from .plots import new_figure, render_png
    from .timeline import draw_timeline

    figure = new_figure(*explorer.panel.figure.get_size_inches())
    draw_timeline(figure, explorer.site_dropdown.value, explorer.pathway_dropdown.value, explorer.data)
    return render_png(figure)


LESSON = Lesson(
    id="03_healing_timelines",
    title="Healing timelines",
    summary=(
        "How bone heals in overlapping phases, how long each site takes, what happens after each "
        "treatment that exists for a site, and what slows healing."
    ),
    data_files=("healing_phases", "fracture_sites", "pathways", "healing_factors", "key_facts"),
    widgets=(
        WidgetSpec(
            "TimelineExplorer",
            build=_timeline_explorer,
            controls=lambda explorer: [explorer.site_dropdown, explorer.pathway_dropdown],
            shows=lambda explorer: explorer.png,
            label="Fracture site:",
            draws_figure=True,
            direct=_timeline_direct,
            text=lambda course: _all_timelines(course),
            text_title="Every site and treatment the explorer can draw, as text, with sources",
        ),
    ),
    sources=lambda course: source_keys(course, facts=FACTS),
)
