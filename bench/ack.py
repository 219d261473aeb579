"""Section 1: how fast Slack gets its answer to a signed `/coviu book ...`.

Servers, each under uvicorn in its own process exactly as `coviu-slack serve` runs it,
driven by `bench.load` (another process) over keep-alive connections, at 1 and 8 concurrent
connections:

- the floor: a bare ASGI handler that verifies the signature and answers;
- bare Bolt: a Bolt ``App`` at its defaults with a no-op ``ack()``, behind our adapter, and
  the same with ``process_before_response=True`` (the product's setting: the ack runs in the
  request's thread instead of Bolt polling every 10 ms for it from another);
- the product: ``python -m bot serve`` (the embedded Coviu API included), every request a real
  booking whose lazy work (Coviu session, DMs, the answer via response_url) runs in the same
  process while later requests arrive; and ``/coviu help``, which has no work behind its ack,
  to tell the ack's own cost from the cost of sharing the process with the bookings;
- ``coviu-slack serve --web-only``: verify, one insert (the job), answer; on SQLite, and on
  PostgreSQL when ``COVIU_TEST_DATABASE_URL`` names one. Its workers are elsewhere (none here:
  the jobs wait in the database).

Targets: median within 1.5× of the floor (the web process); p99 under 3 s.

The servers take turns: each run is cut into turns, every server answering its share of
the run in each (the order rotating from turn to turn), so the load the rest of the machine
puts on it falls on every server alike. Measured one after another, a server that happened
to run while something else on the machine was busy came out up to 2× slower than in the
next run. After each turn of ``coviu-slack serve`` its bookings' lazy work is waited for, so
it never runs during another server's turn. ``coviu-slack serve`` writes its access
line once the answer is sent; uvicorn (the floor, bare Bolt) writes it before.

Next to the times, the CPU the server process spent per request (all its threads, warm-up
requests included, from ``/proc/<pid>/task/*/schedstat``): what the answer costs, which the
rest of the machine changes far less than it changes the times. For ``coviu-slack serve``
that includes the lazy work done during its turn; for PostgreSQL, not the database server's.

    python -m bench ack
"""

from __future__ import annotations

import os
import tempfile
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

from bench.common import (
    BOT_TOKEN,
    LOOPBACK,
    SIGNING_SECRET,
    Figures,
    cpu_seconds,
    free_port,
    load,
    ms,
    python,
    ratio,
    section,
    spawned,
    table,
)
from bench.slack import BOOK_TEXT, command_request, dm_count, fake_slack, wait_for_dms

RUNS = {1: (300, 6.0), 8: (800, 8.0)}  # connections: (most answers, most seconds)
SLICES = 5  # turns per run: each server answers a fifth of the run at a time
WARMUP = 20  # per run; a slice warms up its fresh connections with its share
DRAIN_TIMEOUT = 120.0
POSTGRES = os.environ.get("COVIU_TEST_DATABASE_URL")
SERVERS = ("floor", "bolt", "bolt-inline", "app", "web", *(("web-pg",) if POSTGRES else ()))
ROWS = (*SERVERS[:4], "app-help", *SERVERS[4:])


