"""Fracture healing over time: phases, site-by-site healing times, the timeline
explorer, and the factors that slow healing.

Everything drawn comes from ``data/`` (healing_phases, fracture_sites,
timeline_steps, healing_factors, key_facts). Steps whose timing no source gives
(when the check x-ray is taken, when physiotherapy starts, how long a limb is
immobilised after open reduction) are held in data as ``illustrative`` and are
drawn hatched and labelled "illustrative", never as fact.

Draw functions are pure: ``draw_*(figure, ...)`` builds everything on the
figure passed in and returns the one-sentence summary, so widgets can redraw
one figure in place and benchmarks can replay a draw on a fresh figure.

Taught in: ``notebooks/03_healing_timelines.ipynb``.
"""

from __future__ import annotations

import functools
import html
import math
import textwrap
from dataclasses import dataclass

import ipywidgets as widgets
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import MaxNLocator

from .compare import styled_table
from .data import CourseData, format_reported, load
from .plots import SummarisedFigure, draw_new
from .records import FractureSite, HealingFactor, HealingPhase, Procedure, SourcedText, TimelineStep
from .style import OKABE_ITO
from .widgets import FigurePanel, controls_row, dropdown

__all__ = [
    "PHASE_COLOURS",
    "REFERENCE_FACT",
    "REDUCTIONS",
    "PlannedStep",
    "Timeline",
    "draw_phases",
    "phase_timeline",
    "phases_text",
    "source_keys",
    "draw_site_chart",
    "site_healing_chart",
    "resolve_timeline",
    "draw_timeline",
    "timeline_text",
    "TimelineExplorer",
    "factors_table_text",
    "factors_table_html",
    "FactorsTable",
    "factors_table",
]

#: One colour per healing phase (warm = early, cool = late), all Okabe-Ito.
PHASE_COLOURS: dict[str, str] = {
    "inflammation": OKABE_ITO["vermillion"],
    "soft_callus": OKABE_ITO["orange"],
    "hard_callus": OKABE_ITO["sky_blue"],
    "remodelling": OKABE_ITO["bluish_green"],
}
_FALLBACK_PHASE_COLOURS = [OKABE_ITO[c] for c in ("reddish_purple", "blue", "yellow")]

#: Colours of the timeline explorer's other rows.
STEP_COLOURS: dict[str, str] = {
    "immobilisation": OKABE_ITO["reddish_purple"],
    "check_xray": OKABE_ITO["black"],
    "physiotherapy": OKABE_ITO["blue"],
    "site": OKABE_ITO["blue"],
    "study": OKABE_ITO["orange"],
    "reference": OKABE_ITO["black"],
}

#: The key fact drawn as the reference line ("about 6 weeks for most bones").
REFERENCE_FACT = "most_bones_heal_in_6_weeks"

#: The reduction types the timeline explorer offers (procedure ids).
REDUCTIONS = ("open_reduction", "closed_reduction")

