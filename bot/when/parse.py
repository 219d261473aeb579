"""The public functions: `parse_booking`, `parse_when`, `parse_duration`."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.when import grammar, spelling
from bot.when.people import leftover_title, read_people
from bot.when.places import is_us_zone
from bot.when.reading import Reading, amount_minutes, read
from bot.when.resolve import GapError, Placed, place
from bot.when.result import MAX_TEXT, BookingTextError, ParsedBooking, Suggestion, brief
from bot.when.series import build_repeat
from bot.when.text import Scan

_EMPTY = 'There\'s no booking text. Try "tomorrow 3pm for 30 min".'
_TOO_LONG = (
    "That's {n:,} characters: booking text can be at most {max:,}. Put the details in the "
    'session instead and book with something like "Physio review tomorrow 3pm for 30 min".'
)


def parse_booking(
    text: str, now: datetime, tz: str, *, locale_date_order: str | None = None
) -> ParsedBooking:
    """Understand booking text said at `now` by a user in IANA zone `tz`. Never raises for bad
    text: what is wrong goes into `.error`, with an example that works.

        >>> from datetime import datetime
        >>> from zoneinfo import ZoneInfo
        >>> now = datetime(2026, 3, 5, 10, 0, tzinfo=ZoneInfo("America/New_York"))
        >>> b = parse_booking("Team sync 2-3pm thursday with <@U0DAVE>", now, "America/New_York")
        >>> b.start.isoformat(), b.end.isoformat(), b.title, b.guests, b.zone, b.guess
        ('2026-03-05T14:00:00-05:00', '2026-03-05T15:00:00-05:00', 'Team sync', ('U0DAVE',), \
'America/New_York', None)
        >>> parse_booking("blursday at noon", now, "America/New_York").suggestion
        Suggestion(message='Did you mean Thursday?', text='thursday at noon')

    `locale_date_order` ("DMY", "MDY" or "YMD") decides "3/4"; by default it follows `tz`:
    month first in the United States' zones, day first elsewhere. A numeric date that only fits
    the other way round ("4/25") is read that way.
    """
    return _parse(text or "", now, tz, locale_date_order, correct=True)


def _parse(text: str, now: datetime, tz: str, order: str | None, *, correct: bool) -> ParsedBooking:
    if len(text) > MAX_TEXT:
        # Before any pattern runs: a long text costs nothing to refuse.
        return ParsedBooking(error=_TOO_LONG.format(n=len(text), max=MAX_TEXT))
    scan = Scan(text)
    quoted, guests, hosts = read_people(scan)
    reading: Reading | None = None
    try:
        zone = _zone(tz)
        order = order or ("MDY" if is_us_zone(tz) else "DMY")
        reading = _read(scan, text, order)
        has_day, has_date = _has_day(reading)
        # Both spelling checks read only unclaimed words: when the patterns claimed every
        # word ("tomorrow at 3pm"), there is nothing for them to find.
        words_left = scan.letters_left()
        fix = spelling.correction(scan, has_day, has_date) if correct and words_left else None
        if fix is not None:
            return _corrected(fix, text, now, tz, order)
        if not has_date and words_left and (odd := spelling.unknown_month(scan)) is not None:
            raise BookingTextError(
                f'I don\'t know the month in "{odd[0]}". Try "{odd[1]} March 3pm".'
            )
        placed = _placed(reading, now, zone, text)
        repeat = (
            build_repeat(reading.series, placed.start.astimezone(placed.tz), order)
            if reading.series.freq is not None  # no series: skip making its first start
            else None
        )
    except (BookingTextError, ValueError, OverflowError) as error:
        return ParsedBooking(
            title=quoted or leftover_title(scan),
            guests=guests,
            hosts=hosts,
            error=_message(error, text),
            suggestion=error.suggestion if isinstance(error, GapError) else None,
            reminders=reading.series.reminders if reading else None,
        )
    either = bool(reading.days) and any(d.either_way for d in reading.days)
    return ParsedBooking(
        placed.start,
        placed.end,
        quoted or leftover_title(scan),
        guests,
        hosts,
        zone=placed.zone,
        guess="; ".join(placed.guesses) or None,
        suggestion=placed.suggestion,
        repeat=repeat,
        reminders=reading.series.reminders,
        date_order=order if either else None,
    )


def _message(error: Exception, text: str) -> str:
    # BookingTextError speaks to the user; anything else is a date out of range or the like.
    if isinstance(error, BookingTextError):
        return str(error)
    return f'I couldn\'t read a time in "{brief(text)}". Try "tomorrow 3pm".'


def _corrected(
    fix: spelling.Correction, text: str, now: datetime, tz: str, order: str
) -> ParsedBooking:
    """The reading of the corrected text, saying it rests on the correction."""
    fixed = fix.apply(text)
    meant = fix.meant.capitalize()
    suggestion = Suggestion(f"Did you mean {meant}?", fixed)
    result = _parse(fixed, now, tz, order, correct=False)
    if result.error is not None:
        return ParsedBooking(
            title=result.title,
            guests=result.guests,
            hosts=result.hosts,
            error=f'I don\'t know "{fix.written}". Did you mean {meant}? {result.error}',
            reminders=result.reminders,
        )
    reasons = [f'read "{fix.written}" as {meant}', *([result.guess] if result.guess else [])]
    return ParsedBooking(
        result.start,
        result.end,
        result.title,
        result.guests,
        result.hosts,
        zone=result.zone,
        guess="; ".join(reasons),
        suggestion=suggestion,
        repeat=result.repeat,
        reminders=result.reminders,
        date_order=result.date_order,
    )


def _has_day(reading: Reading) -> tuple[bool, bool]:
    """(whether the text gives a day, whether it gives more than a day of the month)."""
    day = bool(reading.days or reading.instant or reading.relative or reading.series.days)
    date = (day and any(d.kind != "day-of-month" for d in reading.days)) or bool(reading.instant)
    return day, date


def parse_when(
    text: str, now: datetime, tz: str, *, locale_date_order: str | None = None
) -> tuple[datetime, datetime | None]:
    """Just the time: (start, end or None). Raises `BookingTextError` with the user's message.

    >>> from datetime import datetime
    >>> from zoneinfo import ZoneInfo
    >>> now = datetime(2026, 3, 5, 10, 0, tzinfo=ZoneInfo("UTC"))
    >>> [t.isoformat() for t in parse_when("3pm for 1h30", now, "UTC")]
    ['2026-03-05T15:00:00+00:00', '2026-03-05T16:30:00+00:00']
    """
    text = text or ""
    if len(text) > MAX_TEXT:
        raise BookingTextError(_TOO_LONG.format(n=len(text), max=MAX_TEXT))
    scan = Scan(text)
    read_people(scan)  # mentions and quoted titles are not times
    zone = _zone(tz)
    order = locale_date_order or ("MDY" if is_us_zone(tz) else "DMY")
    placed = _placed(_read(scan, text, order), now, zone, text)
    return placed.start, placed.end


def parse_duration(text: str) -> timedelta | None:
    """A length as typed in the modal: "45 min", "1h30", "1.5 hours", "90", "1:30".

    A bare number is minutes; None when it isn't a positive length.

        >>> parse_duration("45 min"), parse_duration("an hour and a half"), parse_duration("0")
        (datetime.timedelta(seconds=2700), datetime.timedelta(seconds=5400), None)
    """
    if len(text or "") > MAX_TEXT:
        return None
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
    if not minutes > 0:
        return None
    try:
        return timedelta(minutes=minutes)
    except OverflowError:  # more days than a timedelta holds ("21330501439383953408"): no length
        return None


def _read(scan: Scan, text: str, order: str) -> Reading:
    if not text.strip():
        raise BookingTextError(_EMPTY)
    scan.normalise()
    return read(scan, date_order=order)


def _placed(reading: Reading, now: datetime, zone: tzinfo, text: str) -> Placed:
    if now.tzinfo is None:  # be forgiving: a naive "now" is a wall clock in the user's zone
        now = now.replace(tzinfo=zone)
    return place(reading, now, zone, text)


def _zone(tz: str) -> tzinfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        raise BookingTextError(
            f'I don\'t know the time zone "{brief(str(tz))}". Use an IANA name such as '
            '"Australia/Sydney".'
        ) from None
