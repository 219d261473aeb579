"""Placing a `Reading` in time, by the rules of issue 4.

- Future preference: the earliest instant at or after now that fits.
- Bare hours are working hours: 7–11 morning, 12 noon, 1–6 afternoon; a period ("tonight",
  "this afternoon", "in the morning") overrides that.
- Wall-clock arithmetic happens in the zone as dates and clock readings; an instant is only made
  at the end by attaching `ZoneInfo`, so no offset is ever carried across a DST change. Lengths
  ("for 1 hour", "in 2 hours") are real elapsed time, added in UTC.
- Comparisons happen in UTC: Python compares two datetimes sharing a tzinfo by wall clock alone,
  which is wrong around a DST fold. An instant is compared with `now_utc` as it stands: their
  tzinfos differ (or both are UTC), and then Python compares the instants, each side's own
  offset subtracted, without the cost of converting first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from bot.when import places
from bot.when.reading import Clock, Day, Reading
from bot.when.result import BookingTextError, Suggestion, brief

_DAY = 1440  # minutes
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class GapError(BookingTextError):
    """A wall-clock time the clocks skip; `suggestion` books the time they jump to."""

    def __init__(self, message: str, suggestion: Suggestion | None) -> None:
        super().__init__(message)
        self.suggestion = suggestion


@dataclass
class Placed:
    """A reading placed in time: the instants, the zone they were read in, and any guesses."""

    start: datetime
    end: datetime | None
    zone: str  # its IANA name (see `zone_name`)
    tz: tzinfo  # the zone itself, fixed offsets included: a series' wall clock is read in it
    guesses: list[str] = field(default_factory=list)
    suggestion: Suggestion | None = None


def place(reading: Reading, now: datetime, user_zone: tzinfo, text: str) -> Placed:
    """Start and end (or None) of `reading`, said at `now`, as instants in `user_zone`."""
    if reading.past:
        example = f' Try "{reading.past_example}".' if reading.past_example else ""
        raise BookingTextError(f'"{brief(text)}" is in the past.{example}')
    zone = reading.zone or user_zone
    placed = _place_reading(reading, now, zone, user_zone, text)
    spot = reading.place
    if spot is not None and spot.season is not None and spot.hours is not None:
        in_dst = bool(placed.start.astimezone(zone).dst())
        if in_dst != (spot.season == "dst"):
            # "9am BST" in February: the text names an offset the place isn't on that day. Read
            # the offset as written, and offer the place's own time as the other reading.
            fixed = timezone(timedelta(hours=spot.hours), reading.zone_text.upper())
            placed = _place_reading(
                replace(reading, zone=fixed, place=None), now, fixed, user_zone, text
            )
            season = placed.start.astimezone(zone).tzname()
            placed.guesses.insert(
                0,
                f"{reading.zone_text.upper()} is {_offset(fixed, placed.start)}, but {spot.name} "
                f"is on {season} that day: read as {_offset(fixed, placed.start)}",
            )
            placed.suggestion = Suggestion(
                f"Did you mean {spot.name} time?",
                text.replace(reading.zone_text, f"{spot.name} time", 1),
            )
    return placed


def _place_reading(
    reading: Reading, now: datetime, zone: tzinfo, user_zone: tzinfo, text: str
) -> Placed:
    now_utc = now.astimezone(UTC)
    guesses: list[str] = []
    end: datetime | None = None
    if reading.instant is not None:
        start = reading.instant
        if reading.start is not None:
            _conflict(reading.time_text, reading.start.text)
        zone = start.tzinfo or zone
    elif reading.relative is not None:
        if reading.start is not None:
            _conflict(reading.time_text, reading.start.text)
        if any(not (d.kind == "offset" and d.offset == 0) for d in reading.days):
            _conflict(reading.time_text, reading.days[0].text)
        # Real elapsed time from now, to the minute.
        start = (now_utc + reading.relative).astimezone(zone).replace(second=0, microsecond=0)
    else:
        if reading.same_time:
            if reading.start is not None:
                _conflict(reading.time_text, reading.start.text)
            local = now.astimezone(zone)
            reading = replace(reading, start=Clock(local.hour, local.minute, h24=True, text="now"))
            if reading.vague and "next week" in reading.vague.lower():
                reading = replace(reading, vague=None, days=[*reading.days, Day("offset", "", 7)])
        if reading.start is None:
            raise BookingTextError(_missing_time(reading, text))
        start_min, end_min = _minutes(reading)
        guess = _bare_hour(reading, start_min, end_min)
        if guess:
            guesses.append(guess)
        # Day words are read in the zone the time is read in: "friday 3pm London" is London's
        # Friday, "tomorrow" London's tomorrow.
        today = now.astimezone(zone).date()
        # The start's reading on each day tried, kept: finding the day usually places the very
        # reading the start then is (today's 3pm, still ahead), and placing costs a few zone
        # look-ups each time.
        tried: dict[date, tuple[datetime, bool, datetime | None]] = {}

        def start_on(d: date) -> tuple[datetime, bool, datetime | None]:
            if d not in tried:
                tried[d] = _wall_reading(d, start_min, zone, now_utc)
            return tried[d]

        day, fixed = _day(reading, today, now_utc, guesses, start_on)
        start, repeated, skipped = start_on(day)
        if skipped is not None:
            raise _gap(skipped, zone, text, reading)
        if fixed and start < now_utc:
            raise BookingTextError(
                f'"{brief(text)}" is in the past. Try "tomorrow {say(start_min)}".'
            )
        if end_min is not None:
            end = wall(day, end_min, zone, now_utc, strict=True, text=text, said=None)
            if end.astimezone(UTC) <= start.astimezone(UTC):
                raise BookingTextError(
                    f"The end ({say(end_min)}) isn't after the start ({say(start_min)}) in "
                    f'"{brief(text)}". Try "{say(start_min)} to {say(start_min + 60)}".'
                )
        if repeated:
            local = start.astimezone(zone)
            guesses.append(
                f"{say(start_min)} happens twice on {local:%A} {local.day} {local:%B} in "
                f"{_zone_label(zone)}: read as the {'first' if not local.fold else 'second'} "
                f"({local.tzname()})"
            )
    if start < now_utc:
        raise BookingTextError(f'"{brief(text)}" is in the past. Try "tomorrow 3pm".')
    if reading.length is not None:
        if end is not None:
            raise BookingTextError(
                f'"{brief(text)}" gives both an end ("{reading.time_text}") and a length '
                f'("{reading.length_text}"). Give one, e.g. "3-4pm" or "3pm for 1 hour".'
            )
        # A length is real minutes: added to the instant, not to the wall clock.
        end = (start.astimezone(UTC) + reading.length).astimezone(zone)
    if reading.zone is not None and start.utcoffset() != start.astimezone(user_zone).utcoffset():
        local, theirs = start.astimezone(zone), start.astimezone(user_zone)
        guesses.insert(
            0,
            f"{say(_minute_of(local))} {local:%A} in {_zone_label(zone)} is "
            f"{say(_minute_of(theirs))} {theirs:%A} your time",
        )
    return Placed(
        start.astimezone(user_zone),
        end.astimezone(user_zone) if end else None,
        zone_name(zone, start),
        zone,
        guesses,
    )


def zone_name(zone: tzinfo, at: datetime) -> str:
    """The IANA name of `zone`: its key, or "Etc/GMT-2" for a fixed UTC+2 ("UTC+05:30" when no
    Etc zone has the offset)."""
    if isinstance(zone, ZoneInfo):
        return zone.key
    offset = zone.utcoffset(at) or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    if minutes % 60 == 0:
        return f"Etc/GMT{-minutes // 60:+d}"
    sign = "+" if minutes > 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _offset(zone: tzinfo, at: datetime) -> str:
    offset = zone.utcoffset(at) or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def _zone_label(zone: tzinfo) -> str:
    return places.city_name(zone.key) if isinstance(zone, ZoneInfo) else str(zone)


def _minute_of(moment: datetime) -> int:
    return moment.hour * 60 + moment.minute


def _in_fold(moment: datetime) -> bool:
    """True when the wall-clock reading of `moment` happens twice (clocks going back)."""
    other = moment.replace(fold=1 - moment.fold)
    return other.utcoffset() != moment.utcoffset()


def _bare_hour(reading: Reading, start_min: int, end_min: int | None) -> str | None:
    """Why a bare hour needs a look: "at 7" could be morning or evening."""
    s, e = reading.start, reading.end
    if s is None or reading.period or not s.ambiguous or (e is not None and not e.ambiguous):
        return None
    if e is not None:
        return f'"{reading.time_text.strip()}" read as {say(start_min)} to {say(end_min or 0)}'
    return f'"{reading.time_text.strip()}" read as {say(start_min)}'


def wall(
    day: date,
    minutes: int,
    zone: tzinfo,
    now_utc: datetime,
    *,
    strict: bool = False,
    text: str = "",
    said: Reading | None = None,
) -> datetime:
    """The instant the clocks in `zone` show `minutes` past midnight of `day` (see `wall_fold`)."""
    return wall_fold(day, minutes, zone, now_utc, strict=strict, text=text, said=said)[0]


def wall_fold(
    day: date,
    minutes: int,
    zone: tzinfo,
    now_utc: datetime,
    *,
    strict: bool = False,
    text: str = "",
    said: Reading | None = None,
) -> tuple[datetime, bool]:
    """The instant the clocks in `zone` show `minutes` past midnight of `day`, and whether
    they show that reading twice that day.

    Minutes past 1440 run into the next day (midnight is 24:00 of its day). A reading the
    clocks skip (spring forward) is refused with `GapError` when `strict`, naming the time the
    clocks jump to; otherwise (for comparisons) it is the same distance past the jump. A reading
    they show twice (fall back) is the first, unless only the second is still ahead.
    """
    moment, repeated, skipped = _wall_reading(day, minutes, zone, now_utc)
    if skipped is not None and strict:
        raise _gap(skipped, zone, text, said)
    return moment, repeated


def _wall_reading(
    day: date, minutes: int, zone: tzinfo, now_utc: datetime
) -> tuple[datetime, bool, datetime | None]:
    """`wall_fold`'s instant and answer, and the naive reading when the clocks skip it."""
    if not 0 <= minutes < _DAY:
        day += timedelta(days=minutes // _DAY)
        minutes %= _DAY
    hour, minute = divmod(minutes, 60)
    first = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
    if zone.utcoffset(None) is not None:
        # A zone that gives an offset without being told the moment has that one offset for
        # all time (a `datetime.timezone`; a `ZoneInfo` with no transitions and no DST rule,
        # such as UTC or Etc/GMT+2): no reading is skipped or shown twice, so `first` is it.
        return first, False, None
    # Both readings made outright: `replace(fold=1)` costs about twice a constructor call.
    second = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        # The usual case, settled without converting: by PEP 495 a reading the clocks skip or
        # show twice has a different offset for each `fold`, so equal offsets mean the clocks
        # show this reading exactly once, and `first` is it.
        return first, False, None
    naive = first.replace(tzinfo=None)
    back = first.astimezone(UTC).astimezone(zone)
    if back.replace(tzinfo=None) != naive:
        return back, _in_fold(back), naive
    if first.astimezone(UTC) < now_utc <= second.astimezone(UTC):
        return second, True, None
    return first, True, None


def _gap(naive: datetime, zone: tzinfo, text: str, said: Reading | None) -> GapError:
    """ "2:30am doesn't exist on Sunday 4 October in Sydney: clocks jump to 3:00am."""
    jump = naive
    for _ in range(24 * 60):  # the first minute after `naive` the clocks do show
        jump += timedelta(minutes=1)
        probe = jump.replace(tzinfo=zone)
        if probe.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == jump:
            break
    asked, new = _exact(naive), _exact(jump)
    message = (
        f"{asked} doesn't exist on {naive:%A} {naive.day} {naive:%B} in {_zone_label(zone)}: "
        f"clocks jump to {new}. Book {new}?"
    )
    suggestion = None
    if said is not None and said.end is None and said.time_text and said.time_text in text:
        at = "at " if said.time_text.lower().lstrip().startswith(("at ", "@")) else ""
        fixed = text.replace(said.time_text, f"{at}{new}", 1)
        suggestion = Suggestion(f"Book {new}?", fixed)
    return GapError(message, suggestion)


def _exact(moment: datetime) -> str:
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment.minute:02d}{'am' if moment.hour < 12 else 'pm'}"


