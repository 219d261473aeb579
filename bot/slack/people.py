"""Who a Slack user is: display name and time zone, from the Web API, cached.

`users.info` answers are kept in the store, so a booking for ten people costs ten look-ups
the first time and none after; names and zones are looked up again
after a day in case they changed::

    people = SlackPeople(web_client, store)
    people.timezone("T1", "U0ALICE")   # "Australia/Sydney"
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
        self._asking: dict[tuple[str, str], Future[tuple[str, str]]] = {}
        self._lock = threading.Lock()

    def _facts(self, team_id: str, user_id: str) -> tuple[str, str]:
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

    def _fresh(self, cached: CachedUser | None) -> tuple[str, str] | None:
        """(name, zone) from the cache, if fetched less than `FRESH_FOR` ago."""
        if cached is None or not cached.name or cached.fetched_at is None:
            return None
        if self.clock() - cached.fetched_at >= FRESH_FOR:
            return None
        return cached.name, cached.tz or "UTC"

    def _ask(self, team_id: str, user_id: str, cached: CachedUser | None) -> tuple[str, str]:
        now = self.clock()
        try:
            user = self.client.users_info(user=user_id)["user"]
        except SlackApiError as error:
            if error.response.get("error") == "user_not_found":
                raise UnknownUser(user_id) from None
            if cached and cached.name:  # Slack is having a moment: yesterday's answer will do
                return cached.name, cached.tz or "UTC"
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
        self.store.cache_user(team_id, user_id, name=name, tz=tz, fetched_at=now)
        return name, tz

    def display_name(self, team_id: str, user_id: str) -> str:
        return self._facts(team_id, user_id)[0]

    def timezone(self, team_id: str, user_id: str) -> str:
        return self._facts(team_id, user_id)[1]
