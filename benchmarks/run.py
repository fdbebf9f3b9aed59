"""Benchmark the course: what using osteo-teach costs, next to what it cannot avoid.

Run from the repository root (``make bench`` does)::

    python benchmarks/run.py                 # P1-P6, about 20 minutes on 2 cores
    python benchmarks/run.py --only P2,P3    # some of them
    python benchmarks/run.py --profile P2    # also print a cProfile of the slow path

Each figure is a ratio of two things measured side by side in the same run, as
the median over repeated runs (the repeat counts are options), with its target:

P1  ``pytest --nbval-lax`` over every lesson vs the same lessons reduced to their
    imports and data load (each lesson's import lines, then every module its run
    imports, found by running it once with a last cell that lists ``sys.modules``,
    then ``course = ot.start()``: the honest floor, since no lesson can do less;
    the package imports matplotlib only when a figure is first drawn, so the import
    lines alone leave it out), in a temporary folder, with the same empty pytest
    configuration. Target <= 1.15. Extra lines (not targets): the ratio against
    the import lines alone (the floor used before 2026-12-02), and as many empty
    notebooks under nbval (kernel start and stop only).

P2  For every widget declared in the lesson registry (``osteo_teach.lessons``):
    setting a dropdown value until the redrawn output is shown, vs producing
    the same output once, directly. Changes cycle through every option of
    every dropdown (>= 20 changes, median). Target <= 1.3 per widget.

    *What "the same figure drawn once with bare matplotlib" means here*: each
    widget's declared ``direct`` twin (``WidgetSpec.direct`` in the lesson
    registry): for a figure, the widget's own pure draw function replayed on a
    brand-new ``Figure`` of the same size with an Agg canvas
    (``plots.new_figure``), rasterised to PNG with the same settings
    (``plots.render_png``): the least any notebook must do to show exactly
    those pixels. Everything else the widget does is the overhead measured: the
    observer call, clearing and reusing its figure, pushing the PNG into the
    image widget (an ``<img>`` with alt text), the caption. The script checks that both give identical
    output. For HTML widgets (comparison, guidelines) the twin is the pure
    function producing the same HTML, shown the way bare ipywidgets would show
    it: a bare Dropdown change and an HTML widget update (the HTML counterpart
    of "bare matplotlib"; the target line). An extra line (not a target)
    compares with the HTML function alone. Widgets that declare no twin (the
    quiz) are listed as not measured.

P3  In a fresh interpreter each time: ``import osteo_teach`` plus the first
    ``osteo_teach.load()`` vs ``import matplotlib.pyplot`` plus
    ``import ipywidgets``; timed inside the subprocess (interpreter start-up,
    common to both, is left out, which makes the ratio stricter). Target <= 1.1.
    An extra line (not a target) shows what a notebook's first cell costs:
    ``import osteo_teach as ot; ot.start()``.

P4  A kernel's peak memory, asked from inside the kernel after running each
    notebook with nbclient, vs a bare kernel that ran ``import matplotlib.pyplot``.
    Target <= 1.5 per notebook. The peak is the kernel's ``VmHWM`` (Linux):
    ``ru_maxrss`` is kept across ``exec`` on Linux, so a kernel started from a
    large process reports that process's size (seen here: every kernel "196 MiB"
    after P2 had run in this process); ``ru_maxrss`` is the fallback elsewhere.

P5  In JupyterLab in headless Chromium (the browser tests' machinery,
    ``tests/browser/lab_driver.py``): "Run All Cells" clicked until the kernel is
    idle with every widget rendered and every image loaded, per lesson, vs the
    same for that lesson reduced to its imports and data load (as in P1). Target
    <= 1.3 per lesson. The kernel is already started and idle when "Run All" is
    clicked. In the same session, P2's browser part: every dropdown of every
    declared widget is changed twice over (``lab_driver.change_latencies``), each
    change timed from the selection until its new output is shown; p95 per
    widget, target 200 ms for a state first seen since the notebook was opened
    and 100 ms for a state seen before (p50 printed as information).

P6  The wall time of ``make test`` on a warm venv (lint, every test, the browser
    tests), and of the browser tests alone, against limits set after profiling
    (``P6_LIMITS``).

Exit status is 0 unless a measurement failed (a notebook error, say); with
``--strict`` a MISS also gives 1.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import io
import itertools
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.notebook_runner import notebooks, run_notebook

TARGETS = {"P1": 1.15, "P2": 1.3, "P3": 1.1, "P4": 1.5, "P5": 1.3}


@dataclass
class Line:
    """One printed result: a ratio of two medians, with its target."""

    key: str
    label: str
    value: float
    baseline: float
    unit: str

    @property
    def ratio(self) -> float:
        return self.value / self.baseline

    @property
    def target(self) -> float:
        return TARGETS[self.key]

    @property
    def verdict(self) -> str:
        return "PASS" if self.ratio <= self.target else "MISS"

    def __str__(self) -> str:
        scale = {"s": 1.0, "ms": 1e3, "MiB": 1.0}[self.unit]
        digits = 3 if min(self.value, self.baseline) * scale < 1 else 1
        return (
            f"{self.key:<3} {self.label:<60} {self.value * scale:8.{digits}f} / "
            f"{self.baseline * scale:8.{digits}f} {self.unit:<3} = {self.ratio:5.2f}"
            f"   target <= {self.target:<3} {self.verdict}"
        )


@dataclass
class Limit:
    """One printed result measured against an absolute limit (a latency, a wall time)."""

    key: str
    label: str
    value: float
    limit: float
    unit: str

    @property
    def verdict(self) -> str:
        return "PASS" if self.value <= self.limit else "MISS"

    def __str__(self) -> str:
        scale = {"s": 1.0, "ms": 1e3}[self.unit]
        return (
            f"{self.key:<3} {self.label:<60} {self.value * scale:8.1f} {self.unit:<3}"
            f"{'':22}target <= {self.limit * scale:g} {self.unit} {self.verdict}"
        )


@dataclass
class Note:
    """A printed line that is not a figure (something could not be measured)."""

    key: str
    text: str

    def __str__(self) -> str:
        return f"{self.key:<3} {self.text}"


#: ``--lessons``: the lessons P1, P4 and P5 measure (prefixes of notebook names; empty: all).
_LESSONS: list[str] = []


def lessons() -> list[Path]:
    """The lessons' notebooks to measure: every one, or those ``--lessons`` names."""
    return [path for path in notebooks() if not _LESSONS or path.name.startswith(tuple(_LESSONS))]


