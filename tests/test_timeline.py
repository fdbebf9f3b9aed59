"""The timeline explorer, driven as a student drives it: a site, then one of its treatments.

The clinical rule under test: the explorer draws only treatment pathways that
exist for the chosen site (data/pathways.yaml), so it can never draw a hip
fracture or a spine fracture in a cast.
"""

from __future__ import annotations

import pytest

from osteo_teach import healing, timeline
from osteo_teach.data import load
from osteo_teach.plots import is_blank_png, new_figure, render_png
from osteo_teach.records import FractureSite, KeyFact, Pathway

from .layout_checks import assert_every_state_fits, fixed_layout_problem
from .test_healing import ALLOWED, _colours

DATA = load()
PATHWAYS = DATA.records(Pathway)
SITES = timeline.sites_with_pathways(DATA)

#: Sites whose fractures are never treated in a cast, splint or sling (NICE CG124 for the
#: hip: an operation and mobilisation the day after; spine: no cast in any pathway).
NEVER_IMMOBILISED = ("hip", "vertebra")


def _student_choices():
    """Every (site, treatment) pair a student can reach with the two dropdowns."""
    explorer = timeline.TimelineExplorer(data=DATA)
    for _, site_id in explorer.site_dropdown.options:
        explorer.site_dropdown.value = site_id
        for _, pathway_id in explorer.pathway_dropdown.options:
            yield site_id, pathway_id


def test_the_pathways_cover_the_osteoporotic_fracture_sites():
    sites = {s.id for s in SITES}
    assert {"wrist", "ankle", "proximal_humerus", "hip", "vertebra"} <= sites
    for site_id in ("wrist", "ankle", "proximal_humerus", "vertebra"):
        kinds = {p.operative for p in timeline.pathways_for(site_id, DATA)}
        assert kinds == {True, False}, f"{site_id}: a choice between surgery and treatment without it"
    assert all(p.operative for p in timeline.pathways_for("hip", DATA)), "a hip fracture is operated on"


@pytest.mark.parametrize("site_id", NEVER_IMMOBILISED)
def test_no_pathway_puts_a_hip_or_spine_fracture_in_a_cast(site_id):
    for pathway in timeline.pathways_for(site_id, DATA):
        assert not [s for s in pathway.steps if s.kind == "immobilisation"], pathway.id
        words = " ".join(f"{s.label} {s.what.text}" for s in pathway.steps).lower()
        assert "cast" not in words and "splint" not in words, pathway.id


def test_hip_pathways_mobilise_within_days_of_the_operation():
    for pathway in timeline.pathways_for("hip", DATA):
        kinds = [s.kind for s in pathway.steps]
        assert "surgery" in kinds, pathway.id
        moving = [s for s in pathway.steps if s.kind in ("mobilisation", "weight_bearing", "physiotherapy")]
        assert moving and min(s.starts.in_weeks[0] for s in moving) <= 1, "mobilised within the first week"
        assert any(not s.timing.illustrative for s in moving), "the mobilisation timing is sourced"
        mobilise = next(s for s in pathway.steps if s.kind == "mobilisation")
        assert mobilise.starts.unit == "days" and mobilise.starts.min == 1, "NICE CG124: the day after surgery"


def test_explorer_offers_for_each_site_exactly_that_sites_treatments():
    explorer = timeline.TimelineExplorer(data=DATA)
    assert explorer.site_dropdown.description == "Fracture site:"
    assert explorer.pathway_dropdown.description == "Treatment:"
    assert [v for _, v in explorer.site_dropdown.options] == [s.id for s in SITES]
    for site in SITES:
        explorer.site_dropdown.value = site.id
        offered = [v for _, v in explorer.pathway_dropdown.options]
        assert offered == [p.id for p in PATHWAYS if p.site == site.id]
        assert explorer.pathway_dropdown.value == offered[0], "a site change selects its first treatment"
        assert explorer.error is None and site.name in explorer.summary


