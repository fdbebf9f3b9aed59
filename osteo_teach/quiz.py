"""The self-check quiz: questions from ``data/quiz.yaml`` (and lessons' quiz files) as widgets.

Three kinds of question, each a card:

- **single**: radio buttons; choosing an option gives its own feedback at once
  (why it is right, or why it is wrong, with sources);
- **multiple**: a checkbox per option and a "Check answer" button; the feedback
  goes through every option (chosen or not) and says whether each is right;
- **numeric**: a number box and a "Check answer" button; an answer within the
  tolerance is right, and the feedback shows how the number is worked out from
  the data (a trial's counts, say).

A running score counts the questions answered right at the *first* try, so a
student can still explore after reading the feedback. Everything shown is
exposed (``card.correct``, ``card.feedback_text``, ``quiz.score``), and
``card.choose(...)`` / ``card.choose_all(...)`` / ``card.enter(...)`` answer a
question as a student does, so plain pytest can play the quiz.

Taught in: ``notebooks/10_self_check.ipynb``.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Iterable, Sequence

import ipywidgets as widgets

from .cite import TextAndHtml, cited_text, sources_line
from .data import CourseData, load
from .lessons import Lesson, WidgetSpec, all_lessons
from .records import QuizOption, QuizQuestion, SourcedText, Trial
from .style import OKABE_ITO
from .widgets import error_html

__all__ = [
    "Quiz",
    "QuestionCard",
    "expected_number",
    "LESSON",
    "unknown_lessons",
    "solution_exercise_1",
    "questions_static",
]

#: Colours for feedback (Okabe-Ito); the words "Correct" / "Not quite" carry the
#: meaning too, so colour is never the only cue.
_RIGHT = OKABE_ITO["bluish_green"]
_WRONG = OKABE_ITO["vermillion"]


def expected_number(question: QuizQuestion, data: CourseData) -> float:
    """The number a numeric question expects: as written, or computed from a trial's numbers."""
    answer = question.answer
    if answer is None:
        raise ValueError(f"question {question.id} is not numeric")
    if answer.value is not None:
        return answer.value
    assert answer.computed is not None  # the model requires one of the two
    found = [t for t in data.records(Trial, answer.computed.table) if t.id == answer.computed.trial]
    if not found:
        raise KeyError(
            f"question {question.id}: no trial '{answer.computed.trial}' in data/{answer.computed.table}.yaml"
        )
    trial = found[0]
    number = next((n for n in trial.numbers if n.id == answer.computed.number), None)
    if number is None:
        raise KeyError(f"question {question.id}: trial '{trial.id}' has no number '{answer.computed.number}'")
    if answer.computed.measure == "difference":
        return number.intervention - number.control
    if number.intervention_total is None or number.control_total is None:
        raise ValueError(f"question {question.id}: '{number.id}' has no totals to compute a risk from")
    difference = number.intervention / number.intervention_total - number.control / number.control_total
    if answer.computed.measure == "risk_difference":
        return 100 * difference
    return float(math.ceil(1 / abs(difference)))  # nnt


def _feedback_of(option: QuizOption, question: QuizQuestion) -> SourcedText:
    """The option's own feedback (the question's explanation where an option has none yet)."""
    return option.feedback or question.explanation


