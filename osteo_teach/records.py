"""Typed records for every file in ``data/``: one pydantic model per file.

Why pydantic: it gives each validation problem a location (record, field) and a
reason, which :mod:`osteo_teach.data` turns into one clear message for the person
editing the YAML file. The models forbid unknown fields (a typo in a field name
must not silently drop a value) and are strict about types (``"six"`` is not a
number of weeks).

Cross-references (a source key, a procedure id) are checked while validating:
:mod:`osteo_teach.data` passes the ids already loaded as the validation context,
so files are loaded in the order of :data:`SCHEMAS` (a file may only refer to
files listed before it).

Taught in: ``notebooks/00_start_here.ipynb`` (how the data are organised).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

__all__ = [
    "Record",
    "Source",
    "Aspect",
    "SourcedText",
    "Procedure",
    "Comparison",
    "WeekRange",
    "HealingPhase",
    "FractureSite",
    "ConfidenceInterval",
    "HealingFactor",
    "TimeWindow",
    "PathwayStep",
    "PathwayHealing",
    "Pathway",
    "CONSUMER_PUBLISHERS",
    "EVIDENCE_TIERS",
    "BLOCKED_HOSTS",
    "UNIT_BOUNDS",
    "KeyFact",
    "QuizQuestion",
    "QuizOption",
    "NumericAnswer",
    "ComputedAnswer",
    "ProcedureStep",
    "Trial",
    "TrialNumber",
    "PainDifference",
    "Guideline",
    "GuidelineCriterion",
    "GlossaryTerm",
    "RecordRef",
    "SeedLesson",
    "SeedTopic",
    "SCHEMAS",
]

#: Human names of the tables, used in error messages ("unknown source key").
TABLE_NOUNS = {
    "sources": "source key",
    "aspects": "aspect id",
    "procedures": "procedure id",
    "comparisons": "comparison id",
    "healing_phases": "healing phase id",
    "fracture_sites": "fracture site",
    "pathways": "treatment pathway id",
    "key_facts": "key fact id",
    "quiz": "quiz question id",
    "healing_factors": "healing factor id",
    "procedure_steps": "procedure step id",
    "trials": "trial id",
    "vertos4_pain": "VERTOS IV time point",
    "guidelines": "guideline id",
    "glossary": "glossary term id",
    "seed_topics": "seed-article topic id",
}

ID_PATTERN = r"^[a-z0-9_]+$"

# --- The source policy -------------------------------------------------------------
# Clinical claims rest on primary studies (P), guidelines/HTAs/official bodies (G) or
# peer-reviewed reviews and reference works (R). Patient information (C) only from the
# reputable publishers below, and never as the only source of a number. Tier L
# (forums, AI-generated Q&A, blogs) is never cited; mirrors on unrelated hosts neither.

#: Tiers whose sources can carry a number or a clinical claim on their own.
EVIDENCE_TIERS = frozenset({"P", "G", "R"})

#: The only publishers a tier-C (patient information) source may come from.
CONSUMER_PUBLISHERS = (
    "NHS",
    "NIH",
    "MedlinePlus",
    "AAOS OrthoInfo",
    "Mayo Clinic",
    "Cleveland Clinic",
    "Royal Osteoporosis Society",
    "Bone Health and Osteoporosis Foundation",
    "International Osteoporosis Foundation",
    "Versus Arthritis",
    "EBSCO Health Library (the seed article)",
)

#: Hosts that are never cited: forums, AI-generated Q&A, blogs, content farms, and
#: PDFs mirrored on hosts unrelated to their publisher.
BLOCKED_HOSTS = (
    "getoncourse.ai",
    "droracle.ai",
    "community.patient.info",
    "blogspot.",
    "reference.com",
    "zana.com",
    "dm3sbd.com",
    "valmonty.uk",
    "kulonosbehover",
    "coek.info",
    "aneskey.com",
    "fliphtml5",
    "studylib.net",
    "docplayer",
    "scribd.com",
    "pdfslide",
    "iiab.me",
    "cucdc.com",
    "hezhiquan.com",
    "47.251.13.51",
    "openpayer.com",
    "spine-health.com",
    "painscience.com",
    "nsmedicaldevices.com",
)

#: A number in running text: digits not glued to letters ("6 weeks", "51%", "1.5"),
#: so identifiers such as TA279, CG124 or SF-36 alone do not count.
_NUMBER_IN_TEXT = re.compile(r"(?<![A-Za-z0-9-])\d+(?:[.,]\d+)?(?![A-Za-z0-9])")


def _reference_to(table: str):
    """An AfterValidator checking that a value is an id already loaded in ``table``."""

    def check(value: str, info: ValidationInfo) -> str:
        context = info.context or {}
        known = context.get(table)
        noun = TABLE_NOUNS.get(table, f"{table} id")
        rejected = context.get(f"{table}:rejected", {})
        if value in rejected:
            raise PydanticCustomError(
                "rejected_reference",
                "{noun} '{value}' cannot be cited: {reason}",
                {"noun": noun, "value": value, "reason": rejected[value]},
            )
        if known is not None and value not in known:
            raise PydanticCustomError(
                "unknown_reference",
                "unknown {noun} '{value}': expected one of the ids in data/{table}.yaml",
                {"noun": noun, "value": value, "table": table},
            )
        return value

    return AfterValidator(check)


def _check_bounds(value: float, low: float | None, high: float | None, what: str, above: bool = False) -> None:
    """Refuse a value outside ``low``..``high`` (strictly above ``low`` when ``above``)."""
    too_low = low is not None and (value <= low if above else value < low)
    too_high = high is not None and value > high
    if not (too_low or too_high):
        return
    if low is not None and high is not None:
        expected = f"a value from {low:g} to {high:g}"
    elif low is not None:
        expected = f"a value greater than {low:g}" if above else f"a value of at least {low:g}"
    else:
        expected = f"a value of at most {high:g}"
    raise PydanticCustomError(
        "out_of_bounds",
        "{value} is not a possible {what}: expected {expected}",
        {"value": f"{value:g}", "what": what, "expected": expected},
    )


def _within(low: float | None, high: float | None, what: str, *, above: bool = False) -> AfterValidator:
    """An AfterValidator: the value must be a possible ``what`` (see :func:`_check_bounds`)."""

    def check(value: float) -> float:
        _check_bounds(value, low, high, what, above)
        return value

    return AfterValidator(check)


#: Quantities with the bounds of their unit: a hurried edit cannot load a negative week.
Weeks = Annotated[float, _within(0, None, "number of weeks")]
Count = Annotated[int, _within(0, None, "count")]
Order = Annotated[int, _within(1, None, "position (1 is first)")]
Percent = Annotated[float, _within(0, 100, "percentage")]
VasChange = Annotated[float, _within(-10, 10, "difference on the 0-10 VAS pain scale")]
Ratio = Annotated[float, _within(0, None, "ratio (odds, risk or hazard ratio)", above=True)]

#: Units a reported number may have, with the bounds of each; a unit starting with
#: "%" is a percentage (0 to 100).
UNIT_BOUNDS: dict[str, tuple[float | None, float | None]] = {
    "weeks": (0, None),
    "days": (0, None),
    "months": (0, None),
    "years": (0, None),
    "minutes": (0, None),
    "patients": (0, None),
    "people": (0, None),
    "fractures": (0, None),
    "treated levels": (0, None),
    "degrees": (0, 180),
    "VAS points": (0, 10),
    "VAS points (change)": (-10, 10),
    "NRS points": (0, 10),
    "SF-36 points (change)": (-100, 100),
    "ratio": (0, None),
}


def _known(unit: str) -> tuple[float | None, float | None]:
    """The bounds of a known unit (see :data:`UNIT_BOUNDS`); an unknown unit is refused."""
    if unit.startswith("%"):
        return 0.0, 100.0
    if unit in UNIT_BOUNDS:
        return UNIT_BOUNDS[unit]
    raise PydanticCustomError(
        "unknown_unit",
        "unknown unit '{unit}': expected one of {known}, or a percentage ('% of ...')",
        {"unit": unit, "known": ", ".join(UNIT_BOUNDS)},
    )


def _check_unit(value: float, unit: str, what: str) -> None:
    """``value`` must be possible in ``unit``."""
    low, high = _known(unit)
    _check_bounds(value, low, high, f"{what} in {unit}")


def _require_evidence(keys: list[str], info: ValidationInfo, what: str) -> None:
    """A number taught as fact needs a tier P, G or R source, not patient information alone."""
    tiers: dict[str, str] = (info.context or {}).get("sources:tiers") or {}
    if not tiers or not keys:
        return
    if not any(tiers.get(key) in EVIDENCE_TIERS for key in keys):
        raise PydanticCustomError(
            "number_needs_evidence",
            "{what} cites only patient-information (tier C) sources ({keys}): a number taught "
            "as fact needs at least one primary study, guideline or review (tier P, G or R)",
            {"what": what, "keys": ", ".join(keys)},
        )


SourceKey = Annotated[str, _reference_to("sources")]
AspectId = Annotated[str, _reference_to("aspects")]
ProcedureId = Annotated[str, _reference_to("procedures")]
FractureSiteId = Annotated[str, _reference_to("fracture_sites")]
#: A non-empty list of source keys: every medical statement needs at least one.
Sources = Annotated[list[SourceKey], Field(min_length=1)]


class Record(BaseModel):
    """Base for every data record: strict types, no unknown fields, an ``id``."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    id: Annotated[str, Field(pattern=ID_PATTERN)]


