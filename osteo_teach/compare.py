"""Side-by-side comparisons of two procedures, aspect by aspect, with sources.

Plain functions from data to text/HTML, and :class:`ComparisonExplorer`, the
widget that only chooses what to pass in (which pair, which aspect).

Taught in: ``02_fracture_reduction.ipynb`` (open vs closed reduction) and
``04_vertebral_augmentation.ipynb`` (vertebroplasty vs balloon kyphoplasty).
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import ipywidgets as widgets

from .cite import TextAndHtml, cell_html, cited_text, styled_table, wrapped
from .data import CourseData, load
from .lessons import WidgetSpec
from .records import Aspect, Comparison, Procedure, SourcedText
from .widgets import controls_row, dropdown, error_html

__all__ = [
    "ALL_ASPECTS",
    "NOT_COVERED",
    "ComparisonRow",
    "comparison_rows",
    "comparison_text",
    "comparison_html",
    "ComparisonExplorer",
    "comparison_static",
    "comparison_widget",
]

#: The aspect choice that shows every aspect of a comparison.
ALL_ASPECTS = "all"

#: What a cell says when no verified source covers that aspect.
NOT_COVERED = "Not covered by a verified source in data/ (left out on purpose)."


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
    comparison = data.record(Comparison, comparison_id)
    if aspect_id == ALL_ASPECTS:
        aspect_ids = list(comparison.aspects)
    elif aspect_id in comparison.aspects:
        aspect_ids = [aspect_id]
    else:
        raise KeyError(
            f"unknown aspect id '{aspect_id}' for comparison '{comparison_id}': "
            f"expected '{ALL_ASPECTS}' or one of {', '.join(comparison.aspects)}"
        )
    first, second = (data.record(Procedure, pid) for pid in comparison.procedures)
    return [
        ComparisonRow(
            aspect=data.record(Aspect, aid),
            procedures=(first, second),
            statements=(first.aspects.get(aid), second.aspects.get(aid)),
        )
        for aid in aspect_ids
    ]


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
        for procedure, statement in zip(row.procedures, row.statements, strict=False):
            body = wrapped(cited_text(statement, NOT_COVERED), width)
            lines.append(f"- {procedure.name}:")
            lines.append(body)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def comparison_html(comparison_id: str, aspect_id: str = ALL_ASPECTS, data: CourseData | None = None) -> str:
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
        + "".join(cell_html(statement, NOT_COVERED) for statement in row.statements)
        + "</tr>"
        for row in rows
    )
    return styled_table(head + body + "</tbody></table>")


class ComparisonExplorer(widgets.VBox):
    """Choose a pair of procedures and an aspect; see both side by side, with sources."""

    def __init__(
        self,
        comparison_id: str = "fracture_reduction",
        aspect_id: str = ALL_ASPECTS,
        data: CourseData | None = None,
    ) -> None:
        self.data = data or load()
        comparisons = self.data.records(Comparison)
        if comparison_id not in {c.id for c in comparisons}:
            comparison_id = comparisons[0].id
        self.pair_dropdown = dropdown("Compare:", [(c.title, c.id) for c in comparisons], comparison_id)
        self.aspect_dropdown = dropdown("Aspect:", self._aspect_options(comparison_id), ALL_ASPECTS)
        self.table = widgets.HTML()
        self._shown: tuple[str, str] | None = None
        self._text: str | None = ""
        self.error: str | None = None
        self._updating = False
        self.pair_dropdown.observe(self._on_pair, names="value")
        self.aspect_dropdown.observe(self._on_aspect, names="value")
        super().__init__(
            [controls_row(self.pair_dropdown, self.aspect_dropdown), self.table],
            layout=widgets.Layout(width="100%"),
        )
        self.show(comparison_id, aspect_id)

    def _aspect_options(self, comparison_id: str) -> list[tuple[str, str]]:
        comparison = self.data.record(Comparison, comparison_id)
        return [("All aspects", ALL_ASPECTS)] + [
            (self.data.record(Aspect, aid).label, aid) for aid in comparison.aspects
        ]

    def _on_pair(self, change: dict) -> None:
        self._updating = True
        try:
            self.aspect_dropdown.options = self._aspect_options(change["new"])
            self.aspect_dropdown.value = ALL_ASPECTS
        finally:
            self._updating = False
        self.show(change["new"], ALL_ASPECTS)

    def _on_aspect(self, change: dict) -> None:
        if not self._updating:
            self.show(self.pair_dropdown.value, change["new"])

    @property
    def text(self) -> str:
        """What the table shows, as plain text (built when first asked for, not on
        every change: a student sees only the HTML table)."""
        if self._text is None:
            self._text = comparison_text(*self._shown, self.data) if self._shown else ""
        return self._text

    def show(self, comparison_id: str, aspect_id: str = ALL_ASPECTS) -> None:
        """Show one comparison and aspect; an unknown id shows a message, not a traceback."""
        try:
            self.table.value = comparison_html(comparison_id, aspect_id, self.data)
            self._shown, self._text = (comparison_id, aspect_id), None
            self.error = None
        except KeyError as exc:
            self.error = str(exc.args[0])
            self._shown, self._text = None, ""
            self.table.value = error_html(self.error)


def comparison_static(comparison_id: str, data: CourseData | None = None) -> TextAndHtml:
    """The whole comparison (every aspect), as text and as a table: the widget's static twin."""
    return TextAndHtml(
        comparison_text(comparison_id, ALL_ASPECTS, data), comparison_html(comparison_id, ALL_ASPECTS, data)
    )


def comparison_widget(comparison_id: str) -> WidgetSpec:
    """The registry's declaration of a comparison explorer opened on ``comparison_id``."""
    return WidgetSpec(
        "ComparisonExplorer",
        build=lambda course: ComparisonExplorer(comparison_id, data=course),
        controls=lambda explorer: [explorer.pair_dropdown, explorer.aspect_dropdown],
        shows=lambda explorer: explorer.table.value,
        label="Compare:",
        direct=lambda explorer: comparison_html(
            explorer.pair_dropdown.value, explorer.aspect_dropdown.value, explorer.data
        ),
        text=lambda course: comparison_static(comparison_id, course),
        text_title="The whole comparison as a table: every aspect, with sources",
    )
