"""Every topic of the seed article is taught: each maps to a registered lesson whose notebook shows it.

``data/seed_topics.yaml`` names, per topic, the lessons that teach it and what in
each notebook shows it (a record id its code prints, or a phrase of its prose or
stored output). A lesson named there but not (yet) in the course is allowed only
if it is listed in PENDING below, with the reason; every topic still needs at
least one registered lesson that shows it.
"""

from __future__ import annotations

from collections.abc import Iterable

import nbformat
import pytest
from pydantic import ValidationError

from osteo_teach import welcome
from osteo_teach.data import CourseData, load
from osteo_teach.lessons import Lesson, all_lessons
from osteo_teach.records import KeyFact, SeedTopic

#: Lessons being written on other branches: named in the map, checked when they are merged.
PENDING: dict[str, str] = {}

#: The seed article's topics (issue 12): the map must cover each of them.
SEED_TOPICS = (
    "surgery_not_bone_loss",
    "medication_and_lifestyle",
    "open_reduction",
    "closed_reduction",
    "immobilisation",
    "check_xray",
    "healing_time",
    "rehabilitation",
    "vertebral_compression_fracture",
    "vertebroplasty",
    "balloon_kyphoplasty",
)


def _squash(text: str) -> str:
    return " ".join(text.split()).casefold()


def notebook_text(lesson: Lesson) -> str:
    """Everything a notebook shows or runs: code, prose and the stored text outputs."""
    nb = nbformat.read(lesson.notebook, as_version=4)
    parts = []
    for cell in nb.cells:
        parts.append(cell.source)
        for output in cell.get("outputs", []):
            text = output.get("text") or output.get("data", {}).get("text/plain", "")
            parts.append(text if isinstance(text, str) else "".join(text))
    return _squash("\n".join(parts))


def shows(text: str, phrase: str, course: CourseData) -> bool:
    """Whether a notebook (its squashed text) shows ``phrase``: the phrase itself (a record id
    in its code, or words of its prose or output), or, for a key fact's id, the fact's statement."""
    if _squash(phrase) in text:
        return True
    fact = course.table("key_facts").get(phrase)
    return isinstance(fact, KeyFact) and _squash(fact.statement.text) in text


def problems(
    topics: Iterable[SeedTopic], lessons: Iterable[Lesson], pending: dict[str, str], course: CourseData
) -> list[str]:
    """What is wrong with the map: a lesson that does not show its topic, an unknown lesson,
    a topic no registered lesson teaches."""
    registered = {item.id: item for item in lessons}
    texts: dict[str, str] = {}
    found = []
    for topic in topics:
        taught = 0
        for entry in topic.lessons:
            item = registered.get(entry.lesson)
            if item is None:
                if entry.lesson not in pending:
                    found.append(f"{topic.id}: '{entry.lesson}' is not a lesson of the course")
                continue
            text = texts.setdefault(item.id, notebook_text(item))
            if not shows(text, entry.shows, course):
                found.append(f"{topic.id}: notebooks/{item.id}.ipynb does not show '{entry.shows}'")
                continue
            taught += 1
        if not taught:
            found.append(f"{topic.id}: no lesson of the course shows this topic")
    return found


def test_every_seed_topic_is_shown_by_a_registered_lesson():
    course = load()
    assert problems(welcome.seed_topics(course), all_lessons(), PENDING, course) == []


def test_the_map_covers_every_topic_of_the_seed_article():
    assert [t.id for t in welcome.seed_topics(load())] == list(SEED_TOPICS)


def test_every_quote_comes_from_the_seed_article_and_every_record_exists():
    course: CourseData = load()
    for topic in welcome.seed_topics(course):
        assert topic.seed.sources == ["health_library_article"], topic.id
        for ref in topic.carried_by:
            assert ref.id in course.table(ref.table), (topic.id, ref)


def test_a_lesson_that_does_not_show_its_topic_is_reported():
    course = load()
    topic = welcome.seed_topics(course)[0]
    lesson_id = topic.lessons[0].lesson
    broken = topic.model_copy(
        update={"lessons": [topic.lessons[0].model_copy(update={"shows": "a phrase no notebook prints"})]}
    )
    assert problems([broken], all_lessons(), PENDING, course) == [
        f"{topic.id}: notebooks/{lesson_id}.ipynb does not show 'a phrase no notebook prints'",
        f"{topic.id}: no lesson of the course shows this topic",
    ]


def test_a_key_fact_counts_as_shown_only_when_its_statement_is_in_the_stored_output():
    course = load()
    text = notebook_text(next(x for x in all_lessons() if x.id == "01_osteoporosis_and_fractures"))
    assert "osteoporosis_definition" not in text, "the fact is printed through a helper, not named in the code"
    assert shows(text, "osteoporosis_definition", course)
    assert not shows(text, "vcf_pain_course", course), "a fact the lesson does not print"


def test_an_unknown_lesson_is_reported_unless_pending():
    course = load()
    topic = welcome.seed_topics(course)[0]
    extra = topic.lessons[0].model_copy(update={"lesson": "77_no_such_lesson"})
    unknown = topic.model_copy(update={"lessons": [*topic.lessons, extra]})
    assert problems([unknown], all_lessons(), PENDING, course) == [
        f"{topic.id}: '77_no_such_lesson' is not a lesson of the course"
    ]
    assert problems([unknown], all_lessons(), {"77_no_such_lesson": "fixture"}, course) == []


def test_the_start_page_marks_lessons_not_yet_in_the_course():
    text = welcome.seed_map_text(load())
    registered = {item.id for item in all_lessons()}
    for lesson_id in PENDING:
        if lesson_id not in registered:
            assert f"{lesson_id} (in preparation)" in text
    assert "<caption" in welcome.seed_map_html(load())


def _raw(topic_id: str) -> dict:
    import yaml

    from .conftest import DATA

    records = yaml.safe_load((DATA / "seed_topics.yaml").read_text(encoding="utf-8"))
    return next(r for r in records if r["id"] == topic_id)


def _context(course: CourseData) -> dict:
    context: dict = {name: frozenset(records) for name, records in course.tables.items()}
    context["sources:tiers"] = {s: course.source(s).tier for s in course.table("sources")}
    return context


def test_a_long_quote_or_an_unknown_record_is_refused():
    course = load()
    raw = _raw("rehabilitation")
    long_quote = {**raw, "seed": {**raw["seed"], "text": " ".join(["word"] * 16)}}
    with pytest.raises(ValidationError, match="quote a few words"):
        SeedTopic.model_validate(long_quote, context=_context(course))
    unknown = {**raw, "carried_by": [{"table": "key_facts", "id": "no_such_fact"}]}
    with pytest.raises(ValidationError, match="unknown key fact id 'no_such_fact'"):
        SeedTopic.model_validate(unknown, context=_context(course))
    no_table = {**raw, "carried_by": [{"table": "no_such_table", "id": "x"}]}
    with pytest.raises(ValidationError, match="unknown data table 'no_such_table'"):
        SeedTopic.model_validate(no_table, context=_context(course))
