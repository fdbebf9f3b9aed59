"""The timeline explorer: what happens after a fracture, for a treatment that exists.

A student chooses a fracture site, then one of *that site's* treatment pathways
from ``data/pathways.yaml`` (wrist: cast, closed reduction and cast, or plate;
hip: fixation or arthroplasty, never a cast; spine: non-operative care,
vertebroplasty or kyphoplasty). The figure shows the healing phases, each step of
the pathway at its sourced time (hatched and labelled "illustrative" where no
source gives the time), the healing time after this treatment (or the site's,
with a caution when it was measured after another kind of treatment), and the
"about 6 weeks for most bones" reference line.

The explorer cannot draw a treatment a site does not have: its second dropdown
lists only the pathways recorded for the chosen site.

Taught in: ``notebooks/03_healing_timelines.ipynb``.
"""

from __future__ import annotations

import functools
import html
import math
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from .cite import TextAndHtml, cited_text
from .data import CourseData, load
from .healing import REFERENCE_FACT, draw_phase_row, fading_strip, phases_in_order, reference_line
from .plots import agg_renderer, fixed_layout, height_for_rows
from .records import FractureSite, HealingPhase, KeyFact, Pathway, PathwayStep, SourcedText, WeekRange
from .style import OKABE_ITO
from .widgets import FigurePanel, controls_row, details_html, dropdown

if TYPE_CHECKING:  # matplotlib is imported when a figure is drawn, not with the module
    from matplotlib.figure import Figure

__all__ = [
    "STEP_STYLES",
    "Timeline",
    "sites_with_pathways",
    "pathways_for",
    "resolve_timeline",
    "draw_timeline",
    "figure_height",
    "row_labels",
    "timeline_text",
    "all_timelines",
    "TimelineExplorer",
]

