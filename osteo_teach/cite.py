"""Cited output, in one place: a statement with its sources, as text and as HTML.

Every topic module shows statements the same way: the text, then its source keys
("... [key1, key2]" in text, a "Sources: key1, key2" line in HTML), an
illustrative value with its reason, and "not in verified sources" where no
verified source gives a value. Tables get the course's inline cell style here
(JupyterLab drops ``<style>`` blocks from untrusted outputs and right-aligns
cells), so handouts, Voila and JupyterLab look alike.

Taught in: every notebook (how a fact is cited: ``00_start_here.ipynb``).
"""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass

from .records import SourcedText

__all__ = [
    "NOT_VERIFIED",
    "CELL_STYLE",
    "SOURCES_STYLE",
    "cited_text",
    "cited_html",
    "cell_html",
    "sources_line",
    "wrapped",
    "styled_table",
    "table_html",
    "TextAndHtml",
]

#: What a value says when no verified source gives it.
NOT_VERIFIED = "not in verified sources"

#: Table cell style, written on each cell (see the module docstring).
CELL_STYLE = "border:1px solid #999;padding:6px;vertical-align:top;text-align:left"
#: Style of the "Sources: ..." line under a statement (#444 on white: contrast 9.7:1).
SOURCES_STYLE = "color:#444;font-size:0.85em"


def sources_line(keys: Iterable[str]) -> str:
    """``Sources: key1, key2`` (plain text)."""
    return f"Sources: {', '.join(keys)}"


def cited_text(statement: SourcedText | None, missing: str = NOT_VERIFIED) -> str:
    """``text [key1, key2]``; an illustrative value with its reason; ``missing`` for ``None``."""
    if statement is None:
        return missing
    if statement.illustrative:
        return f"{statement.text} (illustrative: {statement.reason})"
    return f"{statement.text} [{', '.join(statement.sources)}]"


def cited_html(statement: SourcedText | None, missing: str = NOT_VERIFIED) -> str:
    """The statement, then a small "Sources: ..." line (or the illustrative reason), as HTML."""
    if statement is None:
        return f"<em>{html.escape(missing)}</em>"
    note = f"Illustrative: {statement.reason}" if statement.illustrative else sources_line(statement.sources)
    return f'{html.escape(statement.text)}<br><span class="ot-sources">{html.escape(note)}</span>'


def cell_html(statement: SourcedText | None, missing: str = NOT_VERIFIED) -> str:
    """One ``<td>`` holding a cited statement (``class="ot-missing"`` when there is none)."""
    if statement is None:
        return f'<td class="ot-missing">{cited_html(None, missing)}</td>'
    return f"<td>{cited_html(statement)}</td>"


def wrapped(text: str, width: int = 88, first: str = "  ", rest: str = "  ") -> str:
    """``text`` wrapped to ``width`` with the given indents (the course's text blocks)."""
    return textwrap.fill(text, width=width, initial_indent=first, subsequent_indent=rest)


def styled_table(table: str) -> str:
    """Write the course's cell style onto every ``<td>``/``<th>`` and sources line."""
    table = re.sub(r"<(td|th)\b([^>]*?)style=(['\"])", rf"<\1\2style=\3{CELL_STYLE};", table)
    table = re.sub(r"<(td|th)\b(?![^>]*style=)", rf'<\1 style="{CELL_STYLE}"', table)
    return re.sub(r"class=(['\"])ot-sources\1(?![^>]*style=)", rf'class=\1ot-sources\1 style="{SOURCES_STYLE}"', table)


def table_html(
    css_class: str, head: Iterable[str], rows: Iterable[str], *, caption: str | None = None, font_size: str = "1.05em"
) -> str:
    """A styled table: ``head`` cells (plain text, escaped), ``rows`` already-built ``<tr>``s.

    ``caption`` names the table for screen readers.
    """
    header = "".join(f"<th scope='col'>{html.escape(cell)}</th>" for cell in head)
    cap = f"<caption style='text-align:left;font-weight:bold'>{html.escape(caption)}</caption>" if caption else ""
    return styled_table(
        f"<table class='{css_class}' style='border-collapse:collapse;font-size:{font_size};line-height:1.4;"
        f"width:100%'>{cap}<thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


@dataclass(frozen=True)
class TextAndHtml:
    """Displays as HTML in a notebook; ``str()`` (and print) gives the plain-text version."""

    text: str
    html: str

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        return self.html
