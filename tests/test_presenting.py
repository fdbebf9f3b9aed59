"""Presenting live: the RISE extension is installed and enabled, and the projector style is larger."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import matplotlib as mpl
import pytest

from osteo_teach.style import current_style, use_style

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _jupyter(args: list[str], home: Path) -> str:
    """Run a jupyter command with empty user config/data dirs; return stdout+stderr without colours."""
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_DATA_DIR=str(home / "data"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        JUPYTER_PLATFORM_DIRS="1",
    )
    done = subprocess.run(
        [sys.executable, "-m", *args], capture_output=True, text=True, env=env, timeout=120, check=True
    )
    return ANSI.sub("", done.stdout + done.stderr)


def test_rise_lab_extension_is_installed_and_enabled(tmp_path):
    listing = _jupyter(["jupyterlab.labextensions", "list"], tmp_path)
    lines = [line for line in listing.splitlines() if "jupyterlab-rise" in line]
    assert lines, f"jupyterlab-rise is not installed:\n{listing}"
    assert "enabled" in lines[0] and "OK" in lines[0], lines[0]


def test_rise_server_extension_is_enabled(tmp_path):
    # The server extension serves /rise/<notebook>, the slideshow view.
    listing = _jupyter(["jupyter", "server", "extension", "list"], tmp_path)
    assert re.search(r"jupyterlab_rise\s+enabled", listing), listing
    assert re.search(r"jupyterlab_rise\s+[\d.]+\s+OK", listing), listing


@pytest.fixture
def restore_style():
    saved, name = mpl.rcParams.copy(), current_style()
    yield
    mpl.rcParams.update(saved)
    use_style(name)  # type: ignore[arg-type]


def test_projector_style_is_larger_than_classroom(restore_style):
    use_style("classroom")
    classroom = {k: mpl.rcParams[k] for k in ("font.size", "axes.titlesize", "lines.linewidth")}
    use_style("projector")
    projector = {k: mpl.rcParams[k] for k in classroom}
    assert current_style() == "projector"
    assert all(projector[k] > classroom[k] for k in classroom), (classroom, projector)


def test_the_lab_command_loads_the_rise_widget_shim():
    """make lab (and the browser tests) add the shim that lets widgets load in RISE."""
    import json

    from osteo_teach.lab import LABEXTENSIONS_DIR, lab_argv

    shim = LABEXTENSIONS_DIR / "osteo-rise-console-shim"
    assert json.loads((shim / "package.json").read_text())["jupyterlab"]["_build"]["load"] == "static/remoteEntry.js"
    assert "@jupyterlab/console" in (shim / "static" / "remoteEntry.js").read_text()
    assert f"--LabServerApp.extra_labextensions_path={LABEXTENSIONS_DIR}" in lab_argv(".")
    postbuild = (LABEXTENSIONS_DIR.parents[1] / "postBuild").read_text()
    assert "osteo_teach/labextensions/osteo-rise-console-shim" in postbuild
