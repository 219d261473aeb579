"""Placing a `Reading` in time, by the rules of issue 4.

- Future preference: the earliest instant at or after now that fits.
- Bare hours are working hours: 7–11 morning, 12 noon, 1–6 afternoon; a period ("tonight",
  "this afternoon", "in the morning") overrides that.
- Wall-clock arithmetic happens in the zone as dates and clock readings; an instant is only made
  at the end by attaching `ZoneInfo`, so no offset is ever carried across a DST change. Lengths
  ("for 1 hour", "in 2 hours") are real elapsed time, added in UTC.
- Comparisons happen in UTC: Python compares two datetimes sharing a tzinfo by wall clock alone,
  which is wrong around a DST fold.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from bot.when.reading import Clock, Day, Reading
from bot.when.result import BookingTextError

_DAY = 1440  # minutes


def place(
    reading: Reading, now: datetime, user_zone: tzinfo, text: str
) -> tuple[datetime, datetime | None]:
    """Start and end (or None) of `reading`, said at `now`, as instants in `user_zone`."""
    if reading.past:
        example = f' Try "{reading.past_example}".' if reading.past_example else ""
        raise BookingTextError(f'"{text.strip()}" is in the past.{example}')
    zone = reading.zone or user_zone
    now_utc = now.astimezone(UTC)
    end: datetime | None = None
    if reading.instant is not None:
        start = reading.instant
        if reading.start is not None:
            _conflict(reading.time_text, reading.start.text)
    elif reading.relative is not None:
        if reading.start is not None:
            _conflict(reading.time_text, reading.start.text)
        if any(not (d.kind == "offset" and d.offset == 0) for d in reading.days):
            _conflict(reading.time_text, reading.days[0].text)
        # Real elapsed time from now, to the minute.
        start = (now_utc + reading.relative).astimezone(zone).replace(second=0, microsecond=0)
    elif reading.start is None:
        raise BookingTextError(_missing_time(reading, text))
    else:
        start_min, end_min = _minutes(reading)
        # Day words count from the user's own today ("tomorrow 9am London time" is the user's
        # tomorrow); with no day at all, the earliest fitting instant is found from the named
        # zone's today.
        zone_for_days = user_zone if reading.days else zone
        today = now.astimezone(zone_for_days).date()
        day, fixed = _day(reading.days, today, start_min, zone, now_utc)
        start = wall(day, start_min, zone, now_utc)
        if fixed and start.astimezone(UTC) < now_utc:
            raise BookingTextError(
                f'"{text.strip()}" is in the past. Try "tomorrow {say(start_min)}".'
            )
        if end_min is not None:
            end = wall(day, end_min, zone, now_utc)
            if end.astimezone(UTC) <= start.astimezone(UTC):
                raise BookingTextError(
                    f"The end ({say(end_min)}) isn't after the start ({say(start_min)}) in "
                    f'"{text.strip()}". Try "{say(start_min)} to {say(start_min + 60)}".'
                )
    if start.astimezone(UTC) < now_utc:
        raise BookingTextError(f'"{text.strip()}" is in the past. Try "tomorrow 3pm".')
    if reading.length is not None:
        if end is not None:
            raise BookingTextError(
                f'"{text.strip()}" gives both an end ("{reading.time_text}") and a length '
                f'("{reading.length_text}"). Give one, e.g. "3-4pm" or "3pm for 1 hour".'
            )
        end = (start.astimezone(UTC) + reading.length).astimezone(zone)
    return start.astimezone(user_zone), end.astimezone(user_zone) if end else None


def wall(day: date, minutes: int, zone: tzinfo, now_utc: datetime) -> datetime:
    """The instant the clocks in `zone` show `minutes` past midnight of `day`.

    Minutes past 1440 run into the next day (midnight is 24:00 of its day). A reading the
    clocks skip (spring forward) becomes the same distance past the jump — 2:30 → 3:30; a
    reading they show twice (fall back) is the first, unless only the second is still ahead.
    """
    day += timedelta(days=minutes // _DAY)
    minutes %= _DAY
    naive = datetime.combine(day, time(minutes // 60, minutes % 60))
    first = naive.replace(tzinfo=zone)
    back = first.astimezone(UTC).astimezone(zone)
    if back.replace(tzinfo=None) != naive:
        return back
    second = naive.replace(tzinfo=zone, fold=1)
    if second.utcoffset() != first.utcoffset() and (
        first.astimezone(UTC) < now_utc <= second.astimezone(UTC)
    ):
        return second
    return first


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
    shown = text.strip()
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
        start = _place(replace(s, meridiem=e.meridiem), period)
        if start >= end:
            start = _place(replace(s, meridiem="am" if e.meridiem == "pm" else "pm"), period)
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
    days: list[Day], today: date, start_min: int, zone: tzinfo, now_utc: datetime
) -> tuple[date, bool]:
    """The day the start falls on, and whether the text fixed it (so the past is an error)."""

    def ahead(d: date) -> bool:
        return wall(d, start_min, zone, now_utc).astimezone(UTC) >= now_utc

    if not days:
        return (today if ahead(today) else today + timedelta(days=1)), False
    order = {"date": 0, "day-of-month": 1, "offset": 2, "weekday": 3}
    primary = min(days, key=lambda d: order[d.kind])
    fixed = True
    if primary.kind == "offset":
        day = today + timedelta(days=primary.offset)
    elif primary.kind == "date":
        assert primary.month is not None and primary.day is not None
        if primary.year is not None:
            day = date(primary.year, primary.month, primary.day)
        else:
            day, fixed = _next_month_day(primary.month, primary.day, today, ahead), False
    elif primary.kind == "day-of-month":
        assert primary.day is not None
        day, fixed = _next_day_of_month(primary.day, today, ahead), False
    else:
        assert primary.weekday is not None
        day, fixed = _weekday(primary, today, ahead)
    for other in days:
        _agree(other, day, today)
    return day, fixed


def _next_month_day(month: int, dom: int, today: date, ahead: object) -> date:
    """This year's month-day if still ahead, else the next year that has it ("29 Feb")."""
    for year in range(today.year, today.year + 9):
        try:
            day = date(year, month, dom)
        except ValueError:
            continue
        if day >= today and ahead(day):  # type: ignore[operator]
            return day
    raise BookingTextError(f'There\'s no date {dom}/{month}. Try "20 March 3pm".')


def _next_day_of_month(dom: int, today: date, ahead: object) -> date:
    """ "The 20th": this month's if still ahead, else the next month that has one."""
    for step in range(14):
        year, month = divmod(today.month - 1 + step, 12)
        try:
            day = date(today.year + year, month + 1, dom)
        except ValueError:
            continue
        if day >= today and ahead(day):  # type: ignore[operator]
            return day
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


_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _agree(spec: Day, day: date, today: date) -> None:
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
        or (spec.kind == "day-of-month" and spec.day == day.day)
        or spec.kind == "weekday"
    )
    if not same:
        raise BookingTextError(
            f'"{spec.text.strip()}" isn\'t {day:%A} {day.day} {day:%B}. Give one day, e.g. '
            '"tomorrow 3pm".'
        )
