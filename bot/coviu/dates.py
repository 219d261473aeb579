"""Dates as the Coviu Session API writes and reads them.

The seed specifies RFC-1123 (``Wed, 08 Jun 2016 04:07:11 GMT``); Coviu's SDKs also send
ISO-8601, so both are accepted on input, strictly: an RFC-1123 date must name the right
weekday, and an ISO-8601 one must be a full date and time with an offset, nothing more. Output
is always RFC-1123. Every datetime handled here is timezone-aware::

    >>> to_rfc1123(parse_date("2016-06-08T14:07:11+10:00"))
    'Wed, 08 Jun 2016 04:07:11 GMT'
    >>> parse_date("Thu, 08 Jun 2016 04:07:11 GMT")
    Traceback (most recent call last):
    ...
    ValueError: wrong weekday: 08 Jun 2016 is a Wed, not a Thu
    >>> parse_date("2026-12-04T12:19:11X+00:00")
    Traceback (most recent call last):
    ...
    ValueError: not an RFC-1123 or ISO-8601 date: '2026-12-04T12:19:11X+00:00' (examples: ...)
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Longest date string worth reading; anything longer is refused before any regex runs.
MAX_DATE_LENGTH = 64

# RFC-1123 as HTTP and JavaScript's toUTCString() write it (RFC 7231's IMF-fixdate), with a
# one-digit day tolerated: "Wed, 08 Jun 2016 04:07:11 GMT".
_RFC1123 = re.compile(
    r"(?P<wd>[A-Z][a-z]{2}), (?P<d>\d{1,2}) (?P<mon>[A-Z][a-z]{2}) (?P<y>\d{4}) "
    r"(?P<h>\d{2}):(?P<mi>\d{2}):(?P<s>\d{2}) GMT",
    re.ASCII,
)
# ISO-8601 extended format, date and time, seconds required, optional fraction, and a zone:
# "2016-06-08T04:07:11Z", "2016-06-08T14:07:11.250+10:00".
_ISO8601 = re.compile(
    r"(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})T(?P<h>\d{2}):(?P<mi>\d{2}):(?P<s>\d{2})"
    r"(?:\.(?P<f>\d{1,6}))?(?:(?P<z>Z)|(?P<sign>[+-])(?P<oh>\d{2}):(?P<om>\d{2}))",
    re.ASCII,
)

_EXAMPLES = "(examples: 'Wed, 08 Jun 2016 04:07:11 GMT', '2016-06-08T04:07:11Z')"


def to_rfc1123(moment: datetime) -> str:
    """Format an aware datetime as RFC-1123 in GMT, whole seconds."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: Coviu dates must be timezone-aware")
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0), usegmt=True)


def parse_date(text: str) -> datetime:
    """Parse a strict RFC-1123 or ISO-8601 date string into an aware UTC datetime.

    Raises ValueError for anything else: a wrong weekday, an impossible day or time, ISO-8601
    without an offset (a wall-clock time with no zone cannot name an instant), trailing junk,
    or an instant outside the years 1 to 9999 in UTC.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError("expected a date string " + _EXAMPLES)
    if len(text) > MAX_DATE_LENGTH:
        raise ValueError(f"date string too long ({len(text)} characters) {_EXAMPLES}")
    text = text.strip()
    if match := _RFC1123.fullmatch(text):
        return _from_rfc1123(match, text)
    if match := _ISO8601.fullmatch(text):
        return _from_iso8601(match, text)
    raise ValueError(f"not an RFC-1123 or ISO-8601 date: {text!r} {_EXAMPLES}")


def _checked(text: str, *parts: int, tz: timezone = UTC, micro: int = 0) -> datetime:
    year, month, day, hour, minute, second = parts
    try:
        moment = datetime(year, month, day, hour, minute, second, micro, tzinfo=tz)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError) as error:
        raise ValueError(f"not a valid date: {text!r} ({error})") from None


def _from_rfc1123(match: re.Match[str], text: str) -> datetime:
    if match["mon"] not in MONTHS:
        raise ValueError(f"unknown month {match['mon']!r} in {text!r} (use Jan ... Dec)")
    if match["wd"] not in WEEKDAYS:
        raise ValueError(f"unknown weekday {match['wd']!r} in {text!r} (use Mon ... Sun)")
    fields = (int(match["y"]), MONTHS.index(match["mon"]) + 1, int(match["d"]))
    moment = _checked(text, *fields, int(match["h"]), int(match["mi"]), int(match["s"]))
    actual = WEEKDAYS[moment.weekday()]
    if actual != match["wd"]:
        raise ValueError(
            f"wrong weekday: {int(match['d']):02d} {match['mon']} {match['y']} is a {actual}, "
            f"not a {match['wd']}"
        )
    return moment


def _from_iso8601(match: re.Match[str], text: str) -> datetime:
    tz = UTC
    if not match["z"]:
        hours, minutes = int(match["oh"]), int(match["om"])
        if hours > 23 or minutes > 59:
            raise ValueError(f"not a valid offset in {text!r}")
        delta = timedelta(hours=hours, minutes=minutes)
        tz = timezone(-delta if match["sign"] == "-" else delta)
    fraction = (match["f"] or "").ljust(6, "0")
    return _checked(
        text,
        int(match["y"]),
        int(match["mo"]),
        int(match["d"]),
        int(match["h"]),
        int(match["mi"]),
        int(match["s"]),
        tz=tz,
        micro=int(fraction),
    )
