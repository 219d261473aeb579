"""Booking from text: at once when the reading is sure, a preview when it rests on a guess,
the corrected reading one click away when a word was not understood.

The same path serves `/coviu book …` and the buttons its answers carry (*Book*, *Change*, *Did
you mean Thursday?*, *Book 3:00am?*): each button carries the text and when it was said, so a
click reads it exactly as the first time ("tomorrow" stays the day it meant then)::

    book_text(ctx, team_id, user_id, text, said_at, trigger_id=..., channel=...)
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from bot.booking import DEFAULT_TITLE, EXAMPLE, BookingRequest
from bot.booking.intents import people_and_names
from bot.slack import blocks
from bot.slack.context import Context
from bot.slack.listeners.common import open_booking_form, parse_text, reply


def unescaped(text: str | None) -> str | None:
    """Slack sends `&`, `<` and `>` typed in a command as entities: Coviu gets what was typed."""
    if text is None:
        return None
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def guests_without_slack(text: str, title: str | None) -> list[str]:
    """Quoted names in the text other than the title: ``with @bob and "Pat Smith"``."""
    names = list(people_and_names(text).names)
    if title in names:
        names.remove(title)
    return names


def button_value(text: str, said_at: datetime) -> str:
    """What a button carries: the booking text and when it was said."""
    return json.dumps({"text": text, "at": said_at.isoformat()}, separators=(",", ":"))


def from_button(value: str) -> tuple[str, datetime]:
    carried = json.loads(value)
    return str(carried["text"]), datetime.fromisoformat(carried["at"])


def _answer(ctx: Context, text: str, body: list[blocks.Block]) -> None:
    """Replace the progress line (or the preview that was clicked) with this."""
    reply(ctx.respond, text, body, replace_original=True)


def book_text(
    ctx: Context,
    team_id: str,
    user_id: str,
    text: str,
    said_at: datetime,
    *,
    trigger_id: str,
    channel: str | None,
    confirmed: bool = False,
) -> None:
    """Book what `text` says — or ask, refuse, or open the form — and answer the person."""
    services = ctx.services
    parsed = parse_text(services, team_id, user_id, text, said_at)
    if parsed.error:
        message = f"{parsed.error}\nA whole booking looks like: {EXAMPLE}"
        body = blocks.not_understood(message)
        if parsed.suggestion:
            value = button_value(parsed.suggestion.text, said_at)
            body.append(blocks.suggestion_button(parsed.suggestion.message, value))
        _answer(ctx, message, body)
        return
    external = guests_without_slack(text, parsed.title)
    if parsed.start is None or not (parsed.guests or parsed.hosts) or external:
        # Guests without Slack are booked through the form, which hands their links back.
        note = (
            "Check the guests without Slack below: their links come back to you to forward."
            if external
            else "Who is the session with? Pick the guests below."
        )
        open_booking_form(
            services, ctx.client, trigger_id, user_id, parsed=parsed,
            external=[unescaped(name) or name for name in external], note=note,
            metadata={"channel": channel},
        )  # fmt: skip
        ctx.respond(delete_original=True)
        return
    end = parsed.end or parsed.start + timedelta(minutes=services.settings.default_minutes)
    tz = services.people.timezone(team_id, user_id)
    if parsed.guess and not confirmed:
        other = _other_reading(ctx, team_id, user_id, parsed, said_at)
        _answer(ctx, *blocks.preview(
            unescaped(parsed.title) or DEFAULT_TITLE, parsed.start, end,
            list(dict.fromkeys([user_id, *parsed.hosts, *parsed.guests])), parsed.guess,
            tz=tz, zone=parsed.zone, value=button_value(text, said_at), other=other,
        ))  # fmt: skip
        return
    request = BookingRequest(
        team_id=team_id,
        booked_by=user_id,
        title=unescaped(parsed.title) or DEFAULT_TITLE,
        start=parsed.start,
        end=end,
        hosts=tuple(parsed.hosts),
        guests=tuple(parsed.guests),
        reminder_minutes=services.settings.reminder_minutes,
        reminders=parsed.reminders,
    )
    if parsed.repeat is not None:
        series = services.series.book(request, parsed.repeat, key=ctx.key)
        first = series.first
        _answer(ctx, *blocks.booked_series(
            first.session, first.participants, series.series, series.created, first.undelivered,
            tz=tz,
        ))  # fmt: skip
        return
    booked = services.booking.book(request, key=ctx.key)
    _answer(ctx, *blocks.booked(booked.session, booked.participants, booked.undelivered, tz=tz))
    if ctx.respond.live:  # shown through the response_url: it can be kept true from there
        services.confirmations.keep(
            booked.session.session_id, team_id, user_id, ctx.job, ctx.respond.posts
        )


def _other_reading(
    ctx: Context, team_id: str, user_id: str, parsed: Any, said_at: datetime
) -> tuple[str, str] | None:
    """The suggestion's button, when it would book something other than the preview shows
    (a corrected word's suggestion is the preview's own reading: no second button)."""
    if parsed.suggestion is None:
        return None
    other = parse_text(ctx.services, team_id, user_id, parsed.suggestion.text, said_at)
    if other.start == parsed.start:
        return None
    return parsed.suggestion.message, button_value(parsed.suggestion.text, said_at)


def open_form_from_text(ctx: Context, body: dict[str, Any], text: str, said_at: datetime) -> None:
    """*Change*: the booking form, filled in with what the text said."""
    team_id, user_id = body["team"]["id"], body["user"]["id"]
    parsed = parse_text(ctx.services, team_id, user_id, text, said_at)
    open_booking_form(
        ctx.services, ctx.client, body["trigger_id"], user_id,
        parsed=parsed if not parsed.error else None,
        metadata={"channel": (body.get("channel") or {}).get("id")},
    )  # fmt: skip
