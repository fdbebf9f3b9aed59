"""Run a notebook in a fresh kernel with nbclient, with a chosen environment.

One helper shared by the robustness tests (offline runs, repeatability, broken
data, no writes) and by ``benchmarks/run.py`` (peak kernel memory), so every
notebook is executed the same way: the kernel of this Python (the same one
``pytest --nbval-current-env`` uses), the notebook's own folder as the working
directory, cells run in order, stopping at the first error.
"""

from __future__ import annotations

import copy
import hashlib
import os
import re
import sys
import tempfile
import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS_DIR = ROOT / "notebooks"
DATA_DIR = ROOT / "data"

#: Matches ANSI colour codes in tracebacks.
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
#: Object addresses (``<Foo object at 0x7f...>``) differ between kernels.
_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{6,}\b")


def notebooks() -> list[Path]:
    """Every lesson's notebook, from the lesson registry (tests check it matches notebooks/)."""
    from osteo_teach.lessons import all_lessons

    return [lesson.notebook for lesson in all_lessons()]


@dataclass
class NotebookRun:
    """The executed notebook and, if a cell failed, that cell's index and error output."""

    path: Path
    nb: nbformat.NotebookNode
    error_cell: int | None = None
    error: dict | None = None
    extra_outputs: list[list[dict]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None

    def describe_error(self) -> str:
        if self.error is None:
            return "no error"
        trace = strip_ansi("\n".join(self.error.get("traceback", [])))
        return (
            f"{self.path.name}: code cell {self.error_cell} raised "
            f"{self.error.get('ename')}: {self.error.get('evalue')}\n{trace}"
        )


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def code_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def run_notebook(
    path: Path | None = None,
    *,
    nb: nbformat.NotebookNode | None = None,
    env: Mapping[str, str] | None = None,
    extra_cells: Iterable[str] = (),
    cwd: Path | None = None,
    timeout: int = 300,
) -> NotebookRun:
    """Execute ``path`` (or ``nb``) from a clean kernel; stop at the first failing cell.

    ``env`` is the kernel's whole environment (default: this process's).
    ``extra_cells`` are appended code cells (e.g. to ask the kernel for its peak
    memory); their outputs are returned in ``extra_outputs``. The notebook file
    itself is never written.
    """
    if nb is None:
        assert path is not None
        nb = nbformat.read(path, as_version=4)
    else:
        nb = copy.deepcopy(nb)
    path = path or Path("<in-memory>.ipynb")
    extras = list(extra_cells)
    for source in extras:
        nb.cells.append(nbformat.v4.new_code_cell(source))
    workdir = cwd or (path.parent if path.parent.exists() else ROOT)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        allow_errors=False,
        resources={"metadata": {"path": str(workdir)}},
    )
    kernel_env = dict(os.environ if env is None else env)
    run = NotebookRun(path=path, nb=nb)
    # The kernel's own stderr (start-up warnings) goes to a file, shown if it dies.
    with tempfile.TemporaryFile() as kernel_log:
        try:
            client.execute(env=kernel_env, stderr=kernel_log)
        except CellExecutionError:
            pass
        except Exception as exc:
            kernel_log.seek(0)
            raise RuntimeError(
                f"{path.name}: the kernel failed ({type(exc).__name__}: {exc}); its stderr:\n"
                + kernel_log.read().decode(errors="replace")[-3000:]
            ) from exc
        else:
            if extras:
                run.extra_outputs = [list(cell.get("outputs", [])) for cell in nb.cells[-len(extras) :]]
            return run
    for index, cell in enumerate(code_cells(nb)):
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if errors:
            run.error_cell, run.error = index, dict(errors[0])
            return run
    raise RuntimeError(f"{path.name}: a cell failed but recorded no error output")


def text_outputs(nb: nbformat.NotebookNode) -> list[list[tuple[str, str]]]:
    """Per code cell, its text outputs (streams, text/plain, errors), addresses masked.

    Images, HTML and widget views are left out: what must repeat exactly is the
    text a student reads and nbval compares.
    """
    result: list[list[tuple[str, str]]] = []
    for cell in code_cells(nb):
        texts: list[tuple[str, str]] = []
        for output in cell.get("outputs", []):
            kind = output.get("output_type")
            if kind == "stream":
                # The kernel may split one print into several stream messages (more
                # often under load): what a student reads is their concatenation.
                text = output["text"] if isinstance(output["text"], str) else "".join(output["text"])
                if texts and texts[-1][0] == output["name"]:
                    texts[-1] = (output["name"], texts[-1][1] + text)
                else:
                    texts.append((output["name"], text))
            elif kind in ("execute_result", "display_data"):
                plain = output.get("data", {}).get("text/plain")
                if plain is not None:
                    texts.append(("text/plain", plain if isinstance(plain, str) else "".join(plain)))
            elif kind == "error":
                texts.append(("error", f"{output['ename']}: {output['evalue']}"))
        result.append([(name, _ADDRESS.sub("0x…", text)) for name, text in texts])
    return result


