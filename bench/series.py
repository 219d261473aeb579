"""Booking a series end to end, next to booking one session, in the same run.

From the signed `/coviu book ...` leaving the Slack stand-in until the app's work is done
(every session created at Coviu, every invitation DM and the answer handed over), for one
session, a six-week series (six sessions created) and a twelve-week one (eight created: the
rest wait for the window). The whole bot runs in this process, as in `bench.e2e`.

    python -m bench.series
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from bench.common import ms, table
from bench.slack import BOOKER, guests
from bench.wiring import BenchBot
from bot.slackfake import DEMO_USERS

ROUNDS = 15
TEXTS = {
    "one session": "tomorrow 3pm",
    "6 weeks (6 created)": "every tuesday 3pm for 6 weeks",
    "12 weeks (8 created)": "every tuesday 3pm for 12 weeks",
}


def run() -> str:
    guest = guests(1)[0]
    rows = []
    with tempfile.TemporaryDirectory() as directory:
        users = [*DEMO_USERS, *guests(1)]
        with BenchBot(Path(directory), users) as bot:
            bot.slack.slash_command(BOOKER, "/coviu", f"book warm-up with @{guest.name} tomorrow")
            bot.idle()
            reference = None
            for label, when in TEXTS.items():
                text = f'book "Review" with @{guest.name} {when}'
                creates_before = bot.coviu_calls["POST /v1/sessions"]
                took = []
                for _ in range(ROUNDS):
                    began = time.perf_counter()
                    answer = bot.slack.slash_command(BOOKER, "/coviu", text)
                    bot.idle()
                    took.append(time.perf_counter() - began)
                    if answer.status != 200:
                        raise RuntimeError(f"HTTP {answer.status}")
                creates = (bot.coviu_calls["POST /v1/sessions"] - creates_before) / ROUNDS
                median = statistics.median(took)
                reference = reference or median
                rows.append(
                    [label, ms(median * 1000), f"{median / reference:.2f}×", f"{creates:g}"]
                )
    return table(["booking", "median", "vs one session", "Coviu creates"], rows)


if __name__ == "__main__":
    print(run())
