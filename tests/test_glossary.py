"""The glossary: every abbreviation a student meets is defined, and the search works as a student uses it.

The scan reads every registered lesson's notebook (markdown and the stored text
outputs) and every text of the data (statements, names, labels, questions...),
finds the abbreviations (capitals, digits and hyphens, such as ORIF, SF-36 or
TA279), and fails with the exact list of those ``data/glossary.yaml`` lacks.
Not counted: bibliography lines (journal names, author initials), source keys
in brackets, inline code, headings printed in capitals, a Roman numeral after a
name (VERTOS IV), one-word trial names from the trial tables, and the short list
of non-medical tokens below. An identifier such as TA279 needs its prefix (TA)
in the glossary.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import nbformat
import pytest
from pydantic import BaseModel

from osteo_teach import welcome
from osteo_teach.data import CourseData, load
from osteo_teach.lessons import all_lessons, lesson
from osteo_teach.records import GlossaryTerm, Trial

from .conftest import DATA

#: Tokens that are not medical abbreviations: countries, file formats, a company
#: suffix, bibliographic identifiers, and a trial nickname the data mention only to
#: say it is unconfirmed. Keep this list short; a medical abbreviation belongs in the glossary.
NOT_MEDICAL = frozenset(
    {
        "UK",
        "US",
        "USA",
        "HTML",
        "README",
        "PNG",
        "PDF",
        "CSV",
        "YAML",
        "URL",
        "LLC",
        "DOI",
        "PMID",
        "PMC",
        "NBK",
        "CD",
        "KAVIAR",
    }
)

#: An abbreviation: a capital, then capitals, digits or inner hyphens (SF-36, EQ-5D);
#: a plural "s" or a version suffix ("SF-36v2") is not part of it.
TOKEN = re.compile(r"\b([A-Z](?:[A-Z0-9]|-(?=[A-Z0-9]))+)(?:s|v\d+)?\b")
#: An identifier whose prefix is the abbreviation (TA279, IPG166, NCT01871519).
IDENTIFIER = re.compile(r"^([A-Z]+)\d+$")
ROMAN = re.compile(r"^[IVX]+$")
#: Three or more words in capitals in a row: a title printed in capitals, not abbreviations.
CAPITAL_RUN = re.compile(r"\b[A-Z][A-Z'-]*(?:[ ,:;-]+[A-Z][A-Z'-]*){2,}\b")
#: A bibliography line: "12. [key] Author AB. Journal..." or "[key] ...".
REFERENCE_LINE = re.compile(r"^\s*(?:\d+\.\s+)?\[[a-z0-9_]+\]")
SOURCE_KEYS = re.compile(r"\[[a-z0-9_]+(?:,\s*[a-z0-9_]+)*\]")
INLINE_CODE = re.compile(r"`[^`\n]*`")
URL = re.compile(r"(?:https?://|www\.)\S+|\b\S+\.(?:org|com|net|gov|uk|ac|edu)\b\S*")
#: Fields that hold ids or locators, not text a student reads.
ID_FIELDS = frozenset(
    {"id", "sources", "url", "doi", "pmcid", "notebook", "table", "trial", "number", "site", "procedure"}
    | {"procedures", "aspects", "see_also", "lesson", "shows"}
)


def _shouted(word: str, lower_words: set[str]) -> bool:
    """A word printed in capitals that the texts also use in lower case ("OPEN" beside "open")."""
    parts = word.split("-")
    return all(p.isalpha() and len(p) >= 3 and p.lower() in lower_words for p in parts)


def _heading(line: str, lower_words: set[str]) -> bool:
    """A line printed in capitals ("1. REMODELLING (LAMELLAR BONE) ..."), not a line of abbreviations."""
    letters = [ch for ch in line if ch.isalpha()]
    if not letters or sum(ch.isupper() for ch in letters) / len(letters) <= 0.6:
        return False
    return any(_shouted(m.group(1), lower_words) and len(m.group(1)) >= 4 for m in TOKEN.finditer(line))


def _readable(text: str) -> Iterator[str]:
    """The lines of a text a student reads: no bibliography lines, code, source keys or web addresses."""
    for raw in INLINE_CODE.sub(" ", text).splitlines():
        if not REFERENCE_LINE.match(raw):
            yield URL.sub(" ", SOURCE_KEYS.sub(" ", raw))


def lower_case_words(texts: Iterable[tuple[str, str]]) -> set[str]:
    """Words the texts use in lower case (to recognise the same word printed in capitals)."""
    return {w for _, text in texts for line in _readable(text) for w in re.findall(r"\b[a-z]{3,}\b", line)}


def tokens_in(text: str, lower_words: set[str] = frozenset()) -> Iterator[str]:
    """The abbreviation-like tokens a student reads in a text: not in code, source keys,
    bibliography lines or headings printed in capitals, and not a numeral after a name."""
    for line in _readable(text):
        if _heading(line, lower_words):
            continue
        shouted_runs = [
            run.span()
            for run in CAPITAL_RUN.finditer(line)
            if any(_shouted(word, lower_words) for word in re.findall(r"[A-Z][A-Z'-]{3,}", run.group(0)))
        ]
        for match in TOKEN.finditer(line):
            token = match.group(1)
            if any(start <= match.start() < end for start, end in shouted_runs):
                continue  # part of a phrase printed in capitals ("A FALL ON THE OUTSTRETCHED HAND")
            before = line[: match.start()]
            if ROMAN.match(token) and re.search(r"[A-Za-z]\s$", before):
                continue  # VERTOS IV, type II: a numeral after a name
            yield token


def notebook_texts(nb: nbformat.NotebookNode) -> Iterator[str]:
    """Markdown cells and stored text outputs (what a student reads after Run All)."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            yield cell.source
        for output in cell.get("outputs", []):
            text = output.get("text") or output.get("data", {}).get("text/plain", "")
            if text:
                yield text if isinstance(text, str) else "".join(text)


