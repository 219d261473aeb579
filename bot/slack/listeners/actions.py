"""Buttons on the app's messages, lists and home tab.

Every button is acked at once; its work runs in a worker right after. Buttons that open a
modal use the click's `trigger_id` (valid for three seconds); buttons that change a session
answer through the message's `response_url`, privately to whoever clicked.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.booking import BookingError
from bot.slack import blocks
from bot.slack.context import Context, Responder
from bot.slack.intake import NOTHING, Router
from bot.slack.listeners.common import (
    answering,
    change_people,
    open_booking_form,
    outside,
    reply,
    team_and_user,
)
from bot.slack.listeners.texts import book_text, from_button, open_form_from_text
from bot.storage import ParticipantRecord
from bot.waiting.render import FOLLOW_UP

if TYPE_CHECKING:
    from bot.app import Services


def _value(body: dict[str, Any]) -> str:
    return body["actions"][0].get("value") or ""


def _private(respond: Responder, text: str, body: list[blocks.Block] | None = None) -> None:
    """A new message only the clicker sees; the message clicked stays as it was."""
    reply(
        respond,
        text,
        body or [blocks.section(text)],
        response_type="ephemeral",
        replace_original=False,
    )


def _refusal(respond: Responder) -> Any:
    return lambda message: _private(respond, message, blocks.error(message))


def register(router: Router, services: Services) -> None:
    # Join buttons are links; Slack still tells the app about the click.
    router.action("join", ack=lambda _: NOTHING)

    def open_booking(body: dict[str, Any], ctx: Context) -> None:
        _, user_id = team_and_user(body)
        open_booking_form(services, ctx.client, body["trigger_id"], user_id)

    router.action("open_booking", work=open_booking)

    def cancel(body: dict[str, Any], ctx: Context) -> None:
        team_id, user_id = team_and_user(body)
        with answering(_refusal(ctx.respond)):
            session = services.booking.cancel(_value(body), team_id, user_id, ctx.key)
            others = outside(services, session.session_id)
            said = blocks.told(others) if others else "Everyone in it was told."
            _private(ctx.respond, f"Cancelled “{blocks.title_of(session)}”. {said}")

    router.action("cancel_session", work=cancel)

    def cancel_following(body: dict[str, Any], ctx: Context) -> None:
        team_id, user_id = team_and_user(body)
        with answering(_refusal(ctx.respond)):
            session, count = services.series.cancel_following(
                _value(body), team_id, user_id, ctx.key
            )
            _private(ctx.respond, *blocks.series_cut(session, count))

    router.action("cancel_following", work=cancel_following)
    # Calendar buttons are links, like Join.
    for link in ("calendar_ics", "calendar_google", "calendar_outlook"):
        router.action(link, ack=lambda _: NOTHING)

    def modal_opener(build: str) -> Any:
        def open_modal(body: dict[str, Any], ctx: Context) -> None:
            team_id, user_id = team_and_user(body)
            session = None
            with answering(_refusal(ctx.respond)):
                session = services.booking.session_for_host(_value(body), team_id, user_id)
            if session is None:
                return
            metadata = {"channel": (body.get("channel") or {}).get("id")}
            view = (
                blocks.reschedule_modal(session, metadata)
                if build == "reschedule"
                else blocks.add_person_modal(session, metadata)
            )
            ctx.client.views_open(trigger_id=body["trigger_id"], view=view)

        return open_modal

    router.action("reschedule_session", work=modal_opener("reschedule"))
    router.action("add_person", work=modal_opener("add"))

    def reschedule_to(body: dict[str, Any], ctx: Context) -> None:
        team_id, user_id = team_and_user(body)
        choice = json.loads(_value(body))
        end = datetime.fromisoformat(choice["end"]) if choice.get("end") else None
        start = datetime.fromisoformat(choice["start"])
        with answering(_refusal(ctx.respond)):
            moved = services.booking.reschedule(
                choice["session_id"], team_id, user_id, start, end, key=ctx.key
            )
            _private(ctx.respond, *blocks.moved(moved, outside=outside(services, moved.session_id)))

    router.action("reschedule_to", work=reschedule_to)

    def people_changer(verb: str) -> Any:
        def change(body: dict[str, Any], ctx: Context) -> None:
            team_id, user_id = team_and_user(body)
            choice = json.loads(_value(body))
            with answering(_refusal(ctx.respond)):
                lines = change_people(
                    services,
                    verb,
                    choice["session_id"],
                    team_id,
                    user_id,
                    choice["people"],
                    key=ctx.key,
                )
                _private(ctx.respond, "\n".join(lines))

        return change

    router.action("add_to", work=people_changer("add"))
    router.action("remove_to", work=people_changer("remove"))

    def text_booker(confirmed: bool) -> Any:
        """*Book* on a preview (confirmed), or a suggested reading (asked about if need be)."""

        def book(body: dict[str, Any], ctx: Context) -> None:
            team_id, user_id = team_and_user(body)
            text, said_at = from_button(_value(body))
            with answering(_refusal(ctx.respond)):
                book_text(
                    ctx, team_id, user_id, text, said_at, confirmed=confirmed,
                    trigger_id=body["trigger_id"],
                    channel=(body.get("channel") or {}).get("id"),
                )  # fmt: skip

        return book

    router.action("book_confirmed", work=text_booker(confirmed=True))
    router.action("book_suggested", work=text_booker(confirmed=False))

    def change(body: dict[str, Any], ctx: Context) -> None:
        open_form_from_text(ctx, body, *from_button(_value(body)))

    router.action("change_booking", work=change)

    def follow_up(body: dict[str, Any], ctx: Context) -> None:
        """*Book a follow-up* on the after-call summary: the form, with the same people."""
        team_id, user_id = team_and_user(body)
        with answering(_refusal(ctx.respond)):
            was = services.booking.follow_up(_value(body), team_id, user_id)
            ctx.client.views_open(
                trigger_id=body["trigger_id"],
                view=blocks.booking_modal(
                    title=was.title,
                    minutes=max(1, int((was.end - was.start).total_seconds() // 60)),
                    hosts=was.hosts,
                    guests=was.guests,
                    external=was.external_guests,
                    reminders=was.reminders,
                    note=f"A follow-up to “{blocks.fit(was.title, blocks.TITLE_SHOWN)}”: "
                    "pick its date and time.",
                ),
            )

    router.action(FOLLOW_UP, work=follow_up)

    def copy_link(body: dict[str, Any], ctx: Context) -> None:
        """A guest's link again, for a host: ephemeral answers don't last across devices."""
        team_id, user_id = team_and_user(body)
        wanted = json.loads(_value(body))
        with answering(_refusal(ctx.respond)):
            session = services.booking.session_for_host(wanted["session_id"], team_id, user_id)
            guest = _guest(services.booking.participants(session.session_id), wanted["guest"])
            tz = services.people.timezone(team_id, user_id)
            ctx.client.views_open(
                trigger_id=body["trigger_id"], view=blocks.link_modal(session, guest, tz=tz)
            )

    for index in range(blocks.COPY_LINKS):
        router.action(f"copy_link_{index}", work=copy_link)


def _guest(participants: list[ParticipantRecord], digest: str) -> ParticipantRecord:
    for person in participants:
        if blocks.needs_forwarding(person) and blocks.guest_digest(person.participant_id) == digest:
            return person
    raise BookingError("That guest is no longer in the session.")
