"""Colour-blind-safe colours and classroom/projector figure styles.

Accessibility is fixed once, here: every figure in the course takes its colours
from the Okabe-Ito palette and its sizes from :func:`use_style`.

Taught in: every notebook's first cell (``osteo_teach.start()`` applies the
classroom style); instructors call ``use_style("projector")`` before presenting.
"""

from __future__ import annotations

from typing import Any, Literal

__all__ = [
    "OKABE_ITO",
    "PALETTE",
    "STYLES",
    "AA_TEXT",
    "AA_LARGE_TEXT",
    "use_style",
    "request_style",
    "apply_requested_style",
    "current_style",
    "relative_luminance",
    "contrast_ratio",
    "is_large_text",
]

#: Okabe & Ito (2008) colour-universal-design palette.
OKABE_ITO: dict[str, str] = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "black": "#000000",
}

#: Default colour cycle: strong colours first; yellow last (weak on white).
PALETTE: list[str] = [
    OKABE_ITO[name]
    for name in ("blue", "orange", "bluish_green", "vermillion", "reddish_purple", "sky_blue", "black", "yellow")
]

StyleName = Literal["classroom", "projector"]

#: Font sizes in points, and figure size in inches, per setting.
STYLES: dict[str, dict[str, Any]] = {
    "classroom": {
        "font.size": 13,
        "axes.titlesize": 15,
        "axes.labelsize": 13,
        "xtick.labelsize": 12,
        "ytick.labelsize": 12,
        "legend.fontsize": 12,
        "lines.linewidth": 2.0,
        "figure.figsize": (10.0, 5.0),
        "figure.dpi": 100,
    },
    "projector": {
        "font.size": 18,
        "axes.titlesize": 21,
        "axes.labelsize": 18,
        "xtick.labelsize": 16,
        "ytick.labelsize": 16,
        "legend.fontsize": 16,
        "lines.linewidth": 3.0,
        "figure.figsize": (12.0, 6.5),
        "figure.dpi": 100,
    },
}

_current: list[str] = ["classroom"]
_pending: list[str | None] = [None]


def _check(name: str) -> None:
    if name not in STYLES:
        raise ValueError(f"unknown style '{name}': expected one of {', '.join(STYLES)}")


def use_style(name: str = "classroom") -> None:
    """Apply a named style to every figure drawn afterwards.

    ``"classroom"`` suits a laptop screen; ``"projector"`` makes fonts and lines
    large enough to read from the back of a lecture room.
    """
    import matplotlib.style
    from cycler import cycler

    _check(name)
    matplotlib.style.use(
        {
            **STYLES[name],
            "axes.prop_cycle": cycler(color=PALETTE),
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "savefig.bbox": "tight",
            "font.family": "DejaVu Sans",
        }
    )
    _current[0] = name
    _pending[0] = None


def request_style(name: str = "classroom") -> None:
    """Choose the style now, apply it when the first figure is made.

    Used by ``osteo_teach.start()`` so that a notebook without figures never pays
    for importing matplotlib.
    """
    _check(name)
    _pending[0] = name
    _current[0] = name


def apply_requested_style() -> None:
    """Apply a style chosen with :func:`request_style`, if any (called by ``new_figure``)."""
    pending = _pending[0]
    if pending is not None:
        use_style(pending)


def current_style() -> str:
    """The name of the style in force (or chosen, for the next figure)."""
    return _current[0]


# --- contrast (WCAG 2.1) --------------------------------------------------------------

#: WCAG 2.1 AA minimum contrast for text (success criterion 1.4.3), and for large text.
AA_TEXT = 4.5
AA_LARGE_TEXT = 3.0


def _rgb(colour: str | tuple[float, ...]) -> tuple[float, float, float]:
    if isinstance(colour, str):
        value = colour.lstrip("#")
        return (int(value[0:2], 16) / 255, int(value[2:4], 16) / 255, int(value[4:6], 16) / 255)
    return (float(colour[0]), float(colour[1]), float(colour[2]))


def relative_luminance(colour: str | tuple[float, ...]) -> float:
    """WCAG 2.1 relative luminance of a colour (``"#RRGGBB"`` or RGB in 0..1)."""

    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: str | tuple[float, ...], second: str | tuple[float, ...]) -> float:
    """WCAG 2.1 contrast ratio between two colours, from 1 (none) to 21 (black on white)."""
    a, b = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def is_large_text(points: float, bold: bool = False) -> bool:
    """WCAG's "large text": at least 18 pt, or 14 pt bold (which may use the lower 3:1 contrast)."""
    return points >= 18 or (bold and points >= 14)
