"""Class scale without a browser: the link, the demo hub's config, the pull checks, Zero to JupyterHub.

- The README's class link is exactly what :func:`deploy.course_link.nbgitpuller_link`
  builds (the hub test follows a link built by the same function).
- The demo hub's config listens on 127.0.0.1 only, with the dummy authenticator
  behind a password, marked as a demo.
- The checks of the hub test (:func:`tests.class_pull.pull_problems`) fail when
  the student's edit is lost or when no pull happened, and pass after a real
  nbgitpuller pull (its CLI runs the same ``GitPuller`` as the link's handler).
- ``deploy/z2jh/values.yaml``: valid YAML; only the chart keys documented in
  ``deploy/z2jh/README.md``; pulls, lands and imports as the class link does;
  its memory guarantee covers the per-student figure the README quotes.
- ``deploy/z2jh/Dockerfile``: pinned base image, the hub extra's packages with
  ``pyproject.toml``'s versions, Binder's ``postBuild``.

With ``CI`` set, missing nbgitpuller or git fails instead of skipping.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy.course_link import (
    COURSE_BRANCH,
    COURSE_REPO,
    CoursePull,
    nbgitpuller_link,
    parse_nbgitpuller_link,
)
from tests.class_pull import (
    STUDENT_NOTE,
    clone_course,
    commit_instructor_update,
    pull_problems,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
VALUES = ROOT / "deploy" / "z2jh" / "values.yaml"
CHART_KEYS_DOC = ROOT / "deploy" / "z2jh" / "README.md"
DOCKERFILE = ROOT / "deploy" / "z2jh" / "Dockerfile"
LESSON = "notebooks/02_fracture_reduction.ipynb"


def _missing(reason: str) -> None:
    """Skip (outside CI) or fail (in CI): the hub tools must be there in CI."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: the class-scale tests must run there, never skip)", pytrace=False)
    pytest.skip(reason)


# --------------------------------------------------------------------------- the link


def readme_links() -> list[str]:
    """Every nbgitpuller link written in the README."""
    return re.findall(r"https://HUB/hub/user-redirect/git-pull\?\S+", README.read_text(encoding="utf-8"))


def test_the_readme_link_is_the_one_nbgitpuller_link_builds() -> None:
    links = readme_links()
    assert links, "the README shows no class link"
    for link in links:
        assert link == nbgitpuller_link("https://HUB"), f"README link differs from deploy/course_link.py:\n{link}"
        hub, course, interface = parse_nbgitpuller_link(link)
        assert (hub, course, interface) == ("https://HUB", CoursePull(), "lab")


def test_a_link_round_trips_and_foreign_links_are_refused() -> None:
    course = CoursePull(
        repo="file:///tmp/x y/osteo-teach", branch="week-2", notebook="notebooks/03_healing_timelines.ipynb"
    )
    for interface in ("lab", "notebook"):
        link = course.link("http://127.0.0.1:8000/", interface)
        assert " " not in link and "/" not in link.split("?", 1)[1]
        assert parse_nbgitpuller_link(link) == ("http://127.0.0.1:8000", course, interface)
    with pytest.raises(ValueError):
        parse_nbgitpuller_link("https://HUB/hub/user-redirect/lab?repo=x&branch=main&urlpath=lab")
    with pytest.raises(ValueError):  # lands outside the cloned folder
        parse_nbgitpuller_link(
            "https://HUB/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgithub.com%2FOWNER%2Fosteo-teach"
            "&branch=main&urlpath=lab%2Ftree%2Fother%2Fx.ipynb"
        )


# --------------------------------------------------------------------------- the demo hub's config


