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

from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
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
    "Immobilisation",
    "ConfidenceInterval",
    "HealingFactor",
    "TimelineStep",
    "KeyFact",
    "QuizQuestion",
    "ProcedureStep",
    "Trial",
    "TrialNumber",
    "PainDifference",
    "Guideline",
    "GuidelineCriterion",
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
    "key_facts": "key fact id",
    "quiz": "quiz question id",
    "healing_factors": "healing factor id",
    "timeline_steps": "timeline step id",
    "procedure_steps": "procedure step id",
    "trials": "trial id",
    "vertos4_pain": "VERTOS IV time point",
    "guidelines": "guideline id",
}

ID_PATTERN = r"^[a-z0-9_]+$"


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
    """One entry of the bibliography (``data/sources.yaml``)."""

    authors: str | None = None
    title: str | None = None
    venue: str
    year: int | None = None
    details: str | None = None
    doi: str | None = None
    pmid: int | None = None
    pmcid: str | None = None
    url: str | None = None
    tier: Literal["P", "G", "R", "C", "L"]
    verified: bool
    secondary: bool
    note: str | None = None

    @model_validator(mode="after")
    def _locatable(self) -> "Source":
        if not (self.doi or self.pmid or self.pmcid or self.url or self.details):
            raise PydanticCustomError(
                "no_locator",
                "a source needs at least one of doi, pmid, pmcid, url or details "
                "(volume, pages, section) so readers can find it",
            )
        return self


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
    def _cited_or_illustrative(self) -> "SourcedText":
        if self.illustrative:
            if not self.reason:
                raise PydanticCustomError(
                    "illustrative_reason",
                    "an illustrative value needs a 'reason' saying why it is not sourced",
                )
        elif not self.sources:
            raise PydanticCustomError(
                "unsourced",
                "a statement needs at least one source key (or illustrative: true with a reason)",
            )
        return self


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


