"""Robustness: the notebooks run offline, repeat exactly, never write where they
should not, stop clearly on broken data; every widget choice works; the lab
server is local-only and token-protected.

Every notebook is found when the tests are collected (``notebooks/*.ipynb``), so
new lessons are covered without editing this file. Notebooks are executed by
one shared helper (``tests/notebook_runner.py``), one kernel at a time.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from osteo_teach.lab import lab_argv
from osteo_teach.lessons import Lesson, WidgetSpec, widget_specs

from .conftest import broken_data_dir
from .notebook_runner import (
    DATA_DIR,
    NOTEBOOKS_DIR,
    ROOT,
    code_cells,
    notebooks,
    offline_env,
    run_notebook,
    snapshot,
    snapshot_diff,
    strip_ansi,
    text_outputs,
)
from .test_data import BROKEN_CASES

NOTEBOOKS = notebooks()
NOTEBOOK_IDS = [p.name for p in NOTEBOOKS]


# --- offline, repeatable, read-only ----------------------------------------------


@pytest.fixture(scope="module")
def offline_runs(tmp_path_factory):
    """Run every notebook twice, each from a clean kernel with the network blocked.

    The data and notebook folders are snapshotted (names, mtimes, hashes) before
    the first run and after the last one.
    """
    env = offline_env(tmp_path_factory.mktemp("offline"))
    # Show every warning (Python hides most by default), so the test below sees them.
    env["PYTHONWARNINGS"] = "default"
    before = snapshot(DATA_DIR, NOTEBOOKS_DIR)
    runs = {path.name: (run_notebook(path, env=env), run_notebook(path, env=env)) for path in NOTEBOOKS}
    after = snapshot(DATA_DIR, NOTEBOOKS_DIR)
    return runs, before, after


def test_there_are_notebooks_to_check():
    assert NOTEBOOKS, "no notebooks found in notebooks/"


@pytest.mark.parametrize("name", NOTEBOOK_IDS)
def test_notebook_runs_with_the_network_blocked(offline_runs, name):
    runs, _, _ = offline_runs
    for run in runs[name]:
        assert run.ok, run.describe_error()
        assert len(code_cells(run.nb)) > 0


@pytest.mark.parametrize("name", NOTEBOOK_IDS)
def test_notebook_shows_no_warnings_or_other_stderr(offline_runs, name):
    """Like a strict docs build: a warning a student would see in pink fails the test."""
    runs, _, _ = offline_runs
    for run in runs[name]:
        stderr = [
            (index, output.get("text", ""))
            for index, cell in enumerate(code_cells(run.nb))
            for output in cell.outputs
            if output.get("output_type") == "stream" and output.get("name") == "stderr"
        ]
        assert not stderr, f"{name}: code cell(s) wrote to stderr: {stderr}"


@pytest.mark.parametrize("name", NOTEBOOK_IDS)
def test_notebook_text_output_repeats_exactly(offline_runs, name):
    runs, _, _ = offline_runs
    first, second = (text_outputs(run.nb) for run in runs[name])
    assert any(first), f"{name} printed no text at all"
    for index, (one, two) in enumerate(zip(first, second, strict=False)):
        assert one == two, f"{name}: code cell {index} printed different text on a second clean run"


def test_running_the_notebooks_writes_nothing_into_data_or_notebooks(offline_runs):
    _, before, after = offline_runs
    changes = snapshot_diff(before, after)
    assert not changes, "\n".join(changes)
    leftovers = [
        p
        for p in [*DATA_DIR.rglob("*"), *NOTEBOOKS_DIR.rglob("*")]
        if p.name in {"__pycache__", ".ipynb_checkpoints"} or p.suffix == ".pyc"
    ]
    assert leftovers == []


def test_using_the_package_in_process_writes_nothing_into_data_or_notebooks():
    """Loading, starting, and driving every widget leave both folders untouched."""
    import contextlib
    import io

    import osteo_teach

    before = snapshot(DATA_DIR, NOTEBOOKS_DIR)
    with contextlib.redirect_stdout(io.StringIO()):
        osteo_teach.start()
    course = osteo_teach.data._load_uncached(DATA_DIR.resolve())
    for _, spec in widget_specs():
        widget = spec.build(course)
        for _ in spec.states(widget):
            pass
    changes = snapshot_diff(before, snapshot(DATA_DIR, NOTEBOOKS_DIR))
    assert not changes, "\n".join(changes)


_PROBE = """
import socket, urllib.request
results = []
def attempt(label, action):
    try:
        action()
        results.append(f"{label}: CONNECTED")
    except OSError as exc:
        results.append(f"{label}: {exc}")
