"""Reading booking text into pieces: clock times, a day, a period, a length, a zone.

`read(scan)` claims what it understands in a fixed order — instants and zones first, then
relative phrases and lengths (so "in 2 hours" and "for 30 min" are not mistaken for clock
times), then days, then ranges and single times — and returns a `Reading`. Nothing here knows
what "now" is; `bot.when.resolve` places the pieces in time.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import NamedTuple

from bot.when import grammar as g
from bot.when import zones
from bot.when.places import Place
from bot.when.result import BookingTextError
from bot.when.series import SeriesSpec, read_series
from bot.when.text import Scan

_FEW = {"couple": 2, "few": 3, "several": 3}


# Clock and Day are named tuples rather than frozen dataclasses: as immutable, and made in a
# quarter of the time (a frozen dataclass sets each field through object.__setattr__), which
# counts when every parse makes one or two of each.
class Clock(NamedTuple):
    """A time of day as written: "quarter to 4" is hour 4, offset -15."""

    hour: int
    minute: int = 0
    meridiem: str | None = None  # "am" or "pm" when written
    h24: bool = False  # written on a 24-hour clock: 15:00, 08:00, 8h00, 0930
    special: str | None = None  # "noon" or "midnight"
    offset: int = 0  # minutes added once the hour is placed
    text: str = ""

    @property
    def ambiguous(self) -> bool:
        """A bare hour that working hours, a period or a range partner must place."""
        return self.meridiem is None and not self.h24 and self.special is None


class Day(NamedTuple):
    """Which day: an offset from today, a weekday, a (year-)month-day, or a day of the month."""

    kind: str  # "offset" | "weekday" | "date" | "day-of-month" | "nth-weekday"
    text: str
    offset: int = 0
    weekday: int | None = None
    mode: str = "bare"  # weekdays: "bare" | "next" | "next-week" | "this-week" | "after-next"
    year: int | None = None
    month: int | None = None
    day: int | None = None
    nth: int = 0  # nth-weekday: 1..5, or -1 for "last"; `month` None means this month or next
    either_way: bool = False  # a numeric date that reads both ways round ("3/4")


@dataclass
class Reading:
    """Everything time-like found in the text, before it is placed relative to now."""

    start: Clock | None = None
    end: Clock | None = None
    period: str | None = None  # "morning" | "afternoon" | "evening" | "night" | "am" | "pm"
    days: list[Day] = field(default_factory=list)
    instant: datetime | None = None  # an ISO 8601 instant with its offset
    relative: timedelta | None = None  # "in 2 hours": from now, on the clock on the wall
    length: timedelta | None = None
    zone: tzinfo | None = None
    zone_text: str = ""
    place: Place | None = None  # the place a zone word named (None for "UTC+2")
    same_time: bool = False  # "this time tomorrow": the clock's reading now
    series: SeriesSpec = field(default_factory=SeriesSpec)
    date_order: str = "DMY"  # how numeric dates were read
    past: str | None = None  # a past phrase such as "yesterday", as written
    past_example: str | None = None
    vague: str | None = None  # "next week" with no day
    time_text: str = ""
    length_text: str = ""

    @property
    def found_anything(self) -> bool:
        return bool(
            self.start
            or self.days
            or self.instant
            or self.relative
            or self.length
            or self.zone
            or self.past
            or self.vague
            or self.period
        )


def read(scan: Scan, *, date_order: str = "DMY") -> Reading:
    """Claim and interpret every time-like phrase in `scan` (already normalised)."""
    reading = Reading(date_order=date_order)
    free = bytes(scan.busy)
    _read_instant(scan, reading)
    zones.read_zones(scan, reading)
    reading.series = read_series(scan)
    _read_nth_weekdays(scan, reading)  # before the past: "last friday of the month" is ahead
    _read_past(scan, reading)
    _read_relative(scan, reading)
    _read_lengths(scan, reading)
    _read_dates(scan, reading, date_order)
    _read_days(scan, reading)
    _read_periods(scan, reading)
    _read_same_time(scan, reading)
    _read_range(scan, reading)
    _read_times(scan, reading)
    # A place beside a time is words nobody claimed: with no letter left there is none.
    if scan.letters_left():
        # What the time and day patterns claimed, for "friday 3pm London".
        # Claims only ever set bytes, so XOR with the state before reading leaves the new ones.
        n = len(free)
        claims = int.from_bytes(scan.busy[:n], "big") ^ int.from_bytes(free, "big")
        # Also with a zone already named: "3pm London Tokyo time" names two and is refused.
        zones.read_trailing_places(scan, reading, claims.to_bytes(n, "big"))
    return reading


# --- instants, zones, the past ------------------------------------------------------------


def _read_instant(scan: Scan, reading: Reading) -> None:
    if g.DATE_NEEDS.search(scan.text) and (m := scan.search(g.ISO_INSTANT)) is not None:
        reading.instant = datetime.fromisoformat(m.group().upper().replace(" ", "T"))
        reading.time_text = scan.original_of(*m.span())
        scan.claim(*m.span())


def _read_past(scan: Scan, reading: Reading) -> None:
    # Short text skips the grammar's gates (see `text.gate`); asked here with `in`, these words
    # (PAST's gate: every match holds one) cost a fifth of the pattern's scan, and most
    # booking text has none of them.
    text = scan.text
    if not ("yesterday" in text or "last" in text or "ago" in text or "earlier" in text):
        return
    if (m := scan.search(g.PAST)) is None:
        return
    reading.past = scan.original_of(*m.span())
    phrase = m.group()
    if phrase.startswith("last "):
        better = "next " + phrase.split(None, 1)[1]
    elif phrase.endswith(" ago"):
        better = "in " + phrase[: -len(" ago")]
    elif phrase == "earlier today":
        better = "today"
    else:
        better = "tomorrow"
    example = scan.text[: m.start()] + better + scan.text[m.end() :]
    reading.past_example = " ".join(example.split())
    scan.claim(*m.span())


# --- relative phrases and lengths ---------------------------------------------------------


def _count(word: str) -> float:
    """'2' → 2, 'an' → 1, 'a couple of' → 2, 'a few' → 3, '1.5' → 1.5."""
    word = word.replace(",", ".")
    for key, value in _FEW.items():
        if key in word:
            return value
    return 1 if word in ("a", "an") else float(word)


def amount_minutes(m: re.Match[str], p: str = "") -> float:
    """Minutes in a match of `grammar.amount(p)`."""
    if m[p + "halfh"]:
        return 30
    if m[p + "mn"]:
        return float(m[p + "mn"])
    minutes = _count(m[p + "hn"]) * 60
    if m[p + "hm1"] or m[p + "hm"]:
        minutes += int(m[p + "hm1"] or m[p + "hm"])
    if m[p + "hhalf"]:
        minutes += 30
    return minutes


def _read_relative(scan: Scan, reading: Reading) -> None:
    # The gates of RELATIVE and FROM_NOW, asked with `in` as in `_read_past`.
    text = scan.text
    if "in" in text and (m := scan.search(g.RELATIVE)) is not None:
        if m["rdu"]:
            days = {"d": 1, "w": 7, "f": 14}[m["rdu"][0]] * int(_count(m["rdn"]))
            reading.days.append(Day("offset", scan.original_of(*m.span()), offset=days))
        else:
            minutes = int(m["rmn"]) if m["rmn"] else amount_minutes(m, "r_")
            reading.relative = timedelta(minutes=minutes)
            reading.time_text = scan.original_of(*m.span())
        scan.claim(*m.span())
    if not ("from" in text or "today" in text or "tomorrow" in text or "later" in text):
        return
    if (m := scan.search(g.FROM_NOW)) is not None:
        unit = m["fu"]
        n = int(_count(m["fn"]))
        base = m["fb"] or m["fb2"] or "now"
        if unit[0] in "mh":
            if base != "now" and not m["later"]:
                return  # "2 hours from tomorrow" means nothing useful
            reading.relative = timedelta(minutes=n * (60 if unit[0] == "h" else 1))
            reading.time_text = scan.original_of(*m.span())
        else:
            days = n * {"d": 1, "w": 7, "f": 14}[unit[0]] + (base == "tomorrow")
            reading.days.append(Day("offset", scan.original_of(*m.span()), offset=days))
        scan.claim(*m.span())


def _read_lengths(scan: Scan, reading: Reading) -> None:
    # DURATION's gate, asked with `in` as in `_read_past`: every match holds "for" or "(".
    text = scan.text
    found = [m for m in scan.finditer(g.DURATION)] if "for" in text or "(" in text else []
    for m in found:
        if m["neg"]:
            written = scan.original_of(*m.span())
            example = _without(scan, m.start("neg"), m.end("neg"))
            raise BookingTextError(f'A length can\'t be negative ("{written}"). Try "{example}".')
        scan.claim(*m.span())
    # Without "for" or brackets, only spelled-out units: "45 min" yes, "15h" (a clock time) no.
    for m in scan.finditer(g.DURATION_BARE):
        if m["hu"] == "h" or m["mu"] == "m":
            continue
        if m["hn"] and not m["hn"][0].isdigit() and not m["hm"]:
            continue  # "an hour" on its own is too loose without "for"
        scan.claim(*m.span())
        found.append(m)
    if not found:
        return
    lengths = {amount_minutes(m) for m in found}
    if len(lengths) > 1:
        texts = " and ".join(f'"{scan.original_of(*m.span())}"' for m in found)
        raise BookingTextError(f'I found two lengths ({texts}). Give one, e.g. "for 45 min".')
    minutes = lengths.pop()
    if minutes <= 0:
        written = scan.original_of(*found[0].span()).strip()
        example = _without(scan, *found[0].span(), instead=" for 30 min")
        raise BookingTextError(
            f'A booking needs some length ("{written}" is none). Try "{example}".'
        )
    reading.length = timedelta(minutes=minutes)
    reading.length_text = scan.original_of(*found[0].span())


def _without(scan: Scan, start: int, end: int, instead: str = "") -> str:
    """The user's text with `text[start:end]` replaced: an example built from what they typed."""
    a, b = scan.src[start][0], scan.src[end - 1][1]
    return " ".join((scan.original[:a] + instead + scan.original[b:]).split())


