"""The stand-in's network: latency per Web API call and Slack's rate-limit tiers.

Both are off by default, so tests that don't ask for them run at loopback speed with no 429s::

    FakeSlack(latency=0.1)                       # every Web API call answers after 100 ms
    FakeSlack(rate_limits=True)                  # Slack's tiers, on the real monotonic clock
    FakeSlack(rate_limits=RateLimits(clock=fake_clock.now))   # tiers on a clock a test moves

    slack.latency = 0.05                          # both can change while the fake runs
    slack.rate_limits = None

Slack's limits (https://api.slack.com/apis/rate-limits) are per app, per workspace and per
method: Tier 1 ≈ 1 call a minute, Tier 2 ≈ 20, Tier 3 ≈ 50, Tier 4 ≈ 100, each allowing
bursts; ``chat.postMessage`` ≈ 1 message a second in each channel (short bursts allowed) under
a workspace cap of several hundred a minute. Past a budget Slack answers HTTP 429
``{"ok": false, "error": "ratelimited"}`` with ``Retry-After`` (whole seconds).

The limiter is a token bucket per (workspace, method) – and per (workspace, channel) for
``chat.postMessage`` – holding a minute's budget and refilling evenly: a burst of a minute's
budget passes at once, then calls pass at the tier's average rate.

    >>> now = [0.0]
    >>> limits = RateLimits(clock=lambda: now[0])
    >>> limiter = Limiter()
    >>> [limiter.admit(limits, "T1", "users.list") for _ in range(21)][-2:]
    [None, 3]
    >>> now[0] += 3
    >>> limiter.admit(limits, "T1", "users.list") is None
    True
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

# Slack's documented tier of each method the stand-in serves (api.slack.com/methods/<name>).
# "Special" methods get their own entry below or are unlimited here (auth.test, api.test).
METHOD_TIERS: dict[str, int] = {
    "chat.postEphemeral": 4,
    "chat.update": 3,
    "chat.delete": 3,
    "chat.scheduleMessage": 3,
    "chat.deleteScheduledMessage": 3,
    "chat.scheduledMessages.list": 3,
    "conversations.open": 3,
    "conversations.info": 3,
    "conversations.history": 3,
    "users.info": 4,
    "users.list": 2,
    "views.open": 4,
    "views.push": 4,
    "views.update": 4,
    "views.publish": 4,
    "oauth.v2.access": 4,
}

TIER_PER_MINUTE: dict[int, int] = {1: 1, 2: 20, 3: 50, 4: 100}

POST_MESSAGE = "chat.postMessage"


@dataclass(frozen=True)
class RateLimits:
    """Which budgets apply. Every field has Slack's value as its default.

    `tiers` overrides or extends `METHOD_TIERS` (``{"users.info": 1}`` makes users.info a
    Tier 1 method); `per_minute` is each tier's budget; ``chat.postMessage`` gets
    `post_message_per_second` in each channel with bursts of `post_message_burst`, and at most
    `post_message_per_minute` a minute in the whole workspace. `clock` (seconds, monotonic)
    lets a test move time instead of waiting.
    """

    tiers: Mapping[str, int] = field(default_factory=dict)
    per_minute: Mapping[int, int] = field(default_factory=lambda: dict(TIER_PER_MINUTE))
    post_message_per_second: float = 1.0
    post_message_burst: int = 5
    post_message_per_minute: int = 300
    clock: Callable[[], float] = time.monotonic

    def tier(self, method: str) -> int | None:
        """The tier of `method`, or None when it isn't limited."""
        return self.tiers.get(method, METHOD_TIERS.get(method))

    def budgets(self, method: str, channel: str | None) -> list[tuple[str, float, float]]:
        """(bucket key, capacity, refill per second) for each budget a call draws on."""
        if method == POST_MESSAGE and method not in self.tiers:
            rate = self.post_message_per_second
            budgets = [
                (
                    f"{method}@workspace",
                    float(self.post_message_per_minute),
                    self.post_message_per_minute / 60,
                )
            ]
            if channel:
                budgets.append((f"{method}@{channel}", float(self.post_message_burst), rate))
            return budgets
        tier = self.tier(method)
        if tier is None:
            return []
        budget = self.per_minute[tier]
        return [(method, float(budget), budget / 60)]


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class Limiter:
    """Token buckets keyed by workspace and budget; thread-safe."""

    def __init__(self) -> None:
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._lock = threading.Lock()

    def admit(
        self, limits: RateLimits, team_id: str, method: str, channel: str | None = None
    ) -> int | None:
        """None when the call may go ahead (its budgets are charged), else the seconds to
        wait before retrying (Slack's ``Retry-After``, at least 1). A refused call costs
        nothing, so a client that waits as told gets through."""
        budgets = limits.budgets(method, channel)
        if not budgets:
            return None
        now = limits.clock()
        with self._lock:
            buckets = []
            wait = 0.0
            for key, capacity, rate in budgets:
                bucket = self._buckets.setdefault((team_id, key), _Bucket(capacity, now))
                bucket.tokens = min(capacity, bucket.tokens + (now - bucket.stamp) * rate)
                bucket.stamp = now
                if bucket.tokens < 1:
                    wait = max(wait, (1 - bucket.tokens) / rate)
                buckets.append(bucket)
            if wait > 0:
                return max(1, math.ceil(wait))
            for bucket in buckets:
                bucket.tokens -= 1
            return None

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()


class Network:
    """What every Web API call goes through: a delay, then the rate limiter.

    Shared by all the workspaces one stand-in hosts. `latency` is seconds per call (the
    round trip: the stand-in answers that long after the request arrived); `limits` is None
    (no limits) or a `RateLimits`.
    """

    def __init__(self, latency: float = 0.0, limits: RateLimits | None = None) -> None:
        self.latency = latency
        self._limits = limits
        self.limiter = Limiter()

    @property
    def limits(self) -> RateLimits | None:
        return self._limits

    @limits.setter
    def limits(self, limits: RateLimits | None) -> None:
        # New budgets start full: what was spent under other rules doesn't carry over.
        self._limits = limits
        self.limiter.reset()

    def admit(self, team_id: str, method: str, channel: str | None = None) -> int | None:
        """None when the call may go ahead, else its ``Retry-After`` in seconds."""
        if self._limits is None:
            return None
        return self.limiter.admit(self._limits, team_id, method, channel)
