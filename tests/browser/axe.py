"""axe-core audits (WCAG 2.1 A and AA rules) of a page, split into the course's content and the rest.

axe-core comes from the PyPI package ``axe-playwright-python`` (it ships
``axe.min.js``; nothing is fetched from a CDN). :func:`audit` injects it into the
page, runs the WCAG 2.1 A/AA rules and classifies every violating node: inside the
course's own content (``course`` selector: notebook outputs and rendered markdown
in JupyterLab, Notebook 7 and Voila; the whole page for the handouts, slides and
the app's start page, which the course builds) or in the interface around it
(JupyterLab's toolbar, editors, ...: not ours, reported as information).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["AXE_JS", "WCAG_TAGS", "CONTENT", "Finding", "Audit", "audit", "axe_source"]

#: The WCAG 2.1 A and AA rule sets (axe's tags).
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

#: The course's content inside JupyterLab, Notebook 7 and Voila.
CONTENT = ".jp-OutputArea-output, .jp-MarkdownOutput"

_IMPACTS = ("minor", "moderate", "serious", "critical")


def axe_source() -> str:
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


AXE_JS = None  # loaded on first use


@dataclass(frozen=True)
class Finding:
    """One violated rule at one node."""

    rule: str
    impact: str
    help: str
    target: str
    html: str
    course: bool

    def describe(self) -> str:
        return f"[{self.impact}] {self.rule} ({self.help}) at {self.target}: {self.html[:160]}"


@dataclass
class Audit:
    """Every WCAG 2.1 A/AA violation on a page, course content and interface apart."""

    page: str
    findings: list[Finding] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)

    def course(self, *impacts: str) -> list[Finding]:
        return [f for f in self.findings if f.course and (not impacts or f.impact in impacts)]

    def interface(self) -> list[Finding]:
        return [f for f in self.findings if not f.course]

    def counts(self, course: bool) -> dict[str, int]:
        chosen = self.course() if course else self.interface()
        return {
            impact: sum(f.impact == impact for f in chosen)
            for impact in _IMPACTS
            if any(f.impact == impact for f in chosen)
        }

    def line(self) -> str:
        def fmt(counts: dict[str, int]) -> str:
            return ", ".join(f"{n} {impact}" for impact, n in counts.items()) or "none"

        rules = sorted({f.rule for f in self.interface()})
        return (
            f"{self.page}: course content {fmt(self.counts(True))}; "
            f"interface (not ours) {fmt(self.counts(False))}{' (' + ', '.join(rules) + ')' if rules else ''}"
        )


_RUN_JS = """
async ([tags, content]) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations', 'incomplete']});
  const inCourse = (target) => {
    if (!content) return true;
    let node = null;
    try { node = document.querySelector(target[target.length - 1]); } catch (e) { node = null; }
    return !!node && !!node.closest(content);
  };
  return {
    violations: result.violations.flatMap(v => v.nodes.map(n => ({
      rule: v.id, impact: v.impact || n.impact || 'minor', help: v.help,
      target: n.target.join(' '), html: n.html, course: inCourse(n.target)}))),
    incomplete: result.incomplete.filter(v => v.id === 'color-contrast').flatMap(v => v.nodes.map(n => n.target.join(' '))),
  };
}
"""


def audit(page: Any, name: str, content: str | None = CONTENT) -> Audit:
    """Run axe's WCAG 2.1 A/AA rules on ``page``; ``content=None``: the whole page is the course's."""
    global AXE_JS
    if AXE_JS is None:
        AXE_JS = axe_source()
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_JS)
    raw = page.evaluate(_RUN_JS, [WCAG_TAGS, content])
    return Audit(name, [Finding(**v) for v in raw["violations"]], raw["incomplete"])
