"""Drive the course's JupyterLab in headless Chromium: start, open, run all, check, stop.

Shared machinery for the end-to-end browser tests (``tests/browser/``), for the
RISE/Voila browser tests, and for benchmark scripts that time "run all until every
widget has rendered" (import this module; it needs no pytest).

Typical use outside pytest::

    from playwright.sync_api import sync_playwright
    from lab_driver import isolated_workdir, launch_browser, open_notebook, run_all_and_wait, start_lab

    with isolated_workdir() as work, sync_playwright() as pw:
        root = copy_notebooks(REPO_NOTEBOOKS, work / "root")
        server = start_lab(root, work)
        browser = launch_browser(pw)
        try:
            page = new_guarded_page(browser).page
            open_notebook(page, server, "notebooks/02_fracture_reduction.ipynb")
            print(run_all_and_wait(page))       # seconds from "Run All Cells" to idle + widgets
        finally:
            browser.close()
            assert server.stop() == []          # no server or kernel process left

The server is started from :func:`osteo_teach.lab.lab_argv`, the same command line
as the README's ``make lab`` (127.0.0.1 only, token auth, no news/update checks),
with a random free port and a random token. Every Jupyter/JupyterLab/IPython/
matplotlib folder it could write to points into a temporary folder, so a run never
touches the user's own settings (the kernelspec and lab extensions are still found
in ``sys.prefix``, which stays on Jupyter's data path).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from osteo_teach.lab import lab_argv

if TYPE_CHECKING:  # Playwright is only needed once a browser is used.
    from playwright.sync_api import Browser, BrowserContext, Locator, Page, Playwright

__all__ = [
    "CHROMIUM_ARGS",
    "REPO_ROOT",
    "REPO_NOTEBOOKS",
    "WAIT_MS",
    "FIGURE_IMG",
    "LabServer",
    "GuardedPage",
    "NotebookReport",
    "chromium_path",
    "isolated_workdir",
    "isolated_env",
    "copy_notebooks",
    "start_lab",
    "launch_browser",
    "new_guarded_page",
    "open_notebook",
    "open_notebook_at",
    "notebook7_url",
    "run_all",
    "wait_until_run_finished",
    "run_all_and_wait",
    "notebook_report",
    "save_notebook",
    "screenshot_notebook",
    "widget_outputs",
    "dropdown_select",
    "select_and_wait",
    "figure_src",
    "src_digest",
    "wait_for_new_figure",
    "wait_for_texts",
    "option_labels",
    "leftover_processes",
    "Change",
    "change_latencies",
    "percentile",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
REPO_NOTEBOOKS = REPO_ROOT / "notebooks"

#: Chromium flags: headless, no sandbox (containers run as root), no background traffic.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

#: Default wait for anything in the browser (ms). Generous: the machine has 2 shared cores.
WAIT_MS = 120_000

#: An output that shows a widget view. The ipywidgets renderer (unlike JupyterLab's
#: own renderers) sets no ``data-mime-type``; a failed view gets ``.jupyter-widgets``.
WIDGET_VIEW = ".jp-OutputArea-output:not([data-mime-type]), .jp-OutputArea-output.jupyter-widgets"

#: The figure image of a FigurePanel (``osteo_teach.widgets``): an ``<img>`` in an HTML
#: widget with the class ``ot-figure`` (an Output widget's image, ``.widget-output img``,
#: is matched too).
FIGURE_IMG = ".ot-figure img, .widget-output img"

#: Mime type of a displayed widget in a saved notebook's outputs.
WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json"

#: Texts the ipywidgets renderer leaves when a widget view did not render. (A view
#: whose JavaScript fails shows ``.jupyter-widgets-error-widget`` instead:
#: "Click to show javascript error.")
UNRENDERED_TEXTS = ("Loading widget...", "Error displaying widget")

#: Environment variable carrying a per-server marker, inherited by every kernel,
#: so that leftover processes can be found even after they were re-parented.
MARKER_VAR = "OSTEO_TEACH_BROWSER_TEST_ID"

# JupyterLab user settings for tests: no "receive Jupyter news?" toast over the page.
_USER_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


# --------------------------------------------------------------------------- setup


def chromium_path() -> str | None:
    """The system Chromium (Debian's ``chromium`` package), or None if not installed."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


@contextlib.contextmanager
def isolated_workdir(prefix: str = "osteo-browser-") -> Iterator[Path]:
    """A temporary folder, removed afterwards (for scripts; pytest has tmp_path_factory)."""
    with tempfile.TemporaryDirectory(prefix=prefix) as name:
        yield Path(name)


def isolated_env(workdir: Path) -> dict[str, str]:
    """Environment for a test server: every user-level folder inside ``workdir``.

    Sets HOME, XDG_*, JUPYTER_CONFIG_DIR, JUPYTER_DATA_DIR, JUPYTER_RUNTIME_DIR,
    JUPYTERLAB_SETTINGS_DIR, JUPYTERLAB_WORKSPACES_DIR, IPYTHONDIR and MPLCONFIGDIR;
    writes the test's JupyterLab user settings (no news toast). Jupyter still finds
    the kernelspec and lab extensions installed in ``sys.prefix``.
    """
    dirs = {
        "HOME": "home",
        "XDG_CONFIG_HOME": "home/.config",
        "XDG_CACHE_HOME": "home/.cache",
        "XDG_DATA_HOME": "home/.local/share",
        "JUPYTER_CONFIG_DIR": "jupyter/config",
        "JUPYTER_DATA_DIR": "jupyter/data",
        "JUPYTER_RUNTIME_DIR": "jupyter/runtime",
        "JUPYTERLAB_SETTINGS_DIR": "jupyterlab/settings",
        "JUPYTERLAB_WORKSPACES_DIR": "jupyterlab/workspaces",
        "IPYTHONDIR": "ipython",
        "MPLCONFIGDIR": "matplotlib",
    }
    env = dict(os.environ)
    for var, rel in dirs.items():
        path = workdir / rel
        path.mkdir(parents=True, exist_ok=True)
        env[var] = str(path)
    # Nothing from the user's own Jupyter set-up leaks in.
    for var in ("JUPYTER_PATH", "JUPYTER_CONFIG_PATH", "JUPYTER_PREFER_ENV_PATH", "JUPYTER_TOKEN"):
        env.pop(var, None)
    env["PYTHONUNBUFFERED"] = "1"
    settings = Path(env["JUPYTERLAB_SETTINGS_DIR"])
    for rel, value in _USER_SETTINGS.items():
        target = settings / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(value, indent=2), encoding="utf-8")
    return env


