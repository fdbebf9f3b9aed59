"""End-to-end: present a notebook with RISE, and serve one as a Voila dashboard.

RISE (``/rise/<notebook>``, the jupyterlab-rise slideshow app of the course's
JupyterLab): the slides show the notebook's markdown, and Shift+Enter runs the
code cells, as an instructor does while presenting, and the widgets render and
respond. (jupyterlab-rise 0.43.1 alone cannot load the ipywidgets 8 manager,
upstream jupyterlab-contrib/rise#119; the lab command adds the package's
``osteo-rise-console-shim`` extension, see ``osteo_teach/lab.py``. If the shim
stops working after an upgrade, the widget test below fails.)

Voila (``python -m voila notebooks/02_fracture_reduction.ipynb``, the command
the README documents): the comparison widget renders without code cells, and
choosing another aspect changes the table shown; the exercises' answers are not
on the page until "Show solution" is clicked, and then they are.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..solution_checks import all_solutions, comparable
from .conftest import SCREENSHOTS
from .lab_driver import (
    LabServer,
    _free_port,
    dropdown_select,
    isolated_env,
    new_guarded_page,
    option_labels,
)

pytestmark = pytest.mark.browser

NOTEBOOK = "02_fracture_reduction.ipynb"
#: Code cells to run in the slideshow until the comparison widget's cell has run.
WIDGET_CELL_SOURCE = "ComparisonExplorer("
#: The RISE theme the course uses: "white" loads its font from the extension, while
#: RISE's default theme ("simple") asks Google Fonts (refused when offline).
RISE_SETTINGS = {"theme": "white"}

_ACTIVE_CELL_JS = """() => {
  const cells = [...document.querySelectorAll('.jp-Notebook .jp-Cell')];
  return cells.findIndex(c => c.classList.contains('jp-mod-active'));
}"""
_WIDGET_CELL_RAN_JS = """(src) => [...document.querySelectorAll('.jp-CodeCell')].some(c =>
  c.textContent.includes(src) && /\\[\\d+\\]/.test((c.querySelector('.jp-InputPrompt') || {}).textContent || '')
  && c.querySelector('.jp-OutputArea-output'))"""


def _use_rise_settings(server: LabServer) -> None:
    """Write the course's RISE settings into the test server's (temporary) user settings."""
    target = Path(server.env["JUPYTERLAB_SETTINGS_DIR"]) / "jupyterlab-rise" / "plugin.jupyterlab-settings"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(RISE_SETTINGS), encoding="utf-8")


_FOCUS_JS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return 'the page itself (nothing focused)';
  return `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}`;
}"""


def _slideshow_state(page: Any) -> str:
    """What the slideshow shows now: active cell, focused element, any dialog (for failure messages)."""
    dialogs = page.locator(".jp-Dialog").all_inner_texts()
    return (
        f"active cell {page.evaluate(_ACTIVE_CELL_JS)} of {page.locator('.jp-Notebook .jp-Cell').count()}, "
        f"focus on {page.evaluate(_FOCUS_JS)}, dialogs: {dialogs or 'none'}"
    )


def _press_shift_enter_until_the_deck_moves(page: Any) -> None:
    """Press Shift+Enter and wait until the slideshow moves to the next cell.

    If it has not moved after 10 s, do what a presenter does when a key press
    went nowhere: give the notebook the focus back and press again, once. A dialog
    on screen (a kernel that died, a kernel to choose) is a failure, with its text.
    """
    moved = f"(old) => ({_ACTIVE_CELL_JS})() !== old"
    before = page.evaluate(_ACTIVE_CELL_JS)
    page.keyboard.press("Shift+Enter")
    try:
        page.wait_for_function(moved, arg=before, timeout=10_000)
        return
    except Exception:  # Playwright's TimeoutError
        state = _slideshow_state(page)
    if page.locator(".jp-Dialog").count():
        raise AssertionError(f"a dialog stopped the slideshow: {state}")
    print(f"RISE: Shift+Enter did not move the deck within 10 s ({state}); focusing the notebook, pressing again")
    page.evaluate("() => document.querySelector('.jp-Notebook').focus()")
    page.keyboard.press("Shift+Enter")
    try:
        page.wait_for_function(moved, arg=before, timeout=30_000)
    except Exception as exc:
        raise AssertionError(f"Shift+Enter twice did not move the slideshow on: {_slideshow_state(page)}") from exc


@pytest.fixture(scope="module")
def rise_slideshow(browser: Any, lab_server: LabServer) -> Iterator[Any]:
    """The RISE view of notebook 02, with code cells run by Shift+Enter up to the comparison widget."""
    _use_rise_settings(lab_server)
    guarded = new_guarded_page(browser)
    page = guarded.page
    try:
        page.goto(lab_server.url(f"/rise/notebooks/{NOTEBOOK}"))
        page.locator(".reveal .slides").wait_for(state="attached")
        page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(state="attached")
        page.locator(".jp-Notebook .jp-Cell").first.click()
        for _ in range(40):  # Shift+Enter runs the active cell and moves on, slide by slide
            if page.evaluate(_WIDGET_CELL_RAN_JS, WIDGET_CELL_SOURCE):
                break
            _press_shift_enter_until_the_deck_moves(page)
            page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(state="attached")
        else:
            raise AssertionError("Shift+Enter never ran the comparison widget's cell in the slideshow")
        page.wait_for_timeout(1000)  # give the widget manager its chance to render
        yield guarded
    finally:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "rise-02_fracture_reduction.png"))
        guarded.close()
        lab_server.shutdown_kernels()


