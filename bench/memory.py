"""Section 5: memory of `coviu-slack serve` (embedded Coviu API included), idle and after
many bookings.

The server runs as shipped in its own process; RSS and peak RSS (``VmRSS``, ``VmHWM``) are
read from ``/proc``. Bookings are signed `/coviu book ...` commands sent in batches over 4
keep-alive connections; each batch's lazy work (session, two DMs, the answer) is waited for
before the next batch, so the process never holds more than one batch of queued work. Aim:
10,000 bookings; the run stops early at its time limit and says how many it made. Reference
in the same run: the bare ASGI floor server of section 1 (uvicorn alone), idle.

    python -m bench memory
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.common import (
    BOT_TOKEN,
    LOOPBACK,
    SIGNING_SECRET,
    free_port,
    load,
    python,
    rss_kib,
    section,
    spawned,
    table,
)
from bench.slack import BOOK_TEXT, command_request, dm_count, fake_slack, wait_for_dms

TARGET = 10_000
BATCH = 500
TIME_LIMIT = 150.0  # seconds of booking at most
SETTLE = 1.0


def mib(kib: int) -> str:
    return f"{kib / 1024:.1f} MiB"


def run() -> str:
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp, fake_slack() as slack:
        port, floor_port = free_port(), free_port()
        env = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.api_url,
            "COVIU_SLACK_DB": str(Path(tmp) / "bot.db"),
        }
        url = f"http://{LOOPBACK}:{port}"
        floor_cmd = python("bench.servers", "floor", "--port", str(floor_port),
                           "--secret", SIGNING_SECRET)  # fmt: skip
        with spawned(floor_cmd, f"http://{LOOPBACK}:{floor_port}/") as floor:
            time.sleep(SETTLE)
            floor_rss = rss_kib(floor.pid)
        serve = python("bot", "serve", "--host", LOOPBACK, "--port", str(port))
        with spawned(serve, url + "/healthz", env=env, log=Path(tmp) / "serve.log") as app:
            time.sleep(SETTLE)
            idle = rss_kib(app.pid)
            booked, began, marks = 0, time.monotonic(), []
            while booked < TARGET and time.monotonic() - began < TIME_LIMIT:
                size = min(BATCH, TARGET - booked)
                before = dm_count(slack)
                batch = [command_request(slack, BOOK_TEXT) for _ in range(size)]
                got = load(url + "/slack/events", batch, concurrency=4, count=size,
                           seconds=60, warmup=0)  # fmt: skip
                if wait_for_dms(slack, before + 2 * got.sent, 120) is None:
                    raise RuntimeError("a batch of bookings never finished")
                booked += got.sent - got.errors
                marks.append((booked, *rss_kib(app.pid)))
            took = time.monotonic() - began
    return report(floor_rss, idle, marks, took)


def report(
    floor: tuple[int, int], idle: tuple[int, int], marks: list[tuple[int, int, int]],
    took: float,
) -> str:  # fmt: skip
    rows = [
        ["floor server (uvicorn, bare ASGI), idle", "–", mib(floor[0]), mib(floor[1]), "–"],
        ["`coviu-slack serve`, idle", "0", mib(idle[0]), mib(idle[1]),
         f"{idle[1] / floor[1]:.2f}×"],
    ]  # fmt: skip
    shown = sorted({0, len(marks) // 4, len(marks) // 2, len(marks) - 1})
    for i in shown:
        booked, rss, peak = marks[i]
        rows.append([f"`coviu-slack serve`, after {booked:,} bookings", f"{booked:,}",
                     mib(rss), mib(peak), f"{peak / floor[1]:.2f}×"])  # fmt: skip
    body = table(["process", "bookings", "RSS", "peak RSS", "peak ÷ floor"], rows)
    booked = marks[-1][0] if marks else 0
    growth = (marks[-1][2] - idle[1]) / booked if booked else 0.0
    note = (
        f"{booked:,} bookings in {took:.0f} s ({booked / took:.0f}/s including the lazy work)"
        + ("" if booked >= TARGET else f"; the {TIME_LIMIT:.0f} s limit stopped it short of "
           f"{TARGET:,}")
        + f". Peak RSS grew {growth:.2f} KiB per booking over idle."
    )  # fmt: skip
    intro = (__doc__ or "").split("\n\n", 1)[1].rsplit("\n\n", 1)[0]
    return section("5. Memory", intro, f"{body}\n\n{note}")


if __name__ == "__main__":
    print(run())
