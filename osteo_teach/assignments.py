"""Graded assignments, built from the lessons' own exercises (``make assignments``).

Each :class:`GradedExercise` is the ONE definition of an auto-graded exercise:
its prompt, the code that shows the student the data (``given``), the
instructor's solution code, and its answers, computed from ``data/`` by the
same functions the lesson's ``solution_exercise_N`` uses (``evidence.risk_difference``,
``healing.pathways_at``, ...). ``tools/build_assignments.py`` turns them into an
nbgrader course (``build/nbgrader/source/`` -> ``release/``): the solution code
goes between ``### BEGIN SOLUTION`` / ``### END SOLUTION``, and the tests are
written from the answers: visible tests check that each answer exists and has
the right type; hidden tests (``### BEGIN HIDDEN TESTS``) check its value. So a
change in the data changes the lesson's solution and the assignment's expected
answers together, and the tests (``tests/test_assignments.py``) check that the
instructor solution still earns full marks.

The answers are computable with the package: these assignments are practice
with feedback, not a secure examination.

Taught in: the graded versions of lessons 02-05 (see the README, "Graded assignments").
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .data import CourseData, load

__all__ = [
    "GradedExercise",
    "LOAD_CODE",
    "EXERCISES",
    "assignments",
    "expected_answers",
    "visible_tests",
    "hidden_tests",
]

#: Default tolerance for a numeric answer (a student may round to one decimal place).
TOLERANCE = 0.05


@dataclass(frozen=True)
class GradedExercise:
    """One auto-graded exercise (see the module docstring).

    ``lesson`` and ``exercise`` name the lesson exercise it grades (``exercise=None``:
    a calculation that extends the lesson). ``answers(course)`` maps each variable
    the student sets to its expected value (a number, a bool, a list of strings).
    """

    id: str
    lesson: str
    exercise: int | None
    title: str
    prompt: str
    given: str
    solution: str
    answers: Callable[[CourseData], dict[str, Any]]
    points: int = 2
    tolerance: float = TOLERANCE
    #: What each answer means, for the test messages ("percentage points, vertebroplasty minus sham").
    meaning: tuple[tuple[str, str], ...] = ()

    def describe(self, name: str) -> str:
        return dict(self.meaning).get(name, name)


# --- answers, from the same functions as the lessons' solutions -----------------------


def _vapour_invest(course: CourseData) -> dict[str, Any]:
    from .evidence import EXERCISE_1_NUMBERS, absolute_difference, trial_number

    (vapour, invest) = (trial_number(t, n, course) for t, n in EXERCISE_1_NUMBERS)
    return {"vapour_difference": absolute_difference(vapour), "invest_difference": absolute_difference(invest)}


def _extravasation(course: CourseData) -> dict[str, Any]:
    from .evidence import arm_percentages, risk_difference, trial_number
    from .vertebra import EXERCISE_2_NUMBER

    ct = trial_number(*EXERCISE_2_NUMBER, course)
    kyphoplasty, vertebroplasty = arm_percentages(ct)
    return {
        "kyphoplasty_percent": kyphoplasty,
        "vertebroplasty_percent": vertebroplasty,
        "difference_points": risk_difference(ct),
    }


#: The VERTOS II count the NNT exercise reads.
NNT_NUMBER = ("vertos_ii", "further_height_loss")


def _nnt(course: CourseData) -> dict[str, Any]:
    from .evidence import number_needed_to_treat, risk_difference, trial_number

    counts = trial_number(*NNT_NUMBER, course)
    return {"risk_difference_points": risk_difference(counts), "nnt": number_needed_to_treat(counts)}


def _vertos4(course: CourseData) -> dict[str, Any]:
    from .evidence import intervals_excluding_zero

    excluding = intervals_excluding_zero(course)
    return {"excluding_zero": excluding, "all_include_zero": not excluding}


def _criteria(course: CourseData) -> dict[str, Any]:
    from .evidence import never_met_criteria

    return {"never_met": never_met_criteria(course)}


def _hip(course: CourseData) -> dict[str, Any]:
    from .healing import has_immobilisation, illustrative_steps, pathways_at

    hip = pathways_at("hip", course)
    return {
        "hip_treatments": [p.name for p in hip],
        "hip_with_cast": [p.name for p in hip if has_immobilisation(p)],
        "ankle_illustrative_steps": sum(len(illustrative_steps(p)) for p in pathways_at("ankle", course)),
    }


#: The two phases whose earliest starts the healing exercise compares.
GAP_PHASES = ("soft_callus", "remodelling")


def _gap(course: CourseData) -> dict[str, Any]:
    from .healing import earliest_start_gap

    return {"gap_weeks": earliest_start_gap(*GAP_PHASES, course)}


def _balloon(course: CourseData) -> dict[str, Any]:
    from .vertebra import balloon_step_only_in

    return {
        "only_in_kyphoplasty": [s.id for s in balloon_step_only_in("balloon_kyphoplasty", "vertebroplasty", course)]
    }


def _tiers(course: CourseData) -> dict[str, Any]:
    from .fixation import EXERCISE_1_ASPECTS
    from .records import Procedure

    closed = course.record(Procedure, "closed_reduction")
    keys = {key for aspect in EXERCISE_1_ASPECTS for key in closed.aspects[aspect].sources}
    return {"closed_reduction_tiers": sorted({course.source(key).tier for key in keys})}


# --- the exercises ----------------------------------------------------------------------

#: The first code cell of every assignment notebook.
LOAD_CODE = "import osteo_teach as ot\n\ncourse = ot.load()"

EXERCISES: tuple[GradedExercise, ...] = (
    GradedExercise(
        id="closed_reduction_tiers",
        lesson="02_fracture_reduction",
        exercise=1,
        title="How strong are the sources?",
        prompt=(
            "The closed-reduction statements on *Incision / access* and *Main risks* each cite sources. "
            "Set `closed_reduction_tiers` to the **sorted list of the evidence tiers** (letters such as "
            '`"R"`) of every source they cite. Use `course.source(key).tier`.'
        ),
        given=(
            "from osteo_teach.records import Procedure\n\n"
            'closed = course.record(Procedure, "closed_reduction")\n'
            'for aspect in ("access", "risks"):\n'
            "    statement = closed.aspects[aspect]\n"
            '    print(aspect, "->", statement.text, statement.sources)'
        ),
        solution=(
            "keys = set()\n"
            'for aspect in ("access", "risks"):\n'
            "    keys.update(closed.aspects[aspect].sources)\n"
            "closed_reduction_tiers = sorted({course.source(key).tier for key in keys})"
        ),
        answers=_tiers,
        meaning=(("closed_reduction_tiers", "a sorted list of tier letters"),),
    ),
    GradedExercise(
        id="hip_pathways",
        lesson="03_healing_timelines",
        exercise=1,
        title="Treatments by site",
        prompt=(
            "From the treatment pathways in the data, set\n\n"
            "- `hip_treatments`: the names of the hip's pathways;\n"
            "- `hip_with_cast`: the names of the hip pathways that have an immobilisation step "
            '(`step.kind == "immobilisation"`: a cast, splint or sling);\n'
            "- `ankle_illustrative_steps`: how many steps of the ankle's pathways have a timing no source gives "
            "(`step.timing.illustrative`)."
        ),
        given=(
            "from osteo_teach.records import Pathway\n\n"
            "pathways = course.records(Pathway)\n"
            "for pathway in pathways:\n"
            '    print(pathway.site, "|", pathway.name, "|", [step.kind for step in pathway.steps])'
        ),
        solution=(
            'hip = [p for p in pathways if p.site == "hip"]\n'
            "hip_treatments = [p.name for p in hip]\n"
            'hip_with_cast = [p.name for p in hip if any(s.kind == "immobilisation" for s in p.steps)]\n'
            "ankle_illustrative_steps = sum(\n"
            '    1 for p in pathways if p.site == "ankle" for s in p.steps if s.timing.illustrative\n'
            ")"
        ),
        answers=_hip,
        meaning=(
            ("hip_treatments", "a list of pathway names"),
            ("hip_with_cast", "a list of pathway names (it may be empty)"),
            ("ankle_illustrative_steps", "a whole number of steps"),
        ),
    ),
    GradedExercise(
        id="healing_gap",
        lesson="03_healing_timelines",
        exercise=None,
        title="Weeks between two healing phases",
        prompt=(
            "Each healing phase starts within a range of weeks (`phase.starts.min` to `phase.starts.max`). "
            "Set `gap_weeks` to the number of weeks from the **earliest start of the soft callus** to the "
            "**earliest start of remodelling**."
        ),
        given=(
            "from osteo_teach.records import HealingPhase\n\n"
            "phases = {phase.id: phase for phase in course.records(HealingPhase)}\n"
            "for phase in phases.values():\n"
            '    print(phase.id, "starts in weeks", phase.starts.min, "to", phase.starts.max)'
        ),
        solution='gap_weeks = phases["remodelling"].starts.min - phases["soft_callus"].starts.min',
        answers=_gap,
        meaning=(("gap_weeks", "a number of weeks"),),
    ),
    GradedExercise(
        id="balloon_step",
        lesson="04_vertebral_augmentation",
        exercise=1,
        title="The step only one procedure has",
        prompt=(
            "Set `only_in_kyphoplasty` to the list of ids of the balloon kyphoplasty steps in which the balloon "
            'is inflated (`step.balloon == "inflated"`), provided vertebroplasty never uses a balloon (every '
            'vertebroplasty step has `step.balloon == "none"`; otherwise the list is empty).'
        ),
        given=(
            "from osteo_teach.vertebra import steps_of\n\n"
            'for procedure in ("vertebroplasty", "balloon_kyphoplasty"):\n'
            "    for step in steps_of(procedure, course):\n"
            "        print(procedure, step.id, step.title, step.balloon)"
        ),
        solution=(
            'vertebroplasty_balloon = any(s.balloon != "none" for s in steps_of("vertebroplasty", course))\n'
            "only_in_kyphoplasty = [] if vertebroplasty_balloon else [\n"
            '    s.id for s in steps_of("balloon_kyphoplasty", course) if s.balloon == "inflated"\n'
            "]"
        ),
        answers=_balloon,
        meaning=(("only_in_kyphoplasty", "a list of step ids"),),
    ),
    GradedExercise(
        id="extravasation",
        lesson="04_vertebral_augmentation",
        exercise=2,
        title="An absolute difference from a trial's counts",
        prompt=(
            "The randomised trial comparing kyphoplasty with vertebroplasty counted cement extravasation on CT "
            "for every treated level. Set `kyphoplasty_percent` and `vertebroplasty_percent` (each arm's count "
            "as a percentage of its treated levels) and `difference_points` (kyphoplasty minus vertebroplasty, "
            "in percentage points; negative if kyphoplasty had fewer). One decimal place is enough."
        ),
        given=(
            "from osteo_teach.evidence import trial_number\n\n"
            'ct = trial_number("ajnr_2014_kp_vs_vp", "ct_extravasation", course)\n'
            "print(ct.measure, ct.unit)\n"
            'print("kyphoplasty:", ct.intervention, "of", ct.intervention_total)\n'
            'print("vertebroplasty:", ct.control, "of", ct.control_total)'
        ),
        solution=(
            "kyphoplasty_percent = 100 * ct.intervention / ct.intervention_total\n"
            "vertebroplasty_percent = 100 * ct.control / ct.control_total\n"
            "difference_points = kyphoplasty_percent - vertebroplasty_percent"
        ),
        answers=_extravasation,
        meaning=(
            ("kyphoplasty_percent", "a percentage of treated levels"),
            ("vertebroplasty_percent", "a percentage of treated levels"),
            ("difference_points", "percentage points, kyphoplasty minus vertebroplasty"),
        ),
    ),
    GradedExercise(
        id="vapour_invest",
        lesson="05_evidence",
        exercise=1,
        title="Absolute differences in two sham-controlled trials",
        prompt=(
            "Set `vapour_difference`: VAPOUR's share of patients with low pain at its early follow-up, "
            "vertebroplasty minus sham, in percentage points; and `invest_difference`: the same for INVEST's "
            "clinically meaningful pain improvement."
        ),
        given=(
            "from osteo_teach.evidence import trial_number\n\n"
            'vapour = trial_number("vapour", "nrs_below_4_at_14d", course)\n'
            'invest = trial_number("invest", "meaningful_pain_improvement", course)\n'
            "for n in (vapour, invest):\n"
            "    print(n.measure, '|', n.intervention, 'vs', n.control, n.unit, '|', n.note)"
        ),
        solution=(
            "vapour_difference = vapour.intervention - vapour.control\n"
            "invest_difference = invest.intervention - invest.control"
        ),
        answers=_vapour_invest,
        meaning=(
            ("vapour_difference", "percentage points, vertebroplasty minus sham"),
            ("invest_difference", "percentage points, vertebroplasty minus sham"),
        ),
    ),
    GradedExercise(
        id="nnt",
        lesson="05_evidence",
        exercise=None,
        title="Risk difference and number needed to treat from counts",
        prompt=(
            "VERTOS II counted the patients with further height loss of the treated vertebra in each arm. "
            "Set `risk_difference_points` (vertebroplasty minus usual care, in percentage points; negative if "
            "fewer had it with vertebroplasty) and `nnt`, the number needed to treat: one divided by the "
            "absolute risk difference (as a proportion), **rounded up** to a whole number, by convention. "
            "Here it is computed from the trial's counts, for practice; quote a trial's own report, not this exercise."
        ),
        given=(
            "from osteo_teach.evidence import trial_number\n\n"
            'counts = trial_number("vertos_ii", "further_height_loss", course)\n'
            "print(counts.measure)\n"
            'print("vertebroplasty:", counts.intervention, "of", counts.intervention_total)\n'
            'print("usual care:", counts.control, "of", counts.control_total)'
        ),
        solution=(
            "import math\n\n"
            "risk_difference_points = 100 * (\n"
            "    counts.intervention / counts.intervention_total - counts.control / counts.control_total\n"
            ")\n"
            "nnt = math.ceil(100 / abs(risk_difference_points))"
        ),
        answers=_nnt,
        meaning=(
            ("risk_difference_points", "percentage points, vertebroplasty minus usual care"),
            ("nnt", "a whole number of patients"),
        ),
    ),
    GradedExercise(
        id="vertos4_zero",
        lesson="05_evidence",
        exercise=2,
        title="Reading confidence intervals against zero",
        prompt=(
            "VERTOS IV reports, at every visit, the difference in mean pain between the groups with its 95% "
            "confidence interval (`ci_low`, `ci_high`). Set `excluding_zero` to the list of visit labels whose "
            "interval **excludes** zero, and `all_include_zero` to `True` if every interval includes zero."
        ),
        given=(
            "from osteo_teach.records import PainDifference\n\n"
            "points = course.records(PainDifference)\n"
            "for p in points:\n"
            "    print(p.label, p.difference, (p.ci_low, p.ci_high))"
        ),
        solution=(
            "excluding_zero = [p.label for p in points if not p.ci_low <= 0 <= p.ci_high]\n"
            "all_include_zero = not excluding_zero"
        ),
        answers=_vertos4,
        meaning=(
            ("excluding_zero", "a list of visit labels (it may be empty)"),
            ("all_include_zero", "True or False"),
        ),
    ),
    GradedExercise(
        id="ta279_criteria",
        lesson="05_evidence",
        exercise=3,
        title="A criterion that has no number",
        prompt=(
            "`assess_case(case, course)` reads a teaching case against NICE TA279's criteria, one by one. "
            "Try **every** case the widget can set (every combination of `CASE_OPTIONS`: the listed values, "
            "or `True`/`False` where a field lists none) and set `never_met` to the ids of the criteria "
            '(`result.criterion.id`) that are never `"met"`, in the guideline\'s order.'
        ),
        given=(
            "from osteo_teach.evidence import CASE_OPTIONS, assess_case\n\n"
            "for field, (label, options) in CASE_OPTIONS.items():\n"
            "    print(field, [value for _, value in options] or [True, False])"
        ),
        solution=(
            "import itertools\n\n"
            "choices = [[v for _, v in options] or [True, False] for _, options in CASE_OPTIONS.values()]\n"
            "met = set()\n"
            "for values in itertools.product(*choices):\n"
            "    results = assess_case(dict(zip(CASE_OPTIONS, values)), course)\n"
            '    met |= {r.criterion.id for r in results if r.status == "met"}\n'
            "order = [r.criterion.id for r in results]\n"
            "never_met = [c for c in order if c not in met]"
        ),
        answers=_criteria,
        meaning=(("never_met", "a list of criterion ids"),),
    ),
)


def assignments(exercises: Iterable[GradedExercise] = EXERCISES) -> dict[str, list[GradedExercise]]:
    """The exercises grouped into one assignment per lesson (named after the lesson), in course order."""
    grouped: dict[str, list[GradedExercise]] = {}
    for exercise in sorted(exercises, key=lambda e: e.lesson):
        grouped.setdefault(exercise.lesson, []).append(exercise)
    return grouped


def expected_answers(exercise: GradedExercise, course: CourseData | None = None) -> dict[str, Any]:
    """The exercise's answers from data/ (what the hidden tests check)."""
    return exercise.answers(course or load())


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return "strings"
    raise TypeError(f"an answer is a number, a bool or a list of strings, not {value!r}")


