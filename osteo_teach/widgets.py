"""Interactive pieces shared by several notebooks.

- :class:`FigurePanel`: one matplotlib figure redrawn in place, shown through an
  ``ipywidgets.Output`` as a PNG, with its text summary underneath. Topic widgets
  (timeline explorer, procedure stepper) build on it.
- :func:`dropdown`, :func:`controls_row`: the course's controls, sized for a projector.
- :func:`error_html`, :func:`details_html`: a visible message instead of a traceback;
  plain text folded under a summary.

Widgets expose what they show (``.text``, ``.png``, ``.summary``), so a plain
pytest can set a dropdown's value and assert what changed, without a browser.

Taught in: every notebook with a widget (02-06).
"""

from __future__ import annotations

import html
import os
import threading
import time
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

if TYPE_CHECKING:  # not imported at run time: the quiz and comparison need no matplotlib
    from matplotlib.figure import Figure

from .plots import caption_html, image_html, new_figure, render_png
from .style import current_style

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


#: Environment variable that switches rendering ahead off (``0``): e.g. to measure a cold draw.
RENDER_AHEAD_ENV_VAR = "OSTEO_TEACH_RENDER_AHEAD"

#: Seconds without a running cell before drawing ahead starts again (after "Run All", say).
QUIET_SECONDS = 0.3


class _CellActivity:
    """Whether the kernel is running a cell, from IPython's ``pre/post_run_cell`` events.

    Drawing ahead waits while cells run: during "Run All" (and under nbval) the cells
    need the processor, and a background draw would only slow them down. Outside
    IPython there are no cells, and the kernel always counts as quiet.
    """

    def __init__(self) -> None:
        self.running = False
        self.last_end = 0.0
        self._hooked = False

    def hook(self) -> None:
        if self._hooked:
            return
        try:
            from IPython import get_ipython
        except ImportError:  # pragma: no cover - ipywidgets depends on IPython
            return
        shell = get_ipython()
        if shell is None:
            return
        shell.events.register("pre_run_cell", self._started)
        shell.events.register("post_run_cell", self._ended)
        self._hooked = True

    def _started(self, *_args: object) -> None:
        self.running = True

    def _ended(self, *_args: object) -> None:
        self.running = False
        self.last_end = time.monotonic()

    def wait_quiet(self) -> None:
        """Return once no cell has run for :data:`QUIET_SECONDS`."""
        while self.running or time.monotonic() - self.last_end < QUIET_SECONDS:
            time.sleep(0.05)


_CELLS = _CellActivity()


class FigurePanel:
    """One figure, redrawn in place, shown as an image whose alt text is its summary.

    ``redraw(draw, key)`` clears the same :class:`~matplotlib.figure.Figure`, calls
    ``draw(figure)`` (which returns the one-sentence summary), renders a PNG and
    replaces the image (``.image``, an ``ipywidgets.HTML`` holding
    ``<img alt="summary">``: an ``ipywidgets.Image`` or ``Output`` cannot carry alt
    text) and the summary line under it (``.caption``). The figure object is
    created once.

    With a ``key`` (the widget's choices, e.g. ``(site, treatment)``) the PNG and
    summary are kept, so showing that state again costs no drawing, and
    :meth:`render_ahead` draws the states a student has not reached yet in a
    background thread, on figures of its own, pausing while a change is shown.
    Drawing is deterministic: a kept or pre-drawn PNG is byte for byte the one a
    fresh draw gives (the tests check it through each widget's ``direct`` twin).
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
        #: Drawn states: key -> (PNG, summary). Shared with the render-ahead thread.
        self._kept: dict[Hashable, tuple[bytes, str]] = {}
        self._lock = threading.Lock()
        #: Signalled when the render-ahead thread finishes a state (``_drawing`` says which).
        self._done = threading.Condition(self._lock)
        self._drawing: Hashable | None = None
        self._idle = threading.Event()
        self._idle.set()
        self._ahead: threading.Thread | None = None

    def _full_key(self, key: Hashable) -> Hashable:
        """The key plus what else decides the pixels: the style and the figure's size."""
        return (key, current_style(), tuple(self.figure.get_size_inches()))

    def redraw(self, draw: Callable[[Figure], str], key: Hashable | None = None) -> None:
        """Show ``draw``'s picture: kept from before when ``key`` was shown or drawn ahead."""
        self._idle.clear()  # the render-ahead thread waits while a change is being shown
        try:
            self.last_draw = draw
            kept = None
            if key is not None:
                full_key = self._full_key(key)
                with self._done:
                    # The background thread may be drawing this very state: wait for it.
                    self._done.wait_for(lambda: self._drawing != full_key, timeout=10)
                    kept = self._kept.get(full_key)
            if kept is None:
                self.figure.clear()
                summary = draw(self.figure)
                kept = (render_png(self.figure), summary)
                if key is not None:
                    with self._lock:
                        self._kept[self._full_key(key)] = kept
            self.png, self.summary = kept
            self.error = None
            self.image.value = image_html(self.png, self.summary)
            self.caption.value = caption_html(self.summary)
        finally:
            self._idle.set()

    def kept(self, key: Hashable) -> bool:
        """Whether the state ``key`` is drawn already (shown before, or drawn ahead)."""
        with self._lock:
            return self._full_key(key) in self._kept

    def render_ahead(self, states: Iterable[tuple[Hashable, Callable[[Figure], str]]]) -> None:
        """Draw these states in a background thread, so that choosing them shows at once.

        Starts once per panel (later calls do nothing while it runs); each state is
        drawn on a new figure of the panel's size; a failure only stops the thread
        (the state is then drawn when chosen, as without rendering ahead). It waits
        while the kernel runs cells (the lesson's own cells come first) and while a
        change is being shown. Switched off by ``OSTEO_TEACH_RENDER_AHEAD=0``.
        """
        if os.environ.get(RENDER_AHEAD_ENV_VAR) == "0" or (self._ahead is not None and self._ahead.is_alive()):
            return
        _CELLS.hook()
        todo = [(self._full_key(key), draw) for key, draw in states]
        size = tuple(self.figure.get_size_inches())

        def work() -> None:
            try:
                for full_key, draw in todo:
                    _CELLS.wait_quiet()
                    self._idle.wait()
                    with self._lock:
                        if full_key in self._kept:
                            continue
                        self._drawing = full_key
                    figure = new_figure(*size)
                    summary = draw(figure)
                    png = render_png(figure)
                    with self._done:
                        self._kept.setdefault(full_key, (png, summary))
                        self._drawing = None
                        self._done.notify_all()
            except Exception:  # rendering ahead is an optimisation: a failure is never an error
                with self._done:
                    self._drawing = None
                    self._done.notify_all()

        self._ahead = threading.Thread(target=work, name="osteo-teach-render-ahead", daemon=True)
        self._ahead.start()

    def wait_ahead(self, timeout: float | None = None) -> None:
        """Wait until rendering ahead has finished (tests and benchmarks)."""
        if self._ahead is not None:
            self._ahead.join(timeout)

    def show_error(self, message: str) -> None:
        """Replace the figure with a clear message."""
        self.error = message
        self.summary = ""
        self.png = b""
        self.image.value = ""
        self.caption.value = error_html(message)