class Source(Record):
    """One entry of the bibliography (``data/sources.yaml``).

    ``tier``: P primary study, G guideline/HTA/official body, R peer-reviewed review
    or reference work, C patient information from a reputable publisher, L
    low-authority page (kept only to say it is never cited). ``publisher`` says who
    stands behind the text; for tier C it must be one of :data:`CONSUMER_PUBLISHERS`.
    """

    tier: Literal["P", "G", "R", "C", "L"]
    authors: str | None = None
    title: str | None = None
    venue: str
    publisher: str
    year: Annotated[int, Field(ge=1900, le=2100)] | None = None
    details: str | None = None
    doi: str | None = None
    pmid: Annotated[int, Field(ge=1)] | None = None
    pmcid: str | None = None
    url: str | None = None
    verified: bool
    secondary: bool
    note: str | None = None

    @model_validator(mode="after")
    def _locatable(self) -> Source:
        if not (self.doi or self.pmid or self.pmcid or self.url or self.details):
            raise PydanticCustomError(
                "no_locator",
                "a source needs at least one of doi, pmid, pmcid, url or details "
                "(volume, pages, section) so readers can find it",
            )
        return self

    @field_validator("publisher")
    @classmethod
    def _allowed_publisher(cls, publisher: str, info: ValidationInfo) -> str:
        if info.data.get("tier") == "C" and publisher not in CONSUMER_PUBLISHERS:
            raise PydanticCustomError(
                "consumer_publisher",
                "tier-C (patient information) sources must come from a reputable publisher; "
                "'{publisher}' is not one: expected one of {allowed}",
                {"publisher": publisher, "allowed": ", ".join(CONSUMER_PUBLISHERS)},
            )
        return publisher

    @field_validator("url")
    @classmethod
    def _allowed_host(cls, url: str | None) -> str | None:
        if url:
            host = urlsplit(url if "//" in url else "//" + url).netloc.lower()
            if any(blocked in host for blocked in BLOCKED_HOSTS):
                raise PydanticCustomError(
                    "blocked_host",
                    "'{host}' is never cited (a forum, AI-generated Q&A site, blog, or a copy on a "
                    "host unrelated to the publisher): expected the publisher's own page, PubMed "
                    "or PMC, or the guideline body's site",
                    {"host": host},
                )
        return url


