"""Exercises: the answer stays hidden until the student asks for it."""

from __future__ import annotations

import html

import pytest

import osteo_teach as ot
from osteo_teach.exercises import Solution, solution_text
from osteo_teach.plots import draw_new


def _solve(course):
    return course.fact("surgery_does_not_correct_bone_loss")


def test_the_solution_is_not_computed_or_shown_until_the_button_is_clicked():
    calls = []

    def solve(course):
        calls.append(course)
        return _solve(course)

    solution = ot.show_solution(solve, ot.load())
    assert isinstance(solution, Solution)
    assert calls == [] and solution.output.value == "" and not solution.shown
    solution.button.click()
    assert len(calls) == 1 and solution.shown
    assert "surgery" in solution.text.lower() and "ot-solution" in solution.output.value
    assert solution.button.description == "Hide solution"
    solution.button.click()
    assert solution.output.value == "" and solution.button.description == "Show solution"


def test_a_figure_solution_shows_an_image_with_its_summary_as_alt_text():
    from osteo_teach import healing

    solution = Solution(lambda course: draw_new(healing.draw_phases, course))
    solution.toggle()
    assert '<img src="data:image/png;base64,' in solution.output.value and 'alt="The ' in solution.output.value


def test_instructor_builds_can_show_every_solution_at_once(monkeypatch):
    from osteo_teach.exercises import REVEAL_ENV_VAR

    monkeypatch.setenv(REVEAL_ENV_VAR, "1")
    assert Solution(_solve).shown
    assert solution_text(_solve) == _solve(ot.load())


# --- every lesson's solutions ------------------------------------------------------

from osteo_teach.exercises import lesson_solutions  # noqa: E402
from osteo_teach.lessons import all_lessons  # noqa: E402

#: Lessons with exercises whose solutions are functions of their topic module.
SOLVED = [lesson for lesson in all_lessons() if lesson_solutions(lesson)]


def test_the_converted_lessons_have_solution_functions():
    assert {"02_fracture_reduction", "03_healing_timelines", "04_vertebral_augmentation", "05_evidence"} <= {
        lesson.id for lesson in SOLVED
    }
    assert "10_self_check" in {lesson.id for lesson in SOLVED}


@pytest.mark.parametrize("lesson", SOLVED, ids=lambda lesson: lesson.id)
def test_each_solution_runs_and_a_click_shows_its_text(lesson, monkeypatch):
    from osteo_teach.exercises import REVEAL_ENV_VAR

    monkeypatch.delenv(REVEAL_ENV_VAR, raising=False)
    course = ot.load()
    for name, solve in lesson_solutions(lesson).items():
        text = solution_text(solve, course)
        assert isinstance(text, str) and text.strip(), f"{lesson.id}.{name} returns no text"
        shown = ot.show_solution(solve, course)
        assert shown.output.value == "" and not shown.shown, "hidden until clicked"
        shown.button.click()
        assert shown.shown and shown.text == text
        first_line = html.escape(text.splitlines()[0])
        assert first_line in shown.output.value, f"{lesson.id}.{name}: the click shows the solution"


def test_solutions_read_the_data_they_explain():
    """A few solutions, checked against the numbers they compute (so they cannot drift from data/)."""
    from osteo_teach import evidence, fixation, healing, vertebra

    course = ot.load()
    ct = evidence.trial_number("ajnr_2014_kp_vs_vp", "ct_extravasation", course)
    assert f"absolute difference {evidence.risk_difference(ct):+.1f} percentage points" in (
        vertebra.solution_exercise_2(course)
    )
    vapour = evidence.trial_number("vapour", "nrs_below_4_at_14d", course)
    assert f"{vapour.intervention - vapour.control:+g} percentage points" in evidence.solution_exercise_1(course)
    assert "Intervals that exclude 0: none" in evidence.solution_exercise_2(course)
    assert "Never 'met', whatever the case: Recent fracture." in evidence.solution_exercise_3(course)
    assert "Hip pathways with a cast or splint: none" in healing.solution_exercise_1(course)
    assert "Inside the body: Plate and screws, Pins or wires, Intramedullary rod (nail)." in (
        fixation.solution_exercise_2(course)
    )
    assert "step 5, Inflating the balloon" in vertebra.solution_exercise_1(course)
