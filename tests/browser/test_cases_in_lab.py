"""End-to-end: the patient cases played with the mouse in JupyterLab, every route of every case in every role.

A route is a sequence of decision points (a wrong choice may lead to an extra step
first). For each case and each role the test walks every route: at each decision
point it clicks the radio button of an option that follows the route (on the first
route, every option in turn, checking that each shows its own feedback and
sources), presses "Next", and at the end checks the case's ending and the choices
made, then "Start this case again". The pure-Python test (tests/test_cases.py)
plays every combination of choices; this one checks the same widget in a browser.
"""

from __future__ import annotations

import pytest

import osteo_teach
from osteo_teach.cases import LENS_NAMES, LENSES, Case, case_routes, next_point, view
from osteo_teach.lessons import widget_specs

from .conftest import SCREENSHOTS, RanNotebook
from .lab_driver import _exact, dropdown_select, option_labels, widget_outputs

pytestmark = pytest.mark.browser

CASE_NOTEBOOKS = [f"{lesson.id}.ipynb" for lesson, spec in widget_specs() if spec.name == "CasePlayer"]


def _choices_for(case: Case, route: tuple[str, ...], lens: str) -> list[str]:
    """For each point of the route, the text of an option that leads to the route's next point (or ends it)."""
    chosen = []
    for index, point_id in enumerate(route):
        target = route[index + 1] if index + 1 < len(route) else None
        options = [o for o in view(case, point_id, lens).options if next_point(case, point_id, o) == target]
        chosen.append(options[0].text)
    return chosen


def _normal(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("ran_notebook", CASE_NOTEBOOKS, indirect=True)
def test_every_route_of_every_case_is_played_in_the_browser(ran_notebook: RanNotebook) -> None:
    from playwright.sync_api import expect

    data = osteo_teach.load()
    all_cases = data.records(Case)
    page = ran_notebook.page
    player = widget_outputs(page, has_label="Case:").first
    player.scroll_into_view_if_needed()
    case_select = dropdown_select(player, "Case:")
    lens_select = dropdown_select(player, "Your role:")
    assert option_labels(case_select) == [case.title for case in all_cases]
    assert option_labels(lens_select) == [LENS_NAMES[lens] for lens in LENSES]
    walked = 0
    for case in all_cases:
        case_select.select_option(label=case.title)
        expect(player).to_contain_text(case.title)
        expect(player).to_contain_text("Fictional patient")
        for lens in LENSES:
            lens_select.select_option(label=LENS_NAMES[lens])
            for number, route in enumerate(case_routes(case, lens)):
                first_view = view(case, route[0], lens)
                expect(player).to_contain_text(_normal(first_view.question))
                for point_id, choice in zip(route, _choices_for(case, route, lens), strict=True):
                    current = view(case, point_id, lens)
                    expect(player).to_contain_text(_normal(current.question))
                    radios = player.locator(".widget-radio-box label")
                    assert [_normal(t) for t in radios.all_text_contents()] == [o.text for o in current.options]
                    clicks = [o.text for o in current.options] if number == 0 else []
                    for text in [*[c for c in clicks if c != choice], choice]:
                        option = current.option(text)
                        radios.filter(has_text=_exact(text)).click()
                        expect(player).to_contain_text(_normal(option.feedback.text))
                        expect(player).to_contain_text(", ".join(option.feedback.sources))
                        verdict = "Best choice." if option.correct else "Not the best choice."
                        expect(player).to_contain_text(verdict)
                        if (
                            case.id == all_cases[0].id
                            and lens == "nurse"
                            and point_id == "in_the_cast"
                            and not option.correct
                        ):
                            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                            player.screenshot(path=str(SCREENSHOTS / "09_case_feedback.png"))
                    button = "Next" if next_point(case, point_id, current.option(choice)) else "Finish the case"
                    player.get_by_role("button", name=button, exact=True).click()
                expect(player).to_contain_text("End of the case")
                expect(player).to_contain_text(_normal(case.ending))
                expect(player.locator("table.ot-case-choices tbody tr")).to_have_count(len(route))
                if case.id == all_cases[0].id and lens == "nurse" and number == 0:
                    player.screenshot(path=str(SCREENSHOTS / "09_case_end.png"))
                walked += 1
                player.get_by_role("button", name="Start this case again").click()
                expect(player).not_to_contain_text("End of the case")
            assert player.locator(".ot-error").count() == 0
    assert walked == sum(len(case_routes(c, lens)) for c in all_cases for lens in LENSES)
    # The journey continues from the first case to the next.
    case_select.select_option(label=all_cases[0].title)
    lens_select.select_option(label=LENS_NAMES["team"])
    first = all_cases[0]
    route = case_routes(first, "team")[0]
    for point_id, choice in zip(route, _choices_for(first, route, "team"), strict=True):
        player.locator(".widget-radio-box label").filter(has_text=_exact(choice)).click()
        target = next_point(first, point_id, view(first, point_id, "team").option(choice))
        player.get_by_role("button", name="Next" if target else "Finish the case", exact=True).click()
    player.get_by_role("button", name=f"Continue the journey: {all_cases[1].title}").click()
    expect(case_select).to_have_value(all_cases[1].title)  # ipywidgets puts the label in the <select>
    expect(player).to_contain_text(_normal(view(all_cases[1], all_cases[1].points[0].id, "team").question))
