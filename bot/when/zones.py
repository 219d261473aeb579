"""Reading where a time is meant: "3pm GMT", "Europe/London", "Sydney time", "in London", and
a place right after a time ("friday 3pm London", "10am PT").

A bare place name elsewhere in the text is left alone: "London team sync tomorrow 3pm" is a
title. Zones are claimed without blocking later patterns, so "15:00 GMT - 18:00 GMT" stays one
range.

    >>> from bot.when.text import Scan, gate
    >>> from bot.when.reading import read
    >>> scan = Scan("friday 3pm London")
    >>> scan.normalise()
    >>> r = read(scan)
    >>> r.place.zone, r.zone_text
    ('Europe/London', 'London')
"""

from __future__ import annotations

import functools
import re
from datetime import timedelta, timezone
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.when import places
from bot.when.result import BookingTextError
from bot.when.text import Scan, gate

if TYPE_CHECKING:
    from bot.when.reading import Reading

_ABBR = (
    r"utc|gmt|bst|ist|cet|cest|eet|eest|msk|est|edt|cst|cdt|mst|mdt|pst|pdt|akst|akdt|hst"
    r"|aet|aest|aedt|acst|acdt|awst|nzt|nzst|nzdt|jst|kst|sgt|hkt"
)
# Explicit forms, anywhere in the text: abbreviations of three letters or more (with an offset
# for UTC/GMT: "UTC+2"), IANA names, "in <place>"; "<place> time" is found from "time" back.
# One pattern per form: a single alternation trying "<up to three words> time" at every word
# was the costliest scan of a long text.
ABBREVIATION = re.compile(
    # The lookahead (the abbreviations' first letters) passes over other positions cheaply.
    r"(?=[(abceghijkmnpsu])(?<![\w/])\(?(?P<abbr>"
    + _ABBR
    + r")(?:(?P<sign>[+-])(?P<oh>\d{1,2})(?::?(?P<om>\d{2}))?)?\)?(?![\w/])"
)
IANA = re.compile(
    r"(?<![\w/])(?P<iana>[a-z]+(?:[_-][a-z]+)*/[a-z]+(?:[_-][a-z]+)*(?:/[a-z]+(?:_[a-z]+)*)?)"
    r"(?![\w/])"
)
_SLASH = re.compile(r"[a-z]/[a-z]")
_TIME_WORD = gate(re.compile(r"(?<=[a-z])\s+time\b"), "time")
_IN = gate(re.compile(r"\bin\s+(?=[a-z])"), "in")
# Up to three words, read backwards from where they end (see `_starts_before`).
_WORDS_REVERSED = re.compile(r"[a-z]+(?:[ .-][a-z]+){0,2}")
_WORD = re.compile(r"[a-z]+(?:[.'-][a-z]+)*")
_RUN = re.compile(rb"\x01+")
# Words after which a name is a person's, not a place: "with Sydney 3pm", "for Darwin 3pm".
_LEAD_WORD = re.compile(r"\b(?:with|and|for|by|to|cc|from|dear|hi|meet)\s+$")


def read_zones(scan: Scan, reading: Reading) -> None:
    """Claim the explicit zone forms."""
    for m in scan.finditer(ABBREVIATION):
        if m["sign"]:
            if m["abbr"] not in ("utc", "gmt") or int(m["oh"]) > 14:
                continue
            hours = int(m["oh"]) + int(m["om"] or 0) / 60
            offset = timedelta(hours=hours if m["sign"] == "+" else -hours)
            label = scan.original_of(*m.span()).strip("() ")
            _take(scan, reading, None, *m.span(), fixed=timezone(offset, label.upper()))
        else:
            place = places.lookup(m["abbr"])
            assert place is not None  # every word of _ABBR is in the table
            _take(scan, reading, place, *m.span())
    if _SLASH.search(scan.text):  # the full pattern only when a slash could make a name
        for m in scan.finditer(IANA):
            name = _iana_name(m["iana"])
            if name is not None:
                _take(scan, reading, places.Place(name, places.city_name(name)), *m.span())
    for m in scan.finditer(_TIME_WORD) if "time" in scan.text else ():
        # "new york time": try the longest run of words ending at "time" first.
        for start in _starts_before(scan.text, m.start()):
            found = place_at(scan, start, whole=m.start())
            if found is not None:
                _take(scan, reading, found[0], start, m.end())
                break
    for m in scan.finditer(_IN) if "in " in scan.text else ():
        found = place_at(scan, m.end())
        if found is not None and found[0].strong:
            _take(scan, reading, found[0], m.start(), found[1])


