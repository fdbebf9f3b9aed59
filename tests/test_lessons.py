"""The lesson registry: one declaration per lesson, read by everything else.

The last test adds a throwaway lesson (a notebook, a data file, a topic module
and a test file) to a temporary copy of the repository and shows that the start
page's map, the quiz, the hygiene and browser tests, nbval and the benchmark
all see it, with no edit anywhere else.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest

import osteo_teach as ot
from osteo_teach import lessons
from osteo_teach.data import load, schemas
from osteo_teach.quiz import Quiz, unknown_lessons
from osteo_teach.records import QuizQuestion

from .conftest import ROOT

LESSONS = lessons.all_lessons()


def test_every_lesson_is_declared_once_in_lesson_order():
    ids = [lesson.id for lesson in LESSONS]
    assert ids == sorted(ids) and len(ids) == len(set(ids))
    assert ids[0] == "00_start_here"
    for lesson in LESSONS:
        assert re.fullmatch(r"\d\d_[a-z0-9_]+", lesson.id)
        assert lesson.module.startswith("osteo_teach."), lesson.module
        assert lesson.title and lesson.summary.endswith(".")


@pytest.mark.parametrize("lesson", LESSONS, ids=[x.id for x in LESSONS])
def test_each_lesson_names_data_that_exists_and_a_reading_list_of_known_sources(lesson):
    course = load()
    for name in lesson.data_files:
        assert name in schemas(), f"{lesson.id}: unknown data file {name}.yaml"
        assert (course.directory / f"{name}.yaml").is_file()
    keys = list(lesson.sources(course)) if lesson.sources else []
    assert keys, f"{lesson.id}: a lesson has a reading list"
    for key in keys:
        course.source(key)  # raises for an unknown key
    assert lesson.reading_list(course).startswith("1. [")


@pytest.mark.parametrize("lesson", LESSONS, ids=[x.id for x in LESSONS])
def test_every_source_a_lesson_prints_is_in_its_reading_list(lesson):
    """The stored (nbval-checked) outputs cite keys "[a, b]": each is in the Sources section."""
    nb = nbformat.read(lesson.notebook, as_version=4)
    known = set(load().table("sources"))
    printed: set[str] = set()
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            text = output.get("text", "") or output.get("data", {}).get("text/plain", "")
            for group in re.findall(r"\[([a-z0-9_, ]+)\]", text):
                printed.update(k.strip() for k in group.split(",") if k.strip() in known)
    listed = set(lesson.sources(load())) if lesson.sources else set()
    assert printed <= listed, f"{lesson.id}: printed but not in its reading list: {sorted(printed - listed)}"


def test_every_quiz_question_belongs_to_a_lesson_and_every_quizzed_lesson_has_questions():
    assert unknown_lessons() == []
    quizzed = {q.notebook for q in load().records(QuizQuestion)}
    for lesson in LESSONS:
        assert (lesson.id in quizzed) == lesson.quiz, f"{lesson.id}: quiz={lesson.quiz}"


def test_the_quiz_shows_one_section_per_quizzed_lesson_in_registry_order():
    quiz = Quiz()
    headings = [child.value for child in quiz.by_lesson().children if "<h3>" in getattr(child, "value", "")]
    expected = [f"<h3>{lesson.number}. {lesson.title}</h3>" for lesson in LESSONS if lesson.quiz]
    assert headings == expected


def test_the_course_map_lists_every_lesson_with_a_link():
    text, page = lessons.course_map_text(), lessons.course_map_html()
    for lesson in LESSONS:
        assert lesson.title in text and f"href='{lesson.id}.ipynb'" in page
    assert "<caption" in page and "scope='col'" in page


def test_the_lessons_command_gives_each_app_lesson_the_readmes_voila_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = lessons.voila_command(lessons.lesson("02_fracture_reduction"))
    assert example in readme, "the README's Voila example is the command the package prints"
    done = subprocess.run(
        [sys.executable, "-m", "osteo_teach", "lessons"], capture_output=True, text=True, check=True, cwd=ROOT
    )
    for lesson in LESSONS:
        assert f"{lesson.id}: {lesson.title}." in done.stdout
        assert (lessons.voila_command(lesson) in done.stdout) == lesson.in_voila


def test_an_unknown_lesson_names_the_known_ones():
    with pytest.raises(KeyError, match="unknown lesson 'nope': expected one of 00_start_here"):
        ot.lesson("nope")


def test_loading_the_registry_does_not_import_matplotlib():
    code = "import sys, osteo_teach as ot; ot.load(); ot.all_lessons(); print('matplotlib' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip() == "False", "a topic module imports matplotlib at import time"


# --- a throwaway lesson, added to a copy of the repository ------------------------

THROWAWAY_MODULE = '''
"""A throwaway lesson for the registry test (not part of the course)."""

from __future__ import annotations

import ipywidgets as widgets

from .lessons import Lesson, WidgetSpec
from .records import QuizQuestion, Record, SourcedText


class Example(Record):
    """One example statement."""

    label: str
    statement: SourcedText


class ExampleViewer(widgets.VBox):
    """A dropdown over the examples and the chosen statement."""

    def __init__(self, data) -> None:
        self.data = data
        examples = data.records(Example)
        self.choice = widgets.Dropdown(description="Example:", options=[(e.label, e.id) for e in examples])
        self.shown = widgets.HTML()
        self.error = None
        self.choice.observe(lambda change: self.show(), names="value")
        super().__init__([self.choice, self.shown])
        self.show()

    def show(self) -> None:
        self.shown.value = self.data.record(Example, self.choice.value).statement.text


LESSON = Lesson(
    id="99_throwaway",
    title="Throwaway lesson",
    summary="Checks that a new lesson needs no edit anywhere else.",
    data_files=("throwaway", "throwaway_quiz"),
    tables={"throwaway": Example, "throwaway_quiz": QuizQuestion},
    widgets=(WidgetSpec("ExampleViewer", build=ExampleViewer, controls=lambda w: [w.choice],
                        shows=lambda w: w.shown.value, label="Example:"),),
    sources=lambda course: ["health_library_article"],
)
'''

THROWAWAY_DATA = """
- id: first
  label: First example
  statement: {text: Surgery repairs the fracture., sources: [health_library_article]}
