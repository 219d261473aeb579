"""Snoozing a reminder: when it comes back, or why it can't, in plain Python.

    >>> from datetime import UTC, datetime
    >>> s = SessionRecord("S", "T", "Physio review", datetime(2030, 1, 1, 9, tzinfo=UTC),
    ...                   datetime(2030, 1, 1, 10, tzinfo=UTC), "U", 10, "booked")
    >>> snoozed_until(s, datetime(2030, 1, 1, 8, 50, tzinfo=UTC), "later").isoformat()
    '2030-01-01T08:55:00+00:00'
    >>> snoozed_until(s, datetime(2030, 1, 1, 8, 58, tzinfo=UTC), "later")
    Traceback (most recent call last):
    bot.booking.BookingError: “Physio review” starts in 2 minutes, before 5 minutes are up. \
Press *At the start* to be reminded then, or Join now.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.booking import BookingError
from bot.storage import SessionRecord

SNOOZE_MINUTES = 5


def snoozed_until(session: SessionRecord, now: datetime, to: str) -> datetime:
    """When a reminder snoozed `now` comes back: in five minutes (`to` "later"), or at the
    start ("start"). Refused past the start: a reminder after it would be no reminder."""
    if session.cancelled:
        raise BookingError(f"“{session.title}” was cancelled: there's nothing to be reminded of.")
    if now >= session.start:
        raise BookingError(
            f"“{session.title}” has started, so there's nothing left to snooze. "
            "Press Join to come in."
        )
    if to == "start":
        return session.start
    due = now + timedelta(minutes=SNOOZE_MINUTES)
    if due > session.start:
        left = max(1, int((session.start - now).total_seconds() // 60))
        raise BookingError(
            f"“{session.title}” starts in {left} minute{'s' if left != 1 else ''}, before "
            f"{SNOOZE_MINUTES} minutes are up. Press *At the start* to be reminded then, "
            "or Join now."
        )
    return due
