"""Osteoporosis and fractures: what osteoporosis is, who breaks a bone, how risk is assessed,
what treatment does, and why surgery repairs a fracture but not the bone loss behind it.

Everything printed comes from ``data/``: the key facts (``data/key_facts.yaml``), the WHO
bone-density categories on the T-score axis (``data/bone_density.yaml``) and the fracture
risk for each standard deviation of lower bone density (``data/bmd_fracture_risk.yaml``,
Marshall 1996). Both tables are this lesson's own (``LESSON.tables``).

Draw functions are pure: ``draw_*(figure, data)`` builds everything on the figure passed
in and returns the one-sentence summary.

Taught in: ``notebooks/01_osteoporosis_and_fractures.ipynb``.
"""

from __future__ import annotations

import itertools
import math
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from .cite import cited_text
from .data import CourseData, iter_cited, load
from .lessons import Lesson
from .plots import SummarisedFigure, draw_new, legend_below
from .records import ConfidenceInterval, Order, Ratio, Record, SourcedText, _require_evidence
from .style import OKABE_ITO

if TYPE_CHECKING:  # matplotlib is imported when a figure is drawn, not with the module
    from matplotlib.figure import Figure

__all__ = [
    "BoneDensityCategory",
    "BmdFractureRisk",
    "FACTS",
    "LESSON",
    "facts_text",
    "DxaReport",
    "EXERCISE_3_REPORTS",
    "categories",
    "check_categories",
    "classify_t_score",
    "categories_text",
    "draw_tscore_categories",
    "tscore_figure",
    "bmd_risks",
    "bmd_risk_text",
    "draw_bmd_risk",
    "bmd_risk_figure",
    "exercise_3_text",
    "solution_exercise_1",
    "solution_exercise_2",
    "solution_exercise_3",
    "source_keys",
]


# --- the lesson's own data ---------------------------------------------------------


class BoneDensityCategory(Record):
    """One WHO bone-density category: a range of T-scores (``data/bone_density.yaml``).

    ``t_min``/``t_max`` bound the range (``None``: no bound); ``min_inclusive`` and
    ``max_inclusive`` say whether the bound itself belongs to it (a T-score of -1.0 is
    normal, -2.5 is osteoporosis). ``with_fragility_fracture``: the category also needs a
    fragility fracture (severe osteoporosis); it then shares its range with another one.
    """

    name: str
    order: Order
    t_min: float | None = None
    t_max: float | None = None
    min_inclusive: bool = True
    max_inclusive: bool = True
    with_fragility_fracture: bool = False
    definition: SourcedText

    @field_validator("definition")
    @classmethod
    def _sourced(cls, definition: SourcedText, info: ValidationInfo) -> SourcedText:
        _require_evidence(definition.sources, info, "a T-score range")
        return definition

    @model_validator(mode="after")
    def _ordered(self) -> BoneDensityCategory:
        if self.t_min is None and self.t_max is None:
            raise PydanticCustomError("half_value", "give t_min, t_max or both: a category is a range of T-scores")
        if self.t_min is not None and self.t_max is not None and self.t_min >= self.t_max:
            raise PydanticCustomError(
                "inverted_range",
                "inverted range: t_min ({low}) is not below t_max ({high}); expected t_min < t_max",
                {"low": f"{self.t_min:g}", "high": f"{self.t_max:g}"},
            )
        return self

    def contains(self, t_score: float) -> bool:
        """Whether ``t_score`` lies in this category's range (fracture or not)."""
        if self.t_min is not None and (t_score < self.t_min or (t_score == self.t_min and not self.min_inclusive)):
            return False
        return not (
            self.t_max is not None and (t_score > self.t_max or (t_score == self.t_max and not self.max_inclusive))
        )

    def describe(self) -> str:
        """``-1.0 or higher``, ``between -2.5 and -1.0``, ``-2.5 or lower`` (as the sources write it)."""
        if self.t_max is None and self.t_min is not None:
            return f"{self.t_min:.1f} or higher"
        if self.t_min is None and self.t_max is not None:
            lower = f"{self.t_max:.1f} or lower"
            return f"{lower}, with a fragility fracture" if self.with_fragility_fracture else lower
        return f"between {self.t_max:.1f} and {self.t_min:.1f}"


