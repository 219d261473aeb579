"""Block Kit builders: every message, modal and home tab the app shows.

Plain functions from records to Slack's JSON. Times are written with Slack's date tokens
(``<!date^…>``) so every reader sees their own local time; the fallback after ``|`` (what
clients that can't render the token show) is in the reader's zone when a builder is given
`tz`, else UTC. Entry links appear only in what goes to their owner: `invite`, the reminders
(`bot.slack.reminder_blocks`) and
the external guests' links in `booked` (which is shown to the booker alone).

Everything a person typed (titles, names of guests without Slack) is escaped for mrkdwn and
shortened to fit Slack's Block Kit limits: a title is ellipsised, never the time. Every
message's top-level ``text`` (what notifications and screen readers read) names the session,
says when, and what to do.

    >>> slack_time(datetime(2030, 1, 2, 3, 4, tzinfo=UTC), "{date_short} {time}")
    '<!date^1893553440^{date_short} {time}|Wed 2 Jan 2030, 3:04 AM UTC>'
    >>> slack_time(datetime(2030, 1, 2, 3, 4, tzinfo=UTC), "{time}", tz="Australia/Sydney")
    '<!date^1893553440^{time}|2:04 PM AEDT>'
    >>> escape("Q&A <urgent>")
    'Q&amp;A &lt;urgent&gt;'
    >>> fit("Physiotherapy review", 10)
    'Physiothe…'
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.booking import BookingError
from bot.booking import series as rules
from bot.calendar import CalendarLinks
from bot.storage import ParticipantRecord, SessionRecord
from bot.storage.store import SeriesRecord

Block = dict[str, Any]
Zone = str | tzinfo | None  # an IANA name, a tzinfo, or None for UTC

# Block Kit's limits (https://api.slack.com/reference/block-kit), as the builders apply them.
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
SECTION_TEXT = 3000
CONTEXT_TEXT = 3000
BUTTON_VALUE = 2000
BUTTON_URL = 3000
MAX_SERIES = 366  # sessions in a series, as the parser allows: up to a year of days
CONFIRM_TEXT = 300
MODAL_TITLE = 24
TEXT_INPUT = 3000
PRIVATE_METADATA = 3000
# How much of a title is shown: long enough to recognise, short enough to leave room for the
# time and the buttons' dialogs. Counted in escaped characters, as Slack counts them.
TITLE_SHOWN = 150
NAME_SHOWN = 80

HELP = """*Book a Coviu video session*
• `/coviu book "Physio review" with @alice tomorrow 3pm for 45 min`
• `/coviu Team sync with @bob @carol thu 2-3pm`
• `/coviu book with @alice host @bob next monday at 10 for an hour`
• `/coviu` alone opens the booking form.
*Times:* `tomorrow 3pm`, `thu 2-3pm`, `in 2 hours`, `20 March at 9:30`, `3pm UTC`.
*Lengths:* `for 45 min`, `for 1.5 hours`, `(30 min)`; otherwise {default} minutes.
*People:* mentions are guests; `host @bob` makes Bob a host; you host unless you say otherwise.
*Series:* `every tuesday 3pm for 6 weeks`, `weekly until 20 March`, `every weekday 9am for 2 \
weeks`: one session each time, at the same local time; cancel one, or this and following.
*Your sessions:*
• `/coviu list` — your upcoming sessions, with Join, Reschedule and Cancel
• `/coviu reschedule "Physio review" friday 4pm`
• `/coviu cancel "Physio review"`
• `/coviu add @dave` or `/coviu add "Pat Smith"` (a guest without Slack; you get their link)
• `/coviu remove @dave` or `/coviu remove "Pat Smith"`"""


class TooBig(BookingError):
    """What was asked for can't fit in one Slack message (e.g. a picker button's value past
    Slack's 2,000 characters). A `BookingError`, so listeners show its message as they show
    any refusal."""


# -- text: escaping, shortening, times --------------------------------------------------------


def escape(text: str) -> str:
    """`text` as mrkdwn shows it literally: ``&``, ``<`` and ``>`` escaped, as Slack asks."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def shorten(text: str, limit: int) -> str:
    """Plain text of at most `limit` characters, ellipsised when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def fit(text: str, limit: int) -> str:
    """`text` escaped for mrkdwn in at most `limit` characters, ellipsised when cut (never
    in the middle of an escape)."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    kept: list[str] = []
    used = 1  # the ellipsis
    for char in text:
        piece = escape(char)
        if used + len(piece) > limit:
            break
        kept.append(piece)
        used += len(piece)
    return "".join(kept).rstrip() + "…"