def test_rise_shows_slides_and_runs_code(rise_slideshow: Any) -> None:
    page = rise_slideshow.page
    assert page.locator(".reveal .slides section").count() >= 5, "the notebook presents as a deck"
    headings = page.locator(".reveal .jp-MarkdownOutput h1").all_inner_texts()
    assert any("fracture reduction" in h.lower() for h in headings), headings  # RISE capitalises h1
    prompts = page.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()
    assert sum(any(ch.isdigit() for ch in p) for p in prompts) >= 3, "Shift+Enter ran the code cells"
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert not [t for t in errors.all_inner_texts() if "Traceback" in t]
    assert rise_slideshow.offsite == [], f"requests left 127.0.0.1: {rise_slideshow.offsite}"


def test_rise_widget_renders_and_a_dropdown_changes_the_view(rise_slideshow: Any) -> None:
    page = rise_slideshow.page
    selects = page.locator(".widget-dropdown select")
    assert selects.count() >= 2, "the comparison widget rendered in the slideshow"
    # Shift+Enter on the widget's cell moved the deck on; go back to the widget's slide,
    # as the instructor would, so the change happens (and is photographed) on screen.
    on_screen = "() => !!document.querySelector('.reveal section.present .widget-dropdown select')"
    page.keyboard.press("Escape")
    for _ in range(6):
        if page.evaluate(on_screen):
            break
        page.keyboard.press("ArrowLeft")
        page.wait_for_timeout(400)
    assert page.evaluate(on_screen), "the comparison widget's slide can be shown"
    aspect = dropdown_select(page.locator(".reveal section.present"), "Aspect:")
    table = page.locator(".widget-html").filter(has_text="Open reduction").first
    before = table.inner_text()
    aspect.select_option(index=2)
    page.wait_for_function("(old) => !document.body.innerText.includes(old)", arg=before[:200])
    assert table.inner_text() != before
    page.wait_for_timeout(1000)  # let the slide transition finish before the photograph
    page.screenshot(path=str(SCREENSHOTS / "rise-02_fracture_reduction-widget.png"))


# --------------------------------------------------------------------------- Voila


@pytest.fixture(scope="module")
def voila_url(lab_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``python -m voila notebooks/02_...ipynb`` on 127.0.0.1 with temporary Jupyter folders."""
    workdir = tmp_path_factory.mktemp("voila-home")
    env = isolated_env(workdir)
    port = _free_port()
    log = open(workdir / "voila.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "voila",
            f"notebooks/{NOTEBOOK}",
            "--no-browser",
            f"--port={port}",
            "--Voila.ip=127.0.0.1",
        ],
        cwd=lab_root,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, (workdir / "voila.log").read_text(errors="replace")
            try:  # the port answers (a page request would start a kernel)
                with socket.create_connection(("127.0.0.1", port), timeout=5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError("Voila did not answer within 120 s") from None
                time.sleep(0.25)
        yield url
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if process.poll() is None:
                os.killpg(process.pid, sig)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    continue
        log.close()
        assert process.poll() is not None, "Voila is still running"


def test_voila_dashboard_dropdown_changes_the_table(browser: Any, voila_url: str) -> None:
    guarded = new_guarded_page(browser)
    page = guarded.page
    try:
        page.goto(voila_url)
        aspect = dropdown_select(page.locator("body"), "Aspect:")
        aspect.wait_for(state="visible")
        assert "import osteo_teach" not in page.inner_text("body"), "Voila shows no code"
        table = page.locator(".widget-html").filter(has_text="Open reduction").first
        before = table.inner_text()
        labels = [label.replace("\xa0", " ") for label in option_labels(aspect)]
        assert labels[0] == "All aspects" and len(labels) > 2, labels
        aspect.select_option(index=2)
        page.wait_for_function(
            "([old]) => { const t = [...document.querySelectorAll('.widget-html')]"
            ".find(e => e.innerText.includes('Open reduction')); return t && t.innerText !== old; }",
            arg=[before],
        )
        after = table.inner_text()
        assert after != before and len(after) < len(before), "one aspect replaces the full comparison"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        aspect.scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / "voila-02_fracture_reduction.png"))
        # Voila's page asks a CDN for Font Awesome icons only; nothing else may leave 127.0.0.1.
        others = [u for u in guarded.offsite if "font-awesome" not in u and "fontawesome" not in u]
        assert others == [], f"requests left 127.0.0.1: {others}"
    finally:
        guarded.close()


def test_voila_solutions_show_only_when_clicked(browser: Any, voila_url: str) -> None:
    from playwright.sync_api import expect

    from osteo_teach.lessons import lesson

    solutions = all_solutions([lesson(NOTEBOOK.removesuffix(".ipynb"))])
    guarded = new_guarded_page(browser)
    page = guarded.page
    try:
        page.goto(voila_url)
        buttons = page.locator("button", has_text="Show solution")
        expect(buttons).to_have_count(len(solutions))
        body = comparable(page.inner_text("body"))
        for solution in solutions:
            assert not [line for line in solution.answers if line in body], f"Voila shows {solution.label}"
        buttons.first.scroll_into_view_if_needed()
        buttons.first.click()
        shown = page.locator(".ot-solution")
        expect(shown).to_have_count(1)
        region = comparable(shown.first.inner_text())
        assert all(line in region for line in solutions[0].answers), region
        shown.first.scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / "voila-02_fracture_reduction-solution.png"))
        others = [u for u in guarded.offsite if "font-awesome" not in u and "fontawesome" not in u]
        assert others == [], f"requests left 127.0.0.1: {others}"
    finally:
        guarded.close()
