"""SQLite persistence of the local Coviu Session API, through sqlite-utils.

The whole schema lives in ``Store._create_schema``. One ``Store`` owns one connection to one
file; FastAPI runs sync endpoints in a thread pool, so every use of the connection goes through
a lock (``check_same_thread=False`` only turns off sqlite3's own guard)::

    store = Store(tmp_path / "coviu.db")
    with store.transaction() as db:
        db["teams"]...   # sqlite_utils.Database, inside BEGIN ... COMMIT
    rows = store.query("SELECT ...", [...])

Instants are stored as ISO-8601 UTC text with a fixed shape (``2016-06-08T04:07:11Z``), so text
order is time order and the indexes serve range filters and ``ORDER BY``.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

PAGE_SIZE_MAX = 200
# Bounds on the list's query parameters: past them the answer is a 400, so OFFSET always fits
# SQLite's 64-bit integers (page * page_size <= 10**12).
PAGE_MAX = 1_000_000
PAGE_SIZE_LIMIT = 1_000_000

Row = dict[str, Any]


def db_time(moment: datetime) -> str:
    """Aware datetime -> the stored text form (UTC, whole seconds)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    utc = moment.astimezone(UTC).replace(microsecond=0, tzinfo=None)
    # isoformat() zero-pads the year, so text order stays time order for every year.
    return utc.isoformat() + "Z"


def from_db_time(text: str) -> datetime:
    return datetime.fromisoformat(text.removesuffix("Z")).replace(tzinfo=UTC)


@dataclass(frozen=True)
class ListQuery:
    """The filters of ``GET /v1/sessions``, already validated."""

    team_id: str
    page: int = 0
    page_size: int = PAGE_SIZE_MAX
    start_time: datetime | None = None
    end_time: datetime | None = None
    reverse: bool = False
    include_canceled: bool = False
    deleted_participants: bool = False
    state: str | None = None


def list_sessions_sql(query: ListQuery) -> tuple[str, list[Any]]:
    """The SQL of one page of sessions (``page_size + 1`` rows, to learn ``more``).

    Kept separate so tests can ``EXPLAIN QUERY PLAN`` exactly what the endpoint runs. The
    ``canceled_time IS NULL`` term is spelled exactly as in the partial index, which is what lets
    SQLite pick that index for the default (cancelled excluded) listing.
    """
    where = ["team_id = ?"]
    params: list[Any] = [query.team_id]
    if not query.include_canceled:
        where.append("canceled_time IS NULL")
    if query.start_time is not None:
        where.append("start_time >= ?")
        params.append(db_time(query.start_time))
    if query.end_time is not None:
        where.append("end_time <= ?")
        params.append(db_time(query.end_time))
    if query.state is not None:
        live = "" if query.deleted_participants else " AND deleted_at IS NULL"
        where.append(f"id IN (SELECT session_id FROM participants WHERE state = ?{live})")
        params.append(query.state)
    direction = "DESC" if query.reverse else "ASC"
    sql = (
        f"SELECT * FROM sessions WHERE {' AND '.join(where)} "
        f"ORDER BY start_time {direction}, id {direction} LIMIT ? OFFSET ?"
    )
    params += [query.page_size + 1, query.page * query.page_size]
    return sql, params