class Aspect(Record):
    """A question a procedure comparison answers, e.g. "Is there an incision?"."""

    label: str
    question: str


class SourcedText(BaseModel):
    """A statement with the sources that support it.

    ``illustrative: true`` marks a teaching simplification that no source states;
    it then needs ``sources: []`` and a ``reason``, and is shown as illustrative.
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    text: str
    sources: list[SourceKey]
    illustrative: bool = False
    reason: str | None = None

    @model_validator(mode="after")
    def _cited_or_illustrative(self) -> SourcedText:
        if self.illustrative:
            if not self.reason:
                raise PydanticCustomError(
                    "illustrative_reason",
                    "an illustrative value needs a 'reason' saying why it is not sourced",
                )
            if self.sources:
                raise PydanticCustomError(
                    "illustrative_with_sources",
                    "an illustrative value has no source: expected 'sources: []' (or drop "
                    "'illustrative: true' if a source gives it)",
                )
        elif not self.sources:
            raise PydanticCustomError(
                "unsourced",
                "a statement needs at least one source key (or illustrative: true with a reason)",
            )
        return self

    @field_validator("sources")
    @classmethod
    def _numbers_need_evidence(cls, sources: list[str], info: ValidationInfo) -> list[str]:
        if _NUMBER_IN_TEXT.search(info.data.get("text") or ""):
            _require_evidence(sources, info, "a statement with a number")
        return sources

    @property
    def has_number(self) -> bool:
        """Whether the text states a number (digits, not an identifier such as TA279)."""
        return bool(_NUMBER_IN_TEXT.search(self.text))


class Procedure(Record):
    """A procedure with one sourced statement per comparison aspect."""

    name: str
    family: Literal["fracture_reduction", "vertebral_augmentation"]
    summary: SourcedText
    aspects: dict[AspectId, SourcedText]


class Comparison(Record):
    """A pair of procedures that the comparison widget sets side by side."""

    title: str
    procedures: Annotated[list[ProcedureId], Field(min_length=2, max_length=2)]
    aspects: Annotated[list[AspectId], Field(min_length=1)]


def _check_time_range(low: float, high: float, unit: str) -> None:
    """A time after the fracture: both ends >= 0 and ``low <= high`` (weeks or days)."""
    if low < 0 or high < 0:
        raise PydanticCustomError(
            "negative_range",
            "negative range ({min} to {max} {unit}): time after a fracture cannot be negative",
            {"min": f"{low:g}", "max": f"{high:g}", "unit": unit},
        )
    if low > high:
        raise PydanticCustomError(
            "inverted_range",
            "inverted range: min ({min}) is greater than max ({max}); expected min <= max",
            {"min": f"{low:g}", "max": f"{high:g}"},
        )


class WeekRange(BaseModel):
    """A time window in weeks after the fracture, ``min <= max``, both >= 0."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    min: float
    max: float

    @model_validator(mode="after")
    def _ordered(self) -> WeekRange:
        _check_time_range(self.min, self.max, "weeks")
        return self


