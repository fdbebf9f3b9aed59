"""Accessibility without a browser (WCAG 2.1 AA): alt text, names, contrast, static text.

Everything is found through the lesson registry, so a new lesson is checked
without editing this file:

- every figure a lesson's notebook shows is an ``<img>`` whose alt text is its
  summary, and no output shows a bare PNG (an image a screen reader cannot read);
- every text drawn on every figure (static figures, and every state of every
  widget that draws one) meets WCAG AA contrast (4.5:1) in the classroom and the
  projector styles;
- every control of every declared widget has an accessible name (a description);
  buttons say what they do in words, not only with an icon;
- every declared widget gives its whole content as static text
  (``WidgetSpec.text``), and its lesson's notebook shows it in a checked cell whose
  stored output (what GitHub's preview shows) is that text, up to date;
- the checks fail on broken fixtures (an image without alt, an unlabelled dropdown,
  an icon-only button, yellow text on white).

The browser audits (axe-core in JupyterLab, Notebook 7, Voila, handouts, slides)
and the keyboard test are in ``tests/browser/test_accessibility.py``.
"""

from __future__ import annotations

import html

import nbformat
import pytest

import osteo_teach
from osteo_teach.lessons import Lesson, WidgetSpec, all_lessons, widget_specs
from osteo_teach.style import AA_TEXT, OKABE_ITO, STYLES, contrast_ratio, use_style

from .a11y_checks import (
    contrast_failures,
    images_without_alt,
    recording_figures,
    run_notebook_in_process,
    unnamed_controls,
    widget_tree,
)

LESSONS = list(all_lessons())
SPECS = widget_specs()
SPEC_IDS = [f"{lesson.number}-{spec.name}" for lesson, spec in SPECS]
STYLE_NAMES = list(STYLES)


@pytest.fixture(scope="module")
def course():
    return osteo_teach.load()


@pytest.fixture
def restore_style():
    import matplotlib as mpl

    from osteo_teach.style import current_style

    saved, name = mpl.rcParams.copy(), current_style()
    yield
    mpl.rcParams.update(saved)
    use_style(name)


# --- the checks themselves ------------------------------------------------------------


def test_contrast_ratio_matches_wcag():
    assert contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast_ratio("#FFFFFF", "#FFFFFF") == pytest.approx(1.0)
    assert contrast_ratio("#767676", "#FFFFFF") == pytest.approx(4.54, abs=0.01)  # the lightest AA grey
    assert contrast_ratio(OKABE_ITO["blue"], "#FFFFFF") > AA_TEXT > contrast_ratio(OKABE_ITO["vermillion"], "#FFFFFF")


def test_the_checks_fail_on_broken_fixtures(restore_style):
    """An image without alt, an unlabelled dropdown, an icon-only button, yellow text: each is caught."""
    import ipywidgets as w

    from osteo_teach.plots import new_figure

    assert images_without_alt('<p>x</p><img src="data:image/png;base64,AAAA">') != []
    assert images_without_alt('<img src="a.png" alt="">') != []
    assert images_without_alt('<img alt="A rising line." src="a.png">') == []
    assert unnamed_controls(w.VBox([w.Dropdown(options=["a", "b"])])) != []
    assert unnamed_controls(w.HBox([w.Button(icon="arrow-right")])) != []
    assert (
        unnamed_controls(w.VBox([w.Dropdown(description="Site:", options=["a"]), w.Button(description="Next")])) == []
    )
    use_style("classroom")
    figure = new_figure(4, 3)
    ax = figure.add_subplot()
    ax.set_title("readable title")
    ax.text(0.1, 0.5, "yellow label", color=OKABE_ITO["yellow"])
    failures = contrast_failures(figure)
    assert len(failures) == 1 and "yellow label" in failures[0], failures


# --- figures: alt text and contrast -------------------------------------------------


@pytest.mark.parametrize("style", STYLE_NAMES)
@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_every_figure_a_lesson_shows_has_alt_text_and_aa_contrast(lesson: Lesson, style: str, restore_style):
    """Run the lesson's code as a kernel would (in-process); check what it displays and draws."""
    failures: list[str] = []

    def on_figure(figure, png, cell):
        failures.extend(f"cell {cell}: {problem}" for problem in contrast_failures(figure, png))

    run = run_notebook_in_process(lesson.notebook, style, on_figure)
    bare = [sorted(bundle) for bundle in run.bundles if "image/png" in bundle and "text/html" not in bundle]
    assert bare == [], "an output shows a PNG without alt text (display a SummarisedFigure instead)"
    for bundle in run.bundles:
        assert images_without_alt(str(bundle.get("text/html", ""))) == []
    for widget in run.widgets:
        for item in widget_tree(widget):
            assert images_without_alt(str(getattr(item, "value", "")) if hasattr(item, "value") else "") == []
            assert type(item).__name__ not in ("Image",), "an ipywidgets.Image has no alt text: use FigurePanel"
    assert failures == [], f"{lesson.id} ({style}): text below WCAG AA contrast:\n" + "\n".join(failures)


FIGURE_SPECS = [(lesson, spec) for lesson, spec in SPECS if spec.draws_figure]


