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
        """Follow IPython's cells from now on (called when a widget is shown, so from inside a cell)."""
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
        # Hooked while a cell shows a widget: that cell is running (its start came before the hook).
        self.running = True

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


#: Longest a render-ahead thread stays paused in the middle of a draw. A pause that
#: lasts longer may mean the change being shown waits for something that thread
#: holds; it then finishes its state without pausing, so nothing can deadlock.
MAX_PAUSE_SECONDS = 2.0


#: Seconds drawing ahead stays paused after a change is shown, while the browser
#: receives and decodes the new image (and the next change, if a student is stepping
#: through a dropdown, comes in) without sharing the processor with it.
SETTLE_SECONDS = 0.1


class _Foreground:
    """Whether a change is being shown now, so that drawing ahead steps aside at once.

    Two threads drawing share one interpreter lock: a change drawn while a state
    is being drawn ahead would take about twice as long. The render-ahead thread
    calls :meth:`step_aside` before each line, patch and text it draws (see
    :func:`_stepping_aside_figure`), so it stops within a millisecond or so when a
    change starts or a cell runs, and goes on where it was :data:`SETTLE_SECONDS`
    after the change was shown (at once if the change waits for the state being
    drawn ahead: :meth:`hurry`). Counted, for nested changes.
    """

    def __init__(self) -> None:
        self._showing = 0
        self._last_shown = -SETTLE_SECONDS
        self._changed = threading.Condition()

    def __enter__(self) -> None:
        with self._changed:
            self._showing += 1

    def __exit__(self, *_exc: object) -> None:
        with self._changed:
            self._showing -= 1
            if not self._showing:
                self._last_shown = time.monotonic()
                self._changed.notify_all()

    def hurry(self) -> None:
        """A change waits for the state being drawn ahead: let it go on now, not after the pause."""
        with self._changed:
            self._last_shown = -SETTLE_SECONDS
            self._changed.notify_all()

    def _paused_for(self) -> float | None:
        """How long to wait before checking again (None: drawing ahead may go on). Call holding the lock."""
        if self._showing:
            return MAX_PAUSE_SECONDS
        settling = self._last_shown + SETTLE_SECONDS - time.monotonic()
        if settling > 0:
            return settling
        return 0.02 if _CELLS.running else None  # a running cell is not signalled: check again shortly

    def wait_between_states(self) -> None:
        """Before drawing a state ahead: wait until no cell has run for a while and no change is shown."""
        while True:
            _CELLS.wait_quiet()
            with self._changed:
                wait = self._paused_for()
                if wait is None:
                    return
                self._changed.wait(wait)

    def step_aside(self) -> bool:
        """Pause the calling (render-ahead) thread while a change is shown or a cell runs.

        Returns False if it waited :data:`MAX_PAUSE_SECONDS` in vain: the caller
        then finishes its state without pausing again.
        """
        deadline = time.monotonic() + MAX_PAUSE_SECONDS
        with self._changed:
            while (wait := self._paused_for()) is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(min(left, wait))
        return True


_FOREGROUND = _Foreground()


#: The renderer calls before which drawing ahead may pause (a few hundred per figure): drawing,
#: and measuring text, which laying out the figure does before anything is drawn.
_DRAWING_CALLS = (
    "draw_path",
    "draw_text",
    "draw_image",
    "draw_markers",
    "draw_path_collection",
    "get_text_width_height_descent",
)