class HealingPhase(Record):
    """One phase of bone healing: when it starts and when it ends, in weeks.

    Sources give fuzzy edges ("starts at 2 to 3 weeks, lasts until 4 to 8
    weeks"), so both the start and the end are ranges. ``ends: null`` means the
    phase has no fixed end (remodelling "can last up to several years").
    """

    name: str
    order: Order
    starts: WeekRange
    ends: WeekRange | None
    description: SourcedText

    @field_validator("description")
    @classmethod
    def _windows_are_sourced(cls, description: SourcedText, info: ValidationInfo) -> SourcedText:
        _require_evidence(description.sources, info, "a healing phase's time window")
        return description

    @model_validator(mode="after")
    def _ends_after_start(self) -> HealingPhase:
        if self.ends is not None and self.ends.max < self.starts.min:
            raise PydanticCustomError(
                "inverted_range",
                "inverted range: the phase ends (by week {end}) before it starts "
                "(week {start}); expected ends >= starts",
                {"end": f"{self.ends.max:g}", "start": f"{self.starts.min:g}"},
            )
        return self


class FractureSite(Record):
    """Typical healing time for one fracture site, as a range in weeks.

    ``measure`` says what the range measures (time to union, to full weight
    bearing...), because sources measure different things; ``central_weeks`` is a
    reported mean, where a study gives one.
    """

    name: str
    #: ``null`` when no primary study, guideline or review gives a healing time for
    #: the site (it still has treatment pathways, data/pathways.yaml); the site
    #: chart then leaves it out and says so.
    healing_weeks: WeekRange | None = None
    central_weeks: Weeks | None = None
    qualifier: Literal["typical", "approximate", "study mean", "study range"] | None = None
    measure: str
    statement: SourcedText
    #: Whether the range was measured after surgery or without it (as the source
    #: says); the timeline explorer warns when the chosen reduction differs.
    measured_after: Literal["surgery", "no surgery"] | None = None

    @field_validator("statement")
    @classmethod
    def _range_is_sourced(cls, statement: SourcedText, info: ValidationInfo) -> SourcedText:
        _require_evidence(statement.sources, info, "a healing time")
        return statement

    @model_validator(mode="after")
    def _central_inside_range(self) -> FractureSite:
        if (self.healing_weeks is None) != (self.qualifier is None):
            raise PydanticCustomError(
                "half_value",
                "give healing_weeks and qualifier together, or neither (a site with no sourced healing time)",
            )
        if self.central_weeks is not None and self.healing_weeks is None:
            raise PydanticCustomError("half_value", "central_weeks needs healing_weeks (the range it lies in)")
        if (
            self.central_weeks is not None
            and self.healing_weeks is not None
            and not (self.healing_weeks.min <= self.central_weeks <= self.healing_weeks.max)
        ):
            raise PydanticCustomError(
                "inverted_range",
                "the central value ({c} weeks) must lie inside healing_weeks ({lo} to {hi})",
                {
                    "c": f"{self.central_weeks:g}",
                    "lo": f"{self.healing_weeks.min:g}",
                    "hi": f"{self.healing_weeks.max:g}",
                },
            )
        return self


class KeyFact(Record):
    """A single cited statement, optionally with the number it contains."""

    topic: str
    unit: str | None = None
    value: float | None = None
    statement: SourcedText

    @field_validator("unit")
    @classmethod
    def _known_unit(cls, unit: str | None) -> str | None:
        if unit is not None:
            _known(unit)
        return unit

    @field_validator("value")
    @classmethod
    def _possible_value(cls, value: float | None, info: ValidationInfo) -> float | None:
        if value is None or "unit" not in info.data:  # no value, or the unit itself is wrong
            return value
        unit = info.data["unit"]
        if unit is None:
            raise PydanticCustomError("half_value", "a value needs a 'unit' (weeks, % of ..., VAS points)")
        _check_unit(value, unit, "value")
        return value

    @field_validator("statement")
    @classmethod
    def _value_needs_evidence(cls, statement: SourcedText, info: ValidationInfo) -> SourcedText:
        if info.data.get("value") is not None:
            _require_evidence(statement.sources, info, "a key fact with a value")
        return statement


class ProcedureStep(Record):
    """One step of a vertebral augmentation procedure, for the procedure stepper.

    ``description`` is the sourced statement. The drawing fields (``instrument``,
    ``balloon``, ``height``, ``cavity``, ``cement``) only tell the schematic what to
    draw; the schematic is labelled illustrative (not to scale, not measured).

    Taught in: ``notebooks/04_vertebral_augmentation.ipynb``.
    """

    procedure: ProcedureId
    order: Order
    title: str
    description: SourcedText
    instrument: Literal["none", "needle", "drill", "cannula"] = "none"
    balloon: Literal["none", "deflated", "inflated"] = "none"
    height: Literal["collapsed", "restored"] = "collapsed"
    cavity: bool = False
    cement: Literal["none", "filling", "set"] = "none"