def test_every_reachable_choice_redraws_the_same_figure_with_a_new_picture():
    explorer = timeline.TimelineExplorer(data=DATA)
    figure = explorer.panel.figure
    seen_png, seen_summary, count = set(), set(), 0
    for site_id, pathway_id in _student_choices():
        explorer.site_dropdown.value = site_id
        explorer.pathway_dropdown.value = pathway_id
        pathway = DATA.record(Pathway, pathway_id)
        site = DATA.record(FractureSite, site_id)
        assert pathway.site == site_id, "a treatment of another site is never reachable"
        assert explorer.error is None
        assert explorer.panel.figure is figure, "redrawn in place, not a new figure"
        assert not is_blank_png(explorer.png)
        assert site.name in explorer.summary and pathway.name.lower() in explorer.summary
        assert explorer.text.startswith(f"{site.name.upper()} - {pathway.name.upper()}")
        assert pathway.name in " ".join(figure.axes[0].get_title().split()), "the title (wrapped to fit) names it"
        assert _colours(figure) <= ALLOWED
        seen_png.add(explorer.png)
        seen_summary.add(explorer.summary)
        count += 1
    assert count == len(PATHWAYS), "every pathway is reachable"
    assert len(seen_png) == count and len(seen_summary) == count, "each choice draws a different picture"


def test_changing_the_site_draws_once():
    explorer = timeline.TimelineExplorer("wrist", data=DATA)
    calls = []
    original = explorer.panel.redraw
    explorer.panel.redraw = lambda draw, key=None: (calls.append(draw), original(draw, key))  # type: ignore[method-assign]
    explorer.site_dropdown.value = "hip"
    assert len(calls) == 1


def test_every_step_cites_what_happens_and_sources_or_flags_its_timing():
    for pathway in PATHWAYS:
        assert pathway.applies.sources, f"{pathway.id}: who gets this treatment is sourced"
        for step in pathway.steps:
            assert step.what.sources and not step.what.illustrative, f"{pathway.id}/{step.id}"
            assert step.timing.sources or (step.timing.illustrative and step.timing.reason)


def test_illustrative_timings_are_labelled_in_rows_summary_and_text():
    for site_id, pathway_id in _student_choices():
        figure = new_figure()
        summary = timeline.draw_timeline(figure, site_id, pathway_id, DATA)
        text = timeline.timeline_text(site_id, pathway_id, DATA)
        labels = [t.get_text() for t in figure.axes[0].get_yticklabels()]
        steps = DATA.record(Pathway, pathway_id).steps
        flagged = [s for s in steps if s.timing.illustrative]
        assert summary.count("(illustrative)") == len(flagged)
        assert text.count("timing illustrative") == len(flagged)
        assert sum(label.endswith("(illustrative)") for label in labels) == len(flagged)


def test_the_reference_line_comes_from_the_key_fact():
    fact = DATA.record(KeyFact, healing.REFERENCE_FACT)
    site_id, pathway_id = next(_student_choices())
    explorer = timeline.TimelineExplorer(site_id, pathway_id, data=DATA)
    ax = explorer.panel.figure.axes[0]
    xs = [line.get_xdata()[0] for line in ax.lines if line.get_linestyle() == "--"]
    assert fact.value in xs
    assert f"about {fact.value:g} weeks" in explorer.summary
    assert f"Reference line: {fact.value:g} weeks" in explorer.text


def test_a_minimum_end_reads_as_at_least():
    minimum = [(p, s) for p in PATHWAYS for s in p.steps if s.minimum and s.ends is not None]
    for pathway, step in minimum:
        summary = timeline.draw_timeline(new_figure(), pathway.site, pathway.id, DATA)
        assert f"at least until {step.ends.describe()}" in summary
    for pathway in PATHWAYS:
        if not any(s.minimum for s in pathway.steps):
            assert "at least until" not in timeline.draw_timeline(new_figure(), pathway.site, pathway.id, DATA)


