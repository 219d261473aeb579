"""One module per Slack surface, each with `register(app, services)`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt import App

from bot.listeners import actions, commands, events, views

if TYPE_CHECKING:
    from bot.app import Services


def register(app: App, services: Services) -> None:
    commands.register(app, services)
    actions.register(app, services)
    views.register(app, services)
    events.register(app, services)
