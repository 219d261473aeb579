"""Places and zone names, and clocks that jump, with the clock frozen on both sides of each DST
change in Sydney, London and New York (2026).

- Sydney: AEDT ends Sunday 5 April (03:00 → 02:00), starts Sunday 4 October (02:00 → 03:00).
- London: BST starts Sunday 29 March (01:00 → 02:00), ends Sunday 25 October (02:00 → 01:00).
- New York: EDT starts Sunday 8 March (02:00 → 03:00), ends Sunday 1 November (02:00 → 01:00).
"""

from __future__ import annotations

import importlib.metadata
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.when import parse_booking
from bot.when.maketable import TARGET as TABLE
from bot.when.maketable import render
from bot.when.zonetable import CITIES, TZDATA, US_ZONES

SYDNEY, LONDON, NEW_YORK = "Australia/Sydney", "Europe/London", "America/New_York"


def at(zone: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone))  # type: ignore[misc]


def parsed(text: str, zone: str, *now: int) -> dict[str, object]:
    return parse_booking(text, at(zone, *now), zone).as_dict()


def ok(text: str, zone: str, *now: int) -> dict[str, object]:
    got = parsed(text, zone, *now)
    assert got["error"] is None, got["error"]
    return got


# --- places: the time is read in the place, and the day too -------------------------------

# Wednesday 4 March 2026, 22:00 in Sydney (AEDT): 11:00 Wednesday in London, 06:00 in New York.
WED_NIGHT = (2026, 3, 4, 22, 0)


@pytest.mark.parametrize(
    ("text", "start", "zone"),
    [
        ("friday 3pm London", "2026-03-07T02:00:00+11:00", LONDON),
        ("3pm in London tomorrow", "2026-03-06T02:00:00+11:00", LONDON),  # London's Thursday
        ("monday 10am PT", "2026-03-10T04:00:00+11:00", "America/Los_Angeles"),
        ("thursday noon Tokyo", "2026-03-05T14:00:00+11:00", "Asia/Tokyo"),
        ("tomorrow 9am NYC", "2026-03-06T01:00:00+11:00", NEW_YORK),
        ("tomorrow 9am LA", "2026-03-06T04:00:00+11:00", "America/Los_Angeles"),
        ("friday 3pm Perth", "2026-03-06T18:00:00+11:00", "Australia/Perth"),
        ("friday 3pm Auckland", "2026-03-06T13:00:00+11:00", "Pacific/Auckland"),
        ("friday 3pm Sydney time", "2026-03-06T15:00:00+11:00", SYDNEY),
        ("friday 3pm new york time", "2026-03-07T07:00:00+11:00", NEW_YORK),
        ("friday 3pm eastern", "2026-03-07T07:00:00+11:00", NEW_YORK),
        ("friday 3pm ET", "2026-03-07T07:00:00+11:00", NEW_YORK),
        ("friday 3pm CT", "2026-03-07T08:00:00+11:00", "America/Chicago"),
        ("friday 3pm MT", "2026-03-07T09:00:00+11:00", "America/Denver"),
        ("friday 3pm Pacific", "2026-03-07T10:00:00+11:00", "America/Los_Angeles"),
        ("friday 3pm JST", "2026-03-06T17:00:00+11:00", "Asia/Tokyo"),
        ("friday 3pm IST", "2026-03-06T20:30:00+11:00", "Asia/Kolkata"),
        ("friday 3pm CET", "2026-03-07T01:00:00+11:00", "Europe/Berlin"),
        ("Tokyo 9am tomorrow", "2026-03-05T11:00:00+11:00", "Asia/Tokyo"),  # just before
        ("New York 9am monday", "2026-03-10T00:00:00+11:00", NEW_YORK),  # EDT from 8 March
    ],
)
def test_a_named_place_reads_the_time_and_day_there(text: str, start: str, zone: str) -> None:
    got = ok(text, SYDNEY, *WED_NIGHT)
    assert (got["start"], got["zone"]) == (start, zone)
    assert got["title"] is None  # the place is never the title


def test_a_place_other_than_theirs_is_a_guess_showing_both_times() -> None:
    got = ok("friday 3pm London", SYDNEY, *WED_NIGHT)
    assert got["guess"] == "3pm Friday in London is 2am Saturday your time"
    assert ok("friday 3pm Sydney time", SYDNEY, *WED_NIGHT)["guess"] is None


@pytest.mark.parametrize(
    "text",
    [
        "London team sync tomorrow 3pm",
        "PT review tomorrow 3pm",
        "Perth catch-up friday 10am",
        "Catch-up with Darwin 3pm friday",  # after "with" a name is a person's
    ],
)
def test_a_place_away_from_the_time_stays_in_the_title(text: str) -> None:
    got = ok(text, SYDNEY, *WED_NIGHT)
    assert got["zone"] == SYDNEY and got["guess"] is None
    assert str(got["title"]).split()[0] in text
    assert str(got["title"]).split()[-1] in text.split()


