"""WCAG 2.1 AA, measured: axe-core on every page a student or instructor sees, and the keyboard alone.

Pages audited (axe's WCAG 2.1 A and AA rules, ``tests/browser/axe.py``):

- every lesson after Run All in JupyterLab, and again after every widget was
  operated with the keyboard (feedback, redrawn figures); every lesson in Notebook 7;
- every lesson as a Voila app and the app's start page (``make app``);
- every lesson's printable handout (``make handouts``) and its slides (``make slides``).

In JupyterLab, Notebook 7 and Voila only the course's content counts (notebook
outputs and rendered markdown): the interface around it is not ours, and its
findings are printed as information. On the start page, handouts and slides the
whole page is the course's. Serious and critical violations fail; a minor or
moderate one fails unless it is listed, with the reason, in ``EXPLAINED``.

Keyboard only (JupyterLab): for every widget of every lesson, focus starts just
before the widget and only Tab moves it: every control is reached by Tab, shows a
visible focus indicator, and is changed with the keyboard (arrow keys in a
dropdown or radio group, Space on a checkbox, Enter on a button, typing in a
number box); each change must change what the widget shows.

A deliberately broken notebook (an image without alt text, an unlabelled
dropdown) must fail the audit.

Lessons and widgets come from the registry: new lessons are covered without
editing this file.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

from osteo_teach.lessons import all_lessons

from .axe import Audit, audit
from .conftest import SCREENSHOTS, RanNotebook
from .lab_driver import (
    REPO_NOTEBOOKS,
    REPO_ROOT,
    LabServer,
    _free_port,
    copy_notebooks,
    isolated_env,
    new_guarded_page,
    notebook7_url,
    open_notebook,
    open_notebook_at,
    run_all_and_wait,
    start_lab,
    widget_outputs,
)

pytestmark = pytest.mark.browser

LESSONS = list(all_lessons())
NOTEBOOKS = [f"{lesson.id}.ipynb" for lesson in LESSONS]
WIDGET_NOTEBOOKS = [f"{lesson.id}.ipynb" for lesson in LESSONS if lesson.widgets]

#: Minor or moderate findings in course content that are accepted, each with its reason.
#: (Empty: none remains. Add a rule id here only with the reason it cannot be fixed.)
EXPLAINED: dict[str, str] = {}

#: Every audit of the session, printed at the end (and in the closing note).
AUDITS: list[Audit] = []

#: How long a widget may take to respond to a key (ms). Generous: 2 shared cores.
RESPONSE_MS = 30_000


def check(result: Audit) -> None:
    """Fail on any serious or critical finding in course content, or a minor one not explained."""
    AUDITS.append(result)
    print("\n" + result.line())
    blocking = result.course("serious", "critical")
    unexplained = [f for f in result.course("minor", "moderate") if f.rule not in EXPLAINED]
    assert blocking == [] and unexplained == [], f"{result.page}: WCAG 2.1 AA violations in the course's content:\n" + (
        "\n".join(f.describe() for f in [*blocking, *unexplained])
    )


def pytest_terminal_summary_lines() -> list[str]:
    return [a.line() for a in AUDITS]


@pytest.fixture(scope="module", autouse=True)
def _print_audits() -> Iterator[None]:
    yield
    if AUDITS:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS.parent / "accessibility.txt").write_text("\n".join(a.line() for a in AUDITS) + "\n")


# --------------------------------------------------------------------------- JupyterLab


@pytest.mark.parametrize("ran_notebook", NOTEBOOKS, indirect=True)
def test_lesson_in_jupyterlab_meets_wcag_aa(ran_notebook: RanNotebook) -> None:
    check(audit(ran_notebook.page, f"JupyterLab {ran_notebook.name}"))


# Each focusable control inside a widget view, in Tab order, as the browser sees it.
_CONTROL_JS = """
(el) => {
  const tag = el.tagName.toLowerCase();
  const type = (el.getAttribute('type') || '').toLowerCase();
  return {tag, type, label: (el.labels && el.labels[0] ? el.labels[0].textContent : el.textContent || el.value || '').trim().slice(0, 60),
          checked: !!el.checked, index: el.selectedIndex === undefined ? -1 : el.selectedIndex,
          count: el.options ? el.options.length : 0};
}
"""

# A fingerprint of a widget view: its text (without the <select>s' option lists) and its images' sources.
_FINGERPRINT_JS = """
(view) => {
  const clone = view.cloneNode(true);
  clone.querySelectorAll('select').forEach(s => s.remove());
  const text = clone.textContent + '|' + [...view.querySelectorAll('img')].map(i => i.src).join('|')
    + '|' + [...view.querySelectorAll('input')].map(i => i.checked + ':' + i.value).join('|')
    + '|' + [...view.querySelectorAll('details')].map(d => d.open).join('|');
  let h = 5381;
  for (let i = 0; i < text.length; i++) h = ((h * 33) ^ text.charCodeAt(i)) >>> 0;
  return h + ':' + text.length;
}
"""

# The focus indicator: what changes on the focused element (outline, shadow, border, background).
_STYLE_JS = """
(el) => { const s = getComputedStyle(el);
  return [s.outlineStyle + ' ' + s.outlineWidth + ' ' + s.outlineColor, s.boxShadow, s.borderColor, s.backgroundColor].join(' | '); }
