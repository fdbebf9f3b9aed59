"""Start and stop the DEMO hub of ``deploy/hub/jupyterhub_config.py`` (loopback only).

``make hub`` runs :func:`main`: the hub in the foreground on http://127.0.0.1:8000,
state in ``build/hub/``, a fresh random password printed with the link that
clones this checkout's current branch into a student's home. Stop it with Ctrl-C
(the hub stops the students' servers and its proxy).

The end-to-end test (``tests/browser/test_hub.py``) and the class-load benchmark
(``benchmarks/class_load.py``) use :func:`start_hub`, which starts the same hub
with the same config on free ports in a folder of their own and returns a
:class:`Hub` whose ``stop()`` ends the hub, the proxy, every single-user server
and kernel (found by a marker in their environment), and reports anything left.
One function builds the command line, so the demo and the tests run the same hub.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "CONFIG",
    "LOOPBACK",
    "MARKER_VAR",
    "Hub",
    "default_proxy",
    "free_port",
    "hub_argv",
    "main",
    "marked_processes",
    "missing_requirements",
    "single_user_lab_args",
    "start_hub",
]

#: The only address the demo hub, its proxy and the students' servers listen on.
LOOPBACK = "127.0.0.1"
#: Environment variable carrying a per-run marker; every process of one hub inherits it.
MARKER_VAR = "OSTEO_HUB_RUN_ID"

REPO = Path(__file__).resolve().parents[2]
CONFIG = Path(__file__).resolve().with_name("jupyterhub_config.py")
#: Where ``deploy/hub/install_proxy.sh`` installs configurable-http-proxy.
LOCAL_PROXY = REPO / "build" / "node" / "node_modules" / ".bin" / "configurable-http-proxy"


def default_proxy() -> str | None:
    """configurable-http-proxy: the project-local one (build/node/), else one on PATH, else None."""
    if LOCAL_PROXY.is_file() and os.access(LOCAL_PROXY, os.X_OK):
        return str(LOCAL_PROXY)
    return shutil.which("configurable-http-proxy")


def missing_requirements() -> list[str]:
    """What the hub needs and this machine lacks (empty when the hub can start)."""
    missing = []
    for module, extra in (("jupyterhub", "hub"), ("nbgitpuller", "hub"), ("notebook", "hub")):
        try:
            __import__(module)
        except ImportError:
            missing.append(f"python package {module} (pip install -e '.[{extra}]')")
    if default_proxy() is None:
        missing.append("configurable-http-proxy (bash deploy/hub/install_proxy.sh)")
    if shutil.which("git") is None:
        missing.append("git")
    return missing


def single_user_lab_args() -> list[str]:
    """Options for every student's ``jupyterhub-singleuser``: ``make lab``'s JupyterLab options.

    Taken from :func:`osteo_teach.lab.lab_argv` (no news or update checks, the
    RISE widget shim) minus what the hub decides itself (address, port, token,
    folder, default URL); plus ``--allow-root`` when running as root (CI, containers).
    """
    from osteo_teach.lab import lab_argv

    keep = ("--LabApp.", "--LabServerApp.")
    args = [a for a in lab_argv(REPO, open_browser=False) if a.startswith(keep) and "default_url" not in a]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--allow-root")
    return args


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def hub_argv() -> list[str]:
    """The hub's command line: this Python's JupyterHub with the demo config."""
    return [sys.executable, "-m", "jupyterhub", "-f", str(CONFIG)]


def marked_processes(marker: str) -> list[int]:
    """Live processes (not zombies) whose environment holds ``MARKER_VAR=marker`` (Linux /proc)."""
    needle = f"{MARKER_VAR}={marker}".encode()
    found = []
    for entry in Path("/proc").iterdir():
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
    return sorted(found)


def _describe(pid: int) -> str:
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        cmd = "?"
    return f"{pid} {cmd[:200]}"


@dataclass
class Hub:
    """A running demo hub. ``stop()`` ends it and everything it started; returns what is left."""

    url: str
    state: Path
    password: str
    api_token: str
    users: list[str]
    marker: str
    process: subprocess.Popen[bytes]
    log_path: Path
    env: dict[str, str]
    startup_seconds: float = 0.0
    #: Processes still alive after the hub's own shutdown (before they were killed); set by stop().
    left_by_hub: list[str] = field(default_factory=list)
    _log: Any = field(default=None, repr=False)

    def api(self, method: str, path: str, body: Any = None, timeout: float = 60) -> Any:
        """Call the hub's REST API (``/hub/api`` + ``path``) with the service token; parsed JSON or None."""
        data = None if body is None else json.dumps(body).encode()
        if data is None and method in ("POST", "PUT", "PATCH"):
            data = b""
        request = urllib.request.Request(
            f"{self.url}/hub/api{path}",
            method=method,
            data=data,
            headers={"Authorization": f"token {self.api_token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def home(self, user: str) -> Path:
        """A user's home folder (the simple spawner's ``home_dir_template``)."""
        return self.state / "home" / user

    def log_tail(self, lines: int = 60) -> str:
        """The last lines of the hub's log (for failure messages)."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def processes(self) -> list[str]:
        """Every live process of this hub: itself, the proxy, servers, kernels, git."""
        return [_describe(pid) for pid in marked_processes(self.marker)]

    def stop(self, timeout: float = 45) -> list[str]:
        """SIGTERM the hub (it stops the servers and the proxy), then kill whatever is left.

        Returns the processes still alive at the end (should be ``[]``); what the
        hub's own shutdown left behind is kept in ``left_by_hub``.
        """
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=timeout)
        deadline = time.monotonic() + 10
        while marked_processes(self.marker) and time.monotonic() < deadline:
            time.sleep(0.2)
        self.left_by_hub = self.processes()
        for sig in (signal.SIGTERM, signal.SIGKILL):
            pids = marked_processes(self.marker)
            if self.process.poll() is None:
                pids.append(self.process.pid)
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, sig)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and (self.process.poll() is None or marked_processes(self.marker)):
                time.sleep(0.1)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        if self._log is not None:
            self._log.close()
            self._log = None
        left = self.processes()
        if self.process.poll() is None:
            left.insert(0, f"{self.process.pid} (hub)")
        return left


def hub_env(
    state: Path,
    *,
    port: int,
    password: str,
    users: list[str],
    api_token: str | None = None,
    course_repo: str | None = None,
    marker: str | None = None,
) -> dict[str, str]:
    """The environment the config reads (see its docstring), with free internal ports."""
    env = dict(os.environ)
    env.update(
        {
            "OSTEO_HUB_STATE": str(state),
            "OSTEO_HUB_PORT": str(port),
            "OSTEO_HUB_API_PORT": str(free_port()),
            "OSTEO_HUB_PROXY_PORT": str(free_port()),
            "OSTEO_HUB_PASSWORD": password,
            "OSTEO_HUB_USERS": " ".join(users),
            "PYTHONUNBUFFERED": "1",
        }
    )
    proxy = default_proxy()
    if proxy:
        env["OSTEO_HUB_PROXY"] = proxy
    if api_token:
        env["OSTEO_HUB_API_TOKEN"] = api_token
    if course_repo:
        env["OSTEO_HUB_COURSE_REPO"] = course_repo
    if marker:
        env[MARKER_VAR] = marker
    # Nothing from the caller's own Jupyter set-up leaks into the students' servers.
    for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_PATH", "JUPYTER_CONFIG_PATH", "JUPYTER_TOKEN"):
        env.pop(var, None)
    return env


def start_hub(
    state: Path,
    *,
    users: list[str] | None = None,
    course_repo: str | None = None,
    timeout: float = 90,
) -> Hub:
    """Start the demo hub with its state in ``state`` on a free port; wait until its API answers.

    A random password and a random service token (for :meth:`Hub.api`); a marker
    in the environment of every process it starts; log in ``state/jupyterhub.log``.
    Raises RuntimeError (with the log) if it exits or does not answer in time.
    """
    state.mkdir(parents=True, exist_ok=True)
    users = users or ["student", "instructor"]
    password = secrets.token_urlsafe(12)
    api_token = secrets.token_hex(32)
    marker = secrets.token_hex(8)
    port = free_port()
    env = hub_env(
        state, port=port, password=password, users=users, api_token=api_token, course_repo=course_repo, marker=marker
    )
    log_path = state / "jupyterhub.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed by Hub.stop()
    started = time.monotonic()
    process = subprocess.Popen(
        hub_argv(), cwd=state, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
    )
    hub = Hub(f"http://{LOOPBACK}:{port}", state, password, api_token, users, marker, process, log_path, env, _log=log)
    while True:
        if process.poll() is not None:
            hub.stop()
            raise RuntimeError(f"the hub exited with {process.returncode}:\n{hub.log_tail()}")
        try:
            if hub.api("GET", "/", timeout=5) is not None:
                break
        except (OSError, urllib.error.URLError, ValueError):
            pass
        if time.monotonic() - started > timeout:
            hub.stop()
            raise RuntimeError(f"the hub did not answer within {timeout:.0f} s:\n{hub.log_tail()}")
        time.sleep(0.25)
    hub.startup_seconds = time.monotonic() - started
    return hub


def _current_branch() -> str:
    out = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--abbrev-ref", "HEAD"], capture_output=True, text=True, check=False
    )
    return out.stdout.strip() or "main"


def main() -> None:
    """``make hub``: the demo hub in the foreground on http://127.0.0.1:8000 (Ctrl-C stops it)."""
    from deploy.course_link import CoursePull

    missing = missing_requirements()
    if missing:
        raise SystemExit("make hub needs: " + "; ".join(missing))
    state = REPO / "build" / "hub"
    state.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(9)
    port = int(os.environ.get("OSTEO_HUB_PORT", "8000"))
    course = CoursePull(repo=f"file://{REPO}", branch=_current_branch())
    env = hub_env(state, port=port, password=password, users=["student", "instructor"], course_repo=course.repo)
    env["OSTEO_HUB_API_PORT"] = os.environ.get("OSTEO_HUB_API_PORT", "8081")
    env["OSTEO_HUB_PROXY_PORT"] = os.environ.get("OSTEO_HUB_PROXY_PORT", "8001")
    hub_url = f"http://{LOOPBACK}:{port}"
    print(
        f"""
DEMO JupyterHub on this computer only ({LOOPBACK}); never for a network address.
  1. Open {hub_url}/ and log in as "student" (or "instructor") with the password  {password}
  2. Then open the class link (it clones this checkout's committed branch {course.branch!r}
     into the student's home, {state / "home" / "student" / course.folder}):
     {course.link(hub_url)}
  3. Commit a change here and open the link again: the student's copy is updated,
     the student's own edits are kept.
State (homes, database) in {state}; `rm -rf build/hub` starts afresh. Ctrl-C stops the hub.
""",
        flush=True,
    )
    os.chdir(state)
    os.execve(sys.executable, hub_argv(), env)


if __name__ == "__main__":
    main()
