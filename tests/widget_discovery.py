"""Find every interactive widget the package offers, and every choice it has.

Shared by the robustness tests (every combination of every dropdown) and by
``benchmarks/run.py`` (change -> redraw timing), so that a widget added to
``osteo_teach`` later is exercised and measured without editing either.

A widget is a public class defined in an ``osteo_teach`` module that can be
built with default arguments and holds at least one choice control (a
``Dropdown``, ``RadioButtons``, ``ToggleButtons``, ``Select`` or ``Checkbox``:
directly, in its children, or in objects it keeps), or a public function with
default arguments whose return annotation names a widget, returning such an
object.
"""

from __future__ import annotations

import importlib
import inspect
import math
import pkgutil
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import ipywidgets

import osteo_teach

#: Modules that start servers or print: never scanned for widgets.
SKIP_MODULES = {"osteo_teach.__main__", "osteo_teach.lab"}

#: Names of builder functions whose return annotation suggests a widget.
_WIDGET_ANNOTATION = re.compile(r"widget|Box|Explorer|Stepper|Quiz|Panel", re.IGNORECASE)


#: Controls with a finite set of values a student can choose from.
CHOICE_CONTROLS = (
    ipywidgets.Dropdown,
    ipywidgets.RadioButtons,
    ipywidgets.ToggleButtons,
    ipywidgets.Select,
    ipywidgets.Checkbox,
    ipywidgets.ToggleButton,
)


@dataclass
class FoundWidget:
    """One widget instance, how it was made, and its choice controls in display order."""

    name: str
    make: Callable[[], Any]
    instance: Any
    controls: list[ipywidgets.ValueWidget]

    @property
    def dropdowns(self) -> list[ipywidgets.Dropdown]:
        return [c for c in self.controls if isinstance(c, ipywidgets.Dropdown)]

    def fresh(self) -> FoundWidget:
        """A new instance of the same widget (tests change it; the shared one stays put)."""
        instance = self.make()
        return FoundWidget(self.name, self.make, instance, controls_of(instance))

    def figure_panel(self) -> Any | None:
        """The widget's FigurePanel, if it draws a figure."""
        from osteo_teach.widgets import FigurePanel

        for value in _walk(self.instance):
            if isinstance(value, FigurePanel):
                return value
        return None


def _all_defaults(func: Callable[..., Any]) -> bool:
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):
        return False
    return all(
        p.default is not inspect.Parameter.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        for p in signature.parameters.values()
    )


def _walk(root: Any, depth: int = 4) -> Iterator[Any]:
    """Objects reachable from ``root`` through widget children and instance attributes."""
    seen: set[int] = set()
    stack: list[tuple[Any, int]] = [(root, 0)]
    while stack:
        item, level = stack.pop(0)
        if id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        if level >= depth:
            continue
        nested: list[Any] = []
        if isinstance(item, ipywidgets.Box):
            nested.extend(item.children)
        if isinstance(item, (list, tuple)):
            nested.extend(item)
        elif isinstance(item, dict):
            nested.extend(item.values())
        elif hasattr(item, "__dict__") and (
            isinstance(item, ipywidgets.Widget) or type(item).__module__.startswith("osteo_teach")
        ):
            nested.extend(
                value
                for name, value in vars(item).items()
                if not name.startswith("_trait") and not name.startswith("_property")
                and (isinstance(value, (ipywidgets.Widget, list, tuple, dict))
                     or type(value).__module__.startswith("osteo_teach"))
            )
        stack.extend((value, level + 1) for value in nested)


def controls_of(instance: Any) -> list[ipywidgets.ValueWidget]:
    """Every choice control in ``instance``, breadth first (roughly as a student sees them)."""
    return [value for value in _walk(instance) if isinstance(value, CHOICE_CONTROLS)]


def shown_errors(instance: Any) -> list[str]:
    """Error messages the widget shows: ``.error`` attributes and ``ot-error`` HTML boxes."""
    found = []
    for value in _walk(instance, depth=6):
        error = getattr(value, "error", None) if not isinstance(value, type) else None
        if isinstance(error, str) and error:
            found.append(error)
        if isinstance(value, ipywidgets.HTML) and 'class="ot-error"' in value.value:
            found.append(value.value)
    return found


def _candidates() -> Iterator[tuple[str, Callable[[], Any]]]:
    for info in sorted(pkgutil.iter_modules(osteo_teach.__path__), key=lambda i: i.name):
        module_name = f"osteo_teach.{info.name}"
        if module_name in SKIP_MODULES:
            continue
        module = importlib.import_module(module_name)
        for name, obj in sorted(vars(module).items()):
            if name.startswith("_") or getattr(obj, "__module__", None) != module_name:
                continue
            if inspect.isclass(obj):
                if issubclass(obj, BaseException) or not _all_defaults(obj):
                    continue
                yield f"{module_name}.{name}", obj
            elif inspect.isfunction(obj) and _all_defaults(obj):
                annotation = str(inspect.signature(obj).return_annotation)
                if _WIDGET_ANNOTATION.search(annotation):
                    yield f"{module_name}.{name}()", obj


def discover_widgets() -> list[FoundWidget]:
    """Build every widget of the package with its defaults; keep those with dropdowns.

    Classes whose default construction fails are not widgets (e.g. need data
    passed in) and are skipped; a widget class that fails is caught by its own
    unit tests, and by the notebooks that show it.
    """
    found: list[FoundWidget] = []
    for name, make in _candidates():
        try:
            instance = make()
        except Exception:  # noqa: BLE001 - not buildable with defaults: not a widget
            continue
        controls = controls_of(instance)
        if controls:
            found.append(FoundWidget(name, make, instance, controls))
    # A class and its builder function give the same widget: keep one entry per type.
    unique: dict[type, FoundWidget] = {}
    for item in found:
        unique.setdefault(type(item.instance), item)
    return list(unique.values())


def combinations(widget: FoundWidget) -> Iterator[tuple[tuple[str, Any], ...]]:
    """Set every combination of the widget's control values; yield each as it is shown.

    Later dropdowns may change their options when an earlier one changes (the
    comparison's aspects depend on the pair), so this walks the choices depth
    first and reads each dropdown's options after setting the ones before it:
    the product of options, as the student can actually reach them.
    """
    controls = widget.controls

    def visit(index: int, chosen: tuple[tuple[str, Any], ...]):
        if index == len(controls):
            yield chosen
            return
        control = controls[index]
        for value in list(_values(control)):
            if control.value != value:
                control.value = value
            yield from visit(index + 1, chosen + ((control.description or f"#{index}", value),))

    yield from visit(0, ())


def each_value(widget: FoundWidget) -> Iterator[tuple[str, Any]]:
    """Set every value of every control, one control at a time (the others as they are).

    For widgets whose controls are independent of one another (the quiz: one
    card per question), where the full product would be astronomically large.
    """
    for index, control in enumerate(widget.controls):
        for value in _values(control):
            if control.value != value:
                control.value = value
            yield (control.description or f"#{index}", value)


def _values(control: ipywidgets.ValueWidget) -> list[Any]:
    """The values a control can take (labels dropped)."""
    if isinstance(control, (ipywidgets.Checkbox, ipywidgets.ToggleButton)):
        return [False, True]
    values = getattr(control, "_options_values", None)
    if values is not None:
        return list(values)
    return [option[1] if isinstance(option, tuple) else option for option in control.options]


def count_combinations(widget: FoundWidget) -> int:
    """An upper bound: the plain product of the current option counts."""
    return math.prod(len(_values(c)) for c in widget.controls)
