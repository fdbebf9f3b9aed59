"""Start JupyterLab the way the course expects: local only, with a token.

One function builds the command line, so the README's ``make lab`` and the
browser tests start exactly the same server.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["START_NOTEBOOK", "LABEXTENSIONS_DIR", "lab_argv", "main"]

#: The notebook the lab command opens first (relative to the repository).
START_NOTEBOOK = "notebooks/00_start_here.ipynb"

#: Prebuilt, plain-JS lab extensions shipped with the package:
#: ``osteo-rise-console-shim``, which lets ipywidgets 8 load inside the
#: jupyterlab-rise slideshow (upstream jupyterlab-contrib/rise#119: the RISE page
#: lacks the ``@jupyterlab/console`` shared module that the widget manager imports
#: for an optional service; it registers nothing where that module exists); and
#: ``osteo-widget-keys``, which lets the keyboard operate widgets (while a widget's
#: control has the focus, the notebook's command-mode shortcuts, such as the arrow
#: keys and Enter, go to the control instead of moving between cells).
LABEXTENSIONS_DIR = Path(__file__).resolve().parent / "labextensions"


def lab_argv(
    root: str | os.PathLike[str],
    *,
    port: int | None = None,
    token: str | None = None,
    open_browser: bool = True,
) -> list[str]:
    """The ``jupyter lab`` command line: 127.0.0.1 only, token auth, no news or update checks."""
    argv = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.root_dir={Path(root).resolve()}",
        f"--LabApp.default_url=/lab/tree/{START_NOTEBOOK}",
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        f"--LabServerApp.extra_labextensions_path={LABEXTENSIONS_DIR}",
    ]
    if port is not None:
        argv.append(f"--ServerApp.port={port}")
    if token is not None:
        argv.append(f"--IdentityProvider.token={token}")
    if not open_browser:
        argv.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")  # containers and CI run as root
    return argv


def main() -> None:
    """``python -m osteo_teach.lab``: serve the repository and open the start notebook."""
    root = Path(__file__).resolve().parent.parent
    argv = lab_argv(root, open_browser="--no-browser" not in sys.argv[1:])
    os.execv(argv[0], argv)


if __name__ == "__main__":
    main()
