"""Which workspace the work in hand is for: many clinics, each its own Slack token and Coviu
account.

A workspace is an (enterprise, team) pair: a plain workspace has no enterprise; under
Enterprise Grid an org-wide install is the enterprise with no team. While a job runs, the
workspace it came from is *current* (a context variable), and the clients that reach out (the
Slack Web API client, the Coviu client) pick that workspace's token and account themselves, so
the rules in `bot.booking` stay unaware of it::

    >>> with using(Workspace(None, "T1")):
    ...     current()
    Workspace(enterprise_id=None, team_id='T1')
    >>> current() is None
    True

Work handed to another thread keeps its workspace: `ContextPool` runs each call in a copy of
the submitter's context.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Workspace:
    enterprise_id: str | None
    team_id: str | None

    @property
    def label(self) -> str:
        """How to name it to an operator (logs, the CLI): ids only, never a secret."""
        return "/".join(part for part in (self.enterprise_id, self.team_id) if part) or "?"


_current: contextvars.ContextVar[Workspace | None] = contextvars.ContextVar(
    "workspace", default=None
)


def current() -> Workspace | None:
    return _current.get()


@contextmanager
def using(workspace: Workspace | None) -> Iterator[Workspace | None]:
    mark = _current.set(workspace)
    try:
        yield workspace
    finally:
        _current.reset(mark)


def for_team(team_id: str) -> Workspace:
    """The workspace of a team's stored work (a reminder, a Coviu event): the current one
    when it is that team (it knows the enterprise), else the team alone (its installation
    is found through the enterprise it was last seen in)."""
    here = current()
    return here if here is not None and here.team_id == team_id else Workspace(None, team_id)


def _id(value: Any) -> str | None:
    """An id given as itself or as an object with an ``id`` (Slack does both)."""
    return value.get("id") if isinstance(value, dict) else value


def of_payload(payload: dict[str, Any]) -> Workspace | None:
    """The workspace a Slack payload came from: commands, interactions and events alike.

    >>> of_payload({"team_id": "T1", "enterprise_id": "E1", "command": "/coviu"})
    Workspace(enterprise_id='E1', team_id='T1')
    >>> of_payload({"type": "block_actions", "team": {"id": "T1"}, "enterprise": None})
    Workspace(enterprise_id=None, team_id='T1')
    """
    enterprise = payload.get("enterprise_id") or _id(payload.get("enterprise"))
    team = payload.get("team_id") or _id(payload.get("team"))
    user = payload.get("user")
    if team is None and isinstance(user, dict):
        team = user.get("team_id")
    auths = payload.get("authorizations")
    if enterprise is None and isinstance(auths, list) and auths and isinstance(auths[0], dict):
        enterprise = auths[0].get("enterprise_id")  # events name it in their authorizations
    if not (enterprise or team):
        return None
    return Workspace(enterprise or None, team or None)


class ContextPool(ThreadPoolExecutor):
    """A thread pool whose calls run in the submitter's context: the current workspace
    travels with the work."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        context = contextvars.copy_context()
        return super().submit(context.run, fn, *args, **kwargs)