#: A white backing so labels stay readable where they cross grid or reference lines.
_TEXT_BOX = {"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1.5}

#: Hatch pattern for illustrative (unsourced) timings.
ILLUSTRATIVE_HATCH = "///"


def _weeks(low: float, high: float) -> str:
    """``6-8 weeks`` or ``6 weeks``."""
    return f"{low:g} weeks" if low == high else f"{low:g}-{high:g} weeks"


def _phases(data: CourseData) -> list[HealingPhase]:
    return sorted(data.table("healing_phases").values(), key=lambda p: p.order)  # type: ignore[attr-defined]


def _phase_colour(phase: HealingPhase, index: int) -> str:
    return PHASE_COLOURS.get(phase.id, _FALLBACK_PHASE_COLOURS[index % len(_FALLBACK_PHASE_COLOURS)])


def _fuzzy_bar(ax, y: float, phase: HealingPhase, colour: str, x_end: float, height: float = 0.6) -> None:
    """A phase as a bar whose uncertain start and end fade in and out."""
    start_lo, start_hi = phase.starts.min, phase.starts.max
    if phase.ends is None:
        end_lo = end_hi = x_end
    else:
        end_lo, end_hi = phase.ends.min, phase.ends.max
    core_lo, core_hi = start_hi, max(start_hi, end_lo)
    bottom = y - height / 2
    if core_hi > core_lo:
        ax.add_patch(Rectangle((core_lo, bottom), core_hi - core_lo, height, color=colour, alpha=0.9, lw=0))
    steps = 12
    for lo, hi, rising in ((start_lo, start_hi, True), (end_lo, end_hi, False)):
        if hi <= lo:
            continue
        width = (hi - lo) / steps
        for i in range(steps):
            fraction = (i + 0.5) / steps
            alpha = 0.9 * (fraction if rising else 1 - fraction)
            ax.add_patch(Rectangle((lo + i * width, bottom), width, height, color=colour, alpha=alpha, lw=0))


def _phase_label(phase: HealingPhase) -> str:
    start = _weeks(phase.starts.min, phase.starts.max).replace(" weeks", "")
    if phase.ends is None:
        return f"from week {start}, for months to years"
    end = _weeks(phase.ends.min, phase.ends.max).replace(" weeks", "")
    return f"week {start} to {end}"


def _legend_below(ax, handles: list, ncol: int = 1, offset: float = -0.15):
    """A frameless legend centred under the x-axis label (the course's figures share it)."""
    return ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, offset), ncol=ncol,
                     fontsize="small", frameon=False)


def _reference_line(ax, data: CourseData, y_top: float) -> float:
    fact = data.get("key_facts", REFERENCE_FACT)
    weeks = float(fact.value)  # type: ignore[attr-defined]
    ax.axvline(weeks, color=STEP_COLOURS["reference"], ls="--", lw=1.5, zorder=5)
    ax.text(
        weeks,
        y_top,
        f" most bones: about {weeks:g} weeks",
        ha="left",
        va="bottom",
        fontsize="small",
        color=STEP_COLOURS["reference"],
    )
    return weeks


def draw_phases(figure: Figure, data: CourseData | None = None) -> str:
    """Draw the healing phases as overlapping windows with fuzzy edges; return the summary."""
    data = data or load()
    phases = _phases(data)
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
    reference = _reference_line(ax, data, len(phases) - 0.35)
    ax.set_xlabel("Time after the fracture (weeks)")
    ax.set_ylabel("Healing phase")
    ax.set_title("Bone healing phases overlap (approximate windows)")
    _legend_below(ax, [Patch(color=PHASE_COLOURS["soft_callus"], alpha=0.35, label="faded edge: start or end varies")])
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
    for phase in _phases(data):
        lines.append(f"{phase.order}. {phase.name.upper()} ({_phase_label(phase)})")
        lines.append(textwrap.fill(_cited(phase.description), width=width, initial_indent="   ", subsequent_indent="   "))
    return "\n".join(lines) + "\n"


def source_keys(data: CourseData | None = None, facts: tuple[str, ...] = ()) -> list[str]:
    """Every source key behind this module's figures and tables (plus the key facts named).

    Used for a notebook's reading list, so the list cannot drift from what is shown.
    """
    from pydantic import BaseModel

    data = data or load()
    keys: dict[str, None] = {}

    def collect(value: object) -> None:
        if isinstance(value, SourcedText):
            keys.update(dict.fromkeys(value.sources))
        if isinstance(value, BaseModel):
            for name in type(value).model_fields:
                collect(getattr(value, name))

    for table in ("healing_phases", "fracture_sites", "pathways", "healing_factors"):
        for record in data.tables.get(table, {}).values():
            collect(record)
    for fact_id in (REFERENCE_FACT, *facts):
        collect(data.get("key_facts", fact_id))
    return list(keys)


def _is_study(site: FractureSite) -> bool:
    return site.qualifier.startswith("study")


