"""Class-load benchmark: N simulated students on the demo hub, at once, on this machine.

Run from the repository root (``make bench-class`` does)::

    python benchmarks/class_load.py                  # 20 students, 6 changes per widget each
    python benchmarks/class_load.py --students 30    # at most 60; --help for the rest

A script that prints figures, never a timed test. Everything stays on 127.0.0.1:
the demo hub of ``deploy/hub/`` (``make hub``'s config) starts in a temporary
folder, on free ports, and is stopped at the end with every process it started
(the script fails if one is left). Bounded: at most 60 students, 50 changes per
widget, and ``--max-seconds`` (default 900) for the whole run.

What it measures
----------------
1. *Alone*: one student. The hub's REST API starts their server
   (``POST /hub/api/users/<u>/server`` until the server is ready: the spawn
   time); a kernel starts on it (Jupyter Server's REST API, through the hub's
   proxy) and runs the lesson's setup (``import osteo_teach``, load the data,
   build ``osteo_teach.healing.TimelineExplorer`` and
   ``osteo_teach.widgets.ComparisonExplorer``, the widgets of lessons 03 and
   02); then the widget changes: each sets one of the widgets' dropdowns to
   its next option (``dropdown.value = ...``, which redraws the figure or the
   table exactly as a click does) and is timed from the request sent on the
   kernel's websocket until the kernel is idle again. The server is stopped.
2. *Class*: N students at once (the first one included): all spawns are
   requested together, then every student starts a kernel and runs the setup,
   and when all are ready every student makes the same changes concurrently.
   Spawn and change times are reported as p50/p95 next to the same figure alone.
3. *Memory per student*: the peak resident memory (``VmHWM`` in
   ``/proc/<pid>/status``) of the student's server plus every process under it
   (the kernel), added up; and the proportional set size (PSS, shared pages
   split between the processes sharing them) at the end of the changes.
   The hub and its proxy are reported separately (one per class, not per student).
4. *Capacity*: students per GiB from the largest peak per student (what a
   memory limit must allow), and students per core from the CPU time the
   students' processes used per change (``/proc/<pid>/stat``) for a class in
   which each student changes a widget every ``--think-seconds`` (default 10 s);
   also what the run itself showed: N students on this machine's cores and the
   latency they got.

Without a browser: the changes are driven in the kernels, as messages, so the
browser's own rendering is not in these figures (the browser tests time it).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

from deploy.hub.launch import Hub, missing_requirements, start_hub
from deploy.hub.remote_kernel import RemoteKernel

MiB = 2**20
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024

#: The lesson's kernel work: the setup cell, then one change per call of ``_osteo_change``.
SETUP_CODE = '''
import time as _time
import ipywidgets as _w
import osteo_teach as _ot
from osteo_teach.healing import TimelineExplorer as _Timeline
from osteo_teach.widgets import ComparisonExplorer as _Comparison

_course = _ot.load()

def _osteo_dropdowns(root):
    """Every Dropdown inside a widget (its children, and widgets it keeps as attributes)."""
    found, stack, seen = [], [root], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, _w.Dropdown):
            found.append(node)
        kids = list(getattr(node, "children", ()) or ())
        kids += [v for v in getattr(node, "__dict__", {}).values() if isinstance(v, _w.Widget)]
        stack.extend(reversed(kids))
    return found

_osteo_widgets = {
    "timeline": _Timeline("wrist", "closed_reduction", data=_course),
    "comparison": _Comparison("fracture_reduction", data=_course),
}
_osteo_drops = {name: _osteo_dropdowns(w) for name, w in _osteo_widgets.items()}
assert all(_osteo_drops.values()), {k: len(v) for k, v in _osteo_drops.items()}

def _osteo_change(name, k):
    """Set dropdown k (cycling) of widget ``name`` to its next option; print the seconds it took."""
    drops = _osteo_drops[name]
    d = drops[k % len(drops)]
    values = [o[1] if isinstance(o, tuple) else o for o in d.options]
    started = _time.perf_counter()
    d.value = values[(values.index(d.value) + 1) % len(values)]
    print(f"{_time.perf_counter() - started:.6f}")

print({name: len(d) for name, d in _osteo_drops.items()})
'''

WIDGETS = ("timeline", "comparison")


# --------------------------------------------------------------------------- /proc


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def process_tree(pid: int) -> list[int]:
    """``pid`` and every process under it."""
    tree, found, stack = _children(), [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(tree.get(current, []))
    return found


def _status_kib(pid: int, field_name: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def peak_rss_kib(pids: list[int]) -> int:
    """Sum of each process's peak resident memory (VmHWM)."""
    return sum(_status_kib(pid, "VmHWM") for pid in pids)


