"""The evidence behind vertebroplasty and kyphoplasty: trials, VERTOS IV, guidelines.

- :func:`trial_table_text` / :func:`trial_table_html`: the key trials from
  ``data/trials.yaml`` (design, size, control, blinding, funding, primary
  endpoint, main result); a field no verified source gives reads "not in
  verified sources".
- :func:`design_lesson_text`: the trials grouped by their control (sham, usual
  care, another procedure, none), for the lesson on why they disagree.
- :func:`vertos4_figure`: VERTOS IV's between-group pain differences with their
  95% confidence intervals at every visit, read against zero (no difference
  between the groups); the trial's definition of clinically significant relief
  (a within-patient decrease from baseline) is stated, not drawn as a threshold.
- :class:`GuidelineExplorer`: four guidelines side by side, and a teaching case
  checked against NICE TA279's criteria one by one (a lesson in reading
  criteria, not advice).

Taught in: ``notebooks/05_evidence.ipynb``.
"""

from __future__ import annotations

import html
import itertools
import math
import re
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from .cite import NOT_VERIFIED, TextAndHtml, cell_html, cited_html, cited_text, styled_table
from .data import CourseData, format_reported, iter_cited, load
from .lessons import Lesson, WidgetSpec
from .plots import SummarisedFigure, draw_new
from .records import Guideline, GuidelineCriterion, KeyFact, PainDifference, SourcedText, Trial, TrialNumber
from .style import OKABE_ITO
from .widgets import controls_row, dropdown, error_html

if TYPE_CHECKING:  # matplotlib is imported when a figure is drawn, not with the module
    from matplotlib.figure import Figure

__all__ = [
    "LESSON",
    "FACTS",
    "source_keys",
    "NOT_VERIFIED",
    "CONTROL_ORDER",
    "trials",
    "trial_number",
    "trial_table_text",
    "trial_table_html",
    "format_reported",
    "trial_numbers_text",
    "design_lesson_text",
    "draw_vertos4",
    "vertos4_figure",
    "guidelines_text",
    "guidelines_html",
    "CASE_OPTIONS",
    "CriterionResult",
    "assess_case",
    "criteria_reading",
    "guideline_explorer_static",
    "GuidelineExplorer",
    "absolute_difference",
    "arm_percentages",
    "risk_difference",
    "number_needed_to_treat",
    "includes_zero",
    "intervals_excluding_zero",
    "never_met_criteria",
    "EXERCISE_1_NUMBERS",
    "EXERCISE_3_CASE",
    "solution_exercise_1",
    "solution_exercise_2",
    "solution_exercise_3",
]

#: The key fact holding VERTOS IV's own definition of clinically significant relief.
VERTOS4_DEFINITION = "vertos4_clinically_relevant_difference"

#: Order of control kinds, from the strongest protection against bias to none.
CONTROL_ORDER = ("sham", "usual care", "other procedure", "no control")


def _short(statement: SourcedText | None) -> str:
    """The first clause of a statement ("Open-label (patients ...)" -> "Open-label")."""
    if statement is None:
        return NOT_VERIFIED
    return re.split(r"[:(.;]| - ", statement.text, maxsplit=1)[0].strip()


def trials(data: CourseData | None = None) -> list[Trial]:
    """The key trials, in file order."""
    data = data or load()
    return data.records(Trial, "trials")


def trial_number(trial_id: str, number_id: str, data: CourseData | None = None) -> TrialNumber:
    """One reported number of a trial (e.g. ``trial_number("vapour", "nrs_below_4_at_14d")``)."""
    data = data or load()
    trial = data.record(Trial, trial_id)
    for number in trial.numbers:
        if number.id == number_id:
            return number
    raise KeyError(
        f"unknown number '{number_id}' for trial '{trial_id}': expected one of "
        f"{', '.join(n.id for n in trial.numbers) or '(none recorded)'}"
    )


def _control_label(trial: Trial) -> str:
    return (
        trial.control_kind
        if trial.control_kind != "other procedure"
        else f"other procedure ({_short(trial.control).lower()})"
    )


def _control_name(trial: Trial) -> str:
    return trial.control_kind if trial.control_kind != "other procedure" else _short(trial.control).lower()


def _title(trial: Trial) -> str:
    return trial.name if str(trial.year) in trial.name else f"{trial.name} ({trial.year})"


