"""Shared figure plumbing: make a figure, render it to PNG, show it with a summary.

Figures are built on :class:`matplotlib.figure.Figure` directly (not pyplot), so
that no global state leaks between cells and widgets can redraw one figure in
place. Every figure in the course is shown with :func:`show_figure`: an ``<img>``
whose ``alt`` text is the figure's one-sentence summary (what a screen reader
reads), with the same summary printed under it (for sighted readers, handouts
and print). :func:`figure_html` is that HTML; widgets use :func:`image_html`.

Taught in: every notebook that draws (01-05).
"""

from __future__ import annotations

import io
import itertools
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported when a figure is made: notebooks that draw nothing skip it
    from matplotlib.figure import Figure

__all__ = [
    "SummarisedFigure",
    "draw_new",
    "new_figure",
    "render_png",
    "show_figure",
    "figure_html",
    "image_html",
    "caption_html",
    "is_blank_png",
    "legend_below",
    "fixed_layout",
    "save_whole",
    "legend_columns",
    "legend_under_figure",
    "agg_renderer",
    "vertical_margins",
    "height_for_rows",
    "row_label_spacing",
]

#: Figures marked by :func:`save_whole` (all those :func:`fixed_layout` lays out): saved at their own size.
_SAVED_WHOLE: weakref.WeakSet[Figure] = weakref.WeakSet()


@dataclass(frozen=True)
class SummarisedFigure:
    """A figure plus the sentence that says what it shows."""

    figure: Figure
    summary: str

    def _ipython_display_(self) -> None:
        show_figure(self)


def new_figure(width: float | None = None, height: float | None = None) -> Figure:
    """A figure of the current style's size (or the size given), with an Agg canvas."""
    import matplotlib as mpl
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from .style import apply_requested_style

    apply_requested_style()
    default_w, default_h = mpl.rcParams["figure.figsize"]
    figure = Figure(figsize=(width or default_w, height or default_h))
    FigureCanvasAgg(figure)
    return figure


def draw_new(
    draw: Callable[..., str], *args: Any, width: float | None = None, height: float | None = None, **kwargs: Any
) -> SummarisedFigure:
    """Draw ``draw(figure, *args, **kwargs)`` on a new figure; keep the summary it returns.

    The one way the course turns a pure draw function into a static figure.
    """
    figure = new_figure(width, height)
    return SummarisedFigure(figure, draw(figure, *args, **kwargs))


def legend_below(ax: Any, handles: list[Any], ncol: int = 1, offset: float = -0.15) -> Any:
    """A frameless legend centred under the x-axis label (the course's figures share it)."""
    return ax.legend(
        handles=handles, loc="upper center", bbox_to_anchor=(0.5, offset), ncol=ncol, fontsize="small", frameon=False
    )


#: A line of text, in font sizes (matplotlib's line spacing, with a little room).
_LINE = 1.25


def _points(size: Any) -> float:
    from matplotlib.font_manager import FontProperties

    return float(FontProperties(size=size).get_size_in_points())


