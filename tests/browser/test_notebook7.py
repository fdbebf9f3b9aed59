"""End-to-end: every lesson in Notebook 7's interface (the ``notebook`` package), as a student runs it.

Students may open the course in JupyterLab (``/lab``) or in Notebook 7
(``/tree``, ``/notebooks/...``); the README says both work, and this is the check.
A Notebook 7 server (``python -m notebook`` with ``make lab``'s options, on a
temporary copy of ``notebooks/``) opens each lesson at
``/notebooks/notebooks/<lesson>``, runs all cells through the menu, checks that no
cell shows an error and that every widget rendered, saves a screenshot
(``build/screenshots/nb7-<lesson>.png``), then drives every dropdown generically:
each option of each ``.widget-dropdown select`` is chosen, and the widget around
it must visibly respond (its text or figure changes) without an error.

Lessons are found by globbing ``notebooks/[0-9][0-9]_*.ipynb`` and dropdowns by
looking at the page, so a new lesson or widget is covered without editing this file.

Why not the JupyterLab tests' server, which serves Notebook 7 too: jupyter_server
2.21 caches static files by file name for all its apps, and both interfaces ship
the same icon font under the same name, so whichever interface asks second is
refused it (403; README, "Two interfaces"). Separate servers keep the two test
files independent of their order.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .conftest import SCREENSHOTS
from .lab_driver import (
    REPO_NOTEBOOKS,
    GuardedPage,
    LabServer,
    NotebookReport,
    copy_notebooks,
    new_guarded_page,
    notebook7_url,
    notebook_report,
    open_notebook_at,
    option_labels,
    run_all_and_wait,
    screenshot_notebook,
    start_lab,
)
from .test_notebooks_in_lab import builds_widgets

pytestmark = pytest.mark.browser

#: Every lesson: notebooks whose names start with two digits, found when the tests are collected.
LESSONS = sorted(path.name for path in REPO_NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))

#: How long a widget may take to respond to a dropdown change (ms). Generous: 2 shared cores.
RESPONSE_MS = 30_000

# A fingerprint of the widget view around a dropdown: its text (without the <select>s'
# own option lists) and the sources of its images. Changes when the widget redraws.
_VIEW_FINGERPRINT_JS = """
(el) => {
  const view = el.closest('.jp-OutputArea-output') || el.closest('.jupyter-widgets');
  const clone = view.cloneNode(true);
  clone.querySelectorAll('select').forEach(s => s.remove());
  const text = clone.textContent + '|' + [...view.querySelectorAll('img')].map(i => i.src).join('|');
  let h = 5381;
  for (let i = 0; i < text.length; i++) h = ((h * 33) ^ text.charCodeAt(i)) >>> 0;
  return h + ':' + text.length;
}
"""

# True once the view's fingerprint differs from ``before`` and every image in it has loaded.
_VIEW_CHANGED_JS = f"""
([el, before]) => {{
  const view = el.closest('.jp-OutputArea-output') || el.closest('.jupyter-widgets');
  if (({_VIEW_FINGERPRINT_JS})(el) === before) return false;
  return [...view.querySelectorAll('img')].every(i => i.complete && i.naturalWidth > 0);
}}
"""


@dataclass
class Notebook7Run:
    """A lesson after "run all" in Notebook 7, still open."""

    name: str
    guarded: GuardedPage
    seconds: float
    report: NotebookReport
    screenshot: Path
    change_times: list[float] = field(default_factory=list)


@pytest.fixture(scope="module")
def notebook7_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """Notebook 7 (``python -m notebook``) on a copy of notebooks/; no process left afterwards."""
    root = copy_notebooks(REPO_NOTEBOOKS, tmp_path_factory.mktemp("nb7-root"))
    server = start_lab(root, tmp_path_factory.mktemp("nb7-home"), app="notebook")
    yield server
    leftovers = server.stop()
    assert leftovers == [], f"processes left after stopping Notebook 7: {leftovers}"


@pytest.fixture(scope="module")
def notebook7(request: pytest.FixtureRequest, browser: object, notebook7_server: LabServer) -> Iterator[Notebook7Run]:
    """Open ``notebooks/<param>`` in Notebook 7 in a fresh page, run all, report, screenshot.

    Module-scoped and indirectly parametrized (one lesson open at a time); afterwards
    the kernels are shut down and the served copy of the lesson is put back.
    """
    name: str = request.param
    guarded = new_guarded_page(browser)  # type: ignore[arg-type]
    page = guarded.page
    stem = Path(name).stem
    try:
        open_notebook_at(page, notebook7_url(notebook7_server, f"notebooks/{name}"))
        seconds = run_all_and_wait(page)
        report = notebook_report(page)
        shot = screenshot_notebook(page, SCREENSHOTS / f"nb7-{stem}.png")
    except Exception as exc:
        guarded.close()
        notebook7_server.shutdown_kernels()
        copy_notebooks(REPO_NOTEBOOKS, notebook7_server.root, names=[name])
        raise AssertionError(
            f"{name}: could not open and run it in Notebook 7 ({exc.__class__.__name__}: {exc})\n"
            f"server log:\n{notebook7_server.log_tail()}"
        ) from exc
    run = Notebook7Run(name, guarded, seconds, report, shot)
    yield run
    guarded.close()
    notebook7_server.shutdown_kernels()
    copy_notebooks(REPO_NOTEBOOKS, notebook7_server.root, names=[name])


@pytest.mark.parametrize("notebook7", LESSONS, indirect=True)
def test_lesson_runs_in_notebook7_with_no_error_and_every_widget_rendered(notebook7: Notebook7Run) -> None:
    report = notebook7.report
    print(
        f"\n{notebook7.name}: Notebook 7, run all -> idle with widgets rendered in {notebook7.seconds:.2f} s; "
        f"{report.rendered_widget_views} widget views; screenshot {notebook7.screenshot}"
    )
    assert report.code_cells > 0 and report.executed_cells > 0, "no cell ran"
    assert report.errors == [], "cells show errors:\n" + "\n---\n".join(report.errors)
    assert report.unrendered == [], f"widgets did not render: {report.unrendered}"
    assert report.widget_messages == [], f"widgets show an error message: {report.widget_messages}"
    assert report.rendered_widget_views == report.widget_views
    if builds_widgets(notebook7.name):
        assert report.rendered_widget_views > 0, "the lesson builds widgets but none is shown"
    assert notebook7.guarded.offsite == [], f"requests left 127.0.0.1: {notebook7.guarded.offsite}"
    assert notebook7.guarded.console_errors == [], notebook7.guarded.console_errors
    assert notebook7.screenshot.stat().st_size > 10_000


@pytest.mark.parametrize("notebook7", LESSONS, indirect=True)
def test_every_dropdown_option_redraws_its_widget_in_notebook7(notebook7: Notebook7Run) -> None:
    """Choose every option of every dropdown on the page; each choice must redraw its widget, error-free.

    Each dropdown starts from its current option, visits every other one and comes
    back (so a dropdown whose options depend on another one sees the options a
    student sees). A choice that leaves the widget unchanged for 30 s fails.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    page = notebook7.guarded.page
    selects = page.locator(".widget-dropdown select")
    changes = 0
    for index in range(selects.count()):
        select = selects.nth(index)
        select.scroll_into_view_if_needed()
        labels = option_labels(select)
        current = " ".join(select.evaluate("s => s.options[s.selectedIndex].text").split())
        assert current in labels, f"dropdown #{index}: current option {current!r} not among {labels}"
        for label in [*(lb for lb in labels if lb != current), current] if len(labels) > 1 else []:
            handle = select.element_handle()
            before = handle.evaluate(_VIEW_FINGERPRINT_JS)
            started = time.perf_counter()
            select.select_option(label=label)
            try:
                page.wait_for_function(_VIEW_CHANGED_JS, arg=[handle, before], timeout=RESPONSE_MS, polling=50)
            except PlaywrightTimeoutError:
                raise AssertionError(
                    f"{notebook7.name}, dropdown #{index} ({labels}): choosing {label!r} did not change its widget "
                    f"within {RESPONSE_MS / 1000:.0f} s"
                ) from None
            notebook7.change_times.append(time.perf_counter() - started)
            changes += 1
    report = notebook_report(page)
    assert report.errors == [], "cells show errors after the changes:\n" + "\n---\n".join(report.errors)
    assert report.widget_messages == [], f"widgets show an error message: {report.widget_messages}"
    assert report.unrendered == [], f"widgets stopped rendering: {report.unrendered}"
    assert notebook7.guarded.console_errors == [], notebook7.guarded.console_errors
    if changes:
        print(
            f"\n{notebook7.name}: {changes} dropdown changes in Notebook 7, slowest {max(notebook7.change_times):.2f} s"
        )
