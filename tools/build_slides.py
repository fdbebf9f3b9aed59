"""Build offline slides and handouts of every notebook into build/ (``make slides``).

    python tools/build_slides.py                     # every notebook -> build/
    python tools/build_slides.py --out DIR NB.ipynb  # some notebooks -> DIR
    python tools/build_slides.py --instructor        # with every solution shown -> build/instructor/

Each notebook is executed from a clean kernel (so the widget state is stored:
the slides and handouts show a snapshot of every widget), once in the
projector style for the slides and once in the classroom style for the
handout, and written as

- ``DIR/slides/NN_name.slides.html``: reveal.js slides, one slide per cell
  marked "slide" in the notebook's slide metadata. reveal.js, require.js,
  jQuery and the widget renderer load from ``DIR/vendor/`` (copied from the
  repository's ``vendor/``), never from a CDN: classrooms can be offline.
- ``DIR/handouts/NN_name.html``: one self-contained HTML file (images embedded,
  require.js and the widget renderer inlined when the notebook has widgets;
  only the icon font on widget buttons is a separate file, next to it).

MathJax and mermaid, which nbconvert would load from CDNs, are left out (the
notebooks use neither). Open ``DIR/index.html`` for the list.

Solutions: a student build shows each exercise and its "Show solution" button
as it is before a click (a snapshot: the button does nothing in a static page,
and the page says so), never the answer: the notebooks run with
``OSTEO_TEACH_SHOW_SOLUTIONS`` removed from the environment. The instructor build
(``--instructor``, ``make slides INSTRUCTOR=1``) runs them with it set, so every
solution is shown open, and writes to ``build/instructor/`` by default.
"""

from __future__ import annotations

import argparse
import html
import os
import shutil
import sys
import time
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter, SlidesExporter
from nbconvert.preprocessors import ExecutePreprocessor

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from osteo_teach.exercises import REVEAL_ENV_VAR  # noqa: E402

VENDOR = ROOT / "vendor"
TEMPLATES = Path(__file__).resolve().parent / "templates"

#: Where each vendored file lives, relative to DIR/vendor/.
REVEAL_PREFIX = "reveal.js"
REQUIRE_JS = "requirejs/require.js"
JQUERY = "jquery/jquery.min.js"
WIDGET_RENDERER = "html-manager/embed-amd.js"
#: The widget renderer's icon font (Font Awesome, for button icons). The renderer
#: looks for it next to the page, under these folders (its webpack public path).
ICON_FONTS = VENDOR / "html-manager" / "fonts"
ICON_FONT_DIRS = ("@jupyter-widgets", "@jupyter-widgets/html-manager/dist")


def notebooks() -> list[Path]:
    """Every lesson notebook, in order."""
    return sorted((ROOT / "notebooks").glob("*.ipynb"))


def execute(
    path: Path, style: str = "classroom", timeout: int = 600, *, instructor: bool = False
) -> nbformat.NotebookNode:
    """Run a notebook from a clean kernel in its own folder; widget state is kept.

    ``style="projector"`` runs the first cell as ``ot.start(style="projector")``
    (large fonts and thick lines for slides); the notebook file is not changed.
    ``instructor=True`` runs it with every solution shown (``OSTEO_TEACH_SHOW_SOLUTIONS=1``);
    otherwise that variable is removed, so a student build never shows an answer.
    """
    nb = nbformat.read(path, as_version=4)
    first = next((c for c in nb.cells if c.cell_type == "code"), None)
    if style != "classroom" and first is not None:
        first.source = first.source.replace("ot.start()", f'ot.start(style="{style}")')
    saved = os.environ.pop(REVEAL_ENV_VAR, None)
    if instructor:
        os.environ[REVEAL_ENV_VAR] = "1"
    try:  # the kernel inherits this process's environment
        ExecutePreprocessor(timeout=timeout, kernel_name="python3", store_widget_state=True).preprocess(
            nb, {"metadata": {"path": str(path.parent)}}
        )
    finally:
        os.environ.pop(REVEAL_ENV_VAR, None)
        if saved is not None:
            os.environ[REVEAL_ENV_VAR] = saved
    for cell in nb.cells:  # nbval's marker means nothing to a reader
        if cell.cell_type == "code":
            cell.source = "\n".join(line for line in cell.source.splitlines() if line.strip() != "# NBVAL_CHECK_OUTPUT")
    return nb


def slides_exporter(vendor_url: str) -> SlidesExporter:
    """nbconvert's reveal.js exporter, pointed at the local vendor folder."""
    return SlidesExporter(
        extra_template_paths=[str(TEMPLATES)],
        template_file="osteo_slides.html.j2",
        reveal_url_prefix=f"{vendor_url}/{REVEAL_PREFIX}",
        reveal_theme="white",
        require_js_url=f"{vendor_url}/{REQUIRE_JS}",
        jquery_url=f"{vendor_url}/{JQUERY}",
        widget_renderer_url=f"{vendor_url}/{WIDGET_RENDERER}",
        mathjax_url="",
        embed_images=True,
    )


