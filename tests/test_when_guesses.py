"""Never book the wrong time: impossible values refused, misspelt days asked about, guesses
previewed, and the phrases people use for lengths and days.

Said on Tuesday 3 March 2026 at 09:00 in Sydney (AEDT, UTC+11) unless a test says otherwise.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.when import parse_booking

SYDNEY, NEW_YORK = "Australia/Sydney", "America/New_York"
NOW = datetime(2026, 3, 3, 9, 0, tzinfo=ZoneInfo(SYDNEY))


def wall(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else None


# --- impossible values: refused with an example that works ----------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tomorrow 13pm", '"13pm" isn\'t a time of day: with am or pm the hour runs from 1 to 12. '
                          'Try "1pm" or "13:00".'),
        ("tomorrow 0am", '"0am" isn\'t a time of day: with am or pm the hour runs from 1 to 12. '
                         'Try "12am" or "00:00".'),
        ("tomorrow 24:00", '"24:00" isn\'t a time of day: the clock runs from 00:00 to 23:59. '
                           'Try "3pm", "15:00" or "midnight".'),
        ("tomorrow 24:30", '"24:30" isn\'t a time of day: the clock runs from 00:00 to 23:59. '
                           'Try "3pm", "15:00" or "midnight".'),
        ("tomorrow 3pm for -30 minutes", 'A length can\'t be negative ("for -30 minutes"). '
                                         'Try "tomorrow 3pm for 30 minutes".'),
        ("tomorrow 3pm for 0 min", 'A booking needs some length ("for 0 min" is none). '
                                   'Try "tomorrow 3pm for 30 min".'),
        ("31 April 3pm", 'April has 30 days, so there\'s no "31 April". Try "30 April 3pm".'),
        ("29 Feb 2027 3pm", '2027 isn\'t a leap year, so there\'s no 29 February ("29 Feb 2027"). '
                            'Try "28 February 2027 3pm" or "1 March 2027 3pm".'),
        ("31/4 3pm", 'April has 30 days, so there\'s no "31/4". Try "30 April 3pm".'),
        ("june 31 10am", 'June has 30 days, so there\'s no "june 31". Try "30 June 3pm".'),
    ],
)  # fmt: skip
def test_impossible_values_are_refused(text: str, message: str) -> None:
    booking = parse_booking(text, NOW, SYDNEY)
    assert (booking.start, booking.error) == (None, message)
    for example in re.findall(r'Try "([^"]+)"', message):
        if any(ch.isdigit() for ch in example) and ":" not in example:
            assert parse_booking(example, NOW, SYDNEY).ok, example


def test_text_with_hundreds_of_numbers_is_refused_plainly() -> None:
    booking = parse_booking("tomorrow 3pm " + "1 2 3 " * 30, NOW, SYDNEY)
    assert booking.error == (
        "That text has too many numbers and time words to read. Keep to the booking, e.g. "
        '"Physio review tomorrow 3pm for 30 min".'
    )


# --- misspelt days and months: read as corrected, never the title, and said so ---------------


@pytest.mark.parametrize(
    ("text", "meant", "fixed", "start"),
    [
        ("blursday at noonish", "Thursday", "thursday at noonish", "2026-03-05 12:00"),
        ("thrusday 3pm", "Thursday", "thursday 3pm", "2026-03-05 15:00"),
        ("Physio wendesday 10am", "Wednesday", "Physio wednesday 10am", "2026-03-04 10:00"),
        ("3pm on smarch 20", "March", "3pm on march 20", "2026-03-20 15:00"),
        ("3pm on the 20th of smarch", "March", "3pm on the 20th of march", "2026-03-20 15:00"),
        ("Intake fridya 11am", "Friday", "Intake friday 11am", "2026-03-06 11:00"),
    ],
)
def test_a_misspelt_day_is_corrected_with_a_suggestion(
    text: str, meant: str, fixed: str, start: str
) -> None:
    booking = parse_booking(text, NOW, SYDNEY)
    assert booking.ok and wall(booking.start) == start
    assert booking.guess is not None and booking.guess.startswith("read ")
    assert booking.suggestion is not None
    assert (booking.suggestion.message, booking.suggestion.text) == (
        f"Did you mean {meant}?",
        fixed,
    )
    assert booking.title is None or meant.lower() not in booking.title.lower()
    again = parse_booking(booking.suggestion.text, NOW, SYDNEY)  # the button books the same
    assert (again.start, again.suggestion) == (booking.start, None)


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("Catch up with Mark friday 3pm", "Catch up with Mark"),
        ("Freddy check-in friday 3pm", "Freddy check-in"),
        ("Mayday drill tomorrow 3pm", "Mayday drill"),  # a day is given: a title word
        ("Marco review 3pm friday", "Marco review"),
        ('"Blursday club" friday 3pm', "Blursday club"),  # quotes always name anything
    ],
)
def test_names_near_day_words_stay_titles(text: str, title: str) -> None:
    booking = parse_booking(text, NOW, SYDNEY)
    assert booking.ok and booking.suggestion is None and booking.guess is None
    assert booking.title == title


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "3pm on the 3rd of blorp",
            'I don\'t know the month in "3rd of blorp". Try "3 March 3pm".',
        ),
        ("on flurb 20th 3pm", 'I don\'t know the month in "on flurb 20th". Try "20 March 3pm".'),
    ],
)
def test_a_date_with_an_unknown_month_is_refused_not_booked_this_month(
    text: str, message: str
) -> None:
    booking = parse_booking(text, NOW, SYDNEY)
    assert (booking.start, booking.error) == (None, message)


@pytest.mark.parametrize("text", ["Meeting on level 3 at 3pm", "Room 45 tomorrow 3pm"])
def test_numbers_beside_words_without_an_ordinal_stay_titles(text: str) -> None:
    booking = parse_booking(text, NOW, SYDNEY)
    assert booking.ok and booking.title and booking.title.split()[0] in text


def test_a_correction_that_still_lacks_a_time_says_both() -> None:
    booking = parse_booking("blursday", NOW, SYDNEY)
    assert booking.error == (
        "I don't know \"blursday\". Did you mean Thursday? I couldn't find a time of day in "
        '"thursday". Try "thursday 3pm".'
    )


# --- guesses: a preview is needed --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "guess"),
    [
        ("at 7", '"at 7" read as 7am'),
        ("tomorrow at 3", '"at 3" read as 3pm'),
        ("thursday 2 to 3", '"2 to 3" read as 2pm to 3pm'),
        ("jan 5 3pm", 'no year given: "jan 5" read as Tuesday 5 January 2027'),
        ("29 feb 10am", 'no year given: "29 feb" read as Tuesday 29 February 2028'),
        ("3/4 3pm", '"3/4" read day first: Friday 3 April 2026'),
    ],
)
def test_readings_that_rest_on_a_guess_say_why(text: str, guess: str) -> None:
    booking = parse_booking(text, NOW, SYDNEY)
    assert booking.ok and booking.guess == guess


@pytest.mark.parametrize(
    "text", ["tomorrow 3pm", "at 7pm", "20 March 3pm", "25/3 3pm", "thursday 2-3pm", "at 15:00"]
)
def test_unambiguous_text_books_at_once(text: str) -> None:
    booking = parse_booking(text, NOW, SYDNEY)
    assert booking.ok and booking.guess is None and booking.suggestion is None


def test_day_month_order_follows_the_persons_zone() -> None:
    new_york_now = datetime(2026, 3, 3, 9, 0, tzinfo=ZoneInfo(NEW_YORK))
    us = parse_booking("3/4 3pm", new_york_now, NEW_YORK)
    au = parse_booking("3/4 3pm", NOW, SYDNEY)
    assert (wall(us.start), us.date_order) == ("2026-03-04 15:00", "MDY")
    assert (wall(au.start), au.date_order) == ("2026-04-03 15:00", "DMY")
    assert us.guess == '"3/4" read month first: Wednesday 4 March 2026'
    assert parse_booking("25/3 3pm", NOW, SYDNEY).date_order is None  # only one way round


# --- phrases for days and lengths ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("first monday of january 9am", "2027-01-04 09:00", None),
        ("second tuesday in april 10am", "2026-04-14 10:00", None),
        ("last friday of the month 4pm", "2026-03-27 16:00", None),
        ("first monday of next month 9am", "2026-04-06 09:00", None),
        ("the 3rd of next month at 3pm", "2026-04-03 15:00", None),
        ("the 20th of the month at 3pm", "2026-03-20 15:00", None),
        ("in a fortnight at 3pm", "2026-03-17 15:00", None),
        ("a fortnight from today at 3pm", "2026-03-17 15:00", None),
        ("this time tomorrow", "2026-03-04 09:00", None),
        ("same time next week", "2026-03-10 09:00", None),
        ("this time tomorrow for 45 min", "2026-03-04 09:00", "2026-03-04 09:45"),
        ("tomorrow 3pm for an hour and a half", "2026-03-04 15:00", "2026-03-04 16:30"),
        ("tomorrow 3pm 1 hr 15 min", "2026-03-04 15:00", "2026-03-04 16:15"),
        ("tomorrow 9am-5pm", "2026-03-04 09:00", "2026-03-04 17:00"),
    ],
)
def test_day_and_length_phrases(text: str, start: str, end: str | None) -> None:
    booking = parse_booking(text, NOW, SYDNEY)
    assert booking.ok, booking.error
    assert (wall(booking.start), wall(booking.end)) == (start, end)