def title_of(session: SessionRecord, limit: int = TITLE_SHOWN) -> str:
    """The session's name for mrkdwn: escaped, ellipsised past `limit`."""
    return fit(session.title, limit)


def _zone(tz: Zone) -> tzinfo:
    if tz is None:
        return UTC
    if isinstance(tz, tzinfo):
        return tz
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def readable(moment: datetime, tz: Zone = None, *, date: bool = True) -> str:
    """A time people read without Slack's help, in `tz` (UTC when unknown):
    ``Tue 20 Mar 2030, 3:00 PM AEDT`` or, without the date, ``3:00 PM AEDT``."""
    local = moment.astimezone(_zone(tz))
    hour = local.hour % 12 or 12
    clock = f"{hour}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'} {local.tzname()}"
    if not date:
        return clock
    return f"{local:%a} {local.day} {local:%b %Y}, {clock}"


def slack_time(moment: datetime, layout: str, tz: Zone = None) -> str:
    """Slack's date token: each reader sees `layout` in their own zone; the fallback is in
    `tz` (the reader's zone when the caller knows it) or UTC."""
    fallback = readable(moment, tz, date="{date" in layout)
    return f"<!date^{int(moment.timestamp())}^{layout}|{fallback}>"


def when_text(session: SessionRecord, tz: Zone = None) -> str:
    """``Tuesday, March 20th 3:00 PM – 3:45 PM`` in the reader's own zone."""
    return (
        f"{slack_time(session.start, '{date_long_pretty} {time}', tz)}"
        f" – {slack_time(session.end, '{time}', tz)}"
    )


def section(text: str, **extra: Any) -> Block:
    """A mrkdwn section; text past Slack's 3,000 characters is ellipsised."""
    return {
        "type": "section",
        "text": {"type": "mrkdwn", "text": shorten(text, SECTION_TEXT)},
        **extra,
    }


def context(text: str) -> Block:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": shorten(text, CONTEXT_TEXT)}],
    }


def _button(
    text: str,
    action_id: str,
    value: str | None = None,
    *,
    url: str | None = None,
    style: str | None = None,
    confirm: Block | None = None,
) -> Block:
    if value is not None and len(value) > BUTTON_VALUE:
        raise TooBig("That's too much to fit on one button. Try again with fewer people.")
    button: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": shorten(text, 75)},
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
    """A participant in mrkdwn: a mention for Slack users, the escaped name for others.

    Someone from another organisation is named, not mentioned: a reader who shares no
    channel with them would see Slack's "private user" for the mention."""
    if participant.slack_user and not participant.external:
        name = f"<@{participant.slack_user}>"
    elif participant.external:
        name = f"{fit(participant.display_name, NAME_SHOWN)} (another organisation)"
    else:
        name = fit(participant.display_name, NAME_SHOWN)
    return f"{name} (host)" if participant.is_host else name


def no_dm_note(participant: ParticipantRecord, *, here: bool = True) -> str:
    """Why someone from another organisation got no DM, and how they get their link (`here`:
    the message has the button too)."""
    name = fit(participant.display_name, NAME_SHOWN)
    label = escape(copy_link_label(participant))
    where = "below or on your invitation" if here else "on your invitation"
    return (
        f":information_source: *{name}* is in another organisation, and Slack doesn't let "
        f"this app DM people outside yours, so they didn't get their Join link from me. Press "
        f"*{label}* {where} and send it to them yourself, privately."
    )


def people_text(participants: Sequence[ParticipantRecord], limit: int = 2000) -> str:
    """Everyone, comma-separated; past `limit` characters the rest are counted."""
    names = [person(p) for p in participants]
    text = ", ".join(names)
    if len(text) <= limit:
        return text
    shown: list[str] = []
    for i, name in enumerate(names):
        more = f" and {len(names) - i} more"
        if len(", ".join([*shown, name])) + len(more) > limit:
            return ", ".join(shown) + f" and {len(names) - len(shown)} more"
        shown.append(name)
    return ", ".join(shown)