"""


def _focused_in(view: Any) -> Any:
    return view.evaluate_handle("(v) => v.contains(document.activeElement) ? document.activeElement : null")


def _settle(page: Any, view: Any, quiet_ms: int = 400) -> None:
    """Wait until the widget stops changing: a change can arrive as several updates (table, figure,
    folded text), and a key pressed while a later one replaces the focused element goes elsewhere."""
    last, quiet = None, 0
    for _ in range(RESPONSE_MS // 100):
        now = view.evaluate(_FINGERPRINT_JS)
        quiet = quiet + 100 if now == last else 0
        if quiet >= quiet_ms:
            return
        last = now
        page.wait_for_timeout(100)


def _operate(page: Any, view: Any, control: Any, kind: dict[str, Any]) -> str:
    """Change a focused control with the keyboard, as a student does; say which key."""
    tag, kind_type = kind["tag"], kind["type"]
    if tag == "select":
        key = "ArrowUp" if kind["index"] >= kind["count"] - 1 else "ArrowDown"
    elif kind_type == "radio":
        key = "ArrowDown" if kind["checked"] else "Space"
    elif kind_type == "checkbox":
        key = "Space"
    elif tag == "button":
        key = "Enter"
    elif tag in ("input", "textarea"):
        page.keyboard.type("12")
        return "type"
    else:
        key = "Enter"
    page.keyboard.press(key)
    return key


@pytest.mark.parametrize("ran_notebook", WIDGET_NOTEBOOKS, indirect=True)
def test_every_widget_works_with_the_keyboard_alone_and_shows_focus(ran_notebook: RanNotebook) -> None:
    page = ran_notebook.page
    views = widget_outputs(page)
    assert views.count() > 0
    operated = 0
    done_before: list[str] = []
    for index in range(views.count()):
        view = views.nth(index)
        view.scroll_into_view_if_needed()
        controls = view.locator("select, input, button, textarea").filter(has_not=page.locator("[disabled]"))
        expected = sum(1 for i in range(controls.count()) if controls.nth(i).is_enabled())
        if expected == 0:
            continue
        handle = view.element_handle()
        # Focus starts just before the widget (a sentinel the test adds); only Tab moves it on.
        handle.evaluate(
            "(v) => { const b = document.createElement('button'); b.id = 'ot-kbd-start'; b.textContent = 'start';"
            " v.parentElement.insertBefore(b, v); b.focus(); }"
        )
        reached: list[str] = []
        radio_groups: set[str] = set()
        for _ in range(4 * expected + 10):
            page.keyboard.press("Tab")
            focused = _focused_in(handle)
            if focused.evaluate("(f) => f === null"):
                if reached:
                    break  # focus left the widget: every control was visited
                continue
            if focused.evaluate("(f) => !f.isConnected || !f.parentElement"):
                continue  # the widget redrew while Tab moved: the next Tab finds the new control
            kind = focused.evaluate(_CONTROL_JS)
            blurred_style = focused.evaluate(
                "(f) => { if (!f.parentElement) return null; const c = f.cloneNode(true); f.parentElement.appendChild(c);"
                " const s = getComputedStyle(c);"
                " const out = [s.outlineStyle + ' ' + s.outlineWidth + ' ' + s.outlineColor, s.boxShadow, s.borderColor,"
                " s.backgroundColor].join(' | '); c.remove(); return out; }"
            )
            if blurred_style is None:
                continue  # replaced by a late update between two steps: the next Tab finds the new one
            assert focused.evaluate(_STYLE_JS) != blurred_style, (
                f"{ran_notebook.name}: no visible focus indicator on {kind}"
            )
            if focused.evaluate("(f) => f.getAttribute('role') === 'region'"):
                # A scrolling box (the glossary): it takes focus so arrow keys scroll it; nothing to change.
                assert focused.evaluate("(f) => !!f.getAttribute('aria-label')"), "a focusable region has a name"
                continue
            if kind["type"] == "radio":
                name = focused.evaluate("(f) => f.name")
                if name in radio_groups:
                    continue
                radio_groups.add(name)
            before = handle.evaluate(_FINGERPRINT_JS)
            key = _operate(page, handle, focused, kind)
            reached.append(f"{kind['tag']}:{kind['label']}:{key}")
            if key == "type":
                _settle(page, handle)  # a search box updates as one types: let it finish first
                continue  # a number box changes nothing until its "Check answer" button is pressed
            try:
                page.wait_for_function(
                    f"([v, old]) => ({_FINGERPRINT_JS})(v) !== old",
                    arg=[handle, before],
                    timeout=RESPONSE_MS,
                    polling=50,
                )
            except Exception:
                if kind["tag"] == "button" and any(r.startswith(f"button:{kind['label']}:") for r in done_before):
                    continue  # a widget shown twice (the quiz's score): its button already acted in the first view
                raise AssertionError(
                    f"{ran_notebook.name}, widget #{index}: {key} on {kind} changed nothing within "
                    f"{RESPONSE_MS / 1000:.0f} s"
                ) from None
            operated += 1
            _settle(page, handle)
            if focused.evaluate("(f) => !document.contains(f) || f !== document.activeElement"):
                # The widget redrew around the control: put focus back where it was, by Tab from the start.
                break
        page.evaluate(
            "() => document.getElementById('ot-kbd-start') && document.getElementById('ot-kbd-start').remove()"
        )
        assert reached, f"{ran_notebook.name}, widget #{index}: Tab never reached its controls"
        done_before += reached
    assert operated > 0
    assert ran_notebook.page.locator(".ot-error").count() == 0
    print(f"\n{ran_notebook.name}: {operated} keyboard changes")
    page.screenshot(path=str(SCREENSHOTS / f"keyboard-{Path(ran_notebook.name).stem}.png"))
    # What the keyboard changed (feedback, new figures, messages) is audited too.
    check(audit(page, f"JupyterLab {ran_notebook.name}, after the keyboard test"))


def test_a_broken_notebook_fails_the_audit(browser: Any, lab_server: LabServer) -> None:
    """An image without alt text and an unlabelled dropdown are serious/critical findings in course content."""
    cells = [
        "import base64\nfrom IPython.display import Image, display\n"
        "display(Image(base64.b64decode('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==')))",
        "import ipywidgets as w\nw.Dropdown(options=['a', 'b'])",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src) for src in cells])
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    target = lab_server.root / "selftest" / "broken_a11y.ipynb"
    target.parent.mkdir(exist_ok=True)
    nbformat.write(nb, target)
    guarded = new_guarded_page(browser)
    try:
        open_notebook(guarded.page, lab_server, "selftest/broken_a11y.ipynb")
        run_all_and_wait(guarded.page)
        guarded.page.locator(".widget-dropdown select").wait_for(state="attached")
        result = audit(guarded.page, "broken fixture")
    finally:
        guarded.close()
        lab_server.shutdown_kernels()
    rules = {f.rule for f in result.course("serious", "critical")}
    assert {"image-alt", "select-name"} <= rules, result.line()
    with pytest.raises(AssertionError, match="image-alt"):
        check(result)
    AUDITS.remove(result)


# --------------------------------------------------------------------------- Notebook 7


@pytest.fixture(scope="module")
def nb7_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    root = copy_notebooks(REPO_NOTEBOOKS, tmp_path_factory.mktemp("a11y-nb7-root"))
    server = start_lab(root, tmp_path_factory.mktemp("a11y-nb7-home"), app="notebook")
    yield server
    assert server.stop() == [], "processes left after stopping Notebook 7"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_lesson_in_notebook7_meets_wcag_aa(browser: Any, nb7_server: LabServer, name: str) -> None:
    guarded = new_guarded_page(browser)
    try:
        open_notebook_at(guarded.page, notebook7_url(nb7_server, f"notebooks/{name}"))
        run_all_and_wait(guarded.page)
        check(audit(guarded.page, f"Notebook 7 {name}"))
    finally:
        guarded.close()
        nb7_server.shutdown_kernels()
        copy_notebooks(REPO_NOTEBOOKS, nb7_server.root, names=[name])


# --------------------------------------------------------------------------- make app (Voila)


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``make app`` (tools/app.py): Voila on 127.0.0.1 serving every lesson, with temporary Jupyter folders."""
    sys.path.insert(0, str(REPO_ROOT / "tools"))
    import app

    work = tmp_path_factory.mktemp("app")
    data = app.prepare(work / "app")
    env = app.app_env(data, isolated_env(work / "home"))
    port = _free_port()
    log = open(work / "voila.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        app.voila_argv(port, open_browser=False),
        cwd=work,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, (work / "voila.log").read_text(errors="replace")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=5):
                    break
            except OSError:
                assert time.monotonic() < deadline, "the app did not answer within 120 s"
                time.sleep(0.25)
        yield f"http://127.0.0.1:{port}/"
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if process.poll() is None:
                os.killpg(process.pid, sig)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=15)
        log.close()
        assert process.poll() is not None, "Voila is still running"