def rss_kib(pids: list[int]) -> int:
    """Sum of the processes' resident memory now."""
    return sum(_status_kib(pid, "VmRSS") for pid in pids)


def pss_kib(pids: list[int]) -> int:
    """Sum of the processes' proportional set size now (shared pages split between sharers)."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of the processes so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / CLOCK_TICKS


# --------------------------------------------------------------------------- students


@dataclass
class Student:
    """One simulated student and what was measured for them."""

    name: str
    spawn_seconds: float = 0.0
    setup_seconds: float = 0.0
    server_pid: int = 0
    changes: dict[str, list[float]] = field(default_factory=lambda: {w: [] for w in WIDGETS})
    in_kernel: dict[str, list[float]] = field(default_factory=lambda: {w: [] for w in WIDGETS})
    #: Round trips of an empty cell (``pass``): the messaging floor under every change.
    floor: list[float] = field(default_factory=list)
    cpu_before_changes: float = 0.0
    cpu_after_changes: float = 0.0
    peak_kib: int = 0
    sampled_peak_kib: int = 0
    pss_kib: int = 0

    def pids(self) -> list[int]:
        return process_tree(self.server_pid) if self.server_pid else []


async def hub_api(hub: Hub, method: str, path: str, body: Any = None) -> Any:
    """The hub's REST API, asynchronously (the service token of :class:`Hub`)."""
    request = HTTPRequest(
        f"{hub.url}/hub/api{path}",
        method=method,
        headers={"Authorization": f"token {hub.api_token}", "Content-Type": "application/json"},
        body=None if method == "GET" else json.dumps(body or {}),
        request_timeout=600,
        allow_nonstandard_methods=True,
    )
    response = await AsyncHTTPClient().fetch(request)
    return json.loads(response.body) if response.body else None


async def spawn(hub: Hub, student: Student) -> None:
    """Start the student's server through the hub's REST API; wait until ready; record the time and pid."""
    started = time.perf_counter()
    try:
        await hub_api(hub, "POST", f"/users/{student.name}/server")
    except HTTPClientError as exc:
        if exc.code != 400:  # 400: already pending
            raise
    while True:
        model = await hub_api(hub, "GET", f"/users/{student.name}")
        server = model.get("servers", {}).get("")
        if server and server.get("ready"):
            break
        await asyncio.sleep(0.2)
    student.spawn_seconds = time.perf_counter() - started
    student.server_pid = int(server.get("state", {}).get("pid") or 0)


async def stop_server(hub: Hub, student: Student) -> None:
    """Stop the student's server; wait until the hub says it is gone."""
    await hub_api(hub, "DELETE", f"/users/{student.name}/server")
    while (await hub_api(hub, "GET", f"/users/{student.name}")).get("servers"):
        await asyncio.sleep(0.2)


async def lesson(hub: Hub, student: Student, changes: int, ready: Callable[[], Awaitable[None]]) -> None:
    """Start a kernel, run the setup, wait for ``ready()`` (the whole class), make the changes."""
    kernel = RemoteKernel(hub.url, student.name, hub.api_token)
    started = time.perf_counter()
    await kernel.start()
    try:
        await kernel.execute(SETUP_CODE)
        student.setup_seconds = time.perf_counter() - started
        await ready()
        for _ in range(3):
            student.floor.append((await kernel.execute("pass")).seconds)
        student.cpu_before_changes = cpu_seconds(student.pids())
        for k in range(changes):
            for name in WIDGETS:
                result = await kernel.execute(f"_osteo_change({name!r}, {k})")
                student.changes[name].append(result.seconds)
                student.in_kernel[name].append(float(result.stdout.strip().splitlines()[-1]))
        pids = student.pids()
        student.cpu_after_changes = cpu_seconds(pids)
        student.peak_kib = peak_rss_kib(pids)
        student.pss_kib = pss_kib(pids)
    finally:
        await kernel.shutdown()


