"""Shared fixtures: a writable copy of data/ that a test may break on purpose."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
BROKEN = Path(__file__).resolve().parent / "fixtures" / "broken"


def broken_data_dir(case: str, destination: Path) -> Path:
    """A copy of data/ with the files of ``tests/fixtures/broken/<case>/`` laid over it.

    ``name.yaml`` replaces the data file (byte for byte: a fixture may be in a legacy
    encoding); ``name.yaml.append`` is added at the end of it (a source to cite, say).
    """
    target = destination / "data"
    shutil.copytree(DATA, target)
    for path in sorted((BROKEN / case).iterdir()):
        if path.name.endswith(".append"):
            with (target / path.name.removesuffix(".append")).open("ab") as data_file:
                data_file.write(b"\n" + path.read_bytes())
        else:
            shutil.copy(path, target / path.name)
    return target


@pytest.fixture
def make_broken_data(tmp_path: Path) -> Callable[[str], Path]:
    return lambda case: broken_data_dir(case, tmp_path)


# --- printed handouts (make handouts), shared by tests/test_handouts.py and the browser audit


@pytest.fixture(scope="session")
def printed_handouts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """Every lesson's printable handout, built as ``make handouts`` does: lesson id -> (HTML, PDF).

    Needs the system Chromium: without it the tests are skipped outside CI and fail in CI.
    """
    import os
    import sys

    sys.path.insert(0, str(ROOT / "tools"))
    import build_handouts

    from osteo_teach.lessons import all_lessons

    try:
        build_handouts.chromium()
    except SystemExit as exc:
        if os.environ.get("CI"):
            pytest.fail(f"{exc} (CI is set: the handout tests must run there, never skip)", pytrace=False)
        pytest.skip(str(exc))
    out = tmp_path_factory.mktemp("print")
    return build_handouts.build(list(all_lessons()), out, log=lambda *_: None)