- id: second
  label: Second example
  statement: {text: It does not correct bone loss., sources: [health_library_article]}
"""

THROWAWAY_QUIZ = """
- id: throwaway_question
  notebook: 99_throwaway
  question: Does surgery correct bone loss?
  options:
    - text: "Yes"
      feedback: {text: Surgery repairs the fracture only., sources: [health_library_article]}
    - text: "No"
      correct: true
      feedback: {text: Medication and lifestyle treat bone loss., sources: [health_library_article]}
  explanation: {text: Surgery repairs the fracture; medication and lifestyle treat bone loss., sources: [health_library_article]}
"""

THROWAWAY_TEST = """
from osteo_teach.throwaway import LESSON, ExampleViewer
import osteo_teach


def test_the_viewer_shows_each_example():
    viewer = ExampleViewer(osteo_teach.load())
    viewer.choice.value = "second"
    assert "bone loss" in viewer.shown.value
"""


def _throwaway_notebook() -> nbformat.NotebookNode:
    cells = [
        nbformat.v4.new_markdown_cell(
            "# Throwaway lesson\n\n> For education only, not medical advice.\n\n"
            "**Time:** a few minutes.\n\n## Learning objectives\n\n- See the registry."
        ),
        nbformat.v4.new_code_cell("import osteo_teach as ot\n\ncourse = ot.start()"),
        nbformat.v4.new_code_cell("from osteo_teach.throwaway import ExampleViewer\n\nExampleViewer(course)"),
        nbformat.v4.new_markdown_cell("### Exercise 1 (5 minutes)\n\nChoose the second example."),
        nbformat.v4.new_code_cell("print('the second example')"),
        nbformat.v4.new_markdown_cell("## Key points\n\n- A lesson is four files."),
        nbformat.v4.new_markdown_cell("## Sources"),
        nbformat.v4.new_code_cell("print(ot.lesson('99_throwaway').reading_list(course))"),
    ]
    for cell in cells:
        cell.metadata["slideshow"] = {"slide_type": "-"}
    cells[4].metadata["tags"] = ["solution"]
    cells[4].metadata["jupyter"] = {"source_hidden": True}
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    return nb


def _copy_repository(target: Path) -> Path:
    ignore = shutil.ignore_patterns(
        ".venv", ".git", "build", "__pycache__", ".pytest_cache", "*.egg-info", ".ipynb_checkpoints", "node_modules"
    )
    shutil.copytree(ROOT, target, ignore=ignore)
    return target


def _run(copy: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(copy), OSTEO_TEACH_DATA=str(copy / "data"))
    return subprocess.run([sys.executable, *argv], cwd=copy, env=env, capture_output=True, text=True, timeout=300)


def test_a_new_lesson_is_seen_everywhere_without_editing_anything_else(tmp_path):
    copy = _copy_repository(tmp_path / "repo")
    added = {
        copy / "osteo_teach" / "throwaway.py": textwrap.dedent(THROWAWAY_MODULE),
        copy / "data" / "throwaway.yaml": textwrap.dedent(THROWAWAY_DATA),
        copy / "data" / "throwaway_quiz.yaml": textwrap.dedent(THROWAWAY_QUIZ),
        copy / "tests" / "test_throwaway.py": textwrap.dedent(THROWAWAY_TEST),
    }
    for path, text in added.items():
        path.write_text(text.lstrip(), encoding="utf-8")
    nbformat.write(_throwaway_notebook(), copy / "notebooks" / "99_throwaway.ipynb")

    # The registry, the loader, the start page's map and the quiz see it.
    probe = textwrap.dedent("""
        import json, osteo_teach as ot
        from osteo_teach import lessons
        from osteo_teach.quiz import Quiz, unknown_lessons
        course = ot.load()
        quiz = Quiz(course)
        sections = [c.value for c in quiz.by_lesson().children if "<h3>" in getattr(c, "value", "")]
        print(json.dumps({
            "module": ot.lesson("99_throwaway").module,
            "tables": sorted(course.tables),
            "map": lessons.course_map_text(),
            "quiz": sections,
            "unknown": unknown_lessons(course),
            "widgets": [s.name for _, s in lessons.widget_specs()],
        }))
    """)
    done = _run(copy, "-c", probe)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["module"] == "osteo_teach.throwaway"
    assert {"throwaway", "throwaway_quiz"} <= set(seen["tables"])
    assert "99_throwaway: Throwaway lesson." in seen["map"]
    assert seen["quiz"][-1] == "<h3>99. Throwaway lesson</h3>" and seen["unknown"] == []
    assert "ExampleViewer" in seen["widgets"]

    # The tests: hygiene, robustness (every widget state), browser and nbval collect it.
    collected = _run(
        copy,
        "-m",
        "pytest",
        "--collect-only",
        "-q",
        "-p",
        "no:cacheprovider",
        "tests/test_notebook_hygiene.py",
        "tests/test_robustness.py",
        "tests/browser",
        "tests/test_throwaway.py",
        "notebooks/99_throwaway.ipynb",
    )
    assert collected.returncode == 0, collected.stdout[-3000:] + collected.stderr[-3000:]
    ids = collected.stdout
    assert "test_notebook_is_clean_for_git[99_throwaway.ipynb]" in ids
    assert "test_notebook_has_the_lesson_structure[99_throwaway.ipynb]" in ids
    assert "test_every_reachable_state_of_every_widget_shows_its_output[99-ExampleViewer]" in ids
    assert "test_notebook_runs_in_lab_with_no_error_and_every_widget_rendered[99_throwaway.ipynb]" in ids
    assert "notebooks/99_throwaway.ipynb::Cell" in ids
    assert "tests/test_throwaway.py::test_the_viewer_shows_each_example" in ids

    # ... and they pass for it (hygiene, its own test, every widget state, nbval).
    hygiene = "tests/test_notebook_hygiene.py::test_notebook_{}[99_throwaway.ipynb]"
    ran = _run(
        copy,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        *(hygiene.format(name) for name in ("is_clean_for_git", "has_the_lesson_structure", "prose_types_no_numbers")),
        "tests/test_throwaway.py",
        "notebooks/99_throwaway.ipynb",
        "tests/test_robustness.py::test_every_reachable_state_of_every_widget_shows_its_output[99-ExampleViewer]",
    )
    assert ran.returncode == 0, ran.stdout[-4000:] + ran.stderr[-2000:]
    assert "passed" in ran.stdout and "skipped" not in ran.stdout

    # The benchmark measures it.
    listed = _run(copy, "benchmarks/run.py", "--list")
    assert listed.returncode == 0, listed.stderr
    assert "99_throwaway: ExampleViewer" in listed.stdout


@pytest.mark.parametrize(
    "spec", [spec for _, spec in lessons.widget_specs() if spec.draws_figure], ids=lambda spec: spec.name
)
def test_every_figure_widget_draws_ahead_exactly_what_a_fresh_draw_gives(spec):
    """Shown in a notebook, a figure widget draws every state in the background (issue 16), so that a
    student's first choice of a state shows at once; what it kept is byte-identical to a fresh draw."""
    course = load()
    widget = spec.build(course)
    widget._repr_mimebundle_()  # what displaying it in a notebook does
    widget.panel.wait_ahead(300)
    draws: list[int] = []
    original = widget.panel.figure.clear
    widget.panel.figure.clear = lambda *a, **k: (draws.append(1), original(*a, **k))
    states = 0
    for state in lessons.control_states(lambda: spec.controls(widget)):
        assert spec.direct is not None
        assert spec.direct(widget) == widget.png, f"{spec.name} {state}: drawn ahead differs from a fresh draw"
        states += 1
    assert states > 1
    assert draws == [], f"{spec.name}: {len(draws)} of {states} states were drawn when chosen, not ahead"