def say(minutes: int) -> str:
    """Minutes past midnight as people write them: "3pm", "9:30am", "noon", "midnight"."""
    minutes %= _DAY
    hour, minute = divmod(minutes, 60)
    if minutes == 0:
        return "midnight"
    if minutes == 720:
        return "noon"
    suffix = "am" if hour < 12 else "pm"
    shown = hour % 12 or 12
    return f"{shown}:{minute:02d}{suffix}" if minute else f"{shown}{suffix}"


def _conflict(a: str, b: str) -> None:
    raise BookingTextError(
        f'"{a.strip()}" and "{b.strip()}" say different times. Give one, e.g. "in 2 hours" or '
        '"tomorrow 3pm".'
    )


def _missing_time(reading: Reading, text: str) -> str:
    shown = brief(text)
    if reading.vague:
        if "weekend" in reading.vague.lower():
            return f'"{reading.vague}" doesn\'t say which day. Try "saturday 10am".'
        return f'"{reading.vague}" doesn\'t say which day. Try "tuesday {reading.vague} 3pm".'
    if reading.days:
        return (
            f'I couldn\'t find a time of day in "{shown}". '
            f'Try "{reading.days[0].text.strip()} 3pm".'
        )
    if reading.period:
        hour = {"morning": 9, "am": 9}.get(
            reading.period, 7 if reading.period in ("evening", "night") else 3
        )
        return f'I couldn\'t find a time of day in "{shown}". Try "{shown} at {hour}".'
    if reading.length:
        return (
            f'I couldn\'t find when in "{shown}". Try "tomorrow 3pm {reading.length_text.strip()}".'
        )
    if reading.zone:
        return f'I couldn\'t find a time in "{shown}". Try "3pm {reading.zone_text.strip()}".'
    return f'I couldn\'t find a day or time in "{shown}". Try "tomorrow 3pm".'


