"""Reading booking text into pieces: clock times, a day, a period, a length, a zone.

`read(scan)` claims what it understands in a fixed order — instants and zones first, then
relative phrases and lengths (so "in 2 hours" and "for 30 min" are not mistaken for clock
times), then days, then ranges and single times — and returns a `Reading`. Nothing here knows
what "now" is; `bot.when.resolve` places the pieces in time.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from bot.when import grammar as g
from bot.when.result import BookingTextError
from bot.when.text import Scan

# Fixed offsets for zone abbreviations: "CET" is UTC+1 whatever the season, as written.
_ABBREVIATIONS: dict[str, float] = {
    "utc": 0, "gmt": 0, "bst": 1, "ist": 5.5, "cet": 1, "cest": 2, "eet": 2, "eest": 3,
    "msk": 3, "est": -5, "edt": -4, "cst": -6, "cdt": -5, "mst": -7, "mdt": -6, "pst": -8,
    "pdt": -7, "akst": -9, "akdt": -8, "hst": -10, "aest": 10, "aedt": 11, "acst": 9.5,
    "acdt": 10.5, "awst": 8, "nzst": 12, "nzdt": 13, "jst": 9, "kst": 9, "sgt": 8, "hkt": 8,
}  # fmt: skip
# "Eastern time" and friends follow the seasons, so they are IANA zones, not offsets.
_REGIONS = {
    "eastern": "America/New_York", "central": "America/Chicago",
    "mountain": "America/Denver", "pacific": "America/Los_Angeles",
}  # fmt: skip
_FEW = {"couple": 2, "few": 3, "several": 3}


@dataclass(frozen=True)
class Clock:
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


@dataclass(frozen=True)
class Day:
    """Which day: an offset from today, a weekday, a (year-)month-day, or a day of the month."""

    kind: str  # "offset" | "weekday" | "date" | "day-of-month"
    text: str
    offset: int = 0
    weekday: int | None = None
    mode: str = "bare"  # weekdays: "bare" | "next" | "next-week" | "this-week" | "after-next"
    year: int | None = None
    month: int | None = None
    day: int | None = None


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
    reading = Reading()
    _read_instant(scan, reading)
    _read_zones(scan, reading)
    _read_past(scan, reading)
    _read_relative(scan, reading)
    _read_lengths(scan, reading)
    _read_dates(scan, reading, date_order)
    _read_days(scan, reading)
    _read_periods(scan, reading)
    _read_range(scan, reading)
    _read_times(scan, reading)
    return reading


# --- instants, zones, the past ------------------------------------------------------------


def _read_instant(scan: Scan, reading: Reading) -> None:
    if (m := scan.search(g.ISO_INSTANT)) is not None:
        reading.instant = datetime.fromisoformat(m.group().upper().replace(" ", "T"))
        reading.time_text = scan.original_of(*m.span())
        scan.claim(*m.span())


def _read_zones(scan: Scan, reading: Reading) -> None:
    for m in scan.finditer(g.ZONE):
        zone = _zone(m)
        if zone is None:
            continue
        # Zones are claimed without blocking: "15:00 GMT - 18:00 GMT" is still one range.
        scan.claim(*m.span(), block=False)
        if reading.zone is not None and _offset_key(zone) != _offset_key(reading.zone):
            raise BookingTextError(
                f'I found two time zones ("{reading.zone_text}" and '
                f'"{scan.original_of(*m.span())}"). Give one, e.g. "3pm to 4pm GMT".'
            )
        reading.zone, reading.zone_text = zone, scan.original_of(*m.span())


def _offset_key(zone: tzinfo) -> object:
    return zone.utcoffset(None) if isinstance(zone, timezone) else str(zone)


def _zone(m: re.Match[str]) -> tzinfo | None:
    if m["abbr"]:
        hours = _ABBREVIATIONS[m["abbr"]]
        if m["sign"]:
            if m["abbr"] not in ("utc", "gmt") or int(m["oh"]) > 14:
                return None
            extra = int(m["oh"]) + int(m["om"] or 0) / 60
            hours += extra if m["sign"] == "+" else -extra
        name = m["abbr"].upper() + (m.group()[len(m["abbr"]) :].strip("()") if m["sign"] else "")
        return timezone(timedelta(hours=hours), name)
    if m["iana"]:
        name = _iana_names().get(m["iana"])
        return ZoneInfo(name) if name else None
    city = m["city"]
    if city in _REGIONS:
        return ZoneInfo(_REGIONS[city])
    # "sydney time", "new york time": the last part of an IANA name, spelled with spaces.
    name = _iana_cities().get(city) or _iana_cities().get(city.split()[-1])
    return ZoneInfo(name) if name else None


@functools.cache
def _iana_names() -> dict[str, str]:
    from zoneinfo import available_timezones

    return {name.lower(): name for name in available_timezones()}


@functools.cache
def _iana_cities() -> dict[str, str]:
    cities: dict[str, str] = {}
    for name in sorted(_iana_names().values()):
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/")):
            cities.setdefault(name.rsplit("/", 1)[1].replace("_", " ").lower(), name)
    return cities


def _read_past(scan: Scan, reading: Reading) -> None:
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
    if (m := scan.search(g.RELATIVE)) is not None:
        if m["rdu"]:
            days = {"d": 1, "w": 7, "f": 14}[m["rdu"][0]] * int(_count(m["rdn"]))
            reading.days.append(Day("offset", scan.original_of(*m.span()), offset=days))
        else:
            minutes = int(m["rmn"]) if m["rmn"] else amount_minutes(m, "r_")
            reading.relative = timedelta(minutes=minutes)
            reading.time_text = scan.original_of(*m.span())
        scan.claim(*m.span())
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
    found = [m for m in scan.finditer(g.DURATION)]
    for m in found:
        scan.claim(*m.span())
    # Without "for" or brackets, only spelled-out units: "45 min" yes, "15h" (a clock time) no.
    for m in scan.finditer(g.DURATION_BARE):
        if m["hu"] == "h" or m["mu"] == "m":
            continue
        if m["hn"] and not m["hn"][0].isdigit() and not m["hm"]:
            continue  # "an hour" on its own is too loose without "for"
        scan.claim(*m.span())
        found.append(m)
    lengths = {amount_minutes(m) for m in found}
    if len(lengths) > 1:
        texts = " and ".join(f'"{scan.original_of(*m.span())}"' for m in found)
        raise BookingTextError(f'I found two lengths ({texts}). Give one, e.g. "for 45 min".')
    if found:
        minutes = lengths.pop()
        if minutes <= 0:
            raise BookingTextError('A booking needs some length. Try "for 30 min".')
        reading.length = timedelta(minutes=minutes)
        reading.length_text = scan.original_of(*found[0].span())


# --- days ---------------------------------------------------------------------------------


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH_NUMBER = {m: i for i, m in enumerate(_MONTHS, start=1)}


@functools.cache
def _date_parser():  # type: ignore[no-untyped-def]  # dateparser ships no type hints
    """dateparser reads month names ("Sept", "20th of March"); built once, imported lazily
    because its import and first use cost a tenth of a second each."""
    from dateparser.date import DateDataParser

    return DateDataParser(
        languages=["en"],
        settings={
            "PREFER_DAY_OF_MONTH": "first",
            "REQUIRE_PARTS": ["day", "month"],
            # A leap year, so "29 Feb" reads; the year itself is decided by the rules later.
            "RELATIVE_BASE": datetime(2000, 1, 1),
        },
    )


def _read_dates(scan: Scan, reading: Reading, order: str) -> None:
    for m in scan.finditer(g.NAMED_DATE):
        text = scan.original_of(*m.span())
        day_written = int(m["d1"] or m["d2"])
        parsed = _date_parser().get_date_data(m["date"] + (f" {m['y']}" if m["y"] else ""))
        found = parsed.date_obj if parsed else None
        # Check dateparser against what the pattern saw: same day, month spelled as written.
        written_month = _MONTH_NUMBER[(m["m1"] or m["m2"])[:3]]
        if found is None or found.day != day_written or found.month != written_month:
            raise BookingTextError(f'There\'s no date "{text}". Try "20 March 3pm".')
        reading.days.append(_date_day(text, m["y"], found.month, found.day, m["wd"]))
        scan.claim(*m.span())
    for m in scan.finditer(g.ISO_DATE):
        text = scan.original_of(*m.span())
        _check_date(text, int(m["y"]), int(m["m"]), int(m["d"]))
        reading.days.append(Day("date", text, year=int(m["y"]), month=int(m["m"]), day=int(m["d"])))
        scan.claim(*m.span())
    for m in scan.finditer(g.NUMERIC_DATE):
        if m["c"] is None and m["s"] != "/":
            continue  # "3-4" is a range and "3.30" a time; only "4/25" is a date without a year
        text = scan.original_of(*m.span())
        month, day = _month_day(int(m["a"]), int(m["b"]), order, text)
        year = m["c"] and (int(m["c"]) + (2000 if len(m["c"]) == 2 else 0))
        if year:
            _check_date(text, year, month, day)
        reading.days.append(_date_day(text, year, month, day, m["wd"]))
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


def _check_date(text: str, year: int, month: int, day: int) -> None:
    try:
        datetime(year, month, day)
    except ValueError:
        raise BookingTextError(f'There\'s no date "{text}". Try "2026-03-25 3pm".') from None


def _read_days(scan: Scan, reading: Reading) -> None:
    for m in scan.finditer(g.DAY_OF_MONTH):
        text = scan.original_of(*m.span())
        if not 1 <= int(m["d"]) <= 31:
            raise BookingTextError(f'There\'s no day "{text}". Try "the 20th at 3pm".')
        reading.days.append(Day("day-of-month", text, day=int(m["d"])))
        scan.claim(*m.span())
    for m in scan.finditer(g.DAYWORD):
        offset = 2 if m["dat"] else 1 if m["tomorrow"] else 0
        reading.days.append(Day("offset", scan.original_of(*m.span()), offset=offset))
        scan.claim(*m.span())
    for m in scan.finditer(g.WEEKDAY_PHRASE):
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
    if (m := scan.search(g.VAGUE)) is not None:
        reading.vague = scan.original_of(*m.span())
        scan.claim(*m.span())


def _read_periods(scan: Scan, reading: Reading) -> None:
    for m in scan.finditer(g.PERIOD):
        bare = m["part"] and m.start("part") == m.start()
        if bare and not (m["bare_at"] or g.BEFORE_CONTEXT.search(scan.text, 0, m.start())):
            continue  # "Morning standup tomorrow 9": a title word, not a period
        period = "evening" if m["tonight"] else m["part"] or ("night" if m["night"] else m["mer"])
        scan.claim(*m.span())
        reading.period = reading.period or period


# --- clock times --------------------------------------------------------------------------


def clock(m: re.Match[str], p: str = "") -> Clock:
    """The `Clock` in a match of `grammar.atom(p)`; BookingTextError if it can't be a time."""
    text = m.group()
    mer = m[p + "mer"] or m[p + "mer1"]
    meridiem = (mer + "m") if mer else None
    if m[p + "qa"] or m[p + "qb"]:
        words, side = (m[p + "qa"], "a") if m[p + "qa"] else (m[p + "qb"], "b")
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
    if m[p + "half"]:  # British "half three": half past three
        return _checked(Clock(int(m[p + "half"]), 0, meridiem, offset=30, text=text))
    if m[p + "noon"]:
        return Clock(12, special="noon", text=text)
    if m[p + "mid"]:
        return Clock(0, special="midnight", text=text)
    if m[p + "hhmm"]:
        digits = m[p + "hhmm"]
        hour, minute = divmod(int(digits), 100)
        h24 = digits.startswith("0") or hour > 12 or hour == 0
        return _checked(Clock(hour, minute, meridiem, h24, text=text))
    hour_text = m[p + "h"]
    spaced = m.groupdict().get(p + "ms")  # TIME_UNSPACED has no such group
    minute_text = m[p + "mc"] or m[p + "md"] or m[p + "mh"] or spaced
    hour = int(hour_text)
    h_sep = m.string[m.end(p + "h") : m.end(p + "h") + 1] == "h"
    h24 = hour > 12 or hour == 0 or (len(hour_text) == 2 and hour_text[0] == "0") or h_sep
    return _checked(Clock(hour, int(minute_text or 0), meridiem, h24, text=text))


