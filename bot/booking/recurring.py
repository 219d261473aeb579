"""Booking a recurring series, keeping it topped up, and cancelling the rest of it.

A series is a row of its own (the rule as wall-clock time + zone, who is in it) and one
booked session per occurrence, each made by `BookingService.book` under a key of its own
(``series:<id>:<date>``), so every occurrence is as durable and resumable as any booking: a
rerun after a crash creates none twice. Only occurrences within `bot.booking.series.WINDOW` of
today are created; `top_up` (the worker calls it as time goes on) creates the next ones::

    series = SeriesService(booking)
    booked = series.book(request, rule, key="command:T1:U1:trigger")
    series.top_up()                       # create what has come within the window
    series.cancel_following(session_id, team_id, user_id, key=...)

Everyone is invited once, with the first session (the DM says how it repeats); each later
session's Join button comes with its reminder.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.booking import (
    Booked,
    BookingError,
    BookingRequest,
    BookingService,
    _coviu_refusal,
    _message,
    _once,
    _people,
    problems,
)
from bot.booking import series as rules
from bot.coviu.errors import CoviuError, NotFound
from bot.storage import Store
from bot.storage.store import SeriesRecord, SessionRecord
from bot.when.result import Repeat

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BookedSeries:
    series: SeriesRecord
    first: Booked  # the first occurrence, with its people and anyone not reached
    created: int  # occurrences created at Coviu so far (the rest come within the window)


TOP_UP_KIND = "series:top-up"
UNDONE = "Nothing of the series was booked; please try again."


def queue_series_top_up(store: Store, now: datetime) -> bool:
    """Queue this hour's top-up job, once however many workers ask (the key is the hour)."""
    return store.enqueue(f"{TOP_UP_KIND}:{now:%Y-%m-%dT%H}", TOP_UP_KIND, None, {}, now)


def occurrence_key(series_id: str, day: date) -> str:
    return f"series:{series_id}:{day}"


