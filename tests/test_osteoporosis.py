"""Lesson 01: the WHO categories, the per-SD risk figure, the facts the lesson prints, its exercises.

The clinical rules under test: every T-score falls in exactly one WHO density
category (-1.0 is normal, -2.5 is osteoporosis); severe osteoporosis needs a
fragility fracture as well as the density; the categories are not applied to
people they were not made for; bone density predicts risk as an association
whose intervals lie above 1.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import nbformat
import pytest
from matplotlib.colors import to_hex

from osteo_teach import osteoporosis
from osteo_teach.data import check, load
from osteo_teach.lessons import lesson
from osteo_teach.plots import is_blank_png, new_figure, render_png
from osteo_teach.records import KeyFact
from osteo_teach.style import OKABE_ITO, use_style

from .conftest import DATA

ALLOWED = {c.lower() for c in OKABE_ITO.values()} | {"#ffffff"}
COURSE = load()


def _colours(figure) -> set[str]:
    found: set[str] = set()
    for ax in figure.axes:
        for patch in ax.patches:
            for colour in (patch.get_facecolor(), patch.get_edgecolor()):
                if colour[3] > 0:
                    found.add(to_hex(colour[:3]))
        for line in ax.lines:
            found.add(to_hex(line.get_color()))
        for collection in ax.collections:
            found.update(to_hex(c[:3]) for c in collection.get_edgecolor())
    return found


# --- the WHO categories ---------------------------------------------------------------


def test_every_t_score_falls_in_exactly_one_density_category():
    assert osteoporosis.check_categories(COURSE) == []
    names = [c.id for c in osteoporosis.categories(COURSE)]
    assert names == ["normal", "osteopenia", "osteoporosis", "severe_osteoporosis"]


@pytest.mark.parametrize(
    "t_score, fracture, expected",
    [
        (1.2, False, "normal"),
        (-1.0, False, "normal"),
        (-1.05, False, "osteopenia"),
        (-2.45, False, "osteopenia"),
        (-2.5, False, "osteoporosis"),
        (-3.8, False, "osteoporosis"),
        (-2.5, True, "severe_osteoporosis"),
        (-3.8, True, "severe_osteoporosis"),
        (-1.9, True, "osteopenia"),
        (0.5, True, "normal"),
    ],
)
def test_a_t_score_is_classified_at_the_sources_boundaries(t_score, fracture, expected):
    assert osteoporosis.classify_t_score(t_score, fracture, COURSE).id == expected


def test_severe_osteoporosis_needs_the_density_and_a_fracture():
    severe = COURSE.get("bone_density", "severe_osteoporosis")
    density = COURSE.get("bone_density", "osteoporosis")
    assert severe.with_fragility_fracture and not density.with_fragility_fracture
    assert (severe.t_min, severe.t_max, severe.max_inclusive) == (density.t_min, density.t_max, density.max_inclusive)


@pytest.mark.parametrize("bad", [math.nan, math.inf, "minus two", True, None])
def test_a_value_that_is_not_a_t_score_is_refused_with_a_message(bad):
    with pytest.raises(ValueError, match="a T-score is a finite number"):
        osteoporosis.classify_t_score(bad, data=COURSE)


def _data_with(tmp_path: Path, name: str, text: str) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    (target / f"{name}.yaml").write_text(text, encoding="utf-8")
    return target


def test_overlapping_or_missing_categories_are_reported(tmp_path: Path):
    gap = (DATA / "bone_density.yaml").read_text(encoding="utf-8").replace("  t_min: -1.0\n", "  t_min: -0.5\n", 1)
    course = load(_data_with(tmp_path, "bone_density", gap))
    found = osteoporosis.check_categories(course)
    assert found and all("falls in 0 density categories" in f for f in found), found


def test_an_inverted_range_or_a_patient_page_alone_is_refused_by_the_loader(tmp_path: Path):
    text = (DATA / "bone_density.yaml").read_text(encoding="utf-8")
    inverted = text.replace(
        "  t_min: -2.5\n  min_inclusive: false\n  t_max: -1.0\n",
        "  t_min: -1.0\n  min_inclusive: false\n  t_max: -2.5\n",
    )
    problems = [str(p) for p in check(_data_with(tmp_path / "a", "bone_density", inverted))]
    assert len(problems) == 1 and "inverted range" in problems[0] and "osteopenia" in problems[0], problems
    patient_only = text.replace("    sources: [clinmolallergy_2004_table]\n", "    sources: [ros_primary_care_intro]\n")
    problems = [str(p) for p in check(_data_with(tmp_path / "b", "bone_density", patient_only))]
    assert len(problems) == 1 and "tier P, G or R" in problems[0], problems


@pytest.mark.parametrize("style", ["classroom", "projector"])
def test_the_t_score_figure_draws_every_category_and_the_threshold(style):
    use_style(style)
    try:
        item = osteoporosis.tscore_figure(COURSE)
    finally:
        use_style("classroom")
    figure = item.figure
    assert not is_blank_png(render_png(figure))
    ax = figure.axes[0]
    assert ax.get_title() and "T-score" in ax.get_xlabel()
    texts = " ".join(t.get_text().replace("\n", " ") for t in ax.texts)
    for category in osteoporosis.categories(COURSE):
        assert category.name.split()[0] in texts, category.id
    assert "WHO threshold: T-score -2.5" in texts
    thresholds = [seg[0][0] for c in ax.collections for seg in c.get_segments()]
    assert thresholds == [-2.5], "one dashed threshold line, at -2.5"
    assert _colours(figure) <= ALLOWED, _colours(figure) - ALLOWED
    hatches = {p.get_hatch() for p in ax.patches}
    assert len(hatches) >= 3, "categories differ by hatching too, not only by colour"
    assert "postmenopausal women and men aged 50 and over" in item.summary
    assert "-2.5" in item.summary and item.summary.endswith(".")


def test_the_severe_band_is_drawn_only_in_the_fracture_row():
    figure = new_figure()
    osteoporosis.draw_tscore_categories(figure, COURSE)
    ax = figure.axes[0]
    purple = OKABE_ITO["reddish_purple"].lower()
    severe = [p for p in ax.patches if to_hex(p.get_facecolor()[:3]) == purple]
    assert severe and all(p.get_y() < 0.5 for p in severe), "severe osteoporosis only where there is a fracture"
    assert all(p.get_x() + p.get_width() <= -2.5 + 1e-9 for p in severe)


# --- the per-SD relative risk ------------------------------------------------------


@pytest.mark.parametrize("style", ["classroom", "projector"])
def test_the_risk_figure_draws_each_estimate_inside_its_interval_against_one(style):
    use_style(style)
    try:
        item = osteoporosis.bmd_risk_figure(COURSE)
    finally:
        use_style("classroom")
    ax = item.figure.axes[0]
    assert not is_blank_png(render_png(item.figure))
    assert ax.get_xscale() == "log" and "95% CI" in ax.get_xlabel()
    risks = osteoporosis.bmd_risks(COURSE)
    pairs = [tuple(float(x) for x in line.get_xdata()) for line in ax.lines if len(line.get_xdata()) == 2]
    intervals = [p for p in pairs if p[0] != p[1]]
    assert sorted(intervals) == sorted((r.ci.low, r.ci.high) for r in risks)
    assert any(tuple(line.get_xdata()) == (1.0, 1.0) for line in ax.lines), "the no-difference line at 1"
    for risk in risks:
        assert 1 < risk.ci.low <= risk.relative_risk <= risk.ci.high
        assert f"{risk.relative_risk:.1f} (95% CI {risk.ci.low:.1f} to {risk.ci.high:.1f})" in item.summary
    assert _colours(item.figure) <= ALLOWED
    assert "women" in item.summary


def test_the_risk_text_names_the_people_studied_and_the_source():
    text = osteoporosis.bmd_risk_text(COURSE)
    assert "People studied: women" in text and "[marshall1996_bmj]" in text
    assert COURSE.fact("bmd_predicts_not_identifies").endswith("[marshall1996_bmj]")


def test_a_relative_risk_outside_its_interval_is_refused(tmp_path: Path):
    text = (
        (DATA / "bmd_fracture_risk.yaml")
        .read_text(encoding="utf-8")
        .replace("relative_risk: 2.3", "relative_risk: 3.3")
    )
    problems = [str(p) for p in check(_data_with(tmp_path, "bmd_fracture_risk", text))]
    assert len(problems) == 1 and "must lie inside its interval" in problems[0], problems


# --- what the lesson prints ----------------------------------------------------------


def test_every_section_the_notebook_prints_exists_and_is_printed():
    nb = nbformat.read(lesson("01_osteoporosis_and_fractures").notebook, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    outputs = "\n".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    for section, fact_ids in osteoporosis.FACTS.items():
        assert f'facts_text(course, "{section}")' in code, section
        for fact_id in fact_ids:
            assert COURSE.record(KeyFact, fact_id).statement.text in outputs, fact_id


def test_the_reading_list_holds_every_source_the_lesson_shows():
    keys = list(lesson("01_osteoporosis_and_fractures").sources(COURSE))
    assert keys[0] == "health_library_article"
    for needed in (
        "nice_cg146_intro",
        "marshall1996_bmj",
        "clinmolallergy_2004_table",
        "wells2008_cochrane_alendronate",
    ):
        assert needed in keys
    assert len(keys) == len(set(keys))


def test_the_numbers_come_with_their_measure_and_population():
    alendronate = COURSE.record(KeyFact, "alendronate_effect")
    assert alendronate.value == 0.55 and alendronate.unit == "ratio"
    assert "postmenopausal women" in alendronate.statement.text and "95% CI 0.45 to 0.67" in alendronate.statement.text
    assert "two points, not a curve" in COURSE.fact("osteoporosis_prevalence_women")
    assert "postmenopausal women and men aged 50 and over" in COURSE.fact("tscore_population")


# --- exercises -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "solve", [osteoporosis.solution_exercise_1, osteoporosis.solution_exercise_2, osteoporosis.solution_exercise_3]
)
def test_each_solution_runs_and_says_something(solve):
    text = solve(COURSE)
    assert isinstance(text, str) and len(text) > 100


def test_exercise_3_reads_each_report_against_the_categories_and_their_population():
    text = osteoporosis.solution_exercise_3(COURSE)
    first, second, third = text.splitlines()[:3]
    assert "Osteoporosis" in first
    assert "Low bone mass (osteopenia)" in second and "Not severe osteoporosis" in second
    assert "do not apply" in third and "Z-score" in third
    assert [r.who_applies for r in osteoporosis.EXERCISE_3_REPORTS] == [True, True, False]
    shown = osteoporosis.exercise_3_text()
    assert all(r.person in shown for r in osteoporosis.EXERCISE_3_REPORTS)


def test_the_notebook_hides_every_solution_behind_a_button():
    nb = nbformat.read(lesson("01_osteoporosis_and_fractures").notebook, as_version=4)
    cells = [c for c in nb.cells if "solution" in c.metadata.get("tags", [])]
    assert [c.source for c in cells] == [
        f"ot.show_solution(osteoporosis.solution_exercise_{n}, course)" for n in (1, 2, 3)
    ]
    assert all(not c.get("outputs") for c in cells)
