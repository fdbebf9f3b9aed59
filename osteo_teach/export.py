"""Export the quiz and the patient cases' questions for learning platforms: GIFT (Moodle) and QTI 1.2 (Canvas).

``python -m osteo_teach export-quiz`` (or ``make export-quiz``) writes, from ``data/``:

- ``build/export/osteo-teach-quiz.gift``: every question in Moodle's GIFT text format
  (one ``$CATEGORY`` per lesson, then the patient cases), each option with its own
  feedback (``#``), the question's explanation as general feedback (``####``),
  multiple-select questions with weights (``~%50%``) and numeric questions with
  their tolerance (``{#value:tolerance}``);
- ``build/export/osteo-teach-qti.zip``: an IMS QTI 1.2 content package (an
  ``imsmanifest.xml`` and two assessments: the self-check quiz and the patient
  cases), in the flavour Canvas imports (``question_type`` metadata,
  ``response_lid`` choices, per-option ``itemfeedback``, numeric answers as a
  ``vargte``/``varlte`` range).

Every feedback ends with its sources (short references), so a student on the
platform can trace each claim. :func:`parse_gift` and :func:`parse_qti` read the
files back (the tests check that every question, option, right answer, feedback
and tolerance survives the round trip).

Taught in: ``README.md`` (how an instructor imports them); not a lesson.
"""

from __future__ import annotations

import html
import io
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .data import CourseData, load
from .lessons import all_lessons
from .records import QuizQuestion, Source, SourcedText

__all__ = [
    "ExportOption",
    "ExportQuestion",
    "export_questions",
    "to_gift",
    "parse_gift",
    "to_qti_zip",
    "parse_qti",
    "write_exports",
    "GIFT_NAME",
    "QTI_NAME",
]

GIFT_NAME = "osteo-teach-quiz.gift"
QTI_NAME = "osteo-teach-qti.zip"
#: The category (GIFT) and assessment (QTI) of the patient cases' questions.
CASES_CATEGORY = "09_patient_cases (decision points)"


@dataclass(frozen=True)
class ExportOption:
    text: str
    correct: bool
    feedback: str


@dataclass(frozen=True)
class ExportQuestion:
    """One question as the platforms receive it (plain text; feedback with its sources)."""

    id: str
    category: str
    kind: str  # single | multiple | numeric
    text: str
    general_feedback: str
    options: tuple[ExportOption, ...] = ()
    #: Numeric questions: the expected value, the tolerance either side, the unit,
    #: and the feedback for an answer inside / outside the tolerance.
    answer: float | None = None
    tolerance: float | None = None
    unit: str | None = None
    right_feedback: str = ""
    wrong_feedback: str = ""
    #: Which assessment of the QTI package holds it.
    assessment: str = field(default="quiz")


def _short_reference(source: Source) -> str:
    """``Authors (or publisher): title (or venue) (year)``: enough to find the source again."""
    who = source.authors or source.publisher
    what = source.title or source.venue
    year = f" ({source.year})" if source.year else ""
    return " ".join(f"{who.rstrip('.')}: {what.rstrip('.')}{year}".split())


def _with_sources(statement: SourcedText, course: CourseData) -> str:
    if statement.illustrative:
        return f"{statement.text} (Illustrative: {statement.reason})"
    refs = "; ".join(_short_reference(course.source(key)) for key in statement.sources)
    return f"{' '.join(statement.text.split())} Sources: {refs}."


def _number(value: float) -> str:
    """A number as the platforms read it: at most 4 decimals, no trailing zeros."""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _from_quiz(question: QuizQuestion, course: CourseData, category: str, assessment: str) -> ExportQuestion:
    from .quiz import expected_number

    general = _with_sources(question.explanation, course)
    text = " ".join(question.question.split())
    if question.kind == "numeric":
        answer = question.answer
        assert answer is not None  # the model requires it for a numeric question
        expected = round(expected_number(question, course), 4)
        working = _with_sources(answer.working, course)
        shown = f"{_number(expected)} {answer.unit} (answers within {_number(answer.tolerance)} are accepted)"
        return ExportQuestion(
            id=question.id,
            category=category,
            kind="numeric",
            text=f"{text} (Answer in {answer.unit}.)",
            general_feedback=general,
            answer=expected,
            tolerance=answer.tolerance,
            unit=answer.unit,
            right_feedback=f"Correct: {shown}. {working}",
            wrong_feedback=f"Not quite. The answer is {shown}. {working}",
            assessment=assessment,
        )
    options = tuple(
        ExportOption(" ".join(o.text.split()), o.correct, _with_sources(o.feedback, course)) for o in question.options
    )
    return ExportQuestion(question.id, category, question.kind, text, general, options, assessment=assessment)