def cancel_button(session: SessionRecord, tz: Zone = None) -> Block:
    tail = " will be cancelled for everyone. This can't be undone."
    # Whatever the title's length, the dialog stays within Slack's 300 characters.
    title = fit(session.title, CONFIRM_TEXT - len(tail) - 2)
    return _button(
        "Cancel session",
        "cancel_session",
        session.session_id,
        style="danger",
        confirm={
            "title": {"type": "plain_text", "text": "Cancel this session?"},
            "text": {"type": "mrkdwn", "text": f"“{title}”{tail}"},
            "confirm": {"type": "plain_text", "text": "Cancel session"},
            "deny": {"type": "plain_text", "text": "Keep it"},
            "style": "danger",
        },
    )


def cancel_following_button(session: SessionRecord) -> Block:
    tail = " on this date and every later one will be cancelled for everyone; earlier ones stay."
    title = fit(session.title, CONFIRM_TEXT - len(tail) - 2)
    return _button(
        "Cancel this and following",
        "cancel_following",
        session.session_id,
        style="danger",
        confirm={
            "title": {"type": "plain_text", "text": "Cancel the rest of the series?"},
            "text": {"type": "mrkdwn", "text": f"“{title}”{tail}"},
            "confirm": {"type": "plain_text", "text": "Cancel them"},
            "deny": {"type": "plain_text", "text": "Keep them"},
            "style": "danger",
        },
    )


def host_buttons(session: SessionRecord) -> list[Block]:
    buttons = [
        _button("Reschedule", "reschedule_session", session.session_id),
        _button("Add person", "add_person", session.session_id),
        cancel_button(session),
    ]
    if session.series_id:
        buttons.append(cancel_following_button(session))
    return buttons


def session_summary(
    session: SessionRecord,
    participants: Sequence[ParticipantRecord],
    tz: Zone = None,
    waiting: int = 0,
) -> Block:
    """The session's title, time and people; with `waiting`, how many guests are waiting in
    it now (shown to its hosts: a guest never learns who else waits)."""
    now = f"  :wave: *{waiting} waiting*" if waiting else ""
    head = f"*{title_of(session)}*{now}\n{when_text(session, tz)}\nWith "
    return section(head + people_text(participants, SECTION_TEXT - len(head)))


# -- messages -------------------------------------------------------------------------------


def repeats(series: SeriesRecord | None) -> str | None:
    """How a series repeats, for its invitation: "Repeats every Tuesday at 15:00
    (Australia/Sydney time), 6 sessions." None for a session on its own."""
    if series is None:
        return None
    rule = series.rule
    end = (
        f", {rule.count} sessions"
        if rule.count
        else (f", until {rule.until:%a %-d %b %Y}" if rule.until else "")
    )
    return f"Repeats {rules.describe(rule)} at {rule.time} ({rule.zone} time){end}."


def calendar_buttons(links: CalendarLinks) -> Block:
    """*Add to calendar* (the reader's own .ics), Google and Outlook; a link past Slack's
    3,000 characters for a button's URL (a very long title) is left out."""
    buttons = [
        ("Add to calendar", "calendar_ics", links.ics),
        ("Google Calendar", "calendar_google", links.google),
        ("Outlook", "calendar_outlook", links.outlook),
    ]
    return _actions(*(_button(t, a, url=u) for t, a, u in buttons if u and len(u) <= BUTTON_URL))


