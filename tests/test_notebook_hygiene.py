"""Notebooks in git: stripped outputs (except nbval references), python3 kernel,
and the structure every lesson shares."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import nbclean

from osteo_teach.lessons import all_lessons

#: Every lesson's notebook, from the lesson registry.
NOTEBOOKS = [lesson.notebook for lesson in all_lessons()]


def test_there_are_notebooks():
    assert any(p.name == "00_start_here.ipynb" for p in NOTEBOOKS)


def test_every_notebook_is_a_registered_lesson_and_every_lesson_has_its_notebook():
    on_disk = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert on_disk == sorted(p.name for p in NOTEBOOKS), "declare each lesson (LESSON = Lesson(...)) in its module"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_clean_for_git(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nbclean.problems(nb) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_the_lesson_structure(path):
    nb = nbformat.read(path, as_version=4)
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# "), "needs a title first"
    assert "not medical advice" in first.source, "the first cell carries the education-only note"
    for heading in ("Learning objectives", "Key points", "Sources", "Exercise"):
        assert heading in markdown, f"missing section: {heading}"
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert "ot.start(" in first_code.source, "the first code cell loads and checks the data"
    assert all("slideshow" in c.metadata for c in nb.cells), "every cell carries slide metadata"
    solutions = [c for c in nb.cells if "solution" in c.metadata.get("tags", [])]
    assert solutions, "exercises need a solution cell"
    assert all(c.metadata.get("jupyter", {}).get("source_hidden") for c in solutions), "solutions start hidden"


# Numbers live in data/: notebook prose may contain a digit only inside these tokens.
# Keep this list explicit and short; a medical number belongs in data/*.yaml and is
# printed by a code cell.
ALLOWED_DIGITS = re.compile(
    r"""
      `[^`\n]*`                                   # inline code (ids, file names, calls)
    | ^\*\*Time:\*\*.*$                           # the first cell's timing line
    | \(\d+\ minutes\)                            # "### Exercise (5 minutes)"
    | \b\d+-minute\b                              # "a 50-minute class"
    | \bExercise\ \d+\b                           # exercise numbering
    | ^[ \t]*(?:\#+[ \t]*)?\d+\.[ \t]             # numbered list items and "## 1. ..." headings
    | \b[Nn]otebooks?\ \d\d(?:\ to\ \d\d)?\b      # "notebook 04", "notebooks 01 to 05"
    | \b\d\d_[a-z]\w*                             # notebook file names (lesson ids)
    | \b(?:TA|IPG)\d+\b                           # NICE guidance ids (TA279, IPG166)
    | \b(?:ASBMR|Cochrane|AAOS|AJNR|Buchbinder)(?:\ task\ force|\ review|\ guideline)?\ (?:19|20)\d\d\b
    | \bSF-36\b                                   # name of a questionnaire
    | \bratio\ above\ 1\b                         # the no-effect value of a ratio (statistics)
    """,
    re.MULTILINE | re.VERBOSE,
)


def typed_numbers(nb) -> list[str]:
    """Markdown lines that still contain a digit outside ALLOWED_DIGITS."""
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        for line in ALLOWED_DIGITS.sub("", cell.source).splitlines():
            if re.search(r"\d", line):
                found.append(f"cell {index}: {line.strip()}")
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_prose_types_no_numbers(path):
    nb = nbformat.read(path, as_version=4)
    assert typed_numbers(nb) == [], (
        "medical numbers belong in data/ and are printed by a code cell "
        "(e.g. print(course.fact(...))); reword the prose or extend ALLOWED_DIGITS if it is a name"
    )


def test_typed_number_check_catches_old_prose():
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("- Why do some bones heal in about 6 weeks and others take months?"),
            nbformat.v4.new_markdown_cell("### Exercise 1 (5 minutes)\n\n1. See `nrs_below_4_at_14d` and NICE TA279."),
        ]
    )
    assert typed_numbers(nb) == ["cell 0: - Why do some bones heal in about 6 weeks and others take months?"]