def export_questions(course: CourseData | None = None) -> list[ExportQuestion]:
    """Every quiz question (in lesson order), then every decision point of the patient cases."""
    from .cases import case_questions

    course = course or load()
    order = {lesson.id: index for index, lesson in enumerate(all_lessons())}
    quiz = sorted(course.records(QuizQuestion), key=lambda q: order.get(q.notebook, len(order)))
    exported = [_from_quiz(q, course, q.notebook, "quiz") for q in quiz]
    exported += [_from_quiz(q, course, CASES_CATEGORY, "cases") for q in case_questions(course)]
    return exported


# --- GIFT (Moodle) ------------------------------------------------------------------
# Syntax as Moodle's importer reads it (question/format/gift/format.php): "::name::",
# "[html]" text format, "{" answers "}", "=" right, "~" wrong, "~%50%" weighted, "#"
# feedback, "####" general feedback, "{#value:tolerance}" numeric; the characters
# ~ = # { } : and backslash are escaped with a backslash, newlines written as \n.

_GIFT_SPECIAL = "\\~=#{}:"


def _gift_escape(text: str) -> str:
    escaped = html.escape(text, quote=False)
    for char in _GIFT_SPECIAL:
        escaped = escaped.replace(char, "\\" + char)
    return escaped.replace("\n", "\\n")


def _gift_unescape(text: str) -> str:
    out = re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), text)
    return html.unescape(out)


def _weight(value: float) -> str:
    return f"{value:.5f}".rstrip("0").rstrip(".")


def to_gift(questions: Sequence[ExportQuestion]) -> str:
    """The questions as one GIFT file (a ``$CATEGORY`` line before each lesson's questions)."""
    lines = [
        "// osteo-teach: self-check quiz and patient-case questions, exported from data/ by",
        "// `python -m osteo_teach export-quiz`. For education only, not medical advice.",
        "// The patients in the case questions are fictional.",
        "",
    ]
    category = None
    for q in questions:
        if q.category != category:
            category = q.category
            lines += [f"$CATEGORY: osteo-teach/{category}", ""]
        head = f"::{_gift_escape(q.id)}::[html]{_gift_escape(q.text)}"
        body: list[str] = []
        if q.kind == "numeric":
            assert q.answer is not None and q.tolerance is not None
            body.append(f"\t=%100%{_number(q.answer)}:{_number(q.tolerance)}#{_gift_escape(q.right_feedback)}")
            body.append(f"\t~#{_gift_escape(q.wrong_feedback)}")
            opening = "{#"
        else:
            right = sum(o.correct for o in q.options)
            wrong = len(q.options) - right
            for option in q.options:
                if q.kind == "single":
                    mark = "=" if option.correct else "~"
                elif option.correct:
                    mark = f"~%{_weight(100 / right)}%"
                else:
                    mark = f"~%-{_weight(100 / wrong)}%"
                body.append(f"\t{mark}{_gift_escape(option.text)}#{_gift_escape(option.feedback)}")
            opening = "{"
        body.append(f"\t####{_gift_escape(q.general_feedback)}")
        lines += [head + opening, *body, "}", ""]
    return "\n".join(lines)


def _split_unescaped(text: str, separators: str) -> list[tuple[str, str]]:
    """Split at unescaped separator characters; each piece keeps the separator that opened it."""
    pieces: list[tuple[str, str]] = []
    current, opener, index = [], "", 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            current.append(text[index : index + 2])
            index += 2
            continue
        if char in separators:
            pieces.append((opener, "".join(current)))
            current, opener = [], char
        else:
            current.append(char)
        index += 1
    pieces.append((opener, "".join(current)))
    return pieces


def _find_unescaped(text: str, target: str, start: int = 0) -> int:
    index = start
    while index < len(text):
        if text[index] == "\\":
            index += 2
            continue
        if text.startswith(target, index):
            return index
        index += 1
    return -1