def test_a_treatment_of_another_site_or_an_unknown_one_shows_a_clear_message():
    explorer = timeline.TimelineExplorer(data=DATA)
    foreign = next(p for p in PATHWAYS if p.site != "hip")
    explorer.show("hip", foreign.id)
    hip = DATA.record(FractureSite, "hip").name.lower()
    assert explorer.error.startswith(f"'{foreign.id}' is not a treatment for {hip}: expected one of")
    assert "Cannot show this" in explorer.panel.caption.value
    assert explorer.png == b"" and explorer.text == ""
    explorer.show("femur_neck", "anything")
    assert explorer.error.startswith("unknown fracture site 'femur_neck': expected one of")
    explorer.site_dropdown.value = "vertebra"  # a valid choice recovers
    assert explorer.error is None and not is_blank_png(explorer.png)


def test_last_draw_replays_on_a_fresh_figure():
    explorer = timeline.TimelineExplorer("vertebra", data=DATA)
    figure = new_figure()
    assert explorer.panel.last_draw(figure) == explorer.summary
    assert not is_blank_png(render_png(figure))


def test_healing_time_after_another_kind_of_treatment_carries_a_caution():
    for pathway in PATHWAYS:
        site = DATA.record(FractureSite, pathway.site)
        drawn = timeline.resolve_timeline(site.id, pathway.id, DATA).healing
        mismatch = pathway.healing is None and site.measured_after == ("no surgery" if pathway.operative else "surgery")
        assert (drawn.caution is not None) == mismatch, pathway.id
        summary = timeline.draw_timeline(new_figure(), site.id, pathway.id, DATA)
        assert ("Caution:" in summary) == mismatch


def test_a_state_shown_again_is_not_drawn_again_and_is_byte_identical():
    explorer = timeline.TimelineExplorer("wrist", data=DATA)
    first = explorer.png
    draws = []
    original = explorer.panel.figure.clear
    explorer.panel.figure.clear = lambda *a, **k: (draws.append(1), original(*a, **k))  # type: ignore[method-assign]
    explorer.site_dropdown.value = "hip"
    assert len(draws) == 1, "a new state is drawn"
    explorer.site_dropdown.value = "wrist"
    assert len(draws) == 1, "a state seen before is shown from what was kept"
    assert explorer.png == first


def test_rendering_ahead_fills_every_state_with_what_a_fresh_draw_gives():
    from osteo_teach.lessons import lesson

    spec = next(s for s in lesson("03_healing_timelines").widgets if s.name == "TimelineExplorer")
    explorer = spec.build(DATA)
    explorer._repr_mimebundle_()  # what displaying it in a notebook does
    explorer.panel.wait_ahead(120)
    for pathway in PATHWAYS:
        assert explorer.panel.kept((pathway.site, pathway.id)), pathway.id
    draws = []
    original = explorer.panel.figure.clear
    explorer.panel.figure.clear = lambda *a, **k: (draws.append(1), original(*a, **k))  # type: ignore[method-assign]
    for site_id, pathway_id in _student_choices():
        explorer.site_dropdown.value = site_id
        explorer.pathway_dropdown.value = pathway_id
        assert spec.direct(explorer) == explorer.png, f"{pathway_id}: drawn ahead differs from a fresh draw"
    assert draws == [], "every state was drawn ahead"


@pytest.mark.parametrize("style", ["classroom", "projector"])
def test_every_state_fits_its_figure_with_no_label_touching_another(style):
    """The explorer's figure keeps one size and fixed margins (no cropping): in every state
    and both styles, nothing is cut off at an edge and no two row labels overlap."""

    def draw(figure, site_id, pathway_id):
        return timeline.draw_timeline(figure, site_id, pathway_id, DATA)

    def explorer():
        return timeline.TimelineExplorer(data=DATA)

    assert_every_state_fits(style, explorer, _student_choices, draw, fixed_layout_problem)
