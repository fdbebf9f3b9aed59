"""The start page: what the collection teaches, how it is organised, how a fact is cited,
the glossary of every term a student meets, and the seed article topic by topic.

- The glossary (``data/glossary.yaml``): :class:`GlossaryExplorer` is a search box and a
  letter dropdown; it lists the matching terms with their plain definitions and sources,
  and says so when nothing matches (a message, not an error). The pure
  :func:`glossary_text` / :func:`glossary_html` give the same content without a widget.
- The seed-topic map (``data/seed_topics.yaml``): each topic of the article the course
  follows, the lessons that teach it and the records that carry it
  (:func:`seed_map`); ``tests/test_seed_topics.py`` checks each lesson's notebook.

Taught in: ``notebooks/00_start_here.ipynb`` (which also shows the course map from
:mod:`osteo_teach.lessons`).
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

import ipywidgets as widgets

from .cite import TextAndHtml, sources_line, table_html, wrapped
from .data import CourseData, count_cited, load
from .lessons import Lesson, WidgetSpec, all_lessons
from .records import GlossaryTerm, SeedTopic
from .widgets import controls_row, dropdown, error_html

__all__ = [
    "FACTS",
    "EXAMPLES",
    "ALL_LETTERS",
    "LESSON",
    "NO_MATCH",
    "glossary_terms",
    "term_letter",
    "glossary_letters",
    "find_terms",
    "glossary_text",
    "glossary_html",
    "GlossaryExplorer",
    "glossary_explorer",
    "seed_topics",
    "seed_map_text",
    "seed_map_html",
    "seed_map",
    "solution_exercise_1",
    "solution_exercise_2",
    "source_keys",
]

#: The key facts the start page prints.
FACTS = ("surgery_does_not_correct_bone_loss", "most_bones_heal_in_6_weeks")

#: Sources the start page's exercise compares (a patient-information page and a textbook).
EXAMPLES = ("health_library_article", "openstax_ap2e_fracture_repair")

#: The letter dropdown's first choice: every term.
ALL_LETTERS = "all"

#: What the glossary says when nothing matches (not an error: the student can try again).
NO_MATCH = "No glossary term matches"

#: The terms exercise 2 of the start page asks students to look up.
EXERCISE_2_TERMS = ("orif", "dxa", "ci", "sham_procedure")


# --- the glossary ------------------------------------------------------------------


def glossary_terms(data: CourseData | None = None) -> list[GlossaryTerm]:
    """Every glossary term, in alphabetical order (ignoring case)."""
    data = data or load()
    return sorted(data.records(GlossaryTerm), key=lambda t: (t.term.casefold(), t.id))


def term_letter(term: GlossaryTerm) -> str:
    """The letter a term is filed under: its first letter, in capitals."""
    return next((ch.upper() for ch in term.term if ch.isalpha()), "#")


def glossary_letters(data: CourseData | None = None) -> list[str]:
    """The letters that have at least one term, in order."""
    return sorted({term_letter(t) for t in glossary_terms(data)})


def _matches(term: GlossaryTerm, query: str) -> bool:
    needle = query.casefold()
    return any(needle in (text or "").casefold() for text in (term.term, term.expansion, term.plain))


def find_terms(query: str = "", letter: str = ALL_LETTERS, data: CourseData | None = None) -> list[GlossaryTerm]:
    """The terms filed under ``letter`` (or all) whose term, expansion or definition contains ``query``.

    The search ignores case and surrounding spaces; a term that is exactly the query
    (an abbreviation typed in full) comes first. An unknown letter raises a KeyError
    naming the letters there are.
    """
    terms = glossary_terms(data)
    if letter != ALL_LETTERS:
        letters = sorted({term_letter(t) for t in terms})
        if letter not in letters:
            raise KeyError(f"no glossary letter '{letter}': expected {ALL_LETTERS} or one of {', '.join(letters)}")
        terms = [t for t in terms if term_letter(t) == letter]
    query = query.strip()
    if not query:
        return terms
    found = [t for t in terms if _matches(t, query)]
    exact = [t for t in found if t.term.casefold() == query.casefold()]
    return exact + [t for t in found if t not in exact]


def _heading(term: GlossaryTerm) -> str:
    return f"{term.term} ({term.expansion})" if term.expansion else term.term


def _see_also(term: GlossaryTerm, data: CourseData) -> list[str]:
    known = {t.id: t for t in data.records(GlossaryTerm)}
    return [known[i].term for i in term.see_also if i in known]


def _no_match(query: str, letter: str) -> str:
    where = "" if letter == ALL_LETTERS else f" under the letter {letter}"
    return f'{NO_MATCH} "{query.strip()}"{where}. Try a shorter word, or choose "All letters".'


def _text_of(terms: list[GlossaryTerm], query: str, letter: str, data: CourseData, width: int = 88) -> str:
    if not terms:
        return _no_match(query, letter) + "\n"
    lines: list[str] = []
    for term in terms:
        lines.append(_heading(term))
        lines.append(wrapped(term.plain, width, "    ", "    "))
        lines.append(f"    {sources_line(term.sources)}")
        also = _see_also(term, data)
        if also:
            lines.append(f"    See also: {', '.join(also)}")
    return "\n".join(lines) + "\n"


def _html_of(terms: list[GlossaryTerm], query: str, letter: str, data: CourseData) -> str:
    if not terms:
        return f"<p class='ot-no-match' role='status'><em>{html.escape(_no_match(query, letter))}</em></p>"
    rows = []
    for term in terms:
        also = _see_also(term, data)
        also_html = f"<br><em>See also:</em> {html.escape(', '.join(also))}" if also else ""
        rows.append(
            f"<tr><th scope='row'>{html.escape(_heading(term))}</th>"
            f"<td>{html.escape(term.plain)}{also_html}</td>"
            f"<td><span class='ot-sources'>{html.escape(', '.join(term.sources))}</span></td></tr>"
        )
    shown = "every term" if letter == ALL_LETTERS and not query.strip() else "matching terms"
    table = table_html(
        "ot-glossary", ("Term", "What it means", "Sources"), rows, caption=f"Glossary: {shown}", font_size="1em"
    )
    # The box scrolls, so it must take keyboard focus (arrow keys scroll it) and be named (WCAG 2.1.1).
    return (
        "<style>.ot-glossary-box:focus-visible{outline:3px solid #0072B2;outline-offset:2px}</style>"
        "<div class='ot-glossary-box' role='region' aria-label='Glossary terms (scrolls)' tabindex='0'"
        f" style='max-height:30em;overflow:auto'>{table}</div>"
    )


def glossary_text(query: str = "", letter: str = ALL_LETTERS, data: CourseData | None = None, width: int = 88) -> str:
    """The matching terms as text: each term, its plain definition, sources and related terms."""
    data = data or load()
    return _text_of(find_terms(query, letter, data), query, letter, data, width)


def glossary_html(query: str = "", letter: str = ALL_LETTERS, data: CourseData | None = None) -> str:
    """The matching terms as a captioned table in a scrollable box (or the no-match message)."""
    data = data or load()
    return _html_of(find_terms(query, letter, data), query, letter, data)


class GlossaryExplorer(widgets.VBox):
    """Search the glossary: a letter dropdown and a search box; the matching terms are listed.

    ``.text`` is what is shown (plain text), ``.matches`` the matching terms, and
    ``.error`` a message only for an impossible choice (no match is not an error).
    """

    def __init__(self, data: CourseData | None = None, query: str = "", letter: str = ALL_LETTERS) -> None:
        self.data = data or load()
        letters = glossary_letters(self.data)
        if letter != ALL_LETTERS and letter not in letters:
            letter = ALL_LETTERS
        self.letter_dropdown = dropdown("Letter:", [("All letters", ALL_LETTERS), *((x, x) for x in letters)], letter)
        self.search_box = widgets.Text(
            value=query,
            description="Search:",
            placeholder="a word or an abbreviation, e.g. ORIF",
            continuous_update=True,
            style={"description_width": "initial"},
            layout=widgets.Layout(width="28em"),
        )
        self.output = widgets.HTML()
        self._text: str | None = None
        self.error: str | None = None
        self.matches: list[GlossaryTerm] = []
        self.letter_dropdown.observe(lambda _change: self.show(), names="value")
        self.search_box.observe(lambda _change: self.show(), names="value")
        super().__init__(
            [controls_row(self.letter_dropdown, self.search_box), self.output], layout=widgets.Layout(width="100%")
        )
        self.show()

    @property
    def text(self) -> str:
        """What is shown, as plain text (built when asked for: the page shows the HTML)."""
        if self.error is not None:
            return ""
        if self._text is None:
            self._text = _text_of(self.matches, self.search_box.value, self.letter_dropdown.value, self.data)
        return self._text

    def show(self) -> None:
        """List the terms matching the box and the letter; a message when none does."""
        query, letter = self.search_box.value, self.letter_dropdown.value
        self._text = None
        try:
            self.matches = find_terms(query, letter, self.data)
        except KeyError as exc:
            self.error = str(exc.args[0])
            self.output.value = error_html(self.error)
            return
        self.error = None
        self.output.value = _html_of(self.matches, query, letter, self.data)


def glossary_explorer(course: CourseData | None = None) -> GlossaryExplorer:
    """The start page's glossary search, as the notebook builds it."""
    return GlossaryExplorer(data=course)