def invite(
    session: SessionRecord,
    to: ParticipantRecord,
    everyone: Sequence[ParticipantRecord],
    *,
    tz: Zone = None,
    repeats: str | None = None,
    calendar: CalendarLinks | None = None,
) -> tuple[str, list[Block]]:
    """The DM that gives a participant their own entry link. `tz` is the reader's zone.

    It shows the session as it is now, so the app can ``chat.update`` the DM it sent with
    the same builder after any change: a moved session shows its new time, a cancelled one
    (or a participant who was removed) says so and loses its buttons.
    """
    others = [p for p in everyone if p.participant_id != to.participant_id]
    role = "host" if to.is_host else "guest"
    title = title_of(session)
    when = when_text(session, tz)
    if session.cancelled or not to.active:
        return _gone(session, tz)
    text = f"You're invited to “{title}” as a {role}, {when}. Press Join then to come in."
    buttons = [_button("Join", "join", session.session_id, url=to.entry_url, style="primary")]
    if to.is_host:
        buttons += host_buttons(session)
    # A host keeps a way to the links of guests without Slack, which they forward.
    copies = copy_link_buttons(everyone) if to.is_host else []
    series_line = ""
    if repeats:
        text += " " + repeats
        series_line = f"\n{repeats} Each session's Join button comes with its reminder."
    return text, [
        section(f"You're invited to “{title}” as a {role}.\n*{title}*\n{when}{series_line}"),
        context(
            f"With {people_text(others, 2500) or 'nobody else yet'}. "
            "This Join link is yours alone: please don't share it."
        ),
        _actions(*buttons),
        *([_actions(*copies)] if copies else []),
        *([calendar_buttons(calendar)] if calendar else []),
    ]


def _gone(session: SessionRecord, tz: Zone) -> tuple[str, list[Block]]:
    """What a DM about a session says once the session is off for its reader: no buttons."""
    when = when_text(session, tz)
    if session.cancelled:
        text = f"“{title_of(session)}” on {when} was cancelled. There's nothing to join."
    else:
        text = f"You're no longer in “{title_of(session)}” on {when}. Your link no longer works."
    return text, [section(f"~{text}~" if session.cancelled else text)]


CHANGES = {
    "cancelled": "“{title}” on {when} was cancelled by <@{by}>. There's nothing to join.",
    "series_cancelled": "<@{by}> cancelled “{title}” from {when} on: this session and every "
    "later one in the series. There's nothing to join.",
    "series_moved": "<@{by}> moved “{title}” to {when}, and every later session of the series "
    "to the same time. Each session's Join link stays the same.",
    "rescheduled": "<@{by}> moved “{title}” to {when}. Your Join link stays the same.",
    "removed": "<@{by}> removed you from “{title}” on {when}. Your link no longer works.",
}


def changed(
    session: SessionRecord, to: ParticipantRecord, change: str, by: str, *, tz: Zone = None
) -> tuple[str, list[Block]]:
    """A participant's DM about a cancel, a move or their removal."""
    text = CHANGES[change].format(title=title_of(session), when=when_text(session, tz), by=by)
    blocks = [section(text)]
    if change == "rescheduled":
        blocks.append(
            _actions(_button("Join", "join", session.session_id, url=to.entry_url, style="primary"))
        )
    return text, blocks


def told(outside: Sequence[ParticipantRecord] = ()) -> str:
    """Who heard of a change: everyone, or everyone but people from another organisation,
    who are the host's to tell.

    >>> told()
    'Everyone was told.'
    """
    if not outside:
        return "Everyone was told."
    names = ", ".join(fit(p.display_name, NAME_SHOWN) for p in outside)
    return (
        f"Everyone else was told. {names} (another organisation) can't be DMed by this app: "
        "please tell them yourself."
    )


def moved(
    session: SessionRecord, *, tz: Zone = None, outside: Sequence[ParticipantRecord] = ()
) -> tuple[str, list[Block]]:
    """The host's confirmation that a session moved (`outside`: people from another
    organisation in it, whom no DM reaches)."""
    text = f"Moved “{title_of(session)}” to {when_text(session, tz)}. {told(outside)}"
    return text, [section(f":white_check_mark: {text}")]


