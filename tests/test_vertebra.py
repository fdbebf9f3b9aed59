"""The procedure stepper and the vertebroplasty/kyphoplasty comparison, driven like a student does."""

from __future__ import annotations

import pytest

from osteo_teach.compare import ALL_ASPECTS, NOT_COVERED, ComparisonExplorer, comparison_text
from osteo_teach.data import load
from osteo_teach.plots import is_blank_png, new_figure, render_png
from osteo_teach.style import use_style
from osteo_teach.vertebra import (
    SCHEMATIC_NOTE,
    ProcedureStepper,
    procedures_with_steps,
    step_figure,
    steps_of,
    steps_text,
)


def test_steps_load_for_both_procedures_in_order_with_sources():
    data = load()
    assert procedures_with_steps() == ["vertebroplasty", "balloon_kyphoplasty"]
    for pid in procedures_with_steps():
        steps = steps_of(pid)
        assert [s.order for s in steps] == list(range(1, len(steps) + 1))
        assert all(s.description.sources for s in steps)
        assert data.get("procedures", pid).family == "vertebral_augmentation"
    kinds = {s.balloon for s in steps_of("balloon_kyphoplasty")}
    assert kinds == {"none", "deflated", "inflated"}
    assert all(s.balloon == "none" and s.height == "collapsed" for s in steps_of("vertebroplasty"))


def test_steps_text_lists_every_step_with_keys():
    text = steps_text("balloon_kyphoplasty")
    assert text.startswith("BALLOON KYPHOPLASTY\n1. The fractured vertebra:")
    assert "nice_ipg166" in text and text.count("\n") == len(steps_of("balloon_kyphoplasty")) + 1


def test_stepper_has_the_named_dropdowns_and_starts_on_step_one():
    stepper = ProcedureStepper()
    assert stepper.procedure_dropdown.description == "Procedure:"
    assert stepper.step_dropdown.description == "Step:"
    assert stepper.step_dropdown.value == "vp_fracture"
    assert stepper.previous_button.disabled and not stepper.next_button.disabled
    assert stepper.png and not is_blank_png(stepper.png) and stepper.error is None


@pytest.mark.parametrize("procedure_id", ["vertebroplasty", "balloon_kyphoplasty"])
def test_every_step_shows_its_statement_and_a_new_picture(procedure_id):
    stepper = ProcedureStepper()
    stepper.procedure_dropdown.value = procedure_id
    steps = steps_of(procedure_id)
    assert [v for _, v in stepper.step_dropdown.options] == [s.id for s in steps]
    seen = set()
    for step in steps:
        stepper.step_dropdown.value = step.id
        assert stepper.error is None
        assert stepper.text.startswith(f"{step.order}. {step.title}: {step.description.text}")
        assert step.description.sources[0] in stepper.description.value
        assert f"step {step.order} of {len(steps)} ({step.title.lower()})" in stepper.summary
        assert stepper.summary in stepper.panel.caption.value
        assert not is_blank_png(stepper.png)
        assert stepper.png not in seen, f"picture did not change at {step.id}"
        seen.add(stepper.png)
    assert "cement" in stepper.summary


def test_summary_names_what_is_drawn():
    stepper = ProcedureStepper("balloon_kyphoplasty")
    stepper.step_dropdown.value = "bkp_inflate"
    assert "inflated balloon" in stepper.summary and "restored height" in stepper.summary
    stepper.step_dropdown.value = "bkp_drill"
    assert "drill" in stepper.summary and "collapsed front" in stepper.summary
    stepper.procedure_dropdown.value = "vertebroplasty"
    stepper.step_dropdown.value = "vp_needle"
    assert "needle" in stepper.summary


def test_switching_procedure_resets_the_steps():
    stepper = ProcedureStepper()
    stepper.step_dropdown.value = "vp_set"
    stepper.procedure_dropdown.value = "balloon_kyphoplasty"
    assert stepper.step_dropdown.value == "bkp_fracture"
    assert len(stepper.step_dropdown.options) == len(steps_of("balloon_kyphoplasty"))
    assert stepper.summary.startswith("Schematic side view") and "balloon kyphoplasty step 1 of" in stepper.summary


