"""Fixtures for the end-to-end tests: one JupyterLab, one headless Chromium, per session.

- ``browser``: the system Chromium driven by Playwright. When ``CI`` is set, a
  missing Chromium or Playwright is a failure, never a skip.
- ``lab_server``: the README's JupyterLab (``osteo_teach.lab.lab_argv``) serving a
  temporary copy of ``notebooks/`` with temporary Jupyter folders; stopped at the
  end, and the session fails if any server or kernel process is left.
- ``guarded_page``: a fresh page whose requests may only reach 127.0.0.1.
- ``ran_notebook``: a notebook opened and run (indirect parameter: its file name),
  with its timing, report and screenshot; one notebook open at a time.

The machinery itself lives in :mod:`tests.browser.lab_driver` (usable without pytest).
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from .lab_driver import (
    REPO_NOTEBOOKS,
    REPO_ROOT,
    WAIT_MS,
    GuardedPage,
    LabServer,
    NotebookReport,
    chromium_path,
    copy_notebooks,
    launch_browser,
    new_guarded_page,
    notebook_report,
    open_notebook,
    run_all_and_wait,
    save_notebook,
    screenshot_notebook,
    start_lab,
)

#: Screenshots of every notebook after "run all" (build/ is git-ignored).
SCREENSHOTS = REPO_ROOT / "build" / "screenshots"
#: Per-notebook timings, for the benchmark (issue 7) and the closing note.
TIMINGS_FILE = REPO_ROOT / "build" / "browser-timings.json"

#: Filled by the tests, printed at the end of the session.
TIMINGS: dict[str, float] = {}
CHANGE_TIMES: dict[str, list[float]] = {}


def missing_browser(reason: str) -> None:
    """Skip (outside CI) or fail (in CI) because the browser stack is not installed."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: browser tests must run there, never skip)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing_browser("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One headless system Chromium for the whole session (its HOME is a temporary folder)."""
    if chromium_path() is None:
        missing_browser("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import expect

    expect.set_options(timeout=WAIT_MS)
    instance = launch_browser(playwright_instance, home=tmp_path_factory.mktemp("chromium-home"))
    yield instance
    instance.close()


@pytest.fixture(scope="session")
def lab_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A temporary folder holding a copy of notebooks/ (the server's root)."""
    return copy_notebooks(REPO_NOTEBOOKS, tmp_path_factory.mktemp("lab-root"))


@pytest.fixture(scope="session")
def lab_server(lab_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """The README's JupyterLab on 127.0.0.1, a random port and token; nothing left behind."""
    server = start_lab(lab_root, tmp_path_factory.mktemp("lab-home"))
    yield server
    leftovers = server.stop()
    assert leftovers == [], f"processes left after stopping JupyterLab: {leftovers}"


@pytest.fixture
def guarded_page(browser: Any) -> Iterator[GuardedPage]:
    """A fresh browser page; fails the test if any request tried to leave 127.0.0.1."""
    guarded = new_guarded_page(browser)
    yield guarded
    guarded.close()
    assert guarded.offsite == [], f"requests left 127.0.0.1: {guarded.offsite}"


@dataclass
class RanNotebook:
    """A notebook after "run all" in the browser, still open."""

    name: str
    guarded: GuardedPage
    server: LabServer
    seconds: float
    report: NotebookReport
    saved_widget_outputs: int
    screenshot: Path
    change_times: list[float] = field(default_factory=list)

    @property
    def page(self) -> Any:
        return self.guarded.page


@pytest.fixture(scope="module")
def ran_notebook(request: pytest.FixtureRequest, browser: Any, lab_server: LabServer) -> Iterator[RanNotebook]:
    """Open ``notebooks/<param>`` in a fresh page, run all, measure, report, screenshot.

    Module-scoped and indirectly parametrized, so pytest groups every test of one
    notebook together and only one notebook (page and kernel) is open at a time.
    """
    name: str = request.param
    guarded = new_guarded_page(browser)
    page = guarded.page
    stem = Path(name).stem
    if not (lab_server.root / "notebooks" / name).is_file():
        guarded.close()
        pytest.fail(f"notebooks/{name} does not exist", pytrace=False)
    try:
        open_notebook(page, lab_server, f"notebooks/{name}")
        seconds = run_all_and_wait(page)
        report = notebook_report(page)
        saved = save_notebook(page, lab_server, f"notebooks/{name}")
        shot = screenshot_notebook(page, SCREENSHOTS / f"{stem}.png")
    except Exception as exc:
        with_shot = ""
        with contextlib.suppress(Exception):
            with_shot = f"; screenshot: {screenshot_notebook(page, SCREENSHOTS / f'{stem}-FAILED.png')}"
        guarded.close()
        lab_server.shutdown_kernels()
        copy_notebooks(REPO_NOTEBOOKS, lab_server.root, names=[name])
        raise AssertionError(
            f"{name}: could not open and run it in JupyterLab ({exc.__class__.__name__}: {exc}){with_shot}\n"
            f"server log:\n{lab_server.log_tail()}"
        ) from exc
    TIMINGS[name] = seconds
    ran = RanNotebook(name, guarded, lab_server, seconds, report, saved, shot)
    yield ran
    if ran.change_times:
        CHANGE_TIMES[name] = ran.change_times
    guarded.close()
    lab_server.shutdown_kernels()
    # The run saved outputs into the served copy: put the pristine notebook back,
    # so later tests (RISE, Voila) on the same server start from the repository's file.
    copy_notebooks(REPO_NOTEBOOKS, lab_server.root, names=[name])


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the per-notebook "run all -> idle, widgets rendered" times (a benchmark figure)."""
    if not TIMINGS:
        return
    reporter = terminalreporter
    reporter.section("browser: Run All Cells -> kernel idle with every widget rendered")
    for name, seconds in sorted(TIMINGS.items()):
        reporter.write_line(f"{name:45s} {seconds:6.2f} s")
    for name, times in sorted(CHANGE_TIMES.items()):
        reporter.write_line(
            f"{name:45s} dropdown change -> new figure/text: median {statistics.median(times):.3f} s "
            f"over {len(times)} changes"
        )
    TIMINGS_FILE.parent.mkdir(parents=True, exist_ok=True)
    TIMINGS_FILE.write_text(
        json.dumps({"run_all_seconds": TIMINGS, "change_seconds": CHANGE_TIMES}, indent=2), encoding="utf-8"
    )
    reporter.write_line(
        f"(written to {TIMINGS_FILE.relative_to(REPO_ROOT)}; screenshots in {SCREENSHOTS.relative_to(REPO_ROOT)}/)"
    )
