"""Graded assignments: the nbgrader round trip (source -> release -> submitted -> autograded).

``tools/build_assignments.py`` writes the course from ``osteo_teach/assignments.py``
and runs ``nbgrader generate_assignment``; here three simulated students submit
(``submitted/<student>/<assignment>/`` with a ``timestamp.txt``): the instructor's
own solution, the untouched release, and one wrong answer; ``nbgrader autograde``
must give full marks, zero, and all but that exercise's points. nbgrader comes
with the ``grading`` extra (``make setup`` installs it); without it these tests
fail, they never skip.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import sys
import time
from pathlib import Path

import nbformat
import pytest

from osteo_teach import assignments as graded
from osteo_teach.data import load
from osteo_teach.exercises import lesson_solutions
from osteo_teach.lessons import lesson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import build_assignments  # noqa: E402

ASSIGNMENTS = graded.assignments()
#: The wrong student answers this exercise with the sign flipped (and everything else right).
WRONG_EXERCISE = "vapour_invest"
WRONG_ASSIGNMENT = "05_evidence"
TIMESTAMP = "2026-12-01 10:00:00.000000 UTC"
ROUND_TRIP: dict[str, float] = {}


def _isolated_env(tmp: Path) -> dict[str, str]:
    """nbgrader and its kernels write nothing into the user's folders."""
    import os

    env = dict(os.environ)
    for var, rel in (
        ("HOME", "home"),
        ("JUPYTER_CONFIG_DIR", "jupyter/config"),
        ("JUPYTER_DATA_DIR", "jupyter/data"),
        ("JUPYTER_RUNTIME_DIR", "jupyter/runtime"),
        ("IPYTHONDIR", "ipython"),
        ("MPLCONFIGDIR", "matplotlib"),
    ):
        (tmp / rel).mkdir(parents=True, exist_ok=True)
        env[var] = str(tmp / rel)
    env["MPLBACKEND"] = "Agg"
    return env


def _submit(course: Path, student: str, assignment: str, notebook: Path) -> Path:
    folder = course / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(notebook, folder / notebook.name)
    (folder / "timestamp.txt").write_text(TIMESTAMP, encoding="utf-8")
    return folder / notebook.name


def _wrong_copy(source: Path, target_dir: Path) -> Path:
    """The instructor's notebook with one answer's sign flipped."""
    nb = nbformat.read(source, as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == f"{WRONG_EXERCISE}_answer")
    cell.source = cell.source.replace("vapour.intervention - vapour.control", "vapour.control - vapour.intervention")
    assert "vapour.control - vapour.intervention" in cell.source
    target_dir.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target_dir / source.name)
    return target_dir / source.name


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    try:
        import nbgrader  # noqa: F401
    except ImportError:
        pytest.fail("nbgrader is not installed: pip install -e '.[grading]' (make setup installs it)", pytrace=False)
    tmp = tmp_path_factory.mktemp("nbgrader")
    env = _isolated_env(tmp / "env")
    out = tmp / "course"
    started = time.perf_counter()
    built = build_assignments.build(out, env=env, log=lambda *_: None)
    ROUND_TRIP["generate"] = time.perf_counter() - started
    for name, source in built["source"].items():
        _submit(out, "instructor", name, source)
        _submit(out, "untouched", name, built["release"][name])
    _submit(out, "wrong", WRONG_ASSIGNMENT, _wrong_copy(built["source"][WRONG_ASSIGNMENT], tmp / "wrong"))
    started = time.perf_counter()
    log = build_assignments.nbgrader(out, "autograde", "*", "--force", env=env)
    ROUND_TRIP["autograde"] = time.perf_counter() - started
    return {"out": out, "built": built, "log": log}


def _scores(out: Path) -> dict[tuple[str, str], tuple[float, float, dict[str, float]]]:
    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gradebook:
        for assignment in ASSIGNMENTS:
            for submission in gradebook.assignment_submissions(assignment):
                cells = {grade.name: grade.score for notebook in submission.notebooks for grade in notebook.grades}
                scores[(submission.student.id, assignment)] = (submission.score, submission.max_score, cells)
    return scores


def test_at_least_six_graded_exercises_each_from_a_lesson():
    assert len(graded.EXERCISES) >= 6
    assert len({e.id for e in graded.EXERCISES}) == len(graded.EXERCISES)
    for exercise in graded.EXERCISES:
        found = lesson(exercise.lesson)  # a registered lesson
        if exercise.exercise is not None:
            assert f"solution_exercise_{exercise.exercise}" in lesson_solutions(found), exercise.id
        assert graded.hidden_tests(exercise) and graded.visible_tests(exercise)


