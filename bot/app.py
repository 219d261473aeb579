"""Builds the app and everything it talks to.

`Services` holds the parts (store, Coviu client, people directory, booking service, outbox,
reminders); `build_app` wires Slack's side to them: the router of listeners, the intake that
records requests as jobs, and the worker that runs them. Which of these a process runs (web,
worker, or both) is `bot.runner`'s business::

    services = Services.create(settings, coviu)
    app = build_app(services)
    app.worker.start()            # not in a `serve --web-only` process
    status, body = app.intake.handle(raw_body, headers)
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from bot.booking import BookingService
from bot.booking.recurring import SeriesService, queue_series_top_up
from bot.calendar import Calendar
from bot.config import Settings
from bot.coviu.client import CoviuClient
from bot.jobs.outbox import Outbox
from bot.jobs.reminders import Reminders
from bot.jobs.worker import Worker
from bot.slack import listeners
from bot.slack.confirmations import Confirmations
from bot.slack.context import job_runner
from bot.slack.intake import Intake, Router
from bot.slack.notify import SlackNotifier
from bot.slack.oauth import OAuthPages
from bot.slack.pacing import PacedWebClient, Pacer
from bot.slack.people import SlackPeople
from bot.storage import Store
from bot.waiting.webhooks import WebhookReceiver
from bot.workspaces import ContextPool, Workspace
from bot.workspaces.coviu import WorkspaceCoviu
from bot.workspaces.registry import Workspaces
from bot.workspaces.store import CoviuAccount
from bot.workspaces.tokens import WorkspaceTokens

# DMs and look-ups in flight at once for one process: Slack's per-minute tiers, not this,
# are what bound a burst (see the Web API client's rate-limit handler).
FANOUT = 64


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    settings: Settings
    store: Store
    # In multi-workspace mode a `WorkspaceCoviu`: the current workspace's account's client.
    coviu: CoviuClient | WorkspaceCoviu
    slack: WebClient
    people: SlackPeople
    booking: BookingService
    reminders: Reminders
    series: SeriesService
    calendar: Calendar
    fanout: ThreadPoolExecutor
    clock: Callable[[], datetime]
    confirmations: Confirmations
    workspaces: Workspaces | None = None
    # Set by `build_app`: wakes the worker when the schedule changes.
    schedule_changed: Callable[[], None] = lambda: None

    @classmethod
    def create(
        cls,
        settings: Settings,
        coviu: CoviuClient | None,
        store: Store | None = None,
        clock: Callable[[], datetime] = utc_now,
        *,
        provision: Callable[[Workspace], CoviuAccount] | None = None,
        register: Callable[[CoviuAccount], None] | None = None,
    ) -> Services:
        """`coviu`: the operator's account (None: none configured). In multi-workspace mode
        it is only the default; `provision` and `register` give workspaces embedded local
        Coviu teams (see `bot.workspaces.coviu`)."""
        store = store or Store.open(settings.database)
        workspaces = Workspaces.open(settings, store)
        tokens = None
        if settings.multi_workspace:
            tokens = WorkspaceTokens(
                workspaces.installations,
                settings.slack_client_id or "",
                settings.slack_client_secret or "",
                settings.slack_api_url,
            )
            coviu = WorkspaceCoviu(
                workspaces.accounts, default=coviu, provision=provision, register=register
            )
        elif coviu is None:
            raise ValueError("a single-workspace app needs its Coviu account")
        slack = PacedWebClient(
            token=settings.slack_bot_token,
            tokens=tokens,
            base_url=settings.slack_api_url,
            # Our own pace keeps bursts under Slack's tiers; should a 429 come anyway (other
            # processes share the workspace's budget), its Retry-After is waited out: waiting
            # beats telling the booker a DM failed.
            pacer=Pacer(),
            retry_handlers=[ConnectionErrorRetryHandler(), RateLimitErrorRetryHandler(3)],
        )
        # The current workspace travels with the work handed to these threads.
        fanout = ContextPool(max_workers=FANOUT, thread_name_prefix="fanout")
        people = SlackPeople(slack, store, clock)
        calendar = Calendar(
            store, settings.public_url or f"http://127.0.0.1:{settings.port}", clock
        )
        notifier = SlackNotifier(slack, store, calendar)
        confirmations = Confirmations(store, people, clock)
        outbox = Outbox(store, notifier, fanout, clock, confirmations)
        booking = BookingService(coviu, store, people, outbox, clock, fanout=fanout)
        services = cls(
            settings=settings,
            store=store,
            coviu=coviu,
            slack=slack,
            people=people,
            booking=booking,
            reminders=Reminders(store, notifier, fanout, clock, people=people),
            series=SeriesService(booking),
            calendar=calendar,
            fanout=fanout,
            clock=clock,
            workspaces=workspaces,
            confirmations=confirmations,
        )
        services.booking.schedule_changed = lambda: services.schedule_changed()
        return services

    def close(self) -> None:
        self.fanout.shutdown(wait=True)
        self.coviu.close()
        self.store.close()


@dataclass
class SlackApp:
    router: Router
    intake: Intake
    worker: Worker
    services: Services
    # Coviu's webhook calls (`POST /coviu/webhooks`), recorded as jobs for the worker.
    webhooks: WebhookReceiver | None = None
    # Multi-workspace mode: the landing page and the install flow (`/`, `/slack/install`,
    # `/slack/oauth_redirect`).
    oauth: OAuthPages | None = None

    def stop(self) -> None:
        self.worker.stop()


def _with_series(services: Services) -> Callable[[datetime], object]:
    """The worker's timed pass: due reminders, and once an hour a job that creates each
    series' sessions now within the window (keyed by the hour: one job however many workers)."""

    queued: set[str] = set()

    def timed(now: datetime) -> None:
        services.reminders.send_due(now)
        hour = f"{now:%Y-%m-%dT%H}"
        if hour not in queued:  # one insert an hour from this process, not one a pass
            queue_series_top_up(services.store, now)
            queued.clear()
            queued.add(hour)

    return timed


def build_app(
    services: Services, *, socket_mode: bool = False, send_reminders: bool = True
) -> SlackApp:
    """The app's Slack side. `send_reminders=False` leaves reminders to explicit
    `services.reminders.send_due()` calls (tests that move the clock by hand)."""
    router = Router()
    listeners.register(router, services)
    worker = Worker(
        services.store,
        job_runner(router, services),
        reminders=_with_series(services) if send_reminders else None,
        clock=services.clock,
    )
    services.schedule_changed = worker.wake
    intake = Intake(
        router,
        services.store,
        # In Socket Mode Slack's connection is authenticated instead of each request signed.
        None if socket_mode else services.settings.slack_signing_secret or "",
        on_queued=worker.wake,
        clock=services.clock,
    )
    webhooks = WebhookReceiver(
        services.store,
        services.settings.coviu_webhook_secret,
        on_queued=worker.wake,
        clock=services.clock,
    )
    oauth = None
    if services.settings.multi_workspace and services.workspaces is not None:
        workspaces = services.workspaces
        oauth = OAuthPages.create(services.settings, workspaces.installations, workspaces.states)
    return SlackApp(router, intake, worker, services, webhooks, oauth)