def draw_site_chart(figure: Figure, data: CourseData | None = None) -> str:
    """Typical healing time by fracture site as ranges; return the summary."""
    data = data or load()
    all_sites: list[FractureSite] = list(data.table("fracture_sites").values())  # type: ignore[arg-type]
    # Sites without a healing time from a primary study, guideline or review are left out
    # (and named in the summary): a chart cannot draw a range no such source gives.
    unsourced = [s for s in all_sites if s.healing_weeks is None]
    sites = sorted(
        (s for s in all_sites if s.healing_weeks is not None),
        key=lambda s: (s.healing_weeks.min, s.healing_weeks.max),
        reverse=True,
    )
    ax = figure.add_subplot()
    x_end = max(s.healing_weeks.max for s in sites) * 1.25
    for y, site in enumerate(sites):
        colour = STEP_COLOURS["study"] if _is_study(site) else STEP_COLOURS["site"]
        low, high = site.healing_weeks.min, site.healing_weeks.max
        if high > low:
            ax.barh(y, high - low, left=low, height=0.55, color=colour, alpha=0.85)
        else:
            ax.plot([low], [y], marker="D", ms=10, color=colour, ls="none")
        if site.central_weeks is not None and high > low:
            ax.plot([site.central_weeks], [y], marker="o", ms=7, color=OKABE_ITO["black"], ls="none")
        ax.text(high + x_end * 0.015, y, f"{_weeks(low, high)} ({site.qualifier})", va="center", fontsize="small")
    ax.set_yticks(range(len(sites)), [s.name for s in sites])
    ax.set_xlim(0, x_end)
    ax.set_ylim(-0.7, len(sites))
    ax.grid(axis="y", visible=False)
    reference = _reference_line(ax, data, len(sites) - 0.55)
    ax.set_xlabel("Time after the fracture (weeks)")
    ax.set_ylabel("Fracture site")
    ax.set_title("Healing time by fracture site (typical ranges, weeks)")
    _legend_below(ax, [
        Patch(color=STEP_COLOURS["site"], label="typical / approximate (guideline, textbook)"),
        Patch(color=STEP_COLOURS["study"], label="result of one study"),
        ax.plot([], [], marker="o", color=OKABE_ITO["black"], ls="none", label="study mean")[0],
    ], ncol=3)
    fastest = min(sites, key=lambda s: s.healing_weeks.min)
    slowest = max(sites, key=lambda s: s.healing_weeks.max)
    left_out = (
        f" Not drawn, because no primary study, guideline or review gives their healing time: "
        f"{', '.join(s.name.lower() for s in unsourced)}."
        if unsourced else ""
    )
    return (
        f"Healing times differ by site, from about {fastest.healing_weeks.min:g} weeks "
        f"({fastest.name.lower()}) to up to {slowest.healing_weeks.max:g} weeks "
        f"({slowest.name.lower()}); each range says what it measures, and the dashed line "
        f"marks about {reference:g} weeks for most bones." + left_out
    )


def site_healing_chart(data: CourseData | None = None) -> SummarisedFigure:
    """Healing time by site as a figure with its summary (displays in a notebook)."""
    return draw_new(draw_site_chart, data)


# --- The timeline explorer -------------------------------------------------------


@dataclass(frozen=True)
class PlannedStep:
    """One step on the explorer's timeline, with what it is and when (sourced or illustrative).

    ``low``-``high`` is the window, in weeks after the fracture, in which the
    step ends (immobilisation, which starts at week 0) or happens (the check
    x-ray, the start of physiotherapy). ``minimum``: the source gives the window
    as a minimum ("not before"), so the step may last (or start) later.
    """

    kind: str
    label: str
    low: float
    high: float
    what: SourcedText
    timing: SourcedText
    minimum: bool = False

    @property
    def illustrative(self) -> bool:
        return self.timing.illustrative


@dataclass(frozen=True)
class Timeline:
    """Everything the explorer shows for one site and one reduction type."""

    site: FractureSite
    reduction: Procedure
    phases: list[HealingPhase]
    steps: list[PlannedStep]
    reference: SourcedText
    reference_weeks: float
    #: A warning when the site's healing time was measured after another treatment.
    caution: str | None = None

    def step(self, kind: str) -> PlannedStep:
        return next(s for s in self.steps if s.kind == kind)


def _choose(steps: list[TimelineStep], kind: str, site_id: str, reduction_id: str) -> TimelineStep | None:
    """The most specific step of ``kind``: site and reduction, then site, then reduction, then any."""
    candidates = [
        s
        for s in steps
        if s.kind == kind and s.site in (None, site_id) and s.reduction in (None, reduction_id)
    ]
    candidates.sort(key=lambda s: (s.site is not None, s.reduction is not None), reverse=True)
    return candidates[0] if candidates else None


