"""Events: the App Home tab (upcoming sessions, with how many guests wait in each they host,
the Book button, and in multi-workspace mode the Coviu account line), people changing, and
uninstalls."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient

from bot.slack import account_blocks, blocks, reminder_blocks
from bot.slack.context import Context
from bot.slack.intake import Router
from bot.slack.listeners.common import series_once, team_and_user, with_people
from bot.storage.personal import PersonalStore
from bot.waiting.store import RoomStore
from bot.workspaces import Workspace, current, of_payload

if TYPE_CHECKING:
    from bot.app import Services


def publish_home(services: Services, client: WebClient, team_id: str, user_id: str) -> None:
    """The viewer's App Home: their upcoming sessions, with how many guests wait in each they
    host. Published when they open it, and again by the waiting room when a room changes."""
    sessions, series = series_once(services, services.booking.upcoming(team_id, user_id))
    waiting = RoomStore(services.store).waiting_counts(s.session_id for s in sessions)
    mine = PersonalStore(services.store).settings(team_id, user_id)
    settings = reminder_blocks.settings_blocks(
        mine.reminders, services.settings.reminder_minutes, mine.morning
    )
    view = blocks.home(
        sessions, with_people(services, sessions), user_id, waiting=waiting, series=series
    )
    # The settings go after the sessions, before the closing tip.
    view["blocks"][-1:-1] = settings
    if services.settings.multi_workspace and services.workspaces is not None:
        # Which Coviu account this workspace books with, and the admin's way to connect one.
        account = services.workspaces.accounts.find(current() or Workspace(None, team_id))
        default = getattr(services.coviu, "default", None) is not None
        view["blocks"][1:1] = account_blocks.home_section(account, default)
    client.views_publish(user_id=user_id, view=view)


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

    def uninstalled(body: dict[str, Any], ctx: Context) -> None:
        """The app was removed (or its bot token revoked): the workspace's installation,
        Coviu connection and everything kept about it go (`bot.workspaces.store.forget`).
        Sessions already booked at Coviu stay as they are there."""
        if services.workspaces is None:
            return
        event = body["event"]
        if event["type"] == "tokens_revoked" and not (event.get("tokens") or {}).get("bot"):
            return  # only people's tokens (the app keeps none): the install stands
        services.workspaces.forget(uninstalled_workspace(body))

    # Bolt's token revocation listeners, as our own jobs: durable, and with our clean-up.
    router.event("app_uninstalled", work=uninstalled)
    router.event("tokens_revoked", work=uninstalled)


def uninstalled_workspace(body: dict[str, Any]) -> Workspace:
    """Which installation an uninstall event is about: an org-wide install is keyed by its
    enterprise alone."""
    workspace = of_payload(body) or Workspace(None, None)
    auths = body.get("authorizations") or [{}]
    if body.get("is_enterprise_install") or auths[0].get("is_enterprise_install"):
        return Workspace(workspace.enterprise_id, None)
    return workspace