# --- the seed article, topic by topic ----------------------------------------------


def seed_topics(data: CourseData | None = None) -> list[SeedTopic]:
    """The seed article's topics, in the article's order."""
    data = data or load()
    return data.records(SeedTopic)


def _lesson_ids(topic: SeedTopic) -> list[str]:
    return list(dict.fromkeys(entry.lesson for entry in topic.lessons))


def seed_map_text(data: CourseData | None = None) -> str:
    """Each seed topic, its quote, and the lessons that teach it (lessons still being written are marked)."""
    registered = {lesson.id for lesson in all_lessons()}
    lines = []
    for topic in seed_topics(data):
        lessons = [x if x in registered else f"{x} (in preparation)" for x in _lesson_ids(topic)]
        lines.append(f'- {topic.topic}: "{topic.seed.text}" -> {", ".join(lessons)}')
    return "\n".join(lines) + "\n"


def seed_map_html(data: CourseData | None = None) -> str:
    """The seed-topic map as a captioned table with links to the lessons."""
    registered = {lesson.id for lesson in all_lessons()}
    rows = []
    for topic in seed_topics(data):
        links = []
        for lesson_id in _lesson_ids(topic):
            if lesson_id in registered:
                links.append(f"<a href='{html.escape(lesson_id)}.ipynb'>{html.escape(lesson_id)}</a>")
            else:
                links.append(f"{html.escape(lesson_id)} (in preparation)")
        rows.append(
            f"<tr><th scope='row'>{html.escape(topic.topic)}</th>"
            f"<td>&ldquo;{html.escape(topic.seed.text)}&rdquo;</td><td>{'<br>'.join(links)}</td></tr>"
        )
    return table_html(
        "ot-seed-map",
        ("Topic of the article", "The article says", "Taught in"),
        rows,
        caption="The seed article, topic by topic",
    )