def _checked(c: Clock) -> Clock:
    if c.hour == 24 and c.minute == 0 and c.meridiem is None:
        return Clock(0, special="midnight", offset=c.offset, text=c.text)
    bad_24 = c.hour > 23 or c.minute > 59
    bad_12 = c.meridiem is not None and (c.hour == 0 or (c.hour > 12 and c.meridiem == "am"))
    if bad_24 or bad_12:
        raise BookingTextError(f'"{c.text.strip()}" isn\'t a time of day. Try "3pm" or "15:00".')
    if c.meridiem and c.hour > 12:  # "15pm": the 24-hour clock already says it
        return Clock(c.hour, c.minute, None, True, offset=c.offset, text=c.text)
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


def _context(scan: Scan, m: re.Match[str]) -> bool:
    pre = m["pre"] or ""
    return bool(
        re.search(r"at|@|around|about|approx|circa|by|~", pre)
        or m.groupdict().get("ctx")
        or g.BEFORE_CONTEXT.search(scan.text, 0, m.start())
    )


def _read_range(scan: Scan, reading: Reading) -> None:
    for m in scan.finditer(g.RANGE):
        lead, sep = m["lead"] or "", m["sep"]
        if sep == "and" and "between" not in lead:
            continue
        if sep.startswith("but") and not re.search(r"later|after", lead):
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
            or re.search(r"from|between|later|after", lead)
            or m["ctx"]
            or g.BEFORE_CONTEXT.search(scan.text, 0, m.start())
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
        if m["ms"] and not ((c and c.meridiem) or re.search(r"at|@", m["pre"] or "")):
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
    if reading.start is not None or len({_key(c) for c, _ in found}) > 1:
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