class WeekRange(BaseModel):
    """A time window in weeks after the fracture, ``min <= max``, both >= 0."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    min: float
    max: float

    @model_validator(mode="after")
    def _ordered(self) -> "WeekRange":
        if self.min < 0 or self.max < 0:
            raise PydanticCustomError(
                "negative_range",
                "negative range ({min} to {max} weeks): weeks after a fracture cannot be negative",
                {"min": f"{self.min:g}", "max": f"{self.max:g}"},
            )
        if self.min > self.max:
            raise PydanticCustomError(
                "inverted_range",
                "inverted range: min ({min}) is greater than max ({max}); expected min <= max",
                {"min": f"{self.min:g}", "max": f"{self.max:g}"},
            )
        return self


class HealingPhase(Record):
    """One phase of bone healing: when it starts and when it ends, in weeks.

    Sources give fuzzy edges ("starts at 2 to 3 weeks, lasts until 4 to 8
    weeks"), so both the start and the end are ranges. ``ends: null`` means the
    phase has no fixed end (remodelling "can last up to several years").
    """

    name: str
    order: int
    starts: WeekRange
    ends: WeekRange | None
    description: SourcedText

    @model_validator(mode="after")
    def _ends_after_start(self) -> "HealingPhase":
        if self.ends is not None and self.ends.max < self.starts.min:
            raise PydanticCustomError(
                "inverted_range",
                "inverted range: the phase ends (by week {end}) before it starts "
                "(week {start}); expected ends >= starts",
                {"end": f"{self.ends.max:g}", "start": f"{self.starts.min:g}"},
            )
        return self


class Immobilisation(BaseModel):
    """How long a site is typically held in a cast, splint, sling or brace."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    weeks: WeekRange
    statement: SourcedText


class FractureSite(Record):
    """Typical healing time for one fracture site, as a range in weeks.

    ``measure`` says what the range measures (time to union, to full weight
    bearing...), because sources measure different things; ``central_weeks`` is a
    reported mean, where a study gives one.
    """

    name: str
    healing_weeks: WeekRange
    central_weeks: float | None = None
    qualifier: Literal["typical", "approximate", "study mean", "study range"]
    measure: str
    statement: SourcedText
    immobilisation: Immobilisation | None = None
    #: Whether the range was measured after surgery or without it (as the source
    #: says); the timeline explorer warns when the chosen reduction differs.
    measured_after: Literal["surgery", "no surgery"] | None = None


class KeyFact(Record):
    """A single cited statement, optionally with the number it contains."""

    topic: str
    statement: SourcedText
    value: float | None = None
    unit: str | None = None


class ProcedureStep(Record):
    """One step of a vertebral augmentation procedure, for the procedure stepper.

    ``description`` is the sourced statement. The drawing fields (``instrument``,
    ``balloon``, ``height``, ``cavity``, ``cement``) only tell the schematic what to
    draw; the schematic is labelled illustrative (not to scale, not measured).

    Taught in: ``notebooks/04_vertebral_augmentation.ipynb``.
    """

    procedure: ProcedureId
    order: int
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
    intervention: float
    control: float
    unit: str
    #: Denominators, where the value is a count ("157 of 214 treated levels").
    intervention_total: int | None = None
    control_total: int | None = None
    #: Decimal places the source prints (1 for "40.0"); ``None`` prints the value as
    #: stored. YAML keeps 40.0 only as the number 40, so the precision is data.
    decimals: Annotated[int, Field(ge=0, le=4)] | None = None
    note: str | None = None
    sources: Sources


class Trial(Record):
    """A key vertebral augmentation trial: design, size, control, blinding, funding, result.

    Optional statements (``blinding``, ``funding``) are ``null`` when no verified
    source gives them; the trial table then says "not in verified sources".

    Taught in: ``notebooks/05_evidence.ipynb``.
    """

    name: str
    year: int
    intervention: str
    control_kind: Literal["sham", "usual care", "other procedure", "no control"]
    design: SourcedText
    participants: int
    participants_counted: str
    control: SourcedText
    blinding: SourcedText | None = None
    funding: SourcedText | None = None
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
    order: int
    difference: float
    ci_low: float | None = None
    ci_high: float | None = None
    statement: SourcedText

    @model_validator(mode="after")
    def _interval(self) -> "PainDifference":
        if (self.ci_low is None) != (self.ci_high is None):
            raise PydanticCustomError(
                "half_interval", "give both ci_low and ci_high, or neither"
            )
        if self.ci_low is not None and not (self.ci_low <= self.difference <= self.ci_high):
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
    draft_weeks: float | None = None


class Guideline(Record):
    """A guideline or review's position on vertebroplasty and kyphoplasty.

    Taught in: ``notebooks/05_evidence.ipynb`` (guideline widget).
    """

    name: str
    body: str
    year: int
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
    level: float | None = None

    @model_validator(mode="after")
    def _ordered(self) -> "ConfidenceInterval":
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
    value: float
    #: Decimal places the source gives, where it writes trailing zeros (3.50).
    decimals: Annotated[int, Field(ge=0, le=4)] | None = None
    ci: ConfidenceInterval | None = None
    outcome: str
    population: str
    statement: SourcedText
    caveat: SourcedText | None = None

    @model_validator(mode="after")
    def _value_in_interval(self) -> "HealingFactor":
        if self.ci is not None and not (self.ci.low <= self.value <= self.ci.high):
            raise PydanticCustomError(
                "inverted_range",
                "the value ({v}) must lie inside its interval ({lo} to {hi})",
                {"v": f"{self.value:g}", "lo": f"{self.ci.low:g}", "hi": f"{self.ci.high:g}"},
            )
        return self


class TimelineStep(Record):
    """A step after reduction (immobilisation, check x-ray, physiotherapy) for the timeline explorer.

    ``what`` is the sourced statement that the step happens; ``timing`` says when,
    and is usually ``illustrative`` (no source gives the week). ``site`` and
    ``reduction`` narrow where a step applies (``null``: every site / both
    reduction types); the most specific step wins. ``anchor`` says whether
    ``weeks`` count from the injury or from the end of immobilisation.

    Taught in: ``notebooks/03_healing_timelines.ipynb`` (timeline explorer).
    """

    kind: Literal["immobilisation", "check_xray", "physiotherapy"]
    label: str
    site: FractureSiteId | None = None
    reduction: ProcedureId | None = None
    anchor: Literal["injury", "immobilisation_end"] = "injury"
    weeks: WeekRange
    #: True when the source gives the weeks as a minimum ("not before 9-12 weeks").
    minimum: bool = False
    what: SourcedText
    timing: SourcedText


def _one_of_the_options(value: str, info: ValidationInfo) -> str:
    """A quiz answer must be one of the question's options, word for word."""
    options = info.data.get("options") or []
    if value not in options:
        raise PydanticCustomError(
            "answer_not_an_option",
            "the answer '{value}' is not one of the options; expected one of them, word for word",
            {"value": value},
        )
    return value


class QuizQuestion(Record):
    """One multiple-choice question of the self-check quiz (``data/quiz.yaml``).

    ``notebook`` names the lesson whose objectives the question checks;
    ``explanation`` is the sourced statement shown after an answer.

    Taught in: ``notebooks/06_self_check.ipynb``.
    """

    notebook: Annotated[str, Field(pattern=r"^0[0-6]_[a-z0-9_]+$")]
    question: str
    options: Annotated[list[str], Field(min_length=2)]
    answer: Annotated[str, AfterValidator(_one_of_the_options)]
    explanation: SourcedText

    @model_validator(mode="after")
    def _distinct_options(self) -> "QuizQuestion":
        if len(set(self.options)) != len(self.options):
            raise PydanticCustomError("duplicate_option", "the options must all differ")
        return self


#: Every data file, in load order: ``data/<name>.yaml`` holds records of the model.
#: A file may refer only to files listed above it.
SCHEMAS: dict[str, type[Record]] = {
    "sources": Source,
    "aspects": Aspect,
    "procedures": Procedure,
    "comparisons": Comparison,
    "healing_phases": HealingPhase,
    "fracture_sites": FractureSite,
    "key_facts": KeyFact,
    "quiz": QuizQuestion,
    "healing_factors": HealingFactor,
    "timeline_steps": TimelineStep,
    "procedure_steps": ProcedureStep,
    "trials": Trial,
    "vertos4_pain": PainDifference,
    "guidelines": Guideline,
}
