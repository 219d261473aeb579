"""Understanding booking text: when, how long, who and what.

    >>> from datetime import datetime
    >>> from zoneinfo import ZoneInfo
    >>> now = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Australia/Sydney"))
    >>> booking = parse_booking(
    ...     '"Physio review" with <@U0ALICE> tomorrow 3pm for 45 min', now, "Australia/Sydney")
    >>> booking.as_dict()
    {'start': '2026-03-03T15:00:00+11:00', 'end': '2026-03-03T15:45:00+11:00', \
'title': 'Physio review', 'guests': ['U0ALICE'], 'hosts': [], 'error': None, \
'zone': 'Australia/Sydney', 'guess': None, 'repeat': None, 'reminders': None}
    >>> parse_booking("friday 3pm London", now, "Australia/Sydney").guess
    '3pm Friday in London is 2am Saturday your time'
    >>> parse_booking("tomorrow", now, "Australia/Sydney").error
    'I couldn\\'t find a time of day in "tomorrow". Try "tomorrow 3pm".'

The pipeline, in order: mentions and the quoted title come off the original text
(`bot.when.people`); the rest is normalised (`bot.when.text`), read into pieces by the patterns
(`bot.when.grammar`, `bot.when.reading`; zones and places in `bot.when.zones` and
`bot.when.places`; series and reminders in `bot.when.series`), checked for misspelt day and
month names (`bot.when.spelling`), and placed in time relative to now (`bot.when.resolve`).
Every pattern runs in linear time, and text past 4,000 characters is refused before any runs.
"""

from bot.when.parse import parse_booking, parse_duration, parse_when
from bot.when.result import BookingTextError, ParsedBooking, Repeat, Suggestion

__all__ = [
    "BookingTextError",
    "ParsedBooking",
    "Repeat",
    "Suggestion",
    "parse_booking",
    "parse_duration",
    "parse_when",
]
