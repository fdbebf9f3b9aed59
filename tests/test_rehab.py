"""Lesson 08: rehabilitation and preventing the next fracture.

The clinical rules under test:
- the care planner offers, for each fracture, only the treatments recorded for it, and shows
  only the steps that happen after the chosen treatment (no cast advice after a hip
  operation, a wrist plate or for a spine fracture);
- every step says what happens with a source, and its timing is sourced or drawn hatched
  and labelled illustrative;
- the subsequent-fracture curve joins points of one study and one population only;
- the falls estimates are read against 1 (no difference), with their 95% CIs;
- absolute numbers from HORIZON are computed from counts with denominators, never from its
  Kaplan-Meier rates, and the trial stays out of notebook 05's trial table.
"""

from __future__ import annotations

import math
import re
import shutil
from pathlib import Path

import pytest

import osteo_teach as ot
from osteo_teach import evidence, rehab
from osteo_teach.data import check, load
from osteo_teach.exercises import Solution
from osteo_teach.plots import is_blank_png, new_figure, render_png
from osteo_teach.quiz import QuestionCard, expected_number
from osteo_teach.records import Pathway, QuizQuestion, Source, Trial
from osteo_teach.style import use_style

from .conftest import DATA
from .test_healing import ALLOWED, _colours

COURSE = load()
LESSON_ID = "08_rehabilitation_and_prevention"
#: Sites the planner must cover: the three fractures the lesson teaches.
SITES = ("wrist", "hip", "vertebra")


def _reachable():
    """Every (site, treatment) pair a student can reach with the planner's two dropdowns."""
    planner = rehab.CarePlanner(data=COURSE)
    for _, site_id in planner.site_dropdown.options:
        planner.site_dropdown.value = site_id
        for _, treatment_id in planner.treatment_dropdown.options:
            yield site_id, treatment_id


def _has_cast(pathway: Pathway) -> bool:
    return any(step.kind == "immobilisation" for step in pathway.steps)


def _words(item: rehab.PlannedItem) -> str:
    return f"{item.label} {item.what.text}".lower()


# --- the data ---------------------------------------------------------------------------


def test_the_lesson_is_registered_with_its_own_tables():
    lesson = ot.lesson(LESSON_ID)
    assert lesson.module == "osteo_teach.rehab"
    assert lesson.notebook.is_file()
    assert set(lesson.tables) == {"care_plans", "refracture_risk", "falls_effects", "prevention_trials", "rehab_facts"}
    assert [s.name for s in lesson.widgets] == ["CarePlanner"]


def test_there_is_a_plan_for_the_wrist_hip_and_spine_and_no_step_names_a_foreign_treatment():
    assert {plan.site for plan in rehab.care_plans(COURSE)} == set(SITES)
    assert [s.id for s in rehab.planner_sites(COURSE)] == list(SITES)
    assert rehab.plan_problems(COURSE) == []


def test_every_step_cites_what_happens_and_sources_or_flags_its_timing():
    for plan in rehab.care_plans(COURSE):
        assert plan.why.sources and not plan.why.illustrative
        for item in plan.programme:
            assert item.text.sources and not item.text.illustrative
        for step in plan.steps:
            assert step.what.sources and not step.what.illustrative, f"{plan.id}/{step.id}"
            assert step.timing.sources or (step.timing.illustrative and step.timing.reason), f"{plan.id}/{step.id}"


def test_a_sourced_timing_rests_on_a_study_guideline_or_review():
    tiers = {s.id: s.tier for s in COURSE.records(Source)}
    for plan in rehab.care_plans(COURSE):
        for step in plan.steps:
            if not step.timing.illustrative:
                assert {tiers[k] for k in step.timing.sources} & {"P", "G", "R"}, f"{plan.id}/{step.id}"


def _broken_copy(tmp_path: Path, name: str, old: str, new: str) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    path = target / f"{name}.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text, f"the test's anchor text is gone from data/{name}.yaml: {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


