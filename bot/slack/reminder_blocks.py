"""Block Kit for reminders: the DM before a session (with snooze), the "Starting now" DM,
the morning list, and the reminder settings on App Home.

Like `bot.slack.blocks`, plain functions from records to Slack's JSON; the Join buttons carry
the reader's own entry link, so each of these goes to its owner alone. Snooze buttons carry
the session id and the lead time, never a participant id (the link's secret): the click is
matched to the clicker's own reminder.

    >>> lead_label(1440), lead_label(90), lead_label(5), leads_label(())
    ('1 day', '1 hr 30 min', '5 min', 'no reminder')
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from bot.booking.snooze import SNOOZE_MINUTES
from bot.slack.blocks import (
    Block,
    Zone,
    _actions,
    _button,
    _gone,
    _option,
    context,
    escape,
    section,
    slack_time,
    title_of,
)
from bot.storage import ParticipantRecord, SessionRecord

# What the form's and App Home's reminder pickers offer, in minutes before the start.
LEAD_CHOICES = (5, 10, 15, 30, 60, 120, 1440)
NO_REMINDER = "none"
MORNING_CHOICES = ("off", "06:00", "07:00", "07:30", "08:00", "08:30", "09:00", "10:00")
MORNING_SHOWN = 20  # sessions listed in one morning DM (three blocks each, 50 at most)


def lead_label(minutes: int) -> str:
    """Minutes before, as people say it."""
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} day{'s' if days > 1 else ''}"] if days else []
    parts += [f"{hours} hr"] if hours else []
    parts += [f"{mins} min"] if mins or not parts else []
    return " ".join(parts)


def leads_label(leads: Sequence[int]) -> str:
    shown = [lead_label(m) for m in leads if m > 0]
    return " and ".join(shown) + " before" if shown else "no reminder"


def lead_options(leads: Sequence[int] = ()) -> list[Block]:
    """The choices of a reminder picker: the usual lead times (and any other already chosen)
    and "No reminder"."""
    minutes = sorted({*LEAD_CHOICES, *(m for m in leads if m > 0)})
    return [_option(f"{lead_label(m)} before", str(m)) for m in minutes] + [
        _option("No reminder", NO_REMINDER)
    ]


def chosen_options(leads: Sequence[int] | None) -> list[Block]:
    if leads is None:
        return []
    if not leads:
        return [_option("No reminder", NO_REMINDER)]
    return [_option(f"{lead_label(m)} before", str(m)) for m in sorted(leads) if m > 0]


def leads_from_options(values: Sequence[str]) -> tuple[int, ...] | None:
    """What a reminder picker's choices mean: None when nothing is picked (the default),
    () for "No reminder" (which wins over any lead picked with it).

    >>> leads_from_options([]), leads_from_options(["10", "60"]), leads_from_options(["none"])
    (None, (60, 10), ())
    """
    if not values:
        return None
    if NO_REMINDER in values:
        return ()
    return tuple(sorted({int(v) for v in values if v.isdigit() and int(v) > 0}, reverse=True))


def snooze_value(session: SessionRecord, lead: int, to: str) -> str:
    return json.dumps({"session_id": session.session_id, "lead": lead, "to": to})


def _join(session: SessionRecord, to: ParticipantRecord) -> Block:
    return _button("Join", "join", session.session_id, url=to.entry_url, style="primary")


def reminder(
    session: SessionRecord,
    to: ParticipantRecord,
    *,
    lead: int = 10,
    tz: Zone = None,
    snoozed_until: datetime | None = None,
) -> tuple[str, list[Block]]:
    """The DM before a session, with *Remind me in 5 min* and *At the start*. While
    snoozed it says when it comes back; a cancelled session (or a removed reader) shows as
    such, without buttons."""
    if session.cancelled or not to.active:
        return _gone(session, tz)
    starts = slack_time(session.start, "{date_short_pretty} at {time}", tz)
    text = f"Reminder: “{title_of(session)}” starts {starts}. Press Join to come in."
    if snoozed_until is not None:
        back = (
            "at the start"
            if snoozed_until >= session.start
            else slack_time(snoozed_until, "at {time}", tz)
        )
        return text, [
            section(f":zzz: {text}"),
            context(f"Snoozed: I'll remind you again {back}."),
            _actions(_join(session, to)),
        ]
    # Snoozing too late is refused when pressed, with what works instead (`bot.booking.snooze`).
    buttons = [
        _join(session, to),
        _button(
            f"Remind me in {SNOOZE_MINUTES} min",
            "snooze_reminder",
            snooze_value(session, lead, "later"),
        ),
        _button("At the start", "snooze_to_start", snooze_value(session, lead, "start")),
    ]
    return text, [section(f":alarm_clock: {text}"), _actions(*buttons)]


def starting_now(
    session: SessionRecord, to: ParticipantRecord, *, tz: Zone = None
) -> tuple[str, list[Block]]:
    """The DM at the start time, for someone not yet in."""
    if session.cancelled or not to.active:
        return _gone(session, tz)
    text = f"“{title_of(session)}” is starting now. Press Join to come in."
    return text, [section(f":arrow_forward: {text}"), _actions(_join(session, to))]


def morning_list(
    sessions: Sequence[SessionRecord],
    mine: dict[str, ParticipantRecord],
    *,
    tz: Zone = None,
) -> tuple[str, list[Block]]:
    """Today's sessions for one person, each with their own Join button."""
    count = f"{len(sessions)} session{'s' if len(sessions) != 1 else ''}"
    first = sessions[0]
    text = (
        f"Today you have {count}; the first is “{title_of(first)}” "
        f"{slack_time(first.start, 'at {time}', tz)}."
    )
    body: list[Block] = [section(f":sunrise: *Today's sessions* ({len(sessions)})")]
    for session in sessions[:MORNING_SHOWN]:
        when = (
            f"{slack_time(session.start, '{time}', tz)} – {slack_time(session.end, '{time}', tz)}"
        )
        body.append(
            section(
                f"*{title_of(session)}*\n{when}", accessory=_join(session, mine[session.session_id])
            )
        )
    if len(sessions) > MORNING_SHOWN:
        body.append(context(f"…and {len(sessions) - MORNING_SHOWN} more: `/coviu list` shows all."))
    body.append(context("Change when this comes, or turn it off, in the app's Home tab."))
    return text, body