def copy_notebooks(source: Path, root: Path, names: list[str] | None = None) -> Path:
    """Copy ``source/*.ipynb`` (or only ``names``) to ``root/notebooks/``; return ``root``.

    The server serves this copy, so running (and autosaving) notebooks in the
    browser never writes into the repository. The notebooks import the installed
    ``osteo_teach``, which finds ``data/`` by itself, so the copy can live anywhere.
    """
    target = root / "notebooks"
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.glob("*.ipynb")):
        if names is None or path.name in names:
            shutil.copy2(path, target / path.name)
    return root


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --------------------------------------------------------------------------- server


@dataclass
class LabServer:
    """A running test JupyterLab. ``stop()`` ends it and returns leftover processes."""

    root: Path
    port: int
    token: str
    process: subprocess.Popen[bytes]
    env: dict[str, str]
    log_path: Path
    marker: str
    argv: list[str]
    startup_seconds: float = 0.0
    _log: Any = field(default=None, repr=False)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str, **query: str) -> str:
        """An absolute URL on this server, with the token (``path`` starts with '/')."""
        params = "&".join([*(f"{k}={v}" if v else k for k, v in query.items()), f"token={self.token}"])
        sep = "&" if "?" in path else "?"
        return f"{self.base_url}{path}{sep}{params}"

    def notebook_url(self, rel_path: str) -> str:
        """JupyterLab URL opening one notebook in a fresh workspace (``?reset``)."""
        return self.url(f"/lab/tree/{rel_path}", reset="")

    def api(self, method: str, path: str, timeout: float = 30) -> Any:
        """Call the Jupyter REST API (token in the header); returns parsed JSON or None."""
        request = urllib.request.Request(
            f"{self.base_url}{path}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
            data=b"" if method in ("POST", "PUT", "PATCH") else None,
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        """Shut down every kernel of this server (to keep memory low between notebooks)."""
        for session in self.api("GET", "/api/sessions"):
            self.api("DELETE", f"/api/sessions/{session['id']}")
        for kernel in self.api("GET", "/api/kernels"):
            self.api("DELETE", f"/api/kernels/{kernel['id']}")

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the server's log (for failure messages)."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 30) -> list[str]:
        """Stop the server and its kernels; return the processes still alive (should be []).

        Asks the server to shut down (``POST /api/shutdown`` also stops kernels),
        then terminates and finally kills its process group and every process that
        carries this server's marker (kernels run in their own process groups).
        """
        if self.process.poll() is None:
            with contextlib.suppress(OSError, urllib.error.URLError, ValueError):
                self.api("POST", "/api/shutdown", timeout=10)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=timeout)
        for sig in (signal.SIGTERM, signal.SIGKILL):
            pids = set(_marked_pids(self.marker))
            if self.process.poll() is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.process.pid, sig)
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, sig)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and (self.process.poll() is None or _marked_pids(self.marker)):
                time.sleep(0.1)
            if self.process.poll() is not None and not _marked_pids(self.marker):
                break
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        if self._log is not None:
            self._log.close()
            self._log = None
        return leftover_processes(self)