# --- clock readings -----------------------------------------------------------------------


def _minutes(reading: Reading) -> tuple[int, int | None]:
    """Start and end as minutes past midnight of the chosen day (end may run past 1440)."""
    s, e, period = reading.start, reading.end, reading.period
    assert s is not None
    if e is None:
        return _place(s, period), None
    if s.ambiguous and e.meridiem and not e.special:
        # A range shares its meridiem: "3-4pm"; unless that puts the start last: "11-1pm".
        end = _place(e, period)
        start = _place(s._replace(meridiem=e.meridiem), period)
        if start >= end:
            start = _place(s._replace(meridiem="am" if e.meridiem == "pm" else "pm"), period)
    else:
        start = _place(s, period)
        if e.ambiguous:
            # The first reading of the end's twelve-hour clock after the start:
            # "8am until 6" ends at 18:00, "11:30-1:30" at 13:30.
            base = (e.hour % 12) * 60 + e.minute + e.offset
            end = next((base + k * 720 for k in range(3) if base + k * 720 > start), base)
        else:
            end = _place(e, period)
    if end <= start and s.meridiem == "pm" and e.meridiem == "am":
        end += _DAY  # overnight: "10pm-1am"
    return start, end


def _place(c: Clock, period: str | None) -> int:
    """Minutes past midnight for one clock reading, by the working-hours and period rules."""
    if c.special == "noon":
        base = 720
    elif c.special == "midnight":
        base = _DAY  # midnight is the end of the day it belongs to
    elif c.meridiem:
        base = (c.hour % 12 + (12 if c.meridiem == "pm" else 0)) * 60 + c.minute
    elif c.h24:
        base = c.hour * 60 + c.minute
    else:
        h = c.hour
        if period in ("morning", "am"):
            hour = h % 12
        elif period in ("afternoon", "pm"):
            hour = h if h == 12 else h + 12
        elif period in ("evening", "night"):
            hour = 24 if h == 12 else h + 12  # "tonight at 12" is midnight
        else:
            hour = h if 7 <= h <= 12 else h + 12  # working hours: "at 3" is 15:00
        base = hour * 60 + c.minute
    return base + c.offset


