"""Exercises: the answer stays hidden until the student asks for it."""

from __future__ import annotations

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
