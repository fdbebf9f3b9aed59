"""Exercises whose answers stay hidden until a student asks for them.

A notebook's solution cell is one line::

    ot.show_solution(healing.solution_exercise_1, course)

It shows only a "Show solution" button. The solution itself is a function of the
lesson's topic module (``solution_exercise_1(course)`` returning text, or
anything a notebook can display: a figure, a table), run when the button is
clicked. So after *Run All* no answer is on screen, and the stored notebook
(outputs stripped, a widget has no saved state) holds no answer. Static slides
and handouts show the button's label only; ``make slides`` builds an instructor
version with the solutions printed (see ``tools/build_slides.py``).

Taught in: every lesson with exercises.
"""

from __future__ import annotations

import html
import importlib
import os
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from .data import CourseData, load

if TYPE_CHECKING:
    from .lessons import Lesson

__all__ = ["REVEAL_ENV_VAR", "SOLUTION_NAME", "Solution", "show_solution", "solution_text", "lesson_solutions"]

#: How a text solution is shown: its own lines, wrapped at spaces (never inside a word).
_TEXT_STYLE = "white-space:pre-wrap;word-break:normal;overflow-wrap:break-word;font-size:0.95em;line-height:1.4"

#: Environment variable that makes every solution show at once (instructor builds).
REVEAL_ENV_VAR = "OSTEO_TEACH_SHOW_SOLUTIONS"


#: How a lesson's solution functions are named (``solution_exercise_1``, ...).
SOLUTION_NAME = re.compile(r"^solution_exercise_(\d+)$")


def lesson_solutions(lesson: Lesson) -> dict[str, Callable[[CourseData], Any]]:
    """A lesson's solution functions (``solution_exercise_N`` of its topic module), by name, in exercise order."""
    module = importlib.import_module(lesson.module)
    numbered = []
    for name in dir(module):
        match = SOLUTION_NAME.match(name)
        if match and callable(getattr(module, name)):
            numbered.append((int(match.group(1)), name))
    return {name: getattr(module, name) for _, name in sorted(numbered)}


def solution_text(solve: Callable[[CourseData], Any], course: CourseData | None = None) -> str:
    """A solution as plain text (for tests, instructor handouts and graders)."""
    result = solve(course or load())
    return result if isinstance(result, str) else str(result)


class Solution(widgets.VBox):
    """A "Show solution" button; the solution is computed and shown when it is clicked.

    Exposes ``.shown`` (whether it is open) and ``.text`` (what it shows, once open).
    Clicking again hides it.
    """

    def __init__(
        self, solve: Callable[[CourseData], Any], course: CourseData | None = None, label: str = "Show solution"
    ) -> None:
        self._solve = solve
        self._course = course or load()
        self._label = label
        self.shown = False
        self.text = ""
        self.button = widgets.Button(
            description=label,
            tooltip="Try the exercise first, then check here",
            icon="eye",
            layout=widgets.Layout(width="auto"),
        )
        self.button.on_click(lambda _button: self.toggle())
        self.output = widgets.HTML()
        super().__init__([self.button, self.output])
        if os.environ.get(REVEAL_ENV_VAR):
            self.toggle()

    def toggle(self) -> None:
        """Show the solution (running it now), or hide it again."""
        if self.shown:
            self.shown = False
            self.output.value = ""
            self.button.description = self._label
            return
        result = self._solve(self._course)
        self.text = result if isinstance(result, str) else str(result)
        rich = getattr(result, "_repr_html_", None)
        if callable(rich):
            body = rich()
        elif hasattr(result, "figure") and hasattr(result, "summary"):  # a SummarisedFigure
            from .plots import figure_html

            body = figure_html(result)
        else:
            body = f"<pre style='{_TEXT_STYLE}'>{html.escape(self.text)}</pre>"
        self.output.value = (
            "<div class='ot-solution' role='region' aria-label='Solution' "
            "style='border-left:6px solid #0072B2;padding:0.3em 0.8em;margin:0.3em 0'>"
            f"<p><strong>Solution</strong></p>{body}</div>"
        )
        self.shown = True
        self.button.description = "Hide solution"


def show_solution(solve: Callable[[CourseData], Any], course: CourseData | None = None) -> Solution:
    """The one-line solution cell of an exercise: a button that reveals ``solve(course)``."""
    return Solution(solve, course)
