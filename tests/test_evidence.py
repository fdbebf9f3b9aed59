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
from osteo_teach.plots import is_blank_png, render_png
from osteo_teach.style import use_style

DATA = Path(__file__).resolve().parent.parent / "data"
MY_FILES = ("trials.yaml", "vertos4_pain.yaml", "guidelines.yaml", "procedure_steps.yaml")

TRIALS = ["free", "vertos_ii", "invest", "buchbinder_2009", "vapour", "vertos_iv", "ajnr_2014_kp_vs_vp", "evolve"]


def _vertebral_text() -> str:
    """My data files plus the vertebroplasty/kyphoplasty records of procedures.yaml."""
    text = "\n".join((DATA / name).read_text() for name in MY_FILES)
    procedures = (DATA / "procedures.yaml").read_text()
    return text + procedures[procedures.index("- id: vertebroplasty") :]


def test_data_files_load_with_the_expected_records():
    data = load()
    assert list(data.table("trials")) == TRIALS
    assert list(data.table("guidelines")) == ["nice_ta279", "asbmr_2019", "cochrane_2018", "aaos_2010"]
    assert [p.label for p in data.table("vertos4_pain").values()] == [
        "Baseline",
        "1 day",
        "1 week",
        "1 month",
        "3 months",
        "6 months",
        "12 months",
    ]
    criteria = data.get("guidelines", "nice_ta279").criteria
    assert len(criteria) == 6 and all(c.wording.sources == ["nice_ta279"] for c in criteria)


def test_unverified_numbers_are_absent_from_the_data():
    text = _vertebral_text()
    # VERTOS II VAS effect sizes (2.6, 95% CI 1.74-3.37; 2.0, 1.13-2.80) are UNVERIFIED.
    for number in ("1.74", "3.37", "1.13", "2.80"):
        assert number not in text
    assert not re.search(r"(?<![\d.])2\.6(?![\d])", text)
    assert not re.search(r"difference[^.]*2\.0\b", text)
    # Buchbinder's arm sizes and 3-month difference are now read in the indexed abstract:
    # they may appear, but only cited to it.
    buchbinder = load().get("trials", "buchbinder_2009")
    assert "38 vertebroplasty, 40 placebo" in buchbinder.participants_counted
    assert "-0.7 to 1.8" in buchbinder.main_result.text and buchbinder.main_result.sources == ["buchbinder2009"]
    # AAOS strength grades are now read in the guideline's JAAOS summary: cited to it only.
    aaos = load().get("guidelines", "aaos_2010")
    assert "strong" in aaos.strength.text and "weak" in aaos.strength.text
    assert aaos.strength.sources == ["esses2011_jaaos"]
    assert text.lower().count("strong") == aaos.strength.text.lower().count("strong")
    # Claims no authoritative source gives stay out (cement set time, visit length, discharge).
    for claim in ("15 minutes", "few hours", "1 hour per", "3 to 4 hours", "dries in"):
        assert claim not in text, claim
    # Sources on blocked hosts or from non-allowed publishers are not cited any more.
    for key in (
        "painscience_invest",
        "spinehealth_free",
        "openpayer_aaos_summary",
        "emory_vertebroplasty",
        "mrnj_vertebroplasty",
        "iowa_radiology_vp_kp",
        "ajnr_sham_rct_table",
        "chandra_ch67_vcf",
        "webmd_compression_fracture",
        "nyu_compression_fracture",
    ):
        assert key not in text, key
    # The KP-vs-VP trial is not named KAVIAR as a fact.
    trial = load().get("trials", "ajnr_2014_kp_vs_vp")
    assert "KAVIAR" not in trial.name and "not confirmed" in trial.note
    assert load().get("trials", "vertos_ii").numbers and all(
        n.id != "vas_difference" for n in load().get("trials", "vertos_ii").numbers
    )