BROKEN = [
    (
        "care_plans",
        "    - id: move_in_cast\n      domain: rehabilitation\n      at: day_1\n",
        "    - id: move_in_cast\n      domain: rehabilitation\n      at: day_2\n",
        "day_2",
    ),
    (
        "care_plans",
        "      treatments: [wrist_cast_no_reduction, wrist_closed_reduction_cast]\n",
        "      treatments: [wrist_cast_no_reductoin, wrist_closed_reduction_cast]\n",
        "unknown treatment pathway id 'wrist_cast_no_reductoin'",
    ),
    (
        "care_plans",
        "      timing:\n        text: No later than the day after surgery (NICE).\n"
        "        sources: [nice_qs16_st6, nice_cg124]\n",
        "      timing:\n        text: No later than the day after surgery (NICE).\n        sources: [nhs_borders_colles]\n",
        "a step's timing cites only patient-information",
    ),
    (
        "care_plans",
        "    - id: daily_rehab\n",
        "    - id: mobilise\n",
        "duplicate step id 'mobilise'",
    ),
    ("falls_effects", "  value: 0.77\n", "  value: 0.97\n", "must lie inside its interval"),
    ("falls_effects", "  ci: {low: 0.71, high: 0.83, level: 95}\n", "  ci: {low: 0.71, high: 0.83}\n", "level"),
    ("refracture_risk", "  percent: 31\n", "  percent: 131\n", "not a possible percentage"),
    ("prevention_trials", "      intervention: 101\n", "      intervention: 1101\n", "larger than its total"),
]


@pytest.mark.parametrize("name, old, new, message", BROKEN, ids=[f"{b[0]}:{b[3][:24]}" for b in BROKEN])
def test_a_broken_edit_of_the_lessons_data_gives_a_clear_error(tmp_path, name, old, new, message):
    problems = check(_broken_copy(tmp_path, name, old, new))
    assert len(problems) == 1, [str(p) for p in problems]
    assert f"data/{name}.yaml" in str(problems[0]) or f"{name}.yaml" in str(problems[0])
    assert message in str(problems[0]), str(problems[0])


def test_an_illustrative_what_is_refused(tmp_path):
    old = (
        "      what:\n        text: Rehabilitation support should continue after discharge from hospital.\n"
        "        sources: [nice_qs16_st6]\n"
    )
    new = (
        "      what:\n        text: Rehabilitation support should continue after discharge from hospital.\n"
        "        sources: []\n        illustrative: true\n        reason: made up\n"
    )
    problems = check(_broken_copy(tmp_path, "care_plans", old, new))
    assert len(problems) == 1 and "what happens at a step is always sourced" in str(problems[0])


def test_a_plan_without_a_medication_step_is_refused(tmp_path):
    # The wrist plan (first in the file) has one medication step: make it a bone-health step.
    problems = check(_broken_copy(tmp_path, "care_plans", "      domain: medication\n", "      domain: bone_health\n"))
    assert len(problems) == 1 and "the plan has no step for medication" in str(problems[0])


# --- the care planner: only what happens after the chosen treatment ------------------------


def test_the_planner_offers_each_fracture_only_its_own_treatments():
    planner = rehab.CarePlanner(data=COURSE)
    assert planner.site_dropdown.description == "Fracture:"
    assert planner.treatment_dropdown.description == "Treatment:"
    for site_id in SITES:
        planner.site_dropdown.value = site_id
        offered = [v for _, v in planner.treatment_dropdown.options]
        assert offered == [p.id for p in COURSE.records(Pathway) if p.site == site_id]
        assert planner.treatment_dropdown.value == offered[0], "a fracture change selects its first treatment"
        assert planner.error is None


@pytest.mark.parametrize("site_id, treatment_id", list(_reachable()))
def test_no_cast_advice_where_there_is_no_cast(site_id, treatment_id):
    plan = rehab.resolve_plan(site_id, treatment_id, COURSE)
    if _has_cast(plan.pathway):
        return
    for item in plan.items:
        assert "cast" not in _words(item), f"{site_id}/{treatment_id}: {item.label}"
        assert "splint" not in _words(item), f"{site_id}/{treatment_id}: {item.label}"