def resolve_timeline(site_id: str, reduction_id: str, data: CourseData | None = None) -> Timeline:
    """Work out what to draw for one site and reduction type.

    Unknown ids raise a KeyError whose message lists the valid ones.
    Immobilisation: a step for this site and reduction; else, after closed
    reduction, the site's own sourced immobilisation; else the default step
    for the reduction type (illustrative). Physiotherapy is placed relative to
    the end of immobilisation when its ``anchor`` says so.
    """
    data = data or load()
    site: FractureSite = data.get("fracture_sites", site_id)  # type: ignore[assignment]
    if reduction_id not in REDUCTIONS:
        raise KeyError(
            f"unknown reduction type '{reduction_id}': expected one of {', '.join(REDUCTIONS)}"
        )
    reduction: Procedure = data.get("procedures", reduction_id)  # type: ignore[assignment]
    steps: list[TimelineStep] = list(data.table("timeline_steps").values())  # type: ignore[arg-type]

    chosen = _choose(steps, "immobilisation", site_id, reduction_id)
    if (
        site.immobilisation is not None
        and reduction_id == "closed_reduction"
        and (chosen is None or chosen.site is None)
    ):
        imm = site.immobilisation
        immobilisation = PlannedStep(
            "immobilisation", "Immobilisation", imm.weeks.min, imm.weeks.max, imm.statement, imm.statement
        )
    elif chosen is not None:
        immobilisation = PlannedStep(
            "immobilisation", chosen.label, chosen.weeks.min, chosen.weeks.max, chosen.what, chosen.timing,
            chosen.minimum,
        )
    else:  # pragma: no cover - data always has defaults; kept for edited data
        raise KeyError(f"no immobilisation step in data/timeline_steps.yaml for '{reduction_id}'")
    planned = [immobilisation]
    for kind in ("check_xray", "physiotherapy"):
        step = _choose(steps, kind, site_id, reduction_id)
        if step is None:
            continue
        minimum = step.minimum
        if step.anchor == "immobilisation_end":
            low, high = immobilisation.low + step.weeks.min, immobilisation.high + step.weeks.max
            minimum = minimum or immobilisation.minimum
        else:
            low, high = step.weeks.min, step.weeks.max
        planned.append(PlannedStep(kind, step.label, low, high, step.what, step.timing, minimum))
    fact = data.get("key_facts", REFERENCE_FACT)
    return Timeline(
        site=site,
        reduction=reduction,
        phases=_phases(data),
        steps=planned,
        reference=fact.statement,  # type: ignore[attr-defined]
        reference_weeks=float(fact.value),  # type: ignore[attr-defined]
        caution=_caution(site, reduction),
    )


def _caution(site: FractureSite, reduction: Procedure) -> str | None:
    """Say so when the healing range was measured after a different kind of treatment."""
    if site.measured_after == "surgery" and reduction.id == "closed_reduction":
        return (f"this site's healing time was measured after surgery ({site.measure}); "
                f"after closed reduction it may differ")
    if site.measured_after == "no surgery" and reduction.id == "open_reduction":
        return (f"this site's healing time was measured without surgery ({site.measure}); "
                f"after open reduction it may differ")
    return None


def _row_label(step: PlannedStep) -> str:
    return f"{step.label}\n(illustrative)" if step.illustrative else step.label


def _fade(ax, y: float, low: float, high: float, colour: str, height: float = 0.6) -> None:
    """A window whose edge lies somewhere between ``low`` and ``high``: fading out."""
    steps = 12
    width = (high - low) / steps
    for i in range(steps):
        alpha = 0.9 * (1 - (i + 0.5) / steps)
        ax.add_patch(Rectangle((low + i * width, y - height / 2), width, height, color=colour, alpha=alpha, lw=0))