async def sample_memory(students: list[Student], stop: asyncio.Event) -> None:
    """Every half second: each student's resident memory now; keep the largest seen."""
    while not stop.is_set():
        for student in students:
            if student.server_pid:
                student.sampled_peak_kib = max(student.sampled_peak_kib, rss_kib(student.pids()))
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)


# --------------------------------------------------------------------------- figures


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank), of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def p50_p95(values: list[float], scale: float = 1.0, unit: str = "s") -> str:
    return f"p50 {pct(values, 50) * scale:7.3f} {unit}, p95 {pct(values, 95) * scale:7.3f} {unit}"


def meminfo_total_kib() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1])
    return 0


async def run(hub: Hub, names: list[str], changes: int, think: float) -> list[str]:
    """The two phases; returns the lines to print."""
    AsyncHTTPClient.configure(None, max_clients=4 * len(names) + 10)
    lines: list[str] = []

    # 1. Alone.
    alone = Student(names[0])
    await spawn(hub, alone)

    async def nobody() -> None:
        return None

    await lesson(hub, alone, changes, nobody)
    await stop_server(hub, alone)

    # 2. The class at once.
    students = [Student(name) for name in names]
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_memory(students, stop))
    started = time.perf_counter()
    await asyncio.gather(*(spawn(hub, s) for s in students))
    all_spawned = time.perf_counter() - started
    arrived = 0
    all_ready = asyncio.Event()

    async def everyone() -> None:
        """A barrier (asyncio.Barrier needs Python 3.11): the last student to arrive releases all."""
        nonlocal arrived
        arrived += 1
        if arrived == len(students):
            all_ready.set()
        await all_ready.wait()

    load_started = time.perf_counter()
    await asyncio.gather(*(lesson(hub, s, changes, everyone) for s in students))
    load_seconds = time.perf_counter() - load_started
    stop.set()
    await sampler
    proxy = [p for p in process_tree(hub.process.pid) if "configurable-http-proxy" in _cmdline(p)]
    hub_rss = rss_kib([hub.process.pid, *proxy]) / 1024

    cores = os.cpu_count() or 1
    n = len(students)
    lines.append(
        f"class-load benchmark: N = {n} simulated students at once on the demo hub (127.0.0.1), "
        f"{cores} cores, {meminfo_total_kib() / MiB:.1f} GiB; {changes} changes per widget per student"
    )
    lines.append("")
    lines.append(f"spawn (REST POST /users/<u>/server -> ready)   alone {alone.spawn_seconds:6.2f} s")
    lines.append(
        f"  {n} at once: {p50_p95([s.spawn_seconds for s in students])}, "
        f"max {max(s.spawn_seconds for s in students):.2f} s; the whole class ready in {all_spawned:.1f} s"
    )
    lines.append(f"kernel start + lesson setup (import, data, both widgets)   alone {alone.setup_seconds:6.2f} s")
    lines.append(f"  {n} at once: {p50_p95([s.setup_seconds for s in students])}")
    lines.append(
        "widget change: a dropdown set to its next option in the kernel, request -> kernel idle (through the proxy)"
    )
    floor = [t for s in students for t in s.floor]
    lines.append(
        f"  {'empty cell':<11} alone ({len(alone.floor):3d}): {p50_p95(alone.floor, 1e3, 'ms')}   "
        "(the messaging floor under every change)"
    )
    lines.append(f"  {'':<11} load  ({len(floor):3d}): {p50_p95(floor, 1e3, 'ms')}")
    for name in WIDGETS:
        solo = alone.changes[name]
        load = [t for s in students for t in s.changes[name]]
        lines.append(f"  {name:<11} alone ({len(solo):3d}): {p50_p95(solo, 1e3, 'ms')}")
        lines.append(
            f"  {'':<11} load  ({len(load):3d}): {p50_p95(load, 1e3, 'ms')}   "
            f"p50 x{pct(load, 50) / pct(solo, 50):4.1f}, p95 x{pct(load, 95) / pct(solo, 95):4.1f} "
            f"(in the kernel alone: p50 {pct(alone.in_kernel[name], 50) * 1e3:.0f} ms)"
        )
    peaks = [s.peak_kib / 1024 for s in students]
    sampled = [s.sampled_peak_kib / 1024 for s in students]
    pss = [s.pss_kib / 1024 for s in students]
    lines.append("memory per student (their server + kernel, /proc)")
    lines.append(f"  peak RSS (sum of VmHWM): p50 {pct(peaks, 50):6.0f} MiB, max {max(peaks):6.0f} MiB")
    lines.append(
        f"  largest RSS seen at once (0.5 s samples): p50 {pct(sampled, 50):6.0f} MiB, max {max(sampled):6.0f} MiB"
    )
    lines.append(f"  PSS after the changes (shared pages split): p50 {pct(pss, 50):6.0f} MiB")
    lines.append(f"  the hub and its proxy (once per class): {hub_rss:.0f} MiB RSS")
    per_change = [(s.cpu_after_changes - s.cpu_before_changes) / (changes * len(WIDGETS)) for s in students]
    cpu_change = statistics.median(per_change)
    lines.append("capacity")
    lines.append(f"  students per GiB (by the largest peak, {max(peaks):.0f} MiB): {1024 / max(peaks):5.1f}")
    lines.append(
        f"  students per core: one change costs {cpu_change * 1e3:.0f} ms of CPU (median); at one change per "
        f"{think:.0f} s per student a core serves {think / cpu_change:5.0f} students"
    )
    worst_p95 = max(pct([t for s in students for t in s.changes[w]], 95) for w in WIDGETS)
    lines.append(
        f"  measured here: {n} students on {cores} cores ({n / cores:.0f} per core) changing widgets nonstop "
        f"for {load_seconds:.0f} s got p95 {worst_p95:.2f} s"
        " per change"
    )
    return lines


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def main(argv: list[str] | None = None) -> int:
    """Parse options, run both phases on a temporary demo hub, print the figures; 1 on failure."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--students",
        type=int,
        default=20,
        choices=range(1, 61),
        metavar="N",
        help="simulated students (1-60, default 20)",
    )
    parser.add_argument(
        "--changes",
        type=int,
        default=6,
        choices=range(1, 51),
        metavar="K",
        help="changes per widget per student (1-50, default 6)",
    )
    parser.add_argument(
        "--think-seconds",
        type=float,
        default=10.0,
        help="for the per-core estimate: a student's time between two changes (default 10)",
    )
    parser.add_argument("--max-seconds", type=float, default=900.0, help="give up after this long (default 900)")
    args = parser.parse_args(argv)
    missing = missing_requirements()
    if missing:
        print("class_load.py needs: " + "; ".join(missing), file=sys.stderr)
        return 1
    names = [f"student{i:02d}" for i in range(1, args.students + 1)]
    with tempfile.TemporaryDirectory(prefix="osteo-class-load-") as tmp:
        hub = start_hub(Path(tmp) / "hub", users=[*names, "instructor"])
        print(f"demo hub up in {hub.startup_seconds:.1f} s at {hub.url}; {args.students} students ...", flush=True)
        failed = False
        try:
            lines = asyncio.run(asyncio.wait_for(run(hub, names, args.changes, args.think_seconds), args.max_seconds))
            print("\n".join(lines))
        except Exception as exc:
            failed = True
            print(f"class-load run failed: {exc.__class__.__name__}: {exc}\n{hub.log_tail(30)}", file=sys.stderr)
        finally:
            left = hub.stop()
        if left:
            print(f"processes left after stopping the hub: {left}", file=sys.stderr)
            return 1
        print("hub stopped; no process left.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
