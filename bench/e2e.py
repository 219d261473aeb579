"""Section 2: one booking end to end, for 1, 10 and 50 guests (plus the booker, who hosts).

From the signed `/coviu book ... tomorrow 3pm` leaving the Slack stand-in to the session
created at Coviu, every invitation DM and the command's answer handed to the stand-in, and
then the scheduler's reminder pass handing over every reminder DM. The whole bot runs in this
process as in the tests (`bench.wiring`): Slack, Coviu and the app each on a loopback HTTP
server, the bot's Coviu client on keep-alive connections.

- Latency: bookings one after another (median, p99).
- Throughput: 8 people booking at once (8 threads sending commands), until every booking and
  its reminders are done.
- Calls: Web API and Coviu requests per booking, by method, for the first booking with these
  people (nothing cached yet) and for later ones, next to the least that is needed.

    python -m bench e2e
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from bench.common import Figures, ms, percentile, section, table
from bench.slack import BOOKER, guests
from bench.wiring import BenchBot
from bot.slackfake import DEMO_USERS

SIZES = {1: (40, 120), 10: (20, 48), 50: (10, 16)}  # guests: (one by one, all at once)
CONCURRENCY = 8
# "tomorrow 3pm" for Alice (Sydney) is 04:00 UTC on the 19th; reminders fall due 10 min before.
REMIND_AT = datetime(2030, 3, 19, 3, 55, tzinfo=UTC)
SLACK_METHODS = ("users.info", "chat.postMessage")
COVIU_ROUTES = ("POST /v1/auth/token", "POST /v1/sessions")


def text_for(count: int) -> str:
    people = " ".join(f"@{user.name}" for user in guests(count))
    return f'book "Team review" with {people} tomorrow 3pm'


def least(count: int, cold: bool) -> dict[str, int]:
    """The fewest calls one booking for `count` guests needs (booker included: count + 1).

    Cold: each person's name and zone once (users.info), a token once. Always: one
    invitation and one reminder DM each (by user id: no conversations.open), one create. The
    command's answer goes to its response_url, which is not a Web API call.
    """
    people = count + 1
    return {
        "users.info": people if cold else 0,
        "chat.postMessage": 2 * people,
        "POST /v1/auth/token": 1 if cold else 0,
        "POST /v1/sessions": 1,
    }


def book_once(bot: BenchBot, text: str, people: int) -> float:
    began = time.perf_counter()
    answer = bot.slack.slash_command(BOOKER, "/coviu", text)
    bot.idle()
    sent = bot.send_reminders(REMIND_AT)
    took = time.perf_counter() - began
    if answer.status != 200 or sent != people:
        raise RuntimeError(f"booking went wrong: HTTP {answer.status}, {sent} reminders sent")
    return took


def calls(bot: BenchBot) -> Counter[str]:
    return bot.slack_calls() + bot.coviu_calls


def run() -> str:
    latency: dict[int, Figures] = {}
    throughput: dict[int, float] = {}
    per_booking: dict[tuple[int, bool], Counter[str]] = {}
    users = [*DEMO_USERS, *guests(max(SIZES))]
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as tmp:
        for count, (one_by_one, at_once) in SIZES.items():
            place = Path(tmp) / f"g{count}"
            place.mkdir()
            with BenchBot(place, users) as bot:
                text = text_for(count)
                before = calls(bot)
                book_once(bot, text, count + 1)  # the first: nothing known yet
                after = calls(bot)
                per_booking[(count, True)] = after - before
                samples = [book_once(bot, text, count + 1) for _ in range(one_by_one)]
                later = calls(bot) - after
                per_booking[(count, False)] = Counter(
                    {k: round(v / one_by_one) for k, v in later.items()}
                )
                latency[count] = Figures(samples, sum(samples))
                throughput[count] = concurrent(bot, text, count + 1, at_once)
    return report(latency, throughput, per_booking)


def concurrent(bot: BenchBot, text: str, people: int, bookings: int) -> float:
    """Bookings per second with CONCURRENCY people booking at once, reminders included."""
    share = [bookings // CONCURRENCY + (i < bookings % CONCURRENCY) for i in range(CONCURRENCY)]
    failures: list[int] = []

    def person(n: int) -> None:
        for _ in range(n):
            if bot.slack.slash_command(BOOKER, "/coviu", text).status != 200:
                failures.append(1)

    began = time.perf_counter()
    threads = [threading.Thread(target=person, args=(n,)) for n in share]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    bot.idle()
    sent = bot.send_reminders(REMIND_AT)
    took = time.perf_counter() - began
    if failures or sent != bookings * people:
        raise RuntimeError(f"{len(failures)} commands failed; {sent} reminders sent")
    return bookings / took


def report(
    latency: dict[int, Figures],
    throughput: dict[int, float],
    per_booking: dict[tuple[int, bool], Counter[str]],
) -> str:
    rows = []
    for count, figures in latency.items():
        per_person = statistics.median(figures.latencies) / (count + 1) * 1000
        rows.append([
            f"{count} + booker", str(figures.n), ms(figures.median_ms),
            ms(percentile(figures.latencies, 0.99) * 1000), f"{1000 / figures.median_ms:.1f}",
            f"{throughput[count]:.1f}", ms(per_person),
        ])  # fmt: skip
    timing = table(
        ["guests", "bookings", "median", "p99", "bookings/s one by one",
         f"bookings/s, {CONCURRENCY} at once", "median per person"],
        rows,
    )  # fmt: skip
    call_rows = []
    for (count, cold), got in per_booking.items():
        need = least(count, cold)
        cells = []
        for key in (*SLACK_METHODS, *COVIU_ROUTES):
            cells.append(f"{got.get(key, 0)} / {need[key]}")
        other = {k: v for k, v in got.items() if k not in need}
        call_rows.append([
            f"{count} + booker", "first" if cold else "later", *cells,
            ", ".join(f"{k} {v}" for k, v in sorted(other.items())) or "–",
        ])  # fmt: skip
    counts = table(
        ["guests", "booking", *SLACK_METHODS, *COVIU_ROUTES, "other calls"], call_rows,
        align="ll" + "r" * (len(SLACK_METHODS) + len(COVIU_ROUTES)) + "l",
    )  # fmt: skip
    intro = (__doc__ or "").split("\n\n", 1)[1].rsplit("\n\n", 1)[0]
    return section(
        "2. Booking end to end",
        intro,
        f"{timing}\n\nCalls per booking, made / least needed (later bookings: the mean per "
        f"booking over the one-by-one run):\n\n{counts}",
    )


if __name__ == "__main__":
    print(run())
