"""`/coviu`: book, list, cancel, reschedule, add, remove, help.

The ack answers at once (with a progress line where work follows); the work runs in a worker
after it, and its answer replaces the progress line through the command's `response_url`.
Every answer is ephemeral: only the person who typed the command sees it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.booking import BookingError
from bot.booking.intents import matching, people_and_names, split_verb, who_and_which
from bot.slack import blocks
from bot.slack.context import Context, Responder
from bot.slack.intake import NOTHING, Answer, Router
from bot.slack.listeners.common import (
    answering,
    change_people,
    look_up_ahead,
    open_booking_form,
    outside,
    parse_text,
    reply,
    series_once,
    team_and_user,
    with_people,
)
from bot.slack.listeners.texts import book_text
from bot.waiting.store import RoomStore

if TYPE_CHECKING:
    from bot.app import Services

PROGRESS = {
    "book": "Booking…",
    "cancel": "Looking up your sessions…",
    "reschedule": "Rescheduling…",
    "add": "Adding…",
    "remove": "Removing…",
    "list": "Looking up your sessions…",
}


def register(router: Router, services: Services) -> None:
    def acknowledge(command: dict[str, Any]) -> Answer:
        verb, _ = split_verb(command.get("text", ""))
        if verb == "help":
            return Answer({"text": "How to use /coviu", "blocks": _help(services)}, work=False)
        if verb in PROGRESS:
            return Answer({"text": PROGRESS[verb], "blocks": blocks.progress(PROGRESS[verb])})
        return Answer() if verb in HANDLERS else NOTHING

    def work(command: dict[str, Any], ctx: Context) -> None:
        verb, rest = split_verb(command.get("text", ""))
        handler = HANDLERS.get(verb)
        if handler is None:
            return
        with answering(lambda message: _reply(ctx.respond, message)):
            handler(ctx, command, rest)

    router.command("/coviu", ack=acknowledge, work=work)


def _help(services: Services) -> list[blocks.Block]:
    text = blocks.HELP.replace("{default}", str(services.settings.default_minutes))
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]


def _reply(respond: Responder, text: str, body: list[blocks.Block] | None = None) -> None:
    """Replace the progress line with the answer (an error, when no blocks are given)."""
    reply(respond, text, body or blocks.error(text), replace_original=True)


def _open_form(ctx: Context, command: dict[str, Any], rest: str) -> None:
    _, user_id = team_and_user(command)
    open_booking_form(
        ctx.services,
        ctx.client,
        command["trigger_id"],
        user_id,
        metadata={"channel": command.get("channel_id")},
    )


def _book(ctx: Context, command: dict[str, Any], text: str) -> None:
    team_id, user_id = team_and_user(command)
    look_up_ahead(ctx.services, team_id, user_id, text)
    book_text(
        ctx, team_id, user_id, text, ctx.job.created_at,
        trigger_id=command["trigger_id"], channel=command.get("channel_id"),
    )  # fmt: skip


def _list(ctx: Context, command: dict[str, Any], rest: str) -> None:
    services, respond = ctx.services, ctx.respond
    team_id, user_id = team_and_user(command)
    sessions, series = series_once(services, services.booking.upcoming(team_id, user_id))
    # As on App Home: how many guests wait now in each session the asker hosts.
    waiting = RoomStore(services.store).waiting_counts(s.session_id for s in sessions)
    body = blocks.session_list(
        sessions, with_people(services, sessions), user_id, waiting=waiting, series=series
    )
    tz = services.people.timezone(team_id, user_id)
    _reply(respond, blocks.session_list_text(sessions, tz), body)


def _hosted(
    services: Services, team_id: str, user_id: str, title: str | None, verb: str
) -> list[Any]:
    sessions = matching(services.booking.hosting(team_id, user_id), title)
    if not sessions:
        named = f" called “{title}”" if title else ""
        raise BookingError(
            f"You don't host any upcoming session{named} to {verb}. "
            "`/coviu list` shows your sessions; only hosts can change them."
        )
    return sessions


def _cancel(ctx: Context, command: dict[str, Any], rest: str) -> None:
    services, respond = ctx.services, ctx.respond
    team_id, user_id = team_and_user(command)
    found = people_and_names(rest)
    title = found.names[0] if found.names else found.rest or None
    sessions = _hosted(services, team_id, user_id, title, "cancel")
    # Never cancel straight from text: the Cancel button asks for confirmation first.
    body = blocks.session_list(
        sessions,
        with_people(services, sessions),
        user_id,
        heading="Which session do you want to cancel? You'll be asked to confirm.",
    )
    _reply(respond, "Pick the session to cancel.", body)


def _reschedule(ctx: Context, command: dict[str, Any], rest: str) -> None:
    services, respond = ctx.services, ctx.respond
    team_id, user_id = team_and_user(command)
    found = people_and_names(rest)
    title = found.names[0] if found.names else None
    if not found.rest:
        sessions = _hosted(services, team_id, user_id, title, "reschedule")
        question = "Which session do you want to reschedule?"
        picker = blocks.pick_session(question, sessions, "reschedule_session", "reschedule")
        _reply(respond, question, picker)
        return
    parsed = parse_text(services, team_id, user_id, found.rest, ctx.job.created_at)
    if parsed.error or parsed.start is None:
        raise BookingError(
            (parsed.error or "I couldn't find the new time.")
            + ' For example: `/coviu reschedule "Physio review" friday 4pm`.'
        )
    if title is None and parsed.title:
        title = parsed.title
    sessions = _hosted(services, team_id, user_id, title, "reschedule")
    if len(sessions) > 1:
        payload = {
            "start": parsed.start.isoformat(),
            "end": parsed.end.isoformat() if parsed.end else None,
        }
        question = "Which session should move?"
        _reply(
            respond,
            question,
            blocks.pick_session(question, sessions, "reschedule_to", "move", payload),
        )
        return
    moved = services.booking.reschedule(
        sessions[0].session_id, team_id, user_id, parsed.start, parsed.end, key=ctx.key
    )
    _reply(respond, *blocks.moved(moved, outside=outside(services, moved.session_id)))


def _add_or_remove(ctx: Context, command: dict[str, Any], rest: str, verb: str) -> None:
    services, respond = ctx.services, ctx.respond
    team_id, user_id = team_and_user(command)
    people, title = who_and_which(rest)
    if not people:
        example = (
            '`/coviu add @dave` or `/coviu add "Pat Smith"`'
            if verb == "add"
            else '`/coviu remove @dave` or `/coviu remove "Pat Smith"`'
        )
        raise BookingError(f"Who should I {verb}? For example: {example}.")
    hosted = _hosted(services, team_id, user_id, title, verb)
    # Offer only the sessions the change fits: adding to one they're not in yet, removing
    # from one they are in. When none fits, every one is offered, and its answer says why.
    sessions = [s for s in hosted if _fits(services, s.session_id, verb, people)] or hosted
    if len(sessions) > 1:
        question = f"Which session should I {verb} them {'to' if verb == 'add' else 'from'}?"
        _reply(
            respond,
            question,
            blocks.pick_session(question, sessions, f"{verb}_to", verb, {"people": people}),
        )
        return
    lines = change_people(
        services, verb, sessions[0].session_id, team_id, user_id, people, key=ctx.key
    )
    _reply(respond, "\n".join(lines), [blocks.section("\n".join(lines))])


def _fits(services: Services, session_id: str, verb: str, people: list[dict[str, str]]) -> bool:
    """Whether adding (or removing) these people to (from) this session changes anything."""
    present = services.booking.participants(session_id)
    users = {p.slack_user for p in present if p.slack_user}
    names = {p.display_name.casefold() for p in present if not p.slack_user}

    def is_in(who: dict[str, str]) -> bool:
        if who.get("user"):
            return who["user"] in users
        return (who.get("name") or "").casefold() in names

    if verb == "add":
        return not any(is_in(who) for who in people)
    return any(is_in(who) for who in people)


def _add(ctx: Context, command: dict[str, Any], rest: str) -> None:
    _add_or_remove(ctx, command, rest, "add")


def _remove(ctx: Context, command: dict[str, Any], rest: str) -> None:
    _add_or_remove(ctx, command, rest, "remove")


HANDLERS = {
    "": _open_form,
    "book": _book,
    "list": _list,
    "cancel": _cancel,
    "reschedule": _reschedule,
    "add": _add,
    "remove": _remove,
}
