"""The lesson registry: every lesson, its notebook, data, widgets, quiz section and sources.

A lesson is a notebook (``notebooks/<id>.ipynb``), its data (``data/*.yaml``),
one topic module and one test file. The topic module declares the lesson::

    LESSON = Lesson(
        id="03_healing_timelines",
        title="Healing timelines",
        summary="How bone heals, how long it takes, and what happens after each treatment.",
        data_files=("healing_phases", "fracture_sites", "pathways"),
        widgets=(WidgetSpec("TimelineExplorer", build=..., controls=...),),
        sources=source_keys,
    )

and everything else learns about it here: the start notebook's map, the quiz's
lesson check, the notebook hygiene, quiz and browser tests, the robustness
tests, Voila's list and the benchmark. Nothing lists lesson numbers or widget
names by hand; a new topic module with a ``LESSON`` is found by
:func:`all_lessons`, and a lesson's own record models (``tables``) are loaded
and checked with the rest of ``data/``.

Widgets are *declared*, not discovered: each :class:`WidgetSpec` says how a
notebook builds the widget and which controls a student changes, so tests and
the benchmark drive every option the way a student does, and a widget that
fails to build fails loudly.

Taught in: ``notebooks/00_start_here.ipynb`` (the map of the course).
"""

from __future__ import annotations

import functools
import html
import importlib
import pkgutil
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the registry is read before data is loaded; no import cycle at run time
    import ipywidgets

    from .data import CourseData
    from .records import Record

__all__ = [
    "Lesson",
    "WidgetSpec",
    "NOTEBOOKS_DIR",
    "all_lessons",
    "lesson",
    "lesson_tables",
    "widget_specs",
    "voila_command",
    "course_map_text",
    "course_map_html",
    "course_map",
    "control_states",
    "control_values",
]

#: Where the notebooks live (next to the package).
NOTEBOOKS_DIR = Path(__file__).resolve().parent.parent / "notebooks"

#: Modules that are not topic modules (no lesson is declared there).
_CORE_MODULES = frozenset({"__main__", "cite", "data", "lab", "lessons", "plots", "records", "style", "widgets"})


@dataclass(frozen=True)
class WidgetSpec:
    """One widget a lesson shows: how a notebook builds it, and what a student changes.

    ``build(course)`` builds the widget as the notebook does. ``controls(widget)``
    returns its choice controls (dropdowns, checkboxes, radio buttons) in display
    order; later controls may depend on earlier ones (a site, then its treatments).
    ``shows(widget)`` returns what a change should alter (PNG bytes or text), and
    ``label`` is the first control's description, by which a browser test finds
    the widget on the page.

    ``text(course)`` is everything the widget can show, as static text built from
    the same data (a :class:`~osteo_teach.cite.TextAndHtml`, or a plain string):
    what a screen reader, a printed handout and GitHub's preview of the notebook
    show, so that nothing essential exists only inside a widget. The lesson's
    notebook shows it in a checked cell, ``ot.lesson(...).widget_text(name, course)``
    (tests/test_accessibility.py checks both). ``text_title`` is the line it is
    folded under.
    """

    name: str
    build: Callable[[CourseData], Any]
    controls: Callable[[Any], Sequence[ipywidgets.ValueWidget]]
    shows: Callable[[Any], bytes | str]
    label: str
    draws_figure: bool = False
    #: The controls do not depend on one another (the quiz's questions): walk each
    #: control's values in turn instead of every combination.
    independent: bool = False
    #: The shown output produced again, directly, by the pure functions from the
    #: widget's current choices: what a fresh draw gives (tests compare; the
    #: benchmark times it as the baseline). ``None``: the widget has no pure twin.
    direct: Callable[[Any], bytes | str] | None = None
    error: Callable[[Any], str | None] = field(default=lambda widget: getattr(widget, "error", None))
    #: Everything the widget can show, as static text (see the class docstring).
    text: Callable[[CourseData], Any] | None = None
    text_title: str = "Everything the widget above can show, as text"

    def states(self, widget: Any) -> Iterator[tuple[Any, ...]]:
        """Set every state a student can reach in ``widget``, yielding the values set."""
        if self.independent:
            yield from _each_value(self.controls(widget))
        else:
            yield from control_states(lambda: self.controls(widget))