@pytest.mark.parametrize("style", STYLE_NAMES)
@pytest.mark.parametrize(
    ("lesson", "spec"), FIGURE_SPECS, ids=[f"{lesson.number}-{spec.name}" for lesson, spec in FIGURE_SPECS]
)
def test_every_state_of_a_figure_widget_has_alt_text_and_aa_contrast(
    lesson: Lesson, spec: WidgetSpec, style: str, course, restore_style
):
    use_style(style)
    failures: list[str] = []
    with recording_figures() as drawn:
        widget = spec.build(course)
        states = 0
        for state in spec.states(widget):
            states += 1
            for figure, png in drawn:
                failures.extend(f"{state}: {problem}" for problem in contrast_failures(figure, png))
            drawn.clear()
            images = [
                item.value
                for item in widget_tree(widget)
                if "ot-figure" in getattr(item, "_dom_classes", ()) and getattr(item, "value", "")
            ]
            assert images, f"{state}: no figure image shown"
            summary = str(getattr(widget, "summary", ""))
            for markup in images:
                assert images_without_alt(markup) == [], state
                if summary:
                    alt = f'alt="{html.escape(summary, quote=True)}"'
                    assert alt in markup, f"{state}: the alt text is not the summary"
    assert states > 1
    assert failures == [], f"{lesson.id} {spec.name} ({style}): text below WCAG AA contrast:\n" + "\n".join(
        dict.fromkeys(failures)
    )


# --- widgets: names and messages ------------------------------------------------------


@pytest.mark.parametrize(("lesson", "spec"), SPECS, ids=SPEC_IDS)
def test_every_control_of_every_widget_has_an_accessible_name(lesson: Lesson, spec: WidgetSpec, course):
    widget = spec.build(course)
    root = widget.widget() if callable(getattr(widget, "widget", None)) else widget
    trees = [root, *([widget.by_lesson()] if hasattr(widget, "by_lesson") else [])]
    for tree in trees:
        assert unnamed_controls(tree) == [], f"{lesson.id} {spec.name}"
    for control in spec.controls(widget):
        assert (control.description or "").strip(), f"{lesson.id} {spec.name}: a control without a name"


def test_error_messages_are_announced_as_alerts():
    from osteo_teach.widgets import error_html

    assert 'role="alert"' in error_html("unknown fracture site 'knee'")


# --- static text: nothing essential only inside a widget ------------------------------


@pytest.mark.parametrize(("lesson", "spec"), SPECS, ids=SPEC_IDS)
def test_every_widget_gives_its_content_as_static_text(lesson: Lesson, spec: WidgetSpec, course):
    assert spec.text is not None, (
        f"{lesson.id}: widget {spec.name} has no static text; give its WidgetSpec text=<function of the course "
        "returning everything it can show, as text> (see osteo_teach/lessons.py)"
    )
    shown = lesson.widget_text(spec.name, course)
    assert len(str(shown)) > 200 and str(shown).startswith(spec.text_title)
    assert 'class="ot-static-text"' in shown._repr_html_()
    assert "<summary" in shown._repr_html_() and images_without_alt(shown._repr_html_()) == []


def _static_text_cell(lesson: Lesson, name: str):
    nb = nbformat.read(lesson.notebook, as_version=4)
    call = f'ot.lesson("{lesson.id}").widget_text("{name}", course)'
    return [c for c in nb.cells if c.cell_type == "code" and call in c.source], call


@pytest.mark.parametrize(("lesson", "spec"), SPECS, ids=SPEC_IDS)
def test_each_lesson_shows_its_widgets_static_text_in_a_checked_cell(lesson: Lesson, spec: WidgetSpec, course):
    """The stored output is what GitHub's preview and a text reader show: it must be the current text."""
    cells, call = _static_text_cell(lesson, spec.name)
    assert cells, f"notebooks/{lesson.id}.ipynb: add a cell '# NBVAL_CHECK_OUTPUT' + '{call}' after the widget"
    cell = cells[0]
    assert "# NBVAL_CHECK_OUTPUT" in cell.source, "mark the cell # NBVAL_CHECK_OUTPUT so its output is stored"
    stored = [o for o in cell.outputs if o.output_type == "execute_result"]
    assert stored, f"run tools/nbclean.py --execute notebooks/{lesson.id}.ipynb to store the static text"
    expected = lesson.widget_text(spec.name, course)
    assert stored[0].data["text/plain"] == repr(expected).rstrip("\n"), (
        f"the stored static text of {spec.name} is out of date: run tools/nbclean.py --execute "
        f"notebooks/{lesson.id}.ipynb"
    )
    assert stored[0].data["text/html"] == expected._repr_html_()


def test_a_widget_without_static_text_is_named():
    import dataclasses

    lesson, spec = SPECS[0]
    bare = dataclasses.replace(lesson, widgets=(dataclasses.replace(spec, text=None),))
    with pytest.raises(ValueError, match="declares no static text"):
        bare.widget_text(spec.name, osteo_teach.load())
    with pytest.raises(KeyError, match="declares no widget 'Nope'"):
        bare.widget("Nope")


# --- make lab: no news prompt over the notebook ------------------------------------------


def test_make_lab_switches_the_news_prompt_off(tmp_path):
    """make lab writes the settings; JupyterLab's own settings reader applies them as defaults."""
    from jupyterlab_server.settings_utils import _get_overrides

    from osteo_teach.lab import install_lab_settings

    written = install_lab_settings(tmp_path)
    assert written == tmp_path / "share/jupyter/lab/settings/overrides.d/osteo-teach.json"
    overrides, error = _get_overrides(str(tmp_path / "share/jupyter/lab/settings"))
    assert error == ""
    assert overrides["@jupyterlab/apputils-extension:notification"] == {"fetchNews": "false", "checkForUpdates": False}
    assert install_lab_settings(tmp_path) == written  # idempotent