# --- days ---------------------------------------------------------------------------------


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH_NUMBER = {m: i for i, m in enumerate(_MONTHS, start=1)}
_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4,
             "4th": 4, "fifth": 5, "5th": 5, "last": -1}  # fmt: skip


def month_number(word: str) -> int:
    """1-12 for a month name or its abbreviation as `grammar.MONTH` matched it."""
    return _MONTH_NUMBER[word[:3]]


def no_such_day(text: str, month: int, day: int, year: int | None = None) -> BookingTextError:
    """The refusal for a day past its month's end: "31 April", "29 Feb 2027", "31/4"."""
    name = calendar.month_name[month]
    if month == 2 and day == 29 and year is not None:
        return BookingTextError(
            f"{year} isn't a leap year, so there's no 29 February (\"{text}\"). "
            f'Try "28 February {year} 3pm" or "1 March {year} 3pm".'
        )
    last = calendar.monthrange(year or 2000, month)[1]  # 2000: a leap year, 29 Feb exists
    if 1 <= month <= 12 and day > last:
        return BookingTextError(
            f'{name} has {last} days, so there\'s no "{text}". Try "{last} {name} 3pm".'
        )
    return BookingTextError(f'There\'s no date "{text}". Try "20 March 3pm".')


def _read_dates(scan: Scan, reading: Reading, order: str) -> None:
    # Each pattern only where the text holds what every match of it must (see grammar).
    named = g.NAMED_DATE_NEEDS.search(scan.text) is not None
    numeric = g.DATE_NEEDS.search(scan.text) is not None
    for m in scan.finditer(g.NAMED_DATE) if named else ():
        text = scan.original_of(*m.span())
        day = int(m["d1"] or m["d2"])
        month = month_number(m["m1"] or m["m2"])
        year = int(m["y"]) if m["y"] else None
        _check_date(text, year, month, day)
        reading.days.append(_date_day(text, year, month, day, m["wd"]))
        scan.claim(*m.span())
    for m in scan.finditer(g.ISO_DATE) if numeric else ():
        text = scan.original_of(*m.span())
        _check_date(text, int(m["y"]), int(m["m"]), int(m["d"]))
        reading.days.append(Day("date", text, year=int(m["y"]), month=int(m["m"]), day=int(m["d"])))
        scan.claim(*m.span())
    for m in scan.finditer(g.NUMERIC_DATE) if numeric else ():
        if m["c"] is None and m["s"] != "/":
            continue  # "3-4" is a range and "3.30" a time; only "4/25" is a date without a year
        text = scan.original_of(*m.span())
        a, b = int(m["a"]), int(m["b"])
        month, day = _month_day(a, b, order, text)
        year = m["c"] and (int(m["c"]) + (2000 if len(m["c"]) == 2 else 0))
        _check_date(text, year or None, month, day)
        either = a != b and 1 <= a <= 12 and 1 <= b <= 12
        day_spec = _date_day(text, year, month, day, m["wd"])
        reading.days.append(day_spec._replace(either_way=either))
        scan.claim(*m.span())


