"""Start JupyterLab the way the course expects: local only, with a token.

One function builds the command line, so the README's ``make lab`` and the
browser tests start exactly the same server.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["START_NOTEBOOK", "LABEXTENSIONS_DIR", "LAB_SETTINGS", "lab_argv", "install_lab_settings", "main"]

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


#: JupyterLab settings the course sets for its server: no "Would you like to receive
#: official Jupyter news?" prompt and no update check (the prompt pops up over the
#: notebook in class; JupyterLab 4.6 asks even with ``--LabApp.news_url=``).
LAB_SETTINGS: dict[str, dict[str, object]] = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
}


def install_lab_settings(prefix: str | os.PathLike[str] | None = None) -> Path:
    """Write :data:`LAB_SETTINGS` as JupyterLab settings defaults of this environment; return the file.

    The file is ``<prefix>/share/jupyter/lab/settings/overrides.d/osteo-teach.json``
    (``prefix``: this Python's ``sys.prefix``, the course's ``.venv``): JupyterLab
    reads every file there as defaults, under the user's own settings, so a student
    who wants the news can still switch it on. Nothing in the user's home is written.
    """
    import json

    base = Path(prefix if prefix is not None else sys.prefix)
    target = base / "share" / "jupyter" / "lab" / "settings" / "overrides.d" / "osteo-teach.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(LAB_SETTINGS, indent=2) + "\n"
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")
    return target


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
    install_lab_settings()
    argv = lab_argv(root, open_browser="--no-browser" not in sys.argv[1:])
    os.execv(argv[0], argv)


if __name__ == "__main__":
    main()