def handout_exporter() -> HTMLExporter:
    """nbconvert's lab HTML exporter, with images embedded and nothing remote."""
    return HTMLExporter(
        extra_template_paths=[str(TEMPLATES)],
        template_file="osteo_handout.html.j2",
        mathjax_url="",
        require_js_url="",
        widget_renderer_url="",
        embed_images=True,
    )


def _inline_scripts() -> dict[str, str]:
    return {
        "requirejs": (VENDOR / REQUIRE_JS).read_text(encoding="utf-8"),
        "widget_renderer": (VENDOR / WIDGET_RENDERER).read_text(encoding="utf-8"),
    }


def build(
    paths: list[Path], out: Path, *, slides_style: str = "projector", instructor: bool = False, log=print
) -> dict[str, list[Path]]:
    """Execute each notebook and write its slides and handout under ``out``.

    Slides are run in the projector style (large fonts), handouts in the
    classroom style the notebooks use. ``instructor=True``: every solution shown.
    """
    out.mkdir(parents=True, exist_ok=True)
    shutil.copytree(VENDOR, out / "vendor", dirs_exist_ok=True)
    for folder in ("slides", "handouts"):
        for relative in ICON_FONT_DIRS:
            target = out / folder / relative
            target.mkdir(parents=True, exist_ok=True)
            for font in ICON_FONTS.glob("*.woff2"):
                shutil.copy2(font, target / font.name)
    slides, handouts = slides_exporter("../vendor"), handout_exporter()
    inline = _inline_scripts()
    built: dict[str, list[Path]] = {"slides": [], "handouts": []}
    for path in paths:
        started = time.perf_counter()
        name = path.stem
        resources = {"metadata": {"name": name, "path": str(path.parent)}, "osteo_instructor": instructor}
        body, _ = slides.from_notebook_node(
            execute(path, slides_style, instructor=instructor), resources=dict(resources)
        )
        target = out / "slides" / f"{name}.slides.html"
        target.write_text(body, encoding="utf-8")
        built["slides"].append(target)
        body, _ = handouts.from_notebook_node(
            execute(path, instructor=instructor), resources=dict(resources, osteo_inline=inline)
        )
        target = out / "handouts" / f"{name}.html"
        target.write_text(body, encoding="utf-8")
        built["handouts"].append(target)
        log(f"{name}: slides and handout in {time.perf_counter() - started:.1f} s")
    _write_index(out, instructor=instructor)
    return built


def _write_index(out: Path, instructor: bool = False) -> None:
    """A small start page linking every slide deck and handout that exists."""
    rows = []
    for deck in sorted((out / "slides").glob("*.slides.html")):
        name = deck.name.removesuffix(".slides.html")
        handout = out / "handouts" / f"{name}.html"
        link = f'<a href="handouts/{html.escape(name)}.html">handout</a>' if handout.exists() else ""
        rows.append(
            f'<li><code>{html.escape(name)}</code>: <a href="slides/{html.escape(deck.name)}">slides</a> {link}</li>'
        )
    title = "osteo-teach: instructor slides and handouts" if instructor else "osteo-teach: slides and handouts"
    note = (
        "<p><strong>Instructor build: every exercise's solution is shown.</strong> Do not hand these out "
        "to students; their build (<code>make slides</code>) shows only the exercises.</p>\n"
        if instructor
        else "<p>Solutions are not included: in the notebooks, each exercise has a <em>Show solution</em> button.</p>\n"
    )
    (out / "index.html").write_text(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title></head>\n"
        '<body style="font-family:sans-serif;max-width:50em;margin:2em auto">\n'
        f"<h1>{title}</h1>\n{note}"
        "<p><strong>For education only, not medical advice.</strong> Everything here works offline. "
        "Slides: arrow keys to move, <kbd>S</kbd> for speaker notes, <kbd>F</kbd> for full screen.</p>\n"
        f"<ul>\n{''.join(rows)}\n</ul>\n</body></html>\n",
        encoding="utf-8",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="notebooks to build (default: all)")
    parser.add_argument(
        "--out", type=Path, default=None, help="output folder (default: build/, or build/instructor/ with --instructor)"
    )
    parser.add_argument("--instructor", action="store_true", help="show every solution (an instructor's copy)")
    args = parser.parse_args(argv)
    os.environ.setdefault("MPLBACKEND", "Agg")
    paths = [p.resolve() for p in args.notebooks] or notebooks()
    out = (args.out or (ROOT / "build" / "instructor" if args.instructor else ROOT / "build")).resolve()
    build(paths, out, instructor=args.instructor)
    print(f"Open {out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
