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