def test_the_app_lists_every_lesson_and_meets_wcag_aa(browser: Any, app_url: str) -> None:
    guarded = new_guarded_page(browser)
    try:
        page = guarded.page
        page.goto(app_url)
        links = page.locator("main li a")
        assert links.all_inner_texts() == [f"{lesson.number}. {lesson.title}" for lesson in LESSONS]
        text = page.inner_text("main")
        assert all(lesson.summary in text for lesson in LESSONS)
        assert links.first.get_attribute("href").endswith(f"voila/render/{LESSONS[0].id}.ipynb")
        check(audit(page, "app start page", content=None))
        assert guarded.offsite == []
    finally:
        guarded.close()


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_each_lesson_as_an_app_shows_no_code_and_meets_wcag_aa(browser: Any, app_url: str, lesson: Any) -> None:
    guarded = new_guarded_page(browser)
    try:
        page = guarded.page
        page.goto(app_url)
        page.locator("main li a", has_text=lesson.title).first.click()
        page.locator(".jp-MarkdownOutput h1").first.wait_for(state="visible")
        page.wait_for_function(
            "() => !document.querySelector('#loading') || getComputedStyle(document.querySelector('#loading')).display === 'none' || !document.body.contains(document.querySelector('#loading'))"
        )
        if lesson.widgets:
            page.locator(".jupyter-widgets").first.wait_for(state="visible")
        page.wait_for_timeout(500)
        body = page.inner_text("body")
        assert page.locator(".jp-InputArea-editor:visible, .cm-editor:visible").count() == 0, "the app shows no code"
        assert "Traceback" not in body
        nb = nbformat.read(lesson.notebook, as_version=4)
        if any("needs-code" in c.metadata.get("tags", []) for c in nb.cells):
            assert "This exercise needs code" in body
        page.screenshot(path=str(SCREENSHOTS / f"app-{lesson.id}.png"), full_page=True)
        check(audit(page, f"app {lesson.id}"))
        # Voila's page asks a CDN for its icon font only; nothing else may leave 127.0.0.1.
        assert [u for u in guarded.offsite if "fontawesome" not in u and "font-awesome" not in u] == []
    finally:
        guarded.close()


