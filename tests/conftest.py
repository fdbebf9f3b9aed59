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
    """A copy of data/ with the files of ``tests/fixtures/broken/<case>/`` laid over it."""
    target = destination / "data"
    shutil.copytree(DATA, target)
    for path in (BROKEN / case).iterdir():
        shutil.copy(path, target / path.name)
    return target


@pytest.fixture
def make_broken_data(tmp_path: Path) -> Callable[[str], Path]:
    return lambda case: broken_data_dir(case, tmp_path)