class TrialNumber(BaseModel):
    """One reported result of a trial, intervention vs control, with its sources."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    id: Annotated[str, Field(pattern=ID_PATTERN)]
    measure: str
    unit: str
    intervention: float
    control: float
    #: Denominators, where the value is a count ("157 of 214 treated levels").
    intervention_total: Count | None = None
    control_total: Count | None = None
    #: Decimal places the source prints (1 for "40.0"); ``None`` prints the value as
    #: stored. YAML keeps 40.0 only as the number 40, so the precision is data.
    decimals: Annotated[int, Field(ge=0, le=4)] | None = None
    note: str | None = None
    sources: Sources

    @field_validator("unit")
    @classmethod
    def _known_unit(cls, unit: str) -> str:
        _known(unit)
        return unit

    @field_validator("intervention", "control")
    @classmethod
    def _possible_in_unit(cls, value: float, info: ValidationInfo) -> float:
        if "unit" in info.data:
            _check_unit(value, info.data["unit"], f"{info.field_name} value")
        return value

    @field_validator("sources")
    @classmethod
    def _number_needs_evidence(cls, sources: list[str], info: ValidationInfo) -> list[str]:
        _require_evidence(sources, info, "a trial's number")
        return sources

    @model_validator(mode="after")
    def _within_totals(self) -> TrialNumber:
        for arm, value, total in (
            ("intervention", self.intervention, self.intervention_total),
            ("control", self.control, self.control_total),
        ):
            if total is not None and value > total:
                raise PydanticCustomError(
                    "more_than_total",
                    "the {arm} value ({value}) is larger than its total ({total}); expected a count "
                    "no larger than its denominator",
                    {"arm": arm, "value": f"{value:g}", "total": total},
                )
        return self


class Trial(Record):
    """A key vertebral augmentation trial: design, size, control, blinding, funding, result.

    Optional statements (``blinding``, ``funding``, ``primary_endpoint``) are ``null`` when no verified
    source gives them; the trial table then says "not in verified sources".

    Taught in: ``notebooks/05_evidence.ipynb``.
    """

    name: str
    year: Annotated[int, Field(ge=1900, le=2100)]
    intervention: str
    control_kind: Literal["sham", "usual care", "other procedure", "no control"]
    design: SourcedText
    participants: Count
    participants_counted: str
    control: SourcedText
    blinding: SourcedText | None = None
    funding: SourcedText | None = None
    #: The trial's primary endpoint as its report states it (``None``: not in verified sources).
    primary_endpoint: SourcedText | None = None
    main_result: SourcedText
    numbers: list[TrialNumber] = []
    note: str | None = None


class PainDifference(Record):
    """VERTOS IV: between-group difference in VAS pain at one follow-up time point.

    ``ci_low``/``ci_high`` are given only where a verified source reports the
    95% confidence interval; the plot draws an interval only for those.

    Taught in: ``notebooks/05_evidence.ipynb``.
    """

    label: str
    order: Order
    difference: VasChange
    ci_low: VasChange | None = None
    ci_high: VasChange | None = None
    statement: SourcedText

    @field_validator("statement")
    @classmethod
    def _sourced(cls, statement: SourcedText, info: ValidationInfo) -> SourcedText:
        _require_evidence(statement.sources, info, "a pain difference")
        return statement

    @property
    def interval(self) -> tuple[float, float] | None:
        """``(ci_low, ci_high)``, or ``None`` where no verified source reports the interval."""
        if self.ci_low is None or self.ci_high is None:
            return None
        return self.ci_low, self.ci_high

    @model_validator(mode="after")
    def _interval(self) -> PainDifference:
        if (self.ci_low is None) != (self.ci_high is None):
            raise PydanticCustomError("half_interval", "give both ci_low and ci_high, or neither")
        if (
            self.ci_low is not None
            and self.ci_high is not None
            and not (self.ci_low <= self.difference <= self.ci_high)
        ):
            raise PydanticCustomError(
                "inverted_range",
                "the difference ({d}) must lie inside its interval ({lo} to {hi})",
                {"d": f"{self.difference:g}", "lo": f"{self.ci_low:g}", "hi": f"{self.ci_high:g}"},
            )
        return self


class GuidelineCriterion(BaseModel):
    """One separately checkable condition of a guideline recommendation."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    id: Annotated[str, Field(pattern=ID_PATTERN)]
    label: str
    wording: SourcedText
    note: SourcedText | None = None
    draft_weeks: Weeks | None = None


class Guideline(Record):
    """A guideline or review's position on vertebroplasty and kyphoplasty.

    Taught in: ``notebooks/05_evidence.ipynb`` (guideline widget).
    """

    name: str
    body: str
    year: Annotated[int, Field(ge=1900, le=2100)]
    kind: str
    vertebroplasty: SourcedText
    kyphoplasty: SourcedText
    basis: SourcedText
    strength: SourcedText | None = None
    criteria: list[GuidelineCriterion] = []