def test_drawing_ahead_waits_while_cells_run():
    """During "Run All" (and nbval) the lesson's cells come first: drawing ahead waits for a quiet kernel."""
    import threading
    import time

    from osteo_teach.widgets import QUIET_SECONDS, _CellActivity

    cells = _CellActivity()
    cells._started()
    waiter = threading.Thread(target=cells.wait_quiet, daemon=True)
    waiter.start()
    waiter.join(0.5)
    assert waiter.is_alive(), "a cell is running: no drawing ahead"
    cells._ended()
    ended = time.monotonic()
    waiter.join(5)
    assert not waiter.is_alive()
    assert time.monotonic() - ended >= QUIET_SECONDS * 0.9, "it waits for the kernel to stay quiet a moment"


def _busy(seconds: float) -> None:
    """Keep the processor busy in Python for ``seconds``."""
    import time

    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def _slow_state(progress: list[int], steps: int = 1500, holding: Any = None) -> Callable[[Any], str]:
    """A state drawn ahead in ``steps`` renderer calls, about 1 ms each (``progress[0]`` counts them).

    With ``holding`` (a lock), the whole draw happens with that lock held.
    """
    from matplotlib.artist import Artist
    from matplotlib.font_manager import FontProperties

    class Ticking(Artist):
        def draw(self, renderer: Any) -> None:
            gc = renderer.new_gc()
            font = FontProperties()
            for _ in range(steps):
                # Measured and drawn, as text is: under savefig.bbox "tight" (the classroom
                # style) matplotlib first lays the figure out with its drawing switched off.
                renderer.get_text_width_height_descent("x", font, ismath=False)
                renderer.draw_text(gc, 10, 10, "x", font, 0)
                progress[0] += 1
                _busy(0.001)
            gc.restore()

    def draw(figure: Any) -> str:
        figure.add_artist(Ticking())
        return "drawn ahead"

    if holding is None:
        return draw

    def draw_holding(figure: Any) -> str:
        draw(figure)
        from osteo_teach.plots import render_png

        with holding:
            render_png(figure)
        return "drawn ahead"

    return draw_holding


