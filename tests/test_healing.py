"""Healing figures (phases, healing time by site) and the factors table."""

from __future__ import annotations

import pytest
from matplotlib.colors import to_hex

from osteo_teach import healing
from osteo_teach.data import load
from osteo_teach.plots import is_blank_png, new_figure, render_png
from osteo_teach.records import HealingFactor
from osteo_teach.style import OKABE_ITO, PALETTE, use_style

ALLOWED = {c.lower() for c in PALETTE} | {c.lower() for c in OKABE_ITO.values()} | {"#ffffff"}


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


def test_phases_text_says_the_windows_are_approximate():
    assert healing.phases_text().startswith("Approximate windows")


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
