"""Printable handouts (``make handouts``): every lesson printed to PDF, read back with pdftotext.

Each lesson's PDF must hold its headings (in order), its first cell's education-only
note, the summary of every figure it shows (the figure's alt text, printed under it),
its widgets' snapshots and static text, page numbers, and its sources last; and no
code. ``pdftotext`` comes with poppler-utils (Debian); without it the tests are
skipped outside CI and fail in CI.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from osteo_teach.lessons import Lesson, all_lessons

LESSONS = list(all_lessons())


def _squash(text: str) -> str:
    """Letters and digits only, lower case: compares text across PDF line breaks and markdown markup."""
    return re.sub(r"[^0-9a-z]+", "", text.lower())


def pdf_text(pdf: Path) -> str:
    if shutil.which("pdftotext") is None:
        message = "pdftotext is not installed (Debian/Ubuntu: apt-get install poppler-utils)"
        if os.environ.get("CI"):
            pytest.fail(f"{message} (CI is set: never skip)", pytrace=False)
        pytest.skip(message)
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def headings(lesson: Lesson) -> list[str]:
    """The lesson's markdown headings (``#`` to ``####``), in order."""
    nb = nbformat.read(lesson.notebook, as_version=4)
    found = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            found += [m.group(1) for m in re.finditer(r"^#{1,4}\s+(.+?)\s*$", cell.source, re.MULTILINE)]
    return found


@pytest.fixture(scope="module")
def texts(printed_handouts) -> dict[str, str]:
    return {lesson_id: pdf_text(pdf) for lesson_id, (_, pdf) in printed_handouts.items()}


def test_every_lesson_has_a_handout(printed_handouts):
    assert sorted(printed_handouts) == sorted(lesson.id for lesson in LESSONS)
    for page, pdf in printed_handouts.values():
        assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 20_000
        assert page.is_file()


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_the_pdf_holds_the_lessons_headings_in_order_and_its_sources_last(lesson: Lesson, texts):
    text = texts[lesson.id]
    squashed = _squash(text)
    position = 0
    for heading in headings(lesson):
        found = squashed.find(_squash(heading), position)
        assert found >= 0, f"{lesson.id}: heading {heading!r} is not in the PDF (after the previous one)"
        position = found
    assert headings(lesson)[-1] == "Sources", "the sources are the lesson's last section"
    assert "notmedicaladvice" in squashed[:2000], "the education-only note is on the first page"
    assert re.search(r"Page 1 of (\d+)", text), "pages are numbered"
    last = int(re.search(r"Page 1 of (\d+)", text).group(1))
    assert f"Page {last} of {last}" in text
    assert "import osteo_teach" not in text and "NBVAL" not in text, "code cells are left out of print"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_the_pdf_holds_every_figure_summary_and_every_widgets_snapshot_and_static_text(
    lesson: Lesson, texts, printed_handouts
):
    page, _ = printed_handouts[lesson.id]
    squashed = _squash(texts[lesson.id])
    markup = page.read_text(encoding="utf-8")
    summaries = [html.unescape(alt) for alt in re.findall(r'<img [^>]*alt="([^"]+)"', markup)]
    if any(spec.draws_figure for spec in lesson.widgets):
        assert summaries, f"{lesson.id}: its figures carry no alt text in the handout"
    for summary in summaries:
        assert _squash(summary)[:120] in squashed, f"{lesson.id}: the figure summary {summary[:60]!r} is not printed"
    for spec in lesson.widgets:
        assert _squash(spec.text_title) in squashed, f"{lesson.id}: {spec.name}'s static text is not printed"
    assert blank_snapshots(lesson, texts[lesson.id]) == []


def blank_snapshots(lesson: Lesson, text: str) -> list[str]:
    """The labels of widgets whose snapshot printed nothing.

    A drawn snapshot prints its first control's label ("Compare:") once more per
    widget than the lesson's prose says it.
    """
    prose = re.sub(r"[*_`]", "", "\n".join(c.source for c in nbformat.read(lesson.notebook, as_version=4).cells))
    blank = []
    for label in sorted({spec.label for spec in lesson.widgets if spec.label}):
        widgets = sum(spec.label == label for spec in lesson.widgets)
        if text.count(label) < prose.count(label) + widgets:
            blank.append(label)
    return blank


def test_a_handout_printed_without_the_widget_renderer_is_caught(printed_handouts, tmp_path):
    """The check above fails when the page cannot draw its widgets (the renderer missing)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
    import build_handouts

    lesson = next(lesson for lesson in LESSONS if any(spec.label for spec in lesson.widgets))
    page, _ = printed_handouts[lesson.id]
    renderer = (build_handouts.build_slides.VENDOR / build_handouts.build_slides.WIDGET_RENDERER).read_text()
    markup = page.read_text(encoding="utf-8")
    assert renderer in markup, "the handout inlines the widget renderer"
    broken = tmp_path / page.name
    broken.write_text(markup.replace(renderer, ""), encoding="utf-8")
    text = pdf_text(build_handouts.print_pdf(broken, tmp_path / "broken.pdf"))
    assert blank_snapshots(lesson, text) != []