def _start_drawing_ahead(panel: Any, state: Callable[[Any], str], progress: list[int]) -> None:
    import time

    panel.render_ahead([("ahead", state)])
    started = time.monotonic()
    while progress[0] < 20 and time.monotonic() - started < 10:
        time.sleep(0.01)
    assert progress[0] >= 20, "drawing ahead started"


def _shown_within(panel: Any, change: Callable[[Any], str], seconds: float) -> bool:
    """Whether ``panel.redraw(change)`` finishes within ``seconds`` (run in a thread, so a hang fails)."""
    import threading

    shown = threading.Thread(target=panel.redraw, args=(change, "now"), daemon=True)
    shown.start()
    shown.join(seconds)
    return not shown.is_alive()


def test_drawing_ahead_steps_aside_while_a_change_is_shown():
    """A change shown while a state is drawn ahead gets the processor: the background draw stands still meanwhile."""
    from osteo_teach.widgets import FigurePanel

    progress = [0]
    seen: dict[str, int] = {}

    def change(figure: Any) -> str:
        seen["before"] = progress[0]
        _busy(0.3)
        seen["after"] = progress[0]
        return "shown"

    panel = FigurePanel()
    _start_drawing_ahead(panel, _slow_state(progress), progress)
    panel.redraw(change, key="now")
    assert seen["after"] - seen["before"] <= 2, f"the background moved on while the change was drawn: {seen}"
    panel.wait_ahead(20)
    assert panel.kept("ahead"), "after the change, drawing ahead finished its state"