def test_every_vertos4_visit_has_the_interval_the_abstract_reports():
    points = list(load().table("vertos4_pain").values())
    # Copied from the BMJ abstract (PMC5941218), baseline to 12 months.
    assert [(p.difference, p.ci_low, p.ci_high) for p in points] == [
        (0.20, -0.53, 0.94),
        (-0.43, -1.17, 0.31),
        (-0.11, -0.85, 0.63),
        (0.41, -0.33, 1.15),
        (0.21, -0.54, 0.96),
        (0.39, -0.37, 1.15),
        (0.45, -0.37, 1.24),
    ]
    assert all(p.statement.sources == ["firanescu2018_vertos4"] for p in points)
    assert all(p.ci_low <= 0 <= p.ci_high for p in points)  # none was significant


def test_vertos4_definition_is_a_within_patient_decrease_not_a_group_threshold():
    fact = load().get("key_facts", "vertos4_clinically_relevant_difference")
    assert fact.value == 1.5 and fact.unit == "VAS points (change)"
    assert '"a decrease of 1.5 points in VAS scores from baseline"' in fact.statement.text
    assert "within a patient" in fact.statement.text and "not a threshold" in fact.statement.text
    header = (DATA / "vertos4_pain.yaml").read_text().split("\n- id:")[0]
    assert "does not state which group" in header and "-1.5" not in header


def test_trial_table_lists_every_trial_and_says_what_is_missing():
    text = trial_table_text()
    for t in trials():
        assert t.name in text and str(t.participants) in text
    assert NOT_VERIFIED in text
    vapour = text.split("VAPOUR (2016)")[1].split("\n\n")[0]
    assert "Blinding: Double-blind" in vapour and f"Funding: {NOT_VERIFIED}" in vapour
    assert "Primary endpoint: Proportion of patients with NRS pain below 4" in vapour
    vertos_ii = text.split("VERTOS II (2010)")[1].split("\n\n")[0]
    assert f"Primary endpoint: {NOT_VERIFIED}" in vertos_ii
    assert "consultants for Medtronic Spine LLC" in text
    html = trial_table_html()
    assert html.count("<tr>") == len(TRIALS) + 1 and "Sources: firanescu2018_vertos4" in html
    assert re.search(r"<th[^>]*>Primary endpoint</th>", html)


def test_trials_state_blinding_population_and_provenance_as_their_sources_do():
    data = load()
    for trial_id in ("vapour", "vertos_iv", "invest", "buchbinder_2009"):
        assert data.get("trials", trial_id).blinding.text.startswith("Double-blind"), trial_id
    evolve = data.get("trials", "evolve")
    assert "osteoporosis or cancer" in evolve.design.text and "evolve_nct01871519" in evolve.design.sources
    free = data.get("trials", "free")
    assert "cancer-related" in free.design.text
    crossover = trial_number("invest", "crossover_3mo")
    assert (crossover.intervention, crossover.control) == (13, 51)
    assert "[corrected]" in crossover.note and "43" in crossover.note
    invest = data.get("trials", "invest").main_result
    assert "43% vs 12%" in invest.text and "ccjm2010_vertebroplasty" in invest.sources
    assert all(t.primary_endpoint is not None for t in trials() if t.id != "vertos_ii")


def test_trial_numbers_allow_the_absolute_difference_exercise():
    number = trial_number("vapour", "nrs_below_4_at_14d")
    assert number.intervention - number.control == 23
    assert "vapour/nrs_below_4_at_14d" in trial_numbers_text()
    with pytest.raises(KeyError, match="unknown number 'vas' for trial 'vapour'"):
        trial_number("vapour", "vas")


def test_numbers_print_with_the_decimal_places_the_source_gives():
    text = trial_numbers_text()
    assert "Procedure duration: 40.0 (balloon kyphoplasty) vs 31.8 (vertebroplasty) minutes" in text
    assert "7.2 (balloon kyphoplasty) vs 2.0 (usual care) SF-36 points (change)" in text
    assert format_reported(40.0, None) == "40" and format_reported(40.0, 1) == "40.0"


def test_design_lesson_groups_trials_by_control():
    text = design_lesson_text()
    order = [text.index(f"CONTROL: {k}") for k in ("SHAM", "USUAL CARE", "OTHER PROCEDURE", "NO CONTROL")]
    assert order == sorted(order)
    sham = text.split("CONTROL: USUAL CARE")[0]
    assert all(name in sham for name in ("INVEST", "Buchbinder 2009", "VAPOUR", "VERTOS IV"))
    assert "FREE" not in sham


