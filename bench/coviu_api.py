"""Section 4: the local Coviu Session API — creating sessions, and listing as the table grows.

`coviu-slack coviu-server` runs in its own process under uvicorn as shipped; next to it, in
the same run, a FastAPI hello-world (``GET /hello``) under the same server is the reference.
`bench.load` (another process) drives both over keep-alive connections.

- Creates: ``POST /v1/sessions`` with two participants each, as the bot books.
- Listing: ``GET /v1/sessions`` with 1,000, 10,000 and 100,000 sessions stored (rows past the
  created ones are written straight into the server's SQLite file through its store module,
  as HTTP would take minutes): the first page, the same page filtered to start at the middle of
  the stored range (``start_time``), and a page in the middle by number (``page=``, i.e.
  OFFSET). A page should cost the same however many sessions are stored.
- Keep-alive on `bot.httpserve.ServerThread` (the tests', the shell's and Socket Mode's
  embedded servers): the hello-world on a keep-alive connection, which Nagle's algorithm once
  held up by a delayed ACK (~40 ms) per answer.

    python -m bench coviu
"""

from __future__ import annotations

import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

from bench.common import (
    COVIU_KEY,
    COVIU_SECRET,
    LOOPBACK,
    Figures,
    free_port,
    load,
    ms,
    python,
    ratio,
    section,
    spawned,
    table,
)
from bench.servers import hello_app
from bot.coviu.dates import to_rfc1123
from bot.coviu.server.store import Store, db_time
from bot.httpserve import ServerThread

TEAM = "bench"
CONNS = 4
CREATES = (1500, 6.0)  # most answers, most seconds
LIST_RUN = (60, 4.0)
SIZES = (1_000, 10_000, 100_000)
PAGE_SIZE = 50


def create_bodies(count: int, first: datetime) -> list[dict[str, object]]:
    bodies = []
    for i in range(count):
        start = first + timedelta(minutes=i)
        body = {
            "session_name": f"Bench session {i}",
            "start_time": to_rfc1123(start),
            "end_time": to_rfc1123(start + timedelta(minutes=30)),
            "participants": [
                {"display_name": "Alice", "role": "host", "state": '{"user":"U0ALICE"}'},
                {"display_name": "Bob", "role": "guest", "state": '{"user":"U0BOB"}'},
            ],
        }
        bodies.append(body)
    return bodies


def seed(db_path: Path, up_to: int, first: datetime) -> int:
    """Write sessions (two participants each) straight into the file until `up_to` are
    stored; returns how many there are."""
    store = Store(db_path)
    try:
        client = store.query_one("SELECT id, team_id FROM clients WHERE api_key = ?", [COVIU_KEY])
        assert client is not None
        have = int(store.query_one("SELECT COUNT(*) AS n FROM sessions")["n"])  # type: ignore[index]
        now = db_time(datetime.now(UTC))
        sessions, participants = [], []
        for i in range(have, up_to):
            session_id = str(uuid.uuid4())
            start = first + timedelta(minutes=i)
            sessions.append(
                (
                    session_id,
                    client["team_id"],
                    client["id"],
                    f"Seeded {i}",
                    db_time(start),
                    db_time(start + timedelta(minutes=30)),
                    now,
                )
            )
            for name, role in (("Alice", "HOST"), ("Bob", "GUEST")):
                participants.append((str(uuid.uuid4()), session_id, client["id"], name, role,
                                     f'{{"user":"{name}"}}', now))  # fmt: skip
        with store.transaction() as db:
            db.conn.executemany(
                "INSERT INTO sessions (id, team_id, client_id, session_name, start_time, "
                "end_time, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                sessions,
            )
            db.conn.executemany(
                "INSERT INTO participants (id, session_id, client_id, display_name, role, "
                "state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                participants,
            )
        return max(have, up_to)
    finally:
        store.close()


