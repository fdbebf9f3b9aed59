"""What a class pull must do, as the README says it: the instructor's update arrives, the student's edit stays.

Shared by the end-to-end hub test (``tests/browser/test_hub.py``: a real hub, a
real browser, the README's link) and by ``tests/test_class_scale.py``, which
shows without a hub that :func:`pull_problems` does fail when the student's edit
is lost or when no pull happened.

The scenario, on a lesson notebook and the course's start notebook:

- the student changes the lesson's title line (its first markdown line);
- the instructor, in the upstream repository, changes that same title line, a
  heading in the second half of the lesson, and the start notebook (a file the
  student did not change), and commits;
- after the student's next pull, the README says: the student's edit is kept;
  where both changed the same line, the student's line wins and the
  instructor's change to it is dropped; the instructor's other changes, in the
  lesson and in the start notebook, arrive.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import nbformat

__all__ = ["STUDENT_NOTE", "InstructorUpdate", "clone_course", "commit_instructor_update", "pull_problems"]

#: What the student types at the end of the lesson's title line.
STUDENT_NOTE = " (my note: ask about the check x-ray)"
#: What the instructor adds to the lines they change.
INSTRUCTOR_MARK = " (updated by the instructor)"
#: The paragraph the instructor adds to the start notebook.
START_NEWS = "Instructor's news: the reading list for next week is in notebook 05."

_GIT_ID = ["-c", "user.name=Instructor", "-c", "user.email=instructor@example.invalid"]


def _git(repo: Path, *args: str) -> str:
    out = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True)
    return out.stdout


def clone_course(source: Path, upstream: Path, branch: str = "main") -> Path:
    """The instructor's repository for a test: a clone of ``source``'s committed HEAD, on ``branch``."""
    upstream.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(source), str(upstream)], check=True)
    _git(upstream, "checkout", "--quiet", "-B", branch)
    return upstream


def title_line(notebook: nbformat.NotebookNode) -> tuple[int, str]:
    """The first markdown cell's index and its first line (the lesson's title)."""
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "markdown" and cell.source.strip():
            return index, cell.source.splitlines()[0]
    raise ValueError("the notebook has no markdown cell")


def far_heading(notebook: nbformat.NotebookNode) -> tuple[int, str]:
    """A markdown heading in the second half of the notebook, far from the title."""
    cells = notebook.cells
    for index in range(len(cells) // 2, len(cells)):
        cell = cells[index]
        if cell.cell_type == "markdown" and cell.source.startswith("#"):
            return index, cell.source.splitlines()[0]
    raise ValueError("no markdown heading in the second half of the notebook")


def _replace_first_line(cell: nbformat.NotebookNode, new: str) -> None:
    lines = cell.source.split("\n")
    lines[0] = new
    cell.source = "\n".join(lines)


def _sources(path: Path) -> str:
    return "\n".join(cell.source for cell in nbformat.read(path, as_version=4).cells)


@dataclass(frozen=True)
class InstructorUpdate:
    """The instructor's commit: the lines changed (old -> new) and the start notebook's new paragraph."""

    lesson: str
    start: str
    title_old: str
    title_new: str
    far_old: str
    far_new: str
    start_news: str = START_NEWS

    @property
    def student_title(self) -> str:
        """The title line as the student edits it."""
        return self.title_old + STUDENT_NOTE


def commit_instructor_update(upstream: Path, lesson: str, start: str) -> InstructorUpdate:
    """Change the lesson (title line, a far heading) and the start notebook in ``upstream``; commit."""
    nb = nbformat.read(upstream / lesson, as_version=4)
    title_at, title = title_line(nb)
    far_at, far = far_heading(nb)
    update = InstructorUpdate(lesson, start, title, title + INSTRUCTOR_MARK, far, far + INSTRUCTOR_MARK)
    _replace_first_line(nb.cells[title_at], update.title_new)
    _replace_first_line(nb.cells[far_at], update.far_new)
    nbformat.write(nb, upstream / lesson)
    start_nb = nbformat.read(upstream / start, as_version=4)
    start_nb.cells.insert(1, nbformat.v4.new_markdown_cell(f"> **{START_NEWS}**"))
    nbformat.write(start_nb, upstream / start)
    _git(upstream, "add", lesson, start)
    _git(upstream, *_GIT_ID, "commit", "--quiet", "-m", "Instructor: update the lesson and the start page")
    return update


def pull_problems(course: Path, update: InstructorUpdate) -> list[str]:
    """What went wrong in the student's copy ``course`` after the pull (empty: as the README says)."""
    problems = []
    try:
        lesson = nbformat.read(course / update.lesson, as_version=4)
        nbformat.validate(lesson)
    except Exception as exc:
        return [f"{update.lesson} is no longer a valid notebook after the pull ({exc.__class__.__name__}: {exc})"]
    lesson_text = "\n".join(cell.source for cell in lesson.cells)
    if STUDENT_NOTE not in lesson_text:
        problems.append(f"the student's edit is lost: {STUDENT_NOTE.strip()!r} is no longer in {update.lesson}")
    if update.title_new in lesson_text:
        problems.append(
            "the instructor's version of the line the student also changed arrived "
            f"({update.title_new!r}); the README says the student's line wins"
        )
    if update.far_new not in lesson_text:
        problems.append(
            f"the instructor's change elsewhere in {update.lesson} ({update.far_new!r}) did not arrive: "
            "no pull happened, or the README's 'the parts you did not touch are updated' is wrong"
        )
    if update.start_news not in _sources(course / update.start):
        problems.append(
            f"the instructor's update of {update.start}, which the student did not change, did not arrive: "
            "no pull happened"
        )
    return problems
