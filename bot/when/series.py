"""Series and reminders in booking text: "every tuesday 3pm for 6 weeks", "weekly until 20
March", "every weekday 9am for 2 weeks", "remind 1 day and 10 min before", "no reminder".

Both are read before lengths and dates, so "for 6 weeks" is not a length, "until 20 March" not
the day of the booking, and "10 min before" not the session's length.

    >>> from bot.when.text import Scan, gate
    >>> scan = Scan("every tue and thu 3pm for six weeks, remind me 1 day and 10 min before")
    >>> scan.normalise()
    >>> spec = read_series(scan)
    >>> spec.freq, spec.days, spec.weeks, spec.reminders
    ('weekly', (1, 3), 6, (1440, 10))
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.when import grammar as g
from bot.when.result import BookingTextError, Repeat
from bot.when.text import Scan, gate

CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_DAYS = r"(?:" + g.WEEKDAY + r")s?"
EVERY = re.compile(
    r"\b(?:(?P<every>every|each)\s+(?P<other>other\s+|second\s+)?(?:(?P<unit>day|weekday|week"
    r"|fortnight|working\s+day)s?\b|(?P<days>" + _DAYS + r"(?:\s*(?:,|and|&)\s*" + _DAYS + r")*)\b)"
    r"|(?P<word>daily|weekly|fortnightly|biweekly)\b|on\s+(?P<plural>weekdays)\b)"
)
EVERY = gate(EVERY, "every", "each", "daily", "weekly", "fortnightly", "biweekly", "weekdays")
_UNIT = r"(?:weeks?|days?|fortnights?|times|sessions|occurrences)"
BOUND = re.compile(
    r"\b(?:for\s+(?:the\s+next\s+)?(?P<n>\d{1,4}|an?)\s+(?P<u>" + _UNIT + r")\b"
    r"|(?P<times>\d{1,4})\s+(?:times|sessions|occurrences)\b"
    r"|(?:until|till|through)\s+(?P<until>(?:the\s+)?\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?"
    + g.MONTH
    + r"|"
    + g.MONTH
    + r"\s*\d{1,2}(?:st|nd|rd|th)?(?![\d:])|\d{1,2}/\d{1,2}(?:/\d{2,4})?(?![\d:])"
    r"|\d{4}-\d{1,2}-\d{1,2})(?:\s*,?\s*(?P<uy>(?:19|20)\d{2}))?)"
)
BOUND = gate(BOUND, "for", "times", "sessions", "occurrences", "until", "till", "through")
_LEAD = (
    r"(?:\d{1,4}\s*|an?\s+)(?:weeks?|w|days?|d|hours?|hrs?|h|minutes?|mins?|m)\b"
    r"(?:\s*\d{1,2}\s*(?:minutes?|mins?|m)\b)?"  # "1 hr 15 min"; "and" starts another lead
)
REMIND = re.compile(
    r"\b(?:remind(?:er|ers)?|alert)(?:\s+(?:me|us|them|everyone|all|people))?\s+"
    r"(?:(?P<leads>" + _LEAD + r"(?:\s*(?:,\s*(?:and\s+)?|and\s+|&\s*)" + _LEAD + r")*)\s+"
    r"(?:before(?:hand)?|ahead|prior|earlier)\b|(?P<start>at\s+(?:the\s+)?start)\b)"
)
REMIND = gate(REMIND, "remind", "alert")
NO_REMIND = re.compile(
    r"\b(?:no|without(?:\s+a)?|don'?t|do\s+not|skip(?:\s+the)?)\s+remind(?:er|ers|ing)?"
    r"(?:\s+(?:me|us|them|anyone|everyone))?\b"
)
NO_REMIND = gate(NO_REMIND, "remind")
_LEAD_PART = re.compile(
    r"(?:(?P<n>\d+)\s*|(?P<a>an?)\s+)(?P<u>weeks?|w|days?|d|hours?|hrs?|h|minutes?|mins?|m)\b"
    r"(?:\s*(?P<extra>\d{1,2})\s*(?:minutes?|mins?|m)\b)?"
)
_MINUTES = {"w": 10080, "d": 1440, "h": 60, "m": 1}
MAX_LEAD = 28 * 1440  # four weeks: a reminder further ahead is a typing slip
MAX_OCCURRENCES = 366


@dataclass
class SeriesSpec:
    """What the text says about repeating and reminding, before the start is placed."""

    freq: str | None = None  # "daily" | "weekly"
    interval: int = 1
    days: tuple[int, ...] = ()  # weekdays, Monday 0 (weekly only; empty: the start's weekday)
    weeks: int | None = None  # "for 6 weeks"
    count: int | None = None  # "6 times", "for 5 days" of a daily series
    until: str | None = None  # the date as written: read by `bot.when.reading.until_date`
    until_year: int | None = None
    reminders: tuple[int, ...] | None = None  # minutes before the start; () for "no reminder"
    text: str = ""  # the repeat phrase as written, for messages


# A word every series or reminder phrase holds: one search skips the four patterns on the
# usual text that has none ("for 6 weeks" without "every" is only read to be refused).
_ANY = re.compile(r"every|each|daily|weekly|fortnight|biweekly|weekdays|remind|alert|week")


def read_series(scan: Scan) -> SeriesSpec:
    """Claim the repeat phrase, its bound and the reminders in `scan` (already normalised)."""
    spec = SeriesSpec()
    if _ANY.search(scan.text) is None:
        return spec
    _read_reminders(scan, spec)
    if (m := scan.search(EVERY)) is not None:
        spec.text = scan.original_of(*m.span())
        if m["word"]:
            spec.freq = "daily" if m["word"] == "daily" else "weekly"
            spec.interval = 1 if m["word"] in ("daily", "weekly") else 2
        elif m["plural"] or m["unit"] in ("weekday", "working day"):
            spec.freq, spec.days = "weekly", (0, 1, 2, 3, 4)
        elif m["unit"] == "day":
            spec.freq = "daily"
        elif m["unit"] in ("week", "fortnight"):
            spec.freq, spec.interval = "weekly", 2 if m["unit"] == "fortnight" else 1
        else:
            found = re.findall(g.WEEKDAY, m["days"])
            spec.freq = "weekly"
            spec.days = tuple(sorted({g.WEEKDAYS.index(d) for d in found}))
        if m["other"]:
            spec.interval *= 2
        scan.claim(*m.span())
    if (m := scan.search(BOUND)) is not None and (spec.freq or _weeks(m)):
        written = scan.original_of(*m.span())
        if spec.freq is None:  # "tomorrow 3pm for 6 weeks": a series, but how often?
            raise BookingTextError(
                f'"{written}" needs to say how often. Try "every tuesday 3pm {written}".'
            )
        if m["until"]:
            spec.until, spec.until_year = m["until"], int(m["uy"]) if m["uy"] else None
        elif m["times"]:
            spec.count = int(m["times"])
        else:
            n = 1 if m["n"] in ("a", "an") else int(m["n"])
            unit = m["u"]
            if unit.startswith("week") or unit.startswith("fortnight"):
                spec.weeks = n * (2 if unit.startswith("fortnight") else 1)
            elif unit.startswith("day"):
                if spec.freq != "daily":
                    raise BookingTextError(
                        f'"{written}" fits a daily series. Try "every day 9am {written}" or '
                        '"every tuesday 3pm for 6 weeks".'
                    )
                spec.count = n
            else:
                spec.count = n
        if (spec.count is not None and not 0 < spec.count <= MAX_OCCURRENCES) or (
            spec.weeks is not None and not 0 < spec.weeks <= 52
        ):
            raise BookingTextError(
                f'"{written}" is too long or too short for a series: up to a year. '
                'Try "every tuesday 3pm for 6 weeks".'
            )
        scan.claim(*m.span())
    return spec


def _read_reminders(scan: Scan, spec: SeriesSpec) -> None:
    if (m := scan.search(NO_REMIND)) is not None:
        spec.reminders = ()
        scan.claim(*m.span())
    for m in scan.finditer(REMIND):
        leads = [0] if m["start"] else [_lead(p) for p in _LEAD_PART.finditer(m["leads"])]
        if any(lead > MAX_LEAD for lead in leads):
            raise BookingTextError(
                f'"{scan.original_of(*m.span())}" is further ahead than reminders go (four '
                'weeks). Try "remind 1 day and 10 min before".'
            )
        if spec.reminders == ():
            raise BookingTextError(
                'The text asks for no reminder and for a reminder. Give one, e.g. "remind 10 min '
                'before" or "no reminder".'
            )
        spec.reminders = tuple(sorted({*(spec.reminders or ()), *leads}, reverse=True))
        scan.claim(*m.span())


def _weeks(m: re.Match[str]) -> bool:
    return bool(m["u"] and m["u"].startswith(("week", "fortnight")))


def _lead(m: re.Match[str]) -> int:
    n = 1 if m["a"] else int(m["n"])
    return n * _MINUTES[m["u"][0]] + int(m["extra"] or 0)


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH_NUMBER = {m: i for i, m in enumerate(_MONTHS, start=1)}
_UNTIL = re.compile(
    r"(?:the\s+)?(?P<d1>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m1>[a-z]+)\.?"
    r"|(?P<m2>[a-z]+)\.?\s*(?P<d2>\d{1,2})(?:st|nd|rd|th)?"
    r"|(?P<a>\d{1,2})/(?P<b>\d{1,2})(?:/(?P<c>\d{2,4}))?"
    r"|(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
)


def build_repeat(spec: SeriesSpec, start: datetime, order: str) -> Repeat | None:
    """The `Repeat` for `spec`, its first occurrence at `start` (aware, in the series' zone)."""
    if spec.freq is None:
        return None
    from bot.when.resolve import zone_name  # resolve imports reading, which imports this

    assert start.tzinfo is not None
    zone = zone_name(start.tzinfo, start)
    days: tuple[int, ...] = ()
    if spec.freq == "weekly":
        days = spec.days or (start.weekday(),)
        if start.weekday() not in days:
            names = " and ".join(g.WEEKDAYS[d].capitalize() + "s" for d in days)
            raise BookingTextError(
                f"The first session ({start:%A} {start.day} {start:%B}) isn't on {names}. "
                f'Give one day, e.g. "every {g.WEEKDAYS[days[0]]} 3pm for 6 weeks".'
            )
    count = spec.count
    if spec.weeks is not None:
        # N weeks from the first occurrence hold each chosen weekday once a week.
        per_week = len(days) if spec.freq == "weekly" else 7
        count = math.ceil(spec.weeks / spec.interval) * per_week
    until = _until(spec, start.date(), order) if spec.until else None
    return Repeat(
        spec.freq,
        time=f"{start:%H:%M}",
        zone=zone,
        interval=spec.interval,
        days=tuple(CODES[d] for d in days),
        count=count,
        until=until,
    )


def _until(spec: SeriesSpec, first: date, order: str) -> date:
    """The series' last day: "20 March" is the first 20 March on or after the first session."""
    text = spec.until or ""
    m = _UNTIL.fullmatch(" ".join(text.lower().split()))
    year = spec.until_year
    if m is None:
        raise BookingTextError(
            f'I couldn\'t read the date in "until {text}". Try "until 20 March".'
        )
    if m["y"]:
        year, month, day = int(m["y"]), int(m["m"]), int(m["d"])
    elif m["a"]:
        a, b = int(m["a"]), int(m["b"])
        month, day = (a, b) if order.upper().startswith("M") else (b, a)
        if m["c"]:
            year = int(m["c"]) + (2000 if len(m["c"]) == 2 else 0)
    else:
        word = (m["m1"] or m["m2"])[:3]
        if word not in _MONTH_NUMBER:
            raise BookingTextError(f'There\'s no month in "until {text}". Try "until 20 March".')
        month, day = _MONTH_NUMBER[word], int(m["d1"] or m["d2"])
    for y in [year] if year else range(first.year, first.year + 9):
        try:
            found = date(y, month, day)
        except ValueError:
            continue
        if found >= first:
            if found - first > timedelta(days=366):
                raise BookingTextError(
                    f'"until {text}" is more than a year away: a series can run up to a year. '
                    'Try "every tuesday 3pm for 6 weeks".'
                )
            return found
        if year:
            break
    shown = f"{text} {spec.until_year}" if spec.until_year else text
    raise BookingTextError(
        f'"until {shown}" is before the first session ({first:%A} {first.day} {first:%B}). '
        'Try a later date, e.g. "weekly until 20 December".'
    )
