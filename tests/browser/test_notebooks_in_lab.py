"""End-to-end: every notebook, run in JupyterLab in headless Chromium, as a student runs it.

For each notebook: open it, Run → Run All Cells, wait for the kernel to go idle
with every widget rendered, then check that no cell shows an error and every
widget rendered; save a screenshot to build/screenshots/ and record the time.
Then drive the interactive pieces with the mouse: the comparison widget (every
pair, every aspect, checked against data/), the timeline explorer and the
procedure stepper (each choice must redraw the figure).
"""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest

import osteo_teach
from osteo_teach.compare import ALL_ASPECTS, NOT_COVERED
from osteo_teach.lessons import all_lessons, widget_specs

from ..solution_checks import all_solutions, comparable
from .conftest import SCREENSHOTS, RanNotebook
from .lab_driver import (
    dropdown_select,
    figure_src,
    new_guarded_page,
    notebook_report,
    open_notebook,
    option_labels,
    run_all_and_wait,
    src_digest,
    wait_for_new_figure,
    wait_for_texts,
    widget_outputs,
)

pytestmark = pytest.mark.browser

#: Every lesson's notebook, from the lesson registry.
NOTEBOOKS = [f"{lesson.id}.ipynb" for lesson in all_lessons()]


#: Notebooks holding each interactive piece (the tests fail if they do not show it).
def _notebooks_with(widget: str) -> list[str]:
    """The lessons (notebook file names) that declare ``widget`` in the registry."""
    return [f"{lesson.id}.ipynb" for lesson, spec in widget_specs() if spec.name == widget]


COMPARISON_NOTEBOOKS = _notebooks_with("ComparisonExplorer")
TIMELINE_NOTEBOOKS = _notebooks_with("TimelineExplorer")
STEPPER_NOTEBOOKS = _notebooks_with("ProcedureStepper")


def builds_widgets(name: str) -> bool:
    """Whether the lesson declares widgets in the registry (so its page must show widget views)."""
    return any(f"{lesson.id}.ipynb" == name for lesson, _ in widget_specs())


# --------------------------------------------------------------------------- every notebook


@pytest.mark.parametrize("ran_notebook", NOTEBOOKS, indirect=True)
def test_notebook_runs_in_lab_with_no_error_and_every_widget_rendered(ran_notebook: RanNotebook) -> None:
    report = ran_notebook.report
    print(
        f"\n{ran_notebook.name}: run all -> idle with widgets rendered in {ran_notebook.seconds:.2f} s; "
        f"{report.rendered_widget_views} widget views; screenshot {ran_notebook.screenshot}; "
        f"browser console errors: {ran_notebook.guarded.console_errors}"
    )
    assert report.errors == [], "cells show errors:\n" + "\n---\n".join(report.errors)
    assert report.unrendered == [], f"widgets did not render: {report.unrendered}"
    assert report.widget_messages == [], f"widgets show an error message: {report.widget_messages}"
    # Every widget the kernel displayed (as saved in the file) is rendered on screen.
    assert report.top_level_widget_views == ran_notebook.saved_widget_outputs
    assert report.rendered_widget_views == report.widget_views
    if builds_widgets(ran_notebook.name):
        assert report.rendered_widget_views > 0, "the notebook builds widgets but none is shown"
    assert ran_notebook.guarded.offsite == [], f"requests left 127.0.0.1: {ran_notebook.guarded.offsite}"
    # A widget view whose JavaScript fails also logs an error in the browser console.
    assert ran_notebook.guarded.console_errors == [], ran_notebook.guarded.console_errors
    assert ran_notebook.screenshot.stat().st_size > 10_000


# --------------------------------------------------------------------------- comparison widget


