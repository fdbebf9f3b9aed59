"""Offline slides and handouts: built from a notebook, no script or style from a remote URL."""

from __future__ import annotations

import html
import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import build_slides  # noqa: E402

from osteo_teach.exercises import REVEAL_ENV_VAR  # noqa: E402
from osteo_teach.lessons import lesson  # noqa: E402

from .solution_checks import all_solutions, comparable  # noqa: E402

#: A notebook with widgets, so the widget renderer and the widget state are exercised.
NOTEBOOK = ROOT / "notebooks" / "10_self_check.ipynb"
REMOTE = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
#: Widget model modules that the vendored embed-amd.js bundle contains; any other
#: module would make the renderer fetch code from a CDN.
BUNDLED_MODULES = {"@jupyter-widgets/base", "@jupyter-widgets/controls", "@jupyter-widgets/output"}


class _References(HTMLParser):
    """Collect what a page loads: script src, stylesheet href, and inline scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self._in_script = True
            if attrs.get("src"):
                self.scripts.append(attrs["src"])
            else:
                self.inline.append("")
        elif tag == "link" and "stylesheet" in (attrs.get("rel") or "") and attrs.get("href"):
            self.styles.append(attrs["href"])

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and self.inline:
            self.inline[-1] += data


def references(page: Path) -> _References:
    parser = _References()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def script_urls_in_inline_code(refs: _References) -> list[str]:
    """URLs the inline scripts load: the widget renderer, require([...]) and module imports."""
    urls = []
    for code in refs.inline:
        if len(code) > 200_000:  # an inlined vendored library, checked separately
            continue
        urls += re.findall(r"widgetRendererSrc\s*=\s*'([^']*)'", code)
        urls += re.findall(r"import\s+\w+\s+from\s+['\"]([^'\"]*)['\"]", code)
        for block in re.findall(r"require\(\s*\{[^}]*\}\s*,\s*\[([^\]]*)\]", code, re.S):
            urls += re.findall(r"\"([^\"]+)\"", block)
    return urls


def css_imports(css_file: Path) -> list[str]:
    text = css_file.read_text(encoding="utf-8")
    return re.findall(r"@import\s+url\(\s*['\"]?([^'\")]+)", text) + re.findall(
        r"url\(\s*['\"]?([^'\")]+\.(?:woff2?|ttf|eot|otf|css))", text
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("build")
    result = build_slides.build([NOTEBOOK], out, log=lambda *_: None)
    return {"out": out, "slides": result["slides"][0], "handout": result["handouts"][0]}


def test_build_writes_slides_handout_and_index(built):
    assert built["slides"].name == "10_self_check.slides.html"
    assert built["handout"].name == "10_self_check.html"
    index = (built["out"] / "index.html").read_text()
    assert "slides/10_self_check.slides.html" in index and "handouts/10_self_check.html" in index


def test_slides_load_nothing_remote_and_every_local_file_exists(built):
    page = built["slides"]
    refs = references(page)
    urls = refs.scripts + refs.styles + script_urls_in_inline_code(refs)
    assert any("reveal.js" in u for u in urls), urls
    assert any(u.endswith("embed-amd.js") for u in urls), "the widget renderer is referenced"
    remote = [u for u in urls if REMOTE.match(u)]
    assert not remote, f"remote scripts or styles: {remote}"
    for url in urls:
        target = url if url.endswith((".js", ".css")) else url + ".js"  # require() drops ".js"
        assert (page.parent / target).resolve().is_file(), f"missing local file: {url}"
    for style in refs.styles:
        css = (page.parent / style).resolve()
        for imported in css_imports(css):
            assert not REMOTE.match(imported), f"{style} imports {imported}"
            if not imported.startswith("data:"):
                assert (css.parent / imported.split("?")[0].split("#")[0]).resolve().is_file(), imported


def test_slides_are_reveal_slides_with_widget_snapshot(built):
    text = built["slides"].read_text()
    assert text.count("<section") >= 5
    assert 'type="application/vnd.jupyter.widget-state+json"' in text
    assert "MathJax" not in text and "mermaid" not in text.lower()
    assert "NBVAL_CHECK_OUTPUT" not in text
    assert "Figure style: projector." in text, "slides are run in the projector style"


def test_handout_is_one_file_with_nothing_remote(built):
    page = built["handout"]
    refs = references(page)
    assert refs.scripts == [], "the handout inlines its scripts"
    assert not [s for s in refs.styles if REMOTE.match(s)]
    assert script_urls_in_inline_code(refs) == []
    text = page.read_text()
    assert "libembed-amd" in text, "the widget renderer is inlined"
    assert "open the notebook and click <em>Show solution</em>" in text
    assert "Figure style: classroom." in text, "handouts keep the classroom style"
    assert "mathjax/2.7.7" not in text.lower()
    assert "--jp-widgets-font-family:" in text, "widget text uses the sans-serif UI font, not the serif default"


def test_widget_state_needs_only_the_bundled_widget_modules(built):
    text = built["handout"].read_text()
    match = re.search(r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>', text, re.S)
    assert match, "the executed notebook stored its widget state"
    state = json.loads(match.group(1))["state"]
    modules = {model["model_module"] for model in state.values()}
    assert modules <= BUNDLED_MODULES, f"widgets the offline renderer cannot draw: {modules - BUNDLED_MODULES}"


def test_vendored_files_carry_their_licences():
    vendor = ROOT / "vendor"
    for package in ("reveal.js", "requirejs", "jquery", "html-manager"):
        licences = list((vendor / package).glob("LICENSE*"))
        assert licences, f"vendor/{package} needs its licence file"
    for relative in (
        build_slides.REQUIRE_JS,
        build_slides.JQUERY,
        build_slides.WIDGET_RENDERER,
        f"{build_slides.REVEAL_PREFIX}/dist/reveal.js",
        f"{build_slides.REVEAL_PREFIX}/plugin/notes/notes.js",
    ):
        assert (vendor / relative).is_file(), relative


# --- solutions: never in a student build, all of them in the instructor build --------


def widget_texts(page: Path) -> str:
    """Every string of a page's stored widget state (HTML stripped), and the page's own text."""
    text = page.read_text(encoding="utf-8")
    found = [re.sub(r"<[^>]+>", " ", text)]
    for match in re.findall(r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>', text, re.S):
        for model in json.loads(match)["state"].values():
            for value in model.get("state", {}).values():
                if isinstance(value, str):
                    found.append(re.sub(r"<[^>]+>", " ", value))
    return comparable(html.unescape(" ".join(found)))


def button_labels(page: Path) -> list[str]:
    text = page.read_text(encoding="utf-8")
    labels = []
    for match in re.findall(r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>', text, re.S):
        for model in json.loads(match)["state"].values():
            if model.get("model_name") == "ButtonModel":
                labels.append(model["state"].get("description"))
    return labels


SOLUTIONS = [s for s in all_solutions([lesson(NOTEBOOK.stem)])]


@pytest.fixture(scope="module")
def instructor_built(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("instructor")
    result = build_slides.build([NOTEBOOK], out, instructor=True, log=lambda *_: None)
    return {"out": out, "slides": result["slides"][0], "handout": result["handouts"][0]}


def test_student_slides_and_handouts_show_the_button_never_the_answer(built, monkeypatch):
    assert SOLUTIONS and all(s.answers for s in SOLUTIONS)
    for page in (built["slides"], built["handout"]):
        shown = widget_texts(page)
        assert button_labels(page).count("Show solution") == len(SOLUTIONS), "each exercise shows its button, unclicked"
        for solution in SOLUTIONS:
            for line in solution.answers:
                assert line not in shown, f"{page.name} shows {solution.label}: {line}"
    assert "Solutions are not included" in (built["out"] / "index.html").read_text()


def test_a_student_build_ignores_the_instructor_variable(tmp_path, monkeypatch):
    """Even with OSTEO_TEACH_SHOW_SOLUTIONS set in the shell, a student build shows no answer."""
    monkeypatch.setenv(REVEAL_ENV_VAR, "1")
    nb = build_slides.execute(NOTEBOOK)
    states = json.dumps(nb.metadata["widgets"])
    for solution in SOLUTIONS:
        assert not any(line in comparable(html.unescape(states)) for line in solution.answers)
    import os

    assert os.environ[REVEAL_ENV_VAR] == "1", "the caller's environment is put back"


def test_instructor_build_shows_every_solution(instructor_built):
    for page in (instructor_built["slides"], instructor_built["handout"]):
        shown = widget_texts(page)
        assert "Hide solution" in button_labels(page)
        for solution in SOLUTIONS:
            for line in solution.answers:
                assert line in shown, f"{page.name} lacks {solution.label}: {line}"
        assert "instructor build: shown open" in page.read_text(encoding="utf-8")
    index = (instructor_built["out"] / "index.html").read_text()
    assert "Instructor build: every exercise's solution is shown." in index
