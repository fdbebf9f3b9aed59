"""The self-check quiz: multiple-choice questions from ``data/quiz.yaml`` as widgets.

Each question is a card with radio buttons. Choosing an option gives immediate
feedback (right or not, the correct answer, an explanation and its sources), and
a running score counts the questions answered right at the *first* try, so a
student can still explore the other options after reading an explanation.

Everything shown is exposed (``card.correct``, ``card.feedback_text``,
``quiz.score``, ``quiz.score_text``), and ``card.choose(option)`` answers a
question, so plain pytest can play the quiz without a browser.

Taught in: ``notebooks/06_self_check.ipynb``.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

import ipywidgets as widgets

from .data import CourseData, load
from .lessons import Lesson, WidgetSpec, all_lessons
from .records import QuizQuestion
from .style import OKABE_ITO
from .widgets import error_html

__all__ = ["Quiz", "QuestionCard", "LESSON", "unknown_lessons"]

#: Colours for feedback (Okabe-Ito); the words "Correct" / "Not quite" carry the
#: meaning too, so colour is never the only cue.
_RIGHT = OKABE_ITO["bluish_green"]
_WRONG = OKABE_ITO["vermillion"]


class QuestionCard(widgets.VBox):
    """One question: radio buttons, then feedback once an option is chosen."""

    def __init__(self, question: QuizQuestion, number: int, data: CourseData, on_answer=None) -> None:
        self.question = question
        self.number = number
        self._data = data
        self._on_answer = on_answer
        #: ``None`` until answered; then whether the *current* choice is right.
        self.correct: bool | None = None
        #: Whether the first choice was right (``None`` until answered); the score counts this.
        self.first_try: bool | None = None
        self.feedback_text = ""
        self.prompt = widgets.HTML(
            f'<p style="font-size:1.1em;margin:0.2em 0"><strong>Q{number}.</strong> '
            f"{html.escape(question.question)}</p>"
        )
        self.choices = widgets.RadioButtons(
            options=list(question.options),
            value=None,
            layout=widgets.Layout(width="100%"),
        )
        self.feedback = widgets.HTML()
        self.choices.observe(self._on_choice, names="value")
        super().__init__(
            [self.prompt, self.choices, self.feedback],
            layout=widgets.Layout(border="1px solid #bbbbbb", padding="0.3em 0.8em", margin="0.4em 0", width="100%"),
        )

    def choose(self, option: str) -> None:
        """Answer the question as a student would (selects ``option``)."""
        if option not in self.question.options:
            raise ValueError(f"'{option}' is not an option of question {self.question.id}")
        self.choices.value = option

    def reset(self) -> None:
        """Forget the answer (used by "Start again")."""
        self.choices.unobserve(self._on_choice, names="value")
        self.choices.value = None
        self.choices.observe(self._on_choice, names="value")
        self.correct = None
        self.first_try = None
        self.feedback_text = ""
        self.feedback.value = ""

    def _on_choice(self, change: dict) -> None:
        chosen = change["new"]
        if chosen is None:
            return
        self.correct = chosen == self.question.answer
        if self.first_try is None:
            self.first_try = self.correct
        explanation = self.question.explanation
        keys = ", ".join(explanation.sources)
        verdict = "Correct." if self.correct else f"Not quite. The answer is: {self.question.answer}"
        self.feedback_text = f"{verdict} {explanation.text} Sources: [{keys}]"
        references = "".join(f"<li>{html.escape(ref)}</li>" for ref in self._data.references(explanation.sources))
        colour = _RIGHT if self.correct else _WRONG
        self.feedback.value = (
            f'<div role="status" aria-live="polite" style="border-left:6px solid {colour};'
            f'padding:0.3em 0.8em;margin:0.3em 0">'
            f"<p><strong>{html.escape(verdict)}</strong></p>"
            f"<p>{html.escape(explanation.text)}</p>"
            f'<details><summary>Sources: [{html.escape(keys)}]</summary><ul style="font-size:0.9em">'
            f"{references}</ul></details></div>"
        )
        if self._on_answer is not None:
            self._on_answer()


class Quiz:
    """All quiz questions, grouped by notebook, with one running score.

    ``quiz.section("02_fracture_reduction")`` is a widget with that lesson's
    questions and the score; ``quiz.scoreboard`` shows the score alone.
    """

    def __init__(self, data: CourseData | None = None, notebooks: Iterable[str] | None = None) -> None:
        self._data = data or load()
        wanted = set(notebooks) if notebooks is not None else None
        questions = [q for q in self._data.records(QuizQuestion) if wanted is None or q.notebook in wanted]
        self.cards: list[QuestionCard] = [
            QuestionCard(q, n, self._data, on_answer=self._update) for n, q in enumerate(questions, start=1)
        ]
        self.score_label = widgets.HTML()
        self.restart_button = widgets.Button(description="Start again", tooltip="Clear every answer")
        self.restart_button.on_click(lambda _button: self.reset())
        self.scoreboard = widgets.HBox(
            [self.score_label, self.restart_button],
            layout=widgets.Layout(align_items="center", margin="0.5em 0"),
        )
        self._update()

    # ---- what is shown -------------------------------------------------
    @property
    def total(self) -> int:
        return len(self.cards)

    @property
    def answered(self) -> int:
        return sum(card.first_try is not None for card in self.cards)

    @property
    def score(self) -> int:
        """Questions answered right at the first try."""
        return sum(bool(card.first_try) for card in self.cards)

    @property
    def score_text(self) -> str:
        return f"Score: {self.score} right at the first try, {self.answered} of {self.total} questions answered."

    def card(self, question_id: str) -> QuestionCard:
        """The card of one question, by its id in ``data/quiz.yaml``."""
        for card in self.cards:
            if card.question.id == question_id:
                return card
        raise KeyError(f"unknown quiz question '{question_id}'")

    def notebooks(self) -> list[str]:
        """The lessons the questions cover, in order of first appearance."""
        return list(dict.fromkeys(card.question.notebook for card in self.cards))

    def overview(self) -> str:
        """How many questions check each notebook, as text."""
        lines = [f"{self.total} questions:"]
        for notebook in self.notebooks():
            count = sum(card.question.notebook == notebook for card in self.cards)
            lines.append(f"  {notebook}: {count}")
        return "\n".join(lines)

    def section(self, notebook: str) -> widgets.VBox:
        """The questions about one notebook, followed by the running score."""
        cards = [card for card in self.cards if card.question.notebook == notebook]
        if not cards:
            known = ", ".join(self.notebooks())
            return widgets.VBox(
                [widgets.HTML(error_html(f"no quiz questions for '{notebook}'; expected one of: {known}"))]
            )
        return widgets.VBox([*cards, self.scoreboard], layout=widgets.Layout(width="100%"))

    def by_lesson(self) -> widgets.VBox:
        """Every lesson's questions under its title (from the lesson registry), then the score."""
        parts: list[widgets.Widget] = []
        for lesson in all_lessons():
            cards = [card for card in self.cards if card.question.notebook == lesson.id]
            if cards:
                parts.append(widgets.HTML(f"<h3>{html.escape(lesson.number)}. {html.escape(lesson.title)}</h3>"))
                parts.extend(cards)
        return widgets.VBox([*parts, self.scoreboard], layout=widgets.Layout(width="100%"))

    def widget(self) -> widgets.VBox:
        """Every question, then the score."""
        return widgets.VBox([*self.cards, self.scoreboard], layout=widgets.Layout(width="100%"))

    def reset(self) -> None:
        """Clear every answer and the score."""
        for card in self.cards:
            card.reset()
        self._update()

    def _update(self) -> None:
        self.score_label.value = (
            f'<p role="status" aria-live="polite" style="font-size:1.15em;margin:0 1em 0 0">'
            f"<strong>{html.escape(self.score_text)}</strong></p>"
        )


def unknown_lessons(data: CourseData | None = None) -> list[str]:
    """Quiz questions whose ``notebook`` is not a lesson in the registry (should be none)."""
    data = data or load()
    known = {lesson.id for lesson in all_lessons()}
    return [f"{q.id} -> {q.notebook}" for q in data.records(QuizQuestion) if q.notebook not in known]


def _source_keys(course: CourseData) -> list[str]:
    return list(dict.fromkeys(k for q in course.records(QuizQuestion) for k in q.explanation.sources))


LESSON = Lesson(
    id="06_self_check",
    title="Self-check quiz",
    summary="Questions on every lesson, with feedback and sources; the score counts first tries.",
    data_files=("quiz",),
    quiz=False,
    widgets=(
        WidgetSpec(
            "Quiz",
            build=lambda course: Quiz(course),
            controls=lambda quiz: [card.choices for card in quiz.cards],
            shows=lambda quiz: "\n".join(card.feedback_text for card in quiz.cards) + quiz.score_text,
            label="",
            independent=True,
            error=lambda quiz: None,
        ),
    ),
    voila=True,
    sources=_source_keys,
)
