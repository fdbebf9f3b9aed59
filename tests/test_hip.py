"""Lesson 06, the hip fracture: the pathway explorer driven as a student drives it, the
clinical rules it must keep (the operation each guideline pairs with each fracture type;
never a cast), the first-days chart, the mortality comparison and the exercises.
"""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

import osteo_teach as ot
from osteo_teach import hip
from osteo_teach.data import load
from osteo_teach.plots import is_blank_png, new_figure, render_png
from osteo_teach.records import KeyFact, Pathway, Source
from osteo_teach.style import use_style

from .test_healing import ALLOWED, _colours

DATA = load()
TYPES = hip.fracture_types(DATA)
TYPE_IDS = [t.id for t in TYPES]

#: Words that would mean the explorer shows a hip fracture treated in a cast or by immobilisation.
IMMOBILISATION = re.compile(r"\b(cast|plaster|splint|traction|sling|bed rest)\b", re.IGNORECASE)


def _context(data=DATA) -> dict:
    """The validation context the loader passes (known ids and source tiers)."""
    sources = data.records(Source)
    return {
        "sources": frozenset(s.id for s in sources),
        "sources:tiers": {s.id: s.tier for s in sources},
        "pathways": frozenset(data.table("pathways")),
    }


# --- the clinical rules -----------------------------------------------------------------


def test_the_four_fracture_types_in_teaching_order():
    assert TYPE_IDS == ["intracapsular_undisplaced", "intracapsular_displaced", "trochanteric", "subtrochanteric"]
    assert [t.capsule for t in TYPES] == ["intracapsular", "intracapsular", "extracapsular", "extracapsular"]


def test_each_type_is_paired_with_the_operation_its_guideline_names():
    ops = {t: hip.operations_for(t, DATA) for t in TYPE_IDS}
    # Displaced intracapsular: replacement (NICE CG124, AAOS 2014), never screws.
    assert ops["intracapsular_displaced"] == ["hemiarthroplasty", "total_hip_replacement"]
    # Trochanteric: an extramedullary implant (sliding hip screw), NICE CG124 and QS16.
    assert ops["trochanteric"] == ["sliding_hip_screw"]
    # Subtrochanteric: an intramedullary nail (NICE QS16 statement 5).
    assert ops["subtrochanteric"] == ["intramedullary_nail"]
    # Undisplaced intracapsular: fixation (AAOS 2014), and what AAOS 2021 adds.
    undisplaced = hip.fracture_type("intracapsular_undisplaced", DATA)
    assert [(r.body, r.year, r.operations) for r in undisplaced.recommendations] == [
        ("AAOS", 2014, ["internal_fixation"]),
        ("AAOS", 2021, ["hemiarthroplasty", "internal_fixation", "non_operative_care"]),
    ]
    assert not any(r.body == "NICE" for r in undisplaced.recommendations), "no NICE text read for this type"


def test_every_wording_is_a_quotation_from_a_guideline_source():
    tiers = {s.id: s.tier for s in DATA.records(Source)}
    for item in TYPES:
        for rec in item.recommendations:
            assert rec.wording.text.startswith('"') and rec.wording.text.rstrip().endswith('"'), rec.id
            assert all(tiers[key] == "G" for key in rec.wording.sources), (item.id, rec.id)
            assert DATA.source(rec.wording.sources[0]).year == rec.year, "the year shown is the guideline's"


def test_no_type_is_ever_shown_in_a_cast_or_immobilised():
    for item in TYPES:
        pathway = hip.pathway_of(item, DATA)
        assert pathway.site == "hip" and pathway.operative, item.id
        assert not [s for s in pathway.steps if s.kind == "immobilisation"], item.id
        shown = hip.pathway_text(item.id, DATA) + " ".join(hip.OPERATIONS[o] for o in hip.operations_for(item.id))
        shown = " ".join(shown.split()).replace("it is not a cast", "")  # the one sentence that says so
        assert not IMMOBILISATION.search(shown), (item.id, shown)
        summary = hip.first_days_summary(item.id, DATA)
        assert summary.endswith("No step is a cast or bed rest.")


def test_the_first_days_are_sourced_and_mobilise_the_day_after_surgery():
    for item in TYPES:
        rows = hip.first_days(item.id, DATA)
        assert all(r.starts.unit == "days" for r in rows)
        assert all(not r.timing.illustrative and r.timing.sources for r in rows), item.id
        surgery = next(r for r in rows if r.role == "surgeon and anaesthetist")
        assert (surgery.starts.min, surgery.starts.max) == (0, 1), "the day of, or the day after, admission"
        physio = next(r for r in rows if r.role == "physiotherapist")
        assert (physio.starts.min, physio.starts.max) == (1, 2), "the day after surgery"
        assert physio.onwards and "nice_cg124" in physio.timing.sources
        programme = next(r for r in rows if r.role == "orthogeriatric team")
        assert programme.starts.min == 0 and programme.onwards, "orthogeriatric care from admission"


