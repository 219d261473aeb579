"""Buttons on the app's messages, lists and home tab.

Every button is acked at once; its work runs lazily right after. Buttons that open a modal use
the click's `trigger_id` (valid for three seconds); buttons that change a session answer through
the message's `response_url`, privately to whoever clicked.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot import blocks
from bot.listeners.common import (
    answering,
    change_people,
    open_booking_form,
    reply,
    team_and_user,
)

if TYPE_CHECKING:
    from bot.app import Services


def _value(body: dict[str, Any]) -> str:
    return body["actions"][0].get("value") or ""


def _private(respond: Respond, text: str, body: list[blocks.Block] | None = None) -> None:
    """A new message only the clicker sees; the message clicked stays as it was."""
    reply(
        respond,
        text,
        body or [blocks.section(text)],
        response_type="ephemeral",
        replace_original=False,
    )


def _refusal(respond: Respond) -> Any:
    return lambda message: _private(respond, message, blocks.error(message))


def register(app: App, services: Services) -> None:
    def just_ack(ack: Ack) -> None:
        ack()

    # Join buttons are links; Slack still tells the app about the click.
    app.action("join")(just_ack)

    # The app answers Slack as soon as ack() returns (process_before_response), so every
    # listener that calls Slack or Coviu does it lazily, after the answer.
    def open_booking(body: dict[str, Any], client: WebClient) -> None:
        _, user_id = team_and_user(body)
        open_booking_form(services, client, body["trigger_id"], user_id)

    app.action("open_booking")(ack=just_ack, lazy=[open_booking])

    def cancel(body: dict[str, Any], respond: Respond) -> None:
        team_id, user_id = team_and_user(body)
        with answering(_refusal(respond)):
            session = services.booking.cancel(_value(body), team_id, user_id)
            _private(respond, f"Cancelled “{session.title}”. Everyone in it was told.")

    app.action("cancel_session")(ack=just_ack, lazy=[cancel])

    def modal_opener(build: str) -> Any:
        def open_modal(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
            team_id, user_id = team_and_user(body)
            session = None
            with answering(_refusal(respond)):
                session = services.booking.session_for_host(_value(body), team_id, user_id)
            if session is None:
                return
            metadata = {"channel": (body.get("channel") or {}).get("id")}
            view = (
                blocks.reschedule_modal(session, metadata)
                if build == "reschedule"
                else blocks.add_person_modal(session, metadata)
            )
            client.views_open(trigger_id=body["trigger_id"], view=view)

        return open_modal

    app.action("reschedule_session")(ack=just_ack, lazy=[modal_opener("reschedule")])
    app.action("add_person")(ack=just_ack, lazy=[modal_opener("add")])

    def reschedule_to(body: dict[str, Any], respond: Respond) -> None:
        team_id, user_id = team_and_user(body)
        choice = json.loads(_value(body))
        end = datetime.fromisoformat(choice["end"]) if choice.get("end") else None
        start = datetime.fromisoformat(choice["start"])
        with answering(_refusal(respond)):
            moved = services.booking.reschedule(choice["session_id"], team_id, user_id, start, end)
            _private(respond, *blocks.moved(moved))

    app.action("reschedule_to")(ack=just_ack, lazy=[reschedule_to])

    def people_changer(verb: str) -> Any:
        def change(body: dict[str, Any], respond: Respond) -> None:
            team_id, user_id = team_and_user(body)
            choice = json.loads(_value(body))
            with answering(_refusal(respond)):
                lines = change_people(
                    services, verb, choice["session_id"], team_id, user_id, choice["people"]
                )
                _private(respond, "\n".join(lines))

        return change

    app.action("add_to")(ack=just_ack, lazy=[people_changer("add")])
    app.action("remove_to")(ack=just_ack, lazy=[people_changer("remove")])