def visible_tests(exercise: GradedExercise, course: CourseData | None = None) -> str:
    """Checks the student sees: each answer is set and has the right type (never its value)."""
    lines = []
    for name, value in expected_answers(exercise, course).items():
        what = exercise.describe(name)
        kind = _kind(value)
        lines.append(f'assert "{name}" in globals(), "set {name} ({what})"')
        if kind == "bool":
            lines.append(f'assert isinstance({name}, bool), "{name} is True or False"')
        elif kind in ("int", "float"):
            lines.append(
                f"assert isinstance({name}, (int, float)) and not isinstance({name}, bool), "
                f'"{name} is a number ({what})"'
            )
        else:
            lines.append(
                f'assert isinstance({name}, list) and all(isinstance(x, str) for x in {name}), "{name} is {what}"'
            )
    return "\n".join(lines)


def _wrong(name: str) -> str:
    return f"{name} is not what the data give: check the calculation (or the sign)"


def hidden_tests(exercise: GradedExercise, course: CourseData | None = None) -> str:
    """Checks of the values (hidden from students in the release), written from the data's answers."""
    lines = []
    for name, value in expected_answers(exercise, course).items():
        kind = _kind(value)
        if kind == "float":
            if not math.isfinite(value):
                raise ValueError(f"{exercise.id}: {name} is not a finite number")
            lines.append(f"assert abs({name} - ({value!r})) <= {exercise.tolerance!r}, {_wrong(name)!r}")
        elif kind == "strings":
            lines.append(f"assert sorted({name}) == sorted({value!r}), {_wrong(name)!r}")
        else:
            lines.append(f"assert {name} == {value!r}, {_wrong(name)!r}")
    return "\n".join(lines)