def test_drawing_ahead_waits_a_moment_after_a_change_is_shown():
    """After a change, the background stays still while the browser takes in the new image."""
    import time

    from osteo_teach.widgets import SETTLE_SECONDS, FigurePanel

    progress = [0]
    panel = FigurePanel()
    _start_drawing_ahead(panel, _slow_state(progress), progress)
    panel.redraw(lambda figure: "shown", key="now")
    shown = progress[0]
    time.sleep(SETTLE_SECONDS * 0.6)
    assert progress[0] - shown <= 2, "drawing ahead went on at once"
    time.sleep(SETTLE_SECONDS * 2)
    assert progress[0] - shown > 20, "drawing ahead went on after the pause"
    panel.wait_ahead(20)


def test_a_change_waiting_for_its_state_drawn_ahead_does_not_wait_out_the_pause(monkeypatch: pytest.MonkeyPatch):
    """Choosing the state being drawn ahead right after another change: that draw goes on at once."""
    import threading
    import time

    import osteo_teach.widgets as widgets_module

    monkeypatch.setattr(widgets_module, "SETTLE_SECONDS", 5.0)
    progress = [0]
    slow = _slow_state(progress, steps=500)
    panel = widgets_module.FigurePanel()
    _start_drawing_ahead(panel, slow, progress)
    panel.redraw(lambda figure: "shown", key="now")  # the pause after a change starts
    started = time.monotonic()
    chosen = threading.Thread(target=panel.redraw, args=(slow, "ahead"), daemon=True)
    chosen.start()
    chosen.join(10)
    took = time.monotonic() - started
    assert not chosen.is_alive() and panel.summary == "drawn ahead"
    # drawing the rest (under 0.5 s here) and no more: not the 5 s pause, nor MAX_PAUSE_SECONDS and a new draw
    assert took < 1.5, f"the change waited {took:.1f} s"


