"""``python -m osteo_teach``: check every data file and list its cited values.

``python -m osteo_teach check`` lists every problem in every file (not only the first);
``python -m osteo_teach lessons`` lists the lessons, and the Voila command of each
lesson that works as an app; ``python -m osteo_teach export-quiz [DIR]`` writes the
quiz and the patient cases' questions for Moodle (GIFT) and Canvas (QTI 1.2) into
``DIR`` (default ``build/export``).
"""

import sys

from .data import TIER_NAMES, DataError, check, citations_by_tier, count_cited, load
from .lessons import all_lessons, voila_command


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["lessons"]:
        for lesson in all_lessons():
            print(f"{lesson.id}: {lesson.title}. {lesson.summary}")
            if lesson.in_voila:
                print(f"    as an app: {voila_command(lesson)}")
        return 0
    if args[:1] == ["export-quiz"]:
        from .export import export_questions, write_exports

        written = write_exports(args[1] if len(args) > 1 else "build/export")
        questions = export_questions()
        kinds = ", ".join(f"{sum(q.kind == k for q in questions)} {k}" for k in ("single", "multiple", "numeric"))
        print(f"{len(questions)} questions ({kinds}), every option with its own feedback and sources:")
        for label, path in written.items():
            print(f"  {label}: {path}")
        return 0
    if args[:1] == ["check"]:
        problems = check()
        for problem in problems:
            print(problem)
        print(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} found.")
        return 1 if problems else 0
    try:
        data = load()
    except DataError as exc:
        print(exc, file=sys.stderr)
        print("(python -m osteo_teach check lists every problem)", file=sys.stderr)
        return 1
    for filename, count in count_cited(data).items():
        unit = "references" if filename == "sources.yaml" else "cited statements"
        print(f"data/{filename}: {len(data.table(filename[:-5]))} records, {count} {unit}")
    print("Citations by source tier:")
    for tier, count in citations_by_tier(data).items():
        print(f"  {tier} ({TIER_NAMES[tier]}): {count}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
