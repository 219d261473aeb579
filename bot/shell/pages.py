"""People's entry pages in the shell: open a link, wait, be let in, leave.

A person with their entry link open in a browser is a page whose script calls the local
Coviu API: ``POST …/enter`` when it opens, ``GET …/state`` every few seconds (which is also
how Coviu knows they are still there), ``POST …/leave`` on *Leave*, and for a host ``POST
…/admit`` to let a waiting guest in. The shell does the same over HTTP, so Coviu records the
same events and sends the same webhooks as it would for real people::

    pages = Pages(store, clock)
    link = pages.link_of("pat", users)       # Pat's own link to the soonest session not over
    pages.enter(link)                        # "waiting": Coviu tells the app (its webhooks)
    pages.heartbeat()                        # every open page polls, as browsers do
    pages.leave(link)

Whose link is whose comes from the app's own records (the shell stands in for the people,
and each person holds their own link); nothing here changes those records.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests

from bot.storage import ParticipantRecord, SessionRecord, Store
from bot.storage.store import to_text

TIMEOUT = 10


@dataclass(frozen=True)
class Link:
    """Someone's own entry link to one session. `who` is how the shell names them."""

    who: str
    url: str
    session: SessionRecord
    is_host: bool

    def __repr__(self) -> str:  # the URL is the person's secret
        return f"Link({self.who!r}, {self.session.title!r})"


class PageError(Exception):
    """What Coviu's page answered instead (its own words: "This session has ended.")."""


class Pages:
    def __init__(self, store: Store, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock
        # The pages open now, by entry URL: each polls while it is open.
        self.open: dict[str, Link] = {}

    # -- whose link ----------------------------------------------------------------------------

    def link_of(self, name: str, slack_names: Mapping[str, str]) -> Link | None:
        """`name`'s link to the soonest session of theirs not yet over: `name` is a Slack
        name (``bob``, ``@bob``) or a guest without Slack (``pat``, ``Pat Smith``).
        `slack_names` maps Slack user ids to names."""
        wanted = name.strip().lstrip("@").lower()
        if not wanted:
            return None
        ids = {uid for uid, shown in slack_names.items() if shown.lower() == wanted}
        for session in self._sessions_not_over():
            for person in self.store.participants(session.session_id):
                if _matches(person, wanted, ids):
                    who = slack_names.get(person.slack_user or "") or person.display_name
                    return Link(who, person.entry_url, session, person.is_host)
        return None

    def link_at(self, url: str, who: str) -> Link | None:
        """The link behind a Join button's URL (pressed in the shell)."""
        for session in self._sessions_not_over():
            for person in self.store.participants(session.session_id):
                if person.entry_url == url:
                    return Link(who, url, session, person.is_host)
        return None

    def _sessions_not_over(self) -> list[SessionRecord]:
        rows = self.store.db.query(
            "select session_id from sessions where status = 'booked' and end_at > ?"
            " order by start_at, session_id",
            [to_text(self.clock())],
        )
        found = (self.store.session(row["session_id"]) for row in rows)
        return [s for s in found if s is not None]

    # -- what a page does ----------------------------------------------------------------------

    def enter(self, link: Link) -> dict[str, Any]:
        """Open the page: its script enters (a host is in, a guest waits)."""
        state = self._call("post", link.url + "/enter")
        self.open[link.url] = link
        return state

    def leave(self, link: Link) -> dict[str, Any]:
        self.open.pop(link.url, None)
        return self._call("post", link.url + "/leave")

    def let_in(self, host: Link, guest: str) -> str:
        """`host`'s page lets in the waiting guest called `guest`; who was let in."""
        wanted = guest.strip().lstrip("@").lower()
        waiting = self._call("get", host.url + "/state").get("waiting") or []
        for person in waiting:
            name = str(person.get("display_name") or "")
            if wanted in (name.lower(), name.lower().split(" ")[0]):
                self._call("post", host.url + "/admit", {"token": person["token"]})
                return name
        names = ", ".join(str(p.get("display_name")) for p in waiting) or "nobody"
        raise PageError(f"{guest} is not waiting (waiting now: {names}).")

    def heartbeat(self) -> list[tuple[Link, str]]:
        """Every open page polls its state, as the page's script does; the pages that closed
        (the session ended, the link was cancelled), each with what it said."""
        closed = []
        for url, link in list(self.open.items()):
            try:
                state = self._call("get", url + "/state")
            except PageError as error:
                closed.append((link, str(error)))
                del self.open[url]
                continue
            if state.get("status") not in ("waiting", "in"):
                closed.append((link, str(state.get("message") or state.get("status"))))
                del self.open[url]
        return closed

    def _call(self, method: str, url: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            answer = requests.request(method, url, json=body, timeout=TIMEOUT)
        except requests.RequestException as error:
            # The class only: the message would quote the URL, which is the person's secret.
            raise PageError(f"the page did not load ({type(error).__name__})") from None
        try:
            data = answer.json()
        except ValueError:
            data = {}
        if answer.status_code != 200:
            error = data.get("error") if isinstance(data, dict) else None
            said = error.get("message") if isinstance(error, dict) else None
            raise PageError(str(said or f"HTTP {answer.status_code}"))
        return data if isinstance(data, dict) else {}


def _matches(person: ParticipantRecord, wanted: str, slack_ids: set[str]) -> bool:
    if person.slack_user:
        return person.slack_user in slack_ids
    name = person.display_name.lower()
    return wanted in (name, name.split(" ")[0])