class BmdFractureRisk(Record):
    """The relative risk of fracture for each standard deviation of lower bone density.

    One row per measuring site and fracture, with its 95% interval, from a meta-analysis
    of cohorts of women (``data/bmd_fracture_risk.yaml``).
    """

    label: str
    order: Order
    relative_risk: Ratio
    ci: ConfidenceInterval
    population: str
    statement: SourcedText

    @field_validator("statement")
    @classmethod
    def _sourced(cls, statement: SourcedText, info: ValidationInfo) -> SourcedText:
        _require_evidence(statement.sources, info, "a relative risk")
        return statement

    @model_validator(mode="after")
    def _inside(self) -> BmdFractureRisk:
        if not (self.ci.low <= self.relative_risk <= self.ci.high) or self.ci.low <= 0:
            raise PydanticCustomError(
                "inverted_range",
                "the relative risk ({v}) must lie inside its interval ({lo} to {hi}), both above 0",
                {"v": f"{self.relative_risk:g}", "lo": f"{self.ci.low:g}", "hi": f"{self.ci.high:g}"},
            )
        return self


# --- what the lesson prints ----------------------------------------------------------

#: The key facts the lesson prints, section by section, in the order it prints them.
FACTS: dict[str, tuple[str, ...]] = {
    "surgery": ("surgery_does_not_correct_bone_loss",),
    "what": ("osteoporosis_definition", "bone_remodelling", "osteoporosis_mechanism"),
    "who_definition": ("tscore_population", "osteoporosis_prevalence_women"),
    "fragility": ("fragility_fracture_definition",),
    "lifetime": ("lifetime_risk_us_review", "lifetime_risk_nof_us"),
    "where": ("vcf_most_common", "vcf_share_one_quarter", "vcf_share_at_least_half", "vcf_underdiagnosed"),
    "assessment": ("who_to_assess", "frax_qfracture", "dxa_scan"),
    "prediction": ("bmd_predicts_not_identifies", "fractures_above_threshold"),
    "treatment": ("osteoporosis_medicines", "alendronate_effect", "lifestyle_for_bone", "exercise_effect"),
    "after_repair": (
        "hip_fracture_mortality",
        "fracture_predicts_next",
        "osteoporosis_treatment_gap",
        "rehabilitation",
        "vcf_definition",
    ),
}

#: Colours and hatching of the T-score categories (colour is never the only cue: each band
#: is labelled and hatched differently).
CATEGORY_STYLE: dict[str, tuple[str, str]] = {
    "normal": (OKABE_ITO["bluish_green"], ""),
    "osteopenia": (OKABE_ITO["orange"], "//"),
    "osteoporosis": (OKABE_ITO["vermillion"], "xx"),
    "severe_osteoporosis": (OKABE_ITO["reddish_purple"], "xx"),
}
_FALLBACK_STYLE = (OKABE_ITO["sky_blue"], "..")

#: The part of the T-score axis drawn (a display range, not data: the categories'
#: open ends continue beyond it).
T_AXIS = (-4.5, 2.0)


def _fact_lines(course: CourseData, section: str) -> list[str]:
    return [course.fact(fact_id) for fact_id in FACTS[section]]


def facts_text(course: CourseData, section: str) -> str:
    """The key facts of one section of the lesson, each with its sources, one paragraph each."""
    return "\n\n".join(_fact_lines(course, section)) + "\n"


def categories(data: CourseData | None = None) -> list[BoneDensityCategory]:
    """The WHO categories, in order (normal first)."""
    data = data or load()
    return sorted(data.records(BoneDensityCategory), key=lambda c: c.order)