# --- days ---------------------------------------------------------------------------------


def _day(
    reading: Reading,
    today: date,
    now_utc: datetime,
    guesses: list[str],
    start_on: Callable[[date], tuple[datetime, bool, datetime | None]],
) -> tuple[date, bool]:
    """The day the start falls on, and whether the text fixed it (so the past is an error).
    `start_on(day)` places the start's reading on a day (see `_wall_reading`)."""
    days = reading.days

    def ahead(d: date) -> bool:
        return start_on(d)[0] >= now_utc

    if not days:
        repeat_days = reading.series.days
        if repeat_days:  # "every tuesday 3pm": the first tuesday still ahead
            day = today
            while day.weekday() not in repeat_days or not ahead(day):
                day += timedelta(days=1)
            return day, False
        return (today if ahead(today) else today + timedelta(days=1)), False
    primary = days[0] if len(days) == 1 else min(days, key=lambda d: _DAY_KINDS[d.kind])
    fixed = True
    if primary.kind == "offset":
        day = today + timedelta(days=primary.offset)
    elif primary.kind == "date":
        assert primary.month is not None and primary.day is not None
        if primary.year is not None:
            day = date(primary.year, primary.month, primary.day)
        else:
            day, fixed = _next_month_day(primary.month, primary.day, today, ahead), False
            if day.year != today.year:
                guesses.append(f'no year given: "{primary.text.strip()}" read as {_long(day)}')
        if primary.either_way:
            first = "month" if reading.date_order.upper().startswith("M") else "day"
            guesses.append(f'"{primary.text.strip()}" read {first} first: {_long(day)}')
    elif primary.kind == "nth-weekday":
        day = _nth_weekday(primary, today, ahead)
        fixed = primary.year is not None
    elif primary.kind == "day-of-month":
        assert primary.day is not None
        day = _next_day_of_month(primary.day, today, ahead, primary.offset)
        fixed = primary.offset > 0
    else:
        assert primary.weekday is not None
        day, fixed = _weekday(primary, today, ahead)
    for other in days:
        _agree(other, day, today, primary=other is primary)
    return day, fixed