def test_previous_and_next_buttons_walk_the_steps():
    stepper = ProcedureStepper("balloon_kyphoplasty")
    ids = [s.id for s in steps_of("balloon_kyphoplasty")]
    for expected in ids[1:]:
        stepper.next_button.click()
        assert stepper.step_dropdown.value == expected
    assert stepper.next_button.disabled
    stepper.next_button.click()  # at the end: stays
    assert stepper.step_dropdown.value == ids[-1]
    stepper.previous_button.click()
    assert stepper.step_dropdown.value == ids[-2]


def test_unknown_values_show_a_clear_message():
    stepper = ProcedureStepper()
    stepper.show("hip_replacement")
    assert stepper.error.startswith("unknown procedure id 'hip_replacement' for the stepper: expected one of")
    assert stepper.png == b"" and "Cannot show this" in stepper.panel.caption.value and stepper.text == ""
    stepper.show("vertebroplasty", "bkp_drill")
    assert "unknown step 'bkp_drill' for procedure 'vertebroplasty'" in stepper.error
    stepper.show("vertebroplasty", "vp_cement")
    assert stepper.error is None and stepper.png


def test_draw_function_is_pure_and_replays_on_a_fresh_figure():
    stepper = ProcedureStepper("balloon_kyphoplasty")
    stepper.step_dropdown.value = "bkp_cement"
    figure = new_figure()
    assert stepper.panel.last_draw(figure) == stepper.summary
    assert not is_blank_png(render_png(figure))


@pytest.mark.parametrize("style", ["classroom", "projector"])
def test_static_figures_render_in_both_styles(style):
    try:
        use_style(style)
        for pid in procedures_with_steps():
            for step in steps_of(pid):
                item = step_figure(pid, step.id)
                assert not is_blank_png(render_png(item.figure))
                assert item.figure.axes[0].get_title(loc="left")
                assert any(SCHEMATIC_NOTE in t.get_text() for t in item.figure.texts)
    finally:
        use_style("classroom")


def test_comparison_widget_serves_vertebral_augmentation():
    explorer = ComparisonExplorer("vertebral_augmentation")
    assert explorer.pair_dropdown.value == "vertebral_augmentation"
    for _, aspect in explorer.aspect_dropdown.options:
        explorer.aspect_dropdown.value = aspect
        assert explorer.error is None
        assert explorer.text == comparison_text("vertebral_augmentation", aspect)
        if aspect != ALL_ASPECTS:
            assert "Vertebroplasty:" in explorer.text and "Balloon kyphoplasty:" in explorer.text


def test_comparison_aspects_for_the_issue_are_sourced_for_both():
    data = load()
    for pid in ("vertebroplasty", "balloon_kyphoplasty"):
        procedure = data.get("procedures", pid)
        for aspect in ("height_correction", "cement_leakage", "new_fractures", "cost", "evidence"):
            assert procedure.aspects[aspect].sources, (pid, aspect)
    leakage = comparison_text("vertebral_augmentation", "cement_leakage")
    assert "CT" in leakage and "meta-analysis" in leakage and "detect" in leakage
    # Anaesthesia: NICE IPG166 for kyphoplasty; a radiology series and two sham trials for
    # vertebroplasty (no clinic pages). Every aspect of the pair is now covered by a source.
    anaesthesia = comparison_text("vertebral_augmentation", "anaesthesia")
    vp, kp = anaesthesia.split("- Balloon kyphoplasty:")
    assert "local or general anaesthesia" in kp.lower() and "nice_ipg166" in kp
    assert "conscious sedation" in vp and "bonnard2017_local_anaesthesia" in vp
    assert NOT_COVERED not in comparison_text("vertebral_augmentation", ALL_ASPECTS)


def test_kyphoplasty_access_is_a_small_incision_then_a_drilled_channel():
    data = load()
    access = data.get("procedures", "balloon_kyphoplasty").aspects["access"]
    assert "small incision" in access.text and "hand drill" in access.text
    assert "through the skin made with a hand drill" not in access.text
    drill = next(s for s in steps_of("balloon_kyphoplasty") if s.id == "bkp_drill")
    assert "small incision" in drill.description.text and drill.description.sources[0] == "nice_ipg166"
