"""The start page: what the collection teaches, how it is organised, how a fact is cited.

Taught in: ``notebooks/00_start_here.ipynb`` (which shows the course map from
:mod:`osteo_teach.lessons`).
"""

from __future__ import annotations

from collections.abc import Iterable

from .data import CourseData
from .lessons import Lesson

__all__ = ["FACTS", "LESSON", "source_keys"]

#: The key facts the start page prints.
FACTS = ("surgery_does_not_correct_bone_loss", "most_bones_heal_in_6_weeks")

#: Sources the start page's exercise compares (a patient-information page and a textbook).
EXAMPLES = ("health_library_article", "openstax_ap2e_fracture_repair")


def source_keys(course: CourseData) -> Iterable[str]:
    """The start page's reading list: the seed article first, then the facts' sources."""
    return dict.fromkeys(["health_library_article", *course.fact_sources(FACTS), *EXAMPLES])


LESSON = Lesson(
    id="00_start_here",
    title="Start here",
    summary="What the collection teaches, how to use the notebooks, and how every number is cited.",
    data_files=("sources", "key_facts"),
    quiz=False,
    sources=source_keys,
)
