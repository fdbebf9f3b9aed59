"""Build the graded assignments as an nbgrader course (``make assignments``).

    python tools/build_assignments.py                 # -> build/nbgrader/ (source and release)
    python tools/build_assignments.py --out DIR       # another course folder
    python tools/build_assignments.py --no-release    # write source/ only (no nbgrader needed)

From the exercises defined in ``osteo_teach/assignments.py`` (one assignment per
lesson, named after it), this writes

- ``DIR/nbgrader_config.py``: the course (``CourseDirectory.root``, ``course_id``);
- ``DIR/source/<lesson>/<lesson>.ipynb``: the instructor version, with each
  exercise's solution between ``### BEGIN SOLUTION`` / ``### END SOLUTION`` and its
  tests (visible checks, then ``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS``),
  every cell carrying nbgrader metadata (``solution``, ``grade``, ``locked``,
  ``points``, ``grade_id``, ``schema_version: 3``);

then runs ``nbgrader generate_assignment "*"`` (every assignment; it adds them to the
course's ``gradebook.db`` too), which writes the student version, ``DIR/release/<lesson>/<lesson>.ipynb``
(solutions replaced by ``# YOUR CODE HERE``, hidden tests removed). nbgrader comes
with the ``grading`` extra (``pip install -e '.[grading]'``; ``make setup`` installs it).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from osteo_teach import DISCLAIMER  # noqa: E402
from osteo_teach.assignments import (  # noqa: E402
    LOAD_CODE,
    GradedExercise,
    assignments,
    hidden_tests,
    visible_tests,
)
from osteo_teach.data import CourseData, load  # noqa: E402
from osteo_teach.lessons import lesson  # noqa: E402

#: The course id instructors see in nbgrader's formgrader.
COURSE_ID = "osteo-teach"
DEFAULT_OUT = ROOT / "build" / "nbgrader"


def _cell(
    kind: str, source: str, grade_id: str, *, solution: bool = False, grade: bool = False, points: int = 0
) -> nbformat.NotebookNode:
    """A notebook cell with nbgrader metadata (read-only unless it is the student's answer cell)."""
    cell = nbformat.v4.new_code_cell(source) if kind == "code" else nbformat.v4.new_markdown_cell(source)
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": not solution,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if grade:
        meta["points"] = points
    cell.metadata["nbgrader"] = meta
    return cell


def source_notebook(lesson_id: str, exercises: list[GradedExercise], course: CourseData) -> nbformat.NotebookNode:
    """The instructor version of one lesson's assignment (solutions and hidden tests included)."""
    title = lesson(lesson_id).title
    total = sum(e.points for e in exercises)
    cells = [
        _cell(
            "markdown",
            f"# Graded exercises: {title}\n\n"
            f"> **{DISCLAIMER}**\n\n"
            f"These exercises come from notebook `{lesson_id}`. Each asks you to compute something from the "
            "course's data with the `osteo_teach` package. Run the cells from the top; write your answer in "
            "the cell that says `# YOUR CODE HERE` (delete the `raise NotImplementedError()` line); the cell "
            "after it checks that your answer has the right form. Hidden tests check the values when your "
            f"work is graded ({total} points in all).",
            f"{lesson_id}_intro",
        ),
        _cell("code", LOAD_CODE, f"{lesson_id}_load"),
    ]
    for number, exercise in enumerate(exercises, start=1):
        origin = (
            f"From notebook `{lesson_id}`, exercise {exercise.exercise}."
            if exercise.exercise is not None
            else f"A calculation that extends notebook `{lesson_id}`."
        )
        names = ", ".join(f"`{name}`" for name in exercise.answers(course))
        cells += [
            _cell(
                "markdown",
                f"## Exercise {number}: {exercise.title} ({exercise.points} points)\n\n"
                f"{exercise.prompt}\n\n*Set:* {names}. *{origin}*",
                f"{exercise.id}_prompt",
            ),
            _cell("code", exercise.given, f"{exercise.id}_data"),
            _cell(
                "code",
                f"### BEGIN SOLUTION\n{exercise.solution}\n### END SOLUTION",
                f"{exercise.id}_answer",
                solution=True,
            ),
            _cell(
                "code",
                f"{visible_tests(exercise, course)}\n### BEGIN HIDDEN TESTS\n"
                f"{hidden_tests(exercise, course)}\n### END HIDDEN TESTS",
                f"{exercise.id}_tests",
                grade=True,
                points=exercise.points,
            ),
        ]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.validate(nb)
    return nb


def notebook_name(lesson_id: str) -> str:
    """The file name of a lesson's assignment notebook."""
    return f"{lesson_id}_graded.ipynb"


def write_course(out: Path, course: CourseData | None = None) -> dict[str, Path]:
    """Write ``nbgrader_config.py`` and every source notebook; return {assignment: source notebook}."""
    course = course or load()
    out.mkdir(parents=True, exist_ok=True)
    (out / "nbgrader_config.py").write_text(
        "# nbgrader course of osteo-teach, written by tools/build_assignments.py.\n"
        "c = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.root = {str(out.resolve())!r}\n"
        f"c.CourseDirectory.course_id = {COURSE_ID!r}\n",
        encoding="utf-8",
    )
    written = {}
    for lesson_id, exercises in assignments().items():
        folder = out / "source" / lesson_id
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        target = folder / notebook_name(lesson_id)
        nbformat.write(source_notebook(lesson_id, exercises, course), target)
        written[lesson_id] = target
    return written


def tool_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for nbgrader: this Python's scripts first on PATH (nbgrader calls ``alembic``)."""
    env = dict(os.environ if env is None else env)
    scripts = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([scripts, *(p for p in env.get("PATH", "").split(os.pathsep) if p != scripts)])
    return env


def nbgrader(out: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 300) -> str:
    """Run one nbgrader command in the course folder; return its output (raises with it on failure)."""
    env = tool_env(env)
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=out,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return result.stdout + result.stderr


def release(out: Path, names: list[str], env: dict[str, str] | None = None) -> dict[str, Path]:
    """``nbgrader generate_assignment`` for every assignment (one command; it also adds them to the
    course's gradebook); return {assignment: release notebook}."""
    nbgrader(out, "generate_assignment", "*", "--force", env=env)
    released = {}
    for name in names:
        released[name] = out / "release" / name / notebook_name(name)
        if not released[name].is_file():
            raise RuntimeError(f"nbgrader wrote no {released[name]}")
    return released


def build(out: Path = DEFAULT_OUT, *, generate: bool = True, env: dict[str, str] | None = None, log=print) -> dict:
    """Write the course and (unless ``generate=False``) generate the student release."""
    started = time.perf_counter()
    sources = write_course(out)
    log(f"source: {len(sources)} assignments in {out / 'source'}")
    released = release(out, list(sources), env=env) if generate else {}
    if released:
        log(f"release: {len(released)} assignments in {out / 'release'}")
    log(f"done in {time.perf_counter() - started:.1f} s")
    return {"source": sources, "release": released}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="course folder (default: build/nbgrader/)")
    parser.add_argument("--no-release", action="store_true", help="write source/ only; do not run nbgrader")
    args = parser.parse_args(argv)
    os.environ.setdefault("MPLBACKEND", "Agg")
    build(args.out.resolve(), generate=not args.no_release)
    return 0


if __name__ == "__main__":
    sys.exit(main())