def parse_gift(text: str) -> list[ExportQuestion]:
    """Read back what :func:`to_gift` writes (the subset of GIFT this course uses)."""
    questions: list[ExportQuestion] = []
    category = ""
    blocks = re.split(r"\n\s*\n", text)
    for block in blocks:
        lines = [line for line in block.splitlines() if line.strip() and not line.strip().startswith("//")]
        if not lines:
            continue
        joined = "\n".join(lines).strip()
        if joined.startswith("$CATEGORY:"):
            category = joined[len("$CATEGORY:") :].strip().removeprefix("osteo-teach/")
            continue
        if not joined.startswith("::"):
            raise ValueError(f"not a GIFT question: {joined[:60]!r}")
        end_name = _find_unescaped(joined, "::", 2)
        name = _gift_unescape(joined[2:end_name])
        rest = joined[end_name + 2 :]
        brace = _find_unescaped(rest, "{")
        closing = len(rest) - 1
        if brace < 0 or rest[closing] != "}":
            raise ValueError(f"question {name}: no answer block")
        stem = rest[:brace].removeprefix("[html]")
        answers = rest[brace + 1 : closing].strip()
        general_at = answers.rfind("####")
        general = _gift_unescape(answers[general_at + 4 :].strip())
        answers = answers[:general_at].strip()
        if answers.startswith("#"):
            right_part, _, wrong_part = answers[1:].partition("\t~#")
            if not wrong_part:
                right_part, _, wrong_part = answers[1:].partition("~#")
            weighted = right_part.strip().removeprefix("=").removeprefix("%100%")
            value_part, right_feedback = [p for _, p in _split_unescaped(weighted, "#")][:2]
            value, tolerance = value_part.split(":")
            questions.append(
                ExportQuestion(
                    id=name,
                    category=category,
                    kind="numeric",
                    text=_gift_unescape(stem),
                    general_feedback=general,
                    answer=float(value),
                    tolerance=float(tolerance),
                    right_feedback=_gift_unescape(right_feedback.strip()),
                    wrong_feedback=_gift_unescape(wrong_part.strip()),
                )
            )
            continue
        options = []
        kind = "single"
        for opener, piece in _split_unescaped(answers, "~="):
            if not opener:
                continue
            piece = piece.strip()
            weight = None
            match = re.match(r"^%(-?[0-9.]+)%", piece)
            if match:
                weight = float(match.group(1))
                piece = piece[match.end() :]
                kind = "multiple"
            option_text, feedback = [p for _, p in _split_unescaped(piece, "#")][:2]
            correct = opener == "=" or (weight is not None and weight > 0)
            options.append(ExportOption(_gift_unescape(option_text.strip()), correct, _gift_unescape(feedback.strip())))
        questions.append(ExportQuestion(name, category, kind, _gift_unescape(stem), general, tuple(options)))
    return questions


# --- QTI 1.2 (Canvas) -----------------------------------------------------------------
# Structure as Canvas imports QTI 1.2 (the layout text2qti writes and Canvas accepts):
# questestinterop > assessment > section > item; itemmetadata with question_type;
# presentation > response_lid (rcardinality Single / Multiple) > render_choice >
# response_label; resprocessing with a SCORE decvar, one respcondition per option
# showing its itemfeedback, and the right answer setting SCORE to 100; numeric
# answers as response_str/render_fib (Decimal) scored with vargte/varlte.

_QTI_NS = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
_MANIFEST_NS = "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"
_QTI_TYPES = {
    "single": "multiple_choice_question",
    "multiple": "multiple_answers_question",
    "numeric": "numerical_question",
}
#: The two assessments of the package: identifier -> title.
ASSESSMENTS = {
    "quiz": "osteo-teach self-check quiz",
    "cases": "osteo-teach patient cases (fictional patients)",
}


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def _material(parent: ET.Element, text: str) -> None:
    material = _sub(parent, "material")
    _sub(material, "mattext", html.escape(text, quote=False), texttype="text/html")


def _feedback(item: ET.Element, ident: str, text: str) -> None:
    feedback = _sub(item, "itemfeedback", ident=ident)
    flow = _sub(feedback, "flow_mat")
    _material(flow, text)


def _condition(parent: ET.Element, continue_: str) -> tuple[ET.Element, ET.Element]:
    condition = _sub(parent, "respcondition", **{"continue": continue_})
    return condition, _sub(condition, "conditionvar")