def booked(
    session: SessionRecord,
    participants: Sequence[ParticipantRecord],
    undelivered: Sequence[ParticipantRecord] = (),
    *,
    tz: Zone = None,
    buttons: bool = True,
) -> tuple[str, list[Block]]:
    """The booker's private confirmation. External guests' links are listed here to forward;
    people from another organisation get a note and a *Copy link* button. The last block
    holds the buttons (a result modal leaves it out: pass ``buttons=False`` so the notes
    point at the invitation's). Once the session is cancelled it says so, with no links and
    no buttons (for ``replace_original``)."""
    title = title_of(session)
    if session.cancelled:
        text = f"“{title}” on {when_text(session, tz)} was cancelled. Everyone was told."
        return text, [section(f":x: {text}")]
    outside = [p for p in participants if p.external]
    missed = [p for p in undelivered if not p.external]
    everyone = "Everyone else" if outside or missed else "Everyone"
    sent = f"{everyone} on Slack has been sent their own Join link by DM."
    text = f"Booked “{title}” for {when_text(session, tz)}. {sent}"
    if outside:
        names = ", ".join(fit(p.display_name, NAME_SHOWN) for p in outside)
        text += f" I can't DM {names} (another organisation): send them their link yourself."
    blocks = [
        section(f":white_check_mark: Booked “{title}”."),
        session_summary(session, participants, tz),
    ]
    # Links are packed several to a section, so 50 guests without Slack fit in one message.
    lines = [
        f"Link for *{fit(g.display_name, NAME_SHOWN)}* (no Slack account) — forward it to them "
        f"privately:\n{g.entry_url}"
        for g in participants
        if g.slack_user is None
    ]
    blocks.extend(section(text) for text in _packed(lines, SECTION_TEXT))
    blocks.extend(section(no_dm_note(p, here=buttons)) for p in outside[:COPY_LINKS])
    if missed:
        blocks.append(
            context(
                ":warning: I couldn't DM "
                + people_text(missed, 2500)
                + "; their links are in the session. Try `/coviu list` later or add them again."
            )
        )
    if session.reminders is not None:
        from bot.slack.reminder_blocks import leads_label  # (it builds on this module)

        sent += f" Reminders for everyone: {leads_label(session.reminders)}."
    blocks.append(context(sent))
    copies = copy_link_buttons([p for p in participants if p.external])
    blocks.append(_actions(*host_buttons(session), *copies))
    return text, blocks


def booked_series(
    session: SessionRecord,
    participants: Sequence[ParticipantRecord],
    series: SeriesRecord,
    created: int,
    undelivered: Sequence[ParticipantRecord] = (),
    *,
    tz: Zone = None,
) -> tuple[str, list[Block]]:
    """The booker's confirmation of a series: its first session, how it repeats, and how many
    sessions exist at Coviu so far (the rest are made as they come within the window)."""
    text, body = booked(session, participants, undelivered, tz=tz)
    if session.cancelled:
        return text, body
    how = repeats(series) or ""
    weeks = rules.WINDOW.days // 7
    line = (
        f":repeat: {how} {created} booked so far; the next are booked as they come within "
        f"{weeks} weeks. Each session's reminder brings its Join button."
    )
    text = f"Booked the series “{title_of(session)}”, first {when_text(session, tz)}. {how}"
    body[0] = section(f":white_check_mark: Booked the series “{title_of(session)}”.")
    body.insert(2, context(line))
    return text, body


def moved_following(
    session: SessionRecord, count: int, *, tz: Zone = None
) -> tuple[str, list[Block]]:
    """The host's confirmation that a session and the rest of its series moved."""
    text = (
        f"Moved “{title_of(session)}” to {when_text(session, tz)}, and every later session of "
        f"the series to the same time ({count} in all). Everyone was told."
    )
    return text, [section(f":white_check_mark: {text}")]


def series_cut(session: SessionRecord, count: int, *, tz: Zone = None) -> tuple[str, list[Block]]:
    """The host's confirmation that the rest of a series is cancelled."""
    text = (
        f"Cancelled “{title_of(session)}” from {when_text(session, tz)} on: {count} "
        f"session{'s' if count != 1 else ''}. The earlier ones stay. Everyone in them was told."
    )
    return text, [section(f":white_check_mark: {text}")]


def no_longer_host(session: SessionRecord, *, tz: Zone = None) -> tuple[str, list[Block]]:
    """The booker's confirmation once they no longer host the session: no links, no
    buttons (they could no longer use them)."""
    text = f"You no longer host “{title_of(session)}” on {when_text(session, tz)}."
    return text, [section(f":information_source: {text}")]


