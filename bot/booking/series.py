"""Recurring series, in plain functions: which dates a series falls on, and when each starts.

A series is kept as a wall-clock time in an IANA zone, never as a UTC instant plus a period,
so "every tuesday 3pm" stays at 3 pm in Sydney when Sydney's clocks go back (the UTC instant
moves by the hour instead)::

    >>> from bot.when.result import Repeat
    >>> rule = Repeat("weekly", time="15:00", zone="Australia/Sydney", days=("TU",), count=4)
    >>> [d.isoformat() for d in dates(rule, date(2030, 3, 26))]
    ['2030-03-26', '2030-04-02', '2030-04-09', '2030-04-16']
    >>> [f"{starts_at(rule, d).astimezone(UTC):%H:%M}" for d in dates(rule, date(2030, 3, 26))]
    ['04:00', '04:00', '05:00', '05:00']

Coviu has no series: each occurrence is a session of its own. They are created ahead only
within `WINDOW` of today (the rest as time goes on, by the worker), so a year of weekly
sessions doesn't put 52 sessions into Coviu at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.when.result import Repeat

# How far ahead occurrences are created at Coviu: eight weeks.
WINDOW = timedelta(weeks=8)
CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# A series with no end given stops after a year, as the parser's longest bound does.
LONGEST = timedelta(days=366)


def dates(rule: Repeat, first: date) -> Iterator[date]:
    """Every date of the series, in order, from `first` (its first occurrence).

    Weekly series count weeks from the first occurrence's week (Monday to Sunday), so "every
    other Tuesday and Thursday" keeps to the same alternate weeks. Daily ones count days.

    >>> rule = Repeat("weekly", time="09:00", zone="UTC", days=("MO", "WE"), interval=2, count=4)
    >>> [d.isoformat() for d in dates(rule, date(2030, 3, 20))]
    ['2030-03-20', '2030-04-01', '2030-04-03', '2030-04-15']
    """
    last = rule.until or first + LONGEST
    made = 0
    if rule.freq == "daily":
        day = first
        while day <= last and (rule.count is None or made < rule.count):
            yield day
            made += 1
            day += timedelta(days=rule.interval)
        return
    weekdays = sorted(CODES.index(code) for code in rule.days) or [first.weekday()]
    monday = first - timedelta(days=first.weekday())
    while True:
        for weekday in weekdays:
            day = monday + timedelta(days=weekday)
            if day < first:
                continue
            if day > last or (rule.count is not None and made >= rule.count):
                return
            yield day
            made += 1
        monday += timedelta(weeks=rule.interval)


def starts_at(rule: Repeat, day: date) -> datetime:
    """The instant the occurrence on `day` starts: the rule's wall-clock time in its zone.

    A time the clocks skip that day (2:30 am as they jump to 3 am) becomes the same length
    after the jump, as the clocks themselves would read it: 3:30 am.
    """
    zone = ZoneInfo(rule.zone)
    hour, minute = (int(part) for part in rule.time.split(":"))
    wall = datetime.combine(day, time(hour, minute), tzinfo=zone)
    # A round trip through UTC settles a skipped wall time onto the clock after the jump.
    return wall.astimezone(UTC).astimezone(zone)


def due_within(rule: Repeat, first: date, today: date) -> list[date]:
    """The dates to have created by `today` (on the series' calendar): those within `WINDOW`.

    >>> rule = Repeat("weekly", time="15:00", zone="UTC", days=("TU",), count=12)
    >>> due_within(rule, date(2030, 3, 19), date(2030, 3, 18))[-1].isoformat()
    '2030-05-07'
    """
    horizon = today + WINDOW
    found = []
    for day in dates(rule, first):
        if day > horizon:
            break
        found.append(day)
    return found


# The booking form's "Repeats" choices: what each means as a rule.
CHOICES = {
    "daily": "Every day",
    "weekdays": "Every weekday",
    "weekly": "Every week",
    "fortnightly": "Every other week",
}


def from_choice(choice: str, count: int, start: datetime) -> Repeat:
    """The rule for the form's choice, from `start` (aware, in the booker's zone): its
    wall-clock time and weekday. ValueError when an every-weekday series starts on a weekend.

    >>> sydney = ZoneInfo("Australia/Sydney")
    >>> rule = from_choice("fortnightly", 6, datetime(2030, 3, 19, 15, tzinfo=sydney))
    >>> rule.time, rule.zone, rule.interval, rule.days, rule.count
    ('15:00', 'Australia/Sydney', 2, ('TU',), 6)
    """
    zone = getattr(start.tzinfo, "key", None) or "UTC"
    at = f"{start:%H:%M}"
    if choice == "daily":
        return Repeat("daily", time=at, zone=zone, count=count)
    if choice == "weekdays":
        if start.weekday() >= 5:
            raise ValueError("an every-weekday series must start on a weekday")
        return Repeat("weekly", time=at, zone=zone, days=CODES[:5], count=count)
    interval = 2 if choice == "fortnightly" else 1
    return Repeat(
        "weekly", time=at, zone=zone, interval=interval, days=(CODES[start.weekday()],), count=count
    )


def choice_of(rule: Repeat | None) -> str | None:
    """The form's choice that shows `rule`, if one does (the form pre-filled from text).

    >>> choice_of(Repeat("weekly", time="9:00", zone="UTC", days=CODES[:5], count=10))
    'weekdays'
    """
    if rule is None:
        return None
    if rule.freq == "daily" and rule.interval == 1:
        return "daily"
    if rule.freq == "weekly" and tuple(rule.days) == CODES[:5] and rule.interval == 1:
        return "weekdays"
    if rule.freq == "weekly" and len(rule.days) <= 1 and rule.interval in (1, 2):
        return "weekly" if rule.interval == 1 else "fortnightly"
    return None


def describe(rule: Repeat) -> str:
    """How the series repeats, for people: "every Tuesday", "every other day", "weekdays".

    >>> describe(Repeat("weekly", time="15:00", zone="UTC", days=("TU", "TH")))
    'every Tuesday and Thursday'
    >>> describe(Repeat("weekly", time="9:00", zone="UTC", days=CODES[:5]))
    'every weekday'
    """
    names = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    other = "other " if rule.interval == 2 else ""
    if rule.freq == "daily":
        return f"every {other}day" if rule.interval <= 2 else f"every {rule.interval} days"
    if tuple(rule.days) == CODES[:5] and rule.interval == 1:
        return "every weekday"
    shown = [names[CODES.index(code)] for code in rule.days]
    joined = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
    if rule.interval > 2:
        return f"every {rule.interval} weeks on {joined}"
    return f"every {other}{joined}"


def rrule(rule: Repeat) -> str:
    """The rule as RFC 5545's RRULE (for calendar links), ending where the series ends.

    >>> rrule(Repeat("weekly", time="15:00", zone="UTC", days=("TU",), count=6))
    'RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=TU;COUNT=6'
    """
    parts = [f"FREQ={rule.freq.upper()}", f"INTERVAL={rule.interval}"]
    if rule.freq == "weekly" and rule.days:
        parts.append("BYDAY=" + ",".join(rule.days))
    if rule.count is not None:
        parts.append(f"COUNT={rule.count}")
    elif rule.until is not None:
        parts.append(f"UNTIL={rule.until:%Y%m%d}")
    return "RRULE:" + ";".join(parts)
