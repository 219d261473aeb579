"""One module per Slack surface, each with `register(router, services)`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.slack.intake import Router
from bot.slack.listeners import actions, commands, events, views

if TYPE_CHECKING:
    from bot.app import Services


def register(router: Router, services: Services) -> None:
    commands.register(router, services)
    actions.register(router, services)
    views.register(router, services)
    events.register(router, services)