#: How each kind of step is drawn: colour, marker, and whether it continues onwards.
STEP_STYLES: dict[str, tuple[str, str, bool]] = {
    "surgery": (OKABE_ITO["vermillion"], "X", False),
    "reduction": (OKABE_ITO["vermillion"], "P", False),
    "procedure": (OKABE_ITO["vermillion"], "X", False),
    "immobilisation": (OKABE_ITO["reddish_purple"], "s", False),
    "check_xray": (OKABE_ITO["black"], "D", False),
    "review": (OKABE_ITO["black"], "o", False),
    "mobilisation": (OKABE_ITO["blue"], ">", True),
    "weight_bearing": (OKABE_ITO["bluish_green"], ">", True),
    "physiotherapy": (OKABE_ITO["blue"], ">", True),
}
HEALING_COLOUR = OKABE_ITO["sky_blue"]
ILLUSTRATIVE_HATCH = "///"
#: Narrower windows (in weeks) are not drawn as a box.
_MIN_WINDOW = 0.4
_TEXT_BOX = {"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1.5}


def _weeks(low: float, high: float) -> str:
    return f"{low:g} weeks" if low == high else f"{low:g}-{high:g} weeks"


@dataclass(frozen=True)
class Healing:
    """The healing time drawn for a pathway: its own, or the site's (with a caution).

    ``weeks`` is ``None`` when no primary study, guideline or review gives one: the
    row then says so instead of drawing a bar.
    """

    weeks: WeekRange | None
    central_weeks: float | None
    qualifier: str
    measure: str
    statement: SourcedText
    #: Said when the site's range was measured after another kind of treatment.
    caution: str | None = None

    def describe(self) -> str:
        """``6-12 weeks (typical; time to union)`` or what says that no source gives it."""
        if self.weeks is None:
            return f"{NO_HEALING_TIME} ({self.measure})"
        return f"{_weeks(self.weeks.min, self.weeks.max)} ({self.qualifier}; {self.measure})"


#: What the healing row says where no primary study, guideline or review gives a time.
NO_HEALING_TIME = "no healing time in verified sources"


@dataclass(frozen=True)
class Timeline:
    """Everything the explorer shows for one site and one of its pathways."""

    site: FractureSite
    pathway: Pathway
    phases: list[HealingPhase]
    healing: Healing
    reference: SourcedText
    reference_weeks: float

    @property
    def steps(self) -> list[PathwayStep]:
        return self.pathway.steps

    def step(self, kind: str) -> PathwayStep:
        """The first step of one kind (KeyError if the pathway has none)."""
        for step in self.pathway.steps:
            if step.kind == kind:
                return step
        raise KeyError(f"the pathway '{self.pathway.id}' has no '{kind}' step")


def sites_with_pathways(data: CourseData | None = None) -> list[FractureSite]:
    """The fracture sites that have at least one treatment pathway, in data order."""
    data = data or load()
    used = {p.site for p in data.records(Pathway)}
    return [site for site in data.records(FractureSite) if site.id in used]


def pathways_for(site_id: str, data: CourseData | None = None) -> list[Pathway]:
    """The treatments recorded for one site; a KeyError naming the valid sites otherwise."""
    data = data or load()
    found = [p for p in data.records(Pathway) if p.site == site_id]
    if not found:
        known = ", ".join(s.id for s in sites_with_pathways(data))
        raise KeyError(f"no treatment pathway for fracture site '{site_id}': expected one of {known}")
    return found


def _healing(site: FractureSite, pathway: Pathway) -> Healing:
    if pathway.healing is not None:
        h = pathway.healing
        return Healing(h.weeks, h.central_weeks, h.qualifier, h.measure, h.statement)
    caution = None
    if site.measured_after == "surgery" and not pathway.operative:
        caution = f"this site's healing time was measured after surgery ({site.measure}); without surgery it may differ"
    elif site.measured_after == "no surgery" and pathway.operative:
        caution = f"this site's healing time was measured without surgery ({site.measure}); after surgery it may differ"
    if site.healing_weeks is None:
        caution = None  # nothing is drawn, so nothing can mislead
    return Healing(site.healing_weeks, site.central_weeks, site.qualifier or "", site.measure, site.statement, caution)


def resolve_timeline(site_id: str, pathway_id: str, data: CourseData | None = None) -> Timeline:
    """What to draw for one site and one of its pathways.

    A pathway of another site, or an unknown id, raises a KeyError whose message
    lists the treatments this site has.
    """
    data = data or load()
    site = data.record(FractureSite, site_id)
    options = pathways_for(site_id, data)
    pathway = next((p for p in options if p.id == pathway_id), None)
    if pathway is None:
        raise KeyError(
            f"'{pathway_id}' is not a treatment for {site.name.lower()}: expected one of "
            f"{', '.join(p.id for p in options)}"
        )
    fact = data.record(KeyFact, REFERENCE_FACT)
    return Timeline(
        site=site,
        pathway=pathway,
        phases=phases_in_order(data),
        healing=_healing(site, pathway),
        reference=fact.statement,
        reference_weeks=float(fact.value or 0),
    )


# --- drawing -----------------------------------------------------------------


def _row_label(step: PathwayStep) -> str:
    """The step's name in lines of at most 26 characters (two, for most), "(illustrative)" last."""
    return "\n".join(textwrap.wrap(step.label + (" (illustrative)" if step.timing.illustrative else ""), 26))


def row_labels(timeline: Timeline) -> list[str]:
    """The y labels, top to bottom: the healing phases, the steps, the healing time."""
    caution = "\n(see caution)" if timeline.healing.caution else ""
    return [p.name for p in timeline.phases] + [_row_label(s) for s in timeline.steps] + ["Healing time" + caution]


def figure_height(data: CourseData | None = None) -> float:
    """Inches: the style's height, or taller where a site's timeline has many two-line rows.

    The explorer's figure keeps one size for every state, so it is sized for the
    most crowded one (rows far enough apart that no two labels touch).
    """
    data = data or load()
    timelines = (
        resolve_timeline(site.id, pathway.id, data)
        for site in sites_with_pathways(data)
        for pathway in pathways_for(site.id, data)
    )
    return height_for_rows((row_labels(t) for t in timelines), row_span=0.6)


def _when(step: PathwayStep) -> str:
    """``day 1``, ``weeks 0-6``, ``until week 6`` ... as the label beside a step."""
    if step.ends is not None:
        start = step.starts.describe()
        end = step.ends.describe()
        prefix = "at least until" if step.minimum else "until"
        return f"from {start}, {prefix} {end}" if step.starts.max > 0 else f"{prefix} {end}"
    onwards = STEP_STYLES[step.kind][2]
    return f"from {step.starts.describe()}" if onwards else step.starts.describe()


def _draw_step(ax, y: float, step: PathwayStep, x_end: float) -> tuple[Any, float]:
    """Draw one step's row; return its label and where its bar, dot or arrow ends."""
    colour, marker, onwards = STEP_STYLES[step.kind]
    illustrative = step.timing.illustrative
    start_lo, start_hi = step.starts.in_weeks
    if step.ends is not None:  # a span: from its start to its (fuzzy) end
        end_lo, end_hi = step.ends.in_weeks
        if illustrative:
            ax.barh(
                y,
                end_hi - start_lo,
                left=start_lo,
                height=0.6,
                facecolor="white",
                edgecolor=colour,
                hatch=ILLUSTRATIVE_HATCH,
                lw=2,
            )
        else:
            ax.barh(y, max(end_lo - start_lo, 0), left=start_lo, height=0.6, color=colour, alpha=0.9, lw=0)
            if end_hi > end_lo:
                fading_strip(ax, end_lo, end_hi, y - 0.3, 0.6, colour, rising=False)
        label_x = end_hi
    else:  # an event (with a window if its time varies), or a start that continues onwards
        if start_hi - start_lo >= _MIN_WINDOW:  # a window of days is told by its label, not a sliver
            ax.barh(
                y,
                start_hi - start_lo,
                left=start_lo,
                height=0.5,
                facecolor="white",
                edgecolor=colour,
                hatch=ILLUSTRATIVE_HATCH if illustrative else None,
                lw=1.5,
            )
        ax.plot(
            [start_lo if onwards else (start_lo + start_hi) / 2],
            [y],
            marker=marker,
            ms=14,
            color=colour,
            ls="none",
            zorder=6,
            markerfacecolor="white" if illustrative else colour,
            markeredgewidth=2,
            clip_on=False,
        )
        label_x = start_hi
        if onwards:
            arrow_end = min(start_hi + 0.12 * x_end, x_end)
            ax.annotate(
                "",
                xy=(arrow_end, y),
                xytext=(start_hi, y),
                arrowprops={"arrowstyle": "-|>", "color": colour, "lw": 2, "ls": "--" if illustrative else "-"},
            )
            label_x = arrow_end
    label = ax.text(label_x + x_end * 0.012, y, _when(step), fontsize="small", va="center", bbox=_TEXT_BOX, zorder=7)
    return label, label_x


def _draw_healing(ax, y: float, healing: Healing, x_end: float) -> tuple[Any, float] | None:
    """Draw the healing row; return its label and where its bar ends (None: no time recorded)."""
    if healing.weeks is None:
        ax.text(0.2, y, NO_HEALING_TIME, va="center", fontsize="small", style="italic", bbox=_TEXT_BOX)
        return None
    low, high = healing.weeks.min, healing.weeks.max
    if high > low:
        ax.barh(y, high - low, left=low, height=0.6, color=HEALING_COLOUR, alpha=0.85, lw=0)
    else:
        ax.plot([low], [y], marker="D", ms=11, color=HEALING_COLOUR, ls="none", clip_on=False)
    if healing.central_weeks is not None and high > low:
        ax.plot([healing.central_weeks], [y], marker="o", ms=8, color=OKABE_ITO["black"], ls="none")
    label = ax.text(
        high + x_end * 0.015,
        y,
        f"{_weeks(low, high)} ({healing.qualifier})",
        va="center",
        fontsize="small",
        bbox=_TEXT_BOX,
    )
    return label, high


def draw_timeline(figure: Figure, site_id: str, pathway_id: str, data: CourseData | None = None) -> str:
    """Draw one site's pathway over the healing phases; return the summary sentence."""
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    data = data or load()
    timeline = resolve_timeline(site_id, pathway_id, data)
    healing_end = timeline.healing.weeks.max if timeline.healing.weeks is not None else 0.0
    ends = [max((s.ends or s.starts).in_weeks) for s in timeline.steps] + [healing_end, 12.0]
    x_end = float(max(16, math.ceil(max(ends) * 1.35)))

    ax = figure.add_subplot()
    labels = row_labels(timeline)
    rows = len(labels)
    y = rows - 1
    for index, phase in enumerate(timeline.phases):
        draw_phase_row(ax, y, phase, index, x_end)
        y -= 1
    beside: list[tuple[Any, float]] = []
    for step in timeline.steps:
        beside.append(_draw_step(ax, y, step, x_end))
        y -= 1
    healing_label = _draw_healing(ax, y, timeline.healing, x_end)
    if healing_label is not None:
        beside.append(healing_label)

    ax.set_yticks(range(rows), list(reversed(labels)))
    ax.set_xlim(-0.25, x_end)
    ax.set_ylim(-0.7, rows - 0.1)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(axis="y", visible=False)
    reference_line(ax, timeline.reference_weeks, rows - 0.5)
    ax.set_xlabel("Time after the fracture (weeks; a day is 1/7 of a week)")
    handles = [
        Patch(
            facecolor="white",
            edgecolor=OKABE_ITO["black"],
            hatch=ILLUSTRATIVE_HATCH,
            label="hatched / hollow / dashed: illustrative timing (no source gives it)",
        )
    ]
    if timeline.healing.caution:
        handles.append(
            Patch(
                facecolor=OKABE_ITO["vermillion"],
                edgecolor="none",
                label="caution: healing time measured after another kind of treatment",
            )
        )
    # Legend text stays black (vermillion text on white is below WCAG AA contrast);
    # the vermillion patch and the word "caution" carry the warning.
    fixed_layout(figure, ax, labels, f"{timeline.site.name}: {timeline.pathway.name}", handles)
    _keep_inside(figure, ax, beside, x_end)
    return summary(timeline)


def _keep_inside(figure: Figure, ax: Any, beside: list[tuple[Any, float]], x_end: float) -> None:
    """A label that would run past the figure's right edge ends where its bar ends instead.

    It keeps its white box, so it stays readable over the bar. Measured in the
    figure's font once the axes are placed (before drawing: no second layout).
    """
    renderer = agg_renderer(figure)
    edge = figure.bbox.x1 - 6  # pixels, with room for the label's box
    for label, bar_end in beside:
        width = renderer.get_text_width_height_descent(label.get_text(), label.get_fontproperties(), ismath=False)[0]
        if ax.transData.transform((label.get_position()[0], 0))[0] + width > edge:
            label.set_horizontalalignment("right")
            label.set_x(bar_end - x_end * 0.012)


def summary(timeline: Timeline) -> str:
    """The figure in one sentence (for screen readers, handouts and tests)."""
    parts = []
    for step in timeline.steps:
        parts.append(f"{step.label.lower()} {_when(step)}" + (" (illustrative)" if step.timing.illustrative else ""))
    healing = timeline.healing
    if healing.weeks is None:
        healed = f"{NO_HEALING_TIME} for this site"
    else:
        article = "an" if healing.qualifier[:1] in ("a", "e", "i", "o", "u") else "a"
        healed = (
            f"{article} {healing.qualifier} healing time of "
            f"{_weeks(healing.weeks.min, healing.weeks.max)} ({healing.measure})"
        )
    return (
        f"{timeline.site.name}, {timeline.pathway.name.lower()}: healing phases from inflammation to "
        f"remodelling; {'; '.join(parts)}; {healed}; the dashed line marks "
        f"about {timeline.reference_weeks:g} weeks for most bones."
        + (f" Caution: {healing.caution}." if healing.caution else "")
    )


def timeline_text(site_id: str, pathway_id: str, data: CourseData | None = None, width: int = 88) -> str:
    """The explorer's content as plain text with sources (for printing, handouts and tests)."""
    timeline = resolve_timeline(site_id, pathway_id, data)

    def item(head: str, body: str) -> list[str]:
        return [f"- {head}", textwrap.fill(body, width=width, initial_indent="    ", subsequent_indent="    ")]

    healing = timeline.healing
    lines = [f"{timeline.site.name.upper()} - {timeline.pathway.name.upper()}"]
    lines += item("Who gets this treatment", cited_text(timeline.pathway.applies))
    if healing.caution:
        lines += item("Caution", healing.caution[0].upper() + healing.caution[1:] + ".")
    for step in timeline.steps:
        flag = " - timing illustrative" if step.timing.illustrative else ""
        lines += item(f"{step.label}: {_when(step)}{flag}", cited_text(step.what))
        lines.append(
            textwrap.fill(
                "When: " + cited_text(step.timing), width=width, initial_indent="    ", subsequent_indent="    "
            )
        )
    lines += item(f"Healing time: {healing.describe()}", cited_text(healing.statement))
    lines += item(f"Reference line: {timeline.reference_weeks:g} weeks", cited_text(timeline.reference))
    return "\n".join(lines) + "\n"


def all_timelines(data: CourseData | None = None, width: int = 88) -> TextAndHtml:
    """Every site's every treatment as text: each figure's summary and what is drawn, with sources.

    The explorer's static twin (what a screen reader, a handout and GitHub's preview show).
    """
    data = data or load()
    texts: list[str] = []
    parts: list[str] = []
    for site in sites_with_pathways(data):
        for pathway in pathways_for(site.id, data):
            said = summary(resolve_timeline(site.id, pathway.id, data))
            body = timeline_text(site.id, pathway.id, data, width)
            texts.append(f"Figure summary: {said}\n{body}")
            parts.append(
                f"<h4>{html.escape(site.name)}: {html.escape(pathway.name)}</h4>"
                f"<p><strong>Figure summary:</strong> {html.escape(said)}</p>"
                f"<pre style='white-space:pre-wrap;font-size:0.95em'>{html.escape(body)}</pre>"
            )
    return TextAndHtml("\n".join(texts), "".join(parts))


class TimelineExplorer(widgets.VBox):
    """Choose a fracture site, then one of its treatments; see the timeline.

    The treatment dropdown lists only the pathways recorded for the chosen site.
    Exposes ``.png``, ``.summary``, ``.text`` and ``.error`` for tests.
    """

    def __init__(self, site_id: str = "wrist", pathway_id: str | None = None, data: CourseData | None = None) -> None:
        self.data = data or load()
        sites = sites_with_pathways(self.data)
        if site_id not in {s.id for s in sites}:
            site_id = sites[0].id
        self.site_dropdown = dropdown("Fracture site:", [(s.name, s.id) for s in sites], site_id)
        options = self._pathway_options(site_id)
        if pathway_id not in {value for _, value in options}:
            pathway_id = options[0][1]
        self.pathway_dropdown = dropdown("Treatment:", self._all_pathway_options(), pathway_id)
        self.pathway_dropdown.options = options
        self.pathway_dropdown.value = pathway_id
        self.panel = FigurePanel(height=figure_height(self.data))
        self.details = widgets.HTML()
        self.text = ""
        self._updating = False
        self.site_dropdown.observe(self._on_site, names="value")
        self.pathway_dropdown.observe(self._on_pathway, names="value")
        super().__init__(
            [controls_row(self.site_dropdown, self.pathway_dropdown), self.panel.widget, self.details],
            layout=widgets.Layout(width="100%"),
        )
        self.show(site_id, pathway_id)

    def _draw(self, site_id: str, pathway_id: str) -> Callable[[Figure], str]:
        return functools.partial(draw_timeline, site_id=site_id, pathway_id=pathway_id, data=self.data)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """Shown in a notebook: draw the other sites' and treatments' timelines ahead, in the background."""
        self.panel.render_ahead(
            ((site.id, pathway.id), self._draw(site.id, pathway.id))
            for site in sites_with_pathways(self.data)
            for pathway in pathways_for(site.id, self.data)
        )
        return super()._repr_mimebundle_(**kwargs)

    def _pathway_options(self, site_id: str) -> list[tuple[str, str]]:
        return [(p.name, p.id) for p in pathways_for(site_id, self.data)]

    def _all_pathway_options(self) -> list[tuple[str, str]]:
        """Every pathway's label: sizes the dropdown once for the longest one."""
        return [(p.name, p.id) for p in self.data.records(Pathway)]

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
        options = self._pathway_options(change["new"])
        self._updating = True
        try:
            self.pathway_dropdown.options = options
            self.pathway_dropdown.value = options[0][1]
        finally:
            self._updating = False
        self.show(change["new"], options[0][1])

    def _on_pathway(self, change: dict) -> None:
        if not self._updating and change["new"] is not None:
            self.show(self.site_dropdown.value, change["new"])

    def show(self, site_id: str, pathway_id: str) -> None:
        """Draw one site's pathway; an unknown or foreign pathway shows a message, not a traceback."""
        try:
            self.text = timeline_text(site_id, pathway_id, self.data)
        except KeyError as exc:
            self.text = ""
            self.details.value = ""
            self.panel.show_error(str(exc.args[0]))
            return
        self.panel.redraw(self._draw(site_id, pathway_id), key=(site_id, pathway_id))
        self.details.value = details_html("What is drawn, with sources", self.text)