# Which day phrase decides when the text has several ("Fri, Sep 20": the date).
_DAY_KINDS = {"date": 0, "nth-weekday": 1, "day-of-month": 2, "offset": 3, "weekday": 4}


def _long(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B} {day.year}"


def _nth_weekday(spec: Day, today: date, ahead: object) -> date:
    """ "first monday of january": the next one still ahead; "last friday of the month"."""
    assert spec.weekday is not None
    for step in range(12 * 9):
        year, month0 = divmod(today.month - 1 + step, 12)
        year += today.year
        month = month0 + 1
        if spec.month and month != spec.month:
            continue
        if spec.month == 0 and step != 1:  # "of next month"
            continue
        if spec.year is not None and year != spec.year:
            continue
        days = [
            date(year, month, d)
            for d in range(1, 32)
            if _valid(year, month, d) and date(year, month, d).weekday() == spec.weekday
        ]
        index = spec.nth - 1 if spec.nth > 0 else -1
        if index >= len(days):
            continue
        found = days[index]
        if found >= today and ahead(found):  # type: ignore[operator]
            return found
        if spec.month is None and step == 0:
            continue  # "of the month" has gone this month: next month's
    raise BookingTextError(
        f'There\'s no "{spec.text.strip()}" ahead. Try "first monday of june 9am".'
    )