class ConfidenceInterval(BaseModel):
    """A reported confidence interval; ``level`` (percent) only where the source states it."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    low: float
    high: float
    level: Percent | None = None

    @model_validator(mode="after")
    def _ordered(self) -> ConfidenceInterval:
        if self.low > self.high:
            raise PydanticCustomError(
                "inverted_range",
                "inverted interval: low ({low}) is greater than high ({high}); expected low <= high",
                {"low": f"{self.low:g}", "high": f"{self.high:g}"},
            )
        return self


class HealingFactor(Record):
    """One reported effect of a factor that slows fracture healing (one study, one outcome).

    Studies measure different things (odds of nonunion after surgery, risk of
    delayed union...), in different people, so ``measure``, ``outcome`` and
    ``population`` travel with every number; ``caveat`` says why a result may
    not apply to older, osteoporotic patients.

    Taught in: ``notebooks/03_healing_timelines.ipynb`` (factors table).
    """

    factor: str
    measure: str
    value: Ratio
    #: Decimal places the source gives, where it writes trailing zeros (3.50).
    decimals: Annotated[int, Field(ge=0, le=4)] | None = None
    ci: ConfidenceInterval | None = None
    outcome: str
    population: str
    statement: SourcedText
    caveat: SourcedText | None = None

    @field_validator("statement")
    @classmethod
    def _sourced(cls, statement: SourcedText, info: ValidationInfo) -> SourcedText:
        _require_evidence(statement.sources, info, "a healing factor's estimate")
        return statement

    @model_validator(mode="after")
    def _value_in_interval(self) -> HealingFactor:
        if self.ci is not None and self.ci.low <= 0:
            raise PydanticCustomError(
                "out_of_bounds",
                "{low} is not a possible lower limit for a ratio: expected a value greater than 0",
                {"low": f"{self.ci.low:g}"},
            )
        if self.ci is not None and not (self.ci.low <= self.value <= self.ci.high):
            raise PydanticCustomError(
                "inverted_range",
                "the value ({v}) must lie inside its interval ({lo} to {hi})",
                {"v": f"{self.value:g}", "lo": f"{self.ci.low:g}", "hi": f"{self.ci.high:g}"},
            )
        return self


class TimeWindow(BaseModel):
    """When a step happens, counted from the injury, in days or weeks (``min <= max``, >= 0).

    Hip-fracture care is measured in days ("mobilise the day after surgery"),
    cast care in weeks; both are drawn on one axis in weeks.
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    min: float
    max: float
    unit: Literal["days", "weeks"] = "weeks"

    @model_validator(mode="after")
    def _ordered(self) -> TimeWindow:
        _check_time_range(self.min, self.max, self.unit)
        return self

    @property
    def in_weeks(self) -> tuple[float, float]:
        """``(min, max)`` in weeks, for drawing on the course's week axis."""
        factor = 1 / 7 if self.unit == "days" else 1.0
        return self.min * factor, self.max * factor

    def describe(self) -> str:
        """``day 1``, ``days 0-1``, ``week 6`` or ``weeks 6-12``."""
        unit = self.unit.rstrip("s")
        if self.min == self.max:
            return f"{unit} {self.min:g}"
        return f"{self.unit} {self.min:g}-{self.max:g}"


class PathwayStep(BaseModel):
    """One step of a treatment pathway: what happens (sourced) and when (sourced or illustrative).

    ``starts`` is when the step happens or begins; a span (immobilisation) also has
    ``ends``. ``minimum``: the source gives the end as a minimum ("not before").
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    id: Annotated[str, Field(pattern=ID_PATTERN)]
    kind: Literal[
        "surgery",
        "reduction",
        "procedure",
        "immobilisation",
        "check_xray",
        "mobilisation",
        "weight_bearing",
        "physiotherapy",
        "review",
    ]
    label: str
    starts: TimeWindow
    ends: TimeWindow | None = None
    minimum: bool = False
    what: SourcedText
    timing: SourcedText

    @model_validator(mode="after")
    def _span(self) -> PathwayStep:
        if self.kind == "immobilisation" and self.ends is None:
            raise PydanticCustomError(
                "missing_end", "an immobilisation step needs 'ends': when the cast, splint or sling comes off"
            )
        if self.ends is not None and self.ends.in_weeks[1] < self.starts.in_weeks[0]:
            raise PydanticCustomError(
                "inverted_range",
                "inverted range: the step ends ({end}) before it starts ({start}); expected ends >= starts",
                {"end": self.ends.describe(), "start": self.starts.describe()},
            )
        return self

    @field_validator("timing")
    @classmethod
    def _timing_needs_evidence(cls, timing: SourcedText, info: ValidationInfo) -> SourcedText:
        _require_evidence(timing.sources, info, "a step's timing")
        return timing


class PathwayHealing(BaseModel):
    """How long the bone takes to heal after this treatment, where a source gives it."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    weeks: WeekRange
    central_weeks: Weeks | None = None
    qualifier: Literal["typical", "approximate", "study mean", "study range"]
    measure: str
    statement: SourcedText

    @field_validator("statement")
    @classmethod
    def _sourced(cls, statement: SourcedText, info: ValidationInfo) -> SourcedText:
        _require_evidence(statement.sources, info, "a healing time")
        return statement