@dataclass(frozen=True)
class Lesson:
    """One lesson of the course (see the module docstring)."""

    id: str
    title: str
    summary: str
    data_files: tuple[str, ...] = ()
    widgets: tuple[WidgetSpec, ...] = ()
    #: Whether the self-check quiz has a section for this lesson.
    quiz: bool = True
    #: Source keys behind what the lesson shows (its reading list), in order.
    sources: Callable[[CourseData], Iterable[str]] | None = None
    #: Data files that only this lesson uses, with their record models.
    tables: Mapping[str, type[Record]] = field(default_factory=dict)
    #: Whether the lesson makes sense as a Voila app (it has widgets, or is the quiz).
    voila: bool | None = None
    module: str = ""

    @property
    def notebook(self) -> Path:
        """``notebooks/<id>.ipynb``."""
        return NOTEBOOKS_DIR / f"{self.id}.ipynb"

    @property
    def number(self) -> str:
        """The lesson's number as written in its file name (``03``)."""
        return self.id.split("_", 1)[0]

    @property
    def in_voila(self) -> bool:
        return bool(self.widgets) if self.voila is None else self.voila

    def widget(self, name: str) -> WidgetSpec:
        """One of the lesson's declared widgets, by name; unknown names list the lesson's widgets."""
        for spec in self.widgets:
            if spec.name == name:
                return spec
        known = ", ".join(spec.name for spec in self.widgets) or "none"
        raise KeyError(f"lesson '{self.id}' declares no widget '{name}': its widgets are {known}")

    def widget_text(self, name: str, course: CourseData) -> Any:
        """A widget's whole content as static text (``WidgetSpec.text``), folded under its title.

        Shows as HTML in a notebook (a ``<details>`` block a screen reader can open,
        kept open in printed handouts) and prints as plain text, so a checked cell
        stores both: GitHub's preview and nbval read them.
        """
        from .cite import TextAndHtml
        from .widgets import static_text_html

        spec = self.widget(name)
        if spec.text is None:
            raise ValueError(
                f"widget '{name}' of lesson '{self.id}' declares no static text: give its WidgetSpec a "
                "text=... function (everything it can show, as text)"
            )
        content = spec.text(course)
        text = str(content)
        rich = getattr(content, "_repr_html_", None)
        body = rich() if callable(rich) else None
        return TextAndHtml(f"{spec.text_title}\n\n{text}", static_text_html(spec.text_title, text, body))

    def reading_list(self, course: CourseData) -> str:
        """The numbered reference list for the lesson's "Sources" section."""
        keys = list(self.sources(course)) if self.sources else []
        return course.reading_list(keys)


def _topic_modules() -> Iterator[str]:
    package = importlib.import_module("osteo_teach")
    for info in pkgutil.iter_modules(package.__path__):
        if info.name not in _CORE_MODULES and not info.name.startswith("_") and not info.ispkg:
            yield f"osteo_teach.{info.name}"


@functools.cache
def all_lessons() -> tuple[Lesson, ...]:
    """Every lesson declared by a topic module (``LESSON = Lesson(...)``), in lesson order.

    Two modules declaring the same lesson id is an error, named here.
    """
    found: dict[str, Lesson] = {}
    for name in _topic_modules():
        module = importlib.import_module(name)
        declared = getattr(module, "LESSON", None)
        if declared is None:
            continue
        if not isinstance(declared, Lesson):
            raise TypeError(f"{name}.LESSON must be an osteo_teach.lessons.Lesson, found {type(declared).__name__}")
        if declared.id in found:
            raise ValueError(f"lesson '{declared.id}' is declared twice: in {found[declared.id].module} and {name}")
        found[declared.id] = _with_module(declared, name)
    return tuple(sorted(found.values(), key=lambda lesson: lesson.id))