def _valid(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _next_month_day(month: int, dom: int, today: date, ahead: object) -> date:
    """This year's month-day if still ahead, else the next year that has it ("29 Feb")."""
    for year in range(today.year, today.year + 9):
        try:
            day = date(year, month, dom)
        except ValueError:
            continue
        if day >= today and ahead(day):  # type: ignore[operator]
            return day
    from bot.when.reading import no_such_day

    raise no_such_day(f"{dom}/{month}", month, dom)


def _next_day_of_month(dom: int, today: date, ahead: object, months: int = 0) -> date:
    """ "The 20th": this month's if still ahead, else the next month that has one; with
    `months` 1 ("the 20th of next month") next month's only."""
    for step in range(months, months + 1 if months else 14):
        year, month = divmod(today.month - 1 + step, 12)
        try:
            day = date(today.year + year, month + 1, dom)
        except ValueError:
            continue
        if day >= today and ahead(day):  # type: ignore[operator]
            return day
    if months:
        raise BookingTextError(
            f'Next month has no day {dom}. Try "the {min(dom, 28)}th of next month at 3pm".'
        )
    raise BookingTextError(f'There\'s no day "the {dom}th". Try "the 20th at 3pm".')


def _weekday(spec: Day, today: date, ahead: object) -> tuple[date, bool]:
    assert spec.weekday is not None
    monday = today - timedelta(days=today.weekday())
    if spec.mode == "next-week":
        return monday + timedelta(days=7 + spec.weekday), True
    if spec.mode == "this-week":
        return monday + timedelta(days=spec.weekday), True
    if spec.mode in ("next", "after-next"):
        day = today + timedelta(days=(spec.weekday - today.weekday() - 1) % 7 + 1)
        return day + timedelta(days=7 if spec.mode == "after-next" else 0), True
    day = today + timedelta(days=(spec.weekday - today.weekday()) % 7)
    if not ahead(day):  # type: ignore[operator]
        day += timedelta(days=7)
    return day, False


def _agree(spec: Day, day: date, today: date, *, primary: bool = False) -> None:
    """Every other day phrase must name the same day: "Fri, Sep 20", "tomorrow (friday)"."""
    if spec.weekday is not None and day.weekday() != spec.weekday:
        raise BookingTextError(
            f"{day.day} {day:%B %Y} is a {_WEEKDAY_NAMES[day.weekday()]}, not a "
            f'{_WEEKDAY_NAMES[spec.weekday]}. Try "{_WEEKDAY_NAMES[day.weekday()].lower()} '
            f'{day.day} {day:%B} 3pm".'
        )
    same = (
        (spec.kind == "offset" and day == today + timedelta(days=spec.offset))
        or (
            spec.kind == "date"
            and (spec.month, spec.day) == (day.month, day.day)
            and spec.year in (None, day.year)
        )
        or (spec.kind == "day-of-month" and spec.day == day.day and (primary or not spec.offset))
        or spec.kind == "weekday"
        or (spec.kind == "nth-weekday" and primary)
    )
    if not same:
        raise BookingTextError(
            f'"{spec.text.strip()}" isn\'t {day:%A} {day.day} {day:%B}. Give one day, e.g. '
            '"tomorrow 3pm".'
        )