def settings_blocks(leads: tuple[int, ...] | None, default: int, morning: str) -> list[Block]:
    """App Home's reminder settings: the viewer's own lead times and morning list."""
    shown = leads_label(leads) if leads is not None else f"{lead_label(default)} before (default)"
    morning_text = "off" if morning == "off" else f"at {escape(morning)} your time"
    lead_picker: Block = {
        "type": "multi_static_select",
        "action_id": "set_reminders",
        "placeholder": {"type": "plain_text", "text": "Remind me…"},
        "options": lead_options(leads or ()),
    }
    if chosen := chosen_options(leads):
        lead_picker["initial_options"] = chosen
    morning_picker: Block = {
        "type": "static_select",
        "action_id": "set_morning",
        "options": [_morning_option(m) for m in sorted({*MORNING_CHOICES, morning})],
        "initial_option": _morning_option(morning),
    }
    return [
        {"type": "divider"},
        section(
            "*Your reminders*\n"
            f"Before each session: {shown}, then a “Starting now” DM if you're not in yet. "
            "A booking that names its own reminders (`remind 1 day and 10 min before`) uses "
            "those instead."
        ),
        {"type": "actions", "block_id": "reminder_settings", "elements": [lead_picker]},
        section(f"*Today's sessions* by DM each morning: {morning_text}."),
        {"type": "actions", "block_id": "morning_settings", "elements": [morning_picker]},
    ]


def _morning_option(value: str) -> Block:
    return _option("Off" if value == "off" else value, value)
