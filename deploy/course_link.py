"""The one place that says how a class gets the course: an nbgitpuller link, or its CLI.

The README's "Class scale" section, the local demo hub (``make hub``), its
end-to-end test, and the Kubernetes values (``deploy/z2jh/values.yaml``, whose
test compares its ``postStart`` hook and ``defaultUrl`` with what this module
builds) all use these functions, so the link students click and the folder the
hub pulls into cannot drift apart.

nbgitpuller (``/hub/user-redirect/git-pull?repo=...&branch=...&urlpath=...``)
clones ``repo`` into ``<server root>/<last part of repo's URL>`` on the first
click and merges the instructor's updates on later clicks; ``urlpath`` is where
the student lands afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, quote, urlencode, urlsplit

__all__ = [
    "COURSE_BRANCH",
    "COURSE_REPO",
    "START_NOTEBOOK",
    "CoursePull",
    "course_dir",
    "nbgitpuller_link",
    "parse_nbgitpuller_link",
]

#: The course's public repository as the README writes it (``OWNER`` is a placeholder).
COURSE_REPO = "https://github.com/OWNER/osteo-teach"
#: The branch students pull.
COURSE_BRANCH = "main"
#: Where a student lands, relative to the repository (same as ``osteo_teach.lab.START_NOTEBOOK``).
START_NOTEBOOK = "notebooks/00_start_here.ipynb"

#: nbgitpuller's route on a user's server, reached through the hub.
_GIT_PULL = "/hub/user-redirect/git-pull"

#: The URL prefix of each interface on a single-user server.
_INTERFACES = {"lab": "lab/tree", "notebook": "notebooks"}


def course_dir(repo: str) -> str:
    """The folder nbgitpuller clones ``repo`` into (its handler: the URL's last part)."""
    return repo.rstrip("/").split("/")[-1]


@dataclass(frozen=True)
class CoursePull:
    """One course to pull: repository, branch, and the notebook a student opens."""

    repo: str = COURSE_REPO
    branch: str = COURSE_BRANCH
    notebook: str = START_NOTEBOOK

    @property
    def folder(self) -> str:
        """The course's folder in the student's home (nbgitpuller's choice)."""
        return course_dir(self.repo)

    def urlpath(self, interface: str = "lab") -> str:
        """Where the student lands: ``lab/tree/<folder>/<notebook>`` (or Notebook 7's ``notebooks/...``)."""
        return f"{_INTERFACES[interface]}/{self.folder}/{self.notebook}"

    def link(self, hub_url: str, interface: str = "lab") -> str:
        """The link students click: the hub's git-pull redirect with repo, branch and urlpath."""
        query = urlencode(
            {"repo": self.repo, "branch": self.branch, "urlpath": self.urlpath(interface)},
            quote_via=quote,
            safe="",
        )
        return f"{hub_url.rstrip('/')}{_GIT_PULL}?{query}"

    def gitpuller_argv(self) -> list[str]:
        """nbgitpuller's command line doing the same pull (for a Kubernetes ``postStart`` hook).

        Run from the student's home, as Kubernetes runs the hook, it pulls into the
        same folder as the link.
        """
        return ["gitpuller", self.repo, self.branch, self.folder]


def nbgitpuller_link(
    hub_url: str,
    repo: str = COURSE_REPO,
    branch: str = COURSE_BRANCH,
    notebook: str = START_NOTEBOOK,
    interface: str = "lab",
) -> str:
    """The nbgitpuller link for the course on the hub at ``hub_url`` (see :class:`CoursePull`)."""
    return CoursePull(repo, branch, notebook).link(hub_url, interface)


def parse_nbgitpuller_link(link: str) -> tuple[str, CoursePull, str]:
    """Split a link built by :func:`nbgitpuller_link` into (hub URL, course, interface).

    Raises ValueError for anything else: another route, a missing or extra
    parameter, or a ``urlpath`` that does not open a notebook of the cloned folder.
    """
    parts = urlsplit(link)
    if not parts.path.endswith(_GIT_PULL):
        raise ValueError(f"not an nbgitpuller link (path {parts.path!r})")
    query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=True)
    if sorted(query) != ["branch", "repo", "urlpath"] or any(len(v) != 1 for v in query.values()):
        raise ValueError(f"expected exactly repo, branch and urlpath once each, got {sorted(query)}")
    repo, branch, urlpath = query["repo"][0], query["branch"][0], query["urlpath"][0]
    for interface, prefix in _INTERFACES.items():
        head = f"{prefix}/{course_dir(repo)}/"
        if urlpath.startswith(head):
            course = CoursePull(repo, branch, urlpath[len(head) :])
            hub_url = f"{parts.scheme}://{parts.netloc}{parts.path[: -len(_GIT_PULL)]}"
            if course.link(hub_url, interface) != link:
                raise ValueError("the link is not encoded the way nbgitpuller_link encodes it")
            return hub_url, course, interface
    raise ValueError(f"urlpath {urlpath!r} does not open a file in the course folder {course_dir(repo)!r}")