def test_a_pathway_that_does_not_draw_the_first_operation_is_refused():
    record = DATA.get("hip_fracture_types", "subtrochanteric").model_dump()
    record["pathway"] = "hip_arthroplasty"
    with pytest.raises(ValidationError, match="does not draw intramedullary nail"):
        hip.HipFractureType.model_validate(record, context=_context())
    record["pathway"] = "no_such_pathway"
    with pytest.raises(ValidationError, match="unknown treatment pathway id"):
        hip.HipFractureType.model_validate(record, context=_context())


def test_non_operative_care_cannot_be_the_operation_drawn():
    record = DATA.get("hip_fracture_types", "intracapsular_undisplaced").model_dump()
    record["recommendations"] = [record["recommendations"][1]]
    record["recommendations"][0]["operations"] = ["non_operative_care", "internal_fixation"]
    with pytest.raises(ValidationError, match="has no pathway to draw"):
        hip.HipFractureType.model_validate(record, context=_context())


def test_an_operation_the_course_does_not_know_such_as_a_cast_is_refused():
    record = DATA.get("hip_fracture_types", "trochanteric").model_dump()
    record["recommendations"][0]["operations"] = ["cast"]
    with pytest.raises(ValidationError, match="operations"):
        hip.HipFractureType.model_validate(record, context=_context())


def test_a_mortality_figure_needs_evidence_and_a_possible_range():
    record = DATA.get("hip_outcomes", "reduce_30_day").model_dump()
    bad = {**record, "low": 12.0}
    with pytest.raises(ValidationError, match="inverted range"):
        hip.HipOutcome.model_validate(bad, context=_context())
    bad = {**record, "value": 140.0}
    with pytest.raises(ValidationError, match="not a possible percentage"):
        hip.HipOutcome.model_validate(bad, context=_context())
    patient_leaflet = next(s.id for s in DATA.records(Source) if s.tier == "C")
    bad = {**record, "statement": {"text": "7.3% died.", "sources": [patient_leaflet]}}
    with pytest.raises(ValidationError, match="needs at least one primary study, guideline or review"):
        hip.HipOutcome.model_validate(bad, context=_context())


# --- the explorer, driven as a student does ------------------------------------------------


def test_explorer_offers_every_fracture_type_and_shows_its_operations():
    explorer = hip.PathwayExplorer(data=DATA)
    assert explorer.type_dropdown.description == "Hip fracture:"
    assert [v for _, v in explorer.type_dropdown.options] == TYPE_IDS
    figure = explorer.panel.figure
    seen_png = set()
    for type_id in [*TYPE_IDS[1:], TYPE_IDS[0]]:
        explorer.type_dropdown.value = type_id
        item = hip.fracture_type(type_id, DATA)
        assert explorer.error is None
        assert explorer.panel.figure is figure, "the same figure is redrawn in place"
        assert not is_blank_png(explorer.png)
        seen_png.add(explorer.png)
        assert item.name in explorer.summary
        for op in hip.operations_for(type_id, DATA):
            assert hip.OPERATIONS[op] in explorer.html
        others = set(hip.OPERATIONS) - set(hip.operations_for(type_id, DATA))
        assert not any(f">{hip.OPERATIONS[o]}<" in explorer.html for o in others), "only its own operations"
        assert "<caption" in explorer.html and "scope='row'" in explorer.html
        for rec in item.recommendations:
            assert all(key in explorer.html for key in rec.wording.sources)
        assert "Everything shown, with sources" in explorer.details.value
        assert hip._explorer_direct(explorer) == explorer.png, "a fresh draw gives the same picture"
    assert len(seen_png) == len(TYPE_IDS)


def test_explorer_shows_the_team_with_roles():
    explorer = hip.PathwayExplorer(data=DATA)
    for role in ("orthogeriatric team", "nurse", "multidisciplinary team"):
        assert role in explorer.team.value


def test_an_unknown_fracture_type_shows_a_message_not_a_traceback():
    explorer = hip.PathwayExplorer(data=DATA)
    explorer.show("wrist")
    assert explorer.error and "unknown hip fracture type 'wrist'" in explorer.error
    assert "ot-error" in explorer.operations.value and explorer.png == b""
    explorer.type_dropdown.value = "trochanteric"
    assert explorer.error is None and explorer.png