def raw_connect():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(3)
    try:
        s.connect(("93.184.216.34", 80))
    finally:
        s.close()
def raw_connect_ex():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(3)
    try:
        code = s.connect_ex(("93.184.216.34", 80))
    finally:
        s.close()
    if code:
        raise OSError(code, "connect_ex failed")
attempt("connect", raw_connect)
attempt("connect_ex", raw_connect_ex)
attempt("create_connection", lambda: socket.create_connection(("93.184.216.34", 80), timeout=3).close())
attempt("urlopen", lambda: urllib.request.urlopen("http://example.com/", timeout=3).close())
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen(1)
attempt("loopback", lambda: socket.create_connection(server.getsockname(), timeout=3).close())
server.close()
print("\\n".join(results))
"""


def _probe(env):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells.append(nbformat.v4.new_code_cell(_PROBE))
    run = run_notebook(nb=nb, env=env, cwd=ROOT)
    assert run.ok, run.describe_error()
    lines = "".join(o.get("text", "") for o in run.nb.cells[0].outputs).splitlines()
    return dict(line.split(": ", 1) for line in lines)


def test_the_network_guard_blocks_non_loopback_and_allows_loopback(tmp_path):
    guarded = _probe(offline_env(tmp_path / "guard"))
    for label in ("connect", "connect_ex", "create_connection", "urlopen"):
        assert "blocked by the offline test" in guarded[label], (label, guarded[label])
    assert guarded["loopback"] == "CONNECTED"
    # Without the guard the same attempts are not refused by it (so the test can fail).
    unguarded = _probe(dict(os.environ))
    assert not any("blocked by the offline test" in result for result in unguarded.values())


# --- broken data stops at the first cell -----------------------------------------

BROKEN = sorted(BROKEN_CASES)


def _notebook_for(index: int) -> Path:
    """Rotate through the notebooks, so each broken case meets a different lesson."""
    return NOTEBOOKS[index % len(NOTEBOOKS)]


@pytest.mark.parametrize(
    "case, notebook",
    [(case, _notebook_for(i)) for i, case in enumerate(BROKEN)] if NOTEBOOKS else [],
    ids=[f"{case}-{_notebook_for(i).stem[:2]}" for i, case in enumerate(BROKEN)] if NOTEBOOKS else [],
)
def test_broken_data_stops_the_notebook_at_its_first_cell_with_the_loaders_message(case, notebook, tmp_path):
    directory = broken_data_dir(case, tmp_path).resolve()
    env = dict(os.environ, OSTEO_TEACH_DATA=str(directory))
    run = run_notebook(notebook, env=env)
    assert not run.ok, f"{notebook.name} ran to the end on broken data ({case})"
    assert run.error_cell == 0, run.describe_error()
    assert "ot.start(" in code_cells(run.nb)[0].source
    assert run.error["ename"] == "DataError"
    assert run.error["evalue"].replace(str(directory), "data") == BROKEN_CASES[case]
    trace = strip_ansi("\n".join(run.error["traceback"]))
    assert "site-packages" not in trace and "pydantic" not in trace, trace
    assert "osteo_teach/data.py" not in trace, trace
    frames = re.findall(r"^(?:Cell In\[\d+\]|File [^\n]+?:\d+)", trace, flags=re.MULTILINE)
    assert len(frames) <= 2, trace


# --- every state of every declared widget ----------------------------------------

SPECS = widget_specs()


def test_every_lesson_with_controls_declares_its_widgets():
    assert SPECS, "no widget declared in the lesson registry"
    names = {spec.name for _, spec in SPECS}
    assert {"TimelineExplorer", "Quiz"} <= names, names


@pytest.mark.parametrize("lesson, spec", SPECS, ids=[f"{lesson.id[:2]}-{spec.name}" for lesson, spec in SPECS])
def test_every_reachable_state_of_every_widget_shows_its_output(lesson: Lesson, spec: WidgetSpec):
    """Every state a student can reach shows output and no error; a pure twin draws the same.

    The widget is built exactly as its declaration says (a failure to build fails here).
    """
    import osteo_teach
    from osteo_teach.plots import is_blank_png

    widget = spec.build(osteo_teach.load())
    seen = 0
    for state in spec.states(widget):
        seen += 1
        assert spec.error(widget) is None, (state, spec.error(widget))
        shown = spec.shows(widget)
        assert shown, state
        if spec.draws_figure:
            assert isinstance(shown, bytes) and not is_blank_png(shown), state
        if spec.direct is not None:
            assert spec.direct(widget) == shown, f"{state}: differs from a fresh draw"
    controls = spec.controls(widget)
    assert seen >= max(len(getattr(c, "options", (0, 1))) for c in controls)


# --- the lab server: local only, token required ----------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(pid: int) -> list[tuple[str, int]]:
    """Addresses the process listens on, read from /proc (no extra packages)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for table, width in (("tcp", 8), ("tcp6", 32)):
        lines = Path(f"/proc/net/{table}").read_text().splitlines()[1:]
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state != "0A" or inode not in inodes:  # 0A = LISTEN
                continue
            hex_address, hex_port = local.split(":")
            raw = bytes.fromhex(hex_address)
            if width == 8:
                address = socket.inet_ntop(socket.AF_INET, raw[::-1])
            else:
                words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
                address = socket.inet_ntop(socket.AF_INET6, words)
            found.append((address, int(hex_port, 16)))
    return found


