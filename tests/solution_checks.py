"""What a solution says of its own, and where it must not appear before a student asks.

A solution's text (``osteo_teach.exercises.solution_text``) often repeats sourced
statements that the lesson already shows (a comparison row, a key fact, a
reference): that is the lesson's content, not the answer. Its *answer lines* are
the rest: the computed result, the reading, the reasoning. Those must not be in
any stored output of any notebook, on the page after Run All, or in a student
handout; they must be there once "Show solution" is clicked (or in the
instructor build).

Used by the hygiene tests, the slide tests and the browser tests.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import nbformat

from osteo_teach.data import iter_cited, load
from osteo_teach.exercises import lesson_solutions, solution_text
from osteo_teach.lessons import Lesson, all_lessons

#: Lines shorter than this (headings such as "MAIN RISKS", "Tier: R") say nothing on their own.
MIN_LINE = 30

_BRACKETS = re.compile(r"\[([^\[\]]*)\]")
#: A key list cut by line wrapping: "... [key1," at the end of a line, "key2]" at the start of the next.
_OPEN_AT_END = re.compile(r"\[([^\[\]]*)$")
_CLOSED_AT_START = re.compile(r"^([^\[\]]*)\]")
_SOURCES_LINE = re.compile(r"^\s*Sources: (.*)$")


def normalise(text: str) -> str:
    """One line, single spaces (wrapping and indentation do not matter)."""
    return " ".join(text.split())


@cache
def _known_keys() -> frozenset[str]:
    return frozenset(load().table("sources"))


def strip_source_keys(line: str) -> str:
    """``text [key1, key2]`` or ``text ['key1']`` -> ``text``: drop lists made only of source keys
    (also a list cut by line wrapping, and a ``Sources: key1, key2`` line)."""
    keys = _known_keys()

    def only_keys(items: str) -> bool:
        names = [item.strip().strip("'\"") for item in items.split(",")]
        names = [name for name in names if name]
        return bool(names) and all(name in keys for name in names)

    def drop(match: re.Match[str]) -> str:
        return "" if only_keys(match.group(1)) else match.group(0)

    line = _BRACKETS.sub(drop, line)
    for pattern in (_OPEN_AT_END, _CLOSED_AT_START, _SOURCES_LINE):
        line = pattern.sub(drop, line)
    return line


def comparable(text: str) -> str:
    """A page's or an output's text as answer lines are compared with it: source-key lists
    dropped (as in :func:`answer_lines`), whitespace normalised."""
    return normalise(" ".join(strip_source_keys(line) for line in text.splitlines()))


@cache
def lesson_content() -> tuple[str, ...]:
    """Every sourced statement in data/ and every formatted reference, normalised."""
    course = load()
    texts: list[str] = []
    for name, records in course.tables.items():
        if name == "sources":
            texts += [normalise(course.cite(key)) for key in records]
            continue
        for cited in iter_cited(list(records.values())):
            text = getattr(cited, "text", None)
            if isinstance(text, str):
                texts.append(normalise(text))
    return tuple(texts)


def answer_lines(text: str) -> list[str]:
    """The lines of a solution that say something of its own (see the module docstring)."""
    content = lesson_content()
    found = []
    for raw in text.splitlines():
        line = normalise(strip_source_keys(raw))
        if len(line) < MIN_LINE or any(line in statement for statement in content):
            continue
        found.append(line)
    return found


@dataclass(frozen=True)
class LessonSolution:
    """One exercise's solution: the lesson, the function's name, its text and its answer lines."""

    lesson: Lesson
    name: str
    text: str
    answers: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.lesson.id}.{self.name}"


def all_solutions(lessons: Iterable[Lesson] | None = None) -> list[LessonSolution]:
    """Every solution of every lesson in the registry (computed now, as a click would)."""
    course = load()
    found = []
    for lesson in lessons if lessons is not None else all_lessons():
        for name, solve in lesson_solutions(lesson).items():
            text = solution_text(solve, course)
            found.append(LessonSolution(lesson, name, text, tuple(answer_lines(text))))
    return found


def stored_texts(nb: Any) -> Iterator[tuple[int, str]]:
    """Every stored text output of a notebook (cell index, normalised text): streams, text/plain, HTML."""
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if "text" in output:
                yield index, comparable(output["text"])
            for mime, value in output.get("data", {}).items():
                if mime.startswith("text/") or mime.endswith("json"):
                    yield index, comparable(value if isinstance(value, str) else str(value))


def leaks(solution: LessonSolution, nb: Any) -> list[str]:
    """Where a notebook's stored outputs hold a solution: its whole text, or one of its answer lines."""
    found = []
    whole = comparable(solution.text)
    for index, text in stored_texts(nb):
        if whole and whole in text:
            found.append(f"cell {index} stores the whole of {solution.label}")
        for line in solution.answers:
            if line in text:
                found.append(f"cell {index} stores {solution.label}: {line[:80]!r}")
    return found


def read(path: Any) -> Any:
    return nbformat.read(path, as_version=4)