def check_categories(data: CourseData | None = None) -> list[str]:
    """Problems with the categories as a whole: every T-score must fall in exactly one
    density category (those without ``with_fragility_fracture``), and each fracture
    category must lie inside a density category. An empty list means they are consistent.
    """
    found: list[str] = []
    density = [c for c in categories(data) if not c.with_fragility_fracture]
    low, high = T_AXIS
    probes = [low + i * 0.05 for i in range(round((high - low) / 0.05) + 1)]
    bounds = {b for c in categories(data) for b in (c.t_min, c.t_max) if b is not None}
    for t in sorted({round(p, 2) for p in probes} | bounds):
        holders = [c.id for c in density if c.contains(t)]
        if len(holders) != 1:
            found.append(f"T-score {t:g} falls in {len(holders)} density categories ({', '.join(holders) or 'none'})")
    for fracture in (c for c in categories(data) if c.with_fragility_fracture):
        inside = [
            c
            for c in density
            if all(c.contains(t) for t in probes if fracture.contains(t)) and any(fracture.contains(t) for t in probes)
        ]
        if not inside:
            found.append(f"{fracture.id} does not lie inside one density category")
    return found


def classify_t_score(
    t_score: float, fragility_fracture: bool = False, data: CourseData | None = None
) -> BoneDensityCategory:
    """The WHO category of a T-score (with a fragility fracture, severe osteoporosis where it applies).

    The WHO categories apply to postmenopausal women and men aged 50 and over (the
    ``tscore_population`` key fact); this function does not know who was scanned.
    A T-score that is not a finite number raises a ValueError.
    """
    if not isinstance(t_score, (int, float)) or isinstance(t_score, bool) or not math.isfinite(t_score):
        raise ValueError(f"a T-score is a finite number of standard deviations, not {t_score!r}")
    all_categories = categories(data)
    density = [c for c in all_categories if not c.with_fragility_fracture and c.contains(t_score)]
    if len(density) != 1:
        raise ValueError(f"T-score {t_score:g} falls in {len(density)} categories: check data/bone_density.yaml")
    if fragility_fracture:
        severe = [c for c in all_categories if c.with_fragility_fracture and c.contains(t_score)]
        if severe:
            return severe[0]
    return density[0]


def categories_text(data: CourseData | None = None, width: int = 88) -> str:
    """The categories as text: name, T-score range, cited definition."""
    lines = ["WHO bone-density categories (T-score from a DXA scan):"]
    for category in categories(data):
        lines.append(f"- {category.name}: T-score {category.describe()}")
        lines.append(
            textwrap.fill(cited_text(category.definition), width=width, initial_indent="    ", subsequent_indent="    ")
        )
    return "\n".join(lines) + "\n"


def _style(category: BoneDensityCategory) -> tuple[str, str]:
    return CATEGORY_STYLE.get(category.id, _FALLBACK_STYLE)


def _span(category: BoneDensityCategory) -> tuple[float, float]:
    low, high = T_AXIS
    return (
        category.t_min if category.t_min is not None else low,
        category.t_max if category.t_max is not None else high,
    )


