"""Reminder buttons and settings: *Remind me in 5 min* / *At the start* on a reminder DM,
and each person's reminder lead times and morning list on App Home.

A snooze is the same reminder due again: its DM is updated in place at once to say when it
comes back, and again when it does (`bot.jobs.reminders`), never posted twice. The button
carries the session and the lead time, and the clicker's own reminder is the one snoozed,
so nobody can snooze someone else's.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from bot.booking import BookingError
from bot.booking.snooze import snoozed_until
from bot.slack import reminder_blocks
from bot.slack.context import Context
from bot.slack.intake import Router
from bot.slack.listeners.common import answering, reply, team_and_user
from bot.slack.listeners.events import publish_home
from bot.storage.personal import PersonalStore
from bot.storage.store import reminder_id_of

if TYPE_CHECKING:
    from bot.app import Services


def register(router: Router, services: Services) -> None:
    personal = PersonalStore(services.store)

    def snooze(body: dict[str, Any], ctx: Context) -> None:
        team_id, user_id = team_and_user(body)
        channel = (body.get("channel") or {}).get("id")
        ts = (body.get("container") or {}).get("message_ts")

        def refuse(message: str) -> None:
            reply(
                ctx.respond,
                message,
                [reminder_blocks.section(f":warning: {message}")],
                response_type="ephemeral",
                replace_original=False,
            )

        with answering(refuse):
            choice = json.loads(body["actions"][0].get("value") or "{}")
            session = services.store.session(str(choice.get("session_id")))
            me = session and services.booking.own_participant(
                session.session_id, team_id, user_id
            )
            if session is None or me is None or not me.active:
                raise BookingError("That reminder isn't yours, or its session is gone.")
            # From when Slack delivered the click: a rerun after a crash snoozes the same.
            due = snoozed_until(session, ctx.job.created_at, str(choice.get("to")))
            lead = int(choice.get("lead") or 0)
            if not services.store.snooze(
                reminder_id_of(me.participant_id, lead), due, at_start=choice.get("to") == "start"
            ):
                raise BookingError(
                    "There's nothing to snooze: that reminder is already snoozed to the start, "
                    "or the session moved and it will come again before the new time."
                )
            services.schedule_changed()
            if channel and ts:
                tz = services.people.timezone(team_id, user_id)
                message = reminder_blocks.reminder(
                    session, me, lead=lead, tz=tz, snoozed_until=due
                )
                ctx.client.chat_update(channel=channel, ts=ts, text=message[0], blocks=message[1])

    router.action("snooze_reminder", work=snooze)
    router.action("snooze_to_start", work=snooze)

    def set_reminders(body: dict[str, Any], ctx: Context) -> None:
        team_id, user_id = team_and_user(body)
        picked = body["actions"][0].get("selected_options") or []
        leads = reminder_blocks.leads_from_options([o.get("value", "") for o in picked])
        if leads is None:  # nothing picked: back to the app's default
            personal.clear_reminders(team_id, user_id)
        else:
            personal.save(team_id, user_id, reminders=leads)
        # Sessions already booked follow the new choice, unless they name their own.
        services.store.replan_reminders_of(team_id, user_id, services.clock())
        services.schedule_changed()
        publish_home(services, ctx.client, team_id, user_id)

    router.action("set_reminders", work=set_reminders)

    def set_morning(body: dict[str, Any], ctx: Context) -> None:
        team_id, user_id = team_and_user(body)
        choice = (body["actions"][0].get("selected_option") or {}).get("value", "")
        if choice in reminder_blocks.MORNING_CHOICES:
            personal.save(team_id, user_id, morning=choice)
        publish_home(services, ctx.client, team_id, user_id)

    router.action("set_morning", work=set_morning)