def seed_map(data: CourseData | None = None) -> TextAndHtml:
    """The seed-topic map: HTML in a notebook, text when printed."""
    return TextAndHtml(seed_map_text(data), seed_map_html(data))


# --- exercises ---------------------------------------------------------------------


def solution_exercise_1(course: CourseData) -> str:
    """Cited statements per file, and the tiers of the article and the open textbook."""
    counts = count_cited(course)
    lines = ["Cited statements per data file:"]
    lines += [f"  {name}: {n}" for name, n in counts.items()]
    lines.append("")
    for key in EXAMPLES:
        lines.append(course.cite(key))
        lines.append(f"Tier: {course.source(key).tier}")
    lines += [
        "Tier C (patient information) may word a statement but never be the only source of a number;",
        "tier R (a review or textbook) may. A randomised trial (tier P) tests a treatment directly.",
    ]
    return "\n".join(lines) + "\n"


def solution_exercise_2(course: CourseData) -> str:
    """The glossary entries the exercise asks for, and which of them names a study design."""
    known = {t.id: t for t in glossary_terms(course)}
    lines = []
    for term_id in EXERCISE_2_TERMS:
        term = known[term_id]
        lines.append(f"{_heading(term)}: {term.plain} [{', '.join(term.sources)}]")
    lines += [
        "",
        "ORIF is an operation and DXA a scan; a CI describes how precise a result is; a sham",
        "procedure is what the control group of a blinded procedure trial receives.",
    ]
    return "\n".join(lines) + "\n"


# --- the lesson --------------------------------------------------------------------


def source_keys(course: CourseData) -> Iterable[str]:
    """The start page's reading list: the seed article first, the facts' sources, the
    examples, then the sources of the glossary's definitions."""
    glossary = [key for term in glossary_terms(course) for key in term.sources]
    return dict.fromkeys(["health_library_article", *course.fact_sources(FACTS), *EXAMPLES, *glossary])


def _glossary_direct(explorer: Any) -> str:
    """What the explorer shows, built afresh by the pure function from its current choices."""
    return glossary_text(explorer.search_box.value, explorer.letter_dropdown.value, explorer.data)


def glossary_static(course: CourseData) -> TextAndHtml:
    """Every glossary term with its definition and sources (what the glossary widget can show)."""
    return TextAndHtml(glossary_text(data=course), glossary_html(data=course))


LESSON = Lesson(
    id="00_start_here",
    title="Start here",
    summary=(
        "What the collection teaches, how to use the notebooks, how every number is cited, "
        "a searchable glossary, and where each topic of the seed article is taught."
    ),
    data_files=("sources", "key_facts", "glossary", "seed_topics"),
    widgets=(
        WidgetSpec(
            "GlossaryExplorer",
            build=glossary_explorer,
            controls=lambda explorer: [explorer.letter_dropdown],
            shows=lambda explorer: explorer.text,
            label="Letter:",
            direct=_glossary_direct,
            text=glossary_static,
        ),
    ),
    quiz=False,
    sources=source_keys,
)