def log(message: str) -> None:
    print(f"    ... {message}", file=sys.stderr, flush=True)


def _blank_notebook(path: Path, source: str = "pass") -> Path:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells.append(nbformat.v4.new_code_cell(source))
    nbformat.write(nb, path)
    return path


# --- P1 -------------------------------------------------------------------------------


_MODULES_CELL = "import json as _json, sys as _sys\nprint(_json.dumps(list(_sys.modules)))"


@functools.cache
def _kernel_modules(path: Path | None) -> tuple[str, ...]:
    """The modules loaded in a kernel after running ``path`` (None: a kernel that ran nothing), in load order."""
    nb = None
    if path is None:
        import nbformat

        nb = nbformat.v4.new_notebook()
    run = run_notebook(path, nb=nb, extra_cells=[_MODULES_CELL])
    if not run.ok:
        raise RuntimeError(run.describe_error())
    text = "".join(o.get("text", "") for o in run.extra_outputs[0] if o.get("output_type") == "stream")
    return tuple(json.loads(text.strip().splitlines()[-1]))


def lesson_imports(path: Path) -> list[str]:
    """What a lesson's run imports beyond a bare kernel, in the order it first imports them.

    The package imports matplotlib only when a figure is drawn, so a lesson's own
    import lines leave out the libraries that cost the most to import; the floor
    imports everything the lesson did.
    """
    bare = set(_kernel_modules(None))
    return [name for name in _kernel_modules(path) if name not in bare and name != "__main__"]


def reduced_source(path: Path, everything_imported: bool = True) -> str:
    """A lesson reduced to its imports and its data load (the honest floor for P1 and P5).

    Every import line of its code cells, then every module its run imports (found by
    running it once: :func:`lesson_imports`), then ``course = ot.start()``. With
    ``everything_imported=False``, only the import lines (the floor before 2026-12-02,
    printed for comparison): it leaves out matplotlib, which the lessons import when
    they first draw.
    """
    import nbformat

    nb = nbformat.read(path, as_version=4)
    lines = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for line in cell.source.splitlines():
            if line.startswith(("import ", "from ")) and line not in lines:
                lines.append(line)
    if "import osteo_teach as ot" not in lines:
        lines.insert(0, "import osteo_teach as ot")
    if not everything_imported:
        return "\n".join([*lines, "", "course = ot.start()"]) + "\n"
    modules = ",\n    ".join(repr(name) for name in lesson_imports(path))
    imports = [
        "import importlib",
        "",
        f"for _module in [\n    {modules},\n]:",
        "    try:",
        "        importlib.import_module(_module)",
        "    except Exception:  # a private module that only loads from its parent",
        "        pass",
    ]
    return "\n".join([*lines, *imports, "", "course = ot.start()"]) + "\n"


