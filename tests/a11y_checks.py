"""Accessibility checks shared by the tests (no browser needed).

- :func:`figure_text_contrast`: every text drawn on a matplotlib figure, with the
  contrast ratio between its colour and the pixels behind its glyphs (WCAG 2.1).
- :func:`unnamed_controls`: ipywidgets controls a screen reader could not name.
- :func:`images_without_alt`: ``<img>`` tags without a non-empty ``alt``.
- :func:`lesson_figures`: every figure a lesson's notebook draws (its code run in an
  in-process IPython shell), for the contrast and alt-text tests.
"""

from __future__ import annotations

import contextlib
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from osteo_teach.style import AA_LARGE_TEXT, AA_TEXT, is_large_text

__all__ = [
    "TextContrast",
    "figure_text_contrast",
    "contrast_failures",
    "unnamed_controls",
    "images_without_alt",
    "widget_tree",
    "recording_figures",
    "run_notebook_in_process",
]


@dataclass(frozen=True)
class TextContrast:
    """One text artist of a figure and its measured contrast."""

    text: str
    colour: tuple[float, float, float]
    size: float
    bold: bool
    ratio: float
    required: float

    @property
    def ok(self) -> bool:
        return self.ratio >= self.required

    def describe(self) -> str:
        hexed = "#" + "".join(f"{round(c * 255):02X}" for c in self.colour)
        return (
            f"{self.text[:60]!r} in {hexed} at {self.size:g} pt: contrast {self.ratio:.2f}:1, needs {self.required:g}:1"
        )


def _decode(png: bytes) -> Any:
    import io

    import matplotlib.image as mpimg

    return mpimg.imread(io.BytesIO(png), format="png")[..., :3].astype(float)


def _render(figure: Any) -> Any:
    """The figure as ``render_png`` saves it (tight bounding box, white), as an RGB array in 0..1.

    Saved like ``plots.render_png`` but barely compressed (same pixels, faster).
    """
    import io

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", facecolor="white", pil_kwargs={"compress_level": 1})
    return _decode(buffer.getvalue())


def _origin(figure: Any) -> tuple[float, float]:
    """Where the saved (tight, padded) image starts, in the figure's display pixels."""
    import matplotlib as mpl

    renderer = figure.canvas.get_renderer()
    pad = mpl.rcParams["savefig.pad_inches"]
    tight = figure.get_tightbbox(renderer)
    return ((tight.x0 - pad) * figure.dpi, (tight.y0 - pad) * figure.dpi)


def _luminance(rgb: Any) -> Any:
    """WCAG relative luminance of an (N, 3) array of RGB values in 0..1 (as ``style.relative_luminance``)."""
    import numpy as np

    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return linear @ np.array([0.2126, 0.7152, 0.0722])


def _ratios(first: Any, second: Any) -> Any:
    import numpy as np

    a, b = _luminance(first), _luminance(second)
    return (np.maximum(a, b) + 0.05) / (np.minimum(a, b) + 0.05)