def read_trailing_places(scan: Scan, reading: Reading, times: bytearray) -> None:
    """A place right after a time or day ("friday 3pm London", "noon Tokyo", "10am PT").

    `times` marks the characters of `scan.text` that time and day phrases claimed.
    """
    for run in _RUN.finditer(times):
        at = run.end()
        while at < len(scan.text) and scan.text[at] in " ,(\t":
            at += 1
        found = place_at(scan, at) if at > run.end() else None
        if found is not None:
            _take(scan, reading, found[0], at, found[1])
            continue
        before = _place_before(scan, run.start())
        if before is not None:
            _take(scan, reading, *before)


def _place_before(scan: Scan, pos: int) -> tuple[places.Place, int, int] | None:
    """A place right before a time ("Tokyo 9am tomorrow"), not someone's name after "with"."""
    end = pos
    while end > 0 and scan.text[end - 1] == " ":
        end -= 1
    if end == pos:
        return None
    for start in _starts_before(scan.text, end):
        found = place_at(scan, start, whole=end)
        if found is None or not found[0].strong:
            continue
        lead = _LEAD_WORD.search(scan.text, max(0, start - 8), start)
        if lead is None:
            return found[0], start, end
    return None


def _starts_before(text: str, end: int) -> list[int]:
    """Where the runs of up to three words ending at `end` start, longest run first (within
    40 characters): [start of "new york", start of "york"] before " time".

    The window is matched reversed, from `end` outwards: a search anchored at the window's end
    ("...$") tried every start in the window and backtracked through each word, a cost each
    "time" and each time phrase of a long text paid. Greedy runs of letters and separators
    make the reversed match the longest run, the one that search found.
    """
    window = max(0, end - 40)
    m = _WORDS_REVERSED.match(text[window:end][::-1])
    if m is None:
        return []
    first = end - m.end()
    return [first] + [first + i + 1 for i, c in enumerate(text[first:end]) if c in " .-"]


def place_at(scan: Scan, pos: int, whole: int | None = None) -> tuple[places.Place, int] | None:
    """The longest place name of up to three free words at `pos`, and where it ends.

    With `whole`, only a name running exactly to `whole` counts ("new york" in "new york time").
    """
    ends: list[int] = []
    at = pos
    for _ in range(places.LONGEST):
        m = _WORD.match(scan.text, at)
        if m is None:
            break
        # Names are looked up as below, with "." and "-" as spaces: the first word must begin
        # a name `places` knows, or no run of words from here is one.
        if at == pos and _first_word(m.group()) not in places.FIRST_WORDS:
            return None
        if not scan.is_free(*m.span()) or scan.claimed_original(*m.span()):
            break
        ends.append(m.end())
        if scan.text[m.end() : m.end() + 1] != " ":
            break
        at = m.end() + 1
    for end in reversed(ends):
        if whole is not None and end != whole:
            continue
        words = " ".join(scan.text[pos:end].replace(".", " ").replace("-", " ").split())
        place = places.lookup(words)
        if place is not None:
            return place, end
    return None


def _first_word(word: str) -> str:
    return word.replace(".", " ").replace("-", " ").split(None, 1)[0]


def _take(
    scan: Scan,
    reading: Reading,
    place: places.Place | None,
    start: int,
    end: int,
    fixed: timezone | None = None,
) -> None:
    zone = fixed if fixed is not None else ZoneInfo(place.zone) if place else None
    assert zone is not None
    text = scan.original_of(start, end).strip(" ()")
    if reading.zone is not None and str(reading.zone) != str(zone):
        raise BookingTextError(
            f'I found two time zones ("{reading.zone_text}" and "{text}"). Give one, '
            'e.g. "3pm to 4pm London time".'
        )
    scan.claim(start, end, block=False)
    if reading.zone is None:
        reading.zone, reading.zone_text, reading.place = zone, text, place


@functools.cache
def _iana_names() -> dict[str, str]:
    # Walking the database costs ~50 ms, so only when someone writes a name like "europe/london".
    from zoneinfo import available_timezones

    return {name.lower(): name for name in available_timezones()}


def _iana_name(text: str) -> str | None:
    return _iana_names().get(text)
