"""A workspace admin connects the clinic's Coviu account from App Home (multi-workspace mode).

*Connect Coviu* on the Home tab opens a form (admins only: `users.info`'s ``is_admin`` or
``is_owner``, asked afresh each time); submitting it is checked at once for blanks, then the
key and secret are tried against Coviu by a worker (`bot.workspaces.connect`) and the form
shows the outcome. The secret is sealed in the payload by the ack, before the request is
recorded as a job: the jobs table never holds it in the clear.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient

from bot.slack import account_blocks, blocks
from bot.slack.context import Context
from bot.slack.intake import Answer, Router
from bot.slack.listeners.common import team_and_user
from bot.slack.listeners.views import _errors, _working, field
from bot.workspaces import Workspace, current
from bot.workspaces.connect import ConnectError, connect

if TYPE_CHECKING:
    from bot.app import Services

ONLY_ADMINS = (
    "Only a workspace admin can connect this workspace's Coviu account. Ask one of your "
    "Slack admins to open the Coviu app's Home tab and choose *Connect Coviu*."
)


def is_admin(client: WebClient, user_id: str) -> bool:
    person = client.users_info(user=user_id).get("user") or {}
    return bool(person.get("is_admin") or person.get("is_owner"))


def register(router: Router, services: Services) -> None:
    workspaces = services.workspaces
    if workspaces is None or not services.settings.multi_workspace:
        return

    def open_form(body: dict[str, Any], ctx: Context) -> None:
        _, user_id = team_and_user(body)
        if not is_admin(ctx.client, user_id):
            ctx.respond(text=ONLY_ADMINS, response_type="ephemeral")
            return
        ctx.client.views_open(trigger_id=body["trigger_id"], view=account_blocks.connect_modal())

    router.action(account_blocks.CONNECT, work=open_form)

    def check_form(body: dict[str, Any]) -> Answer:
        view = body["view"]
        key = (field(view, "key").get("value") or "").strip()
        secret = (field(view, "secret").get("value") or "").strip()
        url = (field(view, "url").get("value") or "").strip()
        problems = {}
        if not key:
            problems["key"] = "Enter the clinic's Coviu API key."
        if not secret:
            problems["secret"] = "Enter the secret that goes with the key."
        if url and not url.startswith(("https://", "http://")):
            problems["url"] = "The address starts with https://, e.g. https://api.coviu.com/v1"
        if problems:
            return _errors(problems)
        # Sealed before the job is recorded: no secret in the clear in the database.
        field(view, "secret")["value"] = workspaces.box.seal(secret)
        return _working("Connect Coviu", "Checking the key and secret with Coviu…")

    def connect_form(body: dict[str, Any], ctx: Context) -> None:
        view = body["view"]
        team_id, user_id = team_and_user(body)

        def show(title: str, content: list[blocks.Block]) -> None:
            ctx.client.views_update(view_id=view["id"], view=blocks.result_modal(title, content))

        if not is_admin(ctx.client, user_id):
            show("Not connected", blocks.error(ONLY_ADMINS))
            return
        try:
            account = connect(
                workspaces.accounts,
                current() or Workspace(None, team_id),
                field(view, "key").get("value") or "",
                workspaces.box.open(field(view, "secret").get("value") or ""),
                field(view, "url").get("value"),
                by=user_id,
            )
        except ConnectError as error:
            show(
                "Not connected",
                blocks.error(f"{error.message} Open *Connect Coviu* on the Home tab to try again."),
            )
            return
        show(
            "Coviu connected",
            [
                blocks.section(
                    f"Connected to the Coviu account `{account.api_key}` at {account.api_url}. "
                    "Anyone here can now book: `/coviu book`."
                )
            ],
        )

    router.view(account_blocks.CONNECT, ack=check_form, work=connect_form)
