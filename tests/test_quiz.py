"""The self-check quiz: data rules, and every question answered right and wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

import osteo_teach as ot
from osteo_teach.data import DataError, load
from osteo_teach.quiz import Quiz
from osteo_teach.records import QuizQuestion

from .conftest import DATA

#: The lessons the quiz must cover, from the lesson registry.
LESSONS = [lesson.id for lesson in ot.all_lessons() if lesson.quiz]


def test_quiz_covers_every_lesson_with_enough_questions():
    quiz = Quiz()
    assert quiz.total >= 15
    assert set(LESSONS) <= set(quiz.notebooks())
    for notebook in quiz.notebooks():
        assert notebook in LESSONS, f"quiz names '{notebook}', which is not a lesson"
    assert all(card.question.explanation.sources for card in quiz.cards)
    assert "questions:" in quiz.overview()


CHOICE = [q.id for q in load().records(QuizQuestion) if q.kind == "single"]
MULTIPLE = [q.id for q in load().records(QuizQuestion) if q.kind == "multiple"]
NUMERIC = [q.id for q in load().records(QuizQuestion) if q.kind == "numeric"]


def _right(card):
    return card.question.right_options[0]


def _wrong(card):
    return next(o.text for o in card.question.options if not o.correct)


def test_correct_answers_are_spread_over_the_positions():
    positions = {
        [o.correct for o in card.question.options].index(True)
        for card in Quiz().cards
        if card.question.kind == "single"
    }
    assert len(positions) >= 3, "the right answer should not always be in the same place"


ALL = [q.id for q in load().records(QuizQuestion)]
CHOICE_QUESTIONS = [q for q in load().records(QuizQuestion) if q.kind != "numeric"]


def _shows_own_feedback(card, option) -> None:
    """The option's own feedback text and every one of its sources are on the card (text and HTML)."""
    import html

    assert option.feedback.text in card.feedback_text
    assert html.escape(option.feedback.text) in card.feedback.value
    for key in option.feedback.sources:
        assert key in card.feedback_text
        assert key in card.feedback.value


def test_every_option_of_every_question_has_its_own_sourced_feedback():
    """No option falls back on the question's explanation: each says why it is right or wrong."""
    for question in CHOICE_QUESTIONS:
        for option in question.options:
            assert option.feedback.sources, (question.id, option.text)
            assert option.feedback.text != question.explanation.text, (question.id, option.text)
            assert not option.feedback.illustrative, (question.id, option.text)
        feedback = [option.feedback.text for option in question.options]
        assert len(set(feedback)) == len(feedback), f"{question.id}: two options share one feedback"


def test_every_question_says_which_skill_it_checks_and_most_go_beyond_recall():
    import yaml

    raw = yaml.safe_load((DATA / "quiz.yaml").read_text(encoding="utf-8"))
    assert all("skill" in record for record in raw), [r["id"] for r in raw if "skill" not in r]
    questions = load().records(QuizQuestion)
    for lesson in ("02_fracture_reduction", "03_healing_timelines", "04_vertebral_augmentation", "05_evidence"):
        mine = [q for q in questions if q.notebook == lesson]
        beyond = [q for q in mine if q.skill in ("application", "analysis")]
        assert len(beyond) >= 2, f"{lesson}: {len(beyond)} application/analysis questions"
        assert {q.kind for q in mine} >= {"single"}, lesson
    kinds = {q.kind for q in questions}
    assert kinds == {"single", "multiple", "numeric"}
    computed = [q.answer.computed.measure for q in questions if q.answer and q.answer.computed]
    assert {"risk_difference", "nnt", "difference"} <= set(computed)


def test_an_option_without_feedback_is_refused(tmp_path):
    target = _broken_quiz(
        tmp_path,
        """    - text: Wrist fracture
      feedback:
        text: >-
          Not the most common. The wrist (distal radius) comes third, after the
          spine and the proximal femur (the hip), in a review's ranking.
        sources: [rajasekaran2017]
""",
        "    - text: Wrist fracture\n",
    )
    with pytest.raises(DataError) as info:
        ot.load(target)
    message = str(info.value)
    assert "quiz.yaml" in message and "id 'most_common_fracture'" in message
    assert "feedback" in message


@pytest.mark.parametrize("question_id", CHOICE)
def test_right_answer(question_id):
    quiz = Quiz()
    card = quiz.card(question_id)
    assert card.feedback.value == "" and quiz.score == 0
    card.choose(_right(card))
    assert card.correct is True
    assert card.feedback_text.startswith("Correct.")
    _shows_own_feedback(card, card.question.option(_right(card)))
    assert (quiz.score, quiz.answered) == (1, 1)
    assert "Score: 1 right" in quiz.score_label.value


@pytest.mark.parametrize("question_id", CHOICE)
def test_every_wrong_option_then_the_right_one(question_id):
    """Each wrong option shows its own feedback and the right answer; the score counts first tries."""
    quiz = Quiz()
    card = quiz.card(question_id)
    for option in (o for o in card.question.options if not o.correct):
        card.choose(option.text)
        assert card.correct is False
        assert card.feedback_text.startswith("Not quite.")
        assert _right(card) in card.feedback_text, "a wrong answer shows the right one"
        _shows_own_feedback(card, option)
        assert "Not quite." in card.feedback.value
        assert (quiz.score, quiz.answered) == (0, 1)
        assert "Score: 0 right" in quiz.score_label.value
    # Changing to the right option shows "Correct", but the score counts first tries only.
    card.choose(_right(card))
    assert card.correct is True and card.feedback_text.startswith("Correct.")
    assert (quiz.score, quiz.answered) == (0, 1)