def bench_p1(repeat: int, work: Path) -> list[Line | Note]:
    measured = lessons()
    floor_dir = work / "reduced"
    floor_dir.mkdir()
    reduced = [_blank_notebook(floor_dir / f"reduced_{path.name}", reduced_source(path)) for path in measured]
    lines_only = [
        _blank_notebook(floor_dir / f"lines_only_{path.name}", reduced_source(path, everything_imported=False))
        for path in measured
    ]
    empties = [_blank_notebook(floor_dir / f"empty_{i:02d}.ipynb") for i in range(len(measured))]
    ini = work / "pytest.ini"
    ini.write_text("[pytest]\n", encoding="utf-8")

    def nbval(paths: list[Path]) -> float:
        argv = [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-c",
            str(ini),
            "--rootdir",
            str(work),
            "--nbval-lax",
            "--nbval-current-env",
            *map(str, paths),
        ]
        started = time.perf_counter()
        done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            # Still timed (the same work was done), but say so: fix the notebooks.
            summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-500:]
            failures.append(summary)
            log(f"P1 warning: nbval did not pass: {summary}")
        return elapsed

    real, floor, lines_floor, empty = [], [], [], []
    failures: list[str] = []
    for i in range(repeat):
        real.append(nbval(measured))
        floor.append(nbval(reduced))
        lines_floor.append(nbval(lines_only))
        empty.append(nbval(empties))
        log(
            f"P1 run {i + 1}/{repeat}: lessons {real[-1]:.1f} s, the same reduced to imports + data load "
            f"{floor[-1]:.1f} s, to their import lines + data load {lines_floor[-1]:.1f} s, empty {empty[-1]:.1f} s"
        )
    label = f"nbval, {len(measured)} lessons vs the same reduced to imports + data"
    if failures:
        label += " (NBVAL FAILED)"
    return [
        Line("P1", label, statistics.median(real), statistics.median(floor), "s"),
        Note(
            "P1",
            f"(info) against the lessons' import lines only (matplotlib left out; the floor before "
            f"2026-12-02): {statistics.median(real) / statistics.median(lines_floor):.2f} "
            f"({statistics.median(lines_floor):.1f} s)",
        ),
        Note("P1", f"(info) {len(measured)} empty notebooks under nbval: {statistics.median(empty):.1f} s"),
    ]


# --- P2 -------------------------------------------------------------------------------


def _changes(spec, widget, count: int) -> Iterator[tuple[object, object]]:
    """``count`` (control, value) pairs cycling through every value of every control.

    Values are read when a control's turn comes, since one control may change
    another's options (the comparison's aspects depend on the pair).
    """
    from osteo_teach.lessons import control_values

    def forever() -> Iterator[tuple[object, object]]:
        while True:
            for control in spec.controls(widget):
                for value in control_values(control):
                    yield control, value

    return itertools.islice(forever(), count)


@dataclass
class WidgetTiming:
    widget: float
    baseline: float
    floor: float | None
    note: str


def _time_widget(spec, widget, changes: int, profile: bool) -> WidgetTiming | None:
    """Median seconds per change (widget) and per direct draw (baseline: ``spec.direct``).

    For HTML widgets also a floor: the direct HTML plus what any ipywidgets
    dropdown-driven view must pay (a bare Dropdown change with no observer and
    an HTML widget's value set), to show what part of the cost is ours.
    """
    import ipywidgets

    from osteo_teach.lessons import control_values

    if spec.direct is None:
        return None
    bare_dropdown = ipywidgets.Dropdown(options=["a", "b"], value="a")
    bare_html = ipywidgets.HTML()
    for control, value in _changes(spec, widget, 4):  # warm up both paths (fonts, caches)
        control.value = value
        spec.direct(widget)
    widget_times, base_times, floor_times, same = [], [], [], 0
    profiler = cProfile.Profile() if profile else None
    for control, value in _changes(spec, widget, changes):
        if control.value == value:
            # Setting the same value fires nothing: step away first (untimed).
            others = [v for v in control_values(control) if v != value]
            if not others:
                continue
            control.value = others[0]
        if profiler:
            profiler.enable()
        started = time.perf_counter()
        control.value = value
        widget_times.append(time.perf_counter() - started)
        if profiler:
            profiler.disable()
        started = time.perf_counter()
        result = spec.direct(widget)
        base_times.append(time.perf_counter() - started)
        same += result == spec.shows(widget)
        if not spec.draws_figure:
            started = time.perf_counter()
            bare_dropdown.value = "b" if bare_dropdown.value == "a" else "a"
            bare_html.value = result
            floor_times.append(time.perf_counter() - started + base_times[-1])
    note = f"{len(widget_times)} changes, identical output {same}/{len(widget_times)}"
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(18)
        print(f"\n--- cProfile of {spec.name} changes ---\n{out.getvalue()}", file=sys.stderr)
    floor = statistics.median(floor_times) if floor_times else None
    return WidgetTiming(statistics.median(widget_times), statistics.median(base_times), floor, note)