@pytest.mark.parametrize("style", ["classroom", "projector"])
def test_vertos4_figure_draws_every_interval_against_zero(style):
    try:
        use_style(style)
        item = vertos4_figure()
        png = render_png(item.figure)
        assert not is_blank_png(png)
        ax = item.figure.axes[0]
        points = list(load().table("vertos4_pain").values())
        assert ax.get_xlabel() and ax.get_title(loc="left")
        assert "difference" in ax.get_ylabel() and "points" in ax.get_ylabel()
        assert [t.get_text() for t in ax.get_xticklabels()] == [p.label for p in points]
        # One error bar per interval in the data, each spanning exactly its reported CI.
        bars = [c for c in ax.collections if len(c.get_segments()) == len(points)]
        assert bars, "no error bars drawn"
        spans = sorted(
            (round(min(y for _, y in seg), 2), round(max(y for _, y in seg), 2)) for seg in bars[0].get_segments()
        )
        assert spans == sorted((p.ci_low, p.ci_high) for p in points)
        # The reference line is zero (no difference); no line at the within-patient 1.5.
        flat = [
            line.get_ydata()[0]
            for line in ax.get_lines()
            if len(set(line.get_ydata())) == 1 and len(line.get_ydata()) == 2
        ]
        assert flat == [0]
        legend = " ".join(t.get_text() for t in ax.get_legend().get_texts())
        assert "0 = no difference between the groups" in legend and "threshold" not in legend
        note = " ".join(t.get_text() for t in item.figure.texts)
        assert "does not say which group was subtracted" in note and "within a patient" in note
        assert "every 95% CI (7 of 7" in item.summary and "includes 0" in item.summary
        assert "not a threshold" in item.summary
    finally:
        use_style("classroom")


def test_guidelines_side_by_side_with_sources_and_secondary_label():
    html = guidelines_html()
    for name in ("NICE TA279", "ASBMR task force 2019", "Cochrane review 2018", "AAOS guideline 2010"):
        assert re.search(rf"<th[^>]*>{re.escape(name)}</th>", html), name
    assert "We recommend against vertebroplasty" in html and "esses2011_jaaos" in html
    assert "aaos_orthoguidelines_vcf" in html
    text = guidelines_text()
    assert "STRENGTH OF RECOMMENDATION" in text and NOT_VERIFIED in text
    assert "- AAOS guideline 2010: Against vertebroplasty: strong" in text


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
        case = dict(zip(names, values, strict=False))
        for name, value in case.items():
            explorer.controls[name].value = value
        assert explorer.case() == case
        assert explorer.error is None
        expected = _expected(case)
        assert explorer.statuses == expected
        met = sum(s == "met" for s in expected.values())
        assert explorer.summary.startswith(
            "Reading NICE TA279 criterion by criterion (a lesson in reading criteria, not advice)"
        )
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


def test_risk_difference_and_nnt_from_counts():
    from osteo_teach.evidence import arm_percentages, number_needed_to_treat, risk_difference
    from osteo_teach.records import TrialNumber

    counts = TrialNumber(
        id="x",
        measure="m",
        unit="patients",
        intervention=10,
        control=20,
        intervention_total=100,
        control_total=100,
        sources=["firanescu2018_vertos4"],
    )
    assert arm_percentages(counts) == (10, 20)
    assert risk_difference(counts) == -10
    assert number_needed_to_treat(counts) == 10  # 1 / 0.10, exactly: not rounded up to 11
    uneven = counts.model_copy(update={"intervention": 9})
    assert number_needed_to_treat(uneven) == 10  # 1 / 0.11 = 9.09..., rounded up
    with pytest.raises(ValueError, match="no difference"):
        number_needed_to_treat(counts.model_copy(update={"intervention": 20}))
    with pytest.raises(ValueError, match="no denominators"):
        arm_percentages(counts.model_copy(update={"intervention_total": None}))


def test_only_the_recent_fracture_criterion_is_never_met():
    from osteo_teach.evidence import intervals_excluding_zero, never_met_criteria

    assert never_met_criteria() == ["recent_fracture"]
    assert intervals_excluding_zero() == []
