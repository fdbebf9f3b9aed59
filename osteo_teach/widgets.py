"""Interactive pieces shared by several notebooks.

- :class:`FigurePanel`: one matplotlib figure redrawn in place, shown as an
  ``<img>`` (in an ``ipywidgets.HTML``) whose ``alt`` text is the figure's summary,
  with the summary printed underneath. Topic widgets (timeline explorer,
  procedure stepper) build on it.
- :func:`dropdown`, :func:`controls_row`: the course's controls, sized for a projector.
- :func:`error_html`, :func:`details_html`: a visible message (``role="alert"``)
  instead of a traceback; plain text folded under a summary.
- :func:`static_text_html`: a widget's whole content as static text, folded (what
  ``Lesson.widget_text`` shows for screen readers, handouts and GitHub's preview).

Widgets expose what they show (``.text``, ``.png``, ``.summary``), so a plain
pytest can set a dropdown's value and assert what changed, without a browser.

Taught in: every notebook with a widget (02-06).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

if TYPE_CHECKING:  # not imported at run time: the quiz and comparison need no matplotlib
    from matplotlib.figure import Figure

from .plots import caption_html, image_html, new_figure, render_png

__all__ = ["FigurePanel", "error_html", "details_html", "static_text_html", "dropdown", "controls_row"]

#: Dropdown description style readable on a projector.
_DESCRIPTION_STYLE = {"description_width": "initial"}


def dropdown(description: str, options: Sequence[tuple[str, Any]], value: Any) -> widgets.Dropdown:
    """A dropdown with the course's layout: wide enough for its longest label.

    A ``<select>`` does not grow to fit its options, so the width is set from the
    longest label (in ``em``, which scales with the projector's font size).
    """
    longest = max((len(label) for label, _ in options), default=10)
    width = min(48.0, max(18.0, 0.55 * (len(description) + longest) + 5))
    return widgets.Dropdown(
        description=description,
        options=options,
        value=value,
        style=_DESCRIPTION_STYLE,
        layout=widgets.Layout(width=f"{width:.0f}em"),
    )


def controls_row(*controls: widgets.Widget) -> widgets.HBox:
    """Controls side by side, wrapping onto a new line on narrow screens and slides."""
    return widgets.HBox(list(controls), layout=widgets.Layout(flex_flow="row wrap"))


def error_html(message: str) -> str:
    """A clearly visible message for an unexpected choice (instead of a traceback)."""
    return (
        '<div class="ot-error" role="alert" style="border-left:6px solid #D55E00;'
        f'padding:0.5em 1em;font-size:1.05em"><strong>Cannot show this:</strong> '
        f"{html.escape(message)}</div>"
    )


def details_html(summary: str, text: str) -> str:
    """Plain text folded under a summary line (e.g. "What is drawn, with sources")."""
    return (
        f"<details><summary>{html.escape(summary)}</summary>"
        f"<pre style='white-space:pre-wrap;font-size:0.95em'>{html.escape(text)}</pre></details>"
    )


def static_text_html(title: str, text: str, body: str | None = None) -> str:
    """A widget's content as static HTML, folded under ``title`` (``<details class="ot-static-text">``).

    ``body`` is the HTML version (a table, say); without one, ``text`` is shown as
    preformatted text. Printed handouts open every such block.
    """
    pre = f"<pre style='white-space:pre-wrap;font-size:0.95em'>{html.escape(text)}</pre>"
    inner = body if body is not None else pre
    return (
        '<details class="ot-static-text" style="margin:0.4em 0"><summary style="cursor:pointer">'
        f"<strong>{html.escape(title)}</strong></summary>{inner}</details>"
    )


class FigurePanel:
    """One figure, redrawn in place, shown as an image whose alt text is its summary.

    ``redraw(draw)`` clears the same :class:`~matplotlib.figure.Figure`, calls
    ``draw(figure)`` (which returns the one-sentence summary), renders a PNG and
    replaces the image (``.image``, an ``ipywidgets.HTML`` holding
    ``<img alt="summary">``: an ``ipywidgets.Image`` or ``Output`` cannot carry alt
    text) and the summary line under it (``.caption``). The figure object is
    created once.
    """

    def __init__(self, width: float | None = None, height: float | None = None) -> None:
        self.figure: Figure = new_figure(width, height)
        self.image = widgets.HTML()
        self.image.add_class("ot-figure")
        self.caption = widgets.HTML()
        self.png: bytes = b""
        self.summary: str = ""
        self.error: str | None = None
        #: The draw function last used; benchmarks replay it on a fresh figure.
        self.last_draw: Callable[[Figure], str] | None = None
        self.widget = widgets.VBox([self.image, self.caption])

    def redraw(self, draw: Callable[[Figure], str]) -> None:
        """Draw into the existing figure and show the result."""
        self.figure.clear()
        self.last_draw = draw
        self.summary = draw(self.figure)
        self.error = None
        self.png = render_png(self.figure)
        self.image.value = image_html(self.png, self.summary)
        self.caption.value = caption_html(self.summary)

    def show_error(self, message: str) -> None:
        """Replace the figure with a clear message."""
        self.error = message
        self.summary = ""
        self.png = b""
        self.image.value = ""
        self.caption.value = error_html(message)