@pytest.mark.parametrize("exercise", graded.EXERCISES, ids=lambda e: e.id)
def test_the_solution_code_gives_the_answers_the_hidden_tests_expect(exercise):
    """In-process: given code, then the instructor's solution, then visible and hidden tests."""
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(graded.LOAD_CODE, namespace)
        exec(exercise.given, namespace)
        exec(exercise.solution, namespace)
    exec(graded.visible_tests(exercise), namespace)
    exec(graded.hidden_tests(exercise), namespace)
    # A wrong value fails the hidden tests (so they can fail).
    name, value = next(iter(graded.expected_answers(exercise).items()))
    namespace[name] = (
        [*value, "wrong"] if isinstance(value, list) else (not value if isinstance(value, bool) else value + 1)
    )
    with pytest.raises(AssertionError):
        exec(graded.hidden_tests(exercise), namespace)


def test_expected_answers_come_from_the_data_through_the_lessons_functions():
    from osteo_teach import evidence, healing

    course_data = load()
    vapour = evidence.trial_number("vapour", "nrs_below_4_at_14d", course_data)
    by_id = {e.id: graded.expected_answers(e, course_data) for e in graded.EXERCISES}
    assert by_id["vapour_invest"]["vapour_difference"] == vapour.intervention - vapour.control
    counts = evidence.trial_number(*graded.NNT_NUMBER, course_data)
    rd = 100 * (counts.intervention / counts.intervention_total - counts.control / counts.control_total)
    assert by_id["nnt"] == {"risk_difference_points": pytest.approx(rd), "nnt": -(-100 // abs(rd))}
    assert by_id["healing_gap"]["gap_weeks"] == healing.earliest_start_gap(*graded.GAP_PHASES, course_data)
    assert by_id["vertos4_zero"] == {
        "excluding_zero": evidence.intervals_excluding_zero(course_data),
        "all_include_zero": True,
    }


def test_source_cells_carry_nbgrader_metadata(course):
    for name, path in course["built"]["source"].items():
        nb = nbformat.read(path, as_version=4)
        metas = [c.metadata["nbgrader"] for c in nb.cells]
        assert all(m["schema_version"] == 3 and {"solution", "grade", "locked", "grade_id"} <= set(m) for m in metas)
        answers = [m for m in metas if m["solution"]]
        tests = [m for m in metas if m["grade"]]
        assert len(answers) == len(tests) == len(ASSIGNMENTS[name]), name
        assert all(not m["locked"] for m in answers) and all(m["locked"] and m["points"] > 0 for m in tests)
        assert "not medical advice" in nb.cells[0].source


def test_generate_assignment_strips_solutions_and_hidden_tests(course):
    for name, path in course["built"]["release"].items():
        nb = nbformat.read(path, as_version=4)
        text = "\n".join(cell.source for cell in nb.cells)
        source = "\n".join(cell.source for cell in nbformat.read(course["built"]["source"][name], as_version=4).cells)
        assert "BEGIN SOLUTION" in source and "BEGIN HIDDEN TESTS" in source, "the instructor version keeps them"
        assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
        assert "BEGIN HIDDEN TESTS" not in text and "END HIDDEN TESTS" not in text
        for exercise in ASSIGNMENTS[name]:
            for line in exercise.solution.splitlines():
                if len(line.strip()) > 25 and line.strip() not in exercise.given:
                    assert line.strip() not in text, f"{exercise.id}: solution code in the release: {line}"
            for line in graded.hidden_tests(exercise).splitlines():
                assert line in source and line not in text, f"{exercise.id}: hidden test in the release: {line}"
            answer = next(c for c in nb.cells if c.metadata["nbgrader"]["grade_id"] == f"{exercise.id}_answer")
            assert "# YOUR CODE HERE" in answer.source and "raise NotImplementedError()" in answer.source
            tests = next(c for c in nb.cells if c.metadata["nbgrader"]["grade_id"] == f"{exercise.id}_tests")
            assert tests.source.strip() == graded.visible_tests(exercise), "the visible tests stay, and only they"


def test_autograde_full_marks_for_the_instructor_zero_for_the_untouched_release(course):
    scores = _scores(course["out"])
    for name, exercises in ASSIGNMENTS.items():
        total = sum(e.points for e in exercises)
        assert scores[("instructor", name)][:2] == (total, total), (
            name,
            scores[("instructor", name)],
            course["log"][-3000:],
        )
        assert scores[("untouched", name)][:2] == (0, total), (name, scores[("untouched", name)])
    score, total, cells = scores[("wrong", WRONG_ASSIGNMENT)]
    wrong = next(e for e in ASSIGNMENTS[WRONG_ASSIGNMENT] if e.id == WRONG_EXERCISE)
    assert score == total - wrong.points and cells[f"{WRONG_EXERCISE}_tests"] == 0


def test_the_round_trip_is_quick(course):
    seconds = sum(ROUND_TRIP.values())
    print(f"\nnbgrader round trip: generate {ROUND_TRIP['generate']:.1f} s, autograde {ROUND_TRIP['autograde']:.1f} s")
    assert seconds < 120, ROUND_TRIP
