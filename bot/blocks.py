"""Block Kit builders: every message, modal and home tab the app shows.

Plain functions from records to Slack's JSON. Times are written with Slack's date tokens
(``<!date^…>``) so every reader sees their own local time; the fallback after ``|`` is UTC.
Entry links appear only in what goes to their owner: `invite`, `reminder` and the external
guests' links in `booked` (which is shown to the booker alone).

    >>> slack_time(datetime(2030, 1, 2, 3, 4, tzinfo=UTC), "{time}")
    '<!date^1893553440^{time}|2030-01-02 03:04 UTC>'
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bot.storage import ParticipantRecord, SessionRecord

Block = dict[str, Any]

HELP = """*Book a Coviu video session*
• `/coviu book "Physio review" with @alice tomorrow 3pm for 45 min`
• `/coviu Team sync with @bob @carol thu 2-3pm`
• `/coviu book with @alice host @bob next monday at 10 for an hour`
• `/coviu` alone opens the booking form.
*Times:* `tomorrow 3pm`, `thu 2-3pm`, `in 2 hours`, `20 March at 9:30`, `3pm UTC`.
*Lengths:* `for 45 min`, `for 1.5 hours`, `(30 min)`; otherwise {default} minutes.
*People:* mentions are guests; `host @bob` makes Bob a host; you host unless you say otherwise.
*Your sessions:*
• `/coviu list` — your upcoming sessions, with Join, Reschedule and Cancel
• `/coviu reschedule "Physio review" friday 4pm`
• `/coviu cancel "Physio review"`
• `/coviu add @dave` or `/coviu add "Pat Smith"` (a guest without Slack; you get their link)
• `/coviu remove @dave` or `/coviu remove "Pat Smith"`"""


def slack_time(moment: datetime, layout: str) -> str:
    fallback = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{layout}|{fallback}>"


def when_text(session: SessionRecord) -> str:
    """``Tuesday, March 20th 3:00 PM – 3:45 PM`` in the reader's own zone."""
    return (
        f"{slack_time(session.start, '{date_long_pretty} {time}')}"
        f" – {slack_time(session.end, '{time}')}"
    )


def section(text: str, **extra: Any) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _button(
    text: str,
    action_id: str,
    value: str | None = None,
    *,
    url: str | None = None,
    style: str | None = None,
    confirm: Block | None = None,
) -> Block:
    button: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
    }
    if value is not None:
        button["value"] = value
    if url is not None:
        button["url"] = url
    if style is not None:
        button["style"] = style
    if confirm is not None:
        button["confirm"] = confirm
    return button


def _actions(*elements: Block) -> Block:
    return {"type": "actions", "elements": list(elements)}


def person(participant: ParticipantRecord) -> str:
    name = f"<@{participant.slack_user}>" if participant.slack_user else participant.display_name
    return f"{name} (host)" if participant.is_host else name


def people_text(participants: Sequence[ParticipantRecord]) -> str:
    return ", ".join(person(p) for p in participants)


def cancel_button(session: SessionRecord) -> Block:
    return _button(
        "Cancel session",
        "cancel_session",
        session.session_id,
        style="danger",
        confirm={
            "title": {"type": "plain_text", "text": "Cancel this session?"},
            "text": {
                "type": "mrkdwn",
                "text": f"“{session.title}” will be cancelled for everyone. This can't be undone.",
            },
            "confirm": {"type": "plain_text", "text": "Cancel session"},
            "deny": {"type": "plain_text", "text": "Keep it"},
            "style": "danger",
        },
    )


def host_buttons(session: SessionRecord) -> list[Block]:
    return [
        _button("Reschedule", "reschedule_session", session.session_id),
        _button("Add person", "add_person", session.session_id),
        cancel_button(session),
    ]


def session_summary(session: SessionRecord, participants: Sequence[ParticipantRecord]) -> Block:
    return section(f"*{session.title}*\n{when_text(session)}\nWith {people_text(participants)}")


# -- messages -------------------------------------------------------------------------------


def invite(
    session: SessionRecord, to: ParticipantRecord, everyone: Sequence[ParticipantRecord]
) -> tuple[str, list[Block]]:
    """The DM that gives a participant their own entry link."""
    others = [p for p in everyone if p.participant_id != to.participant_id]
    role = "host" if to.is_host else "guest"
    text = f"You're invited to “{session.title}” as a {role}."
    buttons = [_button("Join", "join", session.session_id, url=to.entry_url, style="primary")]
    if to.is_host:
        buttons += host_buttons(session)
    return text, [
        section(f"{text}\n*{session.title}*\n{when_text(session)}"),
        context(
            f"With {people_text(others) or 'nobody else yet'}. "
            "This Join link is yours alone: please don't share it."
        ),
        _actions(*buttons),
    ]


def reminder(session: SessionRecord, to: ParticipantRecord) -> tuple[str, list[Block]]:
    starts = slack_time(session.start, "{date_short_pretty} at {time}")
    text = f"Reminder: “{session.title}” starts {starts}."
    return text, [
        section(f":alarm_clock: {text}"),
        _actions(_button("Join", "join", session.session_id, url=to.entry_url, style="primary")),
    ]