def bench_p2(changes: int, profile: bool) -> list[Line | Note]:
    import osteo_teach
    from osteo_teach.lessons import widget_specs
    from osteo_teach.style import use_style

    use_style("classroom")  # what ot.start() applies in every notebook
    course = osteo_teach.load()
    lines: list[Line | Note] = []
    for lesson, spec in widget_specs():
        short = f"{lesson.number} {spec.name}"
        timing = _time_widget(spec, spec.build(course), changes, profile)
        if timing is None:
            lines.append(Note("P2", f"{short}: not measured (the widget declares no direct twin)"))
            continue
        log(f"P2 {short}: {timing.note}")
        if timing.floor is None:
            lines.append(Line("P2", f"change -> redraw, {short}", timing.widget, timing.baseline, "ms"))
        else:
            # HTML output: the bare-library equivalent of "the same figure drawn once
            # with bare matplotlib" is the same HTML produced directly and shown
            # through a bare ipywidgets Dropdown change and HTML update.
            lines.append(
                Line("P2", f"change -> redraw, {short} (vs bare ipywidgets)", timing.widget, timing.floor, "ms")
            )
            lines.append(
                Line("P2", f"(info) {spec.name} vs the HTML function alone", timing.widget, timing.baseline, "ms")
            )
    return lines


# --- P3 -------------------------------------------------------------------------------

_TIMED = "import time\nstarted = time.perf_counter()\n{body}\nprint(repr(time.perf_counter() - started))\n"
P3_PACKAGE = "import osteo_teach\nosteo_teach.load()"
P3_BASELINE = "import matplotlib.pyplot\nimport ipywidgets"
P3_FIRST_CELL = (
    "import contextlib, io\nimport osteo_teach as ot\nwith contextlib.redirect_stdout(io.StringIO()):\n    ot.start()"
)