def _read_nth_weekdays(scan: Scan, reading: Reading) -> None:
    if "day" not in scan.text:
        return
    for m in scan.finditer(g.NTH_WEEKDAY):
        month = month_number(m["mon"]) if m["mon"] else None
        if m["rel"] == "next":
            month = 0  # resolved against today: the month after this one
        reading.days.append(
            Day(
                "nth-weekday",
                scan.original_of(*m.span()),
                weekday=g.WEEKDAYS.index(m["wd"]),
                nth=_ORDINALS[m["ord"]],
                month=month,
                year=int(m["y"]) if m["y"] else None,
            )
        )
        scan.claim(*m.span())


def _read_same_time(scan: Scan, reading: Reading) -> None:
    # The `in` checks here and below cost a fraction of a pattern scan on the usual short text.
    if "time" in scan.text and (m := scan.search(g.SAME_TIME)) is not None:
        reading.same_time = True
        reading.time_text = scan.original_of(*m.span())
        scan.claim(*m.span())


def _date_day(text: str, year: str | int | None, month: int, day: int, wd: str | None) -> Day:
    weekday = g.WEEKDAYS.index(wd) if wd else None
    return Day(
        "date", text, year=int(year) if year else None, month=month, day=day, weekday=weekday
    )


def _month_day(a: int, b: int, order: str, text: str) -> tuple[int, int]:
    """Numeric day and month in the user's locale order, or the other way when only that fits."""
    month, day = (a, b) if order.upper().startswith("M") else (b, a)
    if not (1 <= month <= 12 and 1 <= day <= 31):
        month, day = day, month
    if not (1 <= month <= 12 and 1 <= day <= 31):
        example = "25/3" if not order.upper().startswith("M") else "3/25"
        raise BookingTextError(f'There\'s no date "{text}". Try "{example} 3pm".')
    return month, day