# --- abbreviations follow the place's season; one naming the other season is said so -----


@pytest.mark.parametrize(
    ("zone", "now", "text", "start"),
    [
        # New York either side of 8 March: "ET" is -05:00 before, -04:00 after.
        (SYDNEY, (2026, 3, 6, 12), "saturday 3pm ET", "2026-03-08T07:00:00+11:00"),
        (SYDNEY, (2026, 3, 6, 12), "monday 3pm ET", "2026-03-10T06:00:00+11:00"),
        # London either side of 29 March: "London" is GMT before, BST after.
        (SYDNEY, (2026, 3, 27, 12), "saturday 3pm London", "2026-03-29T02:00:00+11:00"),
        (SYDNEY, (2026, 3, 27, 12), "monday 3pm London", "2026-03-31T01:00:00+11:00"),
        # Sydney either side of 5 April, read from London.
        (LONDON, (2026, 4, 3, 12), "saturday 3pm AET", "2026-04-04T05:00:00+01:00"),
        (LONDON, (2026, 4, 3, 12), "monday 3pm AET", "2026-04-06T06:00:00+01:00"),
        # Sydney either side of 4 October, read from New York.
        (NEW_YORK, (2026, 10, 2, 12), "saturday 3pm Sydney time", "2026-10-03T01:00:00-04:00"),
        (NEW_YORK, (2026, 10, 2, 12), "monday 3pm Sydney time", "2026-10-05T00:00:00-04:00"),
        # London either side of 25 October, read from Sydney.
        (SYDNEY, (2026, 10, 23, 12), "saturday 3pm London", "2026-10-25T01:00:00+11:00"),
        (SYDNEY, (2026, 10, 23, 12), "monday 3pm London", "2026-10-27T02:00:00+11:00"),
        # New York either side of 1 November, read from London.
        (LONDON, (2026, 10, 30, 12), "saturday 3pm ET", "2026-10-31T19:00:00+00:00"),
        (LONDON, (2026, 10, 30, 12), "monday 3pm ET", "2026-11-02T20:00:00+00:00"),
    ],
)  # fmt: skip
def test_places_follow_their_own_dst(
    zone: str, now: tuple[int, ...], text: str, start: str
) -> None:
    assert ok(text, zone, *now)["start"] == start


def test_an_abbreviation_in_its_season_reads_the_place() -> None:
    got = ok("tomorrow 3pm AEDT", SYDNEY, 2026, 10, 3, 10)
    assert (got["start"], got["zone"], got["guess"]) == ("2026-10-04T15:00:00+11:00", SYDNEY, None)


def test_an_abbreviation_out_of_season_is_read_as_written_and_offers_the_place() -> None:
    # 4 October 2026 is AEDT in Sydney: "AEST" (UTC+10) is taken at its word, with a preview.
    booking = parse_booking("tomorrow 3pm AEST", at(SYDNEY, 2026, 10, 3, 10), SYDNEY)
    assert booking.start is not None
    assert booking.start.isoformat() == "2026-10-04T16:00:00+11:00"
    assert booking.zone == "Etc/GMT-10"
    assert booking.guess and booking.guess.startswith(
        "AEST is UTC+10, but Sydney is on AEDT that day: read as UTC+10"
    )
    assert booking.suggestion is not None
    assert booking.suggestion.text == "tomorrow 3pm Sydney time"
    other = parse_booking(booking.suggestion.text, at(SYDNEY, 2026, 10, 3, 10), SYDNEY)
    assert other.start is not None and other.start.isoformat() == "2026-10-04T15:00:00+11:00"


def test_two_different_zones_are_refused() -> None:
    got = parsed("3pm London Tokyo time", SYDNEY, *WED_NIGHT)
    assert got["start"] is None
    assert got["error"] == (
        'I found two time zones ("Tokyo time" and "London"). Give one, e.g. "3pm to 4pm London '
        'time".'
    )


# --- clocks that jump: a skipped time is refused with the time the clocks jump to ----------


