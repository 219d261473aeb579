"""The public functions: `parse_booking`, `parse_when`, `parse_duration`."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.when import grammar
from bot.when.people import leftover_title, read_people
from bot.when.reading import amount_minutes, read
from bot.when.resolve import place
from bot.when.result import BookingTextError, ParsedBooking
from bot.when.text import Scan

_EMPTY = 'There\'s no booking text. Try "tomorrow 3pm for 30 min".'


def parse_booking(
    text: str, now: datetime, tz: str, *, locale_date_order: str = "DMY"
) -> ParsedBooking:
    """Understand booking text said at `now` by a user in IANA zone `tz`. Never raises for bad
    text: what is wrong goes into `.error`, with an example that works.

        >>> from datetime import datetime
        >>> from zoneinfo import ZoneInfo
        >>> now = datetime(2026, 3, 5, 10, 0, tzinfo=ZoneInfo("America/New_York"))
        >>> b = parse_booking("Team sync 2-3pm thursday with <@U0DAVE>", now, "America/New_York")
        >>> b.start.isoformat(), b.end.isoformat(), b.title, b.guests
        ('2026-03-05T14:00:00-05:00', '2026-03-05T15:00:00-05:00', 'Team sync', ('U0DAVE',))

    `locale_date_order` ("DMY", "MDY" or "YMD") decides "3/4"; a numeric date that only fits
    the other way round ("4/25") is read that way.
    """
    scan = Scan(text or "")
    quoted, guests, hosts = read_people(scan)
    try:
        start, end = _when(scan, text or "", now, tz, locale_date_order)
    except (BookingTextError, ValueError, OverflowError) as error:
        # BookingTextError speaks to the user; anything else is a date out of range or the like.
        message = (
            str(error)
            if isinstance(error, BookingTextError)
            else (f'I couldn\'t read a time in "{(text or "").strip()}". Try "tomorrow 3pm".')
        )
        title = quoted or leftover_title(scan)
        return ParsedBooking(title=title, guests=guests, hosts=hosts, error=message)
    return ParsedBooking(start, end, quoted or leftover_title(scan), guests, hosts)


def parse_when(
    text: str, now: datetime, tz: str, *, locale_date_order: str = "DMY"
) -> tuple[datetime, datetime | None]:
    """Just the time: (start, end or None). Raises `BookingTextError` with the user's message.

    >>> from datetime import datetime
    >>> from zoneinfo import ZoneInfo
    >>> now = datetime(2026, 3, 5, 10, 0, tzinfo=ZoneInfo("UTC"))
    >>> [t.isoformat() for t in parse_when("3pm for 1h30", now, "UTC")]
    ['2026-03-05T15:00:00+00:00', '2026-03-05T16:30:00+00:00']
    """
    scan = Scan(text or "")
    read_people(scan)  # mentions and quoted titles are not times
    return _when(scan, text or "", now, tz, locale_date_order)


def parse_duration(text: str) -> timedelta | None:
    """A length as typed in the modal: "45 min", "1h30", "1.5 hours", "90", "1:30".

    A bare number is minutes; None when it isn't a positive length.

        >>> parse_duration("45 min"), parse_duration("an hour and a half"), parse_duration("0")
        (datetime.timedelta(seconds=2700), datetime.timedelta(seconds=5400), None)
    """
    scan = Scan(text or "")
    scan.normalise()
    m = grammar.DURATION_FIELD.fullmatch(scan.text)
    if m is None:
        return None
    if m["bare"]:
        minutes = float(m["bare"])
    elif m["hh"]:
        minutes = int(m["hh"]) * 60 + int(m["mm"])
    else:
        minutes = amount_minutes(m)
    return timedelta(minutes=minutes) if minutes > 0 else None


def _when(
    scan: Scan, text: str, now: datetime, tz: str, order: str
) -> tuple[datetime, datetime | None]:
    zone = _zone(tz)
    if now.tzinfo is None:  # be forgiving: a naive "now" is a wall clock in the user's zone
        now = now.replace(tzinfo=zone)
    if not text.strip():
        raise BookingTextError(_EMPTY)
    scan.normalise()
    reading = read(scan, date_order=order)
    return place(reading, now, zone, text)


def _zone(tz: str) -> tzinfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise BookingTextError(
            f'I don\'t know the time zone "{tz}". Use an IANA name such as "Australia/Sydney".'
        ) from None