def _check_date(text: str, year: int | None, month: int, day: int) -> None:
    if not 1 <= month <= 12 or day < 1:
        raise BookingTextError(f'There\'s no date "{text}". Try "2026-03-25 3pm".')
    try:
        date(year or 2000, month, day)  # 2000 is a leap year: a bare "29 Feb" is fine
    except ValueError:
        raise no_such_day(text, month, day, year) from None


def _read_days(scan: Scan, reading: Reading) -> None:
    for m in scan.finditer(g.DAY_OF_MONTH) if "the" in scan.text else ():  # "the 20th"
        text = scan.original_of(*m.span())
        if not 1 <= int(m["d"]) <= 31:
            raise BookingTextError(f'There\'s no day "{text}". Try "the 20th at 3pm".')
        # `offset` counts months: "the 3rd of next month" is next month's whatever today is.
        ahead = 1 if m["rel"] == "next" else 0
        reading.days.append(Day("day-of-month", text, day=int(m["d"]), offset=ahead))
        scan.claim(*m.span())
    # The gates of DAYWORD, WEEKDAY_PHRASE and VAGUE, asked with `in` as in `_read_past`.
    text = scan.text
    for m in scan.finditer(g.DAYWORD) if "tomorrow" in text or "today" in text else ():
        offset = 2 if m["dat"] else 1 if m["tomorrow"] else 0
        reading.days.append(Day("offset", scan.original_of(*m.span()), offset=offset))
        scan.claim(*m.span())
    for m in scan.finditer(g.WEEKDAY_PHRASE) if "day" in text else ():
        mode = "bare"
        if m["nw"] or m["wk"] == "next week":
            mode = "next-week"
        elif m["wk"] == "this week":
            mode = "this-week"
        elif m["wk"] in ("after next", "week"):  # British "friday week" too
            mode = "after-next"
        elif m["mod"] == "next":
            mode = "next"
        text = scan.original_of(*m.span())
        reading.days.append(Day("weekday", text, weekday=g.WEEKDAYS.index(m["wd"]), mode=mode))
        scan.claim(*m.span())
    if ("week" in text or "month" in text) and (m := scan.search(g.VAGUE)) is not None:
        reading.vague = scan.original_of(*m.span())
        scan.claim(*m.span())


