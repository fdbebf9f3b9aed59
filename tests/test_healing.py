"""Healing figures, the timeline explorer and the factors table, driven as a student drives them."""

from __future__ import annotations

import itertools

import pytest
from matplotlib.colors import to_hex

from osteo_teach import healing
from osteo_teach.data import load
from osteo_teach.plots import is_blank_png, new_figure, render_png
from osteo_teach.records import HealingFactor, TimelineStep
from osteo_teach.style import OKABE_ITO, PALETTE, use_style

ALLOWED = {c.lower() for c in PALETTE} | {c.lower() for c in OKABE_ITO.values()} | {"#ffffff"}
SITES = list(load().table("fracture_sites"))


def _colours(figure) -> set[str]:
    """Every face/edge/line colour used on the figure's axes (alpha ignored, invisible ignored)."""
    found: set[str] = set()
    for ax in figure.axes:
        for patch in ax.patches:
            for colour in (patch.get_facecolor(), patch.get_edgecolor()):
                if colour[3] > 0:
                    found.add(to_hex(colour[:3]))
        for line in ax.lines:
            found.add(to_hex(line.get_color()))
    return found


def _check_figure(figure, summary: str) -> None:
    png = render_png(figure)
    assert not is_blank_png(png)
    ax = figure.axes[0]
    assert ax.get_title(), "every figure has a title"
    assert "(weeks)" in ax.get_xlabel(), "the time axis states its unit"
    assert summary.endswith(".") and len(summary) > 40
    assert _colours(figure) <= ALLOWED, _colours(figure) - ALLOWED


@pytest.mark.parametrize("style", ["classroom", "projector"])
@pytest.mark.parametrize("draw", [healing.draw_phases, healing.draw_site_chart], ids=["phases", "sites"])
def test_static_figures_render_with_title_units_and_palette(draw, style):
    use_style(style)
    try:
        figure = new_figure()
        _check_figure(figure, draw(figure))
    finally:
        use_style("classroom")


def test_phase_figure_draws_every_phase_from_data():
    figure = new_figure()
    healing.draw_phases(figure)
    labels = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert sorted(labels) == sorted(p.name for p in load().table("healing_phases").values())


def test_site_chart_lists_every_site():
    figure = new_figure()
    summary = healing.draw_site_chart(figure)
    labels = {t.get_text() for t in figure.axes[0].get_yticklabels()}
    sites = list(load().table("fracture_sites").values())
    assert labels == {s.name for s in sites if s.healing_weeks is not None}
    # a site without a sourced healing time is not drawn, and the summary says so
    for site in sites:
        if site.healing_weeks is None:
            assert site.name.lower() in summary


def test_explorer_has_the_two_dropdowns_with_every_site_and_both_reductions():
    explorer = healing.TimelineExplorer()
    assert explorer.site_dropdown.description == "Fracture site:"
    assert explorer.reduction_dropdown.description == "Reduction:"
    assert [v for _, v in explorer.site_dropdown.options] == SITES
    assert [v for _, v in explorer.reduction_dropdown.options] == ["open_reduction", "closed_reduction"]
    assert explorer.png and not is_blank_png(explorer.png)
    assert explorer.error is None


def test_every_site_and_reduction_redraws_the_same_figure_with_a_new_picture():
    explorer = healing.TimelineExplorer()
    figure = explorer.panel.figure
    seen_png, seen_summary = set(), set()
    data = load()
    for site_id, reduction_id in itertools.product(SITES, healing.REDUCTIONS):
        explorer.site_dropdown.value = site_id
        explorer.reduction_dropdown.value = reduction_id
        site = data.get("fracture_sites", site_id)
        reduction = data.get("procedures", reduction_id)
        assert explorer.error is None
        assert explorer.panel.figure is figure, "redrawn in place, not a new figure"
        assert not is_blank_png(explorer.png)
        assert site.name in explorer.summary and reduction.name.lower() in explorer.summary
        assert explorer.text.startswith(f"{site.name.upper()} - {reduction.name.upper()}")
        assert site.name in figure.axes[0].get_title()
        assert _colours(figure) <= ALLOWED
        seen_png.add(explorer.png)
        seen_summary.add(explorer.summary)
    assert len(seen_png) == len(SITES) * 2, "each choice draws a different picture"
    assert len(seen_summary) == len(SITES) * 2


