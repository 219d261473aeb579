"""Keeping within Slack's rate limits on our side, so bursts are smoothed, not refused.

Slack limits each Web API method per workspace by tier (Tier 2 ≈ 20 calls a minute, Tier 3
≈ 50, Tier 4 ≈ 100, each allowing short bursts), and `chat.postMessage` to about one message
a second per channel plus a workspace-wide cap. Past a budget it answers 429 with
``Retry-After``. A 50-person booking sends 50 DMs at once; a 200-person one would look up 200
people: rather than provoke 429s and wait them out, each call takes a token from its bucket
first and waits, if it must, for the next one. The Web API client still honours
``Retry-After`` when a 429 comes anyway (another process shares the workspace's budget)::

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
# chat.postMessage: about one a second to each channel (a short burst allowed), and a cap for
# the whole workspace that Slack calls "several hundred a minute".
POST_PER_SECOND_PER_CHANNEL = 1.0
POST_BURST_PER_CHANNEL = 5
POST_PER_MINUTE = 300


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
    """Buckets per workspace and method (and per channel for chat.postMessage)."""

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

    def delay(self, team: str, method: str, channel: str | None = None) -> float:
        """Reserve a call; how long the caller must wait before making it."""
        with self._lock:
            if method == "chat.postMessage":
                waits = [self._bucket((team, method), POST_PER_MINUTE, POST_PER_MINUTE).take()]
                if channel:
                    per_channel = POST_PER_SECOND_PER_CHANNEL * 60
                    key = (team, method, channel)
                    waits.append(self._bucket(key, per_channel, POST_BURST_PER_CHANNEL).take())
                return max(waits)
            tier = METHOD_TIERS.get(method)
            if tier is None:
                return 0.0
            per_minute = TIER_PER_MINUTE[tier]
            return self._bucket((team, method), per_minute, per_minute).take()

    def wait(self, team: str, method: str, channel: str | None = None) -> None:
        if (pause := self.delay(team, method, channel)) > 0:
            self.sleep(pause)


class PacedWebClient(WebClient):
    """A `WebClient` whose every call first waits its turn with a shared `Pacer`."""

    def __init__(self, *args: Any, pacer: Pacer, team: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pacer = pacer
        self.team = team

    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:  # type: ignore[override]
        arguments = kwargs.get("json") or kwargs.get("data") or kwargs.get("params") or {}
        channel = arguments.get("channel") if isinstance(arguments, dict) else None
        self.pacer.wait(self.team, api_method, channel)
        return super().api_call(api_method, **kwargs)
