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