def draw_tscore_categories(figure: Figure, data: CourseData | None = None) -> str:
    """The WHO categories as bands on a T-score axis, the -2.5 threshold drawn; return the summary.

    Top row: bone density alone. Bottom row: with a fragility fracture, the osteoporosis
    range becomes severe osteoporosis; elsewhere the density category is unchanged.
    """
    from matplotlib.patches import Rectangle

    data = data or load()
    cats = categories(data)
    density = [c for c in cats if not c.with_fragility_fracture]
    fracture = [c for c in cats if c.with_fragility_fracture]
    ax = figure.add_subplot()
    low, high = T_AXIS
    rows = {"density": 1.0, "fracture": 0.0}
    height = 0.62

    def band(category: BoneDensityCategory, y: float) -> None:
        colour, hatch = _style(category)
        start, end = _span(category)
        ax.add_patch(
            Rectangle(
                (start, y - height / 2),
                end - start,
                height,
                facecolor=colour,
                edgecolor=OKABE_ITO["black"],
                hatch=hatch,
                alpha=0.85,
                lw=1.2,
            )
        )
        label = "\n".join([*textwrap.wrap(category.name, 16), *textwrap.wrap(category.describe(), 22)])
        ax.text(
            (start + end) / 2,
            y,
            label,
            ha="center",
            va="center",
            fontsize="small",
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.9, "pad": 2},
            zorder=5,
        )

    for category in density:
        band(category, rows["density"])
    covered: list[tuple[float, float]] = []
    for category in fracture:
        band(category, rows["fracture"])
        covered.append(_span(category))
    # The rest of the fracture row: the density category above still applies.
    edges = sorted({low, high, *[x for span in covered for x in span]})
    for start, end in itertools.pairwise(edges):
        if any(a <= start and end <= b for a, b in covered):
            continue
        ax.add_patch(
            Rectangle(
                (start, rows["fracture"] - height / 2),
                end - start,
                height,
                facecolor="white",
                edgecolor=OKABE_ITO["black"],
                hatch="..",
                lw=1.0,
            )
        )
        ax.text(
            (start + end) / 2,
            rows["fracture"],
            "same density category as above\n(the fracture still raises the risk of the next)",
            ha="center",
            va="center",
            fontsize="small",
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.9, "pad": 2},
            zorder=5,
        )
    threshold = next(c.t_max for c in density if c.t_min is None and c.t_max is not None)
    ax.vlines(
        threshold,
        rows["fracture"] - height / 2,
        rows["density"] + height / 2 + 0.2,
        color=OKABE_ITO["black"],
        ls="--",
        lw=2.5,
        zorder=6,
    )
    ax.text(
        threshold + 0.06,
        rows["density"] + height / 2 + 0.08,
        f"WHO threshold: T-score {threshold:.1f}",
        ha="left",
        va="bottom",
        fontsize="small",
        fontweight="bold",
    )
    ax.set_xlim(low, high)
    ax.set_ylim(-0.5, 1.62)
    ax.set_yticks([rows["fracture"], rows["density"]], ["With a fragility\nfracture", "Bone density\nalone"])
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("T-score: standard deviations below (-) or above (+) the healthy young-adult average")
    ax.set_title("WHO bone-density categories on the T-score axis")
    ax.annotate(
        "",
        xy=(low + 0.1, -0.42),
        xytext=(low + 1.4, -0.42),
        arrowprops={"arrowstyle": "-|>", "color": OKABE_ITO["black"], "lw": 1.5},
        annotation_clip=False,
    )
    ax.text(low + 1.5, -0.42, "lower bone density", va="center", fontsize="small")
    ax.annotate(
        "The categories apply to postmenopausal women and men aged 50 and over; for others a Z-score is used.",
        xy=(0.5, -0.24),
        xycoords="axes fraction",
        ha="center",
        va="top",
        fontsize="small",
        style="italic",
    )
    parts = [f"{c.name.lower()}, {c.describe()}" for c in [*density, *fracture]]
    return (
        f"WHO bone-density categories on a T-score axis: {'; '.join(parts)}; the dashed line marks the "
        f"threshold at {threshold:.1f}. They apply to postmenopausal women and men aged 50 and over."
    )


def tscore_figure(data: CourseData | None = None) -> SummarisedFigure:
    """The T-score categories as a figure with its summary (displays in a notebook)."""
    return draw_new(draw_tscore_categories, data)


def bmd_risks(data: CourseData | None = None) -> list[BmdFractureRisk]:
    """The per-SD relative risks, in order."""
    data = data or load()
    return sorted(data.records(BmdFractureRisk), key=lambda r: r.order)


def _estimate(risk: BmdFractureRisk) -> str:
    return f"{risk.relative_risk:.1f} (95% CI {risk.ci.low:.1f} to {risk.ci.high:.1f})"