def _qti_item(section: ET.Element, q: ExportQuestion) -> None:
    ident = f"q_{q.id}"
    item = _sub(section, "item", ident=ident, title=f"{q.category}: {q.id}")
    meta = _sub(_sub(item, "itemmetadata"), "qtimetadata")
    option_ids = [f"{ident}_{n}" for n in range(1, len(q.options) + 1)]
    fields = (
        ("question_type", _QTI_TYPES[q.kind]),
        ("points_possible", "1"),
        ("original_answer_ids", ",".join(option_ids)),
        ("osteo_teach_category", q.category),
    )
    for label, entry in fields:
        meta_field = _sub(meta, "qtimetadatafield")
        _sub(meta_field, "fieldlabel", label)
        _sub(meta_field, "fieldentry", entry)
    presentation = _sub(item, "presentation")
    _material(presentation, q.text)
    processing = _sub(item, "resprocessing")
    outcomes = _sub(processing, "outcomes")
    _sub(outcomes, "decvar", maxvalue="100", minvalue="0", varname="SCORE", vartype="Decimal")
    general, var = _condition(processing, "Yes")
    _sub(var, "other")
    _sub(general, "displayfeedback", feedbacktype="Response", linkrefid="general_fb")
    if q.kind == "numeric":
        assert q.answer is not None and q.tolerance is not None
        response = _sub(presentation, "response_str", ident="response1", rcardinality="Single")
        _sub(_sub(response, "render_fib", fibtype="Decimal"), "response_label", ident="answer1")
        right, var = _condition(processing, "No")
        _sub(var, "vargte", _number(q.answer - q.tolerance), respident="response1")
        _sub(var, "varlte", _number(q.answer + q.tolerance), respident="response1")
        _sub(right, "setvar", "100", action="Set", varname="SCORE")
        _sub(right, "displayfeedback", feedbacktype="Response", linkrefid="correct_fb")
        wrong, var = _condition(processing, "Yes")
        _sub(var, "other")
        _sub(wrong, "displayfeedback", feedbacktype="Response", linkrefid="general_incorrect_fb")
        _feedback(item, "general_fb", q.general_feedback)
        _feedback(item, "correct_fb", q.right_feedback)
        _feedback(item, "general_incorrect_fb", q.wrong_feedback)
        return
    cardinality = "Single" if q.kind == "single" else "Multiple"
    response = _sub(presentation, "response_lid", ident="response1", rcardinality=cardinality)
    choices = _sub(response, "render_choice")
    for option_id, option in zip(option_ids, q.options, strict=True):
        _material(_sub(choices, "response_label", ident=option_id), option.text)
        shown, var = _condition(processing, "Yes")
        _sub(var, "varequal", option_id, respident="response1")
        _sub(shown, "displayfeedback", feedbacktype="Response", linkrefid=f"{option_id}_fb")
    right, var = _condition(processing, "No")
    if q.kind == "single":
        _sub(var, "varequal", option_ids[[o.correct for o in q.options].index(True)], respident="response1")
    else:
        both = _sub(var, "and")
        for option_id, option in zip(option_ids, q.options, strict=True):
            if option.correct:
                _sub(both, "varequal", option_id, respident="response1")
            else:
                _sub(_sub(both, "not"), "varequal", option_id, respident="response1")
    _sub(right, "setvar", "100", action="Set", varname="SCORE")
    _feedback(item, "general_fb", q.general_feedback)
    for option_id, option in zip(option_ids, q.options, strict=True):
        _feedback(item, f"{option_id}_fb", option.feedback)


def _xml(root: ET.Element) -> bytes:
    ET.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8")


def _assessment_xml(identifier: str, title: str, questions: Iterable[ExportQuestion]) -> bytes:
    root = ET.Element("questestinterop", xmlns=_QTI_NS)
    assessment = _sub(root, "assessment", ident=identifier, title=title)
    section = _sub(assessment, "section", ident="root_section")
    for q in questions:
        _qti_item(section, q)
    return _xml(root)


def _manifest(identifiers: Sequence[str]) -> bytes:
    root = ET.Element("manifest", identifier="osteo_teach_export", xmlns=_MANIFEST_NS)
    metadata = _sub(root, "metadata")
    _sub(metadata, "schema", "IMS Content")
    _sub(metadata, "schemaversion", "1.1.3")
    _sub(root, "organizations")
    resources = _sub(root, "resources")
    for identifier in identifiers:
        resource = _sub(resources, "resource", identifier=identifier, type="imsqti_xmlv1p2")
        _sub(resource, "file", href=f"{identifier}/{identifier}.xml")
    return _xml(root)


