"""Calendar files and "add event" links for each person's sessions.

Each invitation carries *Add to calendar*: a private `.ics` URL for its reader, served by the
app's web server (``GET /calendar/<team>/<user>/<scope>/<token>.ics``), plus Google Calendar and
Outlook "add event" links. A file holds one session, or every session of a series; each event's
UID is stable per session and its SEQUENCE counts the session's changes, so re-importing (or a
calendar subscribed to the URL) replaces the old event: a move shows the new time, a cancelled
session (or a reader removed from it) becomes STATUS:CANCELLED.

The URL is unguessable: its token is an HMAC of (team, user, scope) under a key the app makes
once and keeps in its database, so nothing per file is stored and nobody can make a token for
someone else. The Join link in a file is its reader's own, and only theirs::

    calendar = Calendar(store, "https://coviu-slack.example.com")
    calendar.links(session, participant)      # CalendarLinks(ics=..., google=..., outlook=...)
    calendar.file(team_id, user_id, scope, token)   # bytes, or None for a bad token
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import icalendar

from bot.booking import series as rules
from bot.storage import ParticipantRecord, SessionRecord, Store

PATH_PREFIX = "/calendar/"
KEY_NAME = "calendar"
PRODID = "-//coviu-slack//Coviu sessions//EN"


@dataclass(frozen=True)
class CalendarLinks:
    ics: str | None  # None where nothing serves calendar files (Socket Mode without a URL)
    google: str
    outlook: str


def _uid(session_id: str) -> str:
    return f"{session_id}@coviu-slack"


class Calendar:
    def __init__(
        self,
        store: Store,
        base_url: str | None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """`base_url`: where the app serves calendar files; None where nothing does."""
        self.store = store
        self.base_url = base_url.rstrip("/") if base_url else None
        self.clock = clock
        self._key: bytes | None = None

    # -- tokens -------------------------------------------------------------------------------

    def _secret(self) -> bytes:
        if self._key is None:
            made = self.store.app_key(KEY_NAME, lambda: secrets.token_urlsafe(32))
            self._key = made.encode()
        return self._key

    def token(self, team_id: str, user_id: str, scope: str) -> str:
        mac = hmac.new(self._secret(), f"{team_id}|{user_id}|{scope}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(mac.digest()[:24]).decode().rstrip("=")

    def url(self, team_id: str, user_id: str, scope: str) -> str:
        token = self.token(team_id, user_id, scope)
        parts = "/".join(quote(part, safe="") for part in (team_id, user_id, scope))
        return f"{self.base_url}{PATH_PREFIX}{parts}/{token}.ics"

    @staticmethod
    def scope_of(session: SessionRecord) -> str:
        """A series' sessions share one file; a lone session has its own."""
        return (
            f"series-{session.series_id}" if session.series_id else f"session-{session.session_id}"
        )

    # -- links --------------------------------------------------------------------------------

    def links(self, session: SessionRecord, to: ParticipantRecord) -> CalendarLinks | None:
        """The reader's calendar links for a session; None for a guest without Slack."""
        if not to.slack_user:
            return None
        ics = self.url(to.team_id, to.slack_user, self.scope_of(session)) if self.base_url else None
        series = self.store.series(session.series_id) if session.series_id else None
        if series is not None:
            # One Join link can't serve a series (each session has its own): it comes with
            # each reminder, and the calendar file has each one.
            details = "Each session's Join link comes in its Slack reminder" + (
                f", and is in {ics}" if ics else "."
            )
            zone = ZoneInfo(series.rule.zone)
            start, end = session.start.astimezone(zone), session.end.astimezone(zone)
            google = {
                "action": "TEMPLATE",
                "text": session.title,
                "dates": f"{start:%Y%m%dT%H%M%S}/{end:%Y%m%dT%H%M%S}",
                "ctz": series.rule.zone,
                "recur": rules.rrule(series.rule),
                "details": details,
            }
        else:
            details = f"Join: {to.entry_url}\nThis link is yours alone: please don't share it."
            google = {
                "action": "TEMPLATE",
                "text": session.title,
                "dates": f"{_utc(session.start)}/{_utc(session.end)}",
                "details": details,
            }
        outlook = {
            "path": "/calendar/action/compose",
            "rru": "addevent",
            "subject": session.title,
            "startdt": session.start.isoformat(),
            "enddt": session.end.isoformat(),
            "body": details,
        }
        return CalendarLinks(
            ics=ics,
            google="https://calendar.google.com/calendar/render?" + urlencode(google),
            outlook="https://outlook.live.com/calendar/0/action/compose?" + urlencode(outlook),
        )

    # -- files --------------------------------------------------------------------------------

    def file(self, team_id: str, user_id: str, scope: str, token: str) -> bytes | None:
        """The reader's calendar file, or None when the token isn't theirs (or the scope is
        unknown): the web server answers 404 either way, so nothing is learnt from it."""
        if not hmac.compare_digest(token, self.token(team_id, user_id, scope)):
            return None
        kind, _, ident = scope.partition("-")
        if kind == "series":
            sessions = self.store.occurrences(ident)
        elif kind == "session":
            found = self.store.session(ident)
            sessions = [found] if found else []
        else:
            return None
        sessions = [s for s in sessions if s.team_id == team_id]
        if not sessions:
            return None
        cal = icalendar.Calendar()
        cal.add("prodid", PRODID)
        cal.add("version", "2.0")
        # PUBLISH: a file to import or subscribe to, not a meeting request to answer.
        cal.add("method", "PUBLISH")
        cal.add("x-wr-calname", sessions[0].title)
        # A calendar subscribed to the URL looks again hourly (RFC 7986; Outlook's own name).
        cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", "PT1H")
        for session in sessions:
            mine = [
                p
                for p in self.store.participants(session.session_id, include_removed=True)
                if p.slack_user == user_id and p.team_id == team_id
            ]
            if mine:
                cal.add_component(_event(session, mine[0], self.clock()))
        return cal.to_ical()


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _event(session: SessionRecord, me: ParticipantRecord, now: datetime) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", _uid(session.session_id))
    event.add("dtstamp", now)
    event.add("dtstart", session.start)
    event.add("dtend", session.end)
    event.add("summary", session.title)
    event.add("sequence", session.sequence)
    off = session.cancelled or not me.active
    event.add("status", "CANCELLED" if off else "CONFIRMED")
    if not off:
        # The reader's own link: this file is theirs alone.
        event.add("url", me.entry_url)
        event.add(
            "description",
            f"Join: {me.entry_url}\nThis Join link is yours alone: please don't share it.",
        )
    event.add("location", "Coviu video call")
    return event
