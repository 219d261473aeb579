"""Understanding booking text (issue 4): every rule, with examples.

Unless a test says otherwise, the text is said on Tuesday 3 March 2026 at 09:00 in Sydney
(AEDT, UTC+11). Expected times are written as the user's wall clock, "YYYY-MM-DD HH:MM".
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.when import BookingTextError, ParsedBooking, parse_booking, parse_duration, parse_when

SYDNEY = "Australia/Sydney"
NEW_YORK = "America/New_York"
NOW = datetime(2026, 3, 3, 9, 0, tzinfo=ZoneInfo(SYDNEY))  # a Tuesday


def wall(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else None


def when(text: str, now: datetime = NOW, tz: str = SYDNEY, **kw: str) -> tuple[str | None, ...]:
    """(start, end) on the wall clock, failing loudly if the text was refused."""
    booking = parse_booking(text, now, tz, **kw)
    assert booking.error is None, booking.error
    return wall(booking.start), wall(booking.end)


def iso(text: str, now: datetime = NOW, tz: str = SYDNEY) -> tuple[str | None, str | None]:
    got = parse_booking(text, now, tz).as_dict()
    assert got["error"] is None, got["error"]
    return got["start"], got["end"]  # type: ignore[return-value]


# --- future preference --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("3pm", "2026-03-03 15:00"),  # still ahead today
        ("8am", "2026-03-04 08:00"),  # already past today: tomorrow
        ("9am", "2026-03-03 09:00"),  # "at or after now": exactly now is today
        ("friday 3pm", "2026-03-06 15:00"),
        ("tuesday 3pm", "2026-03-03 15:00"),  # a bare weekday is today while still ahead
        ("tuesday 8am", "2026-03-10 08:00"),  # ...else next week's
        ("next tuesday 3pm", "2026-03-10 15:00"),  # `next` is the next one after today
        ("next wednesday 3pm", "2026-03-04 15:00"),
        ("this thursday 3pm", "2026-03-05 15:00"),
        ("wednesday next week 3pm", "2026-03-11 15:00"),  # in the following Mon–Sun week
        ("monday next week at 10", "2026-03-09 10:00"),
        ("next week on friday at 10am", "2026-03-13 10:00"),
        ("sunday next week 3pm", "2026-03-15 15:00"),
        ("march 20 3pm", "2026-03-20 15:00"),
        ("jan 5 3pm", "2027-01-05 15:00"),  # a month-day already past: next year
        ("3 march 8am", "2027-03-03 08:00"),  # today's, but the hour has gone
        ("3 march 10am", "2026-03-03 10:00"),
        ("the 20th at 3pm", "2026-03-20 15:00"),  # a day of the month: this month's...
        ("the 3rd at 8am", "2026-04-03 08:00"),  # ...or next month's
        ("friday week 3pm", "2026-03-13 15:00"),  # British: a week on from this friday
    ],
)
def test_future_preference(text: str, start: str) -> None:
    assert when(text)[0] == start


# --- bare hours, noon and midnight, o'clock words -------------------------------------------


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("at 3", "2026-03-03 15:00"),  # 1–6 → afternoon
        ("at 6", "2026-03-03 18:00"),
        ("at 1", "2026-03-03 13:00"),
        ("at 10", "2026-03-03 10:00"),  # 7–11 → morning
        ("at 7", "2026-03-04 07:00"),
        ("at 11:30", "2026-03-03 11:30"),
        ("at 12", "2026-03-03 12:00"),  # 12 → noon
        ("noon", "2026-03-03 12:00"),
        ("midday tomorrow", "2026-03-04 12:00"),
        ("midnight", "2026-03-04 00:00"),  # 00:00 of the next day
        ("friday midnight", "2026-03-07 00:00"),  # the midnight that ends Friday
        ("12am", "2026-03-04 00:00"),
        ("12pm", "2026-03-03 12:00"),
        ("half past two", "2026-03-03 14:30"),
        ("quarter to 4", "2026-03-03 15:45"),
        ("quarter past 10", "2026-03-03 10:15"),
        ("a quarter to noon", "2026-03-03 11:45"),
        ("20 to 5", "2026-03-03 16:40"),
        ("ten past eleven", "2026-03-03 11:10"),
        ("half three", "2026-03-03 15:30"),  # British: half past three
        ("3 o'clock", "2026-03-03 15:00"),
        ("15:00", "2026-03-03 15:00"),
        ("08:00", "2026-03-04 08:00"),  # a 24-hour clock is taken as written
        ("tonight at 8", "2026-03-03 20:00"),  # tonight/this evening push bare hours past noon
        ("this evening at 7", "2026-03-03 19:00"),
        ("this afternoon at 2", "2026-03-03 14:00"),
        ("this afternoon at 12", "2026-03-03 12:00"),
        ("tonight at 11", "2026-03-03 23:00"),
        ("tonight at 12", "2026-03-04 00:00"),
        ("tomorrow morning at 9:30", "2026-03-04 09:30"),
        ("friday morning at 7", "2026-03-06 07:00"),
        ("in the morning at 6", "2026-03-04 06:00"),
        ("8 tonight", "2026-03-03 20:00"),
        ("9 tomorrow", "2026-03-04 09:00"),
        ("tomorrow at 5 in the afternoon", "2026-03-04 17:00"),
    ],
)
def test_hours_of_the_day(text: str, start: str) -> None:
    assert when(text)[0] == start


# --- lengths ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("length", "end"),
    [
        ("for 30 minutes", "15:30"),
        ("for 30 min", "15:30"),
        ("for 30 mins", "15:30"),
        ("for an hour", "16:00"),
        ("for 1.5 hours", "16:30"),
        ("for 90m", "16:30"),
        ("for 1h30", "16:30"),
        ("(45 min)", "15:45"),
        ("for 1 hr", "16:00"),
        ("for 20m", "15:20"),
        ("for 2 hours", "17:00"),
        ("for half an hour", "15:30"),
        ("for an hour and a half", "16:30"),
        ("for 1 hour 15 minutes", "16:15"),
        ("45 min", "15:45"),  # spelled-out units work without "for"
    ],
)
def test_length_sets_the_end(length: str, end: str) -> None:
    start, got_end = when(f"tomorrow 3pm {length}")
    assert (start, got_end) == ("2026-03-04 15:00", f"2026-03-04 {end}")


def test_length_can_come_first() -> None:
    assert when("for 45 min tomorrow at 3pm") == ("2026-03-04 15:00", "2026-03-04 15:45")


def test_no_length_means_no_end() -> None:
    assert when("tomorrow 3pm")[1] is None


# --- ranges -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("3-4pm", "2026-03-03 15:00", "2026-03-03 16:00"),  # the meridiem is shared
        ("10-11am", "2026-03-03 10:00", "2026-03-03 11:00"),
        ("11am-12:30pm", "2026-03-03 11:00", "2026-03-03 12:30"),
        ("from 9:30 to 10:15", "2026-03-03 09:30", "2026-03-03 10:15"),
        ("between 2 and 3pm", "2026-03-03 14:00", "2026-03-03 15:00"),
        ("from 1pm to 2pm on friday", "2026-03-06 13:00", "2026-03-06 14:00"),
        ("11:30-1:30", "2026-03-03 11:30", "2026-03-03 13:30"),
        ("11-1pm", "2026-03-03 11:00", "2026-03-03 13:00"),  # pm would put the start last
        ("8am until 6", "2026-03-04 08:00", "2026-03-04 18:00"),
        ("3pm - 4:30pm tomorrow", "2026-03-04 15:00", "2026-03-04 16:30"),
        ("thursday 2 to 3", "2026-03-05 14:00", "2026-03-05 15:00"),
        ("15:00–16:00", "2026-03-03 15:00", "2026-03-03 16:00"),  # an en dash
        ("10pm to midnight", "2026-03-03 22:00", "2026-03-04 00:00"),
        ("10pm-1am friday", "2026-03-06 22:00", "2026-03-07 01:00"),  # overnight
        ("later than 2pm but before 3pm", "2026-03-03 14:00", "2026-03-03 15:00"),
    ],
)
def test_ranges(text: str, start: str, end: str) -> None:
    assert when(text) == (start, end)


# --- relative -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("in 2 hours", "2026-03-03 11:00"),
        ("in 30 minutes", "2026-03-03 09:30"),
        ("in an hour", "2026-03-03 10:00"),
        ("in a couple of hours", "2026-03-03 11:00"),
        ("in 90 min", "2026-03-03 10:30"),
        ("in 15", "2026-03-03 09:15"),  # chat shorthand for minutes
        ("in 3 days at 10am", "2026-03-06 10:00"),
        ("in 2 weeks at 3pm", "2026-03-17 15:00"),
        ("a week from today at 2pm", "2026-03-10 14:00"),
        ("2 days from now at noon", "2026-03-05 12:00"),
        ("day after tomorrow at 10am", "2026-03-05 10:00"),
        ("the day after tomorrow 3pm", "2026-03-05 15:00"),
    ],
)
def test_relative(text: str, start: str) -> None:
    assert when(text)[0] == start


def test_relative_times_drop_seconds() -> None:
    now = NOW.replace(second=42, microsecond=5)
    assert iso("in 30 minutes", now)[0] == "2026-03-03T09:30:00+11:00"


def test_relative_with_a_length() -> None:
    assert when("in 2 hours for 45 min") == ("2026-03-03 11:00", "2026-03-03 11:45")


# --- explicit dates -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("on 20 March at 3pm", "2026-03-20 15:00"),
        ("March 20 3pm", "2026-03-20 15:00"),
        ("20th of March 3pm", "2026-03-20 15:00"),
        ("the 20th of march at 3pm", "2026-03-20 15:00"),
        ("Mar. 20th 3pm", "2026-03-20 15:00"),
        ("sept 3 10am", "2026-09-03 10:00"),
        ("2026-03-25 14:00", "2026-03-25 14:00"),
        ("2026-03-25T14:00", "2026-03-25 14:00"),
        ("jan 5 10am", "2027-01-05 10:00"),  # next year: already past
        ("5 jan 2028 10am", "2028-01-05 10:00"),
        ("Fri, Mar 6 3pm", "2026-03-06 15:00"),
        ("friday 6 march at 3pm", "2026-03-06 15:00"),
        ("29 feb 10am", "2028-02-29 10:00"),  # the next year that has one
    ],
)
def test_explicit_dates(text: str, start: str) -> None:
    assert when(text)[0] == start


@pytest.mark.parametrize(
    ("text", "order", "start"),
    [
        ("4/3 3pm", "DMY", "2026-03-04 15:00"),  # 4 March where day comes first...
        ("4/3 3pm", "MDY", "2026-04-03 15:00"),  # ...3 April in the US
        ("25/3 3pm", "DMY", "2026-03-25 15:00"),
        ("3/25 3pm", "DMY", "2026-03-25 15:00"),  # only one way round makes a date
        ("25/12/2026 10am", "DMY", "2026-12-25 10:00"),
        ("12/25/2026 10am", "MDY", "2026-12-25 10:00"),
        ("25.12.2026 10am", "DMY", "2026-12-25 10:00"),
    ],
)
def test_numeric_dates_follow_the_locale(text: str, order: str, start: str) -> None:
    assert when(text, locale_date_order=order)[0] == start


def test_iso_instant_with_its_own_offset() -> None:
    assert iso("2026-03-25T14:00:00Z") == ("2026-03-26T01:00:00+11:00", None)


# --- named zones --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        # 09:00 in Sydney is 22:00 UTC the day before: the next 3pm UTC is the same day there.
        ("3pm UTC", "2026-03-04T02:00:00+11:00", None),
        ("9am GMT", "2026-03-03T20:00:00+11:00", None),
        ("4pm CET", "2026-03-04T02:00:00+11:00", None),
        ("15:00 GMT - 18:00 GMT", "2026-03-04T02:00:00+11:00", "2026-03-04T05:00:00+11:00"),
        ("friday 9am PST", "2026-03-07T04:00:00+11:00", None),
        ("3pm (UTC+2)", "2026-03-04T00:00:00+11:00", None),
        # "tomorrow" is the named place's: it is Monday 22:00 in London, so London's Tuesday.
        ("tomorrow 9am Europe/London", "2026-03-03T20:00:00+11:00", None),
        ("tomorrow 9am eastern time", "2026-03-04T01:00:00+11:00", None),
        ("tomorrow 9am london time", "2026-03-03T20:00:00+11:00", None),
    ],
)
def test_named_zones_give_the_same_instant_in_the_users_zone(
    text: str, start: str, end: str | None
) -> None:
    assert iso(text) == (start, end)


def test_a_named_zone_follows_its_own_dst() -> None:
    # New York changes on 8 March 2026; "eastern time" after that is UTC-4.
    assert iso("march 9 9am eastern time")[0] == "2026-03-10T00:00:00+11:00"


# --- chat spellings -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "tmrw 3pm",
        "tmr 3pm",
        "tomorow 3pm",
        "3 p.m. tomorrow",
        "3PM TOMORROW",
        "Tomorrow At 3 PM",
        "tomorrow 3 pm",
        "tomorrow 3p",
        "tomorrow at three",
        "tmrw @ 3pm",
        "tomorrow 15:00",
    ],
)
def test_chat_spellings(text: str) -> None:
    assert when(text)[0] == "2026-03-04 15:00"


@pytest.mark.parametrize(
    ("text", "day"),
    [("thurs 3pm", "05"), ("thu 3pm", "05"), ("weds 3pm", "04"), ("wed 3pm", "04"),
     ("fri 3pm", "06"), ("FRI 3PM", "06"), ("tues 3pm", "03"), ("sat 3pm", "07"),
     ("mon 3pm", "09"), ("sun 3pm", "08")],
)  # fmt: skip
def test_weekday_spellings(text: str, day: str) -> None:
    assert when(text)[0] == f"2026-03-{day} 15:00"


# --- DST: wall clocks in the user's zone, offsets from zoneinfo -----------------------------


def at(zone: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone))  # type: ignore[misc]


@pytest.mark.parametrize(
    ("zone", "now", "text", "start", "end"),
    [
        # Sydney leaves DST on Sunday 5 April 2026: 03:00 AEDT becomes 02:00 AEST.
        (SYDNEY, (2026, 4, 4, 10), "tomorrow 10am", "2026-04-05T10:00:00+10:00", None),
        (SYDNEY, (2026, 4, 4, 10), "tomorrow 2:30am", "2026-04-05T02:30:00+11:00", None),
        (SYDNEY, (2026, 4, 4, 10), "in 24 hours", "2026-04-05T09:00:00+10:00", None),
        (SYDNEY, (2026, 4, 4, 10), "tomorrow 1am for 3 hours",
         "2026-04-05T01:00:00+11:00", "2026-04-05T03:00:00+10:00"),
        (SYDNEY, (2026, 4, 4, 10), "sunday 9-10am",
         "2026-04-05T09:00:00+10:00", "2026-04-05T10:00:00+10:00"),
        # Sydney enters DST on Sunday 4 October 2026: 02:00 AEST becomes 03:00 AEDT.
        (SYDNEY, (2026, 10, 3, 10), "tomorrow 10am", "2026-10-04T10:00:00+11:00", None),
        (SYDNEY, (2026, 10, 3, 10), "in 1 day at 10am", "2026-10-04T10:00:00+11:00", None),
        (SYDNEY, (2026, 10, 3, 10), "tomorrow 1-4am",
         "2026-10-04T01:00:00+10:00", "2026-10-04T04:00:00+11:00"),
        # New York enters DST on Sunday 8 March 2026: 02:00 EST becomes 03:00 EDT.
        (NEW_YORK, (2026, 3, 7, 12), "tomorrow 9am", "2026-03-08T09:00:00-04:00", None),
        (NEW_YORK, (2026, 3, 7, 12), "next monday 9am", "2026-03-09T09:00:00-04:00", None),
        (NEW_YORK, (2026, 3, 7, 23), "in 3 hours", "2026-03-08T03:00:00-04:00", None),
        # New York leaves DST on Sunday 1 November 2026: 02:00 EDT becomes 01:00 EST.
        (NEW_YORK, (2026, 10, 31, 12), "tomorrow 9am", "2026-11-01T09:00:00-05:00", None),
        (NEW_YORK, (2026, 10, 31, 12), "tomorrow 1:30am for 1 hour",
         "2026-11-01T01:30:00-04:00", "2026-11-01T01:30:00-05:00"),
        (NEW_YORK, (2026, 10, 31, 12), "tomorrow 12:30-2:30am",
         "2026-11-01T00:30:00-04:00", "2026-11-01T02:30:00-05:00"),
    ],
)  # fmt: skip
def test_dst_changes(
    zone: str, now: tuple[int, ...], text: str, start: str, end: str | None
) -> None:
    assert iso(text, at(zone, *now), zone) == (start, end)


def test_a_repeated_hour_takes_the_one_still_ahead() -> None:
    # 01:45 EDT on 1 November 2026: 01:30 EDT has gone, 01:30 EST is still to come.
    now = at(NEW_YORK, 2026, 11, 1, 1, 45)
    assert iso("1:30am", now, NEW_YORK)[0] == "2026-11-01T01:30:00-05:00"


# --- the year rolls over ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "text", "start"),
    [
        ((2026, 12, 31, 23, 0), "3pm", "2027-01-01 15:00"),
        ((2026, 12, 31, 23, 0), "tomorrow 9am", "2027-01-01 09:00"),
        ((2026, 12, 31, 23, 0), "friday 10am", "2027-01-01 10:00"),
        ((2026, 12, 31, 23, 0), "in 2 hours", "2027-01-01 01:00"),
        ((2026, 12, 31, 16, 0), "31 dec 3pm", "2027-12-31 15:00"),
        ((2026, 12, 30, 9, 0), "jan 5 3pm", "2027-01-05 15:00"),
        ((2026, 1, 6, 9, 0), "jan 5 3pm", "2027-01-05 15:00"),
    ],
)
def test_year_roll_over(now: tuple[int, ...], text: str, start: str) -> None:
    assert when(text, at(SYDNEY, *now))[0] == start


# --- refusals: a specific message and an example that works --------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tomorrow", 'I couldn\'t find a time of day in "tomorrow". Try "tomorrow 3pm".'),
        ("friday", 'I couldn\'t find a time of day in "friday". Try "friday 3pm".'),
        ("next tuesday", 'I couldn\'t find a time of day in "next tuesday". '
                         'Try "next tuesday 3pm".'),
        ("in 3 days", 'I couldn\'t find a time of day in "in 3 days". Try "in 3 days 3pm".'),
        ("tonight", 'I couldn\'t find a time of day in "tonight". Try "tonight at 7".'),
        ("20 march", 'I couldn\'t find a time of day in "20 march". Try "20 march 3pm".'),
        ("yesterday at 3pm", '"yesterday at 3pm" is in the past. Try "tomorrow at 3pm".'),
        ("last friday 3pm", '"last friday 3pm" is in the past. Try "next friday 3pm".'),
        ("2 hours ago", '"2 hours ago" is in the past. Try "in 2 hours".'),
        ("today at 8am", '"today at 8am" is in the past. Try "tomorrow 8am".'),
        ("2025-06-01 10:00", '"2025-06-01 10:00" is in the past. Try "tomorrow 10am".'),
        ("3pm to 2pm tomorrow", "The end (2pm) isn't after the start (3pm) in "
                                '"3pm to 2pm tomorrow". Try "3pm to 4pm".'),
        ("whenever works", 'I couldn\'t find a day or time in "whenever works". '
                           'Try "tomorrow 3pm".'),
        ("for 30 min", 'I couldn\'t find when in "for 30 min". Try "tomorrow 3pm for 30 min".'),
        ("", 'There\'s no booking text. Try "tomorrow 3pm for 30 min".'),
        ("   ", 'There\'s no booking text. Try "tomorrow 3pm for 30 min".'),
        ("next week", '"next week" doesn\'t say which day. Try "tuesday next week 3pm".'),
        ("30 feb 3pm", 'February has 29 days, so there\'s no "30 feb". Try "29 February 3pm".'),
        ("25:00", '"25:00" isn\'t a time of day: the clock runs from 00:00 to 23:59. Try "3pm", '
                  '"15:00" or "midnight".'),
        ("3pm and 5pm", 'I found two times ("3pm" and "5pm"). Give one, e.g. "3pm", or a range '
                        'like "3-4pm".'),
        ("3-4pm for 30 min", '"3-4pm for 30 min" gives both an end ("3-4pm") and a length '
                             '("for 30 min"). Give one, e.g. "3-4pm" or "3pm for 1 hour".'),
        ("Sat, Mar 6 3pm", "6 March 2026 is a Friday, not a Saturday. "
                           'Try "friday 6 March 3pm".'),
        ("tomorrow friday 3pm", "4 March 2026 is a Wednesday, not a Friday. "
                                'Try "wednesday 4 March 3pm".'),
        ("tomorrow 5 march 3pm", '"tomorrow" isn\'t Thursday 5 March. Give one day, e.g. '
                                 '"tomorrow 3pm".'),
    ],
)  # fmt: skip
def test_refusals(text: str, message: str) -> None:
    booking = parse_booking(text, NOW, SYDNEY)
    assert (booking.start, booking.end, booking.error) == (None, None, message)
    assert not booking.ok
    example = re.search(r'Try "([^"]+)"', message)
    if example:  # the example offered must itself work
        assert parse_booking(example[1], NOW, SYDNEY).ok, example[1]


@pytest.mark.parametrize(
    "text",
    ["3pm five 15h 31st 99", "2 45 between", "12 15h 15h 3", "13pm", "0am", "24:00 25:00",
     "💥 İstanbul 3pm", "<@U0A> host", '"unclosed 3pm', "31/12/99 10am", "gmt+99 3pm"],
)  # fmt: skip
def test_odd_text_never_raises(text: str) -> None:
    booking = parse_booking(text, NOW, SYDNEY)
    assert booking.ok or booking.error
    if booking.ok:
        assert booking.start is not None and booking.start >= NOW


def test_an_unknown_zone_is_refused_not_raised() -> None:
    booking = parse_booking("tomorrow 3pm", NOW, "Mars/Olympus_Mons")
    assert booking.error == (
        'I don\'t know the time zone "Mars/Olympus_Mons". Use an IANA name such as '
        '"Australia/Sydney".'
    )


def test_parse_when_raises_the_same_message() -> None:
    with pytest.raises(BookingTextError, match="time of day"):
        parse_when("tomorrow", NOW, SYDNEY)
    assert parse_when("tomorrow 3pm", NOW, SYDNEY)[0] == NOW.replace(day=4, hour=15)


# --- who and what -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "title", "guests", "hosts"),
    [
        ('"Physio review" with <@U0ALICE> tomorrow 3pm for 45 min',
         "Physio review", ("U0ALICE",), ()),
        ("Team sync 2-3pm thursday with <@U0DAVE>", "Team sync", ("U0DAVE",), ()),
        ("<@U0ALICE> <@U0BOB|bob> friday noon", None, ("U0ALICE", "U0BOB"), ()),
        ("check-in host <@U0BOB> with <@U0ALICE> tomorrow 9am", "check-in", ("U0ALICE",),
         ("U0BOB",)),
        ("hosts <@U0BOB> and <@U0CAROL> with <@U0ALICE> tomorrow 9am", None, ("U0ALICE",),
         ("U0BOB", "U0CAROL")),
        ("host <@U0BOB> and <@U0CAROL> tomorrow 9am", None, ("U0CAROL",), ("U0BOB",)),
        ("Lunch and learn friday at noon", "Lunch and learn", (), ()),
        ("“Quarterly review” tomorrow 3pm", "Quarterly review", (), ()),
        ('tomorrow 3pm "Intake: new patient" <@U0ALICE> <@U0ALICE>', "Intake: new patient",
         ("U0ALICE",), ()),
        ("Review with <@U0ALICE> on friday at 10am for 30 min", "Review", ("U0ALICE",), ()),
        ("1:1 catch up tmrw 4pm", "1:1 catch up", (), ()),
        ("one-on-one tomorrow 3pm", "one-on-one", (), ()),
        ("Morning standup tomorrow 9", "Morning standup", (), ()),  # "morning" starts a title
        ("Team of 5 meeting tomorrow 3pm-ish", "Team of 5 meeting", (), ()),
        ("Meeting in room 204 at 3pm", "Meeting in room 204", (), ()),
        ("Room 45 tomorrow 3pm", "Room 45", (), ()),
        ("Table for 3 20 people tomorrow 3pm", "Table for 3 20 people", (), ()),
    ],
)  # fmt: skip
def test_who_and_what(
    text: str, title: str | None, guests: tuple[str, ...], hosts: tuple[str, ...]
) -> None:
    booking = parse_booking(text, NOW, SYDNEY)
    assert booking.ok, booking.error
    assert (booking.title, booking.guests, booking.hosts) == (title, guests, hosts)


def test_mentions_and_title_survive_a_refusal() -> None:
    booking = parse_booking('"Physio review" with <@U0ALICE> tomorrow', NOW, SYDNEY)
    assert booking.error and "time of day" in booking.error
    assert (booking.title, booking.guests) == ("Physio review", ("U0ALICE",))


# --- the result ---------------------------------------------------------------------------


def test_as_dict_is_the_cli_json_shape() -> None:
    booking = parse_booking('"Physio review" with <@U0ALICE> tomorrow 3pm for 45 min', NOW, SYDNEY)
    assert booking.as_dict() == {
        "start": "2026-03-04T15:00:00+11:00",
        "end": "2026-03-04T15:45:00+11:00",
        "title": "Physio review",
        "guests": ["U0ALICE"],
        "hosts": [],
        "error": None,
        "zone": SYDNEY,
        "guess": None,
        "repeat": None,
        "reminders": None,
    }
    assert ParsedBooking(error="x").as_dict()["start"] is None


def test_results_are_aware_and_in_the_users_zone() -> None:
    booking = parse_booking("3pm UTC", NOW, SYDNEY)
    assert booking.start is not None and booking.start.tzinfo == ZoneInfo(SYDNEY)


# --- the modal's length field -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("45 min", 45), ("45", 45), ("1h30", 90), ("1.5 hours", 90), ("an hour", 60),
     ("90m", 90), ("1:15", 75), ("half an hour", 30), ("for 20 minutes", 20),
     ("two hours", 120), ("0", None), ("soon", None), ("", None),
     ("21330501439383953408", None), ("9" * 400, None), ("99999999999:00", None)],
)  # fmt: skip
def test_parse_duration(text: str, minutes: int | None) -> None:
    expected = timedelta(minutes=minutes) if minutes is not None else None
    assert parse_duration(text) == expected