def _read_periods(scan: Scan, reading: Reading) -> None:
    for m in scan.finditer(g.PERIOD) if g.PERIOD_NEEDS.search(scan.text) else ():
        bare = m["part"] and m.start("part") == m.start()
        if bare and not (m["bare_at"] or after_context(scan.text, m.start())):
            continue  # "Morning standup tomorrow 9": a title word, not a period
        period = "evening" if m["tonight"] else m["part"] or ("night" if m["night"] else m["mer"])
        scan.claim(*m.span())
        reading.period = reading.period or period


# --- clock times --------------------------------------------------------------------------


# The groups `clock` reads, fetched in one call per match (`m.group(*names)`) rather than one
# look-up (and one name built) each.
_CLOCK_GROUPS = ("mer", "mer1", "qa", "qb", "half", "noon", "mid", "hhmm", "h", "mc", "md", "mh")
_GROUP_NAMES = {p: tuple(p + name for name in _CLOCK_GROUPS) for p in ("", "s_", "e_")}


def clock(m: re.Match[str], p: str = "") -> Clock:
    """The `Clock` in a match of `grammar.atom(p)`; BookingTextError if it can't be a time."""
    text = m.group()
    mer, mer1, qa, qb, half, noon, mid, hhmm, hour_text, mc, md, mh = m.group(*_GROUP_NAMES[p])
    mer = mer or mer1
    meridiem = (mer + "m") if mer else None
    if qa or qb:
        words, side = (qa, "a") if qa else (qb, "b")
        minutes = 15 if words == "quarter" else 30 if words == "half" else int(words.split()[0])
        # "15 minutes from 1pm" counts forward like "past"; "to", "till", "before", "of" back.
        offset = minutes if side == "a" or m[p + "qbw"] == "from" else -minutes
        b = p + side
        if m[b + "bnoon"]:
            return Clock(12, special="noon", offset=offset, text=text)
        if m[b + "bmid"]:
            return Clock(0, special="midnight", offset=offset, text=text)
        hour = int(m[b + "bh"])
        h24 = hour > 12 or hour == 0 or m.string[m.end(b + "bh") : m.end(b + "bh") + 1] == "h"
        return _checked(Clock(hour, 0, meridiem, h24, offset=offset, text=text))
    if half:  # British "half three": half past three
        return _checked(Clock(int(half), 0, meridiem, offset=30, text=text))
    if noon:
        return Clock(12, special="noon", text=text)
    if mid:
        return Clock(0, special="midnight", text=text)
    if hhmm:
        digits = hhmm
        hour, minute = divmod(int(digits), 100)
        h24 = digits.startswith("0") or hour > 12 or hour == 0
        return _checked(Clock(hour, minute, meridiem, h24, text=text))
    # TIME_UNSPACED has no such group. (Asked of the pattern: `groupdict()` would build a dict
    # of every group for one value.)
    spaced = m[p + "ms"] if p + "ms" in m.re.groupindex else None
    minute_text = mc or md or mh or spaced
    hour = int(hour_text)
    h_sep = m.string[m.end(p + "h") : m.end(p + "h") + 1] == "h"
    h24 = hour > 12 or hour == 0 or (len(hour_text) == 2 and hour_text[0] == "0") or h_sep
    return _checked(Clock(hour, int(minute_text or 0), meridiem, h24, text=text))


def _checked(c: Clock) -> Clock:
    shown = c.text.strip()
    if c.hour > 23 or c.minute > 59:
        raise BookingTextError(
            f'"{shown}" isn\'t a time of day: the clock runs from 00:00 to 23:59. '
            'Try "3pm", "15:00" or "midnight".'
        )
    if c.meridiem is not None and (c.hour == 0 or c.hour > 12):
        # "13pm" is 1 pm or a typo for 3 pm: refuse rather than pick one.
        better = f"{c.hour - 12}{c.meridiem}" if c.hour > 12 else f"12{c.meridiem}"
        raise BookingTextError(
            f'"{shown}" isn\'t a time of day: with am or pm the hour runs from 1 to 12. '
            f'Try "{better}" or "{c.hour:02d}:{c.minute:02d}".'
        )
    return c


