"""The bot's own records, in SQLite through sqlite-utils.

One file holds the sessions the bot booked, who is in them (Slack team + user ↔ Coviu
participant id), the reminders still to send, cached Slack user facts, and the ids of Slack
requests already handled. The schema and its migrations live here and nowhere else::

    >>> store = Store.open(":memory:")
    >>> store.schema_version() == len(MIGRATIONS)
    True

Every method is one transaction under one lock: Bolt runs listeners on a thread pool and the
reminder scheduler has a thread of its own, and SQLite wants one writer at a time anyway.
Instants are stored as ISO-8601 UTC text, which sorts in time order.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils


def to_text(moment: datetime) -> str:
    """An aware datetime as sortable UTC text: ``2026-03-20T04:00:00+00:00``."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def from_text(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _v1(db: sqlite_utils.Database) -> None:
    db["sessions"].create(
        {
            "session_id": str,
            "team_id": str,
            "title": str,
            "start_at": str,
            "end_at": str,
            "booked_by": str,
            "reminder_minutes": int,
            "status": str,  # booked | cancelled
            "created_at": str,
            "cancelled_at": str,
        },
        pk="session_id",
        not_null={"team_id", "title", "start_at", "end_at", "booked_by", "status"},
    )
    db["sessions"].create_index(["team_id", "status", "start_at"])
    db["participants"].create(
        {
            "participant_id": str,
            "session_id": str,
            "team_id": str,
            "slack_user": str,  # null for an external guest, who has no Slack account
            "display_name": str,
            "role": str,  # HOST | GUEST
            "entry_url": str,
            "added_by": str,
            "status": str,  # active | removed
        },
        pk="participant_id",
        foreign_keys=[("session_id", "sessions", "session_id")],
        not_null={"session_id", "team_id", "display_name", "role", "entry_url", "status"},
    )
    db["participants"].create_index(["session_id"])
    db["participants"].create_index(["team_id", "slack_user", "status"])
    db["reminders"].create(
        {
            "participant_id": str,
            "session_id": str,
            "due_at": str,
            "status": str,  # pending | sending | sent | cancelled | missed
            "sent_at": str,
        },
        pk="participant_id",
        foreign_keys=[("participant_id", "participants", "participant_id")],
        not_null={"session_id", "due_at", "status"},
    )
    db["reminders"].create_index(["status", "due_at"])
    db["handled_requests"].create(
        {"request_key": str, "status": str, "outcome": str, "created_at": str},
        pk="request_key",
    )
    db["slack_users"].create(
        {
            "team_id": str,
            "user_id": str,
            "name": str,
            "tz": str,
            "dm_channel": str,
            "fetched_at": str,
        },
        pk=("team_id", "user_id"),
    )


def _v2(db: sqlite_utils.Database) -> None:
    # Handled request ids older than a day are pruned on every claim; keep that a range read.
    db["handled_requests"].create_index(["created_at"])


# Append only: each function takes the schema from version N to N+1.
MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_v1, _v2]


@dataclass(frozen=True)
class SessionRecord:
    session_id: str
    team_id: str
    title: str
    start: datetime
    end: datetime
    booked_by: str
    reminder_minutes: int
    status: str

    @property
    def cancelled(self) -> bool:
        return self.status == "cancelled"


@dataclass(frozen=True)
class ParticipantRecord:
    participant_id: str
    session_id: str
    team_id: str
    slack_user: str | None
    display_name: str
    role: str
    entry_url: str
    added_by: str | None
    status: str

    @property
    def is_host(self) -> bool:
        return self.role == "HOST"

    @property
    def active(self) -> bool:
        return self.status == "active"

    def __repr__(self) -> str:  # the entry URL is a secret: keep it out of logs and tracebacks
        return (
            f"ParticipantRecord({self.participant_id!r}, {self.slack_user or self.display_name!r},"
            f" {self.role}, {self.status})"
        )


@dataclass(frozen=True)
class DueReminder:
    participant: ParticipantRecord
    session: SessionRecord


@dataclass(frozen=True)
class CachedUser:
    name: str | None
    tz: str | None
    dm_channel: str | None
    fetched_at: datetime | None


def _session(row: dict[str, Any]) -> SessionRecord:
    return SessionRecord(
        session_id=row["session_id"],
        team_id=row["team_id"],
        title=row["title"],
        start=from_text(row["start_at"]),
        end=from_text(row["end_at"]),
        booked_by=row["booked_by"],
        reminder_minutes=row["reminder_minutes"],
        status=row["status"],
    )