def test_the_demo_hub_listens_on_loopback_only_behind_a_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    try:  # the config is read with traitlets; JupyterHub is not started
        import jupyterhub  # noqa: F401
    except ImportError:
        _missing("jupyterhub is not installed (pip install -e '.[hub]')")
    from traitlets.config.loader import PyFileConfigLoader

    from deploy.hub.launch import CONFIG, LOOPBACK

    monkeypatch.setenv("OSTEO_HUB_STATE", str(tmp_path))
    monkeypatch.setenv("OSTEO_HUB_PASSWORD", "pw")
    config = PyFileConfigLoader(CONFIG.name, str(CONFIG.parent)).load_config()
    assert LOOPBACK == "127.0.0.1"
    assert config.JupyterHub.ip == config.JupyterHub.hub_ip == config.Spawner.ip == "127.0.0.1"
    assert config.ConfigurableHTTPProxy.api_url.startswith("http://127.0.0.1:")
    assert config.JupyterHub.authenticator_class == "dummy" and config.DummyAuthenticator.password == "pw"
    assert config.JupyterHub.spawner_class == "simple"
    assert "DEMO" in config.JupyterHub.template_vars["announcement_login"]
    assert str(config.JupyterHub.db_url).startswith(f"sqlite:///{tmp_path}")
    monkeypatch.delenv("OSTEO_HUB_PASSWORD")
    with pytest.raises(SystemExit, match="OSTEO_HUB_PASSWORD"):
        PyFileConfigLoader(CONFIG.name, str(CONFIG.parent)).load_config()


# --------------------------------------------------------------------------- the pull checks


def _gitpuller(course: CoursePull, home: Path) -> None:
    """nbgitpuller's CLI, as a Kubernetes postStart hook runs it (from the home folder)."""
    subprocess.run(
        [shutil.which("gitpuller") or "gitpuller", course.repo, course.branch, course.folder],
        cwd=home,
        check=True,
        capture_output=True,
    )


