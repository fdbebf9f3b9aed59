"""Quiz export for learning platforms: GIFT (Moodle) and QTI 1.2 (Canvas), parsed back and compared with data/."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import replace
from io import BytesIO

import pytest

from osteo_teach import cases
from osteo_teach.__main__ import main
from osteo_teach.data import load
from osteo_teach.export import (
    GIFT_NAME,
    QTI_NAME,
    ExportOption,
    ExportQuestion,
    export_questions,
    parse_gift,
    parse_qti,
    to_gift,
    to_qti_zip,
    write_exports,
)
from osteo_teach.quiz import expected_number
from osteo_teach.records import QuizQuestion

COURSE = load()
QUESTIONS = export_questions(COURSE)
QTI_NS = {"q": "http://www.imsglobal.org/xsd/ims_qtiasiv1p2", "m": "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"}
#: Moodle's own pattern for an answer weight (question/format/gift/format.php).
MOODLE_WEIGHT = re.compile(r"^%\-*([0-9]{1,2})\.?([0-9]*)%")


def _comparable(q: ExportQuestion) -> tuple:
    return (
        q.id,
        q.category,
        q.kind,
        q.text,
        q.general_feedback,
        q.options,
        q.answer,
        q.tolerance,
        q.right_feedback,
        q.wrong_feedback,
    )


def test_every_quiz_question_and_every_case_decision_is_exported():
    quiz_ids = [q.id for q in COURSE.records(QuizQuestion)]
    case_ids = [q.id for q in cases.case_questions(COURSE)]
    assert sorted(q.id for q in QUESTIONS) == sorted(quiz_ids + case_ids)
    assert {q.kind for q in QUESTIONS} == {"single", "multiple", "numeric"}
    assert {q.assessment for q in QUESTIONS} == {"quiz", "cases"}


def test_each_exported_option_carries_its_own_feedback_and_sources_from_data():
    by_id = {q.id: q for q in QUESTIONS}
    for question in [*COURSE.records(QuizQuestion), *cases.case_questions(COURSE)]:
        exported = by_id[question.id]
        if question.kind == "numeric":
            assert question.answer is not None
            assert exported.answer == pytest.approx(expected_number(question, COURSE), abs=1e-4)
            assert exported.tolerance == question.answer.tolerance
            assert " ".join(question.answer.working.text.split()) in exported.right_feedback
            assert " ".join(question.answer.working.text.split()) in exported.wrong_feedback
            continue
        assert [o.text for o in exported.options] == [" ".join(o.text.split()) for o in question.options]
        assert [o.correct for o in exported.options] == [o.correct for o in question.options]
        for option, out in zip(question.options, exported.options, strict=True):
            assert out.feedback.startswith(" ".join(option.feedback.text.split()))
            assert "Sources:" in out.feedback
            for key in option.feedback.sources:
                source = COURSE.source(key)
                assert (source.title or source.venue).split(":")[0] in out.feedback, (question.id, key)
        assert exported.general_feedback.startswith(" ".join(question.explanation.text.split()))


# --- GIFT ----------------------------------------------------------------------------


def test_gift_round_trip_keeps_every_question_option_answer_and_feedback():
    text = to_gift(QUESTIONS)
    back = parse_gift(text)
    assert [_comparable(q) for q in back] == [_comparable(q) for q in QUESTIONS]


def test_gift_follows_moodle_syntax():
    text = to_gift(QUESTIONS)
    blocks = [b for b in re.split(r"\n\s*\n", text) if b.strip() and not b.lstrip().startswith(("//", "$CATEGORY"))]
    assert len(blocks) == len(QUESTIONS)
    categories = re.findall(r"^\$CATEGORY: osteo-teach/(.+)$", text, re.MULTILINE)
    assert categories == list(dict.fromkeys(q.category for q in QUESTIONS))
    for block, question in zip([b.strip() for b in blocks], QUESTIONS, strict=True):
        assert block.startswith(f"::{question.id}::[html]")
        assert block.endswith("}")
        # Unescaped braces: one opening, one closing (Moodle takes the first "{" and the first "}").
        unescaped = re.sub(r"\\.", "", block)
        assert unescaped.count("{") == 1 and unescaped.count("}") == 1, question.id
        answers = unescaped[unescaped.index("{") + 1 : -1]
        assert answers.count("####") == 1
        lines = [line.strip() for line in answers.split("\n") if line.strip() and not line.strip().startswith("####")]
        if question.kind == "numeric":
            assert answers.startswith("#")
            assert re.fullmatch(r"=%100%-?[0-9.]+:[0-9.]+#.+", lines[1]), lines[1]
            assert lines[2].startswith("~#")
        elif question.kind == "single":
            assert sum(line.startswith("=") for line in lines) == 1
            assert sum(line.startswith("~") for line in lines) == len(question.options) - 1
        else:
            assert not any(line.startswith("=") for line in lines), "a multiple-answer question has no '='"
            weights = []
            for line in lines:
                match = MOODLE_WEIGHT.match(line[1:])
                assert line.startswith("~") and match, line
                weights.append(float(line[1:].split("%")[1]))
            assert sum(w for w in weights if w > 0) == pytest.approx(100, abs=1e-3)
            assert sum(w for w in weights if w < 0) == pytest.approx(-100, abs=1e-3)
        # No newline inside a question (GIFT ends a question at a blank line).
        assert all(line.strip() for line in block.splitlines())


def test_gift_escapes_the_special_characters():
    tricky = ExportQuestion(
        id="tricky",
        category="99_test",
        kind="single",
        text="Is P = .44 {significant}? Ratio 1:2, #1 ~ approx & <b>not bold</b>",
        general_feedback="Both: see #2 = {x}.",
        options=(ExportOption("Yes: = ~ # { }", False, "No: P = .44."), ExportOption("No", True, "Right: P > .05.")),
    )
    text = to_gift([tricky])
    assert r"P \= .44 \{significant\}? Ratio 1\:2, \#1 \~ approx &amp; &lt;b&gt;not bold&lt;/b&gt;" in text
    assert parse_gift(text) == [tricky]


def test_a_numeric_gift_answer_accepts_within_its_tolerance_only():
    numeric = [q for q in QUESTIONS if q.kind == "numeric"]
    assert len(numeric) >= 4
    for question in parse_gift(to_gift(numeric)):
        assert question.answer is not None and question.tolerance is not None
        original = next(q for q in numeric if q.id == question.id)
        assert original.answer is not None and original.tolerance is not None

        def accepted(value: float, q: ExportQuestion = question) -> bool:
            assert q.answer is not None and q.tolerance is not None
            return abs(value - q.answer) <= q.tolerance + 1e-9

        assert accepted(original.answer) and accepted(original.answer + 0.9 * original.tolerance)
        assert accepted(original.answer - 0.9 * original.tolerance)
        assert not accepted(original.answer + 1.1 * original.tolerance + 0.01)
        assert not accepted(original.answer - 1.1 * original.tolerance - 0.01)


# --- QTI 1.2 ----------------------------------------------------------------------------


def test_qti_round_trip_keeps_every_question_option_answer_and_feedback():
    back = parse_qti(to_qti_zip(QUESTIONS))
    assert [_comparable(q) for q in back] == [_comparable(q) for q in QUESTIONS]
    assert [q.assessment for q in back] == [q.assessment for q in QUESTIONS]


def test_qti_package_is_a_manifest_and_one_assessment_file_per_assessment():
    package = to_qti_zip(QUESTIONS)
    with zipfile.ZipFile(BytesIO(package)) as archive:
        names = archive.namelist()
        assert names[0] == "imsmanifest.xml"
        manifest = ET.fromstring(archive.read("imsmanifest.xml"))
        resources = manifest.findall("m:resources/m:resource", QTI_NS)
        assert [r.get("type") for r in resources] == ["imsqti_xmlv1p2", "imsqti_xmlv1p2"]
        hrefs = [r.find("m:file", QTI_NS).get("href") for r in resources]
        assert sorted(hrefs) == sorted(n for n in names if n != "imsmanifest.xml")
        items = 0
        for href in hrefs:
            root = ET.fromstring(archive.read(href))
            assert root.tag == "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}questestinterop"
            for item in root.iterfind("q:assessment/q:section/q:item", QTI_NS):
                items += 1
                kind = item.find(
                    "q:itemmetadata/q:qtimetadata/q:qtimetadatafield[q:fieldlabel='question_type']/q:fieldentry", QTI_NS
                ).text
                assert kind in ("multiple_choice_question", "multiple_answers_question", "numerical_question")
                scoring = [
                    c
                    for c in item.iterfind("q:resprocessing/q:respcondition", QTI_NS)
                    if c.find("q:setvar", QTI_NS) is not None
                ]
                assert len(scoring) == 1 and scoring[0].find("q:setvar", QTI_NS).text == "100"
                feedback_ids = {f.get("ident") for f in item.iterfind("q:itemfeedback", QTI_NS)}
                linked = {
                    d.get("linkrefid")
                    for d in item.iterfind("q:resprocessing/q:respcondition/q:displayfeedback", QTI_NS)
                }
                assert linked <= feedback_ids and "general_fb" in linked
                if kind == "numerical_question":
                    assert item.find("q:presentation/q:response_str/q:render_fib", QTI_NS).get("fibtype") == "Decimal"
                else:
                    labels = item.findall("q:presentation/q:response_lid/q:render_choice/q:response_label", QTI_NS)
                    assert all(f"{label.get('ident')}_fb" in linked for label in labels), (
                        "every option shows its own feedback"
                    )
        assert items == len(QUESTIONS)


def test_a_numeric_qti_answer_is_a_range_of_twice_the_tolerance():
    package = to_qti_zip([q for q in QUESTIONS if q.kind == "numeric"])
    for question in parse_qti(package):
        original = next(q for q in QUESTIONS if q.id == question.id)
        assert original.answer is not None and original.tolerance is not None
        assert question.answer == pytest.approx(original.answer, abs=1e-4)
        assert question.tolerance == pytest.approx(original.tolerance, abs=1e-4)
    with zipfile.ZipFile(BytesIO(package)) as archive:
        root = ET.fromstring(archive.read("osteo_teach_quiz/osteo_teach_quiz.xml"))
    for item in root.iterfind("q:assessment/q:section/q:item", QTI_NS):
        question = next(q for q in QUESTIONS if f"q_{q.id}" == item.get("ident"))
        assert question.answer is not None and question.tolerance is not None
        low = float(item.find(".//q:vargte", QTI_NS).text)
        high = float(item.find(".//q:varlte", QTI_NS).text)
        assert low <= question.answer <= high
        assert high - low == pytest.approx(2 * question.tolerance, abs=1e-3)
        assert not low <= question.answer + 1.1 * question.tolerance + 0.01 <= high


def test_multiple_answers_score_only_the_exact_set_of_right_options():
    question = next(q for q in QUESTIONS if q.kind == "multiple")
    with zipfile.ZipFile(BytesIO(to_qti_zip([question]))) as archive:
        root = ET.fromstring(archive.read("osteo_teach_quiz/osteo_teach_quiz.xml"))
    scoring = next(c for c in root.iterfind(".//q:respcondition", QTI_NS) if c.find("q:setvar", QTI_NS) is not None)
    required = [v.text for v in scoring.iterfind("q:conditionvar/q:and/q:varequal", QTI_NS)]
    excluded = [v.text for v in scoring.iterfind("q:conditionvar/q:and/q:not/q:varequal", QTI_NS)]
    ids = [f"q_{question.id}_{n}" for n in range(1, len(question.options) + 1)]
    assert required == [i for i, o in zip(ids, question.options, strict=True) if o.correct]
    assert excluded == [i for i, o in zip(ids, question.options, strict=True) if not o.correct]


def test_a_changed_option_breaks_the_round_trip_comparison():
    """The comparison above can fail: a flipped right answer or changed feedback is seen."""
    question = next(q for q in QUESTIONS if q.kind == "single")
    flipped = replace(
        question, options=(replace(question.options[0], correct=not question.options[0].correct), *question.options[1:])
    )
    assert _comparable(parse_gift(to_gift([flipped]))[0]) != _comparable(question)
    changed = replace(question, options=(replace(question.options[0], feedback="Changed."), *question.options[1:]))
    assert _comparable(parse_qti(to_qti_zip([changed]))[0]) != _comparable(question)


# --- the command ---------------------------------------------------------------------------


def test_export_quiz_command_writes_both_files_the_same_every_time(tmp_path, capsys):
    assert main(["export-quiz", str(tmp_path / "one")]) == 0
    out = capsys.readouterr().out
    assert f"{len(QUESTIONS)} questions" in out and GIFT_NAME in out and QTI_NAME in out
    written = write_exports(tmp_path / "two", COURSE)
    for name in (GIFT_NAME, QTI_NAME):
        assert (tmp_path / "one" / name).read_bytes() == written["gift" if name == GIFT_NAME else "qti"].read_bytes()
    assert [_comparable(q) for q in parse_gift((tmp_path / "one" / GIFT_NAME).read_text(encoding="utf-8"))] == [
        _comparable(q) for q in QUESTIONS
    ]
