"""End-to-end: the class experience on a real JupyterHub with nbgitpuller, in headless Chromium.

One student on the demo hub of ``deploy/hub/`` (``make hub``'s config, on free
127.0.0.1 ports, its state in a temporary folder); the instructor's repository
is a temporary clone of this repository. Step by step:

1. The student logs in on the hub's login page; the hub starts their server.
2. The student follows the nbgitpuller link built as the README says
   (:func:`deploy.course_link.nbgitpuller_link`): the course is cloned into
   their home and JupyterLab opens the start notebook.
3. The student runs a lesson with a widget (Run > Run All Cells) and changes
   its dropdown: the widget shows the chosen aspect. (Screenshot:
   ``build/screenshots/hub-02-after-dropdown.png``.) A kernel on their server
   imports ``osteo_teach`` from the cloned course (the hub's ``PYTHONPATH``).
4. The student edits the lesson (types a note into its title line) and saves.
5. The instructor commits an update to the upstream repository: the same
   title line, a heading far below it, and the start notebook.
6. The student follows the same link again. The pull must have happened and
   kept the student's edit, exactly as the README describes
   (:func:`tests.class_pull.pull_problems`): the start notebook shows the
   instructor's news in the browser, the lesson keeps the student's title line
   (the instructor's change to that line is dropped), and the far heading is
   updated; the lesson, opened in Notebook 7, shows both. (Screenshot:
   ``build/screenshots/hub-student-nb7-02.png``.)
7. The hub is stopped: no hub, proxy, server, kernel or git process may be left.

When ``CI`` is set, a missing JupyterHub, nbgitpuller, proxy or git fails the test.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from deploy.course_link import CoursePull
from deploy.hub.launch import Hub, missing_requirements, start_hub
from deploy.hub.remote_kernel import run_code
from tests.class_pull import (
    STUDENT_NOTE,
    clone_course,
    commit_instructor_update,
    pull_problems,
)

from .conftest import SCREENSHOTS, missing_browser
from .lab_driver import (
    REPO_ROOT,
    WAIT_MS,
    dropdown_select,
    new_guarded_page,
    notebook_report,
    open_notebook_at,
    option_labels,
    run_all_and_wait,
    screenshot_notebook,
    wait_for_texts,
    widget_outputs,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

#: The lesson the student runs and edits (it shows the comparison widget).
LESSON = "notebooks/02_fracture_reduction.ipynb"
STUDENT = "student"


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[tuple[Hub, Path]]:
    """The demo hub and the instructor's repository (``<tmp>/upstream/osteo-teach``); everything stopped after."""
    missing = missing_requirements()
    if missing:
        missing_browser("the hub test needs " + "; ".join(missing))
    upstream = clone_course(REPO_ROOT, tmp_path / "upstream" / "osteo-teach")
    running = start_hub(tmp_path / "hub", users=[STUDENT, "instructor"], course_repo=f"file://{upstream}")
    try:
        yield running, upstream
    finally:
        leftovers = running.stop()
        print(f"\nhub stopped; its own shutdown left {running.left_by_hub or 'nothing'}")
        assert leftovers == [], f"processes left after stopping the hub: {leftovers}"
        assert running.left_by_hub == [], f"the hub's shutdown left processes running: {running.left_by_hub}"


def _log_in(page: Page, hub: Hub) -> None:
    """The student logs in on the hub's login form; waits until their JupyterLab is up."""
    page.goto(f"{hub.url}/hub/login", timeout=WAIT_MS)
    page.locator("#username_input").fill(STUDENT)
    page.locator("#password_input").fill(hub.password)
    page.locator("#login_submit").click()
    page.wait_for_url(re.compile(rf"/user/{STUDENT}/lab"), timeout=WAIT_MS)
    page.locator(".jp-LabShell").wait_for(timeout=WAIT_MS)


def _follow_link(page: Page, link: str, course: CoursePull) -> None:
    """Open the class link; wait until nbgitpuller has pulled and the start notebook is open and idle."""
    open_notebook_at(page, link)
    assert page.url.split("?")[0].endswith("/" + course.urlpath()), page.url