@pytest.mark.parametrize("site_id, treatment_id", list(_reachable()))
def test_every_reachable_plan_shows_each_domain_and_only_steps_of_its_treatment(site_id, treatment_id):
    plan = rehab.resolve_plan(site_id, treatment_id, COURSE)
    assert plan.pathway.site == site_id
    for row in rehab.ROW_LABELS:
        assert plan.row(row), f"{site_id}/{treatment_id}: nothing in the {row} row"
    steps = {s.id: s for s in rehab.plan_for(site_id, COURSE).steps}
    for item in plan.items:
        if item.row != rehab.TREATMENT_ROW:
            assert steps[item.origin].applies_to(treatment_id)
    hidden = [s for s in steps.values() if not s.applies_to(treatment_id)]
    assert not {s.id for s in hidden} & {i.origin for i in plan.items}


def test_cast_advice_shows_after_a_cast_and_not_after_a_plate():
    shown = {
        t: {i.origin for i in rehab.resolve_plan("wrist", t, COURSE).items}
        for t in ("wrist_cast_no_reduction", "wrist_orif_plate")
    }
    assert "move_in_cast" in shown["wrist_cast_no_reduction"]
    assert "move_in_cast" not in shown["wrist_orif_plate"]
    assert "rehab_after_plate" in shown["wrist_orif_plate"]
    assert "rehab_after_plate" not in shown["wrist_cast_no_reduction"]


@pytest.mark.parametrize("treatment_id", [p.id for p in COURSE.records(Pathway) if p.site == "hip"])
def test_after_a_hip_operation_rehabilitation_starts_on_day_1_with_nice_as_the_source(treatment_id):
    plan = rehab.resolve_plan("hip", treatment_id, COURSE)
    first = plan.cell("rehabilitation", "day_1")
    assert first and not first[0].illustrative
    assert {"nice_qs16_st6", "nice_cg124"} <= set(first[0].timing.sources)
    treatment = plan.row(rehab.TREATMENT_ROW)
    assert [i.at for i in treatment] == ["day_1"] and "operation" in treatment[0].label.lower()


def test_the_treatment_row_places_each_treatment_in_its_time_window():
    assert rehab.column_for(0) == "day_1"
    assert rehab.column_for(1 / 7) == "day_1"
    assert rehab.column_for(1) == "week_1"
    assert rehab.column_for(4) == "week_6"
    assert rehab.column_for(12) == "month_3"
    assert rehab.column_for(40) == "year_1"
    vertebroplasty = rehab.resolve_plan("vertebra", "vertebra_vertebroplasty", COURSE).row(rehab.TREATMENT_ROW)
    assert [(i.at, i.illustrative) for i in vertebroplasty if "cement" in i.label.lower()] == [("week_6", True)]


def test_a_foreign_or_unknown_treatment_is_a_clear_message_not_a_traceback():
    with pytest.raises(KeyError, match="is not a treatment for hip"):
        rehab.resolve_plan("hip", "wrist_cast_no_reduction", COURSE)
    with pytest.raises(KeyError, match="no care plan for fracture site 'ankle'"):
        rehab.plan_for("ankle", COURSE)
    planner = rehab.CarePlanner("hip", data=COURSE)
    planner.show("hip", "wrist_cast_no_reduction")
    assert planner.error and "is not a treatment for hip" in planner.error
    assert planner.png == b"" and planner.text == ""
    assert "Cannot show this" in planner.panel.caption.value


def test_every_reachable_choice_redraws_the_same_figure_with_a_new_picture():
    planner = rehab.CarePlanner(data=COURSE)
    figure = planner.panel.figure
    seen_png, seen_summary, count = set(), set(), 0
    for site_id, treatment_id in _reachable():
        planner.site_dropdown.value = site_id
        planner.treatment_dropdown.value = treatment_id
        plan = rehab.resolve_plan(site_id, treatment_id, COURSE)
        assert planner.error is None
        assert planner.panel.figure is figure, "redrawn in place, not a new figure"
        assert not is_blank_png(planner.png)
        assert planner.summary.startswith(f"{plan.plan.name}, ")
        assert planner.text.startswith(f"{plan.plan.name.upper()} - {plan.pathway.name.upper()}")
        assert figure.get_suptitle() == f"{plan.plan.name}: {plan.pathway.name}"
        assert _colours(figure) <= ALLOWED | {"#f2f2f2", "#bbbbbb"}, _colours(figure) - ALLOWED
        assert "What is shown, with sources" in planner.details.value
        seen_png.add(planner.png)
        seen_summary.add(planner.summary)
        count += 1
    assert count == sum(len(rehab.treatments_for(s, COURSE)) for s in SITES), "every treatment is reachable"
    assert len(seen_png) == count and len(seen_summary) == count, "each choice draws a different picture"


