"""Who a Slack user is: display name, time zone and organisation, from the Web API, cached.

`users.info` answers are kept in the store, so a booking for ten people costs ten look-ups
the first time and none after; names and zones are looked up again
after a day in case they changed::

    people = SlackPeople(web_client, store)
    people.timezone("T1", "U0ALICE")   # "Australia/Sydney"
    people.home_team("T1", "U0ZOE")    # "T0KIWI": a Slack Connect member from elsewhere

Slack Connect members from another organisation (met in a shared channel) are people too:
they can be booked and get a Join link, but Slack doesn't let the app DM them. Slack marks
them by their own organisation's ``team_id`` (``is_stranger`` when they share no channel the
app can see); `home_team` is that team, None for the workspace's own organisation.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.storage import CachedUser, Store

log = logging.getLogger(__name__)

FRESH_FOR = timedelta(days=1)


class UnknownUser(LookupError):
    """No person by this id in the workspace: unknown to Slack, deactivated, or a bot."""


class CannotDM(UnknownUser):
    """A person the app may book but not DM: Slack refuses (someone from another
    organisation, or a DM Slack says doesn't exist). Like `UnknownUser`, never worth a retry."""


Facts = tuple[str, str, str | None]  # name, zone, home team (None: our own organisation)


def home_team_of(user: dict[str, object], team_id: str) -> str | None:
    """The other organisation's team a ``users.info`` user belongs to; None for our own.

    >>> home_team_of({"team_id": "T1"}, "T1") is None
    True
    >>> home_team_of({"team_id": "T2", "is_stranger": True}, "T1")
    'T2'
    >>> home_team_of({"team_id": "T2", "enterprise_user": {"enterprise_id": "E1",
    ...               "teams": ["T1", "T2"]}}, "T1") is None
    True
    """
    theirs = str(user.get("team_id") or "") or None
    if user.get("is_stranger"):
        return theirs or "external"
    if theirs is None or theirs == team_id:
        return None
    # Enterprise Grid: another workspace of the same organisation lists ours among its teams.
    grid = user.get("enterprise_user")
    if isinstance(grid, dict) and team_id in (grid.get("teams") or []):
        return None
    return theirs


class SlackPeople:
    def __init__(
        self,
        client: WebClient,
        store: Store,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.client = client
        self.store = store
        self.clock = clock
        self._asking: dict[tuple[str, str], Future[Facts]] = {}
        self._lock = threading.Lock()

    def _facts(self, team_id: str, user_id: str) -> Facts:
        cached = self.store.cached_user(team_id, user_id)
        if (fresh := self._fresh(cached)) is not None:
            return fresh
        # One question to Slack per person at a time: bookings running side by side for the
        # same people share the answer instead of spending Tier 4's budget twice.
        key = (team_id, user_id)
        with self._lock:
            asking = self._asking.get(key)
            mine = asking is None
            if mine:
                asking = self._asking[key] = Future()
        assert asking is not None
        if not mine:
            return asking.result()
        try:
            facts = self._ask(team_id, user_id, cached)
        except BaseException as error:
            asking.set_exception(error)
            raise
        else:
            asking.set_result(facts)
            return facts
        finally:
            with self._lock:
                del self._asking[key]

    def _fresh(self, cached: CachedUser | None) -> Facts | None:
        """(name, zone, home team) from the cache, if fetched less than `FRESH_FOR` ago."""
        if cached is None or not cached.name or cached.fetched_at is None:
            return None
        if self.clock() - cached.fetched_at >= FRESH_FOR:
            return None
        return cached.name, cached.tz or "UTC", cached.home_team

    def _ask(self, team_id: str, user_id: str, cached: CachedUser | None) -> Facts:
        now = self.clock()
        try:
            user = self.client.users_info(user=user_id)["user"]
        except SlackApiError as error:
            if error.response.get("error") == "user_not_found":
                raise UnknownUser(user_id) from None
            if cached and cached.name:  # Slack is having a moment: yesterday's answer will do
                return cached.name, cached.tz or "UTC", cached.home_team
            raise
        if user.get("deleted") or user.get("is_bot"):
            raise UnknownUser(user_id)
        profile = user.get("profile") or {}
        # Coviu shows this name to the others in the call: a clinic wants "Bob Jones", not a
        # handle like "bobj".
        name = (
            profile.get("real_name")
            or profile.get("display_name")
            or user.get("real_name")
            or user.get("name")
            or user_id
        )
        tz = user.get("tz") or "UTC"
        home = home_team_of(user, team_id)
        self.store.cache_user(team_id, user_id, name=name, tz=tz, fetched_at=now, home_team=home)
        return name, tz, home

    def display_name(self, team_id: str, user_id: str) -> str:
        return self._facts(team_id, user_id)[0]

    def timezone(self, team_id: str, user_id: str) -> str:
        return self._facts(team_id, user_id)[1]

    def home_team(self, team_id: str, user_id: str) -> str | None:
        """Another organisation's team id for a Slack Connect member; None for our own."""
        return self._facts(team_id, user_id)[2]
