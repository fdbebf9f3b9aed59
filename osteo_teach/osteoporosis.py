"""Osteoporosis and fractures: who breaks a bone, where, and why it matters.

The lesson is built from cited key facts (``data/key_facts.yaml``): lifetime
fracture risk from three bodies (which disagree, and why), the spine as the
most common site, under-diagnosis of vertebral fractures, and what a hip
fracture means.

Taught in: ``notebooks/01_osteoporosis_and_fractures.ipynb``.
"""

from __future__ import annotations

from collections.abc import Iterable

from .data import CourseData
from .lessons import Lesson

__all__ = ["FACTS", "LESSON", "source_keys"]

#: The key facts the lesson prints, in the order it prints them.
FACTS = (
    "surgery_does_not_correct_bone_loss",
    "lifetime_risk_us_review",
    "lifetime_risk_nof_us",
    "vcf_most_common",
    "vcf_share_one_quarter",
    "vcf_share_at_least_half",
    "vcf_underdiagnosed",
    "hip_fracture_mortality",
    "fracture_predicts_next",
    "osteoporosis_treatment_gap",
    "vcf_definition",
)


def source_keys(course: CourseData) -> Iterable[str]:
    """The lesson's reading list: the seed article, then every fact's sources."""
    return dict.fromkeys(["health_library_article", *course.fact_sources(FACTS)])


LESSON = Lesson(
    id="01_osteoporosis_and_fractures",
    title="Osteoporosis and fractures",
    summary="Who breaks a bone and where; why sources disagree on the numbers; why fractures matter.",
    data_files=("key_facts", "sources"),
    sources=source_keys,
)