@pytest.mark.parametrize("ran_notebook", COMPARISON_NOTEBOOKS, indirect=True)
def test_comparison_widget_shows_the_chosen_pair_and_aspect(ran_notebook: RanNotebook) -> None:
    from playwright.sync_api import expect

    data = osteo_teach.load()
    comparisons = data.table("comparisons")
    aspects = data.table("aspects")
    procedures = data.table("procedures")
    views = widget_outputs(ran_notebook.page, has_label="Compare:")
    assert views.count() >= 1, "no comparison widget shown"
    for index in range(views.count()):
        view = views.nth(index)
        view.scroll_into_view_if_needed()
        pair = dropdown_select(view, "Compare:")
        aspect = dropdown_select(view, "Aspect:")
        table = view.locator("table.ot-comparison")
        assert option_labels(pair) == [c.title for c in comparisons.values()]
        for comparison in comparisons.values():
            names = [procedures[pid].name for pid in comparison.procedures]
            labels = [aspects[aid].label for aid in comparison.aspects]
            started = time.perf_counter()
            pair.select_option(label=comparison.title)
            wait_for_texts(
                view, "table.ot-comparison thead th, table.ot-comparison tbody th", ["Aspect", *names, *labels]
            )
            ran_notebook.change_times.append(time.perf_counter() - started)
            expect(aspect.locator("option")).to_have_text(["All aspects", *labels])
            for aspect_id in [*comparison.aspects, ALL_ASPECTS]:
                shown = labels if aspect_id == ALL_ASPECTS else [aspects[aspect_id].label]
                started = time.perf_counter()
                aspect.select_option(label="All aspects" if aspect_id == ALL_ASPECTS else aspects[aspect_id].label)
                wait_for_texts(view, "table.ot-comparison tbody th", shown)
                ran_notebook.change_times.append(time.perf_counter() - started)
                expect(table.locator("thead th")).to_have_text(["Aspect", *names])
                expect(table).to_be_visible()
                if aspect_id != ALL_ASPECTS:
                    cells = table.locator("tbody td")
                    for column, pid in enumerate(comparison.procedures):
                        statement = procedures[pid].aspects.get(aspect_id)
                        expect(cells.nth(column)).to_contain_text(statement.text if statement else NOT_COVERED)
        assert view.locator(".ot-error").count() == 0


# --------------------------------------------------------------------------- figure widgets


def _drive_figure_widget(ran: RanNotebook, first_label: str, expected: dict[str, list[str] | None]) -> int:
    """Choose every option of each dropdown (in ``expected`` order); each must redraw the figure.

    ``expected`` maps a dropdown's description to its option labels (None: read them
    from the page after the previous dropdowns were set). Returns the number of redraws.
    """
    views = widget_outputs(ran.page, has_label=first_label)
    assert views.count() >= 1, f"no widget with a {first_label!r} dropdown shown"
    view = views.first
    view.scroll_into_view_if_needed()
    redraws = 0
    for description, labels in expected.items():
        select = dropdown_select(view, description)
        shown = option_labels(select)
        if labels is not None:
            assert shown == labels, f"{description} offers {shown}, data says {labels}"
        current = " ".join(select.evaluate("s => s.options[s.selectedIndex].text").split())  # &nbsp; -> space
        for label in [*(lb for lb in shown if lb != current), current]:
            before = figure_src(view)
            caption = view.locator(".widget-html-content").all_inner_texts()
            started = time.perf_counter()
            select.select_option(label=label)
            try:
                after = wait_for_new_figure(view, before)
            except TimeoutError as exc:
                raise AssertionError(f"choosing {description} {label!r}: {exc}") from None
            ran.change_times.append(time.perf_counter() - started)
            assert src_digest(after) != src_digest(before)
            assert view.locator(".ot-error").count() == 0, view.locator(".ot-error").all_inner_texts()
            assert view.locator(".widget-html-content").all_inner_texts() != caption, "the text did not change"
            redraws += 1
    return redraws


@pytest.mark.parametrize("ran_notebook", TIMELINE_NOTEBOOKS, indirect=True)
def test_timeline_explorer_offers_each_site_only_its_treatments(ran_notebook: RanNotebook) -> None:
    """Choose every site, then every treatment the page offers for it: only that site's pathways."""
    from playwright.sync_api import expect

    from osteo_teach.timeline import pathways_for, sites_with_pathways

    data = osteo_teach.load()
    sites = sites_with_pathways(data)
    view = widget_outputs(ran_notebook.page, has_label="Fracture site:").first
    site_select = dropdown_select(view, "Fracture site:")
    assert option_labels(site_select) == [s.name for s in sites]
    redraws = 0
    for site in [*sites[1:], sites[0]]:
        before = figure_src(view)
        site_select.select_option(label=site.name)
        wait_for_new_figure(view, before)
        treatments = [p.name for p in pathways_for(site.id, data)]
        expect(dropdown_select(view, "Treatment:").locator("option")).to_have_text(treatments)
        if len(treatments) > 1:
            redraws += _drive_figure_widget(ran_notebook, "Fracture site:", {"Treatment:": treatments})
    assert redraws == sum(len(pathways_for(s.id, data)) for s in sites if len(pathways_for(s.id, data)) > 1)


