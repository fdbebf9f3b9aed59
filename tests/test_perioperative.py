"""Lesson 07, peri-operative care: the care explorer driven as a student drives it (a
situation, then one of its times), the rules it keeps (every item sourced, roles only
where a source names them, a cast never on a hip), the VTE reading trap, the reported
frequencies and the delirium figure, and the exercises.
"""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

import osteo_teach as ot
from osteo_teach import perioperative as periop
from osteo_teach.data import load
from osteo_teach.plots import is_blank_png, new_figure, render_png
from osteo_teach.records import KeyFact, Source
from osteo_teach.style import use_style

from .test_healing import ALLOWED, _colours

DATA = load()
ADVICE = DATA.records(periop.CareAdvice)


def _context(data=DATA) -> dict:
    sources = data.records(Source)
    return {"sources": frozenset(s.id for s in sources), "sources:tiers": {s.id: s.tier for s in sources}}


def _student_choices():
    """Every (situation, time) pair a student can reach with the two menus."""
    explorer = periop.CareExplorer(data=DATA)
    for _, situation in explorer.situation_dropdown.options:
        explorer.situation_dropdown.value = situation
        for _, time in explorer.time_dropdown.options:
            explorer.time_dropdown.value = time
            yield explorer, situation, time


# --- the data's rules ----------------------------------------------------------------------


def test_the_four_situations_are_covered_and_each_combination_once():
    assert periop.situations(DATA) == list(periop.SITUATIONS)
    pairs = [(a.situation, a.time) for a in ADVICE]
    assert len(pairs) == len(set(pairs)), "one record per situation and time"


def test_every_item_is_sourced_and_names_only_known_roles():
    roles = set(periop.Role.__args__)  # type: ignore[attr-defined]
    for item in ADVICE:
        for entry in [*item.observe, *item.warning_signs, *item.actions]:
            assert entry.statement.sources and not entry.statement.illustrative, item.id
            assert entry.role is None or entry.role in roles


def test_a_statement_with_a_number_needs_more_than_a_patient_leaflet():
    record = DATA.get("periop_care", "cast_first_days").model_dump()
    leaflet = "nhs_mkuh_plaster"
    assert DATA.source(leaflet).tier == "C"
    record["observe"] = [{"statement": {"text": "The plaster takes 24 hours to dry.", "sources": [leaflet]}}]
    from osteo_teach.records import SourcedText

    with pytest.raises(ValidationError, match="patient-information"):
        SourcedText.model_validate(record["observe"][0]["statement"], context=_context())


def test_empty_advice_and_an_unknown_situation_are_refused():
    with pytest.raises(ValidationError, match="at least one item"):
        periop.CareAdvice.model_validate(
            {"id": "empty", "situation": "in_a_cast", "time": "at_home"}, context=_context()
        )
    with pytest.raises(ValidationError, match="situation"):
        periop.CareAdvice.model_validate(
            {
                "id": "hip_cast",
                "situation": "hip_in_a_cast",
                "time": "at_home",
                "observe": [{"statement": {"text": "x", "sources": ["boast10_compartment"]}}],
            },
            context=_context(),
        )


def test_a_cast_is_never_on_a_hip():
    assert "never a hip" in periop.SITUATIONS["in_a_cast"]
    for item in ADVICE:
        if item.situation == "after_hip_surgery":
            words = " ".join(e.statement.text for e in [*item.observe, *item.warning_signs, *item.actions])
            assert not re.search(r"\b(cast|plaster|splint)\b", words, re.IGNORECASE), item.id


def test_compartment_syndrome_is_taught_as_the_standard_states_it():
    first = periop.advice("in_a_cast", "first_hours", DATA)
    signs = " ".join(e.statement.text for e in first.warning_signs)
    assert "pain out of proportion" in signs.lower() and "passive movement" in signs
    assert "pulses are normally present" in signs
    nurse = [e for e in first.observe if e.role == "nurse"]
    assert nurse and "hourly" in nurse[0].statement.text
    assert any(e.role == "doctor" and "senior clinical review" in e.statement.text for e in first.actions)
    assert "do not contribute to early diagnosis" in DATA.source("boast10_compartment").note


def test_the_vte_fact_separates_the_recommendation_from_the_research_note():
    fact = DATA.record(KeyFact, "periop_vte_trap").statement
    assert "research recommendation" in fact.text and "not itself a recommendation" in fact.text
    assert fact.sources == ["nice_ng89_risk_assessment", "nice_ng89_research_aspirin"]
    assert "Why this is important" in DATA.source("nice_ng89_research_aspirin").note
    hip_days = periop.advice("after_hip_surgery", "first_days", DATA)
    vte = next(e for e in hip_days.actions if "VTE" in e.statement.text)
    assert "not from a recommendation" in vte.statement.text