def _walk_strings(value: object, field: str | None = None) -> Iterator[tuple[str, str]]:
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            if name not in ID_FIELDS:
                yield from _walk_strings(getattr(value, name), name)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _walk_strings(item, field)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _walk_strings(item, field)
    elif isinstance(value, str) and field is not None:
        yield field, value


def data_texts(course: CourseData) -> Iterator[tuple[str, str]]:
    """Every text of every record except the bibliography: ``(where, text)``."""
    for table, records in course.tables.items():
        if table == "sources":
            continue
        for record in records.values():
            for field, text in _walk_strings(record):
                yield f"data/{table}.yaml ({record.id}, {field})", text


def defined_abbreviations(course: CourseData) -> set[str]:
    """Abbreviations the course defines: glossary terms, one-word trial names, the non-medical list."""
    defined = set(NOT_MEDICAL)
    for term in course.records(GlossaryTerm):
        # the term itself, and other spellings its expansion gives ("also written DEXA")
        defined.update(m.group(1) for m in TOKEN.finditer(f"{term.term} {term.expansion or ''}"))
    for trial in course.records(Trial):
        if re.fullmatch(r"[A-Z]{3,}(?: [IVX]+)?", trial.name):
            defined.add(trial.name.split()[0])
    return defined


def missing_abbreviations(texts: Iterable[tuple[str, str]], course: CourseData) -> dict[str, list[str]]:
    """Abbreviations used in ``texts`` that the glossary lacks, each with where it was found.

    A capitalised word that the same texts also use in lower case ("OPEN FRACTURE"
    beside "open fracture") is a heading, not an abbreviation.
    """
    texts = list(texts)
    lower_words = lower_case_words(texts)
    defined = defined_abbreviations(course)
    missing: dict[str, list[str]] = {}
    for where, text in texts:
        for token in tokens_in(text, lower_words):
            identifier = IDENTIFIER.match(token)
            if identifier and len(identifier.group(1)) == 1:
                continue  # a classification code or a level (AO types A1, A2; vertebra L1), not a term
            needed = identifier.group(1) if identifier else token
            if needed in defined or (needed.endswith("S") and needed[:-1] in defined):
                continue  # defined, or its plural in capitals (NSAIDS)
            if _shouted(needed, lower_words):
                continue
            places = missing.setdefault(needed, [])
            if where not in places:
                places.append(where)
    return dict(sorted(missing.items()))