def trial_table_text(data: CourseData | None = None, width: int = 100) -> str:
    """A one-line-per-trial overview, then each trial in full with its source keys."""
    rows = trials(data)
    header = ("Trial", "Year", "Treatment", "Control", "n", "Blinding", "Funding")
    table = [header] + [
        (
            t.name,
            str(t.year),
            t.intervention,
            _control_label(t),
            str(t.participants),
            _short(t.blinding),
            _short(t.funding),
        )
        for t in rows
    ]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=False)).rstrip() for r in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append("")
    wrap = lambda label, text: textwrap.fill(  # noqa: E731
        text, width=width, initial_indent=f"  {label}: ", subsequent_indent="    "
    )
    for t in rows:
        lines.append(f"{_title(t)}: {t.intervention} vs {_control_name(t)}")
        lines.append(wrap("Design", cited_text(t.design)))
        lines.append(wrap("Size", f"{t.participants} {t.participants_counted}"))
        lines.append(wrap("Control", cited_text(t.control)))
        lines.append(wrap("Blinding", cited_text(t.blinding)))
        lines.append(wrap("Funding", cited_text(t.funding)))
        lines.append(wrap("Primary endpoint", cited_text(t.primary_endpoint)))
        lines.append(wrap("Main result", cited_text(t.main_result)))
        if t.note:
            lines.append(wrap("Note", t.note))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def trial_table_html(data: CourseData | None = None) -> str:
    """The trial table as HTML (one row per trial), every cell with its sources."""
    head = "".join(
        f"<th>{h}</th>"
        for h in ("Trial", "Design", "Size", "Control", "Blinding", "Funding", "Primary endpoint", "Main result")
    )
    body = "".join(
        f"<tr><th scope='row'>{html.escape(t.name)}<br>{t.year}<br><em>{html.escape(t.intervention)}"
        f" vs {html.escape(t.control_kind)}</em></th>"
        + cell_html(t.design)
        + f"<td>{t.participants} {html.escape(t.participants_counted)}</td>"
        + cell_html(t.control)
        + cell_html(t.blinding)
        + cell_html(t.funding)
        + cell_html(t.primary_endpoint)
        + cell_html(t.main_result)
        + "</tr>"
        for t in trials(data)
    )
    return styled_table(
        "<table class='ot-trials' style='border-collapse:collapse;font-size:0.95em;line-height:1.35;width:100%;"
        "overflow-wrap:anywhere'>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def trial_numbers_text(data: CourseData | None = None) -> str:
    """Every recorded number, treatment vs control, as reported (for the exercises)."""
    lines = []
    for t in trials(data):
        for n in t.numbers:
            note = f", {n.note}" if n.note else ""
            first = format_reported(n.intervention, n.decimals) + (
                f" of {n.intervention_total}" if n.intervention_total else ""
            )
            second = format_reported(n.control, n.decimals) + (f" of {n.control_total}" if n.control_total else "")
            lines.append(
                f"{t.id}/{n.id}: {n.measure}: {first} ({t.intervention.lower()}) vs "
                f"{second} ({_control_name(t)}) {n.unit}{note} [{', '.join(n.sources)}]"
            )
    return "\n".join(lines) + "\n"


def design_lesson_text(data: CourseData | None = None, width: int = 100) -> str:
    """Trials grouped by control: what each kind of comparison can and cannot rule out."""
    rows = trials(data)
    lines = []
    for kind in CONTROL_ORDER:
        group = [t for t in rows if t.control_kind == kind]
        if not group:
            continue
        lines.append(f"CONTROL: {kind.upper()}")
        for t in group:
            text = (
                f"{t.name} ({t.intervention.lower()}, n={t.participants}; blinding: "
                f"{_short(t.blinding).lower()}; funding: {_short(t.funding).lower()}): "
                f"{t.main_result.text} [{', '.join(t.main_result.sources)}]"
            )
            lines.append(textwrap.fill(text, width=width, initial_indent="- ", subsequent_indent="  "))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


# --- VERTOS IV ---------------------------------------------------------------

#: What the zero line means; the y-axis is labelled with it.
NO_DIFFERENCE = "0 = no difference between the groups"


def _includes_zero(point: PainDifference) -> bool:
    interval = point.interval
    return interval is not None and interval[0] <= 0 <= interval[1]


def draw_vertos4(figure: Figure, points: list[PainDifference], relief_decrease: float, source_text: str) -> str:
    """Draw VERTOS IV's between-group pain differences with their 95% CIs; return the summary.

    Every interval in ``points`` is drawn against zero (no difference between the
    groups). ``relief_decrease`` is the trial's own definition of clinically
    significant relief (a decrease from baseline within a patient, in VAS points): it
    is stated under the plot, not drawn as a line, because it is not a threshold for a
    between-group difference. Pure: everything is built on ``figure`` from the arguments.
    """
    ax = figure.add_subplot()
    points = sorted(points, key=lambda p: p.order)
    xs = list(range(len(points)))
    ys = [p.difference for p in points]
    ax.axhline(0, color=OKABE_ITO["vermillion"], linestyle="--", linewidth=2.5, label=NO_DIFFERENCE)
    with_ci = [(x, p) for x, p in zip(xs, points, strict=False) if p.interval is not None]
    without_ci = [(x, p) for x, p in zip(xs, points, strict=False) if p.interval is None]
    intervals = [p.interval for _, p in with_ci if p.interval is not None]
    if with_ci:
        ax.errorbar(
            [x for x, _ in with_ci],
            [p.difference for _, p in with_ci],
            yerr=[
                [p.difference - low for (_, p), (low, _high) in zip(with_ci, intervals, strict=False)],
                [high - p.difference for (_, p), (_low, high) in zip(with_ci, intervals, strict=False)],
            ],
            fmt="o",
            color=OKABE_ITO["blue"],
            ecolor=OKABE_ITO["blue"],
            markersize=9,
            capsize=8,
            linewidth=2.5,
            label="mean difference between groups, with 95% CI",
        )
    if without_ci:
        ax.plot(
            [x for x, _ in without_ci],
            [p.difference for _, p in without_ci],
            linestyle="none",
            marker="s",
            color=OKABE_ITO["orange"],
            markersize=9,
            label="mean difference (no 95% CI in the verified source)",
        )
    for x, p in zip(xs, points, strict=False):
        top = p.ci_high if p.ci_high is not None else p.difference
        ax.annotate(
            f"{p.difference:+.2f}",
            (x, top),
            textcoords="offset points",
            xytext=(0, 8),
            ha="center",
            va="bottom",
            fontsize="small",
        )
    ax.set_xticks(xs, [p.label for p in points])
    ax.set_xlim(-0.5, len(xs) - 0.5)
    lows = [p.ci_low for p in points if p.ci_low is not None] + ys
    highs = [p.ci_high for p in points if p.ci_high is not None] + ys
    ax.set_ylim(min([*lows, 0.0]) - 0.9, max([*highs, 0.0]) + 0.5)
    ax.set_xlabel("Visit (baseline = before treatment)")
    ax.set_ylabel("Between-group difference\nin mean VAS pain (points)")
    ax.set_title("VERTOS IV, vertebroplasty vs sham: pain difference and 95% CI", loc="left")
    ax.legend(loc="lower right", fontsize="small", framealpha=0.9)
    note = (
        "Values as reported. The abstract does not say which group was subtracted from which: "
        "read each interval against 0, not its sign.\n"
        f"Not drawn: the trial defined clinically significant relief as a decrease of {relief_decrease:g} VAS "
        "points from baseline within a patient,\nwhich is not a threshold for a difference between groups. "
        f"{source_text}"
    )
    figure.subplots_adjust(left=0.11, right=0.98, top=0.9, bottom=0.27)
    figure.text(0.01, 0.01, note, fontsize="x-small", style="italic", ha="left", va="bottom")
    include = [p.label for _, p in with_ci if _includes_zero(p)]
    exclude = [p.label for _, p in with_ci if not _includes_zero(p)]
    if with_ci and not exclude:
        ci_part = (
            f"every 95% CI ({len(with_ci)} of {len(with_ci)}, {points[0].label} to {points[-1].label}) "
            "includes 0, so no difference between the groups was shown at any visit"
        )
    elif with_ci:
        ci_part = f"the 95% CI includes 0 at {', '.join(include) or 'no visit'} and excludes 0 at {', '.join(exclude)}"
    else:
        ci_part = "no 95% CI is in the verified sources"
    missing = (
        f"; no 95% CI in the verified sources at {', '.join(p.label for _, p in without_ci)}" if without_ci else ""
    )
    return (
        f"VERTOS IV: the difference in mean VAS pain between the vertebroplasty and sham groups ranged from "
        f"{min(ys):+.2f} to {max(ys):+.2f} points; {ci_part}{missing}. The trial's clinically significant "
        f"relief (a decrease within a patient) is not a threshold for these differences."
    )


def vertos4_figure(data: CourseData | None = None) -> SummarisedFigure:
    """VERTOS IV's pain differences with 95% CIs at every visit, as a figure with its summary."""
    data = data or load()
    points = data.records(PainDifference)
    fact = data.record(KeyFact, VERTOS4_DEFINITION)
    sources = ", ".join(sorted({k for p in points for k in p.statement.sources} | set(fact.statement.sources)))
    return draw_new(draw_vertos4, points, float(fact.value or 0), f"Source: {sources}.")


# --- Guidelines --------------------------------------------------------------

_GUIDELINE_ROWS = (
    ("Who and what", lambda g: f"{g.body}; {g.kind}, {g.year}"),
    ("Vertebroplasty", lambda g: g.vertebroplasty),
    ("Kyphoplasty", lambda g: g.kyphoplasty),
    ("Evidence base / notes", lambda g: g.basis),
    ("Strength of recommendation", lambda g: g.strength),
)


def _guidelines(data: CourseData | None = None) -> list[Guideline]:
    data = data or load()
    return data.records(Guideline)


def guidelines_text(data: CourseData | None = None, width: int = 100) -> str:
    """The four guidelines, row by row (same rows as the side-by-side table)."""
    lines = []
    for label, get in _GUIDELINE_ROWS:
        lines.append(label.upper())
        for g in _guidelines(data):
            value = get(g)
            text = value if isinstance(value, str) else cited_text(value)
            lines.append(textwrap.fill(text, width=width, initial_indent=f"- {g.name}: ", subsequent_indent="    "))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def guidelines_html(data: CourseData | None = None) -> str:
    """The four guidelines side by side (one column each), every cell with its sources."""
    items = _guidelines(data)
    head = "<th></th>" + "".join(f"<th>{html.escape(g.name)}</th>" for g in items)
    body = ""
    for label, get in _GUIDELINE_ROWS:
        cells = ""
        for g in items:
            value = get(g)
            cells += f"<td>{html.escape(value)}</td>" if isinstance(value, str) else cell_html(value)
        body += f"<tr><th scope='row'>{html.escape(label)}</th>{cells}</tr>"
    return styled_table(
        "<table class='ot-trials ot-guidelines' style='border-collapse:collapse;font-size:0.95em;"
        f"line-height:1.35;width:100%'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


#: The teaching-case controls: name -> (label, [(option label, value)]) ; checkboxes have no options.
CASE_OPTIONS: dict[str, tuple[str, list[tuple[str, object]]]] = {
    "fracture": (
        "Fracture:",
        [
            ("Osteoporotic vertebral compression fracture", "osteoporotic"),
            ("Vertebral fracture, not osteoporotic", "other"),
        ],
    ),
    "pain": ("Pain:", [("Severe and ongoing", "severe"), ("Mild or settling", "mild")]),
    "weeks": ("Fracture age:", [("3 weeks", 3), ("8 weeks", 8), ("16 weeks", 16), ("52 weeks", 52)]),
    "healing": ("On imaging:", [("Unhealed", "unhealed"), ("Healed", "healed"), ("Not yet imaged", "unknown")]),
    "pain_management": ("Optimal pain management tried", []),
    "confirmed_exam": ("Pain located at the fracture level on physical examination", []),
    "confirmed_imaging": ("Pain located at the fracture level on imaging", []),
}

_DEFAULT_CASE: dict[str, object] = {
    "fracture": "osteoporotic",
    "pain": "severe",
    "weeks": 3,
    "healing": "unhealed",
    "pain_management": True,
    "confirmed_exam": True,
    "confirmed_imaging": False,
}

#: Statuses a criterion can have for a teaching case.
STATUSES = ("met", "not met", "needs judgement", "unknown")


@dataclass(frozen=True)
class CriterionResult:
    """One TA279 criterion, its status for the case, and why."""

    criterion: GuidelineCriterion
    status: str
    reason: str


def _check_case(case: dict[str, object]) -> dict[str, object]:
    unknown = set(case) - set(CASE_OPTIONS)
    if unknown:
        raise ValueError(f"unknown case field '{sorted(unknown)[0]}': expected only {', '.join(CASE_OPTIONS)}")
    full = {**_DEFAULT_CASE, **case}
    for name, (label, options) in CASE_OPTIONS.items():
        value = full[name]
        if options:
            allowed = [v for _, v in options]
            if value not in allowed:
                raise ValueError(
                    f"unknown value {value!r} for '{label.rstrip(':')}': expected one of "
                    f"{', '.join(repr(v) for v in allowed)}"
                )
        elif not isinstance(value, bool):
            raise ValueError(f"'{label}' must be True or False, got {value!r}")
    return full


def assess_case(case: dict[str, object], data: CourseData | None = None) -> list[CriterionResult]:
    """Check a teaching case against NICE TA279's criteria, one by one, as written.

    Raises ValueError with a clear message for an unknown field or value.
    """
    data = data or load()
    full = _check_case(case)
    ta279 = data.record(Guideline, "nice_ta279")
    results = []
    for criterion in ta279.criteria:
        cid = criterion.id
        if cid == "osteoporotic_vcf":
            ok = full["fracture"] == "osteoporotic"
            status, reason = (
                ("met", "the case is an osteoporotic vertebral compression fracture")
                if ok
                else ("not met", "the recommendation covers osteoporotic vertebral compression fractures only")
            )
        elif cid == "severe_ongoing_pain":
            ok = full["pain"] == "severe"
            status, reason = (
                ("met", "the pain is severe and ongoing")
                if ok
                else ("not met", "the text asks for severe ongoing pain")
            )
        elif cid == "recent_fracture":
            weeks = full["weeks"]
            draft = criterion.draft_weeks
            if not isinstance(weeks, int):  # pragma: no cover - _check_case allows only the listed ages
                raise ValueError(f"a fracture age in weeks is a whole number, got {weeks!r}")
            side = "within" if draft is not None and weeks <= draft else "beyond"
            status = "needs judgement"
            reason = (
                f"the fracture is {weeks} weeks old; the final text says only 'recent' (no number of weeks). "
                f"{weeks} weeks is {side} the {draft:g} weeks of the 2012 draft, which the final text dropped"
            )
        elif cid == "unhealed_fracture":
            healing = full["healing"]
            status, reason = {
                "unhealed": ("met", "imaging shows the fracture is unhealed"),
                "healed": ("not met", "the fracture has healed"),
                "unknown": ("unknown", "not yet imaged, so 'unhealed' cannot be checked"),
            }[str(healing)]
        elif cid == "despite_optimal_pain_management":
            ok = bool(full["pain_management"])
            status, reason = (
                ("met", "optimal pain management has been tried")
                if ok
                else ("not met", "the text asks for pain despite optimal pain management, which has not been tried")
            )
        elif cid == "pain_confirmed_at_level":
            exam, imaging = full["confirmed_exam"], full["confirmed_imaging"]
            if exam and imaging:
                status, reason = "met", "confirmed by physical examination and by imaging"
            else:
                missing = [w for w, ok in (("physical examination", exam), ("imaging", imaging)) if not ok]
                status = "not met"
                reason = f"the text asks for both physical examination and imaging; missing: {' and '.join(missing)}"
        else:  # a criterion added to the data that this function does not know yet
            status, reason = "unknown", "this teaching widget has no control for this criterion"
        results.append(CriterionResult(criterion, status, reason))
    return results


def _results_text(results: list[CriterionResult]) -> str:
    counts = {s: [r.criterion.label for r in results if r.status == s] for s in STATUSES}
    lines = [
        f"Reading NICE TA279 criterion by criterion (a lesson in reading criteria, not advice): "
        f"{len(counts['met'])} of {len(results)} met as written; "
        f"needs judgement: {', '.join(counts['needs judgement']) or 'none'}; "
        f"not met: {', '.join(counts['not met']) or 'none'}; "
        f"unknown: {', '.join(counts['unknown']) or 'none'}."
    ]
    for r in results:
        lines.append(
            f"[{r.status}] {r.criterion.label}: {r.reason}. Wording: {r.criterion.wording.text} "
            f"[{', '.join(r.criterion.wording.sources)}]"
        )
    return "\n".join(lines) + "\n"


_STATUS_MARK = {"met": "✔ met", "not met": "✘ not met", "needs judgement": "? needs judgement", "unknown": "… unknown"}


def _results_html(results: list[CriterionResult], summary: str | None = None) -> str:
    """The checklist as HTML; ``summary`` (its first text line) is built here if not given."""
    rows = "".join(
        f"<tr><td><strong>{html.escape(_STATUS_MARK[r.status])}</strong></td>"
        f"<td>{html.escape(r.criterion.label)}<br><span class='ot-sources'>{html.escape(r.criterion.wording.text)} "
        f"(Sources: {html.escape(', '.join(r.criterion.wording.sources))})</span></td>"
        f"<td>{html.escape(r.reason)}"
        + (
            f"<br><span class='ot-sources'>{html.escape(r.criterion.note.text)} (Sources: "
            f"{html.escape(', '.join(r.criterion.note.sources))})</span>"
            if r.criterion.note
            else ""
        )
        + "</td></tr>"
        for r in results
    )
    if summary is None:
        summary = _results_text(results).splitlines()[0]
    return f"<p><strong>{html.escape(summary)}</strong></p>" + styled_table(
        "<table class='ot-trials ot-criteria' style='border-collapse:collapse;font-size:1em;width:100%'>"
        "<thead><tr><th>Status</th><th>TA279 criterion</th><th>Why</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def criteria_reading(data: CourseData | None = None) -> list[tuple[GuidelineCriterion, list[tuple[str, str, str]]]]:
    """How the teaching case is read against each TA279 criterion, for every answer that changes it.

    For each criterion: ``(when, status, reason)`` for every combination of the
    controls that change its reading (the others at the widget's starting case);
    a criterion no control changes gets one line, ``when = "always"``. Built by
    :func:`assess_case` itself, so it says exactly what the widget says.
    """
    import itertools

    data = data or load()
    base = {r.criterion.id: (r.status, r.reason) for r in assess_case({}, data)}
    choices = {
        name: options or [("ticked", True), ("not ticked", False)] for name, (_, options) in CASE_OPTIONS.items()
    }
    affecting: dict[str, list[str]] = {cid: [] for cid in base}
    for name, options in choices.items():
        for _, value in options:
            for r in assess_case({name: value}, data):
                if (r.status, r.reason) != base[r.criterion.id] and name not in affecting[r.criterion.id]:
                    affecting[r.criterion.id].append(name)
    reading = []
    for criterion in data.record(Guideline, "nice_ta279").criteria:
        names = affecting[criterion.id]
        if not names:
            status, reason = base[criterion.id]
            reading.append((criterion, [("always", status, reason)]))
            continue
        lines = []
        for combination in itertools.product(*(choices[name] for name in names)):
            case = {name: value for name, (_, value) in zip(names, combination, strict=True)}
            result = next(r for r in assess_case(case, data) if r.criterion.id == criterion.id)
            answers = zip(names, combination, strict=True)
            when = "; ".join(f"{CASE_OPTIONS[name][0].rstrip(':')}: {label}" for name, (label, _) in answers)
            lines.append((when, result.status, result.reason))
        reading.append((criterion, lines))
    return reading


def guideline_explorer_static(data: CourseData | None = None) -> TextAndHtml:
    """The guideline widget's static twin: the four guidelines side by side, and how each
    TA279 criterion is read for every answer the teaching case can give."""
    data = data or load()
    title = "How the teaching case is read against NICE TA279 (a lesson in reading criteria, not advice)"
    lines = ["GUIDELINES SIDE BY SIDE", guidelines_text(data), title.upper()]
    parts = [guidelines_html(data), f"<h4>{html.escape(title)}</h4>"]
    for criterion, readings in criteria_reading(data):
        lines.append(f"- {criterion.label}. Wording: {cited_text(criterion.wording)}")
        lines += [f"    {when} -> {status}: {reason}" for when, status, reason in readings]
        items = "".join(
            f"<li>{html.escape(when)}: <strong>{html.escape(_STATUS_MARK[status])}</strong>: {html.escape(reason)}</li>"
            for when, status, reason in readings
        )
        parts.append(
            f"<p><strong>{html.escape(criterion.label)}.</strong> {cited_html(criterion.wording)}</p><ul>{items}</ul>"
        )
    return TextAndHtml("\n".join(lines) + "\n", "".join(parts))


class GuidelineExplorer(widgets.VBox):
    """Four guidelines side by side, and a teaching case read against NICE TA279.

    Exposes what it shows: ``.text`` (the checklist as text), ``.statuses``
    (criterion id -> status), ``.summary`` (first line) and ``.error``.
    """

    def __init__(self, data: CourseData | None = None) -> None:
        self.data = data or load()
        self.table = widgets.HTML(guidelines_html(self.data))
        self.controls: dict[str, widgets.ValueWidget] = {}
        for name, (label, options) in CASE_OPTIONS.items():
            if options:
                control = dropdown(label, options, _DEFAULT_CASE[name])
            else:
                control = widgets.Checkbox(
                    description=label,
                    value=bool(_DEFAULT_CASE[name]),
                    indent=False,
                    layout=widgets.Layout(width="max-content"),
                )
            control.observe(self._on_change, names="value")
            self.controls[name] = control
        self.checklist = widgets.HTML()
        self.text = ""
        self.summary = ""
        self.statuses: dict[str, str] = {}
        self.error: str | None = None
        heading = widgets.HTML(
            "<h4>Teaching case: which NICE TA279 criteria does it meet, read as written?</h4>"
            "<p><em>A lesson in reading criteria, not advice: decisions about treatment belong to "
            "patients and their clinicians.</em></p>"
        )
        dropdowns = [c for c in self.controls.values() if isinstance(c, widgets.Dropdown)]
        boxes = [c for c in self.controls.values() if isinstance(c, widgets.Checkbox)]
        super().__init__(
            [
                self.table,
                heading,
                controls_row(*dropdowns[:2]),
                controls_row(*dropdowns[2:]),
                widgets.VBox(boxes),
                self.checklist,
            ],
            layout=widgets.Layout(width="100%"),
        )
        self.show_case()

    def _on_change(self, _change: dict) -> None:
        self.show_case()

    def case(self) -> dict[str, object]:
        """The case the controls currently describe."""
        return {name: control.value for name, control in self.controls.items()}

    def show_case(self, **overrides: object) -> None:
        """Check the controls' case (or the case with ``overrides``); bad values show a message."""
        case = {**self.case(), **overrides}
        try:
            results = assess_case(case, self.data)
        except ValueError as exc:
            self.error = str(exc)
            self.text = self.summary = ""
            self.statuses = {}
            self.checklist.value = error_html(self.error)
            return
        self.error = None
        self.statuses = {r.criterion.id: r.status for r in results}
        self.text = _results_text(results)
        self.summary = self.text.splitlines()[0]
        self.checklist.value = _results_html(results, self.summary)


# --- the lesson ------------------------------------------------------------------

#: The key facts notebook 05 prints.
FACTS = (
    "nice_ipg12_uncontrolled_relief",
    "vcf_pain_course",
    "pooled_vas_reduction",
    "vertos2_spontaneous_relief",
    VERTOS4_DEFINITION,
    "vertos4_both_groups_improved",
    "sham_trials_fracture_age",
    "ta279_recent_not_defined",
)


# --- calculations the exercises and the graded assignments share --------------------


def absolute_difference(number: TrialNumber) -> float:
    """Intervention minus control, in the number's own unit (percentage points for "% of patients")."""
    return number.intervention - number.control


def arm_percentages(number: TrialNumber) -> tuple[float, float]:
    """Each arm's count as a percentage of its denominator ("157 of 214" -> 73.4...), intervention first."""
    if number.intervention_total is None or number.control_total is None:
        raise ValueError(f"'{number.id}' has no denominators (intervention_total, control_total)")
    return 100 * number.intervention / number.intervention_total, 100 * number.control / number.control_total


def risk_difference(number: TrialNumber) -> float:
    """Absolute risk difference from a trial's counts, in percentage points (intervention minus control)."""
    intervention, control = arm_percentages(number)
    return intervention - control


def number_needed_to_treat(number: TrialNumber) -> int:
    """How many patients would need the intervention instead of the control for one patient fewer
    (or more) with the outcome: 1 / |risk difference|, rounded up, as is the convention."""
    difference = abs(risk_difference(number)) / 100
    if difference == 0:
        raise ValueError(f"'{number.id}': no difference between the arms, so no number needed to treat")
    return math.ceil(round(1 / difference, 9))


def includes_zero(point: PainDifference) -> bool:
    """Whether a between-group difference's 95% interval includes zero (compatible with no difference)."""
    return _includes_zero(point)


def intervals_excluding_zero(data: CourseData | None = None) -> list[str]:
    """The VERTOS IV visits whose interval excludes zero (a difference between the groups was shown)."""
    data = data or load()
    return [p.label for p in data.records(PainDifference) if p.interval is not None and not _includes_zero(p)]


def never_met_criteria(data: CourseData | None = None) -> list[str]:
    """The TA279 criteria that no teaching case the widget can set ever reads as "met" (ids)."""
    data = data or load()
    choices = [[v for _, v in options] if options else [True, False] for _, options in CASE_OPTIONS.values()]
    met: set[str] = set()
    for values in itertools.product(*choices):
        case = dict(zip(CASE_OPTIONS, values, strict=True))
        met |= {r.criterion.id for r in assess_case(case, data) if r.status == "met"}
    return [c.id for c in data.record(Guideline, "nice_ta279").criteria if c.id not in met]


# --- exercises (each solution runs only when a student clicks "Show solution") -------

#: Exercise 1: the two reported results (trial id, number id) whose difference is asked for.
EXERCISE_1_NUMBERS = (("vapour", "nrs_below_4_at_14d"), ("invest", "meaningful_pain_improvement"))

#: Exercise 3: a teaching case that meets every TA279 criterion the widget can set.
EXERCISE_3_CASE: dict[str, object] = {
    "fracture": "osteoporotic",
    "pain": "severe",
    "weeks": 3,
    "healing": "unhealed",
    "pain_management": True,
    "confirmed_exam": True,
    "confirmed_imaging": True,
}


def solution_exercise_1(course: CourseData) -> str:
    """Exercise 1: the absolute differences in VAPOUR and INVEST, and which was statistically significant."""
    lines = []
    for trial_id, number_id in EXERCISE_1_NUMBERS:
        n = trial_number(trial_id, number_id, course)
        lines.append(
            f"{trial_id}: {n.measure}: {format_reported(n.intervention, n.decimals)} vs "
            f"{format_reported(n.control, n.decimals)} {n.unit} -> absolute difference "
            f"{absolute_difference(n):+g} percentage points ({n.note}) [{', '.join(n.sources)}]"
        )
    lines.append("What each trial set out to test (its primary endpoint):")
    for trial_id, _ in EXERCISE_1_NUMBERS:
        trial = course.record(Trial, trial_id)
        lines.append(f"- {trial.name}: {cited_text(trial.primary_endpoint)}")
    lines.append(
        "Read each difference with its p-value as reported: VAPOUR's (its primary endpoint) was "
        "statistically significant at the conventional 0.05 level; INVEST's difference in meaningful "
        "improvement (not its primary endpoint) was not."
    )
    return "\n".join(lines)


def solution_exercise_2(course: CourseData) -> str:
    """Exercise 2: VERTOS IV's intervals read against zero, and the within-patient definition."""
    lines = []
    for p in course.records(PainDifference):
        if p.ci_low is None or p.ci_high is None:
            lines.append(f"{p.label}: {p.difference:+.2f} (no interval in the verified sources)")
            continue
        lines.append(
            f"{p.label}: {p.difference:+.2f} (95% CI {p.ci_low:g} to {p.ci_high:g}); includes 0: {includes_zero(p)}"
        )
    excluding = intervals_excluding_zero(course)
    lines.append(
        f"Intervals that exclude 0: {', '.join(excluding) or 'none'} -> no difference between the groups "
        "was shown at any visit; that is not proof of exactly no effect, only that the data are "
        "compatible with none (the intervals also include small differences either way)."
    )
    lines.append("What the trial called clinically significant: " + course.fact(VERTOS4_DEFINITION))
    lines.append(
        "Pain fell in both groups, so a within-patient decrease says nothing about whether "
        "vertebroplasty did better than sham; that question is answered by the between-group "
        "difference and its interval."
    )
    return "\n".join(lines)


def solution_exercise_3(course: CourseData) -> str:
    """Exercise 3: the TA279 criterion that can never show "met", and what the draft said."""
    lines = [f"[{r.status}] {r.criterion.label}: {r.reason}" for r in assess_case(EXERCISE_3_CASE, course)]
    never = never_met_criteria(course)
    labels = [c.label for c in course.record(Guideline, "nice_ta279").criteria if c.id in never]
    lines.append(
        f"Never 'met', whatever the case: {', '.join(labels) or 'none'}. "
        "The final text gives no number of weeks, so it always needs judgement."
    )
    lines.append(course.fact("ta279_recent_not_defined"))
    return "\n".join(lines)


def source_keys(course: CourseData) -> Iterable[str]:
    """Every source behind the trial table, the VERTOS IV figure, the guidelines and the facts printed."""
    shown: list[Any] = [
        *trials(course),
        *course.records(PainDifference),
        *course.records(Guideline),
        *(course.record(KeyFact, fact) for fact in FACTS),
    ]
    return dict.fromkeys(key for cited in iter_cited(shown) for key in cited.sources)


LESSON = Lesson(
    id="05_evidence",
    title="The evidence: trials, sham controls and guidelines",
    summary=(
        "Why open-label and sham-controlled trials of vertebroplasty disagree, how to read a difference "
        "and its confidence interval, and what guidelines conclude."
    ),
    data_files=("trials", "vertos4_pain", "guidelines", "key_facts"),
    widgets=(
        WidgetSpec(
            "GuidelineExplorer",
            build=lambda course: GuidelineExplorer(course),
            controls=lambda explorer: list(explorer.controls.values()),
            shows=lambda explorer: explorer.checklist.value,
            label="Fracture:",
            direct=lambda explorer: _results_html(assess_case(explorer.case(), explorer.data)),
            text=lambda course: guideline_explorer_static(course),
            text_title="The guidelines and every reading of the teaching case, as text, with sources",
        ),
    ),
    sources=source_keys,
)