def run() -> str:
    import json

    first = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    with tempfile.TemporaryDirectory(prefix="bench-coviu-") as tmp:
        db = Path(tmp) / "coviu.db"
        ports = {"coviu": free_port(), "hello": free_port()}
        url = {name: f"http://{LOOPBACK}:{port}" for name, port in ports.items()}
        coviu_cmd = python("bot", "coviu-server", "--host", LOOPBACK, "--port",
                           str(ports["coviu"]), "--db", str(db),
                           "--client", f"{COVIU_KEY}:{COVIU_SECRET}:{TEAM}")  # fmt: skip
        hello_cmd = python("bench.servers", "hello", "--port", str(ports["hello"]))
        with (
            spawned(coviu_cmd, url["coviu"] + "/healthz", log=Path(tmp) / "coviu.log"),
            spawned(hello_cmd, url["hello"] + "/hello", log=Path(tmp) / "hello.log"),
        ):
            token = requests.post(
                url["coviu"] + "/v1/auth/token", auth=(COVIU_KEY, COVIU_SECRET),
                data={"grant_type": "client_credentials"}, timeout=10,
            ).json()["access_token"]  # fmt: skip
            auth = {"Authorization": f"Bearer {token}"}
            count, seconds = CREATES
            creates = [
                {"headers": {**auth, "Content-Type": "application/json"},
                 "body": json.dumps(body)}
                for body in create_bodies(count + 20, first)
            ]  # fmt: skip
            hello = load(url["hello"] + "/hello", [{"headers": {}, "body": None}],
                         concurrency=CONNS, count=count, seconds=seconds, method="GET")  # fmt: skip
            created = load(url["coviu"] + "/v1/sessions", creates, concurrency=CONNS,
                           count=count, seconds=seconds)  # fmt: skip
            lists: dict[int, dict[str, Figures]] = {}
            for size in SIZES:
                stored = seed(db, size, first)
                middle = first + timedelta(minutes=stored // 2)
                queries = {
                    "first page": f"page_size={PAGE_SIZE}",
                    "from the middle (start_time)": f"page_size={PAGE_SIZE}&start_time="
                    + requests.utils.quote(to_rfc1123(middle)),
                    "middle page (page=)": f"page_size={PAGE_SIZE}&page={stored // 2 // PAGE_SIZE}",
                }
                lists[size] = {
                    label: load(url["coviu"] + "/v1/sessions?" + query,
                                [{"headers": auth, "body": None}], concurrency=1,
                                count=LIST_RUN[0], seconds=LIST_RUN[1], warmup=5, method="GET")
                    for label, query in queries.items()
                }  # fmt: skip
            hello_1 = load(url["hello"] + "/hello", [{"headers": {}, "body": None}],
                           concurrency=1, count=LIST_RUN[0], seconds=LIST_RUN[1], warmup=5,
                           method="GET")  # fmt: skip
        with ServerThread(hello_app()) as threaded:
            thread_hello = load(threaded.url + "/hello", [{"headers": {}, "body": None}],
                                concurrency=1, count=LIST_RUN[0], seconds=LIST_RUN[1],
                                warmup=5, method="GET")  # fmt: skip
    return report(hello, created, hello_1, lists, thread_hello)


def report(
    hello: Figures,
    created: Figures,
    hello_1: Figures,
    lists: dict[int, dict[str, Figures]],
    thread_hello: Figures,
) -> str:
    rate_rows = [
        ["FastAPI hello-world, `GET /hello`", str(hello.n), ms(hello.median_ms),
         ms(hello.p99_ms), f"{hello.rate:.0f}", "1.00×"],
        ["`POST /v1/sessions`, 2 participants", str(created.n), ms(created.median_ms),
         ms(created.p99_ms), f"{created.rate:.0f}", ratio(created.rate, hello.rate)],
    ]  # fmt: skip
    rates = table(["request", "answers", "median", "p99", "per second", "rate ÷ hello"],
                  rate_rows)  # fmt: skip
    list_rows = [["FastAPI hello-world, `GET /hello`", "–", ms(hello_1.median_ms),
                  ms(hello_1.p99_ms), "1.00×"]]  # fmt: skip
    smallest = min(lists)
    for size, by_query in lists.items():
        for label, got in by_query.items():
            base = lists[smallest][label]
            list_rows.append([
                f"`GET /v1/sessions`, {label}", f"{size:,}", ms(got.median_ms),
                ms(got.p99_ms),
                f"{got.median_ms / hello_1.median_ms:.2f}× "
                f"({got.median_ms / base.median_ms:.2f}× at {smallest:,})",
            ])  # fmt: skip
    listing = table(
        ["request (1 conn)", "sessions stored", "median", "p99",
         "median ÷ hello (÷ same page, fewest stored)"],
        list_rows,
    )  # fmt: skip
    keep_alive = (
        f"Hello-world under `bot.httpserve.ServerThread`, one keep-alive connection: median "
        f"{ms(thread_hello.median_ms)}, p99 {ms(thread_hello.p99_ms)} (no access log, unlike "
        "the `uvicorn.run` servers above; Nagle's algorithm waiting on a delayed ACK would "
        "show as ~40 ms)."
    )
    intro = (__doc__ or "").split("\n\n", 1)[1].rsplit("\n\n", 1)[0]
    body = (
        f"Creates and hello-world at {CONNS} connections:\n\n{rates}\n\n"
        f"Listing, {PAGE_SIZE} sessions a page:\n\n{listing}\n\n{keep_alive}"
    )
    return section("4. Local Coviu API", intro, body)


if __name__ == "__main__":
    print(run())
