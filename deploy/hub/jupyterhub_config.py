"""DEMO JupyterHub for trying the class experience on this computer: ``make hub``.

*** A demo, never a real hub. *** Anyone who can reach it logs in with the one
shared password (the dummy authenticator), and every student's server runs as
the same operating-system user as the hub (the simple local process spawner).
That is why everything here listens on 127.0.0.1 only and no setting moves it
elsewhere: the config refuses to load if the address is anything but loopback.
For a real class use a university hub or Zero to JupyterHub
(``deploy/z2jh/values.yaml``), with a real authenticator.

Started by ``deploy/hub/launch.py`` (``make hub``, the end-to-end test in
``tests/browser/test_hub.py`` and ``benchmarks/class_load.py``), which sets:

=======================  =================================================  ========
variable                 meaning                                            default
=======================  =================================================  ========
OSTEO_HUB_STATE          folder for the database, cookie secret, homes      build/hub
OSTEO_HUB_PORT           the hub's public port on 127.0.0.1                 8000
OSTEO_HUB_API_PORT       the hub's internal API port                        8081
OSTEO_HUB_PROXY_PORT     the proxy's API port                               8001
OSTEO_HUB_PROXY          configurable-http-proxy executable                 build/node
OSTEO_HUB_PASSWORD       the demo password (required)                       (none)
OSTEO_HUB_USERS          who may log in (space-separated)                   student instructor
OSTEO_HUB_API_TOKEN      if set, a service with this token may create       (none)
                         users and start/stop/use their servers (scripts)
OSTEO_HUB_COURSE_REPO    the course's repository URL (names its folder)     the README's
=======================  =================================================  ========

Each user's home is ``$OSTEO_HUB_STATE/home/<user>``; nbgitpuller clones the
course there (``~/<repository name>``, e.g. ``~/osteo-teach``), and ``PYTHONPATH`` points at that copy, so the
lessons import the course's own ``osteo_teach`` and read its own ``data/``:
what the instructor pushes is what the students run.
"""

# ruff: noqa: F821 - ``c`` and ``get_config`` are provided by JupyterHub when it loads this file

from __future__ import annotations

import ipaddress
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from deploy.course_link import COURSE_REPO, course_dir
from deploy.hub.launch import LOOPBACK, MARKER_VAR, default_proxy, single_user_lab_args

c = get_config()

state = Path(os.environ.get("OSTEO_HUB_STATE", REPO / "build" / "hub")).resolve()
state.mkdir(parents=True, exist_ok=True)
password = os.environ.get("OSTEO_HUB_PASSWORD")
if not password:
    raise SystemExit("demo hub: set OSTEO_HUB_PASSWORD (make hub does, and prints it)")

# ---------------------------------------------------------------- loopback only
if not ipaddress.ip_address(LOOPBACK).is_loopback:  # a guard against editing LOOPBACK
    raise SystemExit("demo hub: loopback addresses only (127.0.0.1)")
c.JupyterHub.ip = LOOPBACK
c.JupyterHub.port = int(os.environ.get("OSTEO_HUB_PORT", "8000"))
c.JupyterHub.hub_ip = LOOPBACK
c.JupyterHub.hub_port = int(os.environ.get("OSTEO_HUB_API_PORT", "8081"))
c.ConfigurableHTTPProxy.api_url = f"http://{LOOPBACK}:{int(os.environ.get('OSTEO_HUB_PROXY_PORT', '8001'))}"
c.ConfigurableHTTPProxy.command = [os.environ.get("OSTEO_HUB_PROXY") or default_proxy() or "configurable-http-proxy"]
c.Spawner.ip = LOOPBACK

# ---------------------------------------------------------------- state, in one folder
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(state / "jupyterhub.pid")
c.ConfigurableHTTPProxy.pid_file = str(state / "jupyterhub-proxy.pid")

# ---------------------------------------------------------------- who logs in (demo!)
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = password
users = os.environ.get("OSTEO_HUB_USERS", "student instructor").split()
c.Authenticator.allowed_users = set(users)
c.Authenticator.admin_users = {"instructor"} & set(users)
c.JupyterHub.template_vars = {
    "announcement_login": (
        "DEMO hub on this computer only (127.0.0.1): one shared password, no isolation "
        "between users. Never put it on a network address."
    ),
}

# ---------------------------------------------------------------- the students' servers
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = str(state / "home" / "{username}")
c.Spawner.cmd = [str(Path(sys.executable).with_name("jupyterhub-singleuser"))]
# Same JupyterLab options as ``make lab`` (no news or update checks, the RISE widget shim).
c.Spawner.args = single_user_lab_args()
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 180  # 2 cores, a whole class starting at once: be patient
c.Spawner.http_timeout = 180
c.Spawner.env_keep = ["PATH", "LANG", "LC_ALL", "JUPYTERHUB_SINGLEUSER_APP", MARKER_VAR]
# The lessons import the course's own package from the student's copy of the course.
course_folder = course_dir(os.environ.get("OSTEO_HUB_COURSE_REPO", COURSE_REPO))
c.Spawner.environment = {"PYTHONPATH": lambda spawner: str(Path(spawner.home_dir) / course_folder)}

# ---------------------------------------------------------------- scripts (benchmark)
api_token = os.environ.get("OSTEO_HUB_API_TOKEN")
if api_token:
    c.JupyterHub.services = [{"name": "class-load", "api_token": api_token}]
    c.JupyterHub.load_roles = [
        {
            "name": "class-load",
            "description": "benchmarks/class_load.py: create students, start their servers, run kernels",
            "scopes": ["admin:users", "admin:servers", "access:servers", "read:users", "tokens"],
            "services": ["class-load"],
        }
    ]