class SeriesService:
    def __init__(self, booking: BookingService) -> None:
        self.booking = booking
        self.store = booking.store

    def book(self, request: BookingRequest, rule: Repeat, key: str) -> BookedSeries:
        """Book the series once per `key`: its row, then every occurrence within the window."""
        if request.external_guests:
            raise BookingError(
                "Guests without Slack can't be in a series yet: each session would give them "
                "a new link. Book the series with people on Slack "
                '(e.g. `/coviu book "Physio review" with @alice every tuesday 3pm for 6 '
                "weeks`) and add the guest to each session with `/coviu add`.",
                field="external",
            )
        series_id = self.store.step(key, "series")
        if series_id is None:
            if found := problems(request, self.booking.clock()):
                field, message = next(iter(found.items()))
                raise BookingError(message, field=field)
            # From the key, so a rerun names the same series.
            series_id = "ser_" + hashlib.sha256(key.encode()).hexdigest()[:20]
            series = SeriesRecord(
                series_id=series_id,
                team_id=request.team_id,
                title=request.title,
                booked_by=request.booked_by,
                rule=rule,
                minutes=int((request.end - request.start).total_seconds() // 60),
                first=request.start.astimezone(ZoneInfo(rule.zone)).date(),
                reminder_minutes=request.reminder_minutes,
                reminders=request.reminders,
                people=tuple(_people(request)),
            )
            self.store.add_series(series, self.booking.clock(), step=(key, "series", series_id))
        series = self.store.series(series_id)
        assert series is not None  # recorded with the step
        if series.status == "cancelled":  # a rerun of a booking that was refused and undone
            raise BookingError(UNDONE)
        try:
            self._create_due(series, latest_first=True)
        except BookingError as error:
            # Nothing half-booked: the sessions made so far are cancelled, and the series
            # with them, so the worker never tops it up.
            self._undo(series)
            raise BookingError(f"{error.message} {UNDONE}", field=error.field) from error
        occurrences = self.store.occurrences(series_id)
        first = self.booking.book(self._request(series, series.first), occurrence_key(
            series_id, series.first
        ))  # fmt: skip
        return BookedSeries(self.store.series(series_id) or series, first, len(occurrences))

    def _request(self, series: SeriesRecord, day: date) -> BookingRequest:
        start = rules.starts_at(series.rule, day)
        return BookingRequest(
            team_id=series.team_id,
            booked_by=series.booked_by,
            title=series.title,
            start=start,
            end=start + timedelta(minutes=series.minutes),
            hosts=tuple(user for user, role in series.people if role == "HOST"),
            guests=tuple(user for user, role in series.people if role != "HOST"),
            reminder_minutes=series.reminder_minutes,
            reminders=series.reminders,
            booker_is_host=False,  # the people were settled when the series was booked
            series_id=series.series_id,
            occurrence=day,
            invite=day == series.first,
        )

    def _create_due(self, series: SeriesRecord, *, latest_first: bool = False) -> int:
        """Create the occurrences that have come within the window; how many were made.
        `latest_first`: the first session, whose invitations go out as it is booked, last,
        so nobody is invited to a series that then fails half-way."""
        now = self.booking.clock()
        today = now.astimezone(ZoneInfo(series.rule.zone)).date()
        have = {s.occurrence for s in self.store.occurrences(series.series_id)}
        due = rules.due_within(series.rule, series.first, today)
        made = 0
        for day in reversed(due) if latest_first else due:
            if day in have:
                continue
            request = self._request(series, day)
            if request.start <= now:
                continue  # the worker was away past this one: too late to book it
            self.booking.book(request, occurrence_key(series.series_id, day))
            made += 1
        if due and due[-1] == _last(series):
            self.store.finish_series(series.series_id)
        return made

    def _undo(self, series: SeriesRecord) -> None:
        """Cancel a series whose booking failed, with every session made for it so far."""
        made = [s.session_id for s in self.store.occurrences(series.series_id) if not s.cancelled]
        for session_id in made:
            self.booking._cancel_quietly(session_id)  # logged if Coviu can't be reached
        self.store.end_series(series.series_id, None, made, self.booking.clock())

    def top_up(self) -> int:
        """Create, for every series still running, the occurrences now within the window.
        Safe to run anywhere at any time: each occurrence is booked once under its own key."""
        made = 0
        for series in self.store.active_series():
            try:
                made += self._create_due(series)
            except (BookingError, CoviuError) as error:
                # Coviu down, or a person gone: the next pass tries again.
                log.warning("could not create a series' next session (%s)", type(error).__name__)
        return made

    # -- changing -----------------------------------------------------------------------------

    def cancel_following(
        self, session_id: str, team_id: str, user_id: str, key: str | None = None
    ) -> tuple[SessionRecord, int]:
        """Cancel this occurrence and every later one; the series ends the day before. The
        earlier ones stay as they are. Returns the session and how many were cancelled."""
        key = key or _once()
        booking = self.booking
        done = self.store.step(key, "cut")
        if done is None:
            session = booking.session_for_host(session_id, team_id, user_id)
            series = self._series_of(session)
            if session.start <= booking.clock():
                raise BookingError(
                    f"“{session.title}” has already started, so it can't be cancelled."
                )
            later = [s.session_id for s in self._from(session)]
            for later_id in later:
                try:
                    booking.coviu.cancel_session(later_id)
                except NotFound:
                    pass  # gone at Coviu already
                except CoviuError as error:
                    if not booking._cancelled_at_coviu(later_id, error):
                        raise _coviu_refusal(error, "cancel the sessions") from error
            assert session.occurrence is not None and session.series_id is not None
            last = session.occurrence - timedelta(days=1)
            told = [
                _message(key, "changed", p, change="series_cancelled", by=user_id)
                for p in self.store.participants(session_id)
                if p.slack_user and p.slack_user != user_id
            ]
            self.store.end_series(
                session.series_id,
                last if last >= series.first else None,
                later,
                booking.clock(),
                messages=told,
                step=(key, "cut", later),
            )
            booking.schedule_changed()
            done = later
        booking._deliver(key)
        for cancelled in done:
            booking.outbox.refresh(cancelled)
        return booking._session(session_id), len(done)


    def reschedule_following(
        self,
        session_id: str,
        team_id: str,
        user_id: str,
        start: datetime,
        end: datetime | None = None,
        *,
        key: str | None = None,
    ) -> tuple[SessionRecord, int]:
        """Move this occurrence and every later one to `start`'s time of day (and length), each
        on its own date; the sessions still to be created follow too. The earlier ones stay.
        Returns the session and how many moved. A new day is for one session at a time."""
        key = key or _once()
        booking = self.booking
        done = self.store.step(key, "retimed")
        if done is None:
            session = booking.session_for_host(session_id, team_id, user_id)
            series = self._series_of(session)
            zone = ZoneInfo(series.rule.zone)
            wall = start.astimezone(zone)
            if wall.date() != session.start.astimezone(zone).date():
                raise BookingError(
                    "This and following keeps each session on its own day and changes its "
                    "time. To move the rest of the series to another day, cancel this and "
                    "following and book a new series, e.g. `/coviu book \"Physio review\" "
                    "with @alice every wednesday 3pm for 6 weeks`."
                )
            end = end or start + (session.end - session.start)
            minutes = int((end - start).total_seconds() // 60)
            later = self._from(session)
            for other in later:
                day = other.start.astimezone(zone).date()
                moved = rules.starts_at(replace(series.rule, time=f"{wall:%H:%M}"), day)
                booking.reschedule(
                    other.session_id, team_id, user_id, moved,
                    moved + timedelta(minutes=minutes), key=f"{key}/{other.session_id}",
                    tell=False,
                )  # fmt: skip
            told = [
                _message(key, "changed", p, change="series_moved", by=user_id)
                for p in self.store.participants(session_id)
                if p.slack_user and p.slack_user != user_id
            ]
            self.store.retime_series(
                series.series_id, f"{wall:%H:%M}", minutes, booking.clock(),
                messages=told, step=(key, "retimed", [s.session_id for s in later]),
            )  # fmt: skip
            done = [s.session_id for s in later]
        booking._deliver(key)
        return booking._session(session_id), len(done)

    def _series_of(self, session: SessionRecord) -> SeriesRecord:
        series = self.store.series(session.series_id) if session.series_id else None
        if series is None or session.occurrence is None:
            raise BookingError(
                f"“{session.title}” isn't part of a series: it can only be changed on its own."
            )
        return series

    def _from(self, session: SessionRecord) -> list[SessionRecord]:
        """The series' sessions from this one's date on, not cancelled."""
        assert session.series_id is not None and session.occurrence is not None
        return [
            s
            for s in self.store.occurrences(session.series_id)
            if s.occurrence is not None and s.occurrence >= session.occurrence and not s.cancelled
        ]


def _last(series: SeriesRecord) -> date:
    """The series' last date (a series with no end stops after a year)."""
    *_, last = rules.dates(series.rule, series.first)
    return last


def first_of(sessions: list[SessionRecord]) -> tuple[list[SessionRecord], dict[str, int]]:
    """A list of sessions with each series shown once, by its next session; and, by that
    session's id, how many of the series' sessions are in the list."""
    shown: list[SessionRecord] = []
    counts: dict[str, int] = {}
    firsts: dict[str, str] = {}
    for session in sessions:
        if session.series_id is None:
            shown.append(session)
            continue
        if session.series_id not in firsts:
            firsts[session.series_id] = session.session_id
            shown.append(session)
        counts[firsts[session.series_id]] = counts.get(firsts[session.series_id], 0) + 1
    return shown, counts
