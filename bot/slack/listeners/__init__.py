"""One module per Slack surface, each with `register(router, services)`; and the jobs
Coviu's webhooks become (`bot.waiting.alerts`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.booking.recurring import TOP_UP_KIND
from bot.slack.intake import ACCEPT, Route, Router
from bot.slack.listeners import account, actions, commands, events, reminders, views
from bot.waiting import alerts

if TYPE_CHECKING:
    from bot.app import Services


def register(router: Router, services: Services) -> None:
    commands.register(router, services)
    actions.register(router, services)
    views.register(router, services)
    events.register(router, services)
    reminders.register(router, services)
    account.register(router, services)  # multi-workspace mode: each clinic's Coviu account
    alerts.register(router, services)  # Coviu's webhooks: the waiting room
    # The worker's hourly job: each series' sessions that have come within the window.
    router.routes[TOP_UP_KIND] = Route(
        TOP_UP_KIND, lambda _: ACCEPT, lambda _payload, _ctx: services.series.top_up()
    )