class Store:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        # timeout: another process (or app instance) on the same file may hold the write lock.
        conn = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30)
        self.db = Database(conn)
        self._lock = threading.RLock()
        self._depth = 0  # nesting of transaction() blocks, under the lock
        self._after_commit: list[Callable[[], None]] = []
        with self._lock:
            self.db.enable_wal()
            self.db.execute("PRAGMA foreign_keys = ON")
            self._create_schema()

    def close(self) -> None:
        with self._lock:
            self.db.close()

    # -- schema ------------------------------------------------------------------------------------

    def _create_schema(self) -> None:
        db = self.db
        with db.atomic():
            db["clients"].create(
                {
                    "id": str,  # the public client_id (uuid4), stable across re-registration
                    "api_key": str,
                    "secret_hash": str,  # sha256 hex: secrets are never stored in clear
                    "team_id": str,
                    "created_at": str,
                    # Set when the server starts without this client: its tokens are gone and
                    # it gets no new ones until it is registered again.
                    "revoked_at": str,
                },
                pk="id",
                not_null={"api_key", "secret_hash", "team_id", "created_at"},
                if_not_exists=True,
            )
            if "revoked_at" not in db["clients"].columns_dict:  # a file from before revocation
                db["clients"].add_column("revoked_at", str)
            db["clients"].create_index(["api_key"], unique=True, if_not_exists=True)
            db["tokens"].create(
                {"token_hash": str, "kind": str, "client_id": str, "expires_at": str},
                pk="token_hash",
                not_null={"kind", "client_id", "expires_at"},
                foreign_keys=[("client_id", "clients", "id")],
                if_not_exists=True,
            )
            db["tokens"].create_index(["client_id", "expires_at"], if_not_exists=True)
            db["sessions"].create(
                {
                    "id": str,
                    "team_id": str,
                    "client_id": str,
                    "session_name": str,
                    "picture": str,
                    "start_time": str,
                    "end_time": str,
                    "canceled_time": str,
                    "created_at": str,
                },
                pk="id",
                not_null={"team_id", "client_id", "start_time", "end_time", "created_at"},
                if_not_exists=True,
            )
            # Listing walks one team's sessions in (start_time, id) order: with these indexes a
            # page reads page_size rows however many sessions are stored. The partial one serves
            # the default listing, which leaves cancelled sessions out.
            db["sessions"].create_index(
                ["team_id", "start_time", "id"], "sessions_team_start", if_not_exists=True
            )
            db.execute(
                "CREATE INDEX IF NOT EXISTS sessions_team_start_live "
                "ON sessions (team_id, start_time, id) WHERE canceled_time IS NULL"
            )
            db["participants"].create(
                {
                    "id": str,
                    "session_id": str,
                    "client_id": str,
                    "display_name": str,
                    "picture": str,
                    "role": str,
                    "state": str,
                    "deleted_at": str,
                    "created_at": str,
                },
                pk="id",
                not_null={"session_id", "client_id", "role", "created_at"},
                foreign_keys=[("session_id", "sessions", "id")],
                if_not_exists=True,
            )
            # (session_id) carries the rowid, so "participants of these sessions in insertion
            # order" is one index range per session; (state, session_id) serves ?state=.
            db["participants"].create_index(
                ["session_id"], "participants_session", if_not_exists=True
            )
            db["participants"].create_index(
                ["state", "session_id"], "participants_state", if_not_exists=True
            )
            # Entry pages (``entry.py``): where each participant is now, one row each...
            db["entry_presence"].create(
                {
                    "participant_id": str,
                    "session_id": str,
                    # Opaque, random, new at every entry: hosts admit and remove by it, so no
                    # page ever carries another participant's id (the id *is* their link).
                    "token": str,
                    "status": str,  # waiting | in | left | removed | timed_out | closed
                    "entered_at": str,
                    "last_seen": str,
                },
                pk="participant_id",
                not_null={"session_id", "token", "status", "entered_at", "last_seen"},
                foreign_keys=[("participant_id", "participants", "id")],
                if_not_exists=True,
            )
            db["entry_presence"].create_index(
                ["session_id", "status"], "entry_presence_session", if_not_exists=True
            )
            db["entry_presence"].create_index(["token"], unique=True, if_not_exists=True)
            # ...and everything that happened, append-only, for GET /v1/sessions/{id}/summary.
            db["entry_events"].create(
                {
                    "id": int,
                    "session_id": str,
                    "participant_id": str,
                    "event": str,  # entered | admitted | removed | left
                    "at": str,
                    "by_participant_id": str,  # the host who admitted or removed
                    "reason": str,  # for "left": left | timed_out | session_ended | cancelled
                },
                pk="id",
                not_null={"session_id", "participant_id", "event", "at"},
                foreign_keys=[("participant_id", "participants", "id")],
                if_not_exists=True,
            )
            db["entry_events"].create_index(
                ["session_id", "id"], "entry_events_session", if_not_exists=True
            )

    # -- access ------------------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """Serialise with other threads and run the block in one SQLite transaction.

        Callbacks registered with ``after_commit`` inside the outermost block run once it has
        committed, outside the lock; if it fails they are dropped."""
        with self._lock:
            outermost = self._depth == 0
            self._depth += 1
            try:
                with self.db.atomic():
                    yield self.db
            except BaseException:
                if outermost:
                    self._after_commit.clear()
                raise
            finally:
                self._depth -= 1
            callbacks: list[Callable[[], None]] = []
            if outermost:
                callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` when the current transaction commits (now, outside of one)."""
        with self._lock:
            if self._depth == 0:
                callback()
            else:
                self._after_commit.append(callback)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self._lock:
            return list(self.db.query(sql, list(params)))

    def query_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    # -- reads used by several endpoints -----------------------------------------------------------

    def session(self, session_id: str, team_id: str) -> Row | None:
        return self.query_one(
            "SELECT * FROM sessions WHERE id = ? AND team_id = ?", [session_id, team_id]
        )

    def participant(self, participant_id: str, team_id: str) -> Row | None:
        """The participant, with its session's times, or None (also for another team's id)."""
        return self.query_one(
            "SELECT p.*, s.start_time AS session_start, s.end_time AS session_end, "
            "s.canceled_time AS session_canceled "
            "FROM participants p JOIN sessions s ON s.id = p.session_id "
            "WHERE p.id = ? AND s.team_id = ?",
            [participant_id, team_id],
        )

    def participants_of(
        self, session_ids: Sequence[str], include_deleted: bool
    ) -> dict[str, list[Row]]:
        """Participants of many sessions in one query (no N+1), in the order they were added."""
        found: dict[str, list[Row]] = {session_id: [] for session_id in session_ids}
        if not session_ids:
            return found
        marks = ", ".join("?" for _ in session_ids)
        live = "" if include_deleted else " AND deleted_at IS NULL"
        rows = self.query(
            f"SELECT * FROM participants WHERE session_id IN ({marks}){live} ORDER BY rowid",
            list(session_ids),
        )
        for row in rows:
            found[row["session_id"]].append(row)
        return found

    def list_sessions(self, query: ListQuery) -> tuple[list[Row], bool]:
        """One page of sessions and whether another page follows."""
        sql, params = list_sessions_sql(query)
        rows = self.query(sql, params)
        return rows[: query.page_size], len(rows) > query.page_size