def preview(
    title: str,
    start: datetime,
    end: datetime,
    people: Sequence[str],
    guess: str,
    *,
    tz: Zone,
    zone: str | None,
    value: str,
    other: tuple[str, str] | None = None,
) -> tuple[str, list[Block]]:
    """What a booking text was understood as, when the reading rests on a guess: the time in
    the reader's zone and in the zone the text named, why it is a guess, and *Book* / *Change*
    (the form, pre-filled) — plus `other`, a (label, value) button for another reading, when
    there is one. Nothing is booked yet. `value` is what the buttons carry back (the text and
    when it was said)."""
    shown = fit(title, TITLE_SHOWN)
    mine = f"{readable(start, tz)} – {readable(end, tz, date=False)}"
    there = ""
    if zone and zone != (tz if isinstance(tz, str) else None):
        with_zone = f"{readable(start, zone)} – {readable(end, zone, date=False)}"
        if with_zone != mine:
            there = f" ({with_zone} {zone.split('/')[-1].replace('_', ' ')} time)"
    who = ", ".join(f"<@{user}>" for user in people) or "nobody yet"
    text = f"Book “{shown}” on {mine}{there}? Nothing is booked until you say so."
    buttons = [
        _button("Book", "book_confirmed", value, style="primary"),
        _button("Change", "change_booking", value),
    ]
    if other:
        buttons.append(_button(other[0], "book_suggested", other[1]))
    return text, [
        section(f":mag: *Is this right?* {escape(guess)}."),
        section(f"*{shown}*\n{mine}{there}\nWith {who}"),
        context("Nothing is booked yet."),
        _actions(*buttons),
    ]


def suggestion_button(label: str, value: str) -> Block:
    """Under a refusal: the reading that works ("Book 3:00am?"), one click away."""
    return _actions(_button(label, "book_suggested", value, style="primary"))


def session_list_text(sessions: Sequence[SessionRecord], tz: Zone = None) -> str:
    """The top-level text for `session_list`: how many, and the next one's name and time.

    >>> session_list_text([])
    'You have no upcoming sessions. Book one with /coviu book.'
    """
    if not sessions:
        return "You have no upcoming sessions. Book one with /coviu book."
    first = sessions[0]
    count = f"{len(sessions)} upcoming session{'s' if len(sessions) > 1 else ''}"
    return (
        f"You have {count}; the next is “{title_of(first)}” "
        f"{slack_time(first.start, '{date_short_pretty} at {time}', tz)}. "
        "Join, reschedule or cancel from the list."
    )


def guest_digest(participant_id: str) -> str:
    """Names a guest in a button value without the participant id, which is their link's
    secret."""
    return hashlib.sha256(participant_id.encode()).hexdigest()[:16]


COPY_LINKS = 20  # at most this many Copy link buttons (an actions block holds 25)


def copy_link_label(guest: ParticipantRecord) -> str:
    return shorten(f"Copy link for {guest.display_name}", 75)


def needs_forwarding(participant: ParticipantRecord) -> bool:
    """Whether a host forwards this person's link: a guest without Slack, or someone from
    another organisation (Slack doesn't let the app DM them)."""
    return participant.slack_user is None or participant.external


def copy_link_button(guest: ParticipantRecord, index: int = 0) -> Block:
    """*Copy link for Pat Smith*: opens `link_modal` for a guest whose link a host forwards
    (action_id ``copy_link_<index>``: unique in its message, as Slack requires; the value
    names the session and the guest, not the link)."""
    value = json.dumps(
        {"session_id": guest.session_id, "guest": guest_digest(guest.participant_id)}
    )
    return _button(copy_link_label(guest), f"copy_link_{index}", value)


def copy_link_buttons(participants: Sequence[ParticipantRecord]) -> list[Block]:
    """One *Copy link* per guest whose link a host forwards, `COPY_LINKS` at most."""
    guests = [p for p in participants if needs_forwarding(p) and p.active]
    return [copy_link_button(g, n) for n, g in enumerate(guests[:COPY_LINKS])]


