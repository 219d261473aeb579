"""What the booking-text parser hands back: a `ParsedBooking`, or a `BookingTextError`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

MAX_TEXT = 4000  # Slack's own limit on a slash command's text


def brief(text: str, limit: int = 80) -> str:
    """`text` for quoting in a message: one line, at most `limit` characters.

    >>> brief("tomorrow " * 20)
    'tomorrow tomorrow tomorrow tomorrow tomorrow tomorrow tomorrow tomorrow tomorro…'
    """
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class BookingTextError(ValueError):
    """Booking text that can't be turned into a time.

    `str(error)` is written for the person who typed the text: it says what is missing or wrong
    and gives an example that works.

        >>> error = BookingTextError('No time of day in "tomorrow". Try "tomorrow 3pm".')
        >>> isinstance(error, ValueError), str(error)
        (True, 'No time of day in "tomorrow". Try "tomorrow 3pm".')
    """


@dataclass(frozen=True)
class Suggestion:
    """A corrected reading the app can offer as a button: parse `text` to book it.

    >>> Suggestion("Did you mean Thursday?", "thursday at noon").text
    'thursday at noon'
    """

    message: str  # "Did you mean Thursday?", "Book 3:00am?"
    text: str  # the booking text with the correction made


@dataclass(frozen=True)
class Repeat:
    """A weekly or daily series, kept as a wall-clock time in a zone so it stays at 3 pm across
    DST changes. The first occurrence is the booking's `start`. RFC 5545 RRULE terms: `count`
    counts occurrences (the first included); `until` is the last day (inclusive) on the zone's
    calendar; both None means no end was given.

        >>> Repeat("weekly", time="15:00", zone="Australia/Sydney", days=("TU",), count=6).as_dict()
        {'freq': 'weekly', 'interval': 1, 'days': ['TU'], 'count': 6, 'until': None, \
'time': '15:00', 'zone': 'Australia/Sydney'}
    """

    freq: str  # "daily" | "weekly"
    time: str  # "15:00": the wall-clock time of every occurrence in `zone`
    zone: str  # IANA zone of that wall clock
    interval: int = 1  # 2: every other week ("fortnightly") or day
    days: tuple[str, ...] = ()  # weekly: "MO".."SU"
    count: int | None = None
    until: date | None = None

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of `coviu-slack parse`'s "repeat"."""
        return {
            "freq": self.freq,
            "interval": self.interval,
            "days": list(self.days),
            "count": self.count,
            "until": self.until.isoformat() if self.until else None,
            "time": self.time,
            "zone": self.zone,
        }


@dataclass(frozen=True)
class ParsedBooking:
    """Booking text understood: when, until when, what and who — or why not.

    `start` and `end` are aware datetimes in the user's zone; `end` is None when the text gives no
    range or length (the bot applies its default length). `error` is None when the text was
    understood; otherwise it is a message for the user and `start`/`end` are None.

    Three outcomes, for the app to tell apart:

    - refused: `error` is set, `start` is None. `suggestion` may offer text that works
      ("2:30am doesn't exist ... Book 3:00am?"): a button that parses `suggestion.text`.
    - understood on a guess: `error` is None and `guess` says why a preview is needed (a bare
      hour, a zone other than the user's, a chosen year, a date either way round, a corrected
      word, a repeated hour). Show what was understood; book only when the person confirms.
      `suggestion`, when set, is a second button: for a corrected word the corrected text
      (`start`/`end` are already its reading), for an abbreviation out of season ("3pm EST" in
      July) the other reading ("3pm New York time").
    - understood: `error` and `guess` both None: book at once.

    `zone` is the IANA zone the time was read in (the user's unless the text named one; a fixed
    offset such as "UTC+2" appears as "Etc/GMT-2", or "UTC+05:30" where no Etc zone exists).
    `repeat` is a `Repeat` or None; `reminders` the lead times in minutes before the start,
    largest first, `()` for "no reminder" and None when the text said nothing about reminders.
    `date_order` is "DMY" or "MDY" when a numeric date could be read either way ("3/4").

        >>> ParsedBooking(title="Physio review", guests=("U0ALICE",)).as_dict()["guests"]
        ['U0ALICE']
    """

    start: datetime | None = None
    end: datetime | None = None
    title: str | None = None
    guests: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()
    error: str | None = None
    zone: str | None = None
    guess: str | None = None
    suggestion: Suggestion | None = None
    repeat: Repeat | None = None
    reminders: tuple[int, ...] | None = None
    date_order: str | None = None

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
            "zone": self.zone,
            "guess": self.guess,
            "repeat": self.repeat.as_dict() if self.repeat else None,
            "reminders": list(self.reminders) if self.reminders is not None else None,
        }