def _timed_subprocess(body: str) -> float:
    done = subprocess.run(
        [sys.executable, "-c", _TIMED.format(body=body)], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return float(done.stdout.strip().splitlines()[-1])


def bench_p3(repeat: int) -> list[Line]:
    package, baseline, first_cell = [], [], []
    for _ in range(repeat):
        package.append(_timed_subprocess(P3_PACKAGE))
        baseline.append(_timed_subprocess(P3_BASELINE))
        first_cell.append(_timed_subprocess(P3_FIRST_CELL))
    base = statistics.median(baseline)
    main = Line("P3", "import osteo_teach + load() vs mpl.pyplot+ipywidgets", statistics.median(package), base, "ms")
    info = Line("P3", "(info) first cell: ot.start() vs the same", statistics.median(first_cell), base, "ms")
    return [main, info]


# --- P4 -------------------------------------------------------------------------------

# Linux keeps ru_maxrss across exec, so a kernel launched from a big process (this
# one, after P2) would report its launcher's size; VmHWM belongs to the kernel's
# own memory map. Other systems: ru_maxrss (kilobytes on Linux, bytes on macOS).
_RUSAGE = """
import resource, sys
try:
    with open("/proc/self/status") as status:
        peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
except (OSError, StopIteration):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak = peak // 1024 if sys.platform == "darwin" else peak
print('MAXRSS', peak)
"""


def _peak_kib(run) -> int:
    if not run.ok:
        raise RuntimeError(run.describe_error())
    text = "".join(o.get("text", "") for o in run.extra_outputs[-1])
    return int(text.split("MAXRSS", 1)[1].split()[0])


def bench_p4(repeat: int, work: Path) -> list[Line]:
    import nbformat

    bare = nbformat.v4.new_notebook()
    bare.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    bare.cells.append(nbformat.v4.new_code_cell("import matplotlib.pyplot"))
    baseline = []
    peaks: dict[str, list[int]] = {p.name: [] for p in lessons()}
    for i in range(repeat):
        baseline.append(_peak_kib(run_notebook(nb=bare, cwd=work, extra_cells=[_RUSAGE])))
        for path in lessons():
            peaks[path.name].append(_peak_kib(run_notebook(path, extra_cells=[_RUSAGE])))
        log(f"P4 run {i + 1}/{repeat}: bare kernel {baseline[-1] / 1024:.0f} MiB")
    base = statistics.median(baseline) / 1024
    return [
        Line("P4", f"kernel peak memory, {name}", statistics.median(v) / 1024, base, "MiB") for name, v in peaks.items()
    ]


# --- P5 -------------------------------------------------------------------------------


def bench_p5(repeat: int, work: Path) -> list[Line | Limit | Note]:
    """Run All until every widget is shown, per lesson, vs the same lesson reduced to its
    imports and data load; and every widget's dropdown changes in the browser (P2's
    browser part): p50/p95 of first-seen and seen-before states."""
    try:
        from tests.browser import lab_driver as lab
    except ImportError as exc:
        return [Note("P5", f"not measured: the browser machinery is missing ({exc})")]
    from playwright.sync_api import sync_playwright

    from osteo_teach.lessons import widget_specs

    root = lab.copy_notebooks(lab.REPO_NOTEBOOKS, work / "root")
    names = [p.name for p in lessons()]
    for path in lessons():
        _blank_notebook(root / "notebooks" / f"zz_reduced_{path.name}", reduced_source(path))
    times: dict[str, list[float]] = {n: [] for n in [*names, *(f"zz_reduced_{n}" for n in names)]}
    changes: dict[str, list[Any]] = {}

    with sync_playwright() as pw:
        server = lab.start_lab(root, work / "lab")
        browser = lab.launch_browser(pw, home=work / "chromium")
        try:

            def measure(name: str, latency: bool = False) -> None:
                guarded = lab.new_guarded_page(browser)
                try:
                    lab.open_notebook(guarded.page, server, f"notebooks/{name}")
                    seconds = lab.run_all_and_wait(guarded.page)
                    report = lab.notebook_report(guarded.page)
                    if report.errors or report.unrendered:
                        raise RuntimeError(f"{name}: {report.errors or report.unrendered}")
                    times[name].append(seconds)
                    if latency:
                        for lesson, spec in widget_specs():
                            if f"{lesson.id}.ipynb" != name or not spec.label:
                                continue
                            view = lab.widget_outputs(guarded.page, has_label=spec.label).first
                            view.scroll_into_view_if_needed()
                            key = f"{lesson.number} {spec.name}"
                            changes.setdefault(key, []).extend(lab.change_latencies(view, spec.name, passes=2))
                finally:
                    guarded.close()
                    server.shutdown_kernels()

            for i in range(repeat):
                for name in names:
                    measure(f"zz_reduced_{name}")
                    measure(name, latency=True)
                log(f"P5 run {i + 1}/{repeat} done")
        finally:
            browser.close()
            leftovers = server.stop()
            if leftovers:
                print(f"P5  warning: processes left by the lab server: {leftovers}", file=sys.stderr)
    lines: list[Line | Limit | Note] = [
        Line(
            "P5",
            f"run all -> widgets shown, {name} vs imports + data",
            statistics.median(times[name]),
            statistics.median(times[f"zz_reduced_{name}"]),
            "s",
        )
        for name in names
    ]
    for key, measured in changes.items():
        for first_seen, limit, label in ((True, 0.2, "first-seen"), (False, 0.1, "seen before")):
            values = [c.seconds for c in measured if c.first_seen == first_seen]
            if not values:
                continue
            lines.append(
                Note(
                    "P2",
                    f"(info) browser, {key}, {label}: p50 {lab.percentile(values, 50) * 1e3:.0f} ms "
                    f"over {len(values)} changes",
                )
            )
            lines.append(
                Limit("P2", f"browser change -> shown, {key}, {label}, p95", lab.percentile(values, 95), limit, "ms")
            )
    return lines


# --- P6 -------------------------------------------------------------------------------

#: P6 limits (seconds) on this 2-core machine, set after profiling (see the README).
P6_LIMITS = {"make test (warm venv)": 2400.0, "browser tests alone": 1800.0}


def bench_p6() -> list[Limit | Note]:
    """Wall time of the README's test command on a warm venv, and of the browser tests alone."""
    lines: list[Limit | Note] = []
    for label, argv in (
        ("make test (warm venv)", ["make", "test"]),
        ("browser tests alone", [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/browser"]),
    ):
        started = time.perf_counter()
        done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "CI": "true"})
        elapsed = time.perf_counter() - started
        last = (done.stdout.strip().splitlines() or ["(no output)"])[-1]
        log(f"P6 {label}: {elapsed:.0f} s, exit {done.returncode}: {last}")
        if done.returncode != 0:
            lines.append(Note("P6", f"{label}: FAILED ({last})"))
        lines.append(Limit("P6", label, elapsed, P6_LIMITS[label], "s"))
    return lines


# --- main -----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="P1,P2,P3,P4,P5,P6", help="comma-separated subset, e.g. P2,P3")
    parser.add_argument("--repeat-p1", type=int, default=3, help="nbval runs of each side (default 3)")
    parser.add_argument("--changes-p2", type=int, default=30, help="dropdown changes per widget (>= 20; default 30)")
    parser.add_argument("--repeat-p3", type=int, default=9, help="fresh interpreters per side (default 9)")
    parser.add_argument("--repeat-p4", type=int, default=2, help="kernel runs per notebook (default 2)")
    parser.add_argument("--repeat-p5", type=int, default=2, help="browser runs per notebook (default 2)")
    parser.add_argument("--lessons", default="", help="comma-separated notebook prefixes for P1, P4, P5 (e.g. 03,08)")
    parser.add_argument("--profile", default="", help="comma-separated parts to profile (P2)")
    parser.add_argument("--strict", action="store_true", help="exit 1 if any figure misses its target")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--list", action="store_true", help="list the lessons and widgets measured, then stop")
    args = parser.parse_args(argv)
    _LESSONS[:] = [part.strip() for part in args.lessons.split(",") if part.strip()]
    if args.list:
        from osteo_teach.lessons import all_lessons

        for lesson in all_lessons():
            widgets = ", ".join(spec.name for spec in lesson.widgets) or "no widgets"
            print(f"{lesson.id}: {widgets}")
        return 0
    wanted = {part.strip().upper() for part in args.only.split(",") if part.strip()}
    profile = {part.strip().upper() for part in args.profile.split(",") if part.strip()}
    if args.changes_p2 < 20:
        parser.error("--changes-p2 must be at least 20")

    started = time.perf_counter()
    print(
        f"osteo-teach benchmark: {len(lessons())} notebooks, Python {sys.version.split()[0]}, "
        f"{os.cpu_count()} cores; ratio = measured / baseline, medians"
    )
    lines: list[Line | Limit | Note] = []
    failed = False
    with tempfile.TemporaryDirectory(prefix="osteo-bench-") as tmp:
        work = Path(tmp)
        steps: list[tuple[str, Callable[[], Sequence[Line | Limit | Note]]]] = [
            ("P1", lambda: bench_p1(args.repeat_p1, work / "p1")),
            ("P2", lambda: bench_p2(args.changes_p2, "P2" in profile)),
            ("P3", lambda: bench_p3(args.repeat_p3)),
            ("P4", lambda: bench_p4(args.repeat_p4, work / "p4")),
            ("P5", lambda: bench_p5(args.repeat_p5, work / "p5")),
            ("P6", bench_p6),
        ]
        for key, step in steps:
            if key not in wanted:
                continue
            (work / key.lower()).mkdir(exist_ok=True)
            try:
                new = step()
            except Exception as exc:
                failed = True
                print(f"{key:<3} FAILED: {type(exc).__name__}: {exc}")
                continue
            for line in new:
                print(line, flush=True)
            lines.extend(new)
    figures = [line for line in lines if isinstance(line, (Line, Limit)) and "(info)" not in line.label]
    misses = [line for line in figures if line.verdict == "MISS"]
    print(f"{len(figures)} figures, {len(misses)} missed their target; took {time.perf_counter() - started:.0f} s")
    if args.json:
        args.json.write_text(
            json.dumps(
                [
                    {
                        "key": line.key,
                        "label": line.label,
                        "value": line.value,
                        "baseline": getattr(line, "baseline", None),
                        "unit": line.unit,
                        "ratio": getattr(line, "ratio", None),
                        "target": line.target if isinstance(line, Line) else line.limit,
                        "verdict": line.verdict,
                    }
                    for line in lines
                    if isinstance(line, (Line, Limit))
                ],
                indent=2,
            )
        )
    return 1 if failed or (args.strict and misses) else 0


if __name__ == "__main__":
    sys.exit(main())