def link_modal(session: SessionRecord, guest: ParticipantRecord, *, tz: Zone = None) -> Block:
    """A guest's entry link, shown again to a host (ephemeral messages don't last)."""
    name = fit(guest.display_name, NAME_SHOWN)
    why = (
        "in another organisation: Slack doesn't let this app DM them"
        if guest.external
        else "no Slack account"
    )
    return result_modal(
        "Guest link",
        [
            section(f"*{title_of(session)}*\n{when_text(session, tz)}"),
            section(
                f"Link for *{name}* ({why}) — forward it to them privately:"
                f"\n{guest.entry_url}"
            ),
            context("Anyone with this link joins as this guest: send it to them alone."),
        ],
    )


def _packed(lines: Sequence[str], limit: int) -> list[str]:
    """`lines` joined into as few texts of at most `limit` characters as they go in whole."""
    texts: list[str] = []
    for line in lines:
        if texts and len(texts[-1]) + 1 + len(line) <= limit:
            texts[-1] += "\n" + line
        else:
            texts.append(line)
    return texts


def session_list(
    sessions: Sequence[SessionRecord],
    participants: dict[str, list[ParticipantRecord]],
    viewer: str,
    *,
    empty: str = "You have no upcoming sessions. Book one with `/coviu book …` or `/coviu`.",
    heading: str | None = None,
    limit: int = 15,
    tz: Zone = None,
    waiting: Mapping[str, int] | None = None,
    series: dict[str, str] | None = None,
) -> list[Block]:
    """The viewer's sessions, soonest first. Slack takes at most 50 blocks in a message (100
    in a view) and each session takes three, so past `limit` the rest are counted, not shown.
    `waiting`: guests waiting now, by session id, shown on the sessions the viewer hosts.
    `series`: a line by session id for the next session of each series, shown once
    ("Repeats every Tuesday...")."""
    if not sessions:
        return [section(empty)]
    blocks: list[Block] = [section(heading or f"*Your upcoming sessions* ({len(sessions)})")]
    for session in sessions[:limit]:
        people = participants[session.session_id]
        me = next((p for p in people if p.slack_user == viewer), None)
        blocks.append({"type": "divider"})
        count = (waiting or {}).get(session.session_id, 0) if me and me.is_host else 0
        summary = session_summary(session, people, tz, count)
        if note := (series or {}).get(session.session_id):
            # In the same block: each session keeps to three, within Slack's 50.
            summary["text"]["text"] = shorten(summary["text"]["text"] + "\n" + note, SECTION_TEXT)
        blocks.append(summary)
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
    *,
    tz: Zone = None,
) -> list[Block]:
    """Ask which session to act on: one button per session, carrying what to do. Without a
    payload a button's value is the bare session id, as on the session's own buttons, so the
    same listener serves both. Raises `TooBig` when a payload can't fit in a button's value
    (Slack's 2,000 characters)."""
    blocks: list[Block] = [section(question)]
    for session in sessions[: MAX_MESSAGE_BLOCKS - 2]:  # within Slack's 50, with the question
        value = (
            json.dumps({"session_id": session.session_id, **payload})
            if payload is not None
            else session.session_id
        )
        blocks.append(
            section(
                f"*{title_of(session)}*\n{when_text(session, tz)}",
                accessory=_button(verb.capitalize(), action_id, value),
            )
        )
    if len(sessions) > MAX_MESSAGE_BLOCKS - 2:
        later = len(sessions) - (MAX_MESSAGE_BLOCKS - 2)
        blocks.append(context(f"…and {later} more not shown. Name the session to narrow it."))
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
    private = json.dumps(metadata)
    if len(private) > PRIVATE_METADATA:  # Slack would refuse the whole form
        raise TooBig("That's too much to carry in one form. Try again with less.")
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": submit},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": private,
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
    reminders: Sequence[int] | None = None,
    note: str | None = None,
    metadata: dict[str, Any] | None = None,
    repeat: str | None = None,
    repeat_count: int | None = None,
) -> Block:
    """The booking form, pre-filled with whatever was understood."""
    repeats = {
        "type": "static_select",
        "action_id": "value",
        "placeholder": {"type": "plain_text", "text": "Doesn't repeat"},
        "options": [_option(label, value) for value, label in rules.CHOICES.items()],
    }
    if repeat in rules.CHOICES:
        repeats["initial_option"] = _option(rules.CHOICES[repeat], repeat)
    count = {
        "type": "number_input",
        "action_id": "value",
        "is_decimal_allowed": False,
        "min_value": "2",
        "max_value": str(MAX_SERIES),
    }
    if repeat_count:
        count["initial_value"] = str(repeat_count)
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
    # Here, not at the top: reminder_blocks builds on this module.
    from bot.slack.reminder_blocks import chosen_options, lead_options

    reminder = _with_initial(
        {
            "type": "multi_static_select",
            "action_id": "value",
            "placeholder": {"type": "plain_text", "text": "Each person's own default"},
            "options": lead_options(reminders or ()),
        },
        "initial_options",
        chosen_options(reminders),
    )
    blocks = [context(f":information_source: {note}")] if note else []
    blocks += [
        _input(
            "title",
            "Session name",
            _with_initial(name, "initial_value", shorten(title, TEXT_INPUT) if title else None),
            optional=True,
        ),
        _input("when", "Date and time", _datetime_picker(start)),
        _input("length", "Length", _length_select(minutes)),
        _input("repeat", "Repeats", repeats, optional=True),
        _input(
            "repeat_count",
            "Number of sessions",
            count,
            optional=True,
            hint="For a series: 6 every week is six weeks.",
        ),
        _input("hosts", "Hosts", _users_picker(hosts)),
        _input("guests", "Guests on Slack", _users_picker(guests), optional=True),
        _input(
            "external",
            "Guests without Slack",
            _with_initial(outside, "initial_value", shorten("\n".join(external), TEXT_INPUT)),
            optional=True,
            hint="You'll get their private links to forward.",
        ),
        _input(
            "reminder",
            "Reminders",
            reminder,
            optional=True,
            hint="Empty: each person's own choice (App Home). Everyone also gets a DM at the "
            "start if they're not in yet.",
        ),
    ]
    return _modal("book", "Book a Coviu session", "Book", blocks, metadata or {})