# --- figures ----------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["classroom", "projector"])
@pytest.mark.parametrize("type_id", TYPE_IDS)
def test_first_days_chart_renders_in_both_styles_with_days_and_palette(style, type_id):
    use_style(style)
    try:
        figure = new_figure()
        summary = hip.draw_first_days(figure, type_id, DATA)
        assert not is_blank_png(render_png(figure))
        ax = figure.axes[0]
        assert ax.get_title() and "Days from admission" in ax.get_xlabel()
        assert ax.get_xticklabels()[0].get_text().startswith("day 0")
        assert len(ax.get_yticklabels()) == len(hip.first_days(type_id, DATA))
        assert _colours(figure) <= ALLOWED, _colours(figure) - ALLOWED
        assert summary.endswith(".") and hip.fracture_type(type_id, DATA).name in summary
    finally:
        use_style("classroom")


@pytest.mark.parametrize("style", ["classroom", "projector"])
def test_mortality_figure_sets_the_sources_side_by_side_with_their_years(style):
    use_style(style)
    try:
        figure = new_figure()
        summary = hip.draw_mortality(figure, DATA)
        assert not is_blank_png(render_png(figure))
        labels = [t.get_text() for t in figure.axes[0].get_yticklabels()]
        outcomes = hip.outcomes(DATA)
        assert len(labels) == len(outcomes) >= 4
        for outcome, label in zip(outcomes, reversed(labels), strict=True):
            assert outcome.source_label in label and str(outcome.year) in label
        assert {o.measure for o in outcomes} == {"30-day mortality", "1-year mortality"}
        assert len({o.source_label for o in outcomes}) >= 3, "several sources, so the disagreement shows"
        assert _colours(figure) <= ALLOWED, _colours(figure) - ALLOWED
        assert "not averaged" in summary and all(o.shown_as in summary for o in outcomes)
    finally:
        use_style("classroom")


# --- text, facts and exercises ----------------------------------------------------------------


def test_anaesthesia_evidence_is_printed_oldest_first_with_its_quality():
    text = hip.anaesthesia_text(DATA)
    years = [int(y) for y in re.findall(r"\((20\d\d)\):", text)]
    assert years == sorted(years) and years[0] == 2011 and 2021 in years
    assert "LOW QUALITY" in text and "randomised" in text and "no difference" in text


def test_every_fact_the_notebook_prints_rests_on_evidence():
    tiers = {s.id: s.tier for s in DATA.records(Source)}
    for fact_id in hip.FACTS:
        fact = DATA.record(KeyFact, fact_id)
        assert any(tiers[key] in "PGR" for key in fact.statement.sources), fact_id


def test_the_reading_list_holds_every_source_shown():
    keys = list(hip.source_keys(DATA))
    assert "nice_cg124" in keys and "regain_neuman_2021" in keys and "kristensen_kehlet_2018" in keys
    for item in TYPES:
        for cited in item.recommendations:
            assert set(cited.wording.sources) <= set(keys)
    assert ot.lesson("06_hip_fracture").reading_list(DATA).startswith("1. [")


@pytest.mark.parametrize(
    "solve", [hip.solution_exercise_1, hip.solution_exercise_2, hip.solution_exercise_3], ids=["ex1", "ex2", "ex3"]
)
def test_each_solution_stays_hidden_until_clicked_and_cites_its_sources(solve):
    solution = ot.show_solution(solve, DATA)
    assert solution.output.value == "" and not solution.shown
    solution.button.click()
    assert solution.shown and "ot-solution" in solution.output.value
    assert re.search(r"\[[a-z0-9_]+", solution.text), "the solution names its sources"


def test_exercise_1_pairs_the_displaced_fracture_with_a_replacement_not_screws():
    text = hip.solution_exercise_1(DATA)
    assert "hemiarthroplasty" in text and "total hip replacement" in text
    assert "not with screws" in text and "not read" in text, "the THR criteria are not claimed"


def test_the_pathways_reused_are_the_courses_hip_pathways():
    used = {t.pathway for t in TYPES}
    assert used == {p.id for p in DATA.records(Pathway) if p.site == "hip"}


@pytest.mark.parametrize("style", ["classroom", "projector"])
def test_every_fracture_types_first_days_fit_the_explorers_figure(style):
    """Fixed margins, no cropping: in every state and both styles nothing is cut off and no labels touch."""
    from .layout_checks import assert_every_state_fits, fixed_layout_problem

    def types():
        return [(type_id,) for _, type_id in hip.PathwayExplorer(data=DATA).type_dropdown.options]

    def draw(figure, type_id):
        return hip.draw_first_days(figure, type_id, DATA)

    assert_every_state_fits(style, lambda: hip.PathwayExplorer(data=DATA), types, draw, fixed_layout_problem)