def course_texts(course: CourseData, lessons: Iterable = ()) -> list[tuple[str, str]]:
    """The notebooks' texts of ``lessons`` (default: every registered lesson) and the data's texts."""
    found = []
    for item in lessons or all_lessons():
        nb = nbformat.read(item.notebook, as_version=4)
        found += [(f"notebooks/{item.notebook.name}", text) for text in notebook_texts(nb)]
    return found + list(data_texts(course))


def _report(missing: dict[str, list[str]]) -> str:
    lines = [f"missing from data/glossary.yaml: {sorted(missing)}"]
    lines += [
        f"  {token}: {', '.join(places[:3])}{' ...' if len(places) > 3 else ''}" for token, places in missing.items()
    ]
    return "\n".join(lines)


# --- the check itself ---------------------------------------------------------------


def test_every_abbreviation_in_the_notebooks_and_the_data_is_in_the_glossary():
    course = load()
    missing = missing_abbreviations(course_texts(course), course)
    assert missing == {}, _report(missing)


def test_the_check_names_exactly_the_abbreviations_the_glossary_lacks(tmp_path: Path):
    """A fixture notebook with one unknown abbreviation (and known, excused ones): only it is named."""
    course = load()
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell(
                "After ORIF the QXZ score and the VAS were recorded (see `FOO_BAR`, TA279, VERTOS IV, SF-36v2)."
            ),
            nbformat.v4.new_code_cell("print(x)"),
        ]
    )
    nb.cells[1].outputs = [
        nbformat.v4.new_output(
            "stream",
            name="stdout",
            text="1. [key] Smith AB. JBJS. 2001.\nOPEN FRACTURE: an open fracture\nZQW and NRS [nice_ta279]\n",
        )
    ]
    path = tmp_path / "99_fixture.ipynb"
    nbformat.write(nb, path)
    texts = [(path.name, text) for text in notebook_texts(nbformat.read(path, as_version=4))]
    missing = missing_abbreviations(texts, course)
    assert sorted(missing) == ["QXZ", "ZQW"], _report(missing)
    assert missing["QXZ"] == ["99_fixture.ipynb"]
    assert "missing from data/glossary.yaml: ['QXZ', 'ZQW']" in _report(missing)


def test_an_unknown_abbreviation_in_the_data_is_named_with_its_record(tmp_path: Path):
    import shutil

    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    with (target / "key_facts.yaml").open("a", encoding="utf-8") as handle:
        handle.write(
            "\n- id: fixture_fact\n  topic: osteoporosis\n  statement:\n"
            "    text: The XQY index and the DXA scan were both normal.\n    sources: [nice_cg146_intro]\n"
        )
    course = load(target)
    missing = missing_abbreviations(data_texts(course), course)
    assert missing == {"XQY": ["data/key_facts.yaml (fixture_fact, text)"]}


def test_an_identifier_needs_its_prefix_in_the_glossary():
    course = load()
    texts = [("fixture", "See NICE TA279, NICE QQ12 and NCT01871519.")]
    assert sorted(missing_abbreviations(texts, course)) == ["QQ"]


def test_the_terms_the_issue_names_are_all_defined():
    course = load()
    defined = defined_abbreviations(course)
    named = "VAS ODI RDQ SF-36 QALY ICER OR RR HR CI NNT ORIF CRIF DXA BMD FRAX VCF PMMA VTE NICE TA IPG AAOS ASBMR"
    assert set(named.split()) <= defined, set(named.split()) - defined
    words = {t.term.split(" (")[0].casefold() for t in course.records(GlossaryTerm)}
    assert {"nonunion", "malunion", "callus", "arthroplasty", "sham procedure"} <= words


# --- the entries ---------------------------------------------------------------------


