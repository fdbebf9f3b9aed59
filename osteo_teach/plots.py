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
from collections.abc import Callable
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
]


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


def render_png(figure: Figure) -> bytes:
    """The figure as PNG bytes (what notebooks, widgets and tests show and check)."""
    buffer = io.BytesIO()
    # Fast, lossless PNG compression: the same pixels, encoded a few times quicker.
    figure.savefig(buffer, format="png", facecolor="white", pil_kwargs={"compress_level": 1})
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
