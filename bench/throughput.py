"""Worker throughput on PostgreSQL: bookings per second with 1, 2 and 4 worker processes.

For each worker count, on an empty database: one `coviu-slack serve --web-only` process, the
workers (`coviu-slack worker`, already idle), the local Coviu API in a process of its own and
the Slack stand-in in this one. 120 signed `/coviu book …` commands (two people each, 60
people in all: within Slack's per-minute limits, which the app paces itself to) are sent at
once; the clock runs from the first request to the last invitation DM. Everything on loopback
and on this machine's cores: the stand-ins, PostgreSQL and the app's processes share them.

    COVIU_TEST_DATABASE_URL=postgresql://… python -m bench throughput
"""

from __future__ import annotations

import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import requests

from bench.common import (
    BOT_TOKEN,
    LOOPBACK,
    SIGNING_SECRET,
    free_port,
    python,
    section,
    spawned,
    table,
)
from bench.crash import KEY, SECRET, _empty
from bench.slack import command_request, dm_count, fake_slack, guests, wait_for_dms
from bot.slackfake import DEMO_USERS

# Within what Slack allows one workspace (about 300 DMs and 100 look-ups a minute), which the
# app paces itself to: more would measure Slack's limits, not the app.
BOOKINGS = 120
WORKERS = (1, 2, 4)
PAIRS = 30
PEOPLE = guests(2 * PAIRS)


def _one(url: str, workers: int) -> float:
    """Seconds from the first request to the last invitation, for `BOOKINGS` bookings."""
    _empty(url)
    with (
        tempfile.TemporaryDirectory(prefix="bench-throughput-") as tmp,
        fake_slack([*DEMO_USERS, *PEOPLE]) as slack,
        ExitStack() as running,
    ):
        coviu_port, web_port = free_port(), free_port()
        coviu_url = f"http://{LOOPBACK}:{coviu_port}"
        running.enter_context(spawned(
            python("bot", "coviu-server", "--host", LOOPBACK, "--port", str(coviu_port),
                   "--db", str(Path(tmp) / "coviu.db"), "--client", f"{KEY}:{SECRET}:clinic"),
            coviu_url + "/openapi.json", log=Path(tmp) / "coviu.log",
        ))  # fmt: skip
        env = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.api_url,
            "COVIU_API_URL": coviu_url + "/v1",
            "COVIU_API_KEY": KEY,
            "COVIU_API_SECRET": SECRET,
            "DATABASE_URL": url,
        }
        web = f"http://{LOOPBACK}:{web_port}"
        running.enter_context(spawned(
            python("bot", "serve", "--web-only", "--host", LOOPBACK, "--port", str(web_port)),
            web + "/healthz", env=env, log=Path(tmp) / "web.log",
        ))  # fmt: skip
        for index in range(workers):
            # A worker has no HTTP side: ready once the web side is (same database).
            running.enter_context(
                spawned(python("bot", "worker"), web + "/healthz", env=env,
                        log=Path(tmp) / f"worker{index}.log")
            )  # fmt: skip
        # 30 pairs of people, each booked 4 times: within Slack's pace per DM channel (a burst
        # of 5), which the app keeps to; one person booked 120 times would measure Slack.
        batch = [
            command_request(
                slack,
                f'book "Review {n}" with @{PEOPLE[2 * (n % PAIRS) + 1].name} tomorrow 3pm',
                user_id=PEOPLE[2 * (n % PAIRS)].id,
            )
            for n in range(BOOKINGS)
        ]
        before = dm_count(slack)
        began = time.monotonic()
        with ThreadPoolExecutor(max_workers=16) as pool:
            list(pool.map(lambda r: requests.post(web + "/slack/events", data=r["body"],
                                                  headers=r["headers"], timeout=30), batch))
        waited = wait_for_dms(slack, before + 2 * BOOKINGS, timeout=300)
        if waited is None:
            raise TimeoutError("the workers did not finish the bookings")
        return time.monotonic() - began


def run() -> str:
    url = os.environ.get("COVIU_TEST_DATABASE_URL")
    intro = (__doc__ or "").split("\n\n", 1)[1].rsplit("\n\n", 1)[0]
    if not url:
        return section("6. Worker throughput", intro, "Not run: no COVIU_TEST_DATABASE_URL.")
    took = {count: _one(url, count) for count in WORKERS}
    rows = [
        [str(count), f"{took[count]:.2f} s", f"{BOOKINGS / took[count]:.0f}",
         f"{took[1] / took[count]:.2f}×"]
        for count in WORKERS
    ]  # fmt: skip
    body = table(["workers", f"{BOOKINGS} bookings", "bookings/s", "speed-up"], rows)
    return section("6. Worker throughput (PostgreSQL)", intro, body)


if __name__ == "__main__":
    print(run())
