"""What the booking-text parser hands back: a `ParsedBooking`, or a `BookingTextError`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


class BookingTextError(ValueError):
    """Booking text that can't be turned into a time.

    `str(error)` is written for the person who typed the text: it says what is missing or wrong
    and gives an example that works.

        >>> error = BookingTextError('No time of day in "tomorrow". Try "tomorrow 3pm".')
        >>> isinstance(error, ValueError), str(error)
        (True, 'No time of day in "tomorrow". Try "tomorrow 3pm".')
    """


@dataclass(frozen=True)
class ParsedBooking:
    """Booking text understood: when, until when, what and who — or why not.

    `start` and `end` are aware datetimes in the user's zone; `end` is None when the text gives no
    range or length (the bot applies its default length). `error` is None when the text was
    understood; otherwise it is a message for the user and `start`/`end` are None.

        >>> ParsedBooking(title="Physio review", guests=("U0ALICE",)).as_dict()["guests"]
        ['U0ALICE']
    """

    start: datetime | None = None
    end: datetime | None = None
    title: str | None = None
    guests: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when the text gave a usable start (and no error)."""
        return self.error is None and self.start is not None

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of `coviu-slack parse`: ISO-8601 with offsets, null where absent."""
        return {
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "title": self.title,
            "guests": list(self.guests),
            "hosts": list(self.hosts),
            "error": self.error,
        }