def _student_edits_title(path: Path, title: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(title) == 1
    path.write_text(text.replace(title, title + STUDENT_NOTE), encoding="utf-8")


@pytest.fixture
def pulled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[CoursePull, Path, Path]:
    """An upstream clone of this repository and a student's first pull of it (nbgitpuller's CLI)."""
    if shutil.which("git") is None:
        _missing("git is not installed")
    bindir = Path(sys.executable).parent
    if shutil.which("gitpuller") is None and not (bindir / "gitpuller").exists():
        _missing("nbgitpuller is not installed (pip install -e '.[hub]')")
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    upstream = clone_course(ROOT, tmp_path / "upstream" / "osteo-teach")
    course = CoursePull(repo=f"file://{upstream}")
    home = tmp_path / "home"
    home.mkdir()
    _gitpuller(course, home)
    return course, upstream, home / course.folder


def test_the_pull_checks_pass_after_a_real_pull_and_fail_without_one_or_when_the_edit_is_lost(
    pulled: tuple[CoursePull, Path, Path],
) -> None:
    course, upstream, student = pulled
    import nbformat

    from tests.class_pull import title_line

    _, title = title_line(nbformat.read(student / LESSON, as_version=4))
    _student_edits_title(student / LESSON, title)
    update = commit_instructor_update(upstream, LESSON, course.notebook)

    # No pull yet: the instructor's update has not arrived.
    before = pull_problems(student, update)
    assert any("did not arrive" in p for p in before), before
    assert not any("edit is lost" in p for p in before), before

    # A student whose edit is gone before the pull (here: discarded) is caught.
    lost = student.parent / "lost"
    shutil.copytree(student, lost / course.folder)
    subprocess.run(["git", "-C", str(lost / course.folder), "checkout", "--", LESSON], check=True)
    _gitpuller(course, lost)
    assert any("edit is lost" in p for p in pull_problems(lost / course.folder, update))

    # The real pull: exactly what the README says.
    _gitpuller(course, student.parent)
    assert pull_problems(student, update) == []


# --------------------------------------------------------------------------- Zero to JupyterHub


def _leaves(node: Any, prefix: str = "") -> list[str]:
    """Dotted paths of every leaf of a YAML mapping."""
    if isinstance(node, dict) and node:
        return [leaf for key, value in node.items() for leaf in _leaves(value, f"{prefix}{key}.")]
    return [prefix.rstrip(".")]


def documented_chart_keys() -> set[str]:
    """The keys listed in deploy/z2jh/README.md's table (first column, in backticks)."""
    return set(re.findall(r"^\|\s*`([A-Za-z0-9_.*]+)`\s*\|", CHART_KEYS_DOC.read_text(encoding="utf-8"), re.MULTILINE))


def test_values_use_only_documented_chart_keys() -> None:
    values = yaml.safe_load(VALUES.read_text(encoding="utf-8"))
    documented = documented_chart_keys()
    assert documented, "no chart keys documented"
    exact = {k for k in documented if not k.endswith(".*")}
    subtrees = {k[:-2] for k in documented if k.endswith(".*")}
    undocumented = [
        leaf
        for leaf in _leaves(values)
        if leaf not in exact and not any(leaf == s or leaf.startswith(s + ".") for s in subtrees)
    ]
    assert undocumented == [], f"keys not documented in {CHART_KEYS_DOC.relative_to(ROOT)}: {undocumented}"
    unused = sorted(k for k in exact if k not in _leaves(values))
    assert unused == [], f"documented but not used (remove from the table): {unused}"
    for required in (
        "singleuser.image.name",
        "singleuser.defaultUrl",
        "singleuser.memory.guarantee",
        "singleuser.memory.limit",
        "cull.enabled",
        "cull.timeout",
    ):
        assert required in exact


def test_values_pull_land_and_import_as_the_class_link_does() -> None:
    values = yaml.safe_load(VALUES.read_text(encoding="utf-8"))
    single = values["singleuser"]
    course = CoursePull(COURSE_REPO, COURSE_BRANCH)
    # The hook runs nbgitpuller's CLI from the home folder: the link's repository, branch and folder.
    command = single["lifecycleHooks"]["postStart"]["exec"]["command"]
    if command[:2] == ["sh", "-c"]:
        command = shlex.split(command[2].split("||")[0])
    assert command == course.gitpuller_argv()
    # The default URL is where the link lands; PYTHONPATH is the pulled copy in the home folder.
    assert single["defaultUrl"] == "/" + course.urlpath("lab")
    _, from_link, _ = parse_nbgitpuller_link(nbgitpuller_link("https://HUB"))
    assert single["defaultUrl"] == "/" + from_link.urlpath("lab")
    assert single["extraEnv"]["PYTHONPATH"] == f"/home/jovyan/{course.folder}"
    assert values["cull"]["enabled"] is True and values["cull"]["timeout"] > 0


def _mib(quantity: str | int) -> float:
    """A Kubernetes-style memory quantity as KubeSpawner reads it (K, M, G, T: powers of 1024) in MiB."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGT]?)", str(quantity))
    assert match, quantity
    number, unit = float(match.group(1)), match.group(2)
    return number * {"": 2**-20, "K": 2**-10, "M": 1, "G": 2**10, "T": 2**20}[unit]


def test_values_memory_covers_the_measured_per_student_peak() -> None:
    quoted = re.search(r"(\d+) MiB per student", README.read_text(encoding="utf-8"))
    assert quoted, "the README's hub section must quote the measured memory per student ('NNN MiB per student')"
    measured = float(quoted.group(1))
    memory = yaml.safe_load(VALUES.read_text(encoding="utf-8"))["singleuser"]["memory"]
    assert measured <= _mib(memory["guarantee"]) <= _mib(memory["limit"])
    assert _mib(memory["limit"]) >= 2 * measured, "the limit should leave room for another kernel or two"


def test_dockerfile_pins_its_base_and_installs_the_hub_extra_as_pyproject_says() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    base = re.search(r"^FROM\s+(\S+)", text, re.MULTILINE)
    assert base and ":" in base.group(1) and not base.group(1).endswith(":latest"), "pin the base image's tag"
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"][
        "hub"
    ]
    for requirement in extra:
        if not requirement.startswith("jupyterhub"):  # the base image's singleuser matches its hub
            assert f'"{requirement}"' in text, f"the Dockerfile does not install {requirement} as pyproject.toml says"
    assert "bash postBuild" in text