def reschedule_modal(session: SessionRecord, metadata: dict[str, Any], *, tz: Zone = None) -> Block:
    minutes = int((session.end - session.start).total_seconds() // 60)
    blocks = [
        section(f"*{title_of(session)}*\nNow: {when_text(session, tz)}"),
        _input("when", "New date and time", _datetime_picker(session.start)),
        _input("length", "Length", _length_select(minutes)),
    ]
    if session.series_id:
        which = {
            "type": "radio_buttons",
            "action_id": "value",
            "options": [
                _option("This session only", "this"),
                _option("This and every later one (same time, each on its own day)", "following"),
            ],
            "initial_option": _option("This session only", "this"),
        }
        blocks.append(_input("which", "Which sessions of the series", which))
    return _modal(
        "reschedule",
        "Reschedule",
        "Move it",
        blocks,
        {"session_id": session.session_id, **metadata},
    )


def add_person_modal(session: SessionRecord, metadata: dict[str, Any], *, tz: Zone = None) -> Block:
    role = {
        "type": "static_select",
        "action_id": "value",
        "options": [_option("Guest", "GUEST"), _option("Host", "HOST")],
        "initial_option": _option("Guest", "GUEST"),
    }
    blocks = [
        section(f"*{title_of(session)}*\n{when_text(session, tz)}"),
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
    """A modal to read, not to fill in: `title` ellipsised to Slack's 24 characters."""
    return {
        "type": "modal",
        "callback_id": "result",
        "title": {"type": "plain_text", "text": shorten(title, MODAL_TITLE)},
        "close": {"type": "plain_text", "text": "Done"},
        "blocks": blocks[:MAX_VIEW_BLOCKS],
    }


def home(
    sessions: Sequence[SessionRecord],
    participants: dict[str, list[ParticipantRecord]],
    viewer: str,
    *,
    tz: Zone = None,
    waiting: Mapping[str, int] | None = None,
    series: dict[str, str] | None = None,
) -> Block:
    return {
        "type": "home",
        "blocks": [
            section(
                "*Coviu video sessions*",
                accessory=_button("Book a session", "open_booking", style="primary"),
            ),
            *session_list(
                sessions, participants, viewer, limit=30, tz=tz, waiting=waiting, series=series
            ),
            context("Tip: `/coviu help` shows everything you can type."),
        ],
    }