def run() -> str:
    results: dict[tuple[str, int], Figures] = {}
    drained: dict[int, float | None] = {}
    waits: dict[int, list[float | None]] = {conns: [] for conns in RUNS}
    with (
        tempfile.TemporaryDirectory(prefix="bench-ack-") as tmp,
        fake_slack() as slack,
        ExitStack() as servers,
    ):
        ports = {name: free_port() for name in SERVERS}
        app_env = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.api_url,
            "COVIU_SLACK_DB": str(Path(tmp) / "bot.db"),
        }
        commands = {
            "floor": python("bench.servers", "floor", "--port", str(ports["floor"]),
                            "--secret", SIGNING_SECRET),
            **{
                kind: python("bench.servers", kind, "--port", str(ports[kind]),
                             "--secret", SIGNING_SECRET, "--token", BOT_TOKEN,
                             "--slack-api", slack.api_url)
                for kind in ("bolt", "bolt-inline")
            },
            **{
                kind: python("bot", "serve", "--host", LOOPBACK, "--port", str(ports[kind]),
                             *(["--web-only"] if kind.startswith("web") else []))
                for kind in ("app", "web", "web-pg") if kind in SERVERS
            },
        }  # fmt: skip
        envs = {
            "app": app_env,
            "web": {**app_env, "COVIU_SLACK_DB": str(Path(tmp) / "web.db")},
            "web-pg": {
                **app_env,
                "DATABASE_URL": POSTGRES or "",
                # Its embedded Coviu API's own file (not the `app` server's).
                "COVIU_SLACK_DB": str(Path(tmp) / "web-pg.db"),
            },
        }
        url = {name: f"http://{LOOPBACK}:{port}" for name, port in ports.items()}
        pids = {}
        for name in SERVERS:
            ready = url[name] + ("/" if name == "floor" else "/healthz")
            pids[name] = servers.enter_context(
                spawned(commands[name], ready, env=envs.get(name), log=Path(tmp) / f"{name}.log")
            ).pid
        for conns, (count, seconds) in RUNS.items():
            runs = {name: Figures([], 0.0) for name in ROWS}
            warmup = max(2 * conns, WARMUP // SLICES)
            for turn in range(SLICES):
                for name in ROWS[turn % len(ROWS):] + ROWS[:turn % len(ROWS)]:
                    before = dm_count(slack)
                    text = "help" if name == "app-help" else BOOK_TEXT
                    share = count // SLICES
                    batch = [command_request(slack, text) for _ in range(share + warmup)]
                    server = name.removesuffix("-help")
                    used = cpu_seconds(pids[server])
                    figures = load(url[server] + "/slack/events", batch, concurrency=conns,
                                   count=share, seconds=seconds / SLICES,
                                   warmup=warmup)  # fmt: skip
                    used = cpu_seconds(pids[server]) - used
                    runs[name] = runs[name].plus(replace(figures, cpu=used))
                    if name == "app":
                        # Two DMs per booking (Alice and Bob): wait for the lazy work to end
                        # before the next turn, and note the longest the backlog took to clear.
                        expected = before + 2 * figures.sent
                        waits[conns].append(wait_for_dms(slack, expected, DRAIN_TIMEOUT))
            for name, figures in runs.items():
                results[(name, conns)] = figures
        for conns, waited in waits.items():
            drained[conns] = None if None in waited else max(waited)  # type: ignore[type-var]
    return report(results, drained)


def report(results: dict[tuple[str, int], Figures], drained: dict[int, float | None]) -> str:
    labels = {
        "floor": "floor: bare ASGI, verify signature, answer",
        "bolt": "bare Bolt App, no-op `ack()`, Bolt defaults",
        "bolt-inline": "the same, `process_before_response=True`",
        "app": "`coviu-slack serve`, `/coviu book …`",
        "app-help": "`coviu-slack serve`, `/coviu help` (no booking behind it)",
        "web": "`coviu-slack serve --web-only` (SQLite), `/coviu book …`",
        "web-pg": "`coviu-slack serve --web-only` (PostgreSQL), `/coviu book …`",
    }
    rows = []
    for conns in RUNS:
        floor = results[("floor", conns)]
        for name in ROWS:
            got = results[(name, conns)]
            rows.append([
                labels[name], str(conns), str(got.n), ms(got.median_ms), ms(got.p99_ms),
                f"{got.rate:.0f}", ratio(got.median_ms, floor.median_ms),
                ratio(got.p99_ms, floor.p99_ms), f"{got.cpu_per_request_us:.0f} µs",
                ratio(got.cpu_per_request_us, floor.cpu_per_request_us), str(got.errors),
            ])  # fmt: skip
    body = table(
        ["server", "conns", "answers", "median", "p99", "req/s", "median ÷ floor",
         "p99 ÷ floor", "server CPU / request", "CPU ÷ floor", "errors"],
        rows,
    )  # fmt: skip
    notes = []
    for conns, waited in drained.items():
        if waited is None:
            notes.append(f"- {conns} conn: the bookings' lazy work had not finished "
                         f"{DRAIN_TIMEOUT:.0f} s after the last ack.")  # fmt: skip
        else:
            notes.append(f"- {conns} conn: each turn's bookings' lazy work (session, 2 DMs, "
                         f"answer) ended at most {waited:.1f} s after its last ack.")  # fmt: skip
    app1, floor1 = results[("app", 1)], results[("floor", 1)]
    app8 = results[("app", 8)]
    inline1, inline8 = results[("bolt-inline", 1)], results[("bolt-inline", 8)]
    floor8 = results[("floor", 8)]
    web = "; ".join(
        f"`{name}` {results[(name, 1)].median_ms / floor1.median_ms:.2f}× at 1 conn, "
        f"{results[(name, 8)].median_ms / floor8.median_ms:.2f}× at 8"
        for name in SERVERS
        if name.startswith("web")
    )
    verdict = (
        f"Web process (target: median ≤ 1.5× floor): {web}. "
        f"`coviu-slack serve` (web and worker in one process): "
        f"{app1.median_ms / floor1.median_ms:.2f}× at 1 conn, "
        f"{app8.median_ms / floor8.median_ms:.2f}× at 8; p99 < 3 s — "
        f"{ms(max(app1.p99_ms, app8.p99_ms))} worst. Against bare Bolt inline instead of the "
        f"floor: {app1.median_ms / inline1.median_ms:.2f}× at 1 conn, "
        f"{app8.median_ms / inline8.median_ms:.2f}× at 8 (`/coviu help`: "
        f"{results[('app-help', 1)].median_ms / inline1.median_ms:.2f}×, "
        f"{results[('app-help', 8)].median_ms / inline8.median_ms:.2f}×)."
    )
    intro = (__doc__ or "").split("\n\n", 1)[1].rsplit("\n\n", 1)[0] + (
        f"\n\nEach run: up to the answer count or the time limit "
        f"({', '.join(f'{c} conn: {n} / {s:.0f} s' for c, (n, s) in RUNS.items())}), in "
        f"{SLICES} turns, each turn's fresh connections warmed up first."
    )
    return section("1. Slack acknowledgement", intro,
                   body + "\n\n" + "\n".join(notes) + "\n\n" + verdict)  # fmt: skip


if __name__ == "__main__":
    print(run())