def test_explorer_marks_the_six_week_reference_from_the_key_fact():
    explorer = healing.TimelineExplorer("hip", "open_reduction")
    fact = load().get("key_facts", healing.REFERENCE_FACT)
    ax = explorer.panel.figure.axes[0]
    xs = [line.get_xdata()[0] for line in ax.lines if line.get_linestyle() == "--"]
    assert fact.value in xs
    assert f"about {fact.value:g} weeks" in explorer.summary
    assert "Reference line: 6 weeks" in explorer.text


def test_illustrative_timings_are_labelled_illustrative_in_figure_summary_and_text():
    explorer = healing.TimelineExplorer("wrist", "open_reduction")
    labels = [t.get_text() for t in explorer.panel.figure.axes[0].get_yticklabels()]
    timeline = healing.resolve_timeline("wrist", "open_reduction")
    for step in timeline.steps:
        assert step.illustrative, "after open reduction no timing is sourced"
        assert f"{step.label}\n(illustrative)" in labels
    assert explorer.summary.count("(illustrative)") == len(timeline.steps)
    assert explorer.text.count("timing illustrative") == len(timeline.steps)


def test_sourced_immobilisation_is_not_labelled_illustrative():
    wrist = healing.resolve_timeline("wrist", "closed_reduction")
    immobilisation = wrist.step("immobilisation")
    assert not immobilisation.illustrative
    assert (immobilisation.low, immobilisation.high) == (6, 6)
    ankle = healing.resolve_timeline("ankle", "closed_reduction").step("immobilisation")
    assert (ankle.low, ankle.high) == (9, 12) and ankle.timing.sources == ["ao_malleoli"]


def test_a_minimum_immobilisation_reads_as_at_least_in_figure_summary_and_text():
    # AO: after reduction the ankle cast "should not be removed before 9-12 weeks" (a minimum).
    ankle = healing.resolve_timeline("ankle", "closed_reduction").step("immobilisation")
    assert ankle.minimum
    figure = new_figure()
    summary = healing.draw_timeline(figure, "ankle", "closed_reduction")
    assert "for at least 9-12 weeks" in summary
    assert any(t.get_text() == "at least 9-12 weeks" for t in figure.axes[0].texts)
    assert "ends week 9-12 at the earliest" in healing.timeline_text("ankle", "closed_reduction")
    wrist = healing.draw_timeline(new_figure(), "wrist", "closed_reduction")
    assert "at least" not in wrist


def test_phases_text_says_the_windows_are_approximate():
    assert healing.phases_text().startswith("Approximate windows")


def test_reduction_type_changes_immobilisation_and_physiotherapy():
    closed = healing.resolve_timeline("ankle", "closed_reduction")
    opened = healing.resolve_timeline("ankle", "open_reduction")
    assert closed.step("immobilisation").high > opened.step("immobilisation").high
    assert closed.step("physiotherapy").low > opened.step("physiotherapy").low
    # physiotherapy is drawn when immobilisation ends (illustrative anchor)
    for timeline in (closed, opened):
        assert timeline.step("physiotherapy").low == timeline.step("immobilisation").low


def test_unknown_site_or_reduction_shows_a_clear_message_not_a_traceback():
    explorer = healing.TimelineExplorer()
    explorer.show("femur_neck", "closed_reduction")
    assert explorer.error.startswith("unknown fracture site 'femur_neck': expected one of")
    assert "Cannot show this" in explorer.panel.caption.value
    assert explorer.png == b"" and explorer.text == ""
    explorer.show("wrist", "vertebroplasty")
    assert explorer.error == "unknown reduction type 'vertebroplasty': expected one of open_reduction, closed_reduction"
    explorer.site_dropdown.value = "hip"  # a valid choice recovers
    assert explorer.error is None and not is_blank_png(explorer.png)


