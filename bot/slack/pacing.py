"""Keeping within Slack's rate limits on our side, so bursts are smoothed, not refused.

Slack limits each Web API method per workspace by tier (Tier 2 ≈ 20 calls a minute, Tier 3
≈ 50, Tier 4 ≈ 100, each allowing short bursts). Past a budget it answers 429 with
``Retry-After``. A 200-person booking would look up 200 people: rather than provoke 429s and
wait them out, each tiered call takes a token from its bucket first and waits, if it must,
for the next one. `chat.postMessage` is not tiered but limited per channel (about one a
second, bursts allowed) and per workspace ("several hundred a minute"); the app sends one DM
per person per change, each to a channel of its own, so it is left to Slack's own answer. The
Web API client honours ``Retry-After`` whenever a 429 comes (another process shares the
workspace's budget, or Slack counts differently)::

    client = PacedWebClient(token=..., pacer=Pacer())
    client.users_info(user="U123")   # waits only when this process is over Tier 4's pace
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.web import SlackResponse

from bot.workspaces import current

# Calls a minute, by Slack's tier (api.slack.com/docs/rate-limits).
TIER_PER_MINUTE = {1: 1, 2: 20, 3: 50, 4: 100}
METHOD_TIERS = {
    "users.info": 4,
    "users.list": 2,
    "conversations.history": 3,
    "conversations.info": 3,
    "chat.update": 3,
    "chat.delete": 3,
    "chat.postEphemeral": 4,
    "views.open": 4,
    "views.update": 4,
    "views.push": 4,
    "views.publish": 4,
}


class Bucket:
    """A token bucket: `capacity` calls at once, refilled at `rate` a second."""

    def __init__(self, rate: float, capacity: float, clock: Callable[[], float]) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.clock = clock
        self.stamp = clock()

    def take(self) -> float:
        """Take a token; how long to wait before using it (0 when one was there)."""
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate


class Pacer:
    """A bucket per workspace and tiered method."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.clock = clock
        self.sleep = sleep
        self._buckets: dict[tuple[str, ...], Bucket] = {}
        self._lock = threading.Lock()

    def _bucket(self, key: tuple[str, ...], per_minute: float, burst: float) -> Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = Bucket(per_minute / 60.0, burst, self.clock)
        return bucket

    def delay(self, team: str, method: str) -> float:
        """Reserve a call; how long the caller must wait before making it."""
        with self._lock:
            tier = METHOD_TIERS.get(method)
            if tier is None:
                return 0.0
            per_minute = TIER_PER_MINUTE[tier]
            return self._bucket((team, method), per_minute, per_minute).take()

    def wait(self, team: str, method: str) -> None:
        if (pause := self.delay(team, method)) > 0:
            self.sleep(pause)


class PacedWebClient(WebClient):
    """A `WebClient` whose every call first waits its turn with a shared `Pacer`.

    With `tokens` (multi-workspace mode) each call asks it for the token to use: the current
    workspace's (`bot.workspaces.tokens`), and is paced within that workspace's budget."""

    def __init__(
        self,
        *args: Any,
        pacer: Pacer,
        team: str = "",
        tokens: Callable[[], str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.pacer = pacer
        self.team = team
        self.tokens = tokens

    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:  # type: ignore[override]
        team = self.team
        if self.tokens is not None:
            token = self.tokens()
            workspace = current()
            team = workspace.label if workspace else team
            # slack_sdk takes a per-call token from the JSON body or the query (and sends it
            # as the Authorization header): the client is shared by every workspace's work.
            if kwargs.get("json") is not None:
                kwargs["json"] = {**kwargs["json"], "token": token}
            else:
                kwargs["params"] = {**(kwargs.get("params") or {}), "token": token}
        self.pacer.wait(team, api_method)
        return super().api_call(api_method, **kwargs)
