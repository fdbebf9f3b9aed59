"""Side-by-side comparisons of two procedures, aspect by aspect, with sources.

Plain functions from data to text/HTML; the comparison widget in
:mod:`osteo_teach.widgets` only chooses what to pass in.

Taught in: ``02_fracture_reduction.ipynb`` (open vs closed reduction) and
``04_vertebral_augmentation.ipynb`` (vertebroplasty vs balloon kyphoplasty).
"""

from __future__ import annotations

import html
import re
import textwrap
from dataclasses import dataclass

from .data import CourseData, load
from .records import Aspect, Comparison, Procedure, SourcedText

__all__ = [
    "ALL_ASPECTS",
    "NOT_COVERED",
    "ComparisonRow",
    "comparison_rows",
    "comparison_text",
    "comparison_html",
    "styled_table",
]

#: The aspect choice that shows every aspect of a comparison.
ALL_ASPECTS = "all"

#: What a cell says when no verified source covers that aspect.
NOT_COVERED = "Not covered by a verified source in data/ (left out on purpose)."


#: Table cell style, written on each cell: JupyterLab drops ``<style>`` blocks from
#: untrusted outputs and right-aligns table cells, which makes prose hard to read.
CELL_STYLE = "border:1px solid #999;padding:6px;vertical-align:top;text-align:left"
#: Style of the "Sources: ..." line under a statement.
SOURCES_STYLE = "color:#444;font-size:0.85em"


def styled_table(table_html: str) -> str:
    """Write the course's cell style onto every ``<td>``/``<th>`` and sources line.

    Inline styles survive JupyterLab's sanitiser, nbconvert handouts and Voila alike.
    """
    table_html = re.sub(r"<(td|th)\b([^>]*?)style=(['\"])", rf"<\1\2style=\3{CELL_STYLE};", table_html)
    table_html = re.sub(r"<(td|th)\b(?![^>]*style=)", rf'<\1 style="{CELL_STYLE}"', table_html)
    return re.sub(r"class=(['\"])ot-sources\1(?![^>]*style=)", rf'class=\1ot-sources\1 style="{SOURCES_STYLE}"',
                  table_html)


@dataclass(frozen=True)
class ComparisonRow:
    """One aspect, with each procedure's statement (``None`` when not covered)."""

    aspect: Aspect
    procedures: tuple[Procedure, Procedure]
    statements: tuple[SourcedText | None, SourcedText | None]


def comparison_rows(
    comparison_id: str, aspect_id: str = ALL_ASPECTS, data: CourseData | None = None
) -> list[ComparisonRow]:
    """The rows to show for one comparison and one aspect (or all of them).

    Unknown ids raise a KeyError whose message lists the valid ones.
    """
    data = data or load()
    comparison: Comparison = data.get("comparisons", comparison_id)  # type: ignore[assignment]
    if aspect_id == ALL_ASPECTS:
        aspect_ids = list(comparison.aspects)
    elif aspect_id in comparison.aspects:
        aspect_ids = [aspect_id]
    else:
        raise KeyError(
            f"unknown aspect id '{aspect_id}' for comparison '{comparison_id}': "
            f"expected '{ALL_ASPECTS}' or one of {', '.join(comparison.aspects)}"
        )
    first, second = (data.get("procedures", pid) for pid in comparison.procedures)
    pair: tuple[Procedure, Procedure] = (first, second)  # type: ignore[assignment]
    return [
        ComparisonRow(
            aspect=data.get("aspects", aid),  # type: ignore[arg-type]
            procedures=pair,
            statements=(first.aspects.get(aid), second.aspects.get(aid)),  # type: ignore[union-attr]
        )
        for aid in aspect_ids
    ]


def _cell_text(statement: SourcedText | None) -> str:
    if statement is None:
        return NOT_COVERED
    keys = ", ".join(statement.sources)
    return f"{statement.text} [{keys}]"


def comparison_text(
    comparison_id: str,
    aspect_id: str = ALL_ASPECTS,
    data: CourseData | None = None,
    width: int = 88,
) -> str:
    """The comparison as plain text: deterministic, for printing, handouts and tests."""
    rows = comparison_rows(comparison_id, aspect_id, data)
    lines: list[str] = []
    for row in rows:
        lines.append(row.aspect.label.upper())
        for procedure, statement in zip(row.procedures, row.statements):
            body = textwrap.fill(
                _cell_text(statement), width=width, initial_indent="  ", subsequent_indent="  "
            )
            lines.append(f"- {procedure.name}:")
            lines.append(body)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _cell_html(statement: SourcedText | None) -> str:
    if statement is None:
        return f'<td class="ot-missing"><em>{html.escape(NOT_COVERED)}</em></td>'
    keys = ", ".join(html.escape(key) for key in statement.sources)
    return (
        f"<td>{html.escape(statement.text)}"
        f'<br><span class="ot-sources">Sources: {keys}</span></td>'
    )


def comparison_html(
    comparison_id: str, aspect_id: str = ALL_ASPECTS, data: CourseData | None = None
) -> str:
    """The comparison as an HTML table, both procedures side by side."""
    rows = comparison_rows(comparison_id, aspect_id, data)
    first, second = rows[0].procedures
    head = (
        '<table class="ot-comparison" style="border-collapse:collapse;font-size:1.05em;'
        'line-height:1.4;width:100%">'
        f"<thead><tr><th style='width:16%'>Aspect</th><th>{html.escape(first.name)}</th>"
        f"<th>{html.escape(second.name)}</th></tr></thead><tbody>"
    )
    body = "".join(
        f"<tr><th scope='row' title='{html.escape(row.aspect.question)}'>"
        f"{html.escape(row.aspect.label)}</th>"
        + "".join(_cell_html(statement) for statement in row.statements)
        + "</tr>"
        for row in rows
    )
    return styled_table(head + body + "</tbody></table>")
