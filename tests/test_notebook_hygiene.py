"""Notebooks in git: stripped outputs (except nbval references), python3 kernel,
and the structure every lesson shares."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import nbclean  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert any(p.name == "00_start_here.ipynb" for p in NOTEBOOKS)


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
