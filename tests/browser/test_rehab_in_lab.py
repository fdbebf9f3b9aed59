"""End-to-end, lesson 08: the care planner in JupyterLab, driven with the mouse.

Choose every fracture, then every treatment the page offers for it: the page must offer only
that fracture's treatments (data/pathways.yaml) and redraw the plan, with a new figure and a
new summary, for every choice.
"""

from __future__ import annotations

import re

import pytest

import osteo_teach
from osteo_teach import rehab
from osteo_teach.lessons import widget_specs

from .conftest import RanNotebook
from .lab_driver import FIGURE_IMG, dropdown_select, figure_src, option_labels, wait_for_new_figure, widget_outputs
from .test_notebooks_in_lab import _drive_figure_widget

pytestmark = pytest.mark.browser

PLANNER_NOTEBOOKS = [f"{lesson.id}.ipynb" for lesson, spec in widget_specs() if spec.name == "CarePlanner"]


@pytest.mark.parametrize("ran_notebook", PLANNER_NOTEBOOKS, indirect=True)
def test_care_planner_offers_each_fracture_only_its_treatments_and_redraws_for_each(
    ran_notebook: RanNotebook,
) -> None:
    from playwright.sync_api import expect

    data = osteo_teach.load()
    sites = rehab.planner_sites(data)
    names = [rehab.plan_for(s.id, data).name for s in sites]
    view = widget_outputs(ran_notebook.page, has_label="Fracture:").first
    fracture = dropdown_select(view, "Fracture:")
    assert option_labels(fracture) == names
    redraws = 0
    for site, name in zip([*sites[1:], sites[0]], [*names[1:], names[0]], strict=True):
        before = figure_src(view)
        fracture.select_option(label=name)
        wait_for_new_figure(view, before)
        treatments = [p.name for p in rehab.treatments_for(site.id, data)]
        expect(dropdown_select(view, "Treatment:").locator("option")).to_have_text(treatments)
        # The figure's alt text (what a screen reader says) names the chosen fracture.
        expect(view.locator(FIGURE_IMG).first).to_have_attribute("alt", re.compile(re.escape(name)))
        if len(treatments) > 1:
            redraws += _drive_figure_widget(ran_notebook, "Fracture:", {"Treatment:": treatments})
    assert redraws == sum(
        len(rehab.treatments_for(s.id, data)) for s in sites if len(rehab.treatments_for(s.id, data)) > 1
    )
    assert view.locator(".ot-error").count() == 0