# --------------------------------------------------------------------------- handouts and slides


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_each_printable_handout_meets_wcag_aa(browser: Any, printed_handouts: dict, lesson: Any) -> None:
    page_path, _ = printed_handouts[lesson.id]
    guarded = new_guarded_page(browser)
    try:
        guarded.page.goto(page_path.as_uri())
        guarded.page.wait_for_load_state("load")
        check(audit(guarded.page, f"handout {lesson.id}", content=None))
        assert guarded.offsite == []
    finally:
        guarded.close()


@pytest.fixture(scope="session")
def built_slides(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every lesson's reveal.js slides, built as ``make slides`` builds them (projector style, offline)."""
    from concurrent.futures import ThreadPoolExecutor

    sys.path.insert(0, str(REPO_ROOT / "tools"))
    import shutil

    import build_slides

    out = tmp_path_factory.mktemp("slides")
    shutil.copytree(build_slides.VENDOR, out / "vendor", dirs_exist_ok=True)
    (out / "slides").mkdir()

    def one(lesson: Any) -> Path:
        from jupyter_core.utils import ensure_event_loop

        try:
            nb = build_slides.execute(lesson.notebook, "projector")
        finally:
            ensure_event_loop().close()
        resources = {"metadata": {"name": lesson.id, "path": str(lesson.notebook.parent)}}
        body, _ = build_slides.slides_exporter("../vendor").from_notebook_node(nb, resources=resources)
        target = out / "slides" / f"{lesson.id}.slides.html"
        target.write_text(body, encoding="utf-8")
        return target

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip((lesson.id for lesson in LESSONS), pool.map(one, LESSONS), strict=True))


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_each_slide_deck_meets_wcag_aa(browser: Any, built_slides: dict, lesson: Any) -> None:
    """Every slide at once (reveal.js's print layout, ``?print-pdf``), the whole page counted."""
    guarded = new_guarded_page(browser)
    try:
        page = guarded.page
        page.goto(built_slides[lesson.id].as_uri() + "?print-pdf")
        page.locator(".reveal .slides section").first.wait_for(state="attached")
        page.wait_for_function("() => document.querySelector('.reveal.ready') !== null", timeout=60_000)
        check(audit(page, f"slides {lesson.id}", content=None))
        assert guarded.offsite == []
    finally:
        guarded.close()
