"""The crash test: web and worker processes killed with SIGKILL during bursts of work.

Each cycle sends 20 simultaneous signed `/coviu book …` commands (three people each, starting
in 3 minutes with reminders 3 minutes ahead, so reminders fall due at once), plus `/coviu add
@dave …` changes to the last cycle's sessions, to the web processes; 50–600 ms later every
app process is killed with SIGKILL and started again on the same database. After the last
cycle the processes run until nothing is left to do, and the books are checked against what
Slack was told was accepted (an HTTP 200 answer), against Coviu, and against every DM Slack
received:

- acked / booked / lost: accepted bookings, and those booked nowhere;
- orphaned: sessions at Coviu the app has no record of;
- stuck: jobs, DMs or reminders never finished;
- invitations and reminders per person: 0 / 1 / 2+ (exactly one each is right).

    python -m bench.crash                    # SQLite (1 web + 1 worker) and, with
                                             # COVIU_TEST_DATABASE_URL, PostgreSQL (2 + 2)
    python -m bench.crash --cycles 3 --burst 10 --database sqlite
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from bench.common import BOT_TOKEN, LOOPBACK, SIGNING_SECRET, free_port, python, wait_http
from bench.slack import command_request, fake_slack
from bot.coviu.client import CoviuClient
from bot.slackfake import FakeSlack
from bot.storage import Store

KEY, SECRET = "crash-key", "crash-secret"
PEOPLE = ("U0ALICE", "U0BOB", "U0CAROL", "U0DAVE")
# Long enough for the last burst's "Starting now" DMs, which fall due at its sessions' start,
# 3 minutes after they were booked (the drain ends as soon as nothing is left, usually sooner).
QUIET_TIMEOUT = 300.0


@dataclass
class Processes:
    """The app's processes for one database; killed and restarted as a whole."""

    env: dict[str, str]
    webs: int
    workers: int
    logs: Path
    running: list[subprocess.Popen[bytes]] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)

    def start(self) -> None:
        self.urls = []
        for index in range(self.webs):
            port = free_port()
            command = python(
                "bot", "serve", "--web-only", "--host", LOOPBACK, "--port", str(port)
            )
            self._spawn(command, f"web{index}")
            self.urls.append(f"http://{LOOPBACK}:{port}")
        for index in range(self.workers):
            self._spawn(python("bot", "worker"), f"worker{index}")
        for url in self.urls:
            wait_http(url + "/healthz", timeout=60)

    def _spawn(self, command: list[str], name: str) -> None:
        log = (self.logs / f"{name}.log").open("ab")
        # The processes' configuration is `env`, not whatever this shell had set.
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "COVIU_"))}
        env = {**clean, **self.env}
        self.running.append(subprocess.Popen(command, env=env, stdout=log, stderr=log))

    def kill(self) -> None:
        for process in self.running:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGKILL)
        for process in self.running:
            process.wait()
        self.running = []

    def stop(self) -> None:
        for process in self.running:
            process.terminate()
        for process in self.running:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        self.running = []


def _send(url: str, request: dict[str, Any]) -> bool:
    """True when Slack would have been told the command was accepted."""
    try:
        answer = requests.post(
            url + "/slack/events", data=request["body"], headers=request["headers"], timeout=10
        )
    except requests.RequestException:
        return False
    return answer.status_code == 200


def _quiet(store: Store, slack: FakeSlack, timeout: float) -> bool:
    """Until nothing is left to do: no job, DM or reminder waiting or in hand (and the number
    of DMs Slack has stopped changing)."""
    deadline = time.monotonic() + timeout
    last = -1
    while time.monotonic() < deadline:
        jobs = store.job_counts()
        busy = jobs.get("queued", 0) + jobs.get("running", 0)
        reminders = store.reminder_counts()
        busy += reminders.get("sending", 0)
        busy += store.db.query(
            "select count(*) as n from reminders where status = 'pending' and due_at <= ?",
            [datetime.now(UTC).isoformat(timespec="seconds")],
        )[0]["n"]
        busy += store.db.query(
            "select count(*) as n from messages where status in ('pending', 'sending')"
        )[0]["n"]
        posted = len(slack.calls_to("chat.postMessage"))
        if busy == 0 and posted == last:
            return True
        last = posted
        time.sleep(0.5)
    return False


def run(database: str, cycles: int, burst: int, webs: int, workers: int, seed: int) -> dict:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="bench-crash-") as tmp, fake_slack() as slack:
        tmp_path = Path(tmp)
        coviu_port = free_port()
        coviu_command = python(
            "bot", "coviu-server", "--host", LOOPBACK, "--port", str(coviu_port),
            "--db", str(tmp_path / "coviu.db"), "--client", f"{KEY}:{SECRET}:clinic",
        )  # fmt: skip
        coviu_log = (tmp_path / "coviu.log").open("ab")
        coviu = subprocess.Popen(coviu_command, stdout=coviu_log, stderr=coviu_log)
        coviu_url = f"http://{LOOPBACK}:{coviu_port}"
        try:
            wait_http(coviu_url + "/openapi.json", timeout=60, process=coviu)
            env = {
                "SLACK_BOT_TOKEN": BOT_TOKEN,
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": slack.api_url,
                "COVIU_API_URL": coviu_url + "/v1",
                "COVIU_API_KEY": KEY,
                "COVIU_API_SECRET": SECRET,
                "COVIU_REMINDER_MINUTES": "3",
            }
            if database.startswith("postgresql://"):
                env["DATABASE_URL"] = database
            else:
                env["COVIU_SLACK_DB"] = str(tmp_path / "bot.db")
                database = env["COVIU_SLACK_DB"]
            processes = Processes(env, webs, workers, tmp_path)
            return _cycles(processes, slack, database, coviu_url, cycles, burst, rng)
        finally:
            coviu.terminate()
            coviu.wait()