def _with_module(declared: Lesson, module: str) -> Lesson:
    from dataclasses import replace

    return replace(declared, module=module)


def lesson(lesson_id: str) -> Lesson:
    """One lesson by id (``"03_healing_timelines"``); unknown ids list the known ones."""
    for candidate in all_lessons():
        if candidate.id == lesson_id:
            return candidate
    raise KeyError(f"unknown lesson '{lesson_id}': expected one of {', '.join(x.id for x in all_lessons())}")


def lesson_tables() -> dict[str, type[Record]]:
    """The data files that lessons add, with their record models (loaded after the core files)."""
    tables: dict[str, type[Record]] = {}
    for item in all_lessons():
        for name, model in item.tables.items():
            if name in tables and tables[name] is not model:
                raise ValueError(f"data/{name}.yaml is declared by two lessons with different models")
            tables[name] = model
    return tables


def voila_command(lesson: Lesson, port: int = 8866) -> str:
    """The README's command that serves one lesson as a Voila app on 127.0.0.1."""
    return f".venv/bin/python -m voila notebooks/{lesson.id}.ipynb --no-browser --port={port} --Voila.ip=127.0.0.1"


def widget_specs() -> list[tuple[Lesson, WidgetSpec]]:
    """Every declared widget with its lesson, in lesson order."""
    return [(item, spec) for item in all_lessons() for spec in item.widgets]


def control_states(controls: Callable[[], Sequence[ipywidgets.ValueWidget]]) -> Iterator[tuple[Any, ...]]:
    """Walk every combination of the controls' values, as a student could reach them.

    ``controls()`` is called again after each change, so a control whose options
    depend on an earlier one (a site's treatments) is walked with the options it
    has at that moment. Yields the tuple of values set, after setting them.
    """

    def walk(index: int, chosen: tuple[Any, ...]) -> Iterator[tuple[Any, ...]]:
        current = list(controls())
        if index == len(current):
            yield chosen
            return
        for value in control_values(current[index]):
            current[index].value = value
            yield from walk(index + 1, (*chosen, value))

    yield from walk(0, ())


def _each_value(controls: Sequence[ipywidgets.ValueWidget]) -> Iterator[tuple[Any, ...]]:
    for control in controls:
        for value in control_values(control):
            control.value = value
            yield (value,)


def control_values(control: ipywidgets.ValueWidget) -> list[Any]:
    """The values a choice control can take (option labels dropped; a checkbox: False, True)."""
    import ipywidgets

    if isinstance(control, (ipywidgets.Checkbox, ipywidgets.ToggleButton)):
        return [False, True]
    options = getattr(control, "options", ())
    return [option[1] if isinstance(option, tuple) else option for option in options]


# --- the course map (start notebook) ------------------------------------------------


def course_map_text() -> str:
    """Every lesson with its summary and widgets, as text."""
    lines = []
    for item in all_lessons():
        widgets = f" Widgets: {', '.join(s.name for s in item.widgets)}." if item.widgets else ""
        lines.append(f"{item.id}: {item.title}. {item.summary}{widgets}")
    return "\n".join(lines) + "\n"


def course_map_html() -> str:
    """The course map as a table with links to each notebook."""
    from .cite import table_html

    rows = []
    for item in all_lessons():
        link = f"<a href='{html.escape(item.id)}.ipynb'>{html.escape(item.title)}</a>"
        widgets = ", ".join(s.name for s in item.widgets) or "none"
        rows.append(
            f"<tr><th scope='row'>{html.escape(item.number)}</th><td>{link}</td>"
            f"<td>{html.escape(item.summary)}</td><td>{html.escape(widgets)}</td></tr>"
        )
    return table_html("ot-map", ("#", "Lesson", "What you learn", "Widgets"), rows, caption="The lessons")


def course_map() -> Any:
    """The course map: HTML in a notebook, text when printed."""
    from .cite import TextAndHtml

    return TextAndHtml(course_map_text(), course_map_html())
