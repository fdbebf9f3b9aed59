"""The patient cases: the data rules, every path of every case played as a student plays it, the map."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pytest

import osteo_teach as ot
from osteo_teach import cases
from osteo_teach.cases import LENS_NAMES, LENSES, ROLES, Case, CasePlayer, case_paths, case_routes, next_point, view
from osteo_teach.data import DataError, load
from osteo_teach.records import Pathway

from .conftest import DATA

COURSE = load()
CASES = cases.cases_in_order(COURSE)
CASE_IDS = [case.id for case in CASES]


def _views(case: Case):
    for point in case.points:
        for lens in LENSES:
            yield point, lens, view(case, point.id, lens)


# --- the data ------------------------------------------------------------------------


def test_there_are_at_least_three_cases_forming_one_journey():
    assert len(CASES) >= 3
    assert [case.id for case in cases.journey(COURSE)] == CASE_IDS, "continues links every case, in order"
    assert cases.case_problems(COURSE) == []
    assert [case.site for case in CASES] == ["wrist", "vertebra", "hip"]
    assert [case.age for case in CASES] == sorted(case.age for case in CASES)


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_every_patient_is_fictional_and_unnamed(case_id):
    case = COURSE.record(Case, case_id)
    assert case.fictional is True
    assert "fictional" in case.patient.lower() and "fictional" in case.opening.lower()
    # No personal names: the patient is introduced as "a woman of ..." or "the same woman".
    assert re.fullmatch(r"(A woman of \d+|The same woman, now \d+) \(fictional\)", case.patient), case.patient
    text = " ".join([case.opening, case.ending, *(p.story for p in case.points)])
    assert not re.search(r"\b(Mrs|Mr|Ms|Miss)\b", text)


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_every_option_of_every_view_has_its_own_sourced_feedback(case_id):
    case = COURSE.record(Case, case_id)
    for point, lens, current in _views(case):
        assert sum(o.correct for o in current.options) == 1, (point.id, lens)
        assert len(current.options) >= 2
        for option in current.options:
            assert option.feedback.sources and not option.feedback.illustrative, (point.id, lens, option.text)
        feedback = [o.feedback.text for o in current.options]
        assert len(set(feedback)) == len(feedback), (point.id, lens)
        if current.focus is not None:
            assert current.focus.sources, (point.id, lens)
    assert all(statement.sources for statement in case.lessons)


def test_each_case_has_three_or_more_decision_points_and_roles_that_differ():
    for case in CASES:
        main = [p for p in case.points if not p.remedial]
        assert len(main) >= 3, case.id
        assert any(point.lenses for point in main), f"{case.id}: no decision point where the roles differ"
        assert any(point.topic == "bone_health" for point in main), f"{case.id}: no bone-health decision"
    roles_seen = {role for case in CASES for point in case.points for role in point.lenses}
    assert roles_seen == set(ROLES)


def test_each_case_follows_a_pathway_of_its_site():
    for case in CASES:
        pathway = COURSE.record(Pathway, case.pathway)
        assert pathway.site == case.site
    hip = COURSE.record(Case, "hip_at_68")
    assert COURSE.record(Pathway, hip.pathway).operative, "a hip fracture is operated on"


def test_branches_lead_to_an_extra_step_and_rejoin():
    vertebra = COURSE.record(Case, "vertebra_at_67")
    draft = next(o for o in view(vertebra, "three_weeks_later", "team").options if "6 weeks" in o.text)
    assert next_point(vertebra, "three_weeks_later", draft) == "ta279_wording"
    assert vertebra.point("ta279_wording").remedial
    back = view(vertebra, "ta279_wording", "team").options[0]
    assert next_point(vertebra, "ta279_wording", back) == "shared_decision"
    assert len(case_routes(vertebra, "team")) == 2
    hip = COURSE.record(Case, "hip_at_68")
    screws = next(o for o in view(hip, "the_operation", "doctor").options if "screws" in o.text)
    assert next_point(hip, "the_operation", screws) == "why_not_screws"


# --- playing every path ----------------------------------------------------------------


def _assert_feedback_shown(player: CasePlayer, option) -> None:
    assert option.feedback.text in " ".join(player.text.split())
    assert html.escape(option.feedback.text) in player.feedback.value
    for key in option.feedback.sources:
        assert key in player.text and key in player.feedback.value
    verdict = "Best choice." if option.correct else "Not the best choice."
    assert verdict in player.feedback.value
    if not option.correct:
        assert "The best choice:" in player.text


@pytest.mark.parametrize("case_id", CASE_IDS)
@pytest.mark.parametrize("lens", LENSES)
def test_every_path_of_every_case_is_played_to_its_end(case_id, lens):
    """Choose each option at each point, press Next, to the end of the case: every path, every role."""
    player = CasePlayer(COURSE, case_id=case_id, lens=lens)
    case = player.case
    paths = case_paths(case, lens)
    assert paths
    for path in paths:
        player.restart()
        assert player.point_id == case.points[0].id and not player.finished
        assert html.escape(case.opening) in player.scene.value
        for step, (point_id, text) in enumerate(path):
            assert player.point_id == point_id, (path, step)
            current = view(case, point_id, lens)
            assert current.question in player.text
            assert player.next_button.disabled, "Next waits for a choice"
            option = current.option(text)
            player.choose(text)
            _assert_feedback_shown(player, option)
            assert not player.next_button.disabled
            last = step == len(path) - 1
            assert (player.next_button.description == "Finish the case") == last
            player.next_button.click()
        assert player.finished, path
        assert [(p, t) for p, t, _ in player.history] == path
        assert [c for _, _, c in player.history] == [view(case, p, lens).option(t).correct for p, t in path]
        best = sum(c for _, _, c in player.history)
        assert f"{best} of {len(path)} decisions were the best choice." in player.text
        assert " ".join(case.ending.split()) in " ".join(player.text.split())
        assert html.escape(" ".join(case.ending.split())) in player.ending.value
        for statement in case.lessons:
            assert html.escape(statement.text) in player.ending.value
            assert ", ".join(statement.sources) in player.ending.value
        assert player.error is None


def test_the_lens_changes_the_question_where_roles_differ():
    player = CasePlayer(COURSE, case_id="wrist_at_66", lens="team")
    player.point_dropdown.value = "in_the_cast"
    questions = {}
    for lens in LENSES:
        player.lens_dropdown.value = lens
        current = player.current
        questions[lens] = current.question
        assert current.question in player.text
        if lens == "team":
            assert "shared question" in player.text
        else:
            assert f"As the {LENS_NAMES[lens].lower()}:" in player.text
            for key in current.focus.sources:
                assert key in player.text
    assert len(set(questions.values())) == len(LENSES)
    player.point_dropdown.value = "reduction"  # a point without lenses: the same for everyone
    scenes = set()
    for lens in LENSES:
        player.lens_dropdown.value = lens
        if lens == "team":
            assert "The same question for every role." in player.text
        else:
            assert f"As the {LENS_NAMES[lens].lower()}: every role answers the same question here." in player.text
        scenes.add(player.scene.value)
    assert len(scenes) == len(LENSES), "choosing a role always changes what is shown (it says so)"


def test_choices_are_radio_buttons_and_an_unknown_choice_is_refused():
    player = CasePlayer(COURSE)
    assert list(player.choices.options) == [o.text for o in player.current.options]
    assert player.choices.value is None
    with pytest.raises(KeyError, match="not an option"):
        player.choose("something else")
    with pytest.raises(KeyError, match="unknown role"):
        view(player.case, player.point_id, "surgeon")


def test_jumping_to_a_point_and_starting_again():
    player = CasePlayer(COURSE, case_id="hip_at_68")
    player.point_dropdown.value = "prevent_next"
    assert player.point_id == "prevent_next" and player.choices.value is None
    player.choose(player.current.right.text)
    player.next_button.click()
    assert player.finished
    assert player.continue_button.layout.display == "none", "the last case has no next one"
    player.again_button.click()
    assert player.point_id == "the_operation" and not player.finished and player.history == []


def test_continue_the_journey_plays_the_next_case():
    player = CasePlayer(COURSE, case_id="wrist_at_66")
    player.play([view(player.case, p.id, "team").right.text for p in player.case.points if not p.remedial])
    assert player.finished
    assert player.continue_button.layout.display is None
    assert "A year later" in player.continue_button.description
    player.continue_button.click()
    assert player.case.id == "vertebra_at_67" and player.point_id == "first_steps" and not player.finished


def test_changing_case_or_role_restarts_cleanly():
    player = CasePlayer(COURSE)
    player.choose(player.current.options[0].text)
    player.next_button.click()
    player.case_dropdown.value = "hip_at_68"
    assert player.point_id == "the_operation" and player.history == []
    assert [label for label, _ in player.point_dropdown.options][1].startswith("   (extra)")
    player.lens_dropdown.value = "nurse"
    assert player.history == [] and "As the nurse:" in player.text


def test_the_declared_widget_reaches_every_point_role_and_option():
    spec = ot.lesson("09_patient_cases").widgets[0]
    player = spec.build(COURSE)
    seen = set()
    for state in spec.states(player):
        case_id, lens, point_id, choice = state
        assert spec.error(player) is None
        assert choice in spec.shows(player)
        assert (player.case.id, player.lens, player.point_id) == (case_id, lens, point_id)
        assert spec.direct(player) == spec.shows(player), state
        seen.add(state)
    expected = {
        (case.id, lens, point.id, option.text)
        for case in CASES
        for point, lens, current in _views(case)
        for option in current.options
    }
    assert seen == expected


# --- broken case data is refused, with a clear message ------------------------------------


def _broken_cases(tmp_path: Path, old: str, new: str) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    text = (target / "cases.yaml").read_text(encoding="utf-8")
    assert old in text
    (target / "cases.yaml").write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


def test_a_choice_leading_to_an_unknown_point_is_refused(tmp_path):
    target = _broken_cases(tmp_path, "next: ta279_wording", "next: no_such_point")
    with pytest.raises(DataError) as info:
        ot.load(target)
    message = str(info.value)
    assert "cases.yaml" in message and "id 'vertebra_at_67'" in message
    assert "leads to 'no_such_point'" in message


def test_a_loop_is_refused(tmp_path):
    target = _broken_cases(tmp_path, "next: ta279_wording", "next: first_steps")
    with pytest.raises(DataError, match="leads back to itself"):
        ot.load(target)


def test_a_patient_not_marked_fictional_is_refused(tmp_path):
    target = _broken_cases(tmp_path, "fictional: true", "fictional: false")
    with pytest.raises(DataError) as info:
        ot.load(target)
    assert "fictional" in str(info.value)


def test_two_best_choices_are_refused(tmp_path):
    target = _broken_cases(
        tmp_path,
        "        - text: Open reduction and a plate, straight away\n",
        "        - text: Open reduction and a plate, straight away\n          correct: true\n",
    )
    with pytest.raises(DataError, match=r"exactly one option with 'correct: true' \(found 2\)"):
        ot.load(target)


def test_an_unknown_pathway_is_refused(tmp_path):
    target = _broken_cases(tmp_path, "pathway: hip_arthroplasty", "pathway: hip_in_a_cast")
    with pytest.raises(DataError, match="unknown treatment pathway id 'hip_in_a_cast'"):
        ot.load(target)


def test_a_pathway_of_another_site_is_reported(tmp_path):
    target = _broken_cases(tmp_path, "pathway: hip_arthroplasty", "pathway: wrist_closed_reduction_cast")
    problems = cases.case_problems(ot.data._load_uncached(target))
    assert problems == ["case 'hip_at_68': pathway 'wrist_closed_reduction_cast' is not a treatment of site 'hip'"]


def test_an_unreachable_point_is_refused(tmp_path):
    target = _broken_cases(tmp_path, "          next: ta279_wording\n", "")
    with pytest.raises(DataError, match="'ta279_wording' cannot be reached"):
        ot.load(target)


# --- the map, the text, the exercises, the export ---------------------------------------


def test_the_journey_map_draws_every_case_and_says_so():
    from osteo_teach.plots import is_blank_png, render_png

    item = cases.journey_figure(COURSE)
    assert not is_blank_png(render_png(item.figure))
    for case in CASES:
        assert case.title.lower() in item.summary
    assert "fictional" in item.summary
    text = cases.journey_text(COURSE)
    assert "fictional" in text and all(case.title in text for case in CASES)


def test_the_solutions_name_each_role_and_each_bone_health_point():
    first = cases.solution_exercise_1(COURSE)
    assert all(LENS_NAMES[role] in first for role in ROLES)
    second = cases.solution_exercise_2(COURSE)
    assert second.count("Best:") == sum(p.topic == "bone_health" and not p.remedial for c in CASES for p in c.points)
    third = cases.solution_exercise_3(COURSE)
    assert "ta279_wording" not in third and "Reading the final wording" in third


def test_every_view_of_every_point_becomes_an_exportable_question():
    questions = cases.case_questions(COURSE)
    expected = sum(1 + len(point.lenses) for case in CASES for point in case.points)
    assert len(questions) == expected
    assert all("fictional" in q.question for q in questions)
    assert all(q.notebook == "09_patient_cases" and q.kind == "single" for q in questions)
