"""Printable PDF handouts of every lesson (``make handouts``), printed with the system Chromium.

    python tools/build_handouts.py                      # every lesson -> build/print/
    python tools/build_handouts.py --out DIR 03_healing_timelines

Each lesson (from the registry, in order) is executed from a clean kernel in the
classroom style (``build_slides.execute``: the widget state is stored), written as
an offline HTML page with the print template (``templates/osteo_print.html.j2``:
the handout template plus a print style) and printed to PDF by
``chromium --headless --print-to-pdf``. The page loads the widget renderer inlined
from ``vendor/``, so widget snapshots are drawn before printing (Chromium is given
a virtual-time budget to run the page's scripts first). Every widget's static text
(``Lesson.widget_text``) is opened for print. Nothing is fetched from a network.

Writes ``DIR/NN_name.html`` and ``DIR/NN_name.pdf`` per lesson and ``DIR/index.html``.
"""

from __future__ import annotations

import argparse
import html
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_slides
from nbconvert import HTMLExporter

ROOT = build_slides.ROOT
sys.path.insert(0, str(ROOT))
from osteo_teach.lessons import Lesson, all_lessons  # noqa: E402

#: Chromium flags for printing: headless, no sandbox (CI runs as root), nothing from the network.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-pdf-header-footer",  # the print style writes the title and page numbers itself
    "--run-all-compositor-stages-before-draw",
    "--virtual-time-budget=20000",  # let the widget renderer draw the snapshots before printing
)


def chromium() -> str:
    """The system Chromium (Debian: apt-get install chromium); a clear error if missing."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit("make handouts needs Chromium to print PDFs: install it (Debian/Ubuntu: apt-get install chromium)")


def print_exporter() -> HTMLExporter:
    """The handout exporter with the print template (offline, images embedded)."""
    return HTMLExporter(
        extra_template_paths=[str(build_slides.TEMPLATES)],
        template_file="osteo_print.html.j2",
        mathjax_url="",
        require_js_url="",
        widget_renderer_url="",
        embed_images=True,
    )


def open_static_texts(page: str) -> str:
    """Open every widget's folded static text (``<details class="ot-static-text">``) for print."""
    return page.replace('<details class="ot-static-text"', '<details open class="ot-static-text"')


def write_html(lesson: Lesson, out: Path) -> Path:
    """Execute the lesson and write its printable HTML page."""
    nb = build_slides.execute(lesson.notebook)
    resources = {
        "metadata": {"name": lesson.id, "path": str(lesson.notebook.parent)},
        "osteo_inline": build_slides._inline_scripts(),
        "osteo_title": f"{lesson.number}. {lesson.title}",
    }
    body, _ = print_exporter().from_notebook_node(nb, resources=resources)
    target = out / f"{lesson.id}.html"
    target.write_text(open_static_texts(body), encoding="utf-8")
    return target


def print_pdf(page: Path, pdf: Path, timeout: int = 180) -> Path:
    """Print ``page`` to ``pdf`` with headless Chromium (its profile in a temporary folder)."""
    with tempfile.TemporaryDirectory(prefix="osteo-print-") as profile:
        argv = [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--print-to-pdf={pdf}", page.as_uri()]
        env = {**os.environ, "HOME": profile}
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env)
    if done.returncode != 0 or not pdf.is_file() or pdf.stat().st_size == 0:
        raise RuntimeError(f"Chromium could not print {page.name}: exit {done.returncode}\n{done.stderr[-2000:]}")
    return pdf


def _copy_icon_fonts(out: Path) -> None:
    for relative in build_slides.ICON_FONT_DIRS:
        target = out / relative
        target.mkdir(parents=True, exist_ok=True)
        for font in build_slides.ICON_FONTS.glob("*.woff2"):
            shutil.copy2(font, target / font.name)


def build(lessons: list[Lesson], out: Path, *, jobs: int = 2, log=print) -> dict[str, tuple[Path, Path]]:
    """Write every lesson's printable HTML and PDF under ``out`` (``jobs`` lessons at a time)."""
    out.mkdir(parents=True, exist_ok=True)
    _copy_icon_fonts(out)

    def one(lesson: Lesson) -> tuple[Path, Path]:
        started = time.perf_counter()
        try:
            page = write_html(lesson, out)
        finally:  # nbclient left this worker thread an event loop: close it
            from jupyter_core.utils import ensure_event_loop

            ensure_event_loop().close()
        pdf = print_pdf(page, out / f"{lesson.id}.pdf")
        log(f"{lesson.id}: {pdf.relative_to(out)} in {time.perf_counter() - started:.1f} s")
        return page, pdf

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        built = dict(zip((lesson.id for lesson in lessons), pool.map(one, lessons), strict=True))
    _write_index(out, lessons)
    return built


def _write_index(out: Path, lessons: list[Lesson]) -> None:
    rows = "".join(
        f'<li><a href="{html.escape(lesson.id)}.pdf">{html.escape(lesson.number)}. {html.escape(lesson.title)}</a>'
        f' (<a href="{html.escape(lesson.id)}.html">HTML</a>): {html.escape(lesson.summary)}</li>\n'
        for lesson in lessons
    )
    (out / "index.html").write_text(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>osteo-teach handouts</title></head>\n'
        '<body style="font-family:sans-serif;max-width:50em;margin:2em auto"><main>\n'
        "<h1>osteo-teach: printable handouts</h1>\n"
        "<p><strong>For education only, not medical advice.</strong> One PDF per lesson; "
        "interactive parts show the state they had when the lesson was run, and their full content as text.</p>\n"
        f"<ul>\n{rows}</ul>\n</main></body></html>\n",
        encoding="utf-8",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lessons", nargs="*", help="lesson ids (default: every lesson)")
    default = ROOT / "build" / "print"
    parser.add_argument("--out", type=Path, default=default, help="output folder (default: build/print/)")
    parser.add_argument("--jobs", type=int, default=2, help="lessons built at a time (default: 2)")
    args = parser.parse_args(argv)
    os.environ.setdefault("MPLBACKEND", "Agg")
    chromium()
    known = {lesson.id: lesson for lesson in all_lessons()}
    unknown = [name for name in args.lessons if name not in known]
    if unknown:
        parser.error(f"unknown lesson {unknown[0]!r}: expected one of {', '.join(known)}")
    lessons = [known[name] for name in args.lessons] or list(known.values())
    build(lessons, args.out.resolve(), jobs=args.jobs)
    print(f"Open {args.out.resolve() / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
