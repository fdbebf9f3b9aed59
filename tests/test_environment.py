"""environment.yml must list exactly the Python dependencies of pyproject.toml."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent


def _normalise(requirement: str) -> tuple[str, str]:
    """``'PyYAML >= 6.0'`` -> ``('pyyaml', '>=6.0')`` (name canonicalised, spaces dropped)."""
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement)
    assert match, requirement
    name = re.sub(r"[-_.]+", "-", match.group(1)).lower()
    return name, match.group(2).replace(" ", "")


def pyproject_requirements() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        requirements += extra
    # Requirements limited to old Pythons (e.g. tomli on 3.10) are not for conda, which pins Python.
    return dict(_normalise(r) for r in requirements if "python_version" not in r)


def environment_requirements() -> tuple[dict[str, str], list[str]]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    found: dict[str, str] = {}
    pip_lines: list[str] = []
    for item in env["dependencies"]:
        if isinstance(item, dict):
            pip_lines += item.get("pip", [])
            continue
        name, spec = _normalise(item)
        if name not in {"python", "pip"}:
            found[name] = spec
    for line in pip_lines:
        if not line.startswith("-"):
            name, spec = _normalise(line)
            found[name] = spec
    return found, pip_lines


def test_environment_lists_the_same_dependencies_as_pyproject():
    expected = pyproject_requirements()
    found, _ = environment_requirements()
    missing = sorted(set(expected) - set(found))
    extra = sorted(set(found) - set(expected))
    assert not missing, f"environment.yml lacks {missing} (listed in pyproject.toml)"
    assert not extra, f"environment.yml has {extra}, which pyproject.toml does not list"
    different = {n: (expected[n], found[n]) for n in expected if expected[n] != found[n]}
    assert not different, f"version specs differ (pyproject, environment.yml): {different}"


def test_environment_installs_the_package_and_uses_conda_forge():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    _, pip_lines = environment_requirements()
    assert env["channels"] == ["conda-forge"]
    assert "-e ." in pip_lines
    python = [d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python")]
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert python == [f"python{requires}"]