def to_qti_zip(questions: Sequence[ExportQuestion]) -> bytes:
    """A QTI 1.2 package: ``imsmanifest.xml`` and one assessment XML per assessment (same bytes every run)."""
    files: dict[str, bytes] = {}
    identifiers = []
    for key, title in ASSESSMENTS.items():
        chosen = [q for q in questions if q.assessment == key]
        if not chosen:
            continue
        identifier = f"osteo_teach_{key}"
        identifiers.append(identifier)
        files[f"{identifier}/{identifier}.xml"] = _assessment_xml(identifier, title, chosen)
    files = {"imsmanifest.xml": _manifest(identifiers), **files}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return buffer.getvalue()


def _text(element: ET.Element | None, path: str, ns: dict[str, str]) -> str:
    found = element.find(path, ns) if element is not None else None
    return html.unescape(found.text or "") if found is not None else ""


def parse_qti(package: bytes) -> list[ExportQuestion]:
    """Read back what :func:`to_qti_zip` writes: every assessment listed in the manifest."""
    ns = {"q": _QTI_NS, "m": _MANIFEST_NS}
    questions: list[ExportQuestion] = []
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        manifest = ET.fromstring(archive.read("imsmanifest.xml"))
        hrefs = [f.get("href", "") for f in manifest.iterfind("m:resources/m:resource/m:file", ns)]
        for href in hrefs:
            root = ET.fromstring(archive.read(href))
            assessment = root.find("q:assessment", ns)
            assert assessment is not None, href
            key = (assessment.get("ident") or "").removeprefix("osteo_teach_")
            for item in assessment.iterfind("q:section/q:item", ns):
                questions.append(_parse_item(item, key, ns))
    return questions


def _parse_item(item: ET.Element, assessment: str, ns: dict[str, str]) -> ExportQuestion:
    meta = {
        _text(f, "q:fieldlabel", ns): _text(f, "q:fieldentry", ns)
        for f in item.iterfind("q:itemmetadata/q:qtimetadata/q:qtimetadatafield", ns)
    }
    kind = {v: k for k, v in _QTI_TYPES.items()}[meta["question_type"]]
    ident = (item.get("ident") or "").removeprefix("q_")
    text = _text(item, "q:presentation/q:material/q:mattext", ns)
    feedback = {
        f.get("ident", ""): _text(f, "q:flow_mat/q:material/q:mattext", ns) for f in item.iterfind("q:itemfeedback", ns)
    }
    conditions = list(item.iterfind("q:resprocessing/q:respcondition", ns))
    scoring = next(c for c in conditions if c.find("q:setvar", ns) is not None)
    category = meta["osteo_teach_category"]
    if kind == "numeric":
        low = float(_text(scoring, "q:conditionvar/q:vargte", ns))
        high = float(_text(scoring, "q:conditionvar/q:varlte", ns))
        return ExportQuestion(
            id=ident,
            category=category,
            kind=kind,
            text=text,
            general_feedback=feedback["general_fb"],
            answer=round((low + high) / 2, 4),
            tolerance=round((high - low) / 2, 4),
            right_feedback=feedback["correct_fb"],
            wrong_feedback=feedback["general_incorrect_fb"],
            assessment=assessment,
        )
    if kind == "single":
        right = {_text(scoring, "q:conditionvar/q:varequal", ns)}
    else:
        right = {v.text or "" for v in scoring.iterfind("q:conditionvar/q:and/q:varequal", ns)}
    shown = {}
    for condition in conditions:
        equal = condition.find("q:conditionvar/q:varequal", ns)
        display = condition.find("q:displayfeedback", ns)
        if equal is not None and display is not None and condition is not scoring:
            shown[equal.text or ""] = feedback[display.get("linkrefid", "")]
    options = tuple(
        ExportOption(
            _text(label, "q:material/q:mattext", ns), label.get("ident") in right, shown[label.get("ident", "")]
        )
        for label in item.iterfind("q:presentation/q:response_lid/q:render_choice/q:response_label", ns)
    )
    return ExportQuestion(
        id=ident,
        category=category,
        kind=kind,
        text=text,
        general_feedback=feedback["general_fb"],
        options=options,
        assessment=assessment,
    )


# --- writing the files ----------------------------------------------------------------


def write_exports(directory: str | Path = "build/export", course: CourseData | None = None) -> dict[str, Path]:
    """Write the GIFT file and the QTI package into ``directory``; return their paths."""
    questions = export_questions(course)
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    gift = target / GIFT_NAME
    gift.write_text(to_gift(questions), encoding="utf-8")
    qti = target / QTI_NAME
    qti.write_bytes(to_qti_zip(questions))
    return {"gift": gift, "qti": qti}