def figure_text_contrast(figure: Any, png: bytes | None = None, percentile: float = 10.0) -> list[TextContrast]:
    """The contrast of every visible text of ``figure`` against what is drawn behind it.

    The figure is rendered twice, with and without its texts: a text's glyph pixels
    are those that differ, and its background is the second rendering at those
    pixels (or the text's own box, e.g. a white label box, laid over it). The ratio
    reported is the ``percentile``-th lowest over the glyph pixels (a few pixels
    where a glyph crosses a line do not count against it). Texts that draw nothing
    (empty, hidden, clipped away) are skipped. ``png``: the figure as
    ``plots.render_png`` just rendered it (saves one rendering).
    """
    import numpy as np
    from matplotlib.colors import to_rgba
    from matplotlib.text import Text

    texts = [t for t in figure.findobj(Text) if t.get_visible() and t.get_text().strip()]
    with_text = _decode(png) if png is not None else _render(figure)
    renderer = figure.canvas.get_renderer()
    x_origin, y_origin = _origin(figure)
    extents = {id(t): t.get_window_extent(renderer) for t in texts}
    # Transparent, not hidden: hidden texts would change the tight bounding box.
    saved = [
        (t, t.get_alpha(), t.get_bbox_patch(), getattr(t.get_bbox_patch(), "get_alpha", lambda: None)()) for t in texts
    ]
    for t, _, patch, _ in saved:
        t.set_alpha(0.0)
        if patch is not None:
            patch.set_alpha(0.0)
    try:
        without = _render(figure)
    finally:
        for t, alpha, patch, patch_alpha in saved:
            t.set_alpha(alpha)
            if patch is not None:
                patch.set_alpha(patch_alpha)
    height, width = without.shape[:2]
    results = []
    for t in texts:
        box = extents[id(t)].translated(-x_origin, -y_origin)
        x0, x1 = max(int(box.x0), 0), min(int(np.ceil(box.x1)), width)
        y0, y1 = max(int(height - box.y1), 0), min(int(np.ceil(height - box.y0)), height)
        if x1 <= x0 or y1 <= y0:
            continue
        a, b = with_text[y0:y1, x0:x1], without[y0:y1, x0:x1]
        glyph = np.abs(a - b).max(axis=2) > 0.15
        if not glyph.any():
            continue
        background = b[glyph]
        patch = t.get_bbox_patch()
        if patch is not None and patch.get_visible():
            r, g, bl, alpha = to_rgba(patch.get_facecolor(), next(pa for tt, _, _, pa in saved if tt is t))
            background = np.array([r, g, bl]) * alpha + background * (1 - alpha)
        r, g, bl, alpha = to_rgba(t.get_color(), t.get_alpha())
        colour = np.array([r, g, bl])
        ratios = _ratios(colour * alpha + background * (1 - alpha), background)
        size = float(t.get_fontsize())
        bold = str(t.get_fontweight()) in ("bold", "heavy", "black", "semibold", "demibold", "700", "800", "900")
        required = AA_LARGE_TEXT if is_large_text(size, bold) else AA_TEXT
        results.append(
            TextContrast(t.get_text(), tuple(colour), size, bold, float(np.percentile(ratios, percentile)), required)
        )
    return results


def contrast_failures(figure: Any, png: bytes | None = None) -> list[str]:
    """The texts of ``figure`` below WCAG AA contrast, described (empty when all pass)."""
    return [c.describe() for c in figure_text_contrast(figure, png) if not c.ok]


# --- widgets -----------------------------------------------------------------------


def widget_tree(widget: Any) -> Iterator[Any]:
    """``widget`` and every widget inside it (children of boxes), depth first."""
    seen: set[int] = set()
    stack = [widget]
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        stack.extend(reversed(list(getattr(item, "children", ()) or ())))


def unnamed_controls(widget: Any) -> list[str]:
    """Controls inside ``widget`` without an accessible name (empty when every control has one).

    A named control: a dropdown, selection, text or number box, slider or checkbox
    with a description (ipywidgets renders it as the control's ``<label>``); a
    button with a text description (an icon alone says nothing to a screen reader).
    RadioButtons and ToggleButtons options are labelled by their own texts but the
    group needs a description too.
    """
    import ipywidgets as w

    named = (
        w.Dropdown,
        w.Select,
        w.SelectMultiple,
        w.RadioButtons,
        w.ToggleButtons,
        w.Text,
        w.Textarea,
        w.FloatText,
        w.IntText,
        w.BoundedFloatText,
        w.BoundedIntText,
        w.IntSlider,
        w.FloatSlider,
        w.IntRangeSlider,
        w.FloatRangeSlider,
        w.SelectionSlider,
        w.Checkbox,
        w.ToggleButton,
        w.Combobox,
    )
    problems = []
    for item in widget_tree(widget):
        if isinstance(item, w.Button):
            if not (item.description or "").strip():
                problems.append(f"a Button without a text description (icon {item.icon!r}, tooltip {item.tooltip!r})")
        elif isinstance(item, named) and not (getattr(item, "description", "") or "").strip():
            options = list(getattr(item, "options", ()))[:3]
            problems.append(f"a {type(item).__name__} without a description (options {options})")
    return problems