def test_frequencies_refuse_impossible_numbers():
    record = DATA.get("periop_frequencies", "delirium_hip_meta_analysis").model_dump()
    with pytest.raises(ValidationError, match="inside its interval"):
        periop.Frequency.model_validate({**record, "value": 45.0}, context=_context())
    with pytest.raises(ValidationError, match="not a possible percentage"):
        periop.Frequency.model_validate({**record, "high": 139.5}, context=_context())
    bare = {k: v for k, v in record.items() if k not in ("value", "low", "high", "interval")}
    with pytest.raises(ValidationError, match="give a value"):
        periop.Frequency.model_validate(bare, context=_context())


# --- the explorer, driven as a student does ------------------------------------------------


def test_explorer_offers_for_each_situation_exactly_its_times():
    explorer = periop.CareExplorer(data=DATA)
    assert explorer.situation_dropdown.description == "Situation:"
    assert explorer.time_dropdown.description == "When:"
    for situation in periop.situations(DATA):
        explorer.situation_dropdown.value = situation
        offered = [v for _, v in explorer.time_dropdown.options]
        assert offered == [t for t in periop.TIMES if (situation, t) in {(a.situation, a.time) for a in ADVICE}]
        assert explorer.time_dropdown.value == offered[0], "a new situation starts at its first time"


def test_every_reachable_choice_shows_a_sourced_table_with_roles():
    seen = set()
    for explorer, situation, time in _student_choices():
        assert explorer.error is None, (situation, time)
        item = periop.advice(situation, time, DATA)
        table = explorer.html
        assert table not in seen, "each choice shows its own advice"
        seen.add(table)
        assert "<caption" in table and "scope='row'" in table
        for entry in [*item.observe, *item.warning_signs, *item.actions]:
            assert all(key in table for key in entry.statement.sources)
            assert entry.who in table
        if not item.warning_signs:
            assert "none in the sources read for this course" in table
        assert explorer.summary.startswith(periop.SITUATIONS[situation])
        assert periop._explorer_direct(explorer) == table, "a fresh build gives the same table"
        assert "The same, as plain text" in explorer.details.value
    assert len(seen) == len(ADVICE)


def test_an_unknown_choice_shows_a_message_not_a_traceback():
    explorer = periop.CareExplorer(data=DATA)
    explorer.show("hip_in_a_cast", "at_home")
    assert explorer.error and "no care advice for 'hip_in_a_cast'" in explorer.error
    assert "ot-error" in explorer.html
    explorer.show("in_a_cast", "next_year")
    assert "expected one of first_hours, first_days, at_home" in explorer.error
    explorer.situation_dropdown.value = "after_pin_fixation"
    assert explorer.error is None and "pin" in explorer.html


# --- figures and tables ---------------------------------------------------------------------


@pytest.mark.parametrize("style", ["classroom", "projector"])
def test_delirium_figure_shows_each_setting_with_its_source_and_year(style):
    use_style(style)
    try:
        figure = new_figure()
        summary = periop.draw_delirium(figure, DATA)
        assert not is_blank_png(render_png(figure))
        ax = figure.axes[0]
        assert ax.get_title() and "(%)" in ax.get_xlabel()
        labels = [t.get_text() for t in ax.get_yticklabels()]
        items = periop.frequencies(DATA, "delirium")
        assert len(labels) == len(items) >= 4
        for item, label in zip(items, reversed(labels), strict=True):
            assert str(item.year) in label and item.source_label in label
        assert {i.measure for i in items} == {"prevalence", "incidence"}
        assert _colours(figure) <= ALLOWED, _colours(figure) - ALLOWED
        assert all(i.shown_as in summary for i in items)
    finally:
        use_style("classroom")


def test_the_frequency_table_keeps_setting_measure_source_and_year():
    table = periop.frequencies_table(DATA)
    text, page = str(table), table._repr_html_()
    for item in periop.frequencies(DATA):
        assert item.setting in text and str(item.year) in text and item.measure in text
        assert all(key in text and key in page for key in item.statement.sources)
    assert "do not average" in page and "<caption" in page


# --- facts, reading list, exercises ---------------------------------------------------------


def test_every_fact_and_the_reading_list_rest_on_read_sources():
    keys = list(periop.source_keys(DATA))
    assert {"boast10_compartment", "nice_ng89_risk_assessment", "ignacio_2018_pce"} <= set(keys)
    for key in keys:
        assert DATA.source(key).verified
    assert ot.lesson("07_perioperative_care").reading_list(DATA).startswith("1. [")


@pytest.mark.parametrize(
    "solve",
    [periop.solution_exercise_1, periop.solution_exercise_2, periop.solution_exercise_3],
    ids=["ex1", "ex2", "ex3"],
)
def test_each_solution_stays_hidden_until_clicked_and_cites_its_sources(solve):
    solution = ot.show_solution(solve, DATA)
    assert solution.output.value == "" and not solution.shown
    solution.button.click()
    assert solution.shown and re.search(r"\[[a-z0-9_]+", solution.text)


def test_exercise_1_says_a_pulse_does_not_reassure_and_names_the_senior_review():
    text = periop.solution_exercise_1(DATA)
    assert "pulses are normally present" in text and "senior clinical review" in text