def _draw_step(ax, y: float, step: PlannedStep, x_end: float) -> None:
    colour = STEP_COLOURS[step.kind]
    hatch = ILLUSTRATIVE_HATCH if step.illustrative else None
    if step.kind == "immobilisation":
        if hatch:
            ax.barh(y, step.high, left=0, height=0.6, facecolor="white", edgecolor=colour, hatch=hatch, lw=2)
        else:
            ax.barh(y, step.low, left=0, height=0.6, color=colour, alpha=0.9, lw=0)
            if step.high > step.low:
                _fade(ax, y, step.low, step.high, colour)
        label = f"{'at least' if step.minimum else 'for'} {_weeks(step.low, step.high)}"
    elif step.kind == "check_xray":
        if step.high > step.low:
            ax.barh(y, step.high - step.low, left=step.low, height=0.6, facecolor="white",
                    edgecolor=colour, hatch=hatch, lw=1.5)
        ax.plot([(step.low + step.high) / 2], [y], marker="X", ms=14, color=colour, ls="none")
        label = f"week {step.low:g}-{step.high:g}" if step.high > step.low else f"week {step.low:g}"
    else:  # physiotherapy: a start marker (a window if the start varies) and an arrow onwards
        if step.high > step.low:
            ax.plot([step.low, step.high], [y, y], color=colour, lw=6, solid_capstyle="butt")
        ax.plot([step.low], [y], marker=">", ms=14, color=colour, ls="none")
        ax.annotate(
            "", xy=(min(step.high + 0.12 * x_end, x_end), y), xytext=(step.high, y),
            arrowprops={"arrowstyle": "-|>", "color": colour, "lw": 2, "ls": "--" if hatch else "-"},
        )
        label = f"from week {step.low:g}" + (f"-{step.high:g}" if step.high > step.low else "")
        label += " or later" if step.minimum else ""
        ax.text(min(step.high + 0.12 * x_end, x_end) + x_end * 0.01, y, label, fontsize="small", va="center",
                bbox=_TEXT_BOX, zorder=6)
        return
    ax.text(step.high + x_end * 0.01, y, label, fontsize="small", va="center", bbox=_TEXT_BOX, zorder=6)


def draw_timeline(
    figure: Figure, site_id: str, reduction_id: str, data: CourseData | None = None
) -> str:
    """Draw the explorer's timeline for one site and reduction type; return the summary."""
    data = data or load()
    timeline = resolve_timeline(site_id, reduction_id, data)
    site = timeline.site
    ends = [s.high for s in timeline.steps] + [site.healing_weeks.max, 12.0]
    x_end = float(max(16, math.ceil(max(ends) * 1.4)))

    ax = figure.add_subplot()
    labels: list[str] = []
    rows = len(timeline.phases) + len(timeline.steps) + 1
    y = rows - 1
    for index, phase in enumerate(timeline.phases):
        _fuzzy_bar(ax, y, phase, _phase_colour(phase, index), x_end)
        labels.append(phase.name)
        y -= 1
    for step in timeline.steps:
        _draw_step(ax, y, step, x_end)
        labels.append(_row_label(step))
        y -= 1
    low, high = site.healing_weeks.min, site.healing_weeks.max
    if high > low:
        ax.barh(y, high - low, left=low, height=0.6, color=STEP_COLOURS["site"], alpha=0.85)
    else:
        ax.plot([low], [y], marker="D", ms=11, color=STEP_COLOURS["site"], ls="none")
    if site.central_weeks is not None and high > low:
        ax.plot([site.central_weeks], [y], marker="o", ms=8, color=OKABE_ITO["black"], ls="none")
    ax.text(high + x_end * 0.015, y, f"{_weeks(low, high)} ({site.qualifier})", va="center", fontsize="small")
    labels.append("Healing time\nfor this site")

    ax.set_yticks(range(rows), list(reversed(labels)))
    ax.set_xlim(0, x_end)
    ax.set_ylim(-0.7, rows - 0.1)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(axis="y", visible=False)
    _reference_line(ax, data, rows - 0.5)
    ax.set_xlabel("Time after the fracture (weeks)")
    ax.set_title(f"Healing timeline: {site.name}\n{timeline.reduction.name} (weeks after the fracture)")
    handles = [Patch(facecolor="white", edgecolor=OKABE_ITO["black"], hatch=ILLUSTRATIVE_HATCH,
                     label="hatched / dashed: illustrative timing (no source gives it)")]
    if timeline.caution:
        after = "surgery" if site.measured_after == "surgery" else "treatment without surgery"
        handles.append(Patch(facecolor=OKABE_ITO["vermillion"], edgecolor="none",
                             label=f"caution: this site's healing time was measured after {after}"))
    legend = _legend_below(ax, handles, offset=-0.13)
    if timeline.caution:
        legend.get_texts()[-1].set_color(OKABE_ITO["vermillion"])
    return _summary(timeline)


