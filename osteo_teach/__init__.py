"""osteo-teach: cited data, figures and widgets for teaching the surgical repair
of osteoporotic fractures.

Every notebook starts with::

    import osteo_teach as ot
    course = ot.start()

which loads and checks every file in ``data/`` once, applies the classroom
figure style, and prints a one-line summary (or stops with a clear message
naming the broken file, record and field).

For education only; not medical advice.
"""

from __future__ import annotations

from .data import CourseData, DataError, count_cited, load
from .exercises import show_solution
from .lessons import all_lessons, lesson

__all__ = [
    "CourseData",
    "DataError",
    "count_cited",
    "load",
    "start",
    "lesson",
    "all_lessons",
    "show_solution",
    "DISCLAIMER",
    "__version__",
]

__version__ = "0.1.0"

#: The note every notebook carries.
DISCLAIMER = (
    "For education only, not medical advice. Decisions about treatment belong to patients and their clinicians."
)


def start(style: str = "classroom", data_dir: str | None = None) -> CourseData:
    """Load and check the course data, apply a figure style, print a summary.

    ``style="projector"`` gives large fonts and thick lines for presenting.
    """
    from .style import request_style

    try:
        data = load(data_dir)
    except DataError as exc:
        # Stop here, with the loader's message, rather than deep inside the package.
        raise exc.with_traceback(None) from None
    request_style(style)  # applied when the first figure is made
    # Deliberately free of counts: adding a record to data/ must not change
    # every notebook's checked output. `python -m osteo_teach` lists the counts.
    print(f"osteo-teach {__version__}: every data file checked, every source key resolved.")
    print(f"Figure style: {style}.")
    print(DISCLAIMER)
    return data
