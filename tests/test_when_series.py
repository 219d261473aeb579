"""Series and reminders in booking text: `repeat` and `reminders` in the result.

Said on Tuesday 3 March 2026 at 09:00 in Sydney (AEDT, UTC+11) unless a test says otherwise.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.when import parse_booking

SYDNEY = "Australia/Sydney"
NOW = datetime(2026, 3, 3, 9, 0, tzinfo=ZoneInfo(SYDNEY))


def series(text: str, now: datetime = NOW) -> tuple[str | None, dict[str, object] | None]:
    got = parse_booking(text, now, SYDNEY).as_dict()
    assert got["error"] is None, got["error"]
    return got["start"], got["repeat"]  # type: ignore[return-value]


def weekly(days: list[str], time: str, zone: str = SYDNEY, **kw: object) -> dict[str, object]:
    return {"freq": "weekly", "interval": 1, "days": days, "count": None, "until": None,
            "time": time, "zone": zone, **kw}  # fmt: skip


@pytest.mark.parametrize(
    ("text", "start", "repeat"),
    [
        ("every tuesday 3pm for 6 weeks", "2026-03-03T15:00:00+11:00",
         weekly(["TU"], "15:00", count=6)),
        ("tomorrow 3pm weekly until 20 March", "2026-03-04T15:00:00+11:00",
         weekly(["WE"], "15:00", until="2026-03-20")),
        ("every weekday 9am for 2 weeks", "2026-03-03T09:00:00+11:00",
         weekly(["MO", "TU", "WE", "TH", "FR"], "09:00", count=10)),
        ("every monday and thursday 10am for 4 weeks", "2026-03-05T10:00:00+11:00",
         weekly(["MO", "TH"], "10:00", count=8)),
        ("every tuesday 3pm 5 times", "2026-03-03T15:00:00+11:00",
         weekly(["TU"], "15:00", count=5)),
        ("every other tuesday 3pm for 6 weeks", "2026-03-03T15:00:00+11:00",
         weekly(["TU"], "15:00", count=3, interval=2)),
        ("fortnightly friday 11am until 1 may", "2026-03-06T11:00:00+11:00",
         weekly(["FR"], "11:00", interval=2, until="2026-05-01")),
        ("every tuesday 3pm", "2026-03-03T15:00:00+11:00", weekly(["TU"], "15:00")),
        ("every tuesday 3pm London for 6 weeks", "2026-03-04T02:00:00+11:00",
         weekly(["TU"], "15:00", "Europe/London", count=6)),
    ],
)  # fmt: skip
def test_weekly_series(text: str, start: str, repeat: dict[str, object]) -> None:
    assert series(text) == (start, repeat)


def test_a_daily_series() -> None:
    assert series("daily 8am for 5 days") == (
        "2026-03-04T08:00:00+11:00",
        {"freq": "daily", "interval": 1, "days": [], "count": 5, "until": None,
         "time": "08:00", "zone": SYDNEY},
    )  # fmt: skip


def test_a_series_keeps_its_wall_clock_across_a_dst_change() -> None:
    # Sydney leaves DST on 5 April: the series is "15:00 Sydney", not an offset.
    start, repeat = series(
        "every sunday 3pm for 6 weeks", datetime(2026, 3, 23, 9, tzinfo=ZoneInfo(SYDNEY))
    )
    assert start == "2026-03-29T15:00:00+11:00"
    assert repeat is not None and (repeat["time"], repeat["zone"]) == ("15:00", SYDNEY)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tomorrow 3pm for 6 weeks", '"for 6 weeks" needs to say how often. Try "every tuesday '
                                     '3pm for 6 weeks".'),
        ("every tuesday friday 3pm", "The first session (Friday 6 March) isn't on Tuesdays. "
                                     'Give one day, e.g. "every tuesday 3pm for 6 weeks".'),
        ("every tuesday 3pm for 60 weeks", '"for 60 weeks" is too long or too short for a '
                                           'series: up to a year. Try "every tuesday 3pm for 6 '
                                           'weeks".'),
        ("tomorrow 3pm weekly until 1 march 2026", '"until 1 march 2026" is before the first '
                                                   "session (Wednesday 4 March). Try a later "
                                                   'date, e.g. "weekly until 20 December".'),
    ],
)  # fmt: skip
def test_series_refusals(text: str, message: str) -> None:
    booking = parse_booking(text, NOW, SYDNEY)
    assert (booking.start, booking.error) == (None, message)


# --- reminders ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reminders"),
    [
        ("tomorrow 3pm remind 1 day and 10 min before", [1440, 10]),
        ("tomorrow 3pm, remind me 1 hr 15 min before", [75]),
        ("tomorrow 3pm reminders 1 week, 1 day and an hour before", [10080, 1440, 60]),
        ("tomorrow 3pm remind everyone 30 minutes ahead", [30]),
        ("tomorrow 3pm remind at the start", [0]),
        ("tomorrow 3pm no reminder", []),
        ("tomorrow 3pm, don't remind me", []),
        ("tomorrow 3pm", None),
    ],
)
def test_reminders(text: str, reminders: list[int] | None) -> None:
    got = parse_booking(text, NOW, SYDNEY).as_dict()
    assert got["error"] is None, got["error"]
    assert got["reminders"] == reminders
    assert got["start"] == "2026-03-04T15:00:00+11:00"  # "10 min" is not the length
    assert got["end"] is None and got["title"] is None


def test_reminders_survive_a_refusal_of_the_time() -> None:
    booking = parse_booking("tomorrow remind 10 min before", NOW, SYDNEY)
    assert booking.error and booking.reminders == (10,)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tomorrow 3pm remind 5 weeks before", '"remind 5 weeks before" is further ahead than '
                                               'reminders go (four weeks). Try "remind 1 day and '
                                               '10 min before".'),
        ("tomorrow 3pm no reminder, remind 10 min before", "The text asks for no reminder and "
                                                           'for a reminder. Give one, e.g. '
                                                           '"remind 10 min before" or "no '
                                                           'reminder".'),
    ],
)  # fmt: skip
def test_reminder_refusals(text: str, message: str) -> None:
    assert parse_booking(text, NOW, SYDNEY).error == message