def _summary(timeline: Timeline) -> str:
    site = timeline.site
    parts = []
    for step in timeline.steps:
        if step.kind == "immobilisation":
            text = f"{step.label.lower()} for {'at least ' if step.minimum else ''}{_weeks(step.low, step.high)}"
        elif step.kind == "check_xray":
            text = f"a check x-ray in week {step.low:g}-{step.high:g}" if step.high > step.low else f"a check x-ray at week {step.low:g}"
        else:
            text = f"physiotherapy from week {step.low:g}" + (f"-{step.high:g}" if step.high > step.low else "")
            text += " or later" if step.minimum else ""
        parts.append(text + (" (illustrative)" if step.illustrative else ""))
    return (
        f"{site.name} after {timeline.reduction.name.lower()}: healing phases from inflammation to "
        f"remodelling, {', '.join(parts)}, and a {site.qualifier} healing time of "
        f"{_weeks(site.healing_weeks.min, site.healing_weeks.max)} ({site.measure}), against the dashed "
        f"line at about {timeline.reference_weeks:g} weeks for most bones."
        + (f" Caution: {timeline.caution}." if timeline.caution else "")
    )


def _cited(statement: SourcedText) -> str:
    if statement.illustrative:
        return f"{statement.text} (illustrative: {statement.reason})"
    return f"{statement.text} [{', '.join(statement.sources)}]"


def timeline_text(site_id: str, reduction_id: str, data: CourseData | None = None, width: int = 88) -> str:
    """The explorer's content as plain text with sources (for printing, handouts and tests)."""
    timeline = resolve_timeline(site_id, reduction_id, data)
    site = timeline.site

    def item(head: str, body: str) -> list[str]:
        return [f"- {head}", textwrap.fill(body, width=width, initial_indent="    ", subsequent_indent="    ")]

    lines = [f"{site.name.upper()} - {timeline.reduction.name.upper()}"]
    if timeline.caution:
        lines += item("Caution", timeline.caution[0].upper() + timeline.caution[1:] + ".")
    lines += item(
        f"Healing time: {_weeks(site.healing_weeks.min, site.healing_weeks.max)} ({site.qualifier}; {site.measure})",
        _cited(site.statement),
    )
    for step in timeline.steps:
        flag = " - timing illustrative" if step.illustrative else ""
        when = {"immobilisation": "ends", "check_xray": "week", "physiotherapy": "starts"}[step.kind]
        span = f"{step.low:g}" if step.high == step.low else f"{step.low:g}-{step.high:g}"
        later = " at the earliest" if step.minimum else ""
        head = f"{step.label}: {when} {'week ' if step.kind != 'check_xray' else ''}{span}{later}{flag}"
        lines += item(head, _cited(step.what))
        if step.timing is not step.what:
            lines.append(textwrap.fill("When: " + _cited(step.timing), width=width,
                                       initial_indent="    ", subsequent_indent="    "))
    lines += item(f"Reference line: {timeline.reference_weeks:g} weeks", _cited(timeline.reference))
    return "\n".join(lines) + "\n"


def _timeline_html(text: str) -> str:
    return (
        "<details><summary>What is drawn, with sources</summary>"
        f"<pre style='white-space:pre-wrap;font-size:0.95em'>{html.escape(text)}</pre></details>"
    )


