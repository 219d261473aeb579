"""`coviu-slack parse`: booking text in, one JSON object out (the contract in the README)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def coviu_slack(*args: str, stdin: str | None = None) -> list[dict[str, object]]:
    done = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=REPO,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def test_parse_prints_one_json_object() -> None:
    out = coviu_slack(
        "parse", "--now", "2026-03-03T09:00", "--tz", "Australia/Sydney",
        '"Physio review" with <@U0ALICE> tomorrow 3pm for 45 min',
    )  # fmt: skip
    assert out == [
        {
            "start": "2026-03-04T15:00:00+11:00",
            "end": "2026-03-04T15:45:00+11:00",
            "title": "Physio review",
            "guests": ["U0ALICE"],
            "hosts": [],
            "error": None,
            "zone": "Australia/Sydney",
            "guess": None,
            "repeat": None,
            "reminders": None,
        }
    ]


def test_parse_jsonl_answers_each_line() -> None:
    lines = [
        # `now` as a wall clock in `tz`...
        {"text": "3-4pm host <@U0BOB>", "now": "2026-03-07T12:00", "tz": "America/New_York"},
        # ...or as an instant with its own offset.
        {"text": "tomorrow", "now": "2026-03-02T22:00:00+00:00", "tz": "Australia/Sydney"},
    ]
    out = coviu_slack("parse", "--jsonl", stdin="\n".join(json.dumps(x) for x in lines) + "\n")
    assert out == [
        {
            "start": "2026-03-07T15:00:00-05:00",
            "end": "2026-03-07T16:00:00-05:00",
            "title": None,
            "guests": [],
            "hosts": ["U0BOB"],
            "error": None,
            "zone": "America/New_York",
            "guess": None,
            "repeat": None,
            "reminders": None,
        },
        {
            "start": None,
            "end": None,
            "title": None,
            "guests": [],
            "hosts": [],
            "error": 'I couldn\'t find a time of day in "tomorrow". Try "tomorrow 3pm".',
            "zone": None,
            "guess": None,
            "repeat": None,
            "reminders": None,
        },
    ]


def test_parse_reports_zone_guess_repeat_and_reminders() -> None:
    out = coviu_slack(
        "parse", "--now", "2026-03-04T22:00", "--tz", "Australia/Sydney",
        "every friday 3pm London for 6 weeks, remind 1 day and 10 min before",
    )  # fmt: skip
    assert out == [
        {
            "start": "2026-03-07T02:00:00+11:00",
            "end": None,
            "title": None,
            "guests": [],
            "hosts": [],
            "error": None,
            "zone": "Europe/London",
            "guess": "3pm Friday in London is 2am Saturday your time",
            "repeat": {
                "freq": "weekly",
                "interval": 1,
                "days": ["FR"],
                "count": 6,
                "until": None,
                "time": "15:00",
                "zone": "Europe/London",
            },
            "reminders": [1440, 10],
        }
    ]


def test_parse_jsonl_answers_bad_lines_and_goes_on() -> None:
    good = {"text": "tomorrow 3pm", "now": "2026-03-03T09:00", "tz": "Australia/Sydney"}
    lines = [
        b"not json",
        b"[1, 2]",
        b'"just a string"',
        b'{"text": 5}',
        b'{"text": "3pm", "now": "yesterday-ish"}',
        b'{"text": "3pm", "tz": "Mars/Olympus_Mons"}',
        b'{"text": "3pm", "tz": "../../etc/passwd"}',
        b"\xff\xfe not utf-8",
        b"[" * 100_000,  # deeper than the JSON decoder will go
        json.dumps(good).encode(),
    ]
    done = subprocess.run(
        [sys.executable, "-m", "bot", "parse", "--jsonl"],
        cwd=REPO,
        input=b"\n".join(lines) + b"\n",
        capture_output=True,
        timeout=60,
        check=True,
    )
    out = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert [list(answer) for answer in out[:-1]] == [["error"]] * (len(lines) - 1)
    assert out[4] == {"error": '"now" isn\'t an ISO-8601 time: "yesterday-ish".'}
    assert out[5] == {
        "error": 'Unknown time zone "Mars/Olympus_Mons": use an IANA name such as '
        '"Australia/Sydney".'
    }
    assert out[-1]["start"] == "2026-03-04T15:00:00+11:00"


def test_parse_refuses_a_bad_zone_in_json_not_a_traceback() -> None:
    out = coviu_slack("parse", "--tz", "Nowhere/Town", "tomorrow 3pm")
    assert out == [
        {"error": 'Unknown time zone "Nowhere/Town": use an IANA name such as "Australia/Sydney".'}
    ]
