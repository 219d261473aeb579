"""The Duckling meeting-time corpus: 213 phrases, at least 98% of starts and ends right.

Each line of `duckling_en_time.jsonl` (next to this repository, in `../shared/data`) has the
phrase, the reference time `ref` it was said at, and Duckling's expected `start` and `end`
(`end` null for a single time). Duckling's reference zone is UTC-2 all year, which is IANA
`Etc/GMT+2` (the POSIX sign is inverted). Run with `-s` to see the score and the misses.

A handful of misses are expected where the issue's rules decide differently from Duckling:
bare hours are working hours ("tomorrow at 150ish" is 13:50, not 01:50) and "this afternoon at
12" is noon, not midnight.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import pytest

from bot.when import parse_booking

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "data" / "duckling_en_time.jsonl"
ZONE = "Etc/GMT+2"
PASS_MARK = 0.98


def _cases() -> list[dict[str, str | None]]:
    if not CORPUS.exists():
        # CI lays shared/ beside the clone; there a missing corpus is a failure, not a skip.
        if os.environ.get("CI"):
            pytest.fail(f"Duckling corpus not found at {CORPUS}")
        pytest.skip(f"Duckling corpus not found at {CORPUS}")
    return [json.loads(line) for line in CORPUS.read_text().splitlines() if line.strip()]


def test_duckling_corpus_scores_at_least_98_percent() -> None:
    cases = _cases()
    misses: list[str] = []
    for case in cases:
        text = str(case["text"])
        got = parse_booking(text, datetime.fromisoformat(str(case["ref"])), ZONE).as_dict()
        if (got["start"], got["end"]) != (case["start"], case["end"]):
            misses.append(
                f"  {text!r}: want {case['start']} – {case['end']}, "
                f"got {got['start']} – {got['end']}"
                + (f" ({got['error']})" if got["error"] else "")
            )
    score = 1 - len(misses) / len(cases)
    print(f"\nDuckling corpus: {len(cases) - len(misses)}/{len(cases)} right ({score:.1%})")
    if misses:
        print("Misses:\n" + "\n".join(misses))
    assert score >= PASS_MARK, f"{score:.1%} is below {PASS_MARK:.0%}:\n" + "\n".join(misses)
