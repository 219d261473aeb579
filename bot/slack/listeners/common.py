"""Helpers the listeners share: who is asking, answering them, reading their booking text."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient

from bot.booking import BookingError
from bot.booking.recurring import first_of
from bot.booking.series import choice_of, describe
from bot.slack import blocks
from bot.storage import ParticipantRecord, SessionRecord
from bot.when import ParsedBooking, parse_booking

if TYPE_CHECKING:
    from bot.app import Services

log = logging.getLogger(__name__)

SORRY = (
    "Sorry, something went wrong on my side and I couldn't finish that. "
    "Please try again in a minute."
)


def reply(respond: Callable[..., Any], text: str, body: list[blocks.Block], **options: Any) -> None:
    """Answer through `response_url`. Should Slack refuse the blocks, the text still goes,
    so nobody is left looking at a progress line."""
    answer = respond(text=text, blocks=body, **options)
    if answer.status_code != 200:
        log.warning(
            "Slack refused an answer (%s %s); sending it as text", answer.status_code, answer.body
        )
        respond(text=text, **options)


@contextmanager
def answering(reply: Callable[[str], None]) -> Iterator[None]:
    """Turn a refusal, or a failure nobody foresaw, into an answer the person sees."""
    try:
        yield
    except BookingError as error:
        reply(error.message)
    except Exception:
        log.exception("handling a Slack request failed")
        reply(SORRY)


def team_and_user(body: dict[str, Any]) -> tuple[str, str]:
    """(team id, user id) from any Slack payload: commands, actions, views and events."""
    if "user_id" in body:  # slash command
        return body["team_id"], body["user_id"]
    team = body.get("team") or {}
    user = body.get("user") or {}
    team_id = team.get("id") if isinstance(team, dict) else team
    if "event" in body:  # events API
        return body.get("team_id") or team_id, body["event"]["user"]
    return team_id or user.get("team_id"), user["id"]


MENTION = re.compile(r"<@([UW][A-Z0-9]+)")


def look_up_ahead(services: Services, team_id: str, user_id: str, text: str) -> None:
    """What a booking from `text` will need one after another, fetched side by side first:
    the booker's zone, each mentioned person's name, a Coviu token. Over a real network that
    is one round trip instead of one per person. A failure here is met again, and answered,
    where the value is needed."""
    people = dict.fromkeys([user_id, *MENTION.findall(text)])
    calls = [services.fanout.submit(services.people.display_name, team_id, u) for u in people]
    calls.append(services.fanout.submit(services.coviu.warm))
    for call in calls:
        with contextlib.suppress(Exception):
            call.result()


def parse_text(
    services: Services, team_id: str, user_id: str, text: str, said_at: datetime
) -> ParsedBooking:
    """Booking text read in the person's own time zone, from when they said it: "in an hour"
    means the same whichever worker runs the request, and however late (a rerun after a
    crash)."""
    tz = services.people.timezone(team_id, user_id)
    return parse_booking(text, said_at.astimezone(ZoneInfo(tz)), tz)


def series_once(
    services: Services, sessions: Sequence[SessionRecord]
) -> tuple[list[SessionRecord], dict[str, str]]:
    """The list as people see it: each series once, by its next session, with a line saying
    how it repeats and how many of its sessions are still to come."""
    shown, counts = first_of(list(sessions))
    notes: dict[str, str] = {}
    for session in shown:
        if session.series_id is None:
            continue
        series = services.store.series(session.series_id)
        if series is None:
            continue
        count = counts.get(session.session_id, 1)
        notes[session.session_id] = (
            f":repeat: Repeats {describe(series.rule)} at {series.rule.time} "
            f"({series.rule.zone} time). Next of {count} booked so far."
        )
    return shown, notes


def outside(services: Services, session_id: str) -> list[ParticipantRecord]:
    """The session's people from another organisation: no DM about a change reaches them."""
    return [p for p in services.booking.participants(session_id) if p.external]


def with_people(
    services: Services, sessions: Sequence[SessionRecord]
) -> dict[str, list[ParticipantRecord]]:
    return {s.session_id: services.booking.participants(s.session_id) for s in sessions}


def open_booking_form(
    services: Services,
    client: WebClient,
    trigger_id: str,
    user_id: str,
    *,
    parsed: ParsedBooking | None = None,
    external: Sequence[str] = (),
    note: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> None:
    """The booking modal, pre-filled with whatever `parsed` understood (and `external`:
    guests without Slack, named in the text)."""
    settings = services.settings
    minutes = settings.default_minutes
    start = parsed.start if parsed else None
    if parsed and parsed.start and parsed.end:
        minutes = max(1, int((parsed.end - parsed.start) / timedelta(minutes=1)))
    hosts = [user_id, *(parsed.hosts if parsed else ())]
    client.views_open(
        trigger_id=trigger_id,
        view=blocks.booking_modal(
            title=parsed.title if parsed else None,
            start=start,
            minutes=minutes,
            hosts=list(dict.fromkeys(hosts)),
            guests=list(parsed.guests) if parsed else [],
            external=list(external),
            reminders=parsed.reminders if parsed else None,
            note=note,
            metadata=metadata,
            repeat=choice_of(parsed.repeat) if parsed else None,
            repeat_count=parsed.repeat.count if parsed and parsed.repeat else None,
        ),
    )


def change_people(
    services: Services,
    verb: str,
    session_id: str,
    team_id: str,
    user_id: str,
    people: list[dict[str, str]],
    *,
    key: str,
) -> list[str]:
    """Add or remove each person; one line of outcome each (a refusal is an outcome too).
    Each person's change is a step of its own under `key`."""
    lines = []
    for index, who in enumerate(people):
        step_key = f"{key}#{index}"
        label = f"<@{who['user']}>" if who.get("user") else f"*{who.get('name')}*"
        try:
            if verb == "remove":
                removed = services.booking.remove_person(
                    session_id,
                    team_id,
                    user_id,
                    key=step_key,
                    slack_user=who.get("user"),
                    external_name=who.get("name"),
                )
                if removed.external:  # no DM reaches them: it's the host's to say
                    name = blocks.fit(removed.display_name, blocks.NAME_SHOWN)
                    lines.append(
                        f":white_check_mark: Removed {name}; their link no longer works. "
                        "They're in another organisation, so I couldn't tell them: "
                        "please let them know."
                    )
                    continue
                told = "they were told" if who.get("user") else "their link no longer works"
                lines.append(f":white_check_mark: Removed {label}; {told}.")
                continue
            added = services.booking.add_person(
                session_id,
                team_id,
                user_id,
                key=step_key,
                slack_user=who.get("user"),
                external_name=who.get("name"),
                role=who.get("role", "GUEST"),
            )
            if added.external:
                name = blocks.fit(added.display_name, blocks.NAME_SHOWN)
                lines.append(f":white_check_mark: Added {name}.")
                lines.append(blocks.no_dm_note(added, here=False))
            elif added.slack_user:
                lines.append(f":white_check_mark: Added {label}; their link is in their DMs.")
            else:
                lines.append(
                    f":white_check_mark: Added {label}. Their private link, for you to forward: "
                    f"{added.entry_url}"
                )
        except BookingError as error:
            lines.append(f":warning: {error.message}")
    return lines