def bmd_risk_text(data: CourseData | None = None, width: int = 88) -> str:
    """Each relative risk with its interval, population and sources."""
    risks = bmd_risks(data)
    lines = ["Relative risk of fracture for each standard deviation (SD) of lower bone density:"]
    for risk in risks:
        lines.append(f"- {risk.label}: {_estimate(risk)}")
        lines.append(
            textwrap.fill(cited_text(risk.statement), width=width, initial_indent="    ", subsequent_indent="    ")
        )
    populations = sorted({r.population for r in risks})
    lines.append(f"People studied: {'; '.join(populations)}.")
    return "\n".join(lines) + "\n"


def draw_bmd_risk(figure: Figure, data: CourseData | None = None) -> str:
    """The per-SD relative risks with their 95% intervals, against 1 (no difference); return the summary."""
    risks = bmd_risks(data)
    ax = figure.add_subplot()
    colour = OKABE_ITO["blue"]
    for y, risk in enumerate(reversed(risks)):
        ax.plot([risk.ci.low, risk.ci.high], [y, y], color=colour, lw=3, solid_capstyle="butt")
        ax.plot([risk.relative_risk], [y], marker="D", ms=11, color=colour, ls="none", zorder=5)
        ax.text(risk.ci.high * 1.04, y, _estimate(risk), va="center", fontsize="small")
    ax.axvline(1.0, color=OKABE_ITO["black"], ls="--", lw=1.5)
    ax.text(1.02, len(risks) - 0.45, "1 = no difference in risk", fontsize="small", va="bottom")
    ax.set_xscale("log")
    top = max(r.ci.high for r in risks)
    ax.set_xlim(0.9, top * 1.9)
    ticks = [1, 1.5, 2, 3, 4]
    ax.set_xticks([t for t in ticks if t <= top * 1.9], [f"{t:g}" for t in ticks if t <= top * 1.9])
    ax.minorticks_off()
    ax.set_yticks(range(len(risks)), ["\n".join(textwrap.wrap(r.label, 26)) for r in reversed(risks)])
    ax.set_ylim(-0.6, len(risks) - 0.1)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("Relative risk of fracture per 1 SD lower bone density (log scale; 95% CI)")
    ax.set_title("Each SD of lower bone density: how much higher the fracture risk")
    legend_below(
        ax,
        [ax.plot([], [], marker="D", color=colour, lw=3, label="relative risk and its 95% confidence interval")[0]],
        offset=-0.16,
    )
    populations = "; ".join(sorted({r.population for r in risks}))
    ax.annotate(
        f"People studied: {populations}.\nBone density measured below the age-adjusted mean.",
        xy=(0.5, -0.3),
        xycoords="axes fraction",
        ha="center",
        va="top",
        fontsize="small",
        style="italic",
    )
    parts = [f"{r.label.lower()} {_estimate(r)}" for r in risks]
    return (
        "Relative risk of fracture for each standard deviation of lower bone density, all above 1 (no "
        f"difference): {'; '.join(parts)}; people studied: {populations}."
    )


def bmd_risk_figure(data: CourseData | None = None) -> SummarisedFigure:
    """The per-SD relative risks as a figure with its summary."""
    return draw_new(draw_bmd_risk, data)


# --- exercises -----------------------------------------------------------------------


@dataclass(frozen=True)
class DxaReport:
    """A fictional DXA report for exercise 3 (a teaching case, not data about real people)."""

    person: str
    group: str
    t_score: float
    fragility_fracture: bool
    #: Whether the WHO T-score categories apply to this person (ISCD: postmenopausal women
    #: and men aged 50 and over).
    who_applies: bool

    def describe(self) -> str:
        fracture = "a wrist fracture after a fall from standing height" if self.fragility_fracture else "no fracture"
        return f"{self.person} ({self.group}): lowest T-score {self.t_score:.1f}; {fracture}."