def start_lab(root: Path, workdir: Path, timeout: float = 120, app: str = "jupyterlab") -> LabServer:
    """Start the README's JupyterLab (``osteo_teach.lab.lab_argv``) on ``root``; wait until it answers.

    127.0.0.1, a random free port, a random token, no browser; folders isolated
    under ``workdir`` (see :func:`isolated_env`); its own process group; log in
    ``workdir/jupyterlab.log``. Raises RuntimeError (with the log) if it does not answer.
    ``app="notebook"`` starts Notebook 7 (``python -m notebook``) with the same options.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    env = isolated_env(workdir)
    marker = secrets.token_hex(8)
    env[MARKER_VAR] = marker
    port = _free_port()
    token = secrets.token_hex(24)
    argv = lab_argv(root, port=port, token=token, open_browser=False)
    argv[argv.index("jupyterlab")] = app
    log_path = workdir / "jupyterlab.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed by LabServer.stop()
    started = time.monotonic()
    process = subprocess.Popen(
        argv,
        cwd=root,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # own process group: stop() can end it as a whole
    )
    server = LabServer(root, port, token, process, env, log_path, marker, argv, _log=log)
    deadline = started + timeout
    while True:
        if process.poll() is not None:
            server.stop()
            raise RuntimeError(f"JupyterLab exited with {process.returncode}:\n{server.log_tail()}")
        try:
            status = server.api("GET", "/api/status", timeout=5)
            lab = urllib.request.urlopen(server.url("/lab"), timeout=10)
            lab.close()
            if status is not None and lab.status == 200:
                break
        except (OSError, urllib.error.URLError, ValueError):
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"JupyterLab did not answer within {timeout:.0f} s:\n{server.log_tail()}")
        time.sleep(0.25)
    server.startup_seconds = time.monotonic() - started
    return server


def _marked_pids(marker: str) -> list[int]:
    """Processes (other than zombies) whose environment carries ``MARKER_VAR=marker`` (Linux /proc)."""
    needle = f"{MARKER_VAR}={marker}".encode()
    found = []
    proc = Path("/proc")
    if not proc.is_dir():
        return found
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state not in ("Z", "X"):
            found.append(int(entry.name))
    return found


def leftover_processes(server: LabServer) -> list[str]:
    """Descriptions of processes still alive from this server (itself, kernels, anything it started)."""
    leftovers = []
    if server.process.poll() is None:
        leftovers.append(f"{server.process.pid} (server)")
    for pid in _marked_pids(server.marker):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            cmd = "?"
        leftovers.append(f"{pid} {cmd.strip()}")
    return leftovers


# --------------------------------------------------------------------------- browser


def launch_browser(playwright: Playwright, home: Path | None = None) -> Browser:
    """Launch the system Chromium headless with :data:`CHROMIUM_ARGS`.

    ``home``: a folder used as HOME and XDG config/cache for the browser, so that
    Chromium (its crash-report database, for one) writes nothing into the user's
    home; by default a temporary folder removed when the browser closes.
    Raises FileNotFoundError if Chromium is not installed (``apt-get install chromium``;
    Playwright's own browser download does not work here).
    """
    executable = chromium_path()
    if executable is None:
        raise FileNotFoundError("chromium not found on PATH (apt-get install chromium)")
    cleanup: tempfile.TemporaryDirectory[str] | None = None
    if home is None:
        cleanup = tempfile.TemporaryDirectory(prefix="osteo-chromium-")
        home = Path(cleanup.name)
    env = dict(os.environ)
    for var, rel in (("HOME", ""), ("XDG_CONFIG_HOME", ".config"), ("XDG_CACHE_HOME", ".cache")):
        (home / rel).mkdir(parents=True, exist_ok=True)
        env[var] = str(home / rel)
    browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True, env=env)
    if cleanup is not None:
        browser.on("disconnected", lambda _: cleanup.cleanup())
    return browser


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about", "chrome", "chrome-extension", "file"):  # file: this machine
        return True
    return parts.hostname in ("127.0.0.1", "localhost", "::1")


@dataclass
class GuardedPage:
    """A page whose context lets requests reach only the local server.

    Every request to another host is aborted and recorded in ``offsite``;
    ``requests`` counts all requests seen; ``console_errors`` keeps browser console errors.
    """

    context: BrowserContext
    page: Page
    offsite: list[str] = field(default_factory=list)
    requests: int = 0
    console_errors: list[str] = field(default_factory=list)

    def close(self) -> None:
        self.context.close()


def new_guarded_page(browser: Browser, width: int = 1280, height: int = 900) -> GuardedPage:
    """A fresh context and page that block and record any request leaving 127.0.0.1."""
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    guarded = GuardedPage(context, page)

    def on_route(route: Any) -> None:
        url = route.request.url
        guarded.requests += 1
        if _is_local(url):
            route.continue_()
        else:
            guarded.offsite.append(url)
            route.abort()

    def on_websocket(ws: Any) -> None:
        if not _is_local(ws.url):
            guarded.offsite.append(ws.url)

    def on_console(message: Any) -> None:
        if message.type == "error":
            guarded.console_errors.append(message.text)

    context.route("**/*", on_route)
    page.on("websocket", on_websocket)
    page.on("console", on_console)
    return guarded


# --------------------------------------------------------------------------- notebook


_CURRENT_NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden)"


def open_notebook(page: Page, server: LabServer, rel_path: str, timeout_ms: int = WAIT_MS) -> None:
    """Open ``rel_path`` (e.g. ``notebooks/02_x.ipynb``) in a fresh workspace; wait for its kernel; focus it.

    Waits until the notebook's toolbar names a kernel (not "No Kernel") and its
    execution indicator has said "idle" for half a second: on opening, the
    indicator says "idle" once before the kernel starts ("initializing",
    "connecting", then "idle" again).
    """
    open_notebook_at(page, server.notebook_url(rel_path), timeout_ms)


def notebook7_url(server: LabServer, rel_path: str) -> str:
    """Notebook 7's URL for one notebook on ``server`` (the ``notebook`` package's ``/notebooks/`` page)."""
    return server.url(f"/notebooks/{rel_path}")


def open_notebook_at(page: Page, url: str, timeout_ms: int = WAIT_MS) -> None:
    """Like :func:`open_notebook`, for any notebook page: JupyterLab, Notebook 7, a hub user's server.

    Both interfaces are built from the same Lumino notebook panel, toolbar and
    menus, so the same waits (and :func:`run_all`, :func:`notebook_report`) apply.
    """
    page.goto(url, timeout=timeout_ms)
    # A restored workspace (no ``?reset``, e.g. a hub user's second visit) first shows
    # the tabs of the last visit: wait until the notebook named in the URL is the one shown.
    page.wait_for_function(_URL_NOTEBOOK_SHOWN_JS, arg=_CURRENT_NOTEBOOK, timeout=timeout_ms, polling=100)
    panel = page.locator(_CURRENT_NOTEBOOK)
    panel.locator(".jp-Notebook .jp-Cell").first.wait_for(state="visible", timeout=timeout_ms)
    page.wait_for_function(_KERNEL_READY_JS, arg=_CURRENT_NOTEBOOK, timeout=timeout_ms, polling=100)
    # Focus the notebook (without this, an early "run all" was seen to be lost).
    panel.locator(".jp-Notebook .jp-Cell").first.click()


# True once exactly one notebook panel is shown and, where there are tabs (JupyterLab),
# the current tab is the file the address bar names (Notebook 7 has no tabs); and has
# been for a second (a restored workspace may show a file briefly, then switch).
_URL_NOTEBOOK_SHOWN_JS = """
(panelSelector) => {
  const name = decodeURIComponent(location.pathname.split('/').pop());
  const tab = document.querySelector('.lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel');
  const shown = name.endsWith('.ipynb') && document.querySelectorAll(panelSelector).length === 1
    && (!tab || tab.textContent.trim() === name);
  if (!shown) { window.__otShownSince = undefined; return false; }
  if (window.__otShownSince === undefined) window.__otShownSince = performance.now();
  return performance.now() - window.__otShownSince >= 1000;
}
"""

# True once the kernel is named and idle, and has been for 500 ms.
_KERNEL_READY_JS = """
(panelSelector) => {
  const panel = document.querySelector(panelSelector);
  const indicator = panel && panel.querySelector('.jp-Notebook-ExecutionIndicator');
  const name = panel && panel.querySelector('.jp-Toolbar-kernelName');
  const ready = !!indicator && indicator.getAttribute('data-status') === 'idle'
    && !!name && name.textContent.trim() !== '' && name.textContent.trim() !== 'No Kernel';
  if (!ready) { window.__otReadySince = undefined; return false; }
  if (window.__otReadySince === undefined) window.__otReadySince = performance.now();
  return performance.now() - window.__otReadySince >= 500;
}
"""

# Sets window.__otRunStarted once any cell of the current notebook shows "[*]" (queued/running).
_WATCH_RUN_JS = """
(panelSelector) => {
  const panel = document.querySelector(panelSelector);
  window.__otRunStarted = false;
  const check = () => {
    if ([...panel.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].some(p => p.textContent.includes('*'))) {
      window.__otRunStarted = true;
      if (window.__otRunObserver) { window.__otRunObserver.disconnect(); window.__otRunObserver = undefined; }
    }
  };
  if (window.__otRunObserver) window.__otRunObserver.disconnect();
  window.__otRunObserver = new MutationObserver(check);
  window.__otRunObserver.observe(panel, {subtree: true, childList: true, characterData: true});
}
"""


def run_all(page: Page, start_timeout_ms: int = 30_000) -> None:
    """Run → Run All Cells, through the menu, as a student does; wait until a cell is queued.

    If no cell was queued within ``start_timeout_ms`` the click is repeated once
    (a lost first click was seen on a busy machine); then it raises TimeoutError.
    """
    page.evaluate(_WATCH_RUN_JS, _CURRENT_NOTEBOOK)
    for attempt in range(2):
        page.locator(".lm-MenuBar-item").filter(has_text=_exact("Run")).click()
        label = page.locator(".lm-Menu-itemLabel").filter(has_text=_exact("Run All Cells"))
        page.locator(".lm-Menu .lm-Menu-item:not(.lm-mod-disabled)").filter(has=label).click()
        try:
            page.wait_for_function("() => window.__otRunStarted === true", timeout=start_timeout_ms, polling=50)
            return
        except Exception:
            if attempt == 1:
                raise
            page.keyboard.press("Escape")


def _exact(text: str) -> Any:
    import re

    return re.compile(rf"^\s*{re.escape(text)}\s*$")


# True when run-all has started (a cell was queued), the kernel is idle, no cell is
# queued/running ("[*]"), every widget view rendered and every image in the notebook has loaded.
_RUN_FINISHED_JS = """
([panelSelector, widgetSelector, unrendered]) => {
  const panel = document.querySelector(panelSelector);
  if (!panel) return false;
  const indicator = panel.querySelector('.jp-Notebook-ExecutionIndicator');
  if (!indicator || indicator.getAttribute('data-status') !== 'idle') return false;
  if (window.__otRunStarted !== true) return false;
  const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map(p => p.textContent.trim());
  if (prompts.some(p => p.includes('*'))) return false;
  const text = panel.textContent || '';
  if (unrendered.some(u => text.includes(u))) return false;
  for (const img of panel.querySelectorAll('.jp-OutputArea-output img')) {
    if (!img.complete || img.naturalWidth === 0) return false;
  }
  return true;
}
"""


def wait_until_run_finished(page: Page, timeout_ms: int = WAIT_MS) -> None:
    """Wait until the run finished: kernel idle, no queued cell, widgets rendered, images loaded."""
    page.wait_for_function(
        _RUN_FINISHED_JS,
        arg=[_CURRENT_NOTEBOOK, WIDGET_VIEW, list(UNRENDERED_TEXTS[:1])],
        timeout=timeout_ms,
        polling=50,
    )


# After Run All, with the kernel idle and no cell queued: the widget views that failed
# for good ("Error displaying widget", or the JavaScript error box), with their text.
_FAILED_VIEWS_JS = """(sel) => {
  const panel = document.querySelector(sel);
  if (!panel || window.__otRunStarted !== true) return null;
  const indicator = panel.querySelector('.jp-Notebook-ExecutionIndicator');
  if (!indicator || indicator.getAttribute('data-status') !== 'idle') return null;
  const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
  if (prompts.some(p => p.textContent.includes('*'))) return null;
  const failed = [...panel.querySelectorAll('.jp-OutputArea-output')].filter(o =>
    o.querySelector('.jupyter-widgets-error-widget') || (o.textContent || '').trim().startsWith('Error displaying widget'));
  return failed.length ? failed.map(o => (o.textContent || '').trim().slice(0, 120) || o.innerHTML.slice(0, 120)) : null;
}"""


def run_all_and_wait(page: Page, timeout_ms: int = WAIT_MS) -> float:
    """Run all cells of the open notebook and wait until done; return the seconds it took.

    The figure measured is "Run All Cells" clicked -> kernel idle with every
    widget view rendered and every image loaded (the benchmark's P5 quantity).

    If the run ends with widget views that failed for good in the browser ("Error
    displaying widget: model not found", seen once in a full run on lesson 10 and
    not reproduced alone), it prints what failed and runs all once more, as a
    student would; a second failure raises.
    """
    started = time.perf_counter()
    finished_or_failed = f"(args) => ({_RUN_FINISHED_JS})(args) ? 'finished' : ({_FAILED_VIEWS_JS})(args[0])"
    for attempt in range(2):
        run_all(page)
        outcome = page.wait_for_function(
            finished_or_failed,
            arg=[_CURRENT_NOTEBOOK, WIDGET_VIEW, list(UNRENDERED_TEXTS[:1])],
            timeout=timeout_ms,
            polling=50,
        ).json_value()
        if outcome == "finished":
            return time.perf_counter() - started
        if attempt == 1:
            raise AssertionError(f"Run All, twice, left widget views failed in the browser: {outcome[:3]}")
        print(f"Run All left {len(outcome)} widget view(s) failed in the browser: {outcome[:3]}; running all again")
    raise AssertionError("unreachable")


@dataclass
class NotebookReport:
    """What a run left on screen: errors, widget views and the ones that did not render."""

    code_cells: int
    executed_cells: int
    errors: list[str]
    widget_views: int
    top_level_widget_views: int
    rendered_widget_views: int
    unrendered: list[str]
    widget_messages: list[str]


_REPORT_JS = """
([panelSelector, widgetSelector, unrendered]) => {
  const panel = document.querySelector(panelSelector);
  const cells = [...panel.querySelectorAll('.jp-CodeCell')];
  const prompts = cells.map(c => (c.querySelector('.jp-InputPrompt') || {}).textContent || '');
  const errors = [];
  for (const out of panel.querySelectorAll('.jp-OutputArea-output')) {
    const mime = out.getAttribute('data-mime-type') || '';
    const text = out.textContent || '';
    if (mime === 'application/vnd.jupyter.stderr' && text.includes('Traceback')) errors.push(text.slice(0, 2000));
    else if (out.classList.contains('jp-mod-error') || /^application\\/vnd\\.jupyter\\.error/.test(mime)) errors.push(text.slice(0, 2000));
  }
  const views = [...panel.querySelectorAll(widgetSelector)];
  const bad = [];
  let rendered = 0;
  const topLevel = views.filter(v => !v.parentElement.closest('.widget-output')).length;
  for (const v of views) {
    const text = (v.textContent || '').trim();
    const hit = unrendered.find(u => text.startsWith(u));
    const failed = v.querySelector('.jupyter-widgets-error-widget');
    if (hit) bad.push(text.slice(0, 300));
    else if (failed) bad.push('error widget (a view failed in the browser): ' + (failed.textContent || '').trim().slice(0, 300));
    else if (v.querySelector('.jupyter-widgets')) rendered += 1;
    else bad.push('empty widget view: ' + text.slice(0, 300));
  }
  const errorWidgets = panel.querySelectorAll('.jupyter-widgets-error-widget').length;
  if (errorWidgets > bad.filter(b => b.startsWith('error widget')).length) bad.push('error widget outside a widget view');
  const all = panel.textContent || '';
  for (const u of unrendered) if (all.includes(u) && !bad.some(b => b.includes(u))) bad.push(u + ' (outside a widget view)');
  const messages = [...panel.querySelectorAll('.ot-error')].map(e => e.textContent.trim());
  return {
    code_cells: cells.length,
    executed_cells: prompts.filter(p => /\\d/.test(p)).length,
    errors, widget_views: views.length, top_level_widget_views: topLevel, rendered_widget_views: rendered,
    unrendered: bad, widget_messages: messages,
  };
}
"""


def notebook_report(page: Page) -> NotebookReport:
    """Read the open notebook's outputs: tracebacks, widget views, unrendered widgets, widget error messages."""
    data = page.evaluate(_REPORT_JS, [_CURRENT_NOTEBOOK, WIDGET_VIEW, list(UNRENDERED_TEXTS)])
    return NotebookReport(**data)


def save_notebook(page: Page, server: LabServer, rel_path: str, timeout_ms: int = WAIT_MS) -> int:
    """Save the open notebook (Ctrl+S) into the served copy; return how many widget views its outputs hold.

    The saved file tells what the kernel displayed (a ``widget-view+json`` output per
    displayed widget), independently of what the browser managed to render.
    """
    page.locator(f"{_CURRENT_NOTEBOOK} .jp-Notebook").first.focus()
    page.keyboard.press("Control+s")
    page.wait_for_function(
        "(sel) => { const p = document.querySelector(sel); return !!p && !p.classList.contains('jp-mod-dirty')"
        " && !document.querySelector('.lm-TabBar-tab.jp-mod-current.jp-mod-dirty'); }",
        arg=_CURRENT_NOTEBOOK,
        timeout=timeout_ms,
    )
    model = server.api("GET", f"/api/contents/{rel_path}?content=1")
    return sum(
        1
        for cell in model["content"]["cells"]
        for output in cell.get("outputs", [])
        if output.get("data", {}).get(WIDGET_VIEW_MIME, {}).get("model_id")
    )


_SCROLLER_JS = """(sel) => {
  const panel = document.querySelector(sel);
  const scroller = panel.querySelector('.jp-WindowedPanel-outer') || panel.querySelector('.jp-Notebook');
  scroller.scrollTop = 0;
  // Not scrollHeight: JupyterLab pads the end of a notebook by a viewport's height.
  const cells = panel.querySelectorAll('.jp-Notebook .jp-Cell');
  if (!cells.length) return 0;
  return Math.ceil(cells[cells.length - 1].getBoundingClientRect().bottom - scroller.getBoundingClientRect().bottom);
}"""


def screenshot_notebook(page: Page, path: Path, max_height: int = 20_000, hide_sidebar: bool = True) -> Path:
    """Save a screenshot of the whole notebook, from its top.

    The notebook scrolls inside JupyterLab (the page itself does not), so the
    viewport is stretched until the notebook fits, then restored. The left
    sidebar (file browser) is collapsed first to give the notebook the width.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if hide_sidebar:
        current = page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current")
        if current.count():
            current.first.click()
    original = page.viewport_size or {"width": 1280, "height": 900}
    height = original["height"]
    try:
        for _ in range(4):  # cells lay out lazily: grow until nothing is left to scroll
            extra = int(page.evaluate(_SCROLLER_JS, _CURRENT_NOTEBOOK))
            if extra <= 0 or height >= max_height:
                break
            height = min(max_height, height + extra + 20)
            page.set_viewport_size({"width": original["width"], "height": height})
            page.wait_for_timeout(400)
        page.evaluate(_SCROLLER_JS, _CURRENT_NOTEBOOK)
        page.wait_for_timeout(300)
        page.screenshot(path=str(path))
    finally:
        page.set_viewport_size(original)
    return path


# --------------------------------------------------------------------------- widgets


def widget_outputs(page: Page, has_label: str | None = None) -> Locator:
    """Widget-view outputs of the open notebook, optionally only those with a control labelled ``has_label``."""
    views = page.locator(", ".join(f"{_CURRENT_NOTEBOOK} {sel.strip()}" for sel in WIDGET_VIEW.split(",")))
    if has_label is not None:
        views = views.filter(has=page.locator("label.widget-label", has_text=_exact(has_label)))
    return views


def dropdown_select(scope: Locator, description: str) -> Locator:
    """The ``<select>`` of the ipywidgets Dropdown whose description is ``description`` (e.g. "Compare:")."""
    box = scope.locator(".widget-dropdown").filter(
        has=scope.page.locator("label.widget-label", has_text=_exact(description))
    )
    return box.locator("select")


def option_labels(select: Locator) -> list[str]:
    """The visible labels of a ``<select>``'s options, in order."""
    return [" ".join(text.split()) for text in select.locator("option").all_text_contents()]


def select_and_wait(select: Locator, label: str) -> None:
    """Choose an option by its visible label (fires the change event ipywidgets listens to)."""
    select.select_option(label=label)


def figure_src(scope: Locator) -> str:
    """The ``src`` of the figure image shown in a FigurePanel (:data:`FIGURE_IMG`)."""
    image = scope.locator(FIGURE_IMG).first
    image.wait_for(state="visible")
    return image.get_attribute("src") or ""


def src_digest(src: str) -> str:
    """A short SHA-256 of an image ``src`` (a data: URL holds the PNG bytes)."""
    return hashlib.sha256(src.encode()).hexdigest()[:16]


def wait_for_new_figure(scope: Locator, old_src: str, timeout_ms: int = WAIT_MS) -> str:
    """Wait until the FigurePanel's image differs from ``old_src`` and has loaded; return the new src.

    Polls every 20 ms (so the return time measures "change -> new figure shown").
    Raises TimeoutError saying what the page showed instead.
    """
    handle = scope.element_handle()
    try:
        scope.page.wait_for_function(
            """([root, old, sel]) => {
                const img = root.querySelector(sel);
                return !!img && img.getAttribute('src') !== old && img.complete && img.naturalWidth > 0;
            }""",
            arg=[handle, old_src, FIGURE_IMG],
            timeout=timeout_ms,
            polling=20,
        )
    except Exception as exc:
        state = scope.evaluate(
            """(root, sel) => { const img = root.querySelector(sel);
                return img ? {src: (img.getAttribute('src') || '').length, complete: img.complete,
                              width: img.naturalWidth} : {img: 'missing', text: root.textContent.slice(0, 300)}; }""",
            FIGURE_IMG,
        )
        same = figure_src(scope) == old_src if "src" in state else False
        raise TimeoutError(f"the figure did not change (same image: {same}; shown: {state})") from exc
    return figure_src(scope)


def wait_for_texts(scope: Locator, selector: str, texts: list[str], timeout_ms: int = WAIT_MS) -> None:
    """Wait until the elements matching ``selector`` inside ``scope`` show exactly ``texts`` (whitespace-normalised).

    Polls every 20 ms, so the time it returns after a change is a fair measure of
    "change -> new text on screen". Raises TimeoutError naming what was shown.
    """
    js = """([root, sel, want]) => {
        const got = [...root.querySelectorAll(sel)].map(e => e.textContent.replace(/\\s+/g, ' ').trim());
        return got.length === want.length && got.every((t, i) => t === want[i]);
    }"""
    wanted = [" ".join(t.split()) for t in texts]
    try:
        scope.page.wait_for_function(js, arg=[scope.element_handle(), selector, wanted], timeout=timeout_ms, polling=20)
    except Exception as exc:
        shown = [" ".join(t.split()) for t in scope.locator(selector).all_text_contents()]
        raise TimeoutError(f"expected {wanted} in {selector!r}, page shows {shown}") from exc


# --------------------------------------------------------------------------- change latency

#: What a widget view shows, as one string: every image's src and the text. A change
#: is "shown" when this differs and every image has loaded (figures and HTML alike).
_VIEW_STATE_JS = "(root) => [...root.querySelectorAll('img')].map(i => i.getAttribute('src') || '').join('|') + '\\n' + root.innerText"
_VIEW_CHANGED_JS = """([root, old, images]) => {
    const imgs = [...root.querySelectorAll('img')];
    if (imgs.length < images) return false;  // an output being replaced holds no image for a moment
    const now = imgs.map(i => i.getAttribute('src') || '').join('|') + '\\n' + root.innerText;
    const oldSrcs = old.split('\\n')[0];
    if (images > 0 && imgs.map(i => i.getAttribute('src') || '').join('|') === oldSrcs) return false;
    return now !== old && imgs.every(i => i.complete && i.naturalWidth > 0);
}"""


@dataclass(frozen=True)
class Change:
    """One dropdown change in the browser: the state reached, how long until it showed, and
    whether that state had been shown before since the notebook was opened."""

    widget: str
    state: tuple[str, ...]
    seconds: float
    first_seen: bool


def _dropdown_states(view: Locator) -> tuple[str, ...]:
    return tuple(view.evaluate("(root) => [...root.querySelectorAll('select')].map(s => s.value)"))


def change_latencies(view: Locator, widget: str, passes: int = 2, timeout_ms: int = WAIT_MS) -> list[Change]:
    """Choose every option of every dropdown in a widget view, ``passes`` times over; time each.

    Each dropdown's options are read when its turn comes (a later dropdown may depend on
    an earlier one: a site's treatments), and each change is timed from the selection to
    the new output shown (every image loaded). The state shown on opening counts as seen.
    """
    handle = view.element_handle()
    seen = {_dropdown_states(view)}
    changes: list[Change] = []
    for _ in range(passes):
        for index in range(view.locator("select").count()):
            select = view.locator("select").nth(index)
            for value in select.evaluate("(s) => [...s.options].map(o => o.value)"):
                if select.evaluate("(s) => s.value") == value:
                    continue
                before = view.evaluate(_VIEW_STATE_JS)
                images = view.locator("img").count()
                started = time.perf_counter()
                select.select_option(value=value)
                view.page.wait_for_function(
                    _VIEW_CHANGED_JS, arg=[handle, before, images], timeout=timeout_ms, polling=10
                )
                seconds = time.perf_counter() - started
                state = _dropdown_states(view)
                changes.append(Change(widget, state, seconds, state not in seen))
                seen.add(state)
    return changes


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]
