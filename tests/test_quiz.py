"""The self-check quiz: data rules, and every question answered right and wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

import osteo_teach as ot
from osteo_teach.data import DataError, load
from osteo_teach.quiz import Quiz

from .conftest import DATA

#: The lessons the quiz must cover, from the lesson registry.
LESSONS = [lesson.id for lesson in ot.all_lessons() if lesson.quiz]
QUESTIONS = list(load().table("quiz"))


def test_quiz_covers_every_lesson_with_enough_questions():
    quiz = Quiz()
    assert quiz.total >= 15
    assert set(LESSONS) <= set(quiz.notebooks())
    for notebook in quiz.notebooks():
        assert notebook in LESSONS, f"quiz names '{notebook}', which is not a lesson"
    assert all(card.question.explanation.sources for card in quiz.cards)
    assert "questions:" in quiz.overview()


def test_correct_answers_are_spread_over_the_positions():
    positions = {card.question.options.index(card.question.answer) for card in Quiz().cards}
    assert len(positions) >= 3, "the right answer should not always be in the same place"


@pytest.mark.parametrize("question_id", QUESTIONS)
def test_right_answer(question_id):
    quiz = Quiz()
    card = quiz.card(question_id)
    assert card.feedback.value == "" and quiz.score == 0
    card.choose(card.question.answer)
    assert card.correct is True
    assert card.feedback_text.startswith("Correct.")
    assert card.question.explanation.text in card.feedback_text
    for key in card.question.explanation.sources:
        assert key in card.feedback_text
        assert key in card.feedback.value
    assert (quiz.score, quiz.answered) == (1, 1)
    assert "Score: 1 right" in quiz.score_label.value


@pytest.mark.parametrize("question_id", QUESTIONS)
def test_wrong_answer_then_right(question_id):
    quiz = Quiz()
    card = quiz.card(question_id)
    wrong = next(option for option in card.question.options if option != card.question.answer)
    card.choose(wrong)
    assert card.correct is False
    assert card.feedback_text.startswith("Not quite.")
    assert card.question.answer in card.feedback_text, "a wrong answer shows the right one"
    assert card.question.explanation.text in card.feedback_text
    assert "Not quite." in card.feedback.value
    assert (quiz.score, quiz.answered) == (0, 1)
    assert "Score: 0 right" in quiz.score_label.value
    # Changing to the right option shows "Correct", but the score counts first tries only.
    card.choose(card.question.answer)
    assert card.correct is True and card.feedback_text.startswith("Correct.")
    assert (quiz.score, quiz.answered) == (0, 1)


def test_whole_quiz_running_score_and_restart():
    quiz = Quiz()
    for n, card in enumerate(quiz.cards, start=1):
        if n % 2:
            card.choose(card.question.answer)
        else:
            card.choose(next(o for o in card.question.options if o != card.question.answer))
        assert quiz.answered == n
        assert quiz.score == (n + 1) // 2
        assert f"{quiz.answered} of {quiz.total} questions answered" in quiz.score_label.value
    quiz.reset()
    assert (quiz.score, quiz.answered) == (0, 0)
    assert all(card.choices.value is None and card.feedback.value == "" for card in quiz.cards)
    quiz.restart_button.click()
    assert quiz.score == 0


def test_sections_share_one_score():
    quiz = Quiz()
    first = quiz.section(LESSONS[0])
    second = quiz.section(LESSONS[1])
    assert quiz.scoreboard in first.children and quiz.scoreboard in second.children
    card = first.children[0]
    card.choose(card.question.answer)
    assert quiz.score == 1


def test_unknown_section_is_a_message_not_a_traceback():
    section = Quiz().section("99_nowhere")
    assert "Cannot show this" in section.children[0].value
    assert "99_nowhere" in section.children[0].value


def test_choosing_a_non_option_is_refused():
    card = Quiz().cards[0]
    with pytest.raises(ValueError, match="not an option"):
        card.choose("something else")


def _broken_quiz(tmp_path: Path, old: str, new: str) -> Path:
    import shutil

    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    text = (target / "quiz.yaml").read_text()
    assert old in text
    (target / "quiz.yaml").write_text(text.replace(old, new, 1))
    return target


def test_answer_must_be_an_option(tmp_path):
    target = _broken_quiz(
        tmp_path,
        "  answer: About 6 weeks\n",
        "  answer: About 7 weeks\n",
    )
    with pytest.raises(DataError) as info:
        ot.load(target)
    message = str(info.value)
    assert "quiz.yaml" in message and "id 'six_weeks'" in message
    assert "field 'answer'" in message and "not one of the options" in message


def test_quiz_sources_must_exist(tmp_path):
    target = _broken_quiz(tmp_path, "sources: [pearson2016_smoking]", "sources: [no_such_study]")
    with pytest.raises(DataError, match="unknown source key 'no_such_study'"):
        ot.load(target)