@pytest.mark.parametrize("ran_notebook", STEPPER_NOTEBOOKS, indirect=True)
def test_procedure_stepper_redraws_for_each_procedure_and_step(ran_notebook: RanNotebook) -> None:
    from osteo_teach.vertebra import procedures_with_steps, steps_of

    data = osteo_teach.load()
    procedure_ids = procedures_with_steps(data)
    names = [data.get("procedures", p).name for p in procedure_ids]
    # Walk the steps of every procedure: choose the procedure, then each of its steps.
    for procedure_id, name in zip([*procedure_ids[1:], procedure_ids[0]], [*names[1:], names[0]], strict=False):
        steps = [f"{s.order}. {s.title}" for s in steps_of(procedure_id, data)]
        view = widget_outputs(ran_notebook.page, has_label="Procedure:").first
        procedure = dropdown_select(view, "Procedure:")
        assert option_labels(procedure) == names
        before = figure_src(view)
        procedure.select_option(label=name)
        wait_for_new_figure(view, before)
        _drive_figure_widget(ran_notebook, "Procedure:", {"Step:": steps})


# --------------------------------------------------------------------------- hidden solutions

#: Every lesson's solutions, computed as a click would (text and answer lines).
SOLUTIONS = all_solutions()
SOLUTION_NOTEBOOKS = list(dict.fromkeys(f"{s.lesson.id}.ipynb" for s in SOLUTIONS))
#: The tooltip of every "Show solution" button (osteo_teach.exercises.Solution).
SOLUTION_BUTTON = "button[title='Try the exercise first, then check here']"

_PANEL_TEXT_JS = "(sel) => document.querySelector(sel).textContent"


@pytest.mark.parametrize("ran_notebook", SOLUTION_NOTEBOOKS, indirect=True)
def test_solutions_are_hidden_after_run_all_and_shown_when_clicked(ran_notebook: RanNotebook) -> None:
    from playwright.sync_api import expect

    page = ran_notebook.page
    panel = ".jp-NotebookPanel:not(.lm-mod-hidden)"
    solutions = [s for s in SOLUTIONS if f"{s.lesson.id}.ipynb" == ran_notebook.name]
    on_page = comparable(page.evaluate(_PANEL_TEXT_JS, panel))
    for solution in solutions:
        for line in solution.answers:
            assert line not in on_page, f"after Run All the page shows {solution.label}: {line}"
    buttons = page.locator(f"{panel} {SOLUTION_BUTTON}")
    expect(buttons).to_have_count(len(solutions))
    expect(buttons).to_have_text(["Show solution"] * len(solutions))
    shown = page.locator(f"{panel} .ot-solution")
    for index, solution in enumerate(solutions):
        button = buttons.nth(index)
        button.scroll_into_view_if_needed()
        button.click()
        expect(shown).to_have_count(index + 1)
        expect(button).to_have_text("Hide solution")
        region = comparable(shown.nth(index).inner_text())
        for line in solution.answers:
            assert line in region, f"clicking shows {solution.label}, but not: {line}"
    shown.last.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    target = buttons.last.locator("xpath=ancestor::div[contains(@class, 'jp-Cell')][1]")
    target.screenshot(path=str(SCREENSHOTS / f"{Path(ran_notebook.name).stem}-solution.png"))
    # Clicking again folds it away.
    buttons.last.click()
    expect(shown).to_have_count(len(solutions) - 1)


# --------------------------------------------------------------------------- the checks themselves


BROKEN_WIDGET_NOTEBOOK = {
    "cells": [
        "import ipywidgets as w\nw.Dropdown(description='Fine:', options=['a', 'b'])",
        # A view class the browser does not have: the kernel is happy, the page is not.
        "from traitlets import Unicode\n\nclass Broken(w.VBox):\n    _view_name = Unicode('NoSuchView').tag(sync=True)\n\nBroken([w.Label('never shown')])",
    ]
}


def test_a_widget_that_does_not_render_is_caught(browser, lab_server, tmp_path: Path) -> None:
    """The checks above fail when a widget does not render (kernel fine, browser not)."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src) for src in BROKEN_WIDGET_NOTEBOOK["cells"]])
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    target = lab_server.root / "selftest" / "broken_widget.ipynb"
    target.parent.mkdir(exist_ok=True)
    nbformat.write(nb, target)
    guarded = new_guarded_page(browser)
    try:
        open_notebook(guarded.page, lab_server, "selftest/broken_widget.ipynb")
        run_all_and_wait(guarded.page)
        report = notebook_report(guarded.page)
    finally:
        guarded.close()
        lab_server.shutdown_kernels()
    assert report.errors == []
    assert report.widget_views == 2 and report.rendered_widget_views == 1
    assert len(report.unrendered) == 1 and report.unrendered[0].startswith("error widget"), report.unrendered