def _stepping_aside_figure(size: tuple[float, ...]) -> Figure:
    """A new figure for drawing ahead: its renderer steps aside before each thing it draws.

    After one pause of :data:`MAX_PAUSE_SECONDS` it stops pausing. Matplotlib's
    figures share one class-wide render lock; this figure gets its own, so that
    its draw, paused midway, never holds up the change being shown
    (``test_a_paused_draw_ahead_never_holds_up_a_change`` checks this still works).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg

    pausing = [True]

    def stepping_aside(method: Callable[..., Any]) -> Callable[..., Any]:
        def step(*args: Any, **kwargs: Any) -> Any:
            if pausing[0] and not _FOREGROUND.step_aside():
                pausing[0] = False
            return method(*args, **kwargs)

        return step

    class SteppingAsideCanvas(FigureCanvasAgg):
        _stepping: RendererAgg | None = None

        def get_renderer(self) -> RendererAgg:
            renderer = super().get_renderer()
            if renderer is not self._stepping:
                for name in _DRAWING_CALLS:
                    setattr(renderer, name, stepping_aside(getattr(renderer, name)))
                self._stepping = renderer
            return renderer

    figure = new_figure(*size)
    SteppingAsideCanvas(figure)
    vars(figure)["_render_lock"] = threading.RLock()  # shadows Figure._render_lock, for this figure only
    return figure


def draw_ahead_order(keys: Sequence[Hashable], shown: Hashable | None) -> list[Hashable]:
    """The order to draw states ahead in, nearest to the one ``shown`` first.

    ``keys`` come in the widgets' dropdown order: single choices, or pairs of a
    first choice and one of its options, e.g. (fracture site, treatment), where
    choosing a site shows its first treatment. A student steps through a dropdown
    (arrow keys do exactly that), so the next and previous option of each dropdown
    come first, then the rest of what is one change away, then everything else.
    """
    if shown not in keys:
        return list(keys)
    at = keys.index(shown)
    if not all(isinstance(k, tuple) and len(k) == 2 for k in keys) or not isinstance(shown, tuple):
        return list(dict.fromkeys([keys[(at + 1) % len(keys)], keys[at - 1], *keys[at:], *keys[:at]]))
    groups: dict[Hashable, list[Hashable]] = {}
    for key in keys:
        if isinstance(key, tuple):
            groups.setdefault(key[0], []).append(key)
    firsts = [options[0] for options in groups.values()]
    here = groups[shown[0]]
    g, i = list(groups).index(shown[0]), here.index(shown)
    near = [firsts[(g + 1) % len(firsts)], here[(i + 1) % len(here)], firsts[g - 1], here[i - 1]]
    cyclic_firsts = firsts[g:] + firsts[:g]
    return list(dict.fromkeys([*near, *cyclic_firsts, *here[i:], *here[:i], *keys]))


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
        #: The key shown last: drawing ahead goes on with the states closest to it.
        self._shown: Hashable | None = None
        self._ahead: threading.Thread | None = None

    def _full_key(self, key: Hashable) -> Hashable:
        """The key plus what else decides the pixels: the style and the figure's size."""
        return (key, current_style(), tuple(self.figure.get_size_inches()))

    def redraw(self, draw: Callable[[Figure], str], key: Hashable | None = None) -> None:
        """Show ``draw``'s picture: kept from before when ``key`` was shown or drawn ahead."""
        self.last_draw = draw
        kept = None
        if key is not None:
            full_key = self._full_key(key)
            with self._done:
                self._shown = key
                if not _CELLS.running and self._drawing == full_key:  # (while a cell runs, it is paused)
                    # Being drawn ahead right now: it is further on than a new draw would be.
                    _FOREGROUND.hurry()
                    self._done.wait_for(lambda: self._drawing != full_key, timeout=MAX_PAUSE_SECONDS)
                kept = self._kept.get(full_key)
        with _FOREGROUND:  # drawing ahead pauses while this change is shown
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

    def kept(self, key: Hashable) -> bool:
        """Whether the state ``key`` is drawn already (shown before, or drawn ahead)."""
        with self._lock:
            return self._full_key(key) in self._kept

    def render_ahead(self, states: Iterable[tuple[Hashable, Callable[[Figure], str]]]) -> None:
        """Draw these states in a background thread, so that choosing them shows at once.

        ``states`` come in the dropdowns' order; the thread draws those nearest to
        the state on screen first (:func:`draw_ahead_order`). Starts once per panel
        (later calls do nothing while it runs); each state is drawn on a new figure
        of the panel's size; a failure only stops the thread (the state is then
        drawn when chosen, as without rendering ahead). It waits while the kernel
        runs cells (the lesson's own cells come first) and steps aside while a
        change is being shown. Switched off by ``OSTEO_TEACH_RENDER_AHEAD=0``.
        """
        if os.environ.get(RENDER_AHEAD_ENV_VAR) == "0" or (self._ahead is not None and self._ahead.is_alive()):
            return
        _CELLS.hook()
        todo = {key: (self._full_key(key), draw) for key, draw in states}
        keys = list(todo)  # the dropdowns' order
        size = tuple(self.figure.get_size_inches())

        def work() -> None:
            try:
                while todo:
                    _FOREGROUND.wait_between_states()
                    with self._lock:
                        key = next(k for k in draw_ahead_order(keys, self._shown) if k in todo)
                        full_key, draw = todo.pop(key)
                        if full_key in self._kept:
                            continue
                        self._drawing = full_key
                    figure = _stepping_aside_figure(size)
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