@pytest.mark.parametrize("question_id", MULTIPLE)
def test_multiple_select_is_right_only_with_exactly_the_right_options(question_id):
    quiz = Quiz()
    card = quiz.card(question_id)
    right = card.question.right_options
    card.choose_all([*right[:-1], _wrong(card)])
    assert card.correct is False and card.feedback_text.startswith("Not quite")
    for option in card.question.options:  # every option's own feedback is shown, marked right or wrong
        _shows_own_feedback(card, option)
        assert f"{option.text} ({'right' if option.correct else 'wrong'};" in card.feedback_text
    card.choose_all(right)
    assert card.correct is True and (quiz.score, quiz.answered) == (0, 1)
    for option in card.question.options:
        _shows_own_feedback(card, option)
    card.choose_all([])  # ticking nothing is wrong too
    assert card.correct is False


@pytest.mark.parametrize("question_id", NUMERIC)
def test_numeric_answer_is_accepted_within_its_tolerance_only(question_id):
    from osteo_teach.quiz import expected_number

    quiz = Quiz()
    card = quiz.card(question_id)
    expected = expected_number(card.question, load())
    tolerance = card.question.answer.tolerance
    card.enter(expected + tolerance * 2 + 1)
    assert card.correct is False and "Not quite" in card.feedback_text
    assert card.question.answer.working.text in card.feedback_text
    for key in card.question.answer.working.sources:
        assert key in card.feedback_text and key in card.feedback.value
    card.enter(expected - tolerance * 1.5 - 0.01)  # just outside on the other side
    assert card.correct is False
    card.enter(expected + tolerance * 0.9)
    assert card.correct is True and quiz.score == 0, "the score counts the first try"
    card.enter(expected - tolerance * 0.9)
    assert card.correct is True
    fresh = Quiz().card(question_id)
    fresh.enter(expected)
    assert fresh.correct is True and fresh.first_try is True


def test_computed_answers_are_the_trials_numbers():
    """Spot checks, by hand from the trial table: the computed answers follow the counts."""
    from osteo_teach.quiz import expected_number

    course = load()
    cases = {
        "kp_back_pain_nnt": 14.0,  # 1 / (28/190 - 14/191) = 13.5, rounded up
        "height_loss_nnt": 4.0,  # 1 / (35/85 - 11/91) = 3.4, rounded up
        "kp_procedure_minutes": 8.2,  # 40.0 - 31.8
    }
    for question_id, value in cases.items():
        assert expected_number(course.record(QuizQuestion, question_id), course) == pytest.approx(value)
    difference = expected_number(course.record(QuizQuestion, "vertos2_new_fracture_difference"), course)
    assert difference == pytest.approx(100 * (15 / 91 - 21 / 85))


def test_whole_quiz_running_score_and_restart():
    quiz = Quiz()
    singles = [card for card in quiz.cards if card.question.kind == "single"]
    for n, card in enumerate(singles, start=1):
        card.choose(_right(card) if n % 2 else _wrong(card))
        assert quiz.answered == n
        assert quiz.score == (n + 1) // 2
        assert f"{quiz.answered} of {quiz.total} questions answered" in quiz.score_label.value
    quiz.reset()
    assert (quiz.score, quiz.answered) == (0, 0)
    assert all(card.choices.value is None and card.feedback.value == "" for card in singles)
    quiz.restart_button.click()
    assert quiz.score == 0


def test_sections_share_one_score():
    quiz = Quiz()
    first = quiz.section(LESSONS[0])
    second = quiz.section(LESSONS[1])
    assert quiz.scoreboard in first.children and quiz.scoreboard in second.children
    card = next(c for c in first.children if getattr(c, "question", None) and c.question.kind == "single")
    card.choose(_right(card))
    assert quiz.score == 1


def test_unknown_section_is_a_message_not_a_traceback():
    section = Quiz().section("99_nowhere")
    assert "Cannot show this" in section.children[0].value
    assert "99_nowhere" in section.children[0].value


def test_choosing_a_non_option_is_refused():
    card = next(c for c in Quiz().cards if c.question.kind == "single")
    with pytest.raises(KeyError, match="not an option"):
        card.choose("something else")


def _broken_quiz(tmp_path: Path, old: str, new: str) -> Path:
    import shutil

    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    text = (target / "quiz.yaml").read_text()
    assert old in text
    (target / "quiz.yaml").write_text(text.replace(old, new, 1))
    return target


def test_a_single_choice_question_needs_exactly_one_right_option(tmp_path):
    target = _broken_quiz(tmp_path, "      correct: true\n", "")
    with pytest.raises(DataError) as info:
        ot.load(target)
    message = str(info.value)
    assert "quiz.yaml" in message and "id 'role_of_surgery'" in message
    assert "needs exactly one option with 'correct: true' (found 0)" in message


def test_quiz_sources_must_exist(tmp_path):
    target = _broken_quiz(tmp_path, "sources: [pearson2016_smoking]", "sources: [no_such_study]")
    with pytest.raises(DataError, match="unknown source key 'no_such_study'"):
        ot.load(target)