def _cycles(
    processes: Processes,
    slack: FakeSlack,
    database: str,
    coviu_url: str,
    cycles: int,
    burst: int,
    rng: random.Random,
) -> dict:
    acked: list[str] = []
    adds: list[str] = []
    processes.start()
    store = Store.open(database)
    try:
        with ThreadPoolExecutor(max_workers=burst + 10) as pool:
            for cycle in range(cycles):
                titles = [f"Crash {cycle}-{i}" for i in range(burst)]
                work = [
                    (t, f'book "{t}" with @bob @carol in 3 minutes for 15 min') for t in titles
                ]
                # Changes: Dave joins half of the last cycle's accepted bookings.
                earlier = [t for t in acked if t.startswith(f"Crash {cycle - 1}-")]
                work += [("add:" + t, f'add @dave "{t}"') for t in earlier[: burst // 2]]
                requests_ = [
                    (label, rng.choice(processes.urls), command_request(slack, text))
                    for label, text in work
                ]
                futures = [
                    (label, pool.submit(_send, url, request))
                    for label, url, request in requests_
                ]
                time.sleep(rng.uniform(0.05, 0.6))
                processes.kill()
                for label, future in futures:
                    if future.result():
                        (adds if label.startswith("add:") else acked).append(
                            label.removeprefix("add:")
                        )
                processes.start()
        quiet = _quiet(store, slack, QUIET_TIMEOUT)
        return _count(store, slack, coviu_url, acked, adds, quiet)
    finally:
        processes.stop()
        store.close()


def _count(
    store: Store, slack: FakeSlack, coviu_url: str, acked: list[str], adds: list[str],
    quiet: bool,
) -> dict:  # fmt: skip
    rows = store.db.query("select session_id, title from sessions")
    recorded = {row["title"]: row["session_id"] for row in rows}
    with CoviuClient(KEY, SECRET, coviu_url + "/v1") as coviu:
        at_coviu = {s.session_id: s for s in coviu.iter_sessions(include_canceled=False)}
    known = set(recorded.values())
    orphaned = [sid for sid in at_coviu if sid not in known]
    booked_titles = {s.session_name for s in at_coviu.values()}
    lost = [t for t in acked if t not in recorded and t not in booked_titles]
    jobs = store.job_counts()
    reminders = store.reminder_counts()
    pending_messages = store.db.query(
        "select count(*) as n from messages where status in ('pending', 'sending')"
    )[0]["n"]
    stuck = (
        jobs.get("queued", 0)
        + jobs.get("running", 0)
        + reminders.get("sending", 0)
        + pending_messages
    )
    dm_texts: dict[str, list[str]] = {u: [m.text for m in slack.dms(u)] for u in PEOPLE}
    invitations: Counter[str] = Counter()
    reminded: Counter[str] = Counter()
    for title, session_id in recorded.items():
        for person in store.participants(session_id):
            texts = dm_texts.get(person.slack_user or "", [])
            invited = sum(t.startswith(f"You're invited to “{title}”") for t in texts)
            reminders_got = sum(t.startswith(f"Reminder: “{title}”") for t in texts)
            invitations[_bucket(invited)] += 1
            reminded[_bucket(reminders_got)] += 1
    return {
        "acked": len(acked),
        "booked": sum(t in recorded for t in acked),
        "lost": len(lost),
        "orphaned": len(orphaned),
        "stuck": stuck,
        "changes acked": len(adds),
        "invitations 0/1/2+": _buckets(invitations),
        "reminders 0/1/2+": _buckets(reminded),
        "finished": quiet,
        "failed jobs": jobs.get("failed", 0),
    }


def _bucket(count: int) -> str:
    return "2+" if count >= 2 else str(count)


def _buckets(counter: Counter[str]) -> str:
    return "/".join(str(counter.get(key, 0)) for key in ("0", "1", "2+"))


def line(name: str, result: dict) -> str:
    return f"{name}: " + ", ".join(f"{key} {value}" for key, value in result.items())


def databases(choice: str) -> Iterator[tuple[str, str, int, int]]:
    if choice in ("sqlite", "both"):
        yield "SQLite, 1 web + 1 worker", "sqlite", 1, 1
    url = os.environ.get("COVIU_TEST_DATABASE_URL")
    if choice in ("postgresql", "both") and url:
        yield "PostgreSQL, 2 web + 2 workers", url, 2, 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.crash", description=__doc__)
    parser.add_argument("--cycles", type=int, default=10)
    parser.add_argument("--burst", type=int, default=20)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    for name, database, webs, workers in databases(args.database):
        if database != "sqlite":
            _empty(database)
        result = run(database, args.cycles, args.burst, webs, workers, args.seed)
        print(line(name, result), flush=True)
    return 0


def _empty(url: str) -> None:
    """A clean slate on the PostgreSQL database the bench is pointed at: every table gone."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("drop schema public cascade")
        connection.execute("create schema public")


if __name__ == "__main__":
    sys.exit(main())
