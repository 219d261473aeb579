"""Section 8: the morning-list pass, which every worker runs once a minute in its loop.

A store on a SQLite file holds N sessions starting within the day, each with two people on
Slack (Sydney), whose lists for the day were already sent: the steady state from 8:00 on,
when the pass finds nothing to do and must cost little, since it runs between jobs. Reference
in the same run: the one query that reads the same rows (the pass's floor); also shown, the
share of the worker's minute the pass takes.

    python -m bench mornings
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import ms, ratio, section, table
from bot.jobs.reminders import MORNING_EVERY, MorningLists
from bot.storage import ParticipantRecord, SessionRecord, Store
from bot.storage.store import to_text

NOW = datetime(2030, 3, 18, 22, 0, tzinfo=UTC)  # 9:00 in Sydney
SIZES = (100, 1000)
REPEATS = 5


def _store(path: Path, sessions: int) -> Store:
    store = Store.open(str(path))
    start = NOW + timedelta(hours=3)
    for i in range(sessions):
        session = SessionRecord(
            f"S{i}", "T1", "Clinic", start, start + timedelta(minutes=30), f"U{i}", 10, "booked"
        )
        people = [
            ParticipantRecord(
                f"P{i}{r}", f"S{i}", "T1", f"{r}{i}", r, role, "https://x", None, "active"
            )
            for r, role in (("U", "HOST"), ("V", "GUEST"))
        ]
        store.add_session(session, people, NOW - timedelta(days=1))
        for person in people:
            user = person.slack_user or ""
            store.cache_user("T1", user, tz="Australia/Sydney", name=user, fetched_at=NOW)
            store.db.query(
                "insert into morning_lists (team_id, user_id, day, status)"
                " values ('T1', ?, '2030-03-19', 'sent') returning day",
                [user],
            )
    return store


def _timed(run: object, repeats: int = REPEATS) -> float:
    best = float("inf")
    for _ in range(repeats):
        began = time.perf_counter()
        run()  # type: ignore[operator]
        best = min(best, time.perf_counter() - began)
    return best


def run() -> str:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for size in SIZES:
            store = _store(Path(folder) / f"m{size}.db", size)
            mornings = MorningLists(store, None)  # type: ignore[arg-type]  # sends nothing

            def one_pass(mornings: MorningLists = mornings) -> None:
                mornings._looked = None  # as a minute later
                assert mornings.send_due(NOW) == 0

            floor = _timed(
                lambda store=store: store.db.query(
                    "select * from participants p join sessions s on s.session_id = p.session_id"
                    " where s.end_at > ? and s.start_at < ?",
                    [to_text(NOW - timedelta(hours=1)), to_text(NOW + timedelta(hours=27))],
                )
            )
            took = _timed(one_pass)
            share = took / MORNING_EVERY.total_seconds()
            rows.append(
                [
                    f"{2 * size:,} people, {size:,} sessions",
                    ms(took * 1000),
                    ms(floor * 1000),
                    ratio(took, floor),
                    f"{share:.2%}",
                ]
            )
            store.close()
    body = table(["", "pass (best of 5)", "reading the rows", "ratio", "of each minute"], rows)
    return section(
        "8. Morning lists",
        __doc__.split("\n\n")[1] if __doc__ else "",
        body,
    )


if __name__ == "__main__":
    print(run())
