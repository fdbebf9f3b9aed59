"""End-to-end, lessons 06 and 07: the pathway explorer and the care explorer driven with
the mouse in JupyterLab, every option of every menu, checked against data/.

The notebooks are run (and screenshotted) by the shared ``ran_notebook`` fixture; the
generic checks (no error, every widget rendered) are in ``test_notebooks_in_lab.py``.
"""

from __future__ import annotations

import pytest

import osteo_teach
from osteo_teach import hip
from osteo_teach import perioperative as periop
from osteo_teach.lessons import widget_specs

from .conftest import RanNotebook
from .lab_driver import dropdown_select, figure_src, option_labels, wait_for_new_figure, wait_for_texts, widget_outputs

pytestmark = pytest.mark.browser


def _notebooks_with(widget: str) -> list[str]:
    return [f"{lesson.id}.ipynb" for lesson, spec in widget_specs() if spec.name == widget]


@pytest.mark.parametrize("ran_notebook", _notebooks_with("PathwayExplorer"), indirect=True)
def test_pathway_explorer_shows_each_fracture_types_own_operations(ran_notebook: RanNotebook) -> None:
    from playwright.sync_api import expect

    data = osteo_teach.load()
    types = hip.fracture_types(data)
    view = widget_outputs(ran_notebook.page, has_label="Hip fracture:").first
    view.scroll_into_view_if_needed()
    select = dropdown_select(view, "Hip fracture:")
    assert option_labels(select) == [t.name for t in types]
    for item in [*types[1:], types[0]]:
        before = figure_src(view)
        select.select_option(label=item.name)
        wait_for_new_figure(view, before)
        table = view.locator("table.ot-hip-ops")
        expect(table.locator("caption")).to_have_text(f"{item.name}: which operation, per guideline")
        # The "Operation(s) it names" column lists exactly the guidelines' operations (one per line).
        column = table.locator("tbody tr td:nth-child(2)").all_inner_texts()
        shown = {line.strip() for cell in column for line in cell.splitlines() if line.strip()}
        assert shown == {hip.OPERATIONS[op] for op in hip.operations_for(item.id, data)}, (item.id, shown)
        assert "cast" not in table.inner_text().lower().replace("it is not a cast", "")
        assert view.locator(".ot-error").count() == 0


@pytest.mark.parametrize("ran_notebook", _notebooks_with("CareExplorer"), indirect=True)
def test_care_explorer_offers_each_situation_only_its_times(ran_notebook: RanNotebook) -> None:
    from playwright.sync_api import expect

    data = osteo_teach.load()
    view = widget_outputs(ran_notebook.page, has_label="Situation:").first
    view.scroll_into_view_if_needed()
    situation = dropdown_select(view, "Situation:")
    assert option_labels(situation) == [periop.SITUATIONS[s] for s in periop.situations(data)]
    shown = 0
    for situation_id in [*periop.situations(data)[1:], periop.situations(data)[0]]:
        situation.select_option(label=periop.SITUATIONS[situation_id])
        times = periop.times_for(situation_id, data)
        when = dropdown_select(view, "When:")
        expect(when.locator("option")).to_have_text([periop.TIMES[t] for t in times])
        for time_id in [*times[1:], times[0]]:
            when.select_option(label=periop.TIMES[time_id])
            caption = f"{periop.SITUATIONS[situation_id]}: {periop.TIMES[time_id].lower()}"
            wait_for_texts(view, "table.ot-care caption", [caption])
            item = periop.advice(situation_id, time_id, data)
            table = view.locator("table.ot-care")
            for entry in [*item.observe, *item.warning_signs, *item.actions]:
                expect(table).to_contain_text(entry.statement.sources[0])
            shown += 1
        assert view.locator(".ot-error").count() == 0
    assert shown == len(data.records(periop.CareAdvice))