def test_changing_the_fracture_draws_once():
    planner = rehab.CarePlanner("wrist", data=COURSE)
    calls = []
    original = planner.panel.redraw
    planner.panel.redraw = lambda draw, key=None: (calls.append(draw), original(draw, key))  # type: ignore[method-assign]
    planner.site_dropdown.value = "hip"
    assert len(calls) == 1


def test_illustrative_timings_are_hatched_and_labelled_in_figure_summary_and_text():
    for site_id, treatment_id in _reachable():
        plan = rehab.resolve_plan(site_id, treatment_id, COURSE)
        figure = new_figure()
        summary = rehab.draw_care_plan(figure, site_id, treatment_id, COURSE)
        ax = figure.axes[0]
        hatched = [p for p in ax.patches if p.get_hatch()]
        illustrative = [i for i in plan.items if i.illustrative]
        assert len(hatched) == len(illustrative), f"{site_id}/{treatment_id}"
        cell_texts = [t.get_text() for t in ax.texts]
        assert sum("(illustrative timing)" in t for t in cell_texts) == len(illustrative)
        assert summary.count("(illustrative timing)") == len(illustrative)
        text = rehab.care_plan_text(site_id, treatment_id, COURSE)
        assert text.count("- timing illustrative") == len(illustrative)
        for item in illustrative:
            assert item.timing.reason and item.timing.reason.split()[0] in text


def test_the_planner_figure_is_readable_in_both_styles():
    for style in ("classroom", "projector"):
        use_style(style)
        try:
            planner = rehab.CarePlanner("hip", data=COURSE)
            _width, height = planner.panel.figure.get_size_inches()
            assert height > 7, "taller than the style's default: five rows of text"
            assert not is_blank_png(planner.png)
        finally:
            use_style("classroom")


# --- the programme table ----------------------------------------------------------------------


def test_the_programme_table_names_each_component_per_fracture_and_says_where_sources_are_silent():
    table = rehab.programme_table(COURSE)
    assert "<caption" in table.html and "scope='row'" in table.html and "scope='col'" in table.html
    for plan in rehab.care_plans(COURSE):
        assert plan.name in table.html
    for component in ("Mobility", "Strength", "Balance", "Activities of daily living", "Posture"):
        assert component in table.html
    assert rehab.NO_COMPONENT in table.text, "a gap is shown as a gap"
    hip = {item.component for item in rehab.plan_for("hip", COURSE).programme}
    assert {"mobility", "strength", "balance", "daily_living"} <= hip
    spine = {item.component for item in rehab.plan_for("vertebra", COURSE).programme}
    assert {"strength", "balance", "posture"} <= spine
    assert "giangregorio_2014" in table.text and "nice_qs16_st6" in table.text


# --- figure 1: one cohort, with its denominators -------------------------------------------------


@pytest.mark.parametrize("style", ["classroom", "projector"])
def test_the_refracture_figure_draws_the_three_reported_points_with_their_denominators(style):
    use_style(style)
    try:
        item = rehab.refracture_figure(COURSE)
    finally:
        use_style("classroom")
    points = rehab.risk_points(COURSE)
    assert [(p.years, p.percent) for p in points] == [(1, 10), (2, 18), (5, 31)]
    assert [p.women for p in points] == [377561, 210621, 10969]
    ax = item.figure.axes[0]
    texts = " ".join(t.get_text() for t in ax.texts)
    for p in points:
        assert f"{p.women:,}" in texts and f"{p.women:,}" in item.summary
    assert "women aged 65 and over" in item.summary and "30 days after the first fracture" in item.summary
    notes = " ".join(t.get_text() for t in item.figure.texts)
    assert "observational" in notes and "balasubramanian_2019" in notes
    assert not is_blank_png(render_png(item.figure))
    assert _colours(item.figure) <= ALLOWED, _colours(item.figure) - ALLOWED