def test_every_entry_is_unique_and_its_see_also_exists():
    terms = load().records(GlossaryTerm)
    ids = {t.id for t in terms}
    spelled = [t.term.casefold() for t in terms]
    assert len(spelled) == len(set(spelled)), "a term is defined twice"
    for term in terms:
        assert set(term.see_also) <= ids, (term.id, set(term.see_also) - ids)
        assert term.id not in term.see_also
        assert term.plain.rstrip().endswith("."), term.id


def test_a_definition_with_a_number_needs_a_primary_guideline_or_review_source(tmp_path: Path):
    import shutil

    from osteo_teach.data import check

    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    with (target / "glossary.yaml").open("a", encoding="utf-8") as handle:
        handle.write(
            "\n- id: fixture_term\n  term: Fixture\n  plain: A score from 0 to 10.\n  sources: [health_library_article]\n"
        )
    problems = [str(p) for p in check(target)]
    assert len(problems) == 1 and "fixture_term" in problems[0] and "tier P, G or R" in problems[0], problems


# --- the search, as a student uses it -------------------------------------------------


def test_each_letter_lists_exactly_the_terms_filed_under_it():
    explorer = welcome.GlossaryExplorer(load())
    terms = welcome.glossary_terms(explorer.data)
    assert explorer.letter_dropdown.options[0] == ("All letters", welcome.ALL_LETTERS)
    assert explorer.matches == terms and explorer.error is None
    for _, letter in explorer.letter_dropdown.options[1:]:
        explorer.letter_dropdown.value = letter
        assert explorer.matches == [t for t in terms if welcome.term_letter(t) == letter]
        assert explorer.matches and explorer.error is None
        assert explorer.text == welcome.glossary_text("", letter, explorer.data)
        assert "<caption" in explorer.output.value and "scope='row'" in explorer.output.value


def test_typing_an_abbreviation_finds_it_first_in_any_case():
    explorer = welcome.GlossaryExplorer(load())
    explorer.search_box.value = "orif"
    assert explorer.matches[0].id == "orif"
    assert explorer.text.startswith("ORIF (open reduction and internal fixation)")
    explorer.search_box.value = "  Nonunion "
    assert explorer.matches[0].id == "nonunion"
    explorer.search_box.value = "osteoclast"
    assert {"osteoclast", "remodelling", "bisphosphonate"} <= {t.id for t in explorer.matches}


def test_no_match_is_a_message_not_an_error():
    explorer = welcome.GlossaryExplorer(load())
    explorer.search_box.value = "zzzz"
    assert explorer.matches == [] and explorer.error is None
    assert explorer.text.startswith(welcome.NO_MATCH) and "zzzz" in explorer.text
    assert "ot-no-match" in explorer.output.value and "ot-error" not in explorer.output.value
    explorer.letter_dropdown.value = "O"
    explorer.search_box.value = "scan"
    assert explorer.matches == [] and "under the letter O" in explorer.text
    explorer.search_box.value = ""
    assert explorer.matches and all(welcome.term_letter(t) == "O" for t in explorer.matches)


def test_an_impossible_letter_shows_a_message_not_a_traceback():
    explorer = welcome.GlossaryExplorer(load())
    with pytest.raises(KeyError, match="no glossary letter"):
        welcome.find_terms("", "Ä", explorer.data)
    explorer.letter_dropdown.options = [*explorer.letter_dropdown.options, ("Ä", "Ä")]
    explorer.letter_dropdown.value = "Ä"
    assert explorer.error and "no glossary letter" in explorer.error and "ot-error" in explorer.output.value


def test_the_declared_widget_is_the_one_the_start_page_builds():
    spec = next(s for s in lesson("00_start_here").widgets if s.name == "GlossaryExplorer")
    explorer = spec.build(load())
    assert spec.label == explorer.letter_dropdown.description == "Letter:"
    for _ in spec.states(explorer):
        assert spec.shows(explorer) == spec.direct(explorer)
    source = nbformat.read(lesson("00_start_here").notebook, as_version=4)
    assert any("welcome.glossary_explorer(course)" in c.source for c in source.cells if c.cell_type == "code")
