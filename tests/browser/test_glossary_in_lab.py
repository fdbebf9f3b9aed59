"""End-to-end: the start page's glossary in JupyterLab, used as a student uses it.

After Run All: choose every letter (the table lists exactly that letter's terms,
from data/glossary.yaml), type an abbreviation in lower case (it comes first),
type a word that matches nothing (a message, not an error), and go back to
every term.
"""

from __future__ import annotations

import pytest

import osteo_teach
from osteo_teach import welcome
from osteo_teach.lessons import widget_specs

from .conftest import RanNotebook
from .lab_driver import dropdown_select, option_labels, wait_for_texts, widget_outputs

pytestmark = pytest.mark.browser

GLOSSARY_NOTEBOOKS = [f"{lesson.id}.ipynb" for lesson, spec in widget_specs() if spec.name == "GlossaryExplorer"]
ROWS = "table.ot-glossary tbody th"


def _headings(terms) -> list[str]:
    return [f"{t.term} ({t.expansion})" if t.expansion else t.term for t in terms]


@pytest.mark.parametrize("ran_notebook", GLOSSARY_NOTEBOOKS, indirect=True)
def test_the_glossary_lists_each_letter_and_finds_what_is_typed(ran_notebook: RanNotebook) -> None:
    from playwright.sync_api import expect

    data = osteo_teach.load()
    terms = welcome.glossary_terms(data)
    letters = welcome.glossary_letters(data)
    view = widget_outputs(ran_notebook.page, has_label="Letter:").first
    view.scroll_into_view_if_needed()
    select = dropdown_select(view, "Letter:")
    assert option_labels(select) == ["All letters", *letters]
    wait_for_texts(view, ROWS, _headings(terms))
    for letter in letters:
        select.select_option(label=letter)
        wait_for_texts(view, ROWS, _headings([t for t in terms if welcome.term_letter(t) == letter]))
    select.select_option(label="All letters")
    box = view.locator("input[type='text']")
    box.fill("orif")
    wait_for_texts(view, ROWS, _headings(welcome.find_terms("orif", data=data)))
    expect(view.locator(ROWS).first).to_have_text("ORIF (open reduction and internal fixation)")
    box.fill("zzzz")
    expect(view.locator(".ot-no-match")).to_contain_text('No glossary term matches "zzzz"')
    assert view.locator(".ot-error").count() == 0
    box.fill("")
    wait_for_texts(view, ROWS, _headings(terms))