# --- network guard -------------------------------------------------------------

NETWORK_GUARD = textwrap.dedent(
    '''
    """Installed by tests/notebook_runner.py: refuse network access beyond loopback."""
    import ipaddress
    import socket

    _LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


    def _is_loopback_host(host):
        if isinstance(host, bytes):
            host = host.decode("ascii", "replace")
        if not isinstance(host, str):
            return False
        if host.lower() in _LOOPBACK_NAMES or host == "":
            return True
        try:
            return ipaddress.ip_address(host.split("%")[0]).is_loopback
        except ValueError:
            return False


    def _check(address):
        if isinstance(address, (str, bytes)):  # AF_UNIX path
            return
        if isinstance(address, tuple) and address and _is_loopback_host(address[0]):
            return
        raise ConnectionRefusedError(
            f"network access blocked by the offline test: {address!r} is not a loopback address"
        )


    _connect = socket.socket.connect
    _connect_ex = socket.socket.connect_ex
    _create_connection = socket.create_connection
    _getaddrinfo = socket.getaddrinfo


    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            _check(address)
        return _connect(self, address)


    def connect_ex(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            _check(address)
        return _connect_ex(self, address)


    def create_connection(address, *args, **kwargs):
        _check(address)
        return _create_connection(address, *args, **kwargs)


    def getaddrinfo(host, *args, **kwargs):
        if host is not None and not _is_loopback_host(host):
            raise socket.gaierror(socket.EAI_NONAME, f"name lookup blocked by the offline test: {host!r}")
        return _getaddrinfo(host, *args, **kwargs)


    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    socket.create_connection = create_connection
    socket.getaddrinfo = getaddrinfo
    socket.OSTEO_TEACH_NETWORK_GUARD = True
    '''
)


def offline_env(directory: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """An environment whose Python processes cannot reach non-loopback addresses.

    Writes a ``sitecustomize.py`` into ``directory`` and puts it first on
    ``PYTHONPATH``; also clears proxy variables, which would point elsewhere.
    """
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "sitecustomize.py").write_text(NETWORK_GUARD, encoding="utf-8")
    env = dict(os.environ if base is None else base)
    for name in list(env):
        if name.lower() in ("http_proxy", "https_proxy", "all_proxy"):
            del env[name]
    env["PYTHONPATH"] = os.pathsep.join([str(directory), *filter(None, [env.get("PYTHONPATH")])])
    return env


# --- folder snapshots ----------------------------------------------------------


def snapshot(*folders: Path) -> dict[str, tuple[str, int, str]]:
    """Every file and folder under ``folders``: kind, mtime (ns) and content hash."""
    state: dict[str, tuple[str, int, str]] = {}
    for folder in folders:
        for dirpath, dirnames, filenames in os.walk(folder):
            base = Path(dirpath)
            for name in dirnames:
                state[str(base / name)] = ("dir", 0, "")
            for name in filenames:
                item = base / name
                stat = item.stat()
                digest = hashlib.sha256(item.read_bytes()).hexdigest()
                state[str(item)] = ("file", stat.st_mtime_ns, digest)
    return state


def snapshot_diff(before: Mapping[str, tuple], after: Mapping[str, tuple]) -> list[str]:
    """Human-readable differences between two snapshots (empty when identical)."""
    changes = [f"new: {p}" for p in sorted(set(after) - set(before))]
    changes += [f"removed: {p}" for p in sorted(set(before) - set(after))]
    changes += [f"changed: {p}" for p in sorted(set(before) & set(after)) if before[p] != after[p]]
    return changes


if __name__ == "__main__":  # pragma: no cover - manual use: run one notebook
    for argument in sys.argv[1:]:
        outcome = run_notebook(Path(argument))
        print(argument, "ok" if outcome.ok else outcome.describe_error())