class Pathway(Record):
    """One treatment that exists for one fracture site, step by step (``data/pathways.yaml``).

    The timeline explorer offers, for each site, only the pathways listed here:
    it cannot draw a treatment the site does not have (no hip fracture in a cast).
    ``applies`` says, with sources, which fractures at this site get this
    treatment; ``procedure`` links to the procedure compared in notebook 02/04.

    Taught in: ``notebooks/03_healing_timelines.ipynb`` (timeline explorer).
    """

    site: FractureSiteId
    name: str
    operative: bool
    procedure: ProcedureId | None = None
    applies: SourcedText
    healing: PathwayHealing | None = None
    steps: Annotated[list[PathwayStep], Field(min_length=1)]

    @model_validator(mode="after")
    def _unique_steps(self) -> Pathway:
        ids = [step.id for step in self.steps]
        duplicate = next((i for i in ids if ids.count(i) > 1), None)
        if duplicate is not None:
            raise PydanticCustomError(
                "duplicate_id",
                "duplicate step id '{id}': expected every step id to be unique",
                {"id": duplicate},
            )
        return self


class QuizOption(BaseModel):
    """One option of a question: its text, whether it is right, and why (sourced)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    text: str
    correct: bool = False
    #: Why this option is right, or why it is wrong, with its own sources (required:
    #: a student who picks an option reads why, not only the question's explanation).
    feedback: SourcedText


class ComputedAnswer(BaseModel):
    """A numeric answer computed from a trial's reported numbers (so it cannot drift from them).

    ``measure``: ``difference`` (intervention minus control, as reported),
    ``risk_difference`` (percentage points, from counts and their totals), or
    ``nnt`` (number needed to treat: 1 / the absolute risk difference, rounded up).
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    trial: str
    number: str
    measure: Literal["difference", "risk_difference", "nnt"]
    #: The data file holding the trial (a lesson may keep its own trials apart from notebook 05's).
    table: str = "trials"


