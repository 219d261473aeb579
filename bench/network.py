"""Section 7: over a real network. Slack answers every Web API call (and every response_url
post) 100 ms late, Coviu every request 150 ms late: the whole app as `coviu-slack serve` runs
it (web side and worker in one process), against the stand-ins with that latency.

- Bookings with 1, 10 and 50 guests: the first with these people (nothing cached: every name
  and zone looked up, a Coviu token fetched) and a later one, from the signed command leaving
  Slack to the last invitation DM and the booker's answer. Next to each, the critical path
  those latencies allow: first, a round of look-ups beside the token (150 ms), the create
  (150), a round of DMs (100) and the answer (100); later, no look-ups and no token.
- 50 reminders due at once (one session of 50 people): from the reminder pass starting at
  their due time to the last reminder DM.
- A 200-guest booking against Slack's rate-limit tiers enforced by the stand-in: how long it
  took, and how many 429s Slack sent (the booker sees none: each call waits its turn).

    python -m bench network
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.common import ms, section, table
from bench.e2e import REMIND_AT, text_for
from bench.slack import BOOKER, guests
from bench.wiring import BenchBot
from bot.slackfake import DEMO_USERS

SLACK, COVIU = 0.100, 0.150
SIZES = (1, 10, 50)
TIERED_GUESTS = 200
REMINDED = 50


def critical_path(cold: bool) -> float:
    look_ups = max(SLACK, COVIU) if cold else 0.0
    return look_ups + COVIU + SLACK + SLACK


def book(bot: BenchBot, text: str) -> float:
    began = time.perf_counter()
    answer = bot.slack.slash_command(BOOKER, "/coviu", text)
    bot.idle()
    took = time.perf_counter() - began
    if answer.status != 200:
        raise RuntimeError(f"booking refused: HTTP {answer.status}")
    return took


def run() -> str:
    users = [*DEMO_USERS, *guests(TIERED_GUESTS)]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-network-") as tmp:
        for count in SIZES:
            place = Path(tmp) / f"g{count}"
            place.mkdir()
            with BenchBot(place, users, slack_latency=SLACK, coviu_latency=COVIU) as bot:
                text = text_for(count)
                first = book(bot, text)
                later = book(bot, text)
                rows.append([f"{count} + booker", ms(first * 1000),
                             ms(critical_path(True) * 1000), f"{first / critical_path(True):.2f}×",
                             ms(later * 1000), ms(critical_path(False) * 1000),
                             f"{later / critical_path(False):.2f}×"])  # fmt: skip
        # 50 reminders due together: one session of 50 people (the booker and 49 guests).
        place = Path(tmp) / "reminders"
        place.mkdir()
        with BenchBot(place, users, slack_latency=SLACK, coviu_latency=COVIU) as bot:
            book(bot, text_for(REMINDED - 1))
            began = time.perf_counter()
            sent = bot.send_reminders(REMIND_AT)
            took = time.perf_counter() - began
            reminders = (
                f"{sent} reminders due together (one session of {REMINDED} people): all sent "
                f"{ms(took * 1000)} after their due time (one round of DMs: "
                f"{ms(SLACK * 1000)}; target ≤ 500 ms)."
            )
        place = Path(tmp) / "tiers"
        place.mkdir()
        with BenchBot(place, users, slack_latency=SLACK, coviu_latency=COVIU,
                      rate_limits=True) as bot:  # fmt: skip
            took = book(bot, text_for(TIERED_GUESTS))
            limited = len(bot.slack.rate_limited_calls())
            answered = bot.slack.ephemerals(BOOKER)
            told = answered[-1].text_content() if answered else ""
    timing = table(
        ["guests", "first booking", "critical path", "÷ path", "later booking",
         "critical path", "÷ path"],
        rows,
    )  # fmt: skip
    tiers = (
        f"A {TIERED_GUESTS}-guest booking with Slack's tiers enforced: finished in "
        f"{took:.1f} s (Tier 4 `users.info` allows 100 a minute: the other {TIERED_GUESTS - 99} "
        f"look-ups wait their turn); Slack answered {limited} calls with 429; the booker's "
        f"answer: “{told[:80]}…”."
    )
    intro = (__doc__ or "").split("\n\n", 1)[1].rsplit("\n\n", 1)[0]
    return section("7. Over a real network", intro, f"{timing}\n\n{reminders}\n\n{tiers}")


if __name__ == "__main__":
    print(run())