class QuestionCard(widgets.VBox):
    """One question and its feedback; the controls depend on the question's kind."""

    def __init__(
        self, question: QuizQuestion, number: int, data: CourseData, on_answer: Callable[[], None] | None = None
    ) -> None:
        self.question = question
        self.number = number
        self._data = data
        self._on_answer = on_answer
        #: ``None`` until answered; then whether the *current* answer is right.
        self.correct: bool | None = None
        #: Whether the first answer was right (``None`` until answered); the score counts this.
        self.first_try: bool | None = None
        self.feedback_text = ""
        self.prompt = widgets.HTML(
            f'<p style="font-size:1.1em;margin:0.2em 0"><strong>Q{number}.</strong> '
            f"{html.escape(question.question)}</p>"
        )
        self.feedback = widgets.HTML()
        self.choices: widgets.RadioButtons | None = None
        self.boxes: list[widgets.Checkbox] = []
        self.number_box: widgets.FloatText | None = None
        self.check_button: widgets.Button | None = None
        inputs: list[widgets.Widget]
        if question.kind == "single":
            self.choices = widgets.RadioButtons(
                options=[o.text for o in question.options],
                value=None,
                description="Answer:",
                layout=widgets.Layout(width="100%"),
                style={"description_width": "initial"},
            )
            self.choices.observe(self._on_choice, names="value")
            inputs = [self.choices]
        else:
            self.check_button = widgets.Button(description="Check answer", tooltip="Check your answer")
            self.check_button.on_click(lambda _button: self.check())
            if question.kind == "multiple":
                self.boxes = [
                    widgets.Checkbox(description=o.text, value=False, indent=False, layout=widgets.Layout(width="100%"))
                    for o in question.options
                ]
                hint = widgets.HTML("<p style='margin:0.2em 0'><em>Select every right answer.</em></p>")
                inputs = [hint, *self.boxes, self.check_button]
            else:
                unit = question.answer.unit if question.answer else ""
                self.number_box = widgets.FloatText(
                    description=f"Your answer ({unit}):", style={"description_width": "initial"}
                )
                inputs = [widgets.HBox([self.number_box, self.check_button])]
        super().__init__(
            [self.prompt, *inputs, self.feedback],
            layout=widgets.Layout(border="1px solid #bbbbbb", padding="0.3em 0.8em", margin="0.4em 0", width="100%"),
        )

    # ---- answering, as a student does ------------------------------------
    def choose(self, option: str) -> None:
        """Answer a single-choice question (selects ``option``)."""
        if self.choices is None:
            raise ValueError(f"question {self.question.id} is a {self.question.kind} question: use choose_all/enter")
        self.question.option(option)  # a clear KeyError for an unknown option
        self.choices.value = option

    def choose_all(self, options: Iterable[str]) -> None:
        """Answer a multiple-select question: tick exactly ``options``, then check."""
        wanted = set(options)
        for text in wanted:
            self.question.option(text)
        for box, option in zip(self.boxes, self.question.options, strict=True):
            box.value = option.text in wanted
        self.check()

    def enter(self, value: float) -> None:
        """Answer a numeric question: type ``value``, then check."""
        if self.number_box is None:
            raise ValueError(f"question {self.question.id} is not numeric")
        self.number_box.value = value
        self.check()

    def check(self) -> None:
        """Mark the current answer (the "Check answer" button)."""
        if self.question.kind == "multiple":
            chosen = {box.description for box in self.boxes if box.value}
            right = set(self.question.right_options)
            correct = chosen == right
            lines = []
            for option in self.question.options:
                ticked = option.text in chosen
                mark = "right" if option.correct else "wrong"
                state = "you ticked it" if ticked else "you left it"
                lines.append((f"{option.text} ({mark}; {state})", _feedback_of(option, self.question)))
            verdict = "Correct." if correct else "Not quite: look at each option below."
            self._show(correct, verdict, lines)
        elif self.question.kind == "numeric":
            assert self.question.answer is not None and self.number_box is not None
            expected = expected_number(self.question, self._data)
            answer = self.question.answer
            correct = abs(self.number_box.value - expected) <= answer.tolerance
            shown = f"{expected:.4g} {answer.unit} (answers within {answer.tolerance:g} are accepted)"
            verdict = f"Correct: {shown}." if correct else f"Not quite. The answer is {shown}."
            self._show(correct, verdict, [("How it is worked out", answer.working)])

    def _on_choice(self, change: dict) -> None:
        chosen = change["new"]
        if chosen is None:
            return
        option = self.question.option(chosen)
        right = self.question.right_options[0]
        verdict = "Correct." if option.correct else f"Not quite. The answer is: {right}"
        self._show(option.correct, verdict, [(chosen, _feedback_of(option, self.question))])

    def _show(self, correct: bool, verdict: str, items: Sequence[tuple[str, SourcedText]]) -> None:
        self.correct = correct
        if self.first_try is None:
            self.first_try = correct
        explanation = self.question.explanation
        statements = [*(s for _, s in items), explanation]
        keys = list(dict.fromkeys(k for s in statements for k in s.sources))
        parts = [f"{label}: {cited_text(statement)}" for label, statement in items]
        if all(statement is not explanation for _, statement in items):
            parts.append(cited_text(explanation))
        self.feedback_text = f"{verdict} " + " ".join(parts) + f" Sources: [{', '.join(keys)}]"
        references = "".join(f"<li>{html.escape(ref)}</li>" for ref in self._data.references(keys))
        body = "".join(
            f"<p><strong>{html.escape(label)}</strong>: {html.escape(statement.text)}</p>" for label, statement in items
        )
        if all(statement is not explanation for _, statement in items):
            body += f"<p>{html.escape(explanation.text)}</p>"
        colour = _RIGHT if correct else _WRONG
        self.feedback.value = (
            f'<div role="status" aria-live="polite" style="border-left:6px solid {colour};'
            f'padding:0.3em 0.8em;margin:0.3em 0">'
            f"<p><strong>{html.escape(verdict)}</strong></p>{body}"
            f'<details><summary>{html.escape(sources_line(keys))}</summary><ul style="font-size:0.9em">'
            f"{references}</ul></details></div>"
        )
        if self._on_answer is not None:
            self._on_answer()

    def reset(self) -> None:
        """Forget the answer (used by "Start again")."""
        if self.choices is not None:
            self.choices.unobserve(self._on_choice, names="value")
            self.choices.value = None
            self.choices.observe(self._on_choice, names="value")
        for box in self.boxes:
            box.value = False
        if self.number_box is not None:
            self.number_box.value = 0.0
        self.correct = None
        self.first_try = None
        self.feedback_text = ""
        self.feedback.value = ""

    def controls(self) -> list[widgets.ValueWidget]:
        """The choice controls a student changes (radio buttons or checkboxes)."""
        return [self.choices] if self.choices is not None else list(self.boxes)