CHANGES = {
    "cancelled": "“{title}” on {when} was cancelled by <@{by}>.",
    "rescheduled": "<@{by}> moved “{title}” to {when}. Your Join link stays the same.",
    "removed": "<@{by}> removed you from “{title}” on {when}. Your link no longer works.",
}


def changed(
    session: SessionRecord, to: ParticipantRecord, change: str, by: str
) -> tuple[str, list[Block]]:
    text = CHANGES[change].format(title=session.title, when=when_text(session), by=by)
    blocks = [section(text)]
    if change == "rescheduled":
        blocks.append(
            _actions(_button("Join", "join", session.session_id, url=to.entry_url, style="primary"))
        )
    return text, blocks


def moved(session: SessionRecord) -> tuple[str, list[Block]]:
    """The host's confirmation that a session moved."""
    text = f"Moved “{session.title}” to {when_text(session)}. Everyone was told."
    return text, [section(f":white_check_mark: {text}")]


def booked(
    session: SessionRecord,
    participants: Sequence[ParticipantRecord],
    undelivered: Sequence[ParticipantRecord] = (),
) -> tuple[str, list[Block]]:
    """The booker's private confirmation. External guests' links are listed here to forward."""
    text = f"Booked “{session.title}”."
    blocks = [
        section(f":white_check_mark: {text}"),
        session_summary(session, participants),
    ]
    for guest in (p for p in participants if p.slack_user is None):
        blocks.append(
            section(
                f"Link for *{guest.display_name}* (no Slack account) — forward it to them "
                f"privately:\n{guest.entry_url}"
            )
        )
    if undelivered:
        blocks.append(
            context(
                ":warning: I couldn't DM "
                + people_text(undelivered)
                + "; their links are in the session. Try `/coviu list` later or add them again."
            )
        )
    blocks.append(context("Everyone on Slack has been sent their own Join link by DM."))
    blocks.append(_actions(*host_buttons(session)))
    return text, blocks


def session_list(
    sessions: Sequence[SessionRecord],
    participants: dict[str, list[ParticipantRecord]],
    viewer: str,
    *,
    empty: str = "You have no upcoming sessions. Book one with `/coviu book …` or `/coviu`.",
    heading: str | None = None,
    limit: int = 15,
) -> list[Block]:
    """The viewer's sessions, soonest first. Slack takes at most 50 blocks in a message (100
    in a view) and each session takes three, so past `limit` the rest are counted, not shown."""
    if not sessions:
        return [section(empty)]
    blocks: list[Block] = [section(heading or f"*Your upcoming sessions* ({len(sessions)})")]
    for session in sessions[:limit]:
        people = participants[session.session_id]
        me = next((p for p in people if p.slack_user == viewer), None)
        blocks.append({"type": "divider"})
        blocks.append(session_summary(session, people))
        buttons: list[Block] = []
        if me is not None:
            buttons.append(
                _button("Join", "join", session.session_id, url=me.entry_url, style="primary")
            )
            if me.is_host:
                buttons += host_buttons(session)
        if buttons:
            blocks.append(_actions(*buttons))
    if len(sessions) > limit:
        later = len(sessions) - limit
        blocks.append(context(f"…and {later} later session{'s' if later > 1 else ''} not shown."))
    return blocks


def pick_session(
    question: str,
    sessions: Sequence[SessionRecord],
    action_id: str,
    verb: str,
    payload: dict[str, Any] | None = None,
) -> list[Block]:
    """Ask which session to act on: one button per session, carrying what to do. Without a
    payload a button's value is the bare session id, as on the session's own buttons, so the
    same listener serves both."""
    blocks: list[Block] = [section(question)]
    for session in sessions[:48]:  # within Slack's 50 blocks, with the question
        value = (
            json.dumps({"session_id": session.session_id, **payload})
            if payload is not None
            else session.session_id
        )
        blocks.append(
            section(
                f"*{session.title}*\n{when_text(session)}",
                accessory=_button(verb.capitalize(), action_id, value),
            )
        )
    return blocks


def error(message: str) -> list[Block]:
    return [section(f":warning: {message}")]


def not_understood(message: str) -> list[Block]:
    """What was wrong with some booking text, and the form as a way out."""
    return [*error(message), _actions(_button("Open the booking form", "open_booking"))]


def progress(message: str) -> list[Block]:
    return [context(f":hourglass_flowing_sand: {message}")]


# -- modals and home ------------------------------------------------------------------------

LENGTHS = (15, 20, 30, 45, 60, 90, 120)


def _option(text: str, value: str) -> Block:
    return {"text": {"type": "plain_text", "text": text}, "value": value}


def _length_option(minutes: int) -> Block:
    label = (
        f"{minutes} minutes"
        if minutes < 60 or minutes % 60
        else f"{minutes // 60} hour" + ("s" if minutes > 60 else "")
    )
    return _option(label, str(minutes))


