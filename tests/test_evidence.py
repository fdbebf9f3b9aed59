"""The evidence notebook's pieces: trial table, VERTOS IV figure, guideline widget."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from osteo_teach.data import load
from osteo_teach.evidence import (
    CASE_OPTIONS,
    NOT_VERIFIED,
    GuidelineExplorer,
    assess_case,
    design_lesson_text,
    format_reported,
    guidelines_html,
    guidelines_text,
    trial_number,
    trial_numbers_text,
    trial_table_html,
    trial_table_text,
    trials,
    vertos4_figure,
)
from osteo_teach.plots import is_blank_png, new_figure, render_png
from osteo_teach.style import use_style

DATA = Path(__file__).resolve().parent.parent / "data"
MY_FILES = ("trials.yaml", "vertos4_pain.yaml", "guidelines.yaml", "procedure_steps.yaml")

TRIALS = ["free", "vertos_ii", "invest", "buchbinder_2009", "vapour", "vertos_iv", "ajnr_2014_kp_vs_vp", "evolve"]


def _vertebral_text() -> str:
    """My data files plus the vertebroplasty/kyphoplasty records of procedures.yaml."""
    text = "\n".join((DATA / name).read_text() for name in MY_FILES)
    procedures = (DATA / "procedures.yaml").read_text()
    return text + procedures[procedures.index("- id: vertebroplasty"):]


def test_data_files_load_with_the_expected_records():
    data = load()
    assert list(data.table("trials")) == TRIALS
    assert list(data.table("guidelines")) == ["nice_ta279", "asbmr_2019", "cochrane_2018", "aaos_2010"]
    assert [p.label for p in data.table("vertos4_pain").values()] == [
        "1 day", "1 week", "1 month", "3 months", "6 months", "12 months"]
    criteria = data.get("guidelines", "nice_ta279").criteria
    assert len(criteria) == 6 and all(c.wording.sources == ["nice_ta279"] for c in criteria)


def test_unverified_numbers_are_absent_from_the_data():
    text = _vertebral_text()
    # VERTOS II VAS effect sizes (2.6, 95% CI 1.74-3.37; 2.0, 1.13-2.80) are UNVERIFIED.
    for number in ("1.74", "3.37", "1.13", "2.80"):
        assert number not in text
    assert not re.search(r"(?<![\d.])2\.6(?![\d])", text)
    assert not re.search(r"difference[^.]*2\.0\b", text)
    # Buchbinder's arm sizes and 3-month difference are UNVERIFIED.
    assert "-0.7 to 1.8" not in text and "0.6 (95%" not in text and "38 vertebroplasty" not in text
    # AAOS strength grades are UNVERIFIED.
    assert "Strong" not in text and "strong" not in text
    # The KP-vs-VP trial is not named KAVIAR as a fact.
    trial = load().get("trials", "ajnr_2014_kp_vs_vp")
    assert "KAVIAR" not in trial.name and "not confirmed" in trial.note
    assert load().get("trials", "vertos_ii").numbers and all(
        n.id != "vas_difference" for n in load().get("trials", "vertos_ii").numbers)


def test_only_the_sourced_interval_is_in_the_vertos4_data():
    points = list(load().table("vertos4_pain").values())
    with_ci = [p.id for p in points if p.ci_low is not None]
    assert with_ci == ["month_12"]
    twelve = points[-1]
    assert (twelve.difference, twelve.ci_low, twelve.ci_high) == (0.45, -0.37, 1.24)


def test_trial_table_lists_every_trial_and_says_what_is_missing():
    text = trial_table_text()
    for t in trials():
        assert t.name in text and str(t.participants) in text
    assert NOT_VERIFIED in text
    vapour = text.split("VAPOUR (2016)")[1].split("\n\n")[0]
    assert f"Blinding: {NOT_VERIFIED}" in vapour and f"Funding: {NOT_VERIFIED}" in vapour
    assert "Industry-funded (Medtronic/Kyphon)" in text
    html = trial_table_html()
    assert html.count("<tr>") == len(TRIALS) + 1 and "Sources: firanescu2018_vertos4" in html


def test_trial_numbers_allow_the_absolute_difference_exercise():
    number = trial_number("vapour", "nrs_below_4_at_14d")
    assert number.intervention - number.control == 23
    assert "vapour/nrs_below_4_at_14d" in trial_numbers_text()
    with pytest.raises(KeyError, match="unknown number 'vas' for trial 'vapour'"):
        trial_number("vapour", "vas")


def test_numbers_print_with_the_decimal_places_the_source_gives():
    text = trial_numbers_text()
    assert "Procedure duration: 40.0 (balloon kyphoplasty) vs 31.8 (vertebroplasty) minutes" in text
    assert "7.2 (balloon kyphoplasty) vs 2.0 (usual care) points" in text
    assert format_reported(40.0, None) == "40" and format_reported(40.0, 1) == "40.0"


def test_design_lesson_groups_trials_by_control():
    text = design_lesson_text()
    order = [text.index(f"CONTROL: {k}") for k in ("SHAM", "USUAL CARE", "OTHER PROCEDURE", "NO CONTROL")]
    assert order == sorted(order)
    sham = text.split("CONTROL: USUAL CARE")[0]
    assert all(name in sham for name in ("INVEST", "Buchbinder 2009", "VAPOUR", "VERTOS IV"))
    assert "FREE" not in sham


@pytest.mark.parametrize("style", ["classroom", "projector"])
def test_vertos4_figure_renders_with_threshold_and_sourced_interval_only(style):
    try:
        use_style(style)
        item = vertos4_figure()
        png = render_png(item.figure)
        assert not is_blank_png(png)
        ax = item.figure.axes[0]
        assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title(loc="left")
        assert [t.get_text() for t in ax.get_xticklabels()][-1] == "12 months"
        assert any(line.get_ydata()[0] == -1.5 for line in ax.get_lines() if len(line.get_ydata()) == 2)
        assert any("not in verified sources" in t.get_text() for t in ax.texts)
        assert "-1.5 VAS threshold for clinically significant relief" in item.summary
        assert "-0.37 to 1.24" in item.summary
        # The source defines the threshold on the VAS; the legend must not call it a between-group definition.
        legend = " ".join(t.get_text() for t in ax.get_legend().get_texts())
        assert "clinically significant relief (-1.5 on the VAS)" in legend
    finally:
        use_style("classroom")


def test_guidelines_side_by_side_with_sources_and_secondary_label():
    html = guidelines_html()
    for name in ("NICE TA279", "ASBMR task force 2019", "Cochrane review 2018", "AAOS guideline 2010"):
        assert re.search(rf"<th[^>]*>{re.escape(name)}</th>", html), name
    assert "VERIFIED-secondary" in html and "openpayer_aaos_summary" in html
    text = guidelines_text()
    assert "STRENGTH OF RECOMMENDATION" in text and NOT_VERIFIED in text


def _expected(case):
    status = {
        "osteoporotic_vcf": "met" if case["fracture"] == "osteoporotic" else "not met",
        "severe_ongoing_pain": "met" if case["pain"] == "severe" else "not met",
        "recent_fracture": "needs judgement",
        "unhealed_fracture": {"unhealed": "met", "healed": "not met", "unknown": "unknown"}[case["healing"]],
        "despite_optimal_pain_management": "met" if case["pain_management"] else "not met",
        "pain_confirmed_at_level": "met" if case["confirmed_exam"] and case["confirmed_imaging"] else "not met",
    }
    return status


def test_guideline_widget_every_control_combination():
    explorer = GuidelineExplorer()
    names = list(CASE_OPTIONS)
    choices = [[v for _, v in opts] if opts else [False, True] for _, opts in CASE_OPTIONS.values()]
    count = 0
    for values in itertools.product(*choices):
        case = dict(zip(names, values))
        for name, value in case.items():
            explorer.controls[name].value = value
        assert explorer.case() == case
        assert explorer.error is None
        expected = _expected(case)
        assert explorer.statuses == expected
        met = sum(s == "met" for s in expected.values())
        assert explorer.summary.startswith("Reading NICE TA279 criterion by criterion (a lesson in reading criteria, not advice)")
        assert f"{met} of 6 met as written" in explorer.summary
        side = "within" if case["weeks"] <= 6 else "beyond"
        assert f"{case['weeks']} weeks is {side} the 6 weeks of the 2012 draft" in explorer.text
        assert "needs judgement" in explorer.checklist.value
        count += 1
    assert count == 2 * 2 * 4 * 3 * 2 * 2 * 2


def test_guideline_widget_controls_and_messages():
    explorer = GuidelineExplorer()
    labels = {c.description for c in explorer.controls.values()}
    assert {"Fracture:", "Pain:", "Fracture age:", "On imaging:"} <= labels
    assert "no number of weeks" in explorer.checklist.value  # the TA279 'recent' note
    explorer.show_case(weeks=5)
    assert explorer.error == "unknown value 5 for 'Fracture age': expected one of 3, 8, 16, 52"
    assert "Cannot show this" in explorer.checklist.value and explorer.statuses == {}
    explorer.show_case(colour="red")
    assert explorer.error.startswith("unknown case field 'colour'")
    explorer.show_case(pain_management="yes")
    assert "must be True or False" in explorer.error
    explorer.show_case()
    assert explorer.error is None and explorer.statuses


def test_assess_case_all_met_except_judgement():
    results = assess_case({"confirmed_imaging": True})
    assert [r.status for r in results].count("met") == 5
    assert [r.criterion.id for r in results if r.status != "met"] == ["recent_fracture"]