class Quiz:
    """All quiz questions, grouped by lesson, with one running score.

    ``quiz.by_lesson()`` shows every lesson's questions under its title;
    ``quiz.section("02_fracture_reduction")`` one lesson's; ``quiz.scoreboard``
    the score alone.
    """

    def __init__(self, data: CourseData | None = None, notebooks: Iterable[str] | None = None) -> None:
        self._data = data or load()
        wanted = set(notebooks) if notebooks is not None else None
        questions = [q for q in self._data.records(QuizQuestion) if wanted is None or q.notebook in wanted]
        order = {lesson.id: index for index, lesson in enumerate(all_lessons())}
        questions.sort(key=lambda q: order.get(q.notebook, len(order)))
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
        """The card of one question, by its id."""
        for card in self.cards:
            if card.question.id == question_id:
                return card
        raise KeyError(f"unknown quiz question '{question_id}'")

    def notebooks(self) -> list[str]:
        """The lessons the questions cover, in lesson order."""
        return list(dict.fromkeys(card.question.notebook for card in self.cards))

    def overview(self) -> str:
        """How many questions check each lesson, and of which kinds, as text."""
        lines = [f"{self.total} questions:"]
        for notebook in self.notebooks():
            cards = [card for card in self.cards if card.question.notebook == notebook]
            kinds = ", ".join(
                f"{sum(c.question.kind == kind for c in cards)} {kind}"
                for kind in ("single", "multiple", "numeric")
                if any(c.question.kind == kind for c in cards)
            )
            lines.append(f"  {notebook}: {len(cards)} ({kinds})")
        return "\n".join(lines)

    def section(self, notebook: str) -> widgets.VBox:
        """The questions about one lesson, followed by the running score."""
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