#: The three fictional reports of exercise 3.
EXERCISE_3_REPORTS: tuple[DxaReport, ...] = (
    DxaReport("Mrs A, aged 70", "postmenopausal woman", -2.7, False, True),
    DxaReport("Mrs B, aged 72", "postmenopausal woman", -1.9, True, True),
    DxaReport("Ms C, aged 38", "premenopausal woman", -2.6, False, False),
)


def exercise_3_text() -> str:
    """The fictional reports the exercise asks students to read."""
    return "\n".join(f"{n}. {r.describe()}" for n, r in enumerate(EXERCISE_3_REPORTS, start=1)) + "\n"


def solution_exercise_1(course: CourseData) -> str:
    """A journalist's unsourced figure, rewritten with its source, its kind and the review's figure."""
    lines = _fact_lines(course, "lifetime")[::-1]
    lines += [
        "",
        f"Tier of the foundation's page: {course.source('bhof_nof_basics').tier} (patient information)",
        f"Tier of the review: {course.source('chandra2018_ajnr').tier} (peer-reviewed review)",
        "For example: 'A US patient foundation says up to one in four men over 50 will break a bone",
        "due to osteoporosis; a US review gives a remaining lifetime fracture risk at 50 of 1 in 5 for men.'",
    ]
    return "\n".join(lines) + "\n"


def solution_exercise_2(course: CourseData) -> str:
    """What to check before calling two shares of vertebral fractures a contradiction."""
    lines = [course.fact(f) for f in ("vcf_share_one_quarter", "vcf_share_at_least_half", "vcf_underdiagnosed")]
    lines += [
        "",
        "Check: which country and year, what total (denominator), and whether fractures",
        "were counted on imaging or only when they reached a doctor.",
    ]
    return "\n".join(lines) + "\n"


def solution_exercise_3(course: CourseData) -> str:
    """Each fictional DXA report read against the WHO categories, and to whom they apply."""
    lines: list[str] = []
    for n, report in enumerate(EXERCISE_3_REPORTS, start=1):
        if not report.who_applies:
            lines.append(
                f"{n}. {report.person}: the WHO T-score categories do not apply to a {report.group}; "
                "her result is reported as a Z-score (compared with women of her age), and a low "
                "bone density alone does not diagnose osteoporosis in her."
            )
            continue
        category = classify_t_score(report.t_score, report.fragility_fracture, course)
        line = f"{n}. {report.person}: {category.name} (T-score {category.describe()})."
        if report.fragility_fracture and not category.with_fragility_fracture:
            line += (
                " Not severe osteoporosis: that needs a T-score of -2.5 or lower as well as the fracture. "
                "But a previous fragility fracture is itself a reason to assess her fracture risk, and "
                "in a large cohort most fractures happened in women above the osteoporosis threshold."
            )
        lines.append(line)
    lines += ["", *(course.fact(f) for f in ("tscore_population", "who_to_assess", "fractures_above_threshold"))]
    return "\n".join(lines) + "\n"


# --- the lesson --------------------------------------------------------------------


def source_keys(course: CourseData) -> Iterable[str]:
    """The lesson's reading list: the seed article, then the sources of everything printed."""
    facts = [fact_id for section in FACTS.values() for fact_id in section]
    tables = [*categories(course), *bmd_risks(course)]
    table_keys = [key for cited in iter_cited(tables) for key in cited.sources]
    exercise_keys = ["bhof_nof_basics", "chandra2018_ajnr"]
    return dict.fromkeys(["health_library_article", *course.fact_sources(facts), *table_keys, *exercise_keys])


LESSON = Lesson(
    id="01_osteoporosis_and_fractures",
    title="Osteoporosis and fractures",
    summary=(
        "What osteoporosis is and how it is defined, who breaks a bone and where, how fracture risk is "
        "assessed, what medicines and lifestyle do, and why surgery repairs a fracture but not bone loss."
    ),
    data_files=("key_facts", "bone_density", "bmd_fracture_risk", "sources"),
    sources=source_keys,
    tables={"bone_density": BoneDensityCategory, "bmd_fracture_risk": BmdFractureRisk},
)
