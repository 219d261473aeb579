"""The whole bot in one process, wired as the tests wire it (tests/conftest.py's RunningBot):
the local Coviu API and the Slack stand-in on loopback, the Bolt app behind `coviu-slack
serve`'s HTTP face with its worker in the same process, all sharing one frozen clock, and
every Coviu request counted. Latency can be added on both sides, as over a real network.

    with BenchBot(tmp_path, users) as bot:
        bot.slack.slash_command("U0ALICE", "/coviu", "book ... with @bob tomorrow 3pm")
        bot.idle()
        bot.coviu_calls    # Counter({"POST /v1/auth/token": 1, "POST /v1/sessions": 1})
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from bench.common import BOT_TOKEN, COVIU_KEY, COVIU_SECRET, SIGNING_SECRET
from bench.slack import fake_slack
from bot.app import Services, SlackApp, build_app
from bot.clock import Clock
from bot.config import Settings
from bot.coviu.client import CoviuClient
from bot.coviu.server import ClientRegistration, create_app
from bot.httpserve import ServerThread
from bot.slackfake import FakeSlack, FakeUser
from bot.web import create_web_app

# Monday 18 March 2030, 09:00 UTC (20:00 in Sydney), as in the tests.
NOW = datetime(2030, 3, 18, 9, 0, tzinfo=UTC)

ASGIApp = Callable[
    [MutableMapping[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
    Awaitable[None],
]
_ID = re.compile(r"/[0-9a-fA-F-]{16,}")


class CountingASGI:
    """ASGI middleware counting requests by method and route (ids become ``{id}``), and
    answering each `latency` seconds late, as a server across a real network would."""

    def __init__(self, app: ASGIApp, latency: float = 0.0) -> None:
        self.app = app
        self.latency = latency
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    async def __call__(
        self,
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[Any]],
        send: Callable[[Any], Awaitable[None]],
    ) -> None:
        if scope["type"] == "http":
            route = _ID.sub("/{id}", scope["path"])
            with self._lock:
                self.counts[f"{scope['method']} {route}"] += 1
            if self.latency:
                await asyncio.sleep(self.latency)
        await self.app(scope, receive, send)

    def snapshot(self) -> Counter[str]:
        with self._lock:
            return Counter(self.counts)


class BenchBot:
    """The bot between a local Slack and a local Coviu; see the module docstring."""

    def __init__(
        self,
        directory: Path,
        users: Iterable[FakeUser],
        *,
        slack_latency: float = 0.0,
        coviu_latency: float = 0.0,
        rate_limits: bool = False,
    ) -> None:
        """Latencies are added to every Web API call (Slack) and every Coviu request;
        `rate_limits` makes the Slack stand-in enforce Slack's tiers (429 past them)."""
        self.clock = Clock(frozen_at=NOW)
        self.counter: CountingASGI | None = None

        def coviu_app(url: str) -> CountingASGI:
            app = create_app(
                directory / "coviu.db",
                [ClientRegistration(COVIU_KEY, COVIU_SECRET, "clinic")],
                public_url=url,
                clock=self.clock,
            )
            self.counter = CountingASGI(app, coviu_latency)
            return self.counter

        self.coviu = ServerThread.build(coviu_app)
        self.slack: FakeSlack = fake_slack(users)
        self.slack.latency = slack_latency
        self.slack.rate_limits = True if rate_limits else None
        self.settings = Settings(
            slack_bot_token=BOT_TOKEN,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=self.slack.api_url,
            coviu_api_url=self.coviu.url + "/v1",
            coviu_api_key=COVIU_KEY,
            coviu_api_secret=COVIU_SECRET,
            db_path=directory / "bot.db",
        )
        self.services: Services | None = None
        self.app: SlackApp | None = None
        self.server: ServerThread | None = None

    def start(self) -> BenchBot:
        self.coviu.start()
        self.slack.start()
        client = CoviuClient(COVIU_KEY, COVIU_SECRET, self.coviu.url + "/v1")
        self.services = Services.create(self.settings, client, clock=self.clock)
        # Reminders when the bench asks, at the time it names (the clock is frozen).
        self.app = build_app(self.services, send_reminders=False)
        self.server = ServerThread(create_web_app(self.app.intake)).start()
        self.slack.app_url = self.server.url + "/slack/events"
        self.app.worker.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
        if self.app is not None:
            self.app.stop()
        if self.services is not None:
            self.services.close()
        self.slack.stop()
        self.coviu.stop()

    def __enter__(self) -> BenchBot:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def idle(self) -> None:
        """Wait until the work the last requests queued is done."""
        assert self.app is not None
        if not self.app.worker.wait_idle(timeout=120):
            raise TimeoutError("the app's work never finished")

    def send_reminders(self, at: datetime) -> int:
        """One pass of the reminder scheduler at `at`; how many reminders went out."""
        assert self.services is not None
        return self.services.reminders.send_due(at)

    @property
    def coviu_calls(self) -> Counter[str]:
        return self.counter.snapshot() if self.counter else Counter()

    def slack_calls(self) -> Counter[str]:
        return Counter(call.method for call in self.slack.calls)