def _participant(row: dict[str, Any]) -> ParticipantRecord:
    return ParticipantRecord(**{name: row[name] for name in ParticipantRecord.__dataclass_fields__})


class Store:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self._lock = threading.RLock()

    @classmethod
    def open(cls, path: str | Path) -> Store:
        """Open (creating and migrating) the store at `path`; ":memory:" for a throwaway one."""
        connection = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        db = sqlite_utils.Database(connection)
        if str(path) != ":memory:":
            db.enable_wal()
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("PRAGMA busy_timeout = 5000")
        store = cls(db)
        store._migrate()
        return store

    def close(self) -> None:
        with self._lock:
            self.db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite_utils.Database]:
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def _rows(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        with self._lock:
            cursor = self.db.execute(sql, params)
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    # -- schema -------------------------------------------------------------------------------

    def schema_version(self) -> int:
        with self._lock:
            return self.db.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        with self._transaction() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            for number, migration in enumerate(MIGRATIONS[version:], start=version + 1):
                migration(db)
                db.execute(f"PRAGMA user_version = {number}")

    # -- requests Slack may repeat ------------------------------------------------------------

    def claim_request(self, key: str, now: datetime) -> dict[str, Any] | None:
        """Claim a request for handling. Returns None if this call won the claim, else the record
        of the earlier claim (``{"status": "working" | "done" | "failed", "outcome": ...}``).

        A request whose earlier handling failed may be claimed again, so a retry can succeed.
        Records older than a day are dropped: Slack retries within minutes.
        """
        with self._transaction() as db:
            db.execute(
                "delete from handled_requests where created_at < ?",
                [to_text(now - timedelta(days=1))],
            )
            rows = list(db["handled_requests"].rows_where("request_key = ?", [key]))
            if rows and rows[0]["status"] != "failed":
                row = rows[0]
                return {"status": row["status"], "outcome": json.loads(row["outcome"] or "null")}
            db["handled_requests"].upsert(
                {
                    "request_key": key,
                    "status": "working",
                    "outcome": None,
                    "created_at": to_text(now),
                },
                pk="request_key",
            )
            return None

    def finish_request(self, key: str, status: str, outcome: Any = None) -> None:
        with self._transaction() as db:
            db["handled_requests"].update(key, {"status": status, "outcome": json.dumps(outcome)})

    # -- sessions and participants ------------------------------------------------------------

    def add_session(
        self, session: SessionRecord, participants: list[ParticipantRecord], now: datetime
    ) -> None:
        """Record a booked session and its participants, with one pending reminder each."""
        with self._transaction() as db:
            db["sessions"].insert(
                {
                    "session_id": session.session_id,
                    "team_id": session.team_id,
                    "title": session.title,
                    "start_at": to_text(session.start),
                    "end_at": to_text(session.end),
                    "booked_by": session.booked_by,
                    "reminder_minutes": session.reminder_minutes,
                    "status": session.status,
                    "created_at": to_text(now),
                }
            )
            for participant in participants:
                self._insert_participant(db, participant, session)

    def _insert_participant(
        self, db: sqlite_utils.Database, participant: ParticipantRecord, session: SessionRecord
    ) -> None:
        db["participants"].insert(
            {name: getattr(participant, name) for name in ParticipantRecord.__dataclass_fields__}
        )
        if participant.slack_user:
            db["reminders"].upsert(
                {
                    "participant_id": participant.participant_id,
                    "session_id": session.session_id,
                    "due_at": to_text(session.start - timedelta(minutes=session.reminder_minutes)),
                    "status": "pending",
                    "sent_at": None,
                },
                pk="participant_id",
            )

    def add_participant(self, participant: ParticipantRecord) -> None:
        session = self.session(participant.session_id)
        if session is None:
            raise KeyError(participant.session_id)
        with self._transaction() as db:
            self._insert_participant(db, participant, session)

    def session(self, session_id: str) -> SessionRecord | None:
        rows = self._rows("select * from sessions where session_id = ?", [session_id])
        return _session(rows[0]) if rows else None

    def participants(
        self, session_id: str, *, include_removed: bool = False
    ) -> list[ParticipantRecord]:
        sql = "select * from participants where session_id = ?"
        if not include_removed:
            sql += " and status = 'active'"
        return [_participant(row) for row in self._rows(sql + " order by rowid", [session_id])]

    def upcoming_for(
        self, team_id: str, slack_user: str, now: datetime, *, hosting: bool = False
    ) -> list[SessionRecord]:
        """Booked sessions not yet ended in which this person takes part, soonest first.

        With ``hosting=True``: only those they host that have not started, i.e. the ones they
        may still move or cancel.
        """
        hosted = "and p.role = 'HOST' and s.start_at > ?" if hosting else ""
        rows = self._rows(
            f"""
            select s.* from sessions s
            join participants p on p.session_id = s.session_id
            where p.team_id = ? and p.slack_user = ? and p.status = 'active'
              and s.status = 'booked' and s.end_at > ? {hosted}
            group by s.session_id
            order by s.start_at, s.session_id
            """,
            [team_id, slack_user, to_text(now)] + ([to_text(now)] if hosting else []),
        )
        return [_session(row) for row in rows]

    def cancel_session(self, session_id: str, now: datetime) -> None:
        with self._transaction() as db:
            db["sessions"].update(session_id, {"status": "cancelled", "cancelled_at": to_text(now)})
            db.execute(
                "update reminders set status = 'cancelled' "
                "where session_id = ? and status = 'pending'",
                [session_id],
            )

    def move_session(self, session_id: str, start: datetime, end: datetime) -> None:
        """Move a session; its active participants' reminders fall due again at the new time."""
        with self._transaction() as db:
            db["sessions"].update(session_id, {"start_at": to_text(start), "end_at": to_text(end)})
            minutes = db["sessions"].get(session_id)["reminder_minutes"]
            db.execute(
                """
                update reminders set due_at = ?, status = 'pending', sent_at = null
                where session_id = ? and participant_id in
                  (select participant_id from participants where status = 'active')
                """,
                [to_text(start - timedelta(minutes=minutes)), session_id],
            )

    def remove_participant(self, participant_id: str) -> None:
        with self._transaction() as db:
            db["participants"].update(participant_id, {"status": "removed"})
            db.execute(
                "update reminders set status = 'cancelled' where participant_id = ? "
                "and status = 'pending'",
                [participant_id],
            )

    # -- reminders ----------------------------------------------------------------------------

    def next_reminder_due(self) -> datetime | None:
        rows = self._rows("select min(due_at) as due from reminders where status = 'pending'")
        return from_text(rows[0]["due"]) if rows and rows[0]["due"] else None

    def claim_due_reminders(self, now: datetime) -> list[DueReminder]:
        """Take every pending reminder due by `now` for sending: marked "sending" in the same
        transaction, so two schedulers (or a restart racing a running one) never both send it.

        Reminders whose session has already ended are marked "missed" instead.
        """
        with self._transaction() as db:
            rows = list(
                db.query(
                    """
                    select r.participant_id from reminders r
                    where r.status = 'pending' and r.due_at <= ?
                    order by r.due_at
                    """,
                    [to_text(now)],
                )
            )
            due: list[DueReminder] = []
            for row in rows:
                participant = _participant(db["participants"].get(row["participant_id"]))
                session = _session(db["sessions"].get(participant.session_id))
                still_useful = session.status == "booked" and participant.active
                status = "sending" if still_useful and session.end > now else "missed"
                db["reminders"].update(participant.participant_id, {"status": status})
                if status == "sending":
                    due.append(DueReminder(participant, session))
            return due

    def finish_reminder(self, participant_id: str, sent: bool, now: datetime) -> None:
        """After a send attempt: "sent", or back to "pending" so the next pass retries it."""
        with self._transaction() as db:
            if sent:
                db["reminders"].update(participant_id, {"status": "sent", "sent_at": to_text(now)})
            else:
                db["reminders"].update(participant_id, {"status": "pending"})

    # -- Slack user facts ---------------------------------------------------------------------

    def cached_user(self, team_id: str, user_id: str) -> CachedUser | None:
        rows = self._rows(
            "select * from slack_users where team_id = ? and user_id = ?", [team_id, user_id]
        )
        if not rows:
            return None
        row = rows[0]
        fetched = from_text(row["fetched_at"]) if row["fetched_at"] else None
        return CachedUser(row["name"], row["tz"], row["dm_channel"], fetched)

    def cache_user(self, team_id: str, user_id: str, **facts: Any) -> None:
        """Remember facts about a user (``name``, ``tz``, ``dm_channel``, ``fetched_at``)."""
        if "fetched_at" in facts and isinstance(facts["fetched_at"], datetime):
            facts["fetched_at"] = to_text(facts["fetched_at"])
        with self._transaction() as db:
            db["slack_users"].upsert(
                {"team_id": team_id, "user_id": user_id, **facts}, pk=("team_id", "user_id")
            )