def test_a_paused_draw_ahead_never_holds_up_a_change(monkeypatch: pytest.MonkeyPatch):
    """Paused in the middle of matplotlib's draw, the background must not block a real figure's draw.

    Matplotlib's figures share a render lock; the figures drawn ahead get their
    own. If an upgrade renames that lock, this change waits for the pause to end.
    """
    import osteo_teach.widgets as widgets_module

    monkeypatch.setattr(widgets_module, "MAX_PAUSE_SECONDS", 8.0)
    progress = [0]

    def change(figure: Any) -> str:
        figure.add_subplot().plot([0, 1], [1, 0])
        return "shown"

    panel = widgets_module.FigurePanel()
    _start_drawing_ahead(panel, _slow_state(progress, steps=4000), progress)
    assert _shown_within(panel, change, 4), "the change waited for the paused draw ahead (matplotlib's render lock?)"
    assert panel.summary == "shown"
    panel.wait_ahead(30)


def test_drawing_ahead_never_deadlocks_on_something_the_change_needs(monkeypatch: pytest.MonkeyPatch):
    """Paused holding a lock the change needs, the background goes on after MAX_PAUSE_SECONDS, so the change ends."""
    import threading

    import osteo_teach.widgets as widgets_module

    monkeypatch.setattr(widgets_module, "MAX_PAUSE_SECONDS", 0.3)
    progress = [0]
    shared = threading.Lock()

    def change_needing_the_lock(figure: Any) -> str:
        with shared:
            return "shown"

    panel = widgets_module.FigurePanel()
    _start_drawing_ahead(panel, _slow_state(progress, steps=600, holding=shared), progress)
    assert _shown_within(panel, change_needing_the_lock, 5), "the change waited for the paused draw without end"
    assert panel.summary == "shown"
    panel.wait_ahead(10)
    assert panel.kept("ahead")


def test_drawing_ahead_goes_on_with_the_next_option_of_each_dropdown():
    """A student steps through a dropdown: after each change, its next options are drawn ahead first."""
    from osteo_teach.widgets import draw_ahead_order

    keys = [
        ("wrist", "cast"),
        ("wrist", "plate"),
        ("hip", "fixation"),
        ("vertebra", "non_operative"),
        ("vertebra", "vertebroplasty"),
        ("vertebra", "kyphoplasty"),
    ]
    order = draw_ahead_order(keys, ("vertebra", "non_operative"))
    # the next site (round to the first), the next treatment here, then the previous of each
    assert order[:4] == [
        ("wrist", "cast"),
        ("vertebra", "vertebroplasty"),
        ("hip", "fixation"),
        ("vertebra", "kyphoplasty"),
    ]
    assert sorted(order) == sorted(keys), "every state, once"
    assert draw_ahead_order(keys, ("wrist", "plate"))[:2] == [("hip", "fixation"), ("wrist", "cast")]
    assert draw_ahead_order(keys, None) == keys, "nothing shown yet: the dropdowns' order"
    assert draw_ahead_order(["a", "b", "c", "d"], "c") == ["d", "b", "c", "a"], "one dropdown: next, previous, on round"


def test_drawing_ahead_counts_the_cell_that_shows_the_widget_as_running(monkeypatch: pytest.MonkeyPatch):
    """The widget's own cell started before the hook existed: it still counts as running until it ends."""
    import IPython

    from osteo_teach.widgets import _CellActivity

    registered: dict[str, Any] = {}

    class Events:
        def register(self, name: str, callback: Any) -> None:
            registered[name] = callback

    class Shell:
        events = Events()

    monkeypatch.setattr(IPython, "get_ipython", lambda: Shell())
    cells = _CellActivity()
    cells.hook()
    assert set(registered) == {"pre_run_cell", "post_run_cell"}
    assert cells.running, "hooked from inside a cell: that cell is running"
    registered["post_run_cell"](None)
    assert not cells.running