class NumericAnswer(BaseModel):
    """The expected number for a numeric question, and how close an answer must be."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    value: float | None = None
    computed: ComputedAnswer | None = None
    tolerance: Annotated[float, _within(0, None, "tolerance")]
    unit: str
    #: How the number is worked out, step by step, with the sources of the numbers used.
    working: SourcedText

    @model_validator(mode="after")
    def _one_way(self) -> NumericAnswer:
        if (self.value is None) == (self.computed is None):
            raise PydanticCustomError(
                "numeric_answer", "give the expected number either as 'value' or as 'computed', not both"
            )
        return self


class QuizQuestion(Record):
    """One question of the self-check quiz (``data/quiz.yaml``, or a lesson's own quiz file).

    ``kind``: ``single`` (one right option), ``multiple`` (select every right
    option) or ``numeric`` (type a number, accepted within a tolerance). Every
    option carries its own feedback: why it is right or why it is wrong.
    ``explanation`` is the sourced statement shown after any answer; ``skill``
    says what the question asks of a student.

    Taught in: ``notebooks/10_self_check.ipynb`` (and the patient cases).
    """

    #: The lesson (notebook file name without ``.ipynb``) whose objectives the question checks;
    #: the quiz checks it against the lesson registry.
    notebook: Annotated[str, Field(pattern=r"^\d\d_[a-z0-9_]+$")]
    kind: Literal["single", "multiple", "numeric"] = "single"
    skill: Literal["recall", "understanding", "application", "analysis"] = "recall"
    question: str
    options: list[QuizOption] = []
    answer: NumericAnswer | None = None
    explanation: SourcedText

    @model_validator(mode="after")
    def _consistent(self) -> QuizQuestion:
        texts = [option.text for option in self.options]
        right = sum(option.correct for option in self.options)
        if self.kind == "numeric":
            if self.answer is None or self.options:
                raise PydanticCustomError(
                    "numeric_question", "a numeric question has an 'answer' (value, tolerance, unit) and no options"
                )
            return self
        if self.answer is not None:
            raise PydanticCustomError("choice_question", "a choice question has options, not an 'answer'")
        if len(texts) < 2:
            raise PydanticCustomError("too_few_options", "a choice question needs at least two options")
        if len(set(texts)) != len(texts):
            raise PydanticCustomError("duplicate_option", "the options must all differ")
        if self.kind == "single" and right != 1:
            raise PydanticCustomError(
                "one_right_option",
                "a single-choice question needs exactly one option with 'correct: true' (found {n})",
                {"n": right},
            )
        if self.kind == "multiple" and not 1 <= right < len(texts):
            raise PydanticCustomError(
                "some_right_options",
                "a multiple-select question needs at least one right option and at least one wrong one",
            )
        return self

    @property
    def right_options(self) -> list[str]:
        """The texts of the right options."""
        return [option.text for option in self.options if option.correct]

    def option(self, text: str) -> QuizOption:
        """One option by its text (a KeyError names the options)."""
        for option in self.options:
            if option.text == text:
                return option
        raise KeyError(
            f"'{text}' is not an option of question {self.id}: expected one of "
            f"{'; '.join(o.text for o in self.options)}"
        )


class GlossaryTerm(Record):
    """One glossary entry: a term or abbreviation a student meets, defined in plain words.

    ``term`` is what the notebooks write ("ORIF", "Nonunion"); ``expansion`` spells an
    abbreviation out; ``plain`` is a definition a nursing student can read (the
    course's own words), backed by ``sources``. ``see_also`` names related entries
    (glossary ids; ``tests/test_glossary.py`` checks that they exist).

    Taught in: ``notebooks/00_start_here.ipynb`` (the glossary search).
    """

    term: Annotated[str, Field(min_length=1)]
    expansion: str | None = None
    plain: Annotated[str, Field(min_length=1)]
    sources: Sources
    see_also: list[Annotated[str, Field(pattern=ID_PATTERN)]] = []

    @field_validator("sources")
    @classmethod
    def _numbers_need_evidence(cls, sources: list[str], info: ValidationInfo) -> list[str]:
        text = f"{info.data.get('expansion') or ''} {info.data.get('plain') or ''}"
        if _NUMBER_IN_TEXT.search(text):
            _require_evidence(sources, info, "a definition with a number")
        return sources


class RecordRef(BaseModel):
    """A record of another data file (``table`` and ``id``), checked against the files loaded before."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    table: str
    id: str

    @field_validator("id")
    @classmethod
    def _exists(cls, value: str, info: ValidationInfo) -> str:
        context = info.context or {}
        table = info.data.get("table")
        if not context or table is None:
            return value
        loaded = [name for name in context if ":" not in name]
        if table not in loaded:
            raise PydanticCustomError(
                "unknown_table",
                "unknown data table '{table}': expected one of {tables}",
                {"table": table, "tables": ", ".join(loaded)},
            )
        if value not in context[table]:
            noun = TABLE_NOUNS.get(table, f"{table} id")
            raise PydanticCustomError(
                "unknown_reference",
                "unknown {noun} '{value}': expected one of the ids in data/{table}.yaml",
                {"noun": noun, "value": value, "table": table},
            )
        return value


class SeedLesson(BaseModel):
    """A lesson that teaches a seed topic, and what in its notebook shows it.

    ``shows``: a record id its code prints, or a key phrase of its prose or stored
    output (``tests/test_seed_topics.py`` looks for it in the notebook).
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    lesson: Annotated[str, Field(pattern=r"^\d\d_[a-z0-9_]+$")]
    shows: Annotated[str, Field(min_length=3)]


#: A seed quote is a few words, not a copy of the article.
SEED_QUOTE_WORDS = 15


class SeedTopic(Record):
    """One topic of the seed article, the lessons that teach it and the records that carry it.

    ``seed`` quotes a few words of the article (with its source key); ``carried_by``
    names the data records (a key fact, a procedure, a procedure step...) whose
    statements teach it.

    Taught in: every lesson; checked by ``tests/test_seed_topics.py``.
    """

    topic: str
    seed: SourcedText
    lessons: Annotated[list[SeedLesson], Field(min_length=1)]
    carried_by: Annotated[list[RecordRef], Field(min_length=1)]

    @field_validator("seed")
    @classmethod
    def _a_few_words(cls, seed: SourcedText) -> SourcedText:
        words = len(seed.text.split())
        if words > SEED_QUOTE_WORDS:
            raise PydanticCustomError(
                "quote_too_long",
                "the seed quote has {n} words: quote a few words of the article (at most {limit})",
                {"n": words, "limit": SEED_QUOTE_WORDS},
            )
        return seed


#: Every data file, in load order: ``data/<name>.yaml`` holds records of the model.
#: A file may refer only to files listed above it.
SCHEMAS: dict[str, type[Record]] = {
    "sources": Source,
    "aspects": Aspect,
    "procedures": Procedure,
    "comparisons": Comparison,
    "healing_phases": HealingPhase,
    "fracture_sites": FractureSite,
    "pathways": Pathway,
    "key_facts": KeyFact,
    "quiz": QuizQuestion,
    "healing_factors": HealingFactor,
    "procedure_steps": ProcedureStep,
    "trials": Trial,
    "vertos4_pain": PainDifference,
    "guidelines": Guideline,
    "glossary": GlossaryTerm,
    "seed_topics": SeedTopic,
}