def agg_renderer(figure: Figure) -> Any:
    """The renderer the figure's Agg canvas draws with (to measure text before drawing)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = figure.canvas
    if not isinstance(canvas, FigureCanvasAgg):
        raise TypeError(f"expected a figure from plots.new_figure (an Agg canvas), got {type(canvas).__name__}")
    return canvas.get_renderer()


def vertical_margins(title_lines: int, legend_rows: int, x_tick_lines: int = 1) -> tuple[float, float]:
    """Inches above the axes (title) and below them (ticks, x label, legend) in the current style."""
    import matplotlib as mpl

    rc = mpl.rcParams
    top = (title_lines * _points(rc["axes.titlesize"]) * _LINE + rc["axes.titlepad"] + 6) / 72
    legend_size = _points(rc["legend.fontsize"]) * _points("small") / _points("medium")
    legend = legend_rows * legend_size * (1 + rc["legend.labelspacing"]) + 2 * legend_size * rc["legend.borderpad"]
    x_axis = rc["xtick.major.size"] + rc["xtick.major.pad"] + x_tick_lines * _points(rc["xtick.labelsize"]) * _LINE
    x_label = rc["axes.labelpad"] + _points(rc["axes.labelsize"]) * _LINE
    return top, (x_axis + x_label + 4 + legend) / 72


def row_label_spacing(lines: Sequence[int]) -> float:
    """Inches between rows whose y labels have these numbers of lines, so that no two touch."""
    import matplotlib as mpl

    size = _points(mpl.rcParams["ytick.labelsize"])
    pairs = itertools.pairwise(lines)
    return max((((a + b) / 2 * size * _LINE + 3) / 72 for a, b in pairs), default=size * _LINE / 72)


def height_for_rows(
    label_sets: Iterable[Sequence[str]],
    row_span: float,
    title_lines: int = 2,
    legend_rows: int = 2,
    x_tick_lines: int = 1,
) -> float:
    """Inches: the style's figure height, or taller if one set of row labels needs it.

    For a widget whose figure keeps one size in every state: sized for its most
    crowded state, so that no two row labels touch. ``row_span``: the y axis spans
    this many rows more than there are labels (its margins above and below).
    """
    import matplotlib as mpl

    from .style import apply_requested_style

    apply_requested_style()
    top, bottom = vertical_margins(title_lines, legend_rows, x_tick_lines)
    needed = 0.0
    for labels in label_sets:
        lines = [len(label.splitlines()) for label in labels]
        needed = max(needed, (len(lines) + row_span) * row_label_spacing(lines))
    return max(float(mpl.rcParams["figure.figsize"][1]), round(top + needed + bottom, 1))


def fixed_layout(
    figure: Figure,
    ax: Any,
    y_labels: Sequence[str],
    title: str,
    legend_handles: list[Any],
    legend_most_columns: int = 1,
    x_tick_lines: int = 1,
) -> None:
    """Place ``ax`` by margins worked out before drawing; title above, legend under the x label.

    The usual way, cropping the saved image to whatever was drawn (the style's
    ``savefig.bbox: tight``), lays the whole figure out twice; a widget's new state
    is drawn in about two thirds of the time without it. The left margin fits the
    widest y label, measured in the figure's font; the title is wrapped to the
    axes' width; the rest comes from the style's font sizes, so nothing is cut off
    (the timeline and hip tests check every state in both styles). The image keeps
    the figure's size: it does not change size from one state to the next.
    """
    import textwrap

    import matplotlib as mpl
    from matplotlib.font_manager import FontProperties

    rc = mpl.rcParams
    renderer = agg_renderer(figure)
    width_in, height_in = figure.get_size_inches()

    def width(text: str, size: Any) -> float:
        font = FontProperties(size=size)
        return max(renderer.get_text_width_height_descent(line, font, ismath=False)[0] for line in text.splitlines())

    widest = max((width(label, rc["ytick.labelsize"]) for label in y_labels if label.strip()), default=0.0)
    left = widest / figure.dpi + (rc["ytick.major.size"] + rc["ytick.major.pad"] + 8) / 72
    right = 0.6  # room for a label just right of the last bar
    room = (width_in - left - right) * figure.dpi
    title_width = width(title, rc["axes.titlesize"])
    if title_width > room:
        title = textwrap.fill(title, max(20, int(len(title) * room / title_width * 0.95)), break_on_hyphens=False)
    legend_rows = legend_under_figure(figure, legend_handles, legend_most_columns)
    top, bottom = vertical_margins(len(title.splitlines()), legend_rows, x_tick_lines)
    ax.set_title(title)
    figure.subplots_adjust(
        left=left / width_in, right=1 - right / width_in, bottom=bottom / height_in, top=1 - top / height_in
    )
    save_whole(figure)


def legend_columns(figure: Figure, handles: list[Any], most: int) -> int:
    """The most columns (up to ``most``) in which a "small" legend of ``handles`` fits the figure's width."""
    import matplotlib as mpl
    from matplotlib.font_manager import FontProperties

    rc = mpl.rcParams
    renderer = agg_renderer(figure)
    size = _points(rc["legend.fontsize"]) * _points("small") / _points("medium")
    font = FontProperties(size=size)
    entry_pt = (rc["legend.handlelength"] + rc["legend.handletextpad"] + rc["legend.columnspacing"]) * size
    widths = [
        renderer.get_text_width_height_descent(h.get_label(), font, ismath=False)[0] / figure.dpi + entry_pt / 72
        for h in handles
    ]
    room = figure.get_size_inches()[0] - 0.2
    for columns in range(min(most, len(handles)), 1, -1):
        rows = [widths[i : i + columns] for i in range(0, len(widths), columns)]
        if max(sum(row) for row in rows) <= room:
            return columns
    return 1