_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_ALT = re.compile(r"""\balt\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)


def images_without_alt(markup: str) -> list[str]:
    """The ``<img>`` tags in ``markup`` with no alt text (a short excerpt of each)."""
    found = []
    for tag in _IMG.findall(markup):
        match = _ALT.search(tag)
        alt = html.unescape((match.group(1) or match.group(2) or "") if match else "")
        if not alt.strip():
            found.append(tag[:80] + ("..." if len(tag) > 80 else ""))
    return found


# --- every figure a notebook draws ---------------------------------------------------


@contextlib.contextmanager
def recording_figures() -> Iterator[list[tuple[Any, bytes]]]:
    """Record every figure the course renders to PNG (``plots.render_png``) while inside, with its PNG."""
    from osteo_teach import plots, widgets

    seen: list[tuple[Any, bytes]] = []
    original = plots.render_png

    def record(figure: Any) -> bytes:
        png = original(figure)
        seen.append((figure, png))
        return png

    plots.render_png = record  # type: ignore[assignment]
    widgets.render_png = record  # type: ignore[attr-defined]
    try:
        yield seen
    finally:
        plots.render_png = original  # type: ignore[assignment]
        widgets.render_png = original  # type: ignore[attr-defined]


@dataclass
class InProcessRun:
    """What a notebook displayed when run in an in-process IPython shell."""

    #: Every mime bundle displayed (``display(...)`` and each cell's last expression).
    bundles: list[dict[str, Any]]
    #: Every widget displayed (its own tree is checked for names and images).
    widgets: list[Any]


def run_notebook_in_process(path: Path, style: str = "classroom", on_figure: Any = None) -> InProcessRun:
    """Run a notebook's code cells in an in-process IPython shell, recording what it displays.

    ``ot.start()`` becomes ``ot.start(style=style)``. ``on_figure(figure, png, cell_index)``
    is called for each figure rendered, right after it is rendered (widgets redraw
    one figure in place). Nothing is printed: display calls are recorded instead.
    """
    import nbformat
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output
    from ipywidgets import Widget

    from osteo_teach import plots, widgets

    nb = nbformat.read(path, as_version=4)
    shell = InteractiveShell.instance()
    run = InProcessRun([], [])

    class Recorder(DisplayPublisher):
        def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kwargs):  # type: ignore[override]
            run.bundles.append(dict(data))

    original = plots.render_png
    current = [-1]

    def record(figure: Any) -> bytes:
        png = original(figure)
        if on_figure is not None:
            on_figure(figure, png, current[0])
        return png

    saved_pub = shell.display_pub
    shell.display_pub = Recorder(shell=shell)
    plots.render_png = record  # type: ignore[assignment]
    widgets.render_png = record  # type: ignore[attr-defined]
    try:
        shell.reset(new_session=True)
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            current[0] = index
            source = cell.source.replace("ot.start()", f'ot.start(style="{style}")')
            with capture_output(display=False):
                result = shell.run_cell(source, store_history=False)
            if result.error_before_exec or result.error_in_exec:
                raise AssertionError(f"{path.name}, cell {index}: {result.error_in_exec or result.error_before_exec}")
            value = result.result
            if value is None:
                continue
            if isinstance(value, Widget):
                run.widgets.append(value)
                continue
            if hasattr(value, "_ipython_display_"):
                value._ipython_display_()  # records through display_pub
                continue
            data, _ = shell.display_formatter.format(value)
            run.bundles.append(dict(data))
    finally:
        shell.display_pub = saved_pub
        plots.render_png = original  # type: ignore[assignment]
        widgets.render_png = original  # type: ignore[attr-defined]
    return run