def questions_static(data: CourseData | None = None) -> TextAndHtml:
    """Every question and its options as text, numbered as in the quiz: a worksheet for print and screen readers.

    Answers and feedback stay in the interactive quiz (like the exercises' hidden
    solutions); each option's feedback is in the quiz's data with its sources.
    """
    data = data or load()
    order = {lesson.id: index for index, lesson in enumerate(all_lessons())}
    questions = sorted(data.records(QuizQuestion), key=lambda q: order.get(q.notebook, len(order)))
    titles = {lesson.id: f"{lesson.number}. {lesson.title}" for lesson in all_lessons()}
    how = {"single": "choose one", "multiple": "select every right answer"}
    lines: list[str] = []
    parts: list[str] = []
    current = None
    for number, question in enumerate(questions, start=1):
        if question.notebook != current:
            current = question.notebook
            title = titles.get(current, current)
            lines += ["", title.upper()] if lines else [title.upper()]
            parts.append(f"<h4>{html.escape(title)}</h4>")
        if question.kind == "numeric":
            unit = question.answer.unit if question.answer else ""
            lines.append(f"Q{number}. {question.question} (answer with a number, in {unit})")
            parts.append(
                f"<p><strong>Q{number}.</strong> {html.escape(question.question)} "
                f"<em>(answer with a number, in {html.escape(unit)})</em></p>"
            )
            continue
        lines.append(f"Q{number}. {question.question} ({how[question.kind]})")
        lines += [f"  - {option.text}" for option in question.options]
        items = "".join(f"<li>{html.escape(option.text)}</li>" for option in question.options)
        parts.append(
            f"<p><strong>Q{number}.</strong> {html.escape(question.question)} "
            f"<em>({how[question.kind]})</em></p><ul>{items}</ul>"
        )
    note = "Answer in the interactive quiz above: it gives feedback on every option, with sources."
    return TextAndHtml("\n".join([*lines, "", note]) + "\n", "".join(parts) + f"<p><em>{html.escape(note)}</em></p>")


def unknown_lessons(data: CourseData | None = None) -> list[str]:
    """Quiz questions whose ``notebook`` is not a lesson in the registry (should be none)."""
    data = data or load()
    known = {lesson.id for lesson in all_lessons()}
    return [f"{q.id} -> {q.notebook}" for q in data.records(QuizQuestion) if q.notebook not in known]


#: The question exercise 1 asks about.
EXERCISE_1_QUESTION = "smoking"


def solution_exercise_1(course: CourseData) -> str:
    """Exercise 1: the sources behind the smoking question's explanation, and their evidence tiers."""
    from .data import TIER_NAMES

    question = course.record(QuizQuestion, EXERCISE_1_QUESTION)
    lines = [f"The explanation of '{question.id}' ({question.question}) cites:"]
    for key in question.explanation.sources:
        tier = course.source(key).tier
        lines.append(course.cite(key))
        lines.append(f"Tier: {tier} ({TIER_NAMES[tier]})")
    lines.append(
        "For a question you got wrong: its 'notebook' field names the lesson to revisit; read the "
        "strongest source of its feedback first."
    )
    return "\n".join(lines)


def _source_keys(course: CourseData) -> list[str]:
    keys = []
    for question in course.records(QuizQuestion):
        statements = [question.explanation, *(o.feedback for o in question.options if o.feedback)]
        if question.answer is not None:
            statements.append(question.answer.working)
        keys += [k for s in statements for k in s.sources]
    return list(dict.fromkeys(keys))


LESSON = Lesson(
    id="10_self_check",
    title="Self-check quiz",
    summary="Questions on every lesson, with feedback on every option and sources; the score counts first tries.",
    data_files=("quiz",),
    quiz=False,
    widgets=(
        WidgetSpec(
            "Quiz",
            build=lambda course: Quiz(course),
            controls=lambda quiz: [control for card in quiz.cards for control in card.controls()],
            shows=lambda quiz: "\n".join(card.feedback_text for card in quiz.cards) + quiz.score_text,
            label="",
            independent=True,
            error=lambda quiz: None,
            text=lambda course: questions_static(course),
            text_title="Every question and its options, as text (answers and feedback: in the quiz above)",
        ),
    ),
    voila=True,
    sources=_source_keys,
)
