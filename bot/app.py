"""Builds the Bolt app and everything it talks to.

`Services` holds the parts (store, Coviu client, people directory, booking service, reminder
scheduler); `build_app` makes the Bolt `App` and registers the listeners on it. Running it
(HTTP, Socket Mode or the shell) is `bot.runner`'s business.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from bot import listeners
from bot.booking import BookingService
from bot.config import Settings
from bot.coviu.client import CoviuClient
from bot.notify import SlackNotifier
from bot.people import SlackPeople
from bot.reminders import ReminderScheduler
from bot.storage import Store
from bot.work import TrackingExecutor


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    settings: Settings
    store: Store
    coviu: CoviuClient
    slack: WebClient
    people: SlackPeople
    booking: BookingService
    reminders: ReminderScheduler
    executor: TrackingExecutor
    clock: Callable[[], datetime]

    @classmethod
    def create(
        cls,
        settings: Settings,
        coviu: CoviuClient,
        store: Store | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> Services:
        store = store or Store.open(settings.db_path)
        slack = WebClient(
            token=settings.slack_bot_token,
            base_url=settings.slack_api_url,
            # A 50-person booking opens 50 DMs: past Slack's per-minute limits it is told to
            # wait (429 with Retry-After), and waiting beats telling the booker a DM failed.
            retry_handlers=[ConnectionErrorRetryHandler(), RateLimitErrorRetryHandler(2)],
        )
        people = SlackPeople(slack, store, clock)
        notifier = SlackNotifier(slack, people)
        reminders = ReminderScheduler(store, notifier.remind, clock)
        return cls(
            settings=settings,
            store=store,
            coviu=coviu,
            slack=slack,
            people=people,
            booking=BookingService(coviu, store, people, notifier, clock, reminders.wake),
            reminders=reminders,
            executor=TrackingExecutor(max_workers=16, thread_name_prefix="bolt"),
            clock=clock,
        )

    def close(self) -> None:
        self.reminders.stop()
        self.executor.shutdown(wait=True)
        self.coviu.close()
        self.store.close()


def build_app(services: Services, *, socket_mode: bool = False) -> App:
    settings = services.settings
    app = App(
        signing_secret=settings.slack_signing_secret or "",
        client=services.slack,
        listener_executor=services.executor,
        process_before_response=True,
        # In Socket Mode Slack's connection is authenticated instead of each request signed.
        request_verification_enabled=not socket_mode,
    )
    listeners.register(app, services)
    return app