def _strong(c: Clock, m: re.Match[str], p: str = "") -> bool:
    """Whether the atom says "time" on its own, without context ("3pm", "9:30", "noon")."""
    return bool(
        c.meridiem
        or c.special
        or c.offset
        or m[p + "mc"]
        or m[p + "mh"]
        or _H_SEPARATOR.search(c.text)  # "15h", "8h gmt"; a bare "20" is not a time
        or "oclock" in c.text
    )


_H_SEPARATOR = re.compile(r"\dh(?![a-z])")


def _clock_or_skip(m: re.Match[str], p: str = "") -> Clock | None:
    """`clock(m, p)`, or None for a number that only looked like a time ("room 45 tomorrow").

    A malformed time written as a time ("25:00", "0am") is still an error for the user.
    """
    try:
        return clock(m, p)
    except BookingTextError:
        if m[p + "mer"] or m[p + "mer1"] or m[p + "mc"] or m[p + "mh"] or "oclock" in m.group():
            raise
        return None


def after_context(text: str, pos: int) -> bool:
    """Whether a day or period word ends just before `pos` ("tomorrow 9", "morning 10").

    Looks back a bounded window: searching from the start of the text for each candidate made
    long texts quadratic.
    """
    return g.BEFORE_CONTEXT.search(text, max(0, pos - 32), pos) is not None


# Words in a time's or range's lead, compiled here rather than looked up in `re`'s cache per call.
_AT_ABOUT = re.compile(r"at|@|around|about|approx|circa|by|~")
_AT = re.compile(r"at|@")
_LATER = re.compile(r"later|after")
_FROM_LATER = re.compile(r"from|between|later|after")


def _context(scan: Scan, m: re.Match[str]) -> bool:
    pre = m["pre"] or ""
    return bool(
        _AT_ABOUT.search(pre)
        or ("ctx" in m.re.groupindex and m["ctx"])
        or after_context(scan.text, m.start())
    )


def _read_range(scan: Scan, reading: Reading) -> None:
    if g.RANGE_NEEDS.search(scan.text) is None:
        return
    for m in scan.finditer(g.RANGE):
        lead, sep = m["lead"] or "", m["sep"]
        if sep == "and" and "between" not in lead:
            continue
        if sep.startswith("but") and not _LATER.search(lead):
            continue
        # "15 to noon" is a quarter to twelve, not 15:00 until noon.
        single = g.ATOM.match(scan.text, m.end("lead") if m["lead"] else m.start())
        if single is not None and single["qb"] and single.end() >= m.end():
            continue
        start, end = _clock_or_skip(m, "s_"), _clock_or_skip(m, "e_")
        if start is None or end is None:
            continue
        strong = (
            _strong(start, m, "s_")
            or _strong(end, m, "e_")
            or _FROM_LATER.search(lead)
            or m["ctx"]
            or after_context(scan.text, m.start())
        )
        if not strong:
            continue
        reading.start, reading.end = start, end
        reading.time_text = scan.original_of(*m.span())
        scan.claim(*m.span())
        return


def _read_times(scan: Scan, reading: Reading) -> None:
    found: list[tuple[Clock, re.Match[str]]] = []
    for m in scan.finditer(g.TIME):
        c = _clock_or_skip(m)
        if m["ms"] and not ((c and c.meridiem) or _AT.search(m["pre"] or "")):
            # "3 20 people" is not twenty past three: read the spot again without "3 20".
            m2 = g.TIME_UNSPACED.match(scan.text, m.start())
            if m2 is None:
                continue
            m, c = m2, _clock_or_skip(m2)
        if c is None or not (_strong(c, m) or _context(scan, m)):
            continue
        scan.claim(*m.span())
        found.append((c, m))
    if not found:
        return
    if reading.start is not None or (len(found) > 1 and len({_key(c) for c, _ in found}) > 1):
        texts = [reading.time_text] if reading.start else []
        texts += [scan.original_of(*m.span()).strip() for _, m in found]
        shown = " and ".join(f'"{t}"' for t in texts[:2])
        raise BookingTextError(
            f'I found two times ({shown}). Give one, e.g. "3pm", or a range like "3-4pm".'
        )
    reading.start = found[0][0]
    reading.time_text = scan.original_of(*found[0][1].span()).strip()


def _key(c: Clock) -> tuple[object, ...]:
    return (c.hour, c.minute, c.meridiem, c.special, c.offset)