def test_the_refracture_curve_refuses_points_from_another_study_or_population():
    points = rehab.risk_points(COURSE)
    other = points[0].model_copy(update={"population": "women aged 50 and over (Sweden)"})
    with pytest.raises(ValueError, match="one study and one population"):
        rehab.draw_refracture_risk(new_figure(), [*points, other], "Source: mixed.")


# --- figure 2: rate ratios against 1 ---------------------------------------------------------


@pytest.mark.parametrize("style", ["classroom", "projector"])
def test_the_falls_figure_reads_each_interval_against_1(style):
    use_style(style)
    try:
        item = rehab.falls_figure(COURSE)
    finally:
        use_style("classroom")
    ax = item.figure.axes[0]
    assert ax.get_xscale() == "log"
    assert any(list(line.get_xdata()) == [1, 1] for line in ax.lines), "the no-difference line at 1"
    assert rehab.NO_EFFECT in [t.get_text() for t in ax.get_legend().get_texts()]
    assert "0.77 (95% CI 0.71 to 0.83)" in item.summary and "0.76 (95% CI 0.70 to 0.81)" in item.summary
    assert "wholly below 1" in item.summary
    assert "number of people who fell is not drawn" in item.summary
    assert _colours(item.figure) <= ALLOWED, _colours(item.figure) - ALLOWED


def test_an_interval_crossing_1_is_not_called_a_reduction():
    effects = rehab.falls_effects(COURSE)
    crossing = effects[1].model_copy(update={"ci": effects[1].ci.model_copy(update={"high": 1.1})})
    summary = rehab.draw_falls_effect(new_figure(), [effects[0], crossing], "note")
    assert "1 of 2 intervals lie wholly below 1" in summary and "every interval" not in summary


def test_the_falls_estimates_print_the_decimals_the_source_gives():
    effect = rehab.falls_effects(COURSE)[1]
    assert effect.estimate == "0.76 (95% CI 0.70 to 0.81)"
    assert "sherrington_2019" in rehab.falls_effects(COURSE)[0].statement.sources


# --- HORIZON: absolute numbers from counts only ---------------------------------------------------


def test_horizon_is_kept_out_of_notebook_05s_trial_table():
    assert "horizon_rft" not in {t.id for t in evidence.trials(COURSE)}
    assert [t.id for t in COURSE.records(Trial, "prevention_trials")] == ["horizon_rft"]


def test_horizon_absolute_numbers_come_from_the_death_counts():
    deaths = rehab.horizon_deaths(COURSE)
    assert (deaths.intervention, deaths.intervention_total, deaths.control, deaths.control_total) == (
        101,
        1054,
        141,
        1057,
    )
    assert rehab.risk_difference(deaths) == pytest.approx(100 * (101 / 1054 - 141 / 1057))
    assert rehab.risk_difference(deaths) == pytest.approx(-3.76, abs=0.01)
    assert rehab.number_needed_to_treat(deaths) == 27 == math.ceil(1 / (141 / 1057 - 101 / 1054))
    text = " ".join(rehab.horizon_text(COURSE).split())
    assert "-3.8 percentage points" in text and "about 27" in text
    assert "Kaplan-Meier" in text


def test_kaplan_meier_rates_cannot_be_turned_into_an_absolute_difference():
    fractures = next(n for n in rehab.horizon(COURSE).numbers if n.id == "any_new_clinical_fracture")
    assert fractures.intervention_total is None and "Kaplan-Meier" in fractures.unit
    with pytest.raises(ValueError, match="no denominators"):
        rehab.risk_difference(fractures)


# --- quiz questions ----------------------------------------------------------------------------

QUESTIONS = [q for q in COURSE.records(QuizQuestion) if q.notebook == LESSON_ID]


def test_the_lesson_has_quiz_questions_mostly_beyond_recall_with_feedback_on_every_option():
    assert len(QUESTIONS) >= 4
    assert sum(q.skill in ("application", "analysis") for q in QUESTIONS) > len(QUESTIONS) / 2
    for question in QUESTIONS:
        for option in question.options:
            assert option.feedback is not None and option.feedback.sources, f"{question.id}: {option.text}"
    computed = [q for q in QUESTIONS if q.answer is not None and q.answer.computed is not None]
    assert computed and all(
        q.answer.computed.table == "prevention_trials" for q in computed if q.answer and q.answer.computed
    )