class TimelineExplorer(widgets.VBox):
    """Choose a fracture site and a reduction type; see the healing timeline.

    Shows the healing phases, immobilisation, the check x-ray, the start of
    physiotherapy and the site's healing range, with the "about 6 weeks for most
    bones" reference line. Illustrative timings are hatched and labelled.
    Exposes ``.png``, ``.summary``, ``.text`` and ``.error`` for tests.
    """

    def __init__(
        self,
        site_id: str = "wrist",
        reduction_id: str = "closed_reduction",
        data: CourseData | None = None,
    ) -> None:
        self._data = data or load()
        sites = self._data.table("fracture_sites")
        procedures = self._data.table("procedures")
        first_site = site_id if site_id in sites else next(iter(sites))
        self.site_dropdown = dropdown(
            "Fracture site:", [(s.name, s.id) for s in sites.values()], first_site  # type: ignore[attr-defined]
        )
        self.reduction_dropdown = dropdown(
            "Reduction:",
            [(procedures[r].name, r) for r in REDUCTIONS],  # type: ignore[attr-defined]
            reduction_id if reduction_id in REDUCTIONS else REDUCTIONS[-1],
        )
        self.panel = FigurePanel()
        self.details = widgets.HTML()
        self.text = ""
        self.site_dropdown.observe(self._on_change, names="value")
        self.reduction_dropdown.observe(self._on_change, names="value")
        super().__init__(
            [controls_row(self.site_dropdown, self.reduction_dropdown), self.panel.widget, self.details],
            layout=widgets.Layout(width="100%"),
        )
        self.show(site_id, reduction_id)

    @property
    def png(self) -> bytes:
        return self.panel.png

    @property
    def summary(self) -> str:
        return self.panel.summary

    @property
    def error(self) -> str | None:
        return self.panel.error

    def _on_change(self, change: dict) -> None:
        self.show(self.site_dropdown.value, self.reduction_dropdown.value)

    def show(self, site_id: str, reduction_id: str) -> None:
        """Draw one site and reduction type; an unknown id shows a message, not a traceback."""
        try:
            self.text = timeline_text(site_id, reduction_id, self._data)
        except KeyError as exc:
            self.text = ""
            self.details.value = ""
            self.panel.show_error(str(exc.args[0]))
            return
        self.panel.redraw(functools.partial(draw_timeline, site_id=site_id, reduction_id=reduction_id, data=self._data))
        self.details.value = _timeline_html(self.text)


# --- Factors that slow healing ----------------------------------------------------


def _factors(data: CourseData) -> list[HealingFactor]:
    return list(data.table("healing_factors").values())  # type: ignore[arg-type]


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
            lines.append(textwrap.fill("Caveat: " + _cited(factor.caveat), width=width,
                                       initial_indent="  ", subsequent_indent="    "))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def factors_table_html(data: CourseData | None = None) -> str:
    """The factors table as HTML (factor, estimate, outcome, people, sources, caveat)."""
    data = data or load()
    head = (
        '<table class="ot-factors" style="border-collapse:collapse;font-size:1.05em;line-height:1.4;width:100%">'
        "<thead><tr><th>Factor</th><th>Estimate</th><th>Outcome</th><th>People studied</th>"
        "<th>Sources</th></tr></thead><tbody>"
    )
    rows = []
    for factor in _factors(data):
        caveat = (
            f"<br><em>Caveat: {html.escape(factor.caveat.text)}</em> "
            f"[{html.escape(', '.join(factor.caveat.sources))}]"
            if factor.caveat
            else ""
        )
        rows.append(
            f"<tr><th scope='row'>{html.escape(factor.factor)}</th>"
            f"<td>{html.escape(factor.measure)}: <strong>{html.escape(_estimate(factor))}</strong></td>"
            f"<td>{html.escape(factor.outcome)}</td><td>{html.escape(factor.population)}{caveat}</td>"
            f"<td>{html.escape(', '.join(factor.statement.sources))}</td></tr>"
        )
    return styled_table(head + "".join(rows) + "</tbody></table>")


@dataclass(frozen=True)
class FactorsTable:
    """Displays as an HTML table in a notebook; ``str()`` gives the plain-text version."""

    text: str
    html: str

    def __str__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return self.text


def factors_table(data: CourseData | None = None) -> FactorsTable:
    """The factors that slow healing, as an object that shows HTML in a notebook."""
    return FactorsTable(factors_table_text(data), factors_table_html(data))
