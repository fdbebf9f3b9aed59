"""The course as an app for students who do not program (``make app``): every lesson in Voila.

    python tools/app.py                  # http://127.0.0.1:8866/ : the list of lessons
    python tools/app.py --port 8900 --no-browser

Voila serves ``notebooks/`` on 127.0.0.1 only: the start page lists every lesson
of the registry (number, title, one-sentence summary) with a link that opens it as
an app, without code cells (widgets work, figures and text are shown). The page is
written from the registry into ``build/app/`` at each start, with the course's
Voila template (``tools/voila/templates/osteo``): exercises that need code say so,
solutions are folded. Stop it with Ctrl-C.
"""

from __future__ import annotations

import argparse
import html
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from osteo_teach.lessons import Lesson, all_lessons  # noqa: E402

TEMPLATE = "osteo"
TEMPLATE_SOURCE = Path(__file__).resolve().parent / "voila" / "templates" / TEMPLATE
#: The app's Jupyter data folder (templates), put first on JUPYTER_PATH.
APP_DIR = ROOT / "build" / "app"


def needs_code(lesson: Lesson) -> bool:
    """Whether one of the lesson's exercises needs code (a markdown cell tagged ``needs-code``)."""
    import nbformat

    nb = nbformat.read(lesson.notebook, as_version=4)
    return any("needs-code" in cell.metadata.get("tags", []) for cell in nb.cells)


def tree_html(lessons: list[Lesson]) -> str:
    """The start page: every lesson, with its summary and a link that opens it in Voila (jinja for Voila)."""
    items = []
    for lesson in lessons:
        note = " <em>(one exercise needs code: do it in JupyterLab)</em>" if needs_code(lesson) else ""
        link = f"{{{{ base_url }}}}voila/render/{html.escape(lesson.id)}.ipynb"
        items.append(
            f'<li><a href="{link}">{html.escape(lesson.number)}. {html.escape(lesson.title)}</a>'
            f"<p>{html.escape(lesson.summary)}{note}</p></li>"
        )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">'
        "<title>osteo-teach: the lessons as apps</title>\n"
        "<style>body{font-family:system-ui,sans-serif;max-width:50em;margin:2em auto;padding:0 1em;color:#111;"
        "line-height:1.45}a{color:#0058a0;font-weight:bold}li{margin:0.8em 0}li p{margin:0.2em 0}"
        "a:focus-visible{outline:3px solid #0072B2;outline-offset:2px}</style></head>\n"
        "<body><main>\n<h1>osteo-teach: the lessons</h1>\n"
        "<p><strong>For education only, not medical advice.</strong> Each lesson opens as an app: "
        "read, change the dropdowns and buttons, see the figures and tables change. No code is shown; "
        "an exercise that needs code says so (open it in JupyterLab with <code>make lab</code>).</p>\n"
        f'<ol style="list-style:none;padding:0">\n{"".join(items)}\n</ol>\n</main></body></html>\n'
    )


def prepare(app_dir: Path = APP_DIR) -> Path:
    """Write the course's Voila template and the start page into ``app_dir``; return its Jupyter data folder."""
    data = app_dir / "share" / "jupyter"
    target = data / "voila" / "templates" / TEMPLATE
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(TEMPLATE_SOURCE, target)
    (target / "tree.html").write_text(tree_html(list(all_lessons())), encoding="utf-8")
    return data


def voila_argv(port: int, open_browser: bool = True) -> list[str]:
    """The Voila command: tree mode on notebooks/, the course's template, 127.0.0.1 only."""
    argv = [
        sys.executable,
        "-m",
        "voila",
        str(ROOT / "notebooks"),
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        f"--template={TEMPLATE}",
        "--theme=light",
        "--VoilaConfiguration.classic_tree=True",
    ]
    if not open_browser:
        argv.append("--no-browser")
    return argv


def app_env(data: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for Voila: the app's data folder first on JUPYTER_PATH."""
    env = dict(os.environ if base is None else base)
    env["JUPYTER_PATH"] = os.pathsep.join([str(data), *filter(None, [env.get("JUPYTER_PATH", "")])])
    return env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8866)
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser")
    args = parser.parse_args(argv)
    data = prepare()
    command = voila_argv(args.port, open_browser=not args.no_browser)
    print(f"The lessons as apps: http://127.0.0.1:{args.port}/ (Ctrl-C stops it)", flush=True)
    os.execve(command[0], command, app_env(data))
    return 0  # pragma: no cover - execve does not return


if __name__ == "__main__":
    sys.exit(main())