@pytest.mark.parametrize(
    ("zone", "now", "text", "message", "fixed", "fixed_start"),
    [
        (SYDNEY, (2026, 10, 3, 10), "sunday 2:30am",
         "2:30am doesn't exist on Sunday 4 October in Sydney: clocks jump to 3:00am. Book 3:00am?",
         "sunday 3:00am", "2026-10-04T03:00:00+11:00"),
        (LONDON, (2026, 3, 28, 12), "tomorrow at 1:30am for 1 hour",
         "1:30am doesn't exist on Sunday 29 March in London: clocks jump to 2:00am. Book 2:00am?",
         "tomorrow at 2:00am for 1 hour", "2026-03-29T02:00:00+01:00"),
        (NEW_YORK, (2026, 3, 7, 12), "sunday 2:15am",
         "2:15am doesn't exist on Sunday 8 March in New York: clocks jump to 3:00am. "
         "Book 3:00am?", "sunday 3:00am", "2026-03-08T03:00:00-04:00"),
    ],
)  # fmt: skip
def test_a_skipped_time_is_refused_with_the_time_to_book(
    zone: str,
    now: tuple[int, ...],
    text: str,
    message: str,
    fixed: str,
    fixed_start: str,
) -> None:
    booking = parse_booking(text, at(zone, *now), zone)
    assert (booking.start, booking.error) == (None, message)
    assert booking.suggestion is not None and booking.suggestion.text == fixed
    assert ok(fixed, zone, *now)["start"] == fixed_start


@pytest.mark.parametrize(
    ("zone", "now", "text", "start", "end"),
    [
        # The hour that happens twice is the first one, and lengths are real minutes.
        (SYDNEY, (2026, 4, 4, 10), "tomorrow 2:30am for 30 min",
         "2026-04-05T02:30:00+11:00", "2026-04-05T02:00:00+10:00"),
        (LONDON, (2026, 10, 24, 12), "tomorrow 1:30am for 1 hour",
         "2026-10-25T01:30:00+01:00", "2026-10-25T01:30:00+00:00"),
        (NEW_YORK, (2026, 10, 31, 12), "tomorrow 1:15am for 90 min",
         "2026-11-01T01:15:00-04:00", "2026-11-01T01:45:00-05:00"),
        # The case: the end is before the start on the wall clock, not in time.
        (SYDNEY, (2027, 3, 1, 10), "4 April 2027 2:30am for 30 min",
         "2027-04-04T02:30:00+11:00", "2027-04-04T02:00:00+10:00"),
    ],
)  # fmt: skip
def test_a_repeated_hour_is_the_first_and_says_so(
    zone: str, now: tuple[int, ...], text: str, start: str, end: str
) -> None:
    got = ok(text, zone, *now)
    assert (got["start"], got["end"]) == (start, end)
    assert "happens twice" in str(got["guess"])


@pytest.mark.parametrize(
    ("zone", "now", "text", "start"),
    [
        # The day before and the day after each change: wall clocks stay put.
        (SYDNEY, (2026, 4, 4, 12), "monday 9am", "2026-04-06T09:00:00+10:00"),
        (SYDNEY, (2026, 4, 6, 12), "saturday 9am", "2026-04-11T09:00:00+10:00"),
        (SYDNEY, (2026, 10, 3, 12), "monday 9am", "2026-10-05T09:00:00+11:00"),
        (SYDNEY, (2026, 10, 5, 12), "friday 9am", "2026-10-09T09:00:00+11:00"),
        (LONDON, (2026, 3, 28, 12), "monday 9am", "2026-03-30T09:00:00+01:00"),
        (LONDON, (2026, 3, 30, 12), "friday 9am", "2026-04-03T09:00:00+01:00"),
        (LONDON, (2026, 10, 24, 12), "monday 9am", "2026-10-26T09:00:00+00:00"),
        (LONDON, (2026, 10, 26, 12), "friday 9am", "2026-10-30T09:00:00+00:00"),
        (NEW_YORK, (2026, 3, 7, 12), "in 24 hours", "2026-03-08T13:00:00-04:00"),
        (NEW_YORK, (2026, 3, 9, 12), "friday 9am", "2026-03-13T09:00:00-04:00"),
        (NEW_YORK, (2026, 10, 31, 12), "in 24 hours", "2026-11-01T11:00:00-05:00"),
        (NEW_YORK, (2026, 11, 2, 12), "friday 9am", "2026-11-06T09:00:00-05:00"),
    ],
)  # fmt: skip
def test_both_sides_of_each_change(zone: str, now: tuple[int, ...], text: str, start: str) -> None:
    assert ok(text, zone, *now)["start"] == start


# --- the table ----------------------------------------------------------------------------


def test_the_committed_city_table_is_what_the_tz_database_gives() -> None:
    # With the tzdata it was made from, the table is exactly what the generator writes; with
    # another, every zone it names must still exist (regenerate: `python -m bot.when.maketable`).
    if importlib.metadata.version("tzdata") == TZDATA:
        assert TABLE.read_text() == render()
    for zone in {*CITIES.values(), *US_ZONES}:
        assert ZoneInfo(zone).key == zone
