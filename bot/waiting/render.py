"""The waiting room's DMs as Block Kit: "Pat Smith is waiting", and the summary after a call.

Plain functions from records to ``(text, blocks)``; the top-level text names who and which
session, for notifications and screen readers. Names people typed are escaped and shortened
(`bot.slack.blocks.fit`); times are Slack date tokens, so each reader sees their own zone. The
*Join now* button carries the reader's own entry link: these DMs go to that host alone. The
summary's *Book a follow-up* opens the booking form with the same people and title::

    >>> duration(timedelta(minutes=65)), duration(timedelta(seconds=20))
    ('1 h 5 min', 'under a minute')
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.slack.blocks import NAME_SHOWN, Block, context, fit, section, slack_time, title_of
from bot.storage import ParticipantRecord, SessionRecord

ANSWERED, LEFT = "answered", "left"


def name_of(participant: ParticipantRecord | None, fallback: str = "A guest") -> str:
    """Someone in mrkdwn: a mention for a Slack user, else their escaped name."""
    if participant is None:
        return fallback
    if participant.slack_user:
        return f"<@{participant.slack_user}>"
    return fit(participant.display_name, NAME_SHOWN) or fallback


def duration(length: timedelta) -> str:
    minutes = int(length.total_seconds() // 60)
    if minutes < 1:
        return "under a minute"
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def _join_button(to: ParticipantRecord, text: str, primary: bool) -> Block:
    button: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": "join",
        "url": to.entry_url,
    }
    if primary:
        button["style"] = "primary"
    return {"type": "actions", "elements": [button]}


def waiting(
    session: SessionRecord,
    to: ParticipantRecord,
    guest: ParticipantRecord | None,
    outcome: str | None = None,
    by: ParticipantRecord | None = None,
) -> tuple[str, list[Block]]:
    """The alert to host `to` that `guest` is waiting; once `outcome` is known it says so
    instead and loses its urgency: *Join now* becomes a plain *Join*, or goes.

    >>> from bot.storage import ParticipantRecord as P, SessionRecord as S
    >>> from datetime import UTC
    >>> s = S("s1", "T1", "Physio review", datetime(2030, 3, 18, 9, tzinfo=UTC),
    ...       datetime(2030, 3, 18, 9, 30, tzinfo=UTC), "U1", 10, "booked")
    >>> who = P("p1", "s1", "T1", "U1", "Dr Who", "HOST", "https://x/session/p1", None, "active")
    >>> pat = P("p2", "s1", "T1", None, "Pat Smith", "GUEST", "https://x/session/p2", None,
    ...         "active")
    >>> waiting(s, who, pat)[0]
    'Pat Smith is waiting in “Physio review”. Press Join now to let them in.'
    >>> waiting(s, who, pat, "answered", P("p3", "s1", "T1", None, "Dr No", "HOST", "", None,
    ...         "active"))[0]
    'Dr No is with Pat Smith in “Physio review”.'
    """
    guest_name = name_of(guest)
    title = title_of(session)
    starts = slack_time(session.start, "{time}")
    if outcome == ANSWERED:
        if by is not None and by.participant_id == to.participant_id:
            text = f"You're with {guest_name} in “{title}”."
        else:
            text = f"{name_of(by, 'A host')} is with {guest_name} in “{title}”."
        return text, [
            section(f":white_check_mark: {text}"),
            _join_button(to, "Join", primary=False),
        ]
    if outcome == LEFT:
        text = f"{guest_name} left the waiting room of “{title}” before anyone let them in."
        return text, [section(text)]
    text = f"{guest_name} is waiting in “{title}”. Press Join now to let them in."
    return text, [
        section(
            f":wave: *{guest_name} is waiting* in “{title}” (starts {starts}).\nNo host is in yet."
        ),
        _join_button(to, "Join now", primary=True),
        context("This Join link is yours alone: please don't share it."),
    ]


def nudge(
    session: SessionRecord, to: ParticipantRecord, host: ParticipantRecord | None
) -> tuple[str, list[Block]]:
    """The one DM to a guest on Slack who has not joined five minutes after the start, while
    a host is in: with their own Join link."""
    text = f"{name_of(host, 'Your host')} is waiting for you in “{title_of(session)}”."
    return text, [
        section(f":hourglass_flowing_sand: {text} Press Join to come in."),
        _join_button(to, "Join", primary=True),
        context("This Join link is yours alone: please don't share it."),
    ]


def live_line(
    to: ParticipantRecord, everyone: Sequence[ParticipantRecord], presence: dict[str, str]
) -> str:
    """The line an invitation shows while the session is on: who is in now. A host sees who
    is in and who is waiting; a guest only whether a host is in (as on Coviu's own page, one
    patient never learns who else is waiting).

    >>> from bot.storage import ParticipantRecord as P
    >>> who = P("p1", "s1", "T1", "U1", "Dr Who", "HOST", "", None, "active")
    >>> pat = P("p2", "s1", "T1", None, "Pat Smith", "GUEST", "", None, "active")
    >>> live_line(who, [who, pat], {"p1": "in", "p2": "waiting"})
    ':large_green_circle: In now: <@U1> (you) · Waiting: Pat Smith'
    >>> live_line(pat, [who, pat], {"p2": "waiting"})
    ':white_circle: No host is in yet.'
    """

    def named(p: ParticipantRecord) -> str:
        return name_of(p) + (" (you)" if p.participant_id == to.participant_id else "")

    inside = [p for p in everyone if presence.get(p.participant_id) == "in"]
    host_in = any(p.is_host for p in inside)
    if not to.is_host:
        return (
            ":large_green_circle: A host is in now."
            if host_in
            else (":white_circle: No host is in yet.")
        )
    waiting = [p for p in everyone if presence.get(p.participant_id) == "waiting"]
    # The guests who never came: external ones are the host's to chase.
    absent = [p for p in everyone if not p.is_host and p.participant_id not in presence]
    parts = [f"In now: {', '.join(named(p) for p in inside)}"] if inside else ["Nobody is in"]
    if waiting:
        parts.append(f"Waiting: {', '.join(named(p) for p in waiting)}")
    if absent:
        parts.append(f"Not joined yet: {', '.join(named(p) for p in absent)}")
    icon = ":large_green_circle:" if inside else ":white_circle:"
    return f"{icon} {' · '.join(parts)}"


def attendance_facts(
    lines: Sequence[tuple[str, bool, str, bool, timedelta]],
) -> dict[str, Any]:
    """What a summary DM shows, kept with it: (name in mrkdwn, is a host, Coviu's status,
    was in the call, time in the call) for each participant."""
    return {
        "people": [
            {
                "who": who,
                "host": host,
                "status": status,
                "attended": attended,
                "seconds": int(length.total_seconds()),
            }
            for who, host, status, attended, length in lines
        ]
    }


def summary(
    session: SessionRecord,
    started: datetime | None,
    ended: datetime | None,
    facts: dict[str, Any],
) -> tuple[str, list[Block]]:
    """The DM to each host after the call: when it really ran, who came and for how long,
    who never joined."""
    title = title_of(session)
    people = facts.get("people") or []
    came = [p for p in people if p["attended"]]
    waited = [p for p in people if not p["attended"] and p["status"] != "never_entered"]
    never = [p for p in people if not p["attended"] and p["status"] == "never_entered"]
    if started and ended:
        span = (
            f"{slack_time(started, '{time}')} – {slack_time(ended, '{time}')}"
            f" ({duration(ended - started)})"
        )
    else:
        span = "nobody was in the call"
    text = f"“{title}” has ended: {span}."

    def who(p: dict[str, Any]) -> str:
        return p["who"] + (" (host)" if p["host"] else "")

    lines = [f"*{title}* has ended\n:clock3: {span}"]
    if came:
        lines.append(
            "*Attended*\n"
            + "\n".join(f"• {who(p)}: {duration(timedelta(seconds=p['seconds']))}" for p in came)
        )
    if waited:
        lines.append("*Waited, never let in*\n" + "\n".join(f"• {who(p)}" for p in waited))
    if never:
        lines.append("*Never joined*\n" + "\n".join(f"• {who(p)}" for p in never))
        text += " Never joined: " + ", ".join(who(p) for p in never) + "."
    return text, [*(section(line) for line in lines), follow_up_button(session)]


FOLLOW_UP = "book_follow_up"  # the action: the booking form, with the same people and title


def follow_up_button(session: SessionRecord) -> Block:
    return {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "text": {"type": "plain_text", "text": "Book a follow-up"},
                "action_id": FOLLOW_UP,
                "value": session.session_id,
            }
        ],
    }