def _input(
    block_id: str, label: str, element: Block, *, optional: bool = False, hint: str | None = None
) -> Block:
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": label},
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = {"type": "plain_text", "text": hint}
    return block


def _modal(
    callback_id: str, title: str, submit: str, blocks: list[Block], metadata: dict[str, Any]
) -> Block:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": submit},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json.dumps(metadata),
        "blocks": blocks,
    }


def _with_initial(element: Block, key: str, value: Any) -> Block:
    """`element` pre-filled with `value`, or left empty when there is nothing to show."""
    return {**element, key: value} if value not in (None, "", [], ()) else element


def _datetime_picker(start: datetime | None) -> Block:
    picker = {"type": "datetimepicker", "action_id": "value"}
    return _with_initial(picker, "initial_date_time", int(start.timestamp()) if start else None)


def _length_select(minutes: int) -> Block:
    return {
        "type": "static_select",
        "action_id": "value",
        "options": [_length_option(m) for m in sorted(set(LENGTHS) | {minutes})],
        "initial_option": _length_option(minutes),
    }


def _users_picker(users: Sequence[str]) -> Block:
    return _with_initial(
        {"type": "multi_users_select", "action_id": "value"}, "initial_users", list(users)
    )


def booking_modal(
    *,
    title: str | None = None,
    start: datetime | None = None,
    minutes: int = 30,
    hosts: Sequence[str] = (),
    guests: Sequence[str] = (),
    external: Sequence[str] = (),
    reminder_minutes: int = 10,
    note: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> Block:
    """The booking form, pre-filled with whatever was understood."""
    name = {
        "type": "plain_text_input",
        "action_id": "value",
        "placeholder": {"type": "plain_text", "text": "Physio review"},
    }
    outside = {
        "type": "plain_text_input",
        "action_id": "value",
        "multiline": True,
        "placeholder": {"type": "plain_text", "text": "One name per line"},
    }
    reminder = {
        "type": "number_input",
        "action_id": "value",
        "is_decimal_allowed": False,
        "min_value": "0",
        "max_value": "1440",
        "initial_value": str(reminder_minutes),
    }
    blocks = [context(f":information_source: {note}")] if note else []
    blocks += [
        _input("title", "Session name", _with_initial(name, "initial_value", title), optional=True),
        _input("when", "Date and time", _datetime_picker(start)),
        _input("length", "Length", _length_select(minutes)),
        _input("hosts", "Hosts", _users_picker(hosts)),
        _input("guests", "Guests on Slack", _users_picker(guests), optional=True),
        _input(
            "external",
            "Guests without Slack",
            _with_initial(outside, "initial_value", "\n".join(external)),
            optional=True,
            hint="You'll get their private links to forward.",
        ),
        _input("reminder", "Reminder (minutes before)", reminder),
    ]
    return _modal("book", "Book a Coviu session", "Book", blocks, metadata or {})


def reschedule_modal(session: SessionRecord, metadata: dict[str, Any]) -> Block:
    minutes = int((session.end - session.start).total_seconds() // 60)
    blocks = [
        section(f"*{session.title}*\nNow: {when_text(session)}"),
        _input("when", "New date and time", _datetime_picker(session.start)),
        _input("length", "Length", _length_select(minutes)),
    ]
    return _modal(
        "reschedule",
        "Reschedule",
        "Move it",
        blocks,
        {"session_id": session.session_id, **metadata},
    )


def add_person_modal(session: SessionRecord, metadata: dict[str, Any]) -> Block:
    role = {
        "type": "static_select",
        "action_id": "value",
        "options": [_option("Guest", "GUEST"), _option("Host", "HOST")],
        "initial_option": _option("Guest", "GUEST"),
    }
    blocks = [
        section(f"*{session.title}*\n{when_text(session)}"),
        _input(
            "user",
            "Someone on Slack",
            {"type": "users_select", "action_id": "value"},
            optional=True,
        ),
        _input(
            "external",
            "Or a guest without Slack (name)",
            {"type": "plain_text_input", "action_id": "value"},
            optional=True,
        ),
        _input("role", "Role", role),
    ]
    return _modal(
        "add_person", "Add a person", "Add", blocks, {"session_id": session.session_id, **metadata}
    )


def result_modal(title: str, blocks: list[Block]) -> Block:
    return {
        "type": "modal",
        "callback_id": "result",
        "title": {"type": "plain_text", "text": title[:24]},
        "close": {"type": "plain_text", "text": "Done"},
        "blocks": blocks,
    }


def home(
    sessions: Sequence[SessionRecord],
    participants: dict[str, list[ParticipantRecord]],
    viewer: str,
) -> Block:
    return {
        "type": "home",
        "blocks": [
            section(
                "*Coviu video sessions*",
                accessory=_button("Book a session", "open_booking", style="primary"),
            ),
            *session_list(sessions, participants, viewer, limit=30),
            context("Tip: `/coviu help` shows everything you can type."),
        ],
    }