def legend_under_figure(figure: Figure, handles: list[Any], most_columns: int) -> int:
    """A frameless "small" legend centred at the figure's foot, in as many columns (up to
    ``most_columns``) as fit its width; returns its number of rows (0: no handles, no legend)."""
    if not handles:
        return 0
    columns = legend_columns(figure, handles, most_columns)
    figure.legend(
        handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0.0), ncol=columns, fontsize="small", frameon=False
    )
    return -(-len(handles) // columns)


def save_whole(figure: Figure) -> None:
    """Have :func:`render_png` save the whole figure, not crop it to what is drawn.

    For a figure whose layout keeps everything inside it (tested per widget): the
    crop lays the figure out twice, which costs a widget about a third of a draw.
    """
    _SAVED_WHOLE.add(figure)


def render_png(figure: Figure) -> bytes:
    """The figure as PNG bytes (what notebooks, widgets and tests show and check).

    Cropped to what is drawn (the style's tight bounding box), except a figure marked
    by :func:`save_whole` (or laid out by :func:`fixed_layout`), which keeps its own size.
    """
    from matplotlib.transforms import Bbox

    buffer = io.BytesIO()
    # The whole figure, not the style's tight box (no rc_context: drawing ahead saves in
    # another thread, and a context would put back rcParams a style change had set).
    whole = Bbox.from_bounds(0, 0, *figure.get_size_inches()) if figure in _SAVED_WHOLE else None
    # Fast, lossless PNG compression: the same pixels, encoded a few times quicker.
    figure.savefig(buffer, format="png", facecolor="white", bbox_inches=whole, pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def image_html(png: bytes, alt: str) -> str:
    """An ``<img>`` of PNG bytes (a ``data:`` URL) whose ``alt`` text is ``alt``, scaled to fit its column."""
    import base64
    import html

    data = base64.b64encode(png).decode("ascii")
    return (
        f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt, quote=True)}" '
        'style="max-width:100%;height:auto">'
    )


def caption_html(summary: str) -> str:
    """The "Figure summary: ..." line printed under a figure."""
    import html

    return f'<p class="ot-figure-summary"><strong>Figure summary:</strong> {html.escape(summary)}</p>'


def figure_html(item: SummarisedFigure) -> str:
    """The figure as an ``<img>`` whose alt text is its summary, with the summary printed under it."""
    return (
        f'<figure class="ot-figure" style="margin:0.5em 0">{image_html(render_png(item.figure), item.summary)}'
        f"<figcaption>{caption_html(item.summary)}</figcaption></figure>"
    )


def show_figure(item: SummarisedFigure) -> None:
    """Display the figure (an ``<img>`` with its summary as alt text) and its summary beneath it.

    The plain-text form of the output (``text/plain``: what nbval, a terminal and a
    text-only reader see) is the summary line.
    """
    from IPython.display import display

    display({"text/html": figure_html(item), "text/plain": f"Figure summary: {item.summary}"}, raw=True)


def is_blank_png(png: bytes) -> bool:
    """True if the PNG has a single colour (used by tests to catch empty figures)."""
    import matplotlib.image as mpimg

    pixels = mpimg.imread(io.BytesIO(png), format="png")
    return bool((pixels == pixels[0, 0]).all())
