"""Events: the App Home tab shows the viewer's upcoming sessions (with how many guests wait
in each they host) and the Book button."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient

from bot.slack import blocks
from bot.slack.context import Context
from bot.slack.intake import Router
from bot.slack.listeners.common import series_once, team_and_user, with_people
from bot.waiting.store import RoomStore

if TYPE_CHECKING:
    from bot.app import Services


def publish_home(services: Services, client: WebClient, team_id: str, user_id: str) -> None:
    """The viewer's App Home: their upcoming sessions, with how many guests wait in each they
    host. Published when they open it, and again by the waiting room when a room changes."""
    sessions, series = series_once(services, services.booking.upcoming(team_id, user_id))
    waiting = RoomStore(services.store).waiting_counts(s.session_id for s in sessions)
    client.views_publish(
        user_id=user_id,
        view=blocks.home(
            sessions,
            with_people(services, sessions),
            user_id,
            waiting=waiting,
            series=series,
        ),
    )


def register(router: Router, services: Services) -> None:
    def home_opened(body: dict[str, Any], ctx: Context) -> None:
        if body["event"].get("tab", "home") != "home":
            return
        team_id, user_id = team_and_user(body)
        publish_home(services, ctx.client, team_id, user_id)

    # Slack gets its answer at once; the home tab is built and published by a worker.
    router.event("app_home_opened", work=home_opened)

    def user_changed(body: dict[str, Any], ctx: Context) -> None:
        """Someone's profile changed: their name and zone are taken afresh next time, and if
        they were deactivated, their future reminders are dropped (not retried for ever)."""
        user = body["event"]["user"]
        team_id = body.get("team_id") or user.get("team_id")
        services.store.cache_user(team_id, user["id"], fetched_at=None)
        if user.get("deleted"):
            services.store.drop_reminders_of(team_id, user["id"])

    router.event("user_change", work=user_changed)
