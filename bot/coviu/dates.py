"""Dates as the Coviu Session API writes and reads them.

The seed specifies RFC-1123 (``Wed, 08 Jun 2016 04:07:11 GMT``); Coviu's SDKs also send
ISO-8601, so both are accepted on input. Output is always RFC-1123. Every datetime handled here
is timezone-aware::

    >>> to_rfc1123(parse_date("2016-06-08T14:07:11+10:00"))
    'Wed, 08 Jun 2016 04:07:11 GMT'
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime


def to_rfc1123(moment: datetime) -> str:
    """Format an aware datetime as RFC-1123 in GMT, whole seconds."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: Coviu dates must be timezone-aware")
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0), usegmt=True)


def parse_date(text: str) -> datetime:
    """Parse an RFC-1123 or ISO-8601 date string into an aware UTC datetime.

    Raises ValueError for anything else, including ISO-8601 without an offset (a wall-clock
    time with no zone cannot name an instant).
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError("expected a date string")
    text = text.strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError) as error:
            raise ValueError(f"not an RFC-1123 or ISO-8601 date: {text!r}") from error
    if moment.tzinfo is None:
        raise ValueError(f"date has no time zone: {text!r}")
    return moment.astimezone(UTC)