def test_last_draw_replays_on_a_fresh_figure():
    explorer = healing.TimelineExplorer("tibial_shaft", "closed_reduction")
    figure = new_figure()
    assert explorer.panel.last_draw(figure) == explorer.summary
    assert not is_blank_png(render_png(figure))


def test_every_timeline_step_cites_or_is_illustrative_with_a_reason():
    for step in load().table("timeline_steps").values():
        assert isinstance(step, TimelineStep)
        assert step.what.sources and not step.what.illustrative, "that a step happens is sourced"
        assert step.timing.sources or (step.timing.illustrative and step.timing.reason)


def test_factors_table_shows_every_estimate_with_its_sources():
    data = load()
    text = healing.factors_table_text(data)
    html = healing.factors_table_html(data)
    factors = list(data.table("healing_factors").values())
    assert {f.factor for f in factors} >= {"Smoking", "Diabetes (type 1)", "Osteoporosis", "Open fracture"}
    assert any(f.factor.startswith("NSAIDs") for f in factors)
    for factor in factors:
        assert isinstance(factor, HealingFactor)
        assert f"{factor.value:g}" in text and f"{factor.value:g}" in html
        for key in factor.statement.sources:
            assert key in text and key in html
    assert "95% CI 2.05 to 4.89" in text, "the osteoporosis interval carries its stated level"
    assert text.count("may not") == html.count("may not") == sum(f.caveat is not None for f in factors)
    table = healing.factors_table(data)
    assert str(table) == text and table._repr_html_() == html


def test_a_factor_value_outside_its_interval_is_rejected():
    from pydantic import ValidationError

    record = load().get("healing_factors", "osteoporosis_quan").model_dump()
    record["value"] = 9.9
    with pytest.raises(ValidationError, match="must lie inside its interval"):
        HealingFactor.model_validate(record, context={})


def test_factors_keep_the_decimal_places_their_source_gives():
    from osteo_teach.healing import factors_table_text

    assert "odds ratio 3.50" in factors_table_text()


def test_explorer_warns_when_the_healing_time_was_measured_after_another_treatment():
    from osteo_teach.healing import TimelineExplorer

    explorer = TimelineExplorer("proximal_humerus_plate", "open_reduction")
    assert "Caution" not in explorer.panel.summary
    explorer.reduction_dropdown.value = "closed_reduction"
    assert "Caution: this site's healing time was measured after surgery" in explorer.panel.summary
    assert "Caution" in explorer.text
    explorer.site_dropdown.value = "ankle"
    assert "Caution" not in explorer.panel.summary
    explorer.reduction_dropdown.value = "open_reduction"
    assert "measured without surgery" in explorer.panel.summary


def test_every_pathway_is_a_treatment_its_site_has():
    """data/pathways.yaml: sourced steps, sourced or illustrative timings, no cast for hip or spine."""
    data = load()
    pathways = list(data.table("pathways").values())
    assert {p.site for p in pathways} >= {"wrist", "ankle", "proximal_humerus", "hip", "vertebra"}
    for pathway in pathways:
        assert pathway.applies.sources and not pathway.applies.illustrative
        for step in pathway.steps:
            assert step.what.sources and not step.what.illustrative, (pathway.id, step.id)
            assert step.timing.sources or (step.timing.illustrative and step.timing.reason), (pathway.id, step.id)
        if pathway.site in ("hip", "vertebra"):
            assert pathway.operative or pathway.site == "vertebra"
            assert not any(s.kind == "immobilisation" for s in pathway.steps), f"{pathway.id}: no cast or splint"
    hip = [p for p in pathways if p.site == "hip"]
    for pathway in hip:
        mobilise = next(s for s in pathway.steps if s.kind == "mobilisation")
        assert mobilise.starts.unit == "days" and mobilise.starts.min == 1, "NICE: the day after surgery"
