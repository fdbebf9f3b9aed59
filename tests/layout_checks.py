"""Checks that a figure saved whole (``plots.save_whole``: not cropped) loses nothing at its edges."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from osteo_teach.plots import agg_renderer, new_figure, render_png
from osteo_teach.style import use_style


def cut_off(figure: Any) -> str | None:
    """None if everything drawn lies inside the figure and the PNG has the figure's own size; else what is wrong."""
    figure.canvas.draw()
    drawn = figure.get_tightbbox(agg_renderer(figure))  # inches: everything drawn, as cropping would see it
    width, height = figure.get_size_inches()
    if drawn.x0 < -0.01 or drawn.y0 < -0.01 or drawn.x1 > width + 0.01 or drawn.y1 > height + 0.01:
        return f"drawn over x {drawn.x0:.2f}-{drawn.x1:.2f}, y {drawn.y0:.2f}-{drawn.y1:.2f} in a {width}x{height} in figure"
    pixels = (round(width * figure.dpi), round(height * figure.dpi))
    png = render_png(figure)
    saved = (int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big"))
    if saved != pixels:
        return f"saved at {saved} px, not the figure's own {pixels}: cropped"
    return None


def fixed_layout_problem(figure: Any) -> str | None:
    """For a figure laid out by ``plots.fixed_layout``: None if nothing is cut off, no two
    row labels touch, the legend lies under the x label and the title above the axes."""
    import itertools

    problem = cut_off(figure)
    if problem:
        return problem
    renderer = agg_renderer(figure)
    ax = figure.axes[0]
    rows = [t.get_window_extent(renderer) for t in ax.get_yticklabels() if t.get_text()]
    for lower, upper in itertools.pairwise(rows):
        if lower.y1 >= upper.y0:
            return "two row labels overlap"
    if (
        figure.legends
        and figure.legends[0].get_window_extent(renderer).y1 >= ax.xaxis.label.get_window_extent(renderer).y0
    ):
        return "the legend covers the x label"
    if ax.title.get_window_extent(renderer).y0 < ax.get_window_extent(renderer).y1:
        return "the title overlaps the axes"
    return None


def assert_every_state_fits(
    style: str,
    make_widget: Callable[[], Any],
    states: Callable[[], Iterable[tuple[Any, ...]]],
    draw: Callable[..., str],
    check: Callable[[Any], str | None] = cut_off,
) -> None:
    """In ``style``, draw every state on a new figure the size of the widget's own; ``check`` finds nothing wrong."""
    try:
        use_style(style)
        size = tuple(make_widget().panel.figure.get_size_inches())
        for state in states():
            figure = new_figure(*size)
            draw(figure, *state)
            problem = check(figure)
            assert problem is None, f"{style} {'/'.join(map(str, state))}: {problem}"
    finally:
        use_style("classroom")