def test_the_numeric_answers_match_the_lessons_own_calculation():
    deaths = rehab.horizon_deaths(COURSE)
    by_measure = {q.answer.computed.measure: q for q in QUESTIONS if q.answer and q.answer.computed}
    assert expected_number(by_measure["nnt"], COURSE) == rehab.number_needed_to_treat(deaths)
    assert expected_number(by_measure["risk_difference"], COURSE) == pytest.approx(rehab.risk_difference(deaths))


def test_a_student_answers_the_questions_in_the_quiz_card():
    for number, question in enumerate(QUESTIONS, start=1):
        card = QuestionCard(question, number, COURSE)
        if question.kind == "single":
            wrong = next(o.text for o in question.options if not o.correct)
            card.choose(wrong)
            assert card.correct is False and "Not quite" in card.feedback_text
            card.choose(question.right_options[0])
            assert card.correct is True and card.first_try is False
        elif question.kind == "multiple":
            card.choose_all(question.right_options)
            assert card.correct is True
        else:
            card.enter(expected_number(question, COURSE) + 5 * (question.answer.tolerance + 1))  # type: ignore[union-attr]
            assert card.correct is False
            card.enter(expected_number(question, COURSE))
            assert card.correct is True
        assert re.search(r"Sources: \[[a-z0-9_, ]+\]", card.feedback_text)


# --- exercises ---------------------------------------------------------------------------------


def test_solutions_stay_hidden_until_the_button_is_clicked_and_say_what_is_expected():
    expected = {
        1: ["Week 1", "Multifactorial falls risk assessment", "illustrative timing", "Falls"],
        2: ["0.77 (95% CI 0.71 to 0.83)", "rate of falls", "living in the community"],
        3: ["101 / 1054", "141 / 1057", "-3.76 percentage points", "rounded up to 27", "Kaplan-Meier"],
        4: ["observational", "unweighted", "before-and-after"],
    }
    for number, phrases in expected.items():
        solve = getattr(rehab, f"solution_exercise_{number}")
        solution = Solution(solve, COURSE)
        assert not solution.shown and solution.output.value == ""
        solution.button.click()
        assert solution.shown and solution.button.description == "Hide solution"
        for phrase in phrases:
            assert phrase in solution.text, (number, phrase)
        solution.button.click()
        assert not solution.shown and solution.output.value == ""


def test_the_notebook_shows_solutions_through_the_button_only():
    import nbformat

    nb = nbformat.read(ot.lesson(LESSON_ID).notebook, as_version=4)
    solutions = [c for c in nb.cells if "solution" in c.metadata.get("tags", [])]
    assert len(solutions) == 4
    for number, cell in enumerate(solutions, start=1):
        assert cell.source.strip() == f"ot.show_solution(rehab.solution_exercise_{number}, course)"
    assert "For education only, not medical advice" in nb.cells[0].source


# --- reading list -------------------------------------------------------------------------------


def test_the_reading_list_holds_every_source_the_lesson_shows():
    keys = list(rehab.source_keys(COURSE))
    assert len(keys) == len(set(keys))
    for key in ("balasubramanian_2019", "sherrington_2019", "lyles_2007", "nice_qs16_st6", "giangregorio_2014"):
        assert key in keys
    for site_id, treatment_id in _reachable():
        plan = rehab.resolve_plan(site_id, treatment_id, COURSE)
        for item in plan.items:
            assert set(item.what.sources) <= set(keys) and set(item.timing.sources) <= set(keys)
    text = ot.lesson(LESSON_ID).reading_list(COURSE)
    assert text.startswith("1. [") and "tier C: patient information" in text


@pytest.mark.parametrize("style", ["classroom", "projector"])
def test_every_plan_fits_the_planners_figure_uncropped(style):
    """The planner's figure is saved whole (its layout is fixed): in every state and both
    styles, nothing drawn lies past an edge."""
    from .layout_checks import assert_every_state_fits

    def draw(figure, site_id, treatment_id):
        return rehab.draw_care_plan(figure, site_id, treatment_id, COURSE)

    assert_every_state_fits(style, lambda: rehab.CarePlanner(data=COURSE), _reachable, draw)