def _edit_title_line(page: Page) -> None:
    """Type the student's note at the end of the lesson's first line (its title), render, save."""
    title = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-MarkdownCell").first
    title.scroll_into_view_if_needed()
    title.dblclick()
    editor = title.locator(".cm-content")
    editor.wait_for(timeout=WAIT_MS)
    editor.click()
    page.keyboard.press("Control+Home")
    page.keyboard.press("End")
    page.keyboard.type(STUDENT_NOTE)
    page.keyboard.press("Shift+Enter")
    page.keyboard.press("Control+s")
    page.wait_for_function(
        "() => !document.querySelector('.lm-TabBar-tab.jp-mod-current.jp-mod-dirty')", timeout=WAIT_MS
    )


def test_a_student_pulls_the_course_works_edits_and_pulls_the_instructors_update(
    browser: Browser, hub: tuple[Hub, Path]
) -> None:
    running, upstream = hub
    course = CoursePull(repo=f"file://{upstream}")
    link = course.link(running.url)
    home = running.home(STUDENT) / course.folder
    guarded = new_guarded_page(browser)
    page = guarded.page
    try:
        # 1-2. Log in, follow the README's link: the course is cloned, the start notebook opens.
        _log_in(page, running)
        _follow_link(page, link, course)
        assert (home / ".git").is_dir() and (home / LESSON).is_file(), f"the course was not cloned into {home}"

        # 3. Run the lesson, change the comparison widget's dropdown.
        lesson_url = f"{running.url}/user/{STUDENT}/{CoursePull(course.repo, course.branch, LESSON).urlpath()}"
        open_notebook_at(page, lesson_url)
        run_all_and_wait(page)
        report = notebook_report(page)
        assert report.errors == [] and report.unrendered == [], (report.errors, report.unrendered)
        view = widget_outputs(page, has_label="Aspect:").first
        view.scroll_into_view_if_needed()
        aspect = dropdown_select(view, "Aspect:")
        chosen = option_labels(aspect)[1]  # the first specific aspect (option 0 is "All aspects")
        aspect.select_option(label=chosen)
        wait_for_texts(view, "table.ot-comparison tbody th", [chosen])
        assert view.locator(".ot-error").count() == 0
        screenshot_notebook(page, SCREENSHOTS / "hub-02-after-dropdown.png")
        where = run_code(running.url, STUDENT, running.api_token, "import osteo_teach; print(osteo_teach.__file__)")
        assert Path(where.strip()).is_relative_to(home), f"the lesson imports osteo_teach from {where.strip()}"

        # 4. The student edits the lesson and saves it.
        _edit_title_line(page)
        assert STUDENT_NOTE in (home / LESSON).read_text(encoding="utf-8"), "the student's edit was not saved"
        changed = subprocess.run(
            ["git", "-C", str(home), "status", "--porcelain"], capture_output=True, text=True, check=True
        ).stdout
        print(f"\nthe student's changes before the second pull:\n{changed}")

        # 5. The instructor commits an update to the upstream repository.
        update = commit_instructor_update(upstream, LESSON, course.notebook)

        # 6. The student follows the same link again.
        _follow_link(page, link, course)
        problems = pull_problems(home, update)
        assert problems == [], "after the second pull:\n- " + "\n- ".join(problems)
        news = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-MarkdownCell").filter(has_text=update.start_news)
        news.first.wait_for(timeout=WAIT_MS)  # and the student sees it
        log = subprocess.run(
            ["git", "-C", str(home), "log", "--format=%s", "-4"], capture_output=True, text=True, check=True
        ).stdout
        print(f"the student's history after the second pull:\n{log}")

        # The student's view of the lesson, in Notebook 7: their note and the instructor's update.
        nb7_url = f"{running.url}/user/{STUDENT}/{CoursePull(course.repo, course.branch, LESSON).urlpath('notebook')}"
        open_notebook_at(page, nb7_url)
        panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
        panel.locator(".jp-MarkdownCell").filter(has_text=STUDENT_NOTE.strip()).first.wait_for(timeout=WAIT_MS)
        panel.locator(".jp-MarkdownCell").filter(has_text=update.far_new.lstrip("# ")).first.wait_for(timeout=WAIT_MS)
        screenshot_notebook(page, SCREENSHOTS / "hub-student-nb7-02.png")
        assert guarded.offsite == [], f"requests left 127.0.0.1: {guarded.offsite}"
    except Exception:
        with contextlib.suppress(Exception):  # the original error matters more
            screenshot_notebook(page, SCREENSHOTS / "hub-FAILED.png")
        print(f"hub log:\n{running.log_tail()}")
        raise
    finally:
        guarded.close()