def _local_addresses() -> list[str]:
    """This machine's own IPv4 addresses other than loopback (from /proc/net/fib_trie)."""
    text = Path("/proc/net/fib_trie").read_text()
    addresses = set(re.findall(r"\|-- (\d+\.\d+\.\d+\.\d+)\n\s+/32 host LOCAL", text))
    return sorted(a for a in addresses if not a.startswith("127."))


def _request(port: int, path: str, token: str | None = None) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Authorization": f"token {token}"} if token else {}
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status, response.getheader("Location") or ""
    finally:
        connection.close()


def _group_members(pgid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


@pytest.fixture
def lab_server(tmp_path):
    """The lab command's server, on a free port with a token, in its own folders."""
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ)
    for name, folder in (
        ("JUPYTER_CONFIG_DIR", "config"),
        ("JUPYTER_DATA_DIR", "data"),
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("IPYTHONDIR", "ipython"),
        ("JUPYTERLAB_SETTINGS_DIR", "settings"),
        ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
    ):
        (tmp_path / folder).mkdir()
        env[name] = str(tmp_path / folder)
    log = (tmp_path / "server.log").open("w+b")
    process = subprocess.Popen(
        lab_argv(ROOT, port=port, token=token, open_browser=False),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (tmp_path / "server.log").read_text()
            try:
                if _request(port, "/api/status", token)[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the lab server did not answer within 60 s"
            time.sleep(0.25)
        yield process, port, token
    finally:
        killed = False
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)  # Jupyter's clean shutdown
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                killed = True
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        log.close()
        deadline = time.monotonic() + 10
        while _group_members(process.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        leftovers = _group_members(process.pid)
        if leftovers:
            os.killpg(process.pid, signal.SIGKILL)
        assert not leftovers, f"processes left behind by the lab server: {leftovers}"
        assert not killed, "the lab server did not stop within 30 s of SIGTERM"


def test_lab_server_listens_on_loopback_only_and_requires_the_token(lab_server):
    process, port, token = lab_server
    listening = _listening(process.pid)
    assert (("127.0.0.1", port)) in listening, listening
    assert all(address == "127.0.0.1" for address, _ in listening), listening
    for address in _local_addresses():
        with pytest.raises(OSError):
            socket.create_connection((address, port), timeout=3).close()

    status, _ = _request(port, "/api/contents")
    assert status == 403
    status, location = _request(port, "/lab")
    assert status in (302, 303) and "/login" in location, (status, location)
    assert _request(port, "/api/contents", token)[0] == 200
    assert _request(port, f"/lab?token={token}")[0] == 200
    assert _request(port, "/api/contents", "wrong-" + token)[0] == 403
