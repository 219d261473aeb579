"""Presence and the DMs about it, in the app's database (migration 4): one SQL for both.

``presence`` holds who is in each booked session now, as Coviu's webhooks said: ``waiting``
(a guest in the waiting room), ``in`` (in the call) or ``left``; ``arrival`` counts a
person's entries, so "Pat is waiting" goes out once per arrival however often Coviu repeats
itself. ``room_messages`` holds the DMs sent about a session — ``waiting`` alerts and
``summary`` DMs — with their channel and ts, and for an alert its ``outcome`` (``answered``:
a host came in; ``left``: the guest gave up) and what the DM ``shown`` says now, so a worker
can bring it up to date with ``chat.update``::

    rooms = RoomStore(store)
    with rooms.transaction() as tx:
        arrival = rooms.arrive(tx, "s1", "p-guest", "GUEST", "waiting", at=1722508807, now=now)

Events may be handled out of order (several workers): each presence row keeps the time of the
event that set it, and an older event for the same person changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.storage import Store
from bot.storage.db import Row, Tx
from bot.storage.store import to_text

WAITING, IN, LEFT = "waiting", "in", "left"
PRESENT = (WAITING, IN)


@dataclass(frozen=True)
class RoomMessage:
    """A DM about what happens in a session: to `user_id`, the Slack user of participant
    `host_id` (a host, but for a nudge: the guest it goes to)."""

    key: str
    kind: str  # waiting | summary | nudge
    session_id: str
    team_id: str
    user_id: str
    host_id: str
    guest_id: str | None = None
    arrival: int | None = None
    outcome: str | None = None  # waiting: None | answered | left
    outcome_by: str | None = None  # the host who answered (a nudge: the host waiting)
    args: dict[str, Any] = field(default_factory=dict)
    job_key: str | None = None
    status: str = "pending"  # pending | sending | sent | failed
    channel: str | None = None
    ts: str | None = None
    shown: str | None = None  # what the DM in Slack says now: waiting | answered | left

    def __repr__(self) -> str:  # participant ids are the entry links' secret
        return f"RoomMessage({self.kind}, to={self.user_id}, {self.status})"


_COLUMNS = (
    "message_key, job_key, kind, session_id, team_id, user_id, host_id, guest_id, arrival,"
    " outcome, outcome_by, args, status, channel, ts, shown"
)


def _message(row: Row) -> RoomMessage:
    return RoomMessage(
        key=row["message_key"],
        kind=row["kind"],
        session_id=row["session_id"],
        team_id=row["team_id"],
        user_id=row["user_id"],
        host_id=row["host_id"],
        guest_id=row["guest_id"],
        arrival=row["arrival"],
        outcome=row["outcome"],
        outcome_by=row["outcome_by"],
        args=json.loads(row["args"] or "{}"),
        job_key=row["job_key"],
        status=row["status"],
        channel=row["channel"],
        ts=row["ts"],
        shown=row["shown"],
    )


class RoomStore:
    def __init__(self, store: Store) -> None:
        self.db = store.db

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        with self.db.transaction() as tx:
            yield tx

    # -- presence, inside the caller's transaction --------------------------------------------

    def _current(self, tx: Tx, participant_id: str) -> Row | None:
        rows = tx.execute(
            "select status, arrival, event_at from presence where participant_id = ?",
            [participant_id],
        )
        return rows[0] if rows else None

    def arrive(
        self,
        tx: Tx,
        session_id: str,
        participant_id: str,
        role: str,
        status: str,
        *,
        at: int,
        now: datetime,
    ) -> int | None:
        """Someone came in (`status` waiting or in). Their arrival number if this is a new
        arrival; None if they were here already (a reload, a repeated event) or the event is
        older than what we know."""
        row = self._current(tx, participant_id)
        if row is not None and (row["event_at"] > at or row["status"] in PRESENT):
            if row["event_at"] <= at and row["status"] == WAITING and status == IN:
                self._set(tx, participant_id, IN, row["arrival"], at, now)
            return None
        arrival = (row["arrival"] if row else 0) + 1
        tx.execute(
            "insert into presence (participant_id, session_id, role, status, arrival, event_at,"
            " updated_at) values (?, ?, ?, ?, ?, ?, ?) on conflict (participant_id) do update"
            " set status = excluded.status, arrival = excluded.arrival,"
            " event_at = excluded.event_at, updated_at = excluded.updated_at",
            [participant_id, session_id, role, status, arrival, at, to_text(now)],
        )
        return arrival

    def admit(self, tx: Tx, participant_id: str, *, at: int, now: datetime) -> int | None:
        """A host let a waiting guest in; their arrival number, or None if not waiting."""
        row = self._current(tx, participant_id)
        if row is None or row["event_at"] > at or row["status"] != WAITING:
            return None
        self._set(tx, participant_id, IN, row["arrival"], at, now)
        return row["arrival"]

    def leave(self, tx: Tx, participant_id: str, *, at: int, now: datetime) -> int | None:
        """Someone left; the arrival that ended, or None if they were not here."""
        row = self._current(tx, participant_id)
        if row is None or row["event_at"] > at or row["status"] not in PRESENT:
            return None
        self._set(tx, participant_id, LEFT, row["arrival"], at, now)
        return row["arrival"]

    def _set(
        self, tx: Tx, participant_id: str, status: str, arrival: int, at: int, now: datetime
    ) -> None:
        tx.execute(
            "update presence set status = ?, arrival = ?, event_at = ?, updated_at = ?"
            " where participant_id = ?",
            [status, arrival, at, to_text(now), participant_id],
        )

    def hosts_in(self, tx: Tx, session_id: str) -> list[str]:
        rows = tx.execute(
            "select participant_id from presence where session_id = ? and role = 'HOST'"
            " and status = 'in' order by updated_at, participant_id",
            [session_id],
        )
        return [row["participant_id"] for row in rows]

    def waiting(self, tx: Tx, session_id: str) -> list[tuple[str, int]]:
        """The guests waiting now, each with their arrival number, earliest first."""
        rows = tx.execute(
            "select participant_id, arrival from presence where session_id = ?"
            " and status = 'waiting' order by event_at, participant_id",
            [session_id],
        )
        return [(row["participant_id"], row["arrival"]) for row in rows]

    def presence(self, session_id: str) -> dict[str, str]:
        """Everyone's status in a session, by participant id."""
        rows = self.db.query(
            "select participant_id, status from presence where session_id = ?", [session_id]
        )
        return {row["participant_id"]: row["status"] for row in rows}

    def waiting_counts(self, session_ids: Iterable[str]) -> dict[str, int]:
        """How many guests wait in each of these sessions now (sessions with none left out):
        App Home's "1 waiting"."""
        ids = list(dict.fromkeys(session_ids))
        if not ids:
            return {}
        marks = ", ".join("?" for _ in ids)
        rows = self.db.query(
            "select session_id, count(*) as waiting from presence"
            f" where status = 'waiting' and session_id in ({marks}) group by session_id",
            ids,
        )
        return {row["session_id"]: int(row["waiting"]) for row in rows}

    # -- the DMs ------------------------------------------------------------------------------

    def schedule(
        self,
        tx: Tx,
        key: str,
        kind: str,
        team_id: str,
        payload: dict[str, Any],
        *,
        due: datetime,
        now: datetime,
    ) -> None:
        """A job to run at `due` (once per `key`), for a worker to pick up when it falls due."""
        tx.execute(
            "insert into jobs (job_key, kind, team_id, payload, status, run_after, created_at)"
            " values (?, ?, ?, ?, 'queued', ?, ?) on conflict (job_key) do nothing",
            [key, kind, team_id, json.dumps(payload), to_text(due), to_text(now)],
        )

    def queue(self, tx: Tx, messages: Iterable[RoomMessage], now: datetime) -> None:
        """Owe these DMs (each once: a key already queued is left as it is)."""
        for m in messages:
            tx.execute(
                f"insert into room_messages ({_COLUMNS}, created_at)"
                " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', null, null, null, ?)"
                " on conflict (message_key) do nothing",
                [
                    m.key,
                    m.job_key,
                    m.kind,
                    m.session_id,
                    m.team_id,
                    m.user_id,
                    m.host_id,
                    m.guest_id,
                    m.arrival,
                    m.outcome,
                    m.outcome_by,
                    json.dumps(m.args),
                    to_text(now),
                ],
            )

    def alerted(self, tx: Tx, session_id: str, guest_id: str, arrival: int) -> bool:
        rows = tx.execute(
            "select 1 as x from room_messages where session_id = ? and kind = 'waiting'"
            " and guest_id = ? and arrival = ? limit 1",
            [session_id, guest_id, arrival],
        )
        return bool(rows)

    def settle(
        self,
        tx: Tx,
        session_id: str,
        outcome: str,
        *,
        guest: tuple[str, int] | None = None,
        by: str | None = None,
    ) -> None:
        """Alerts no longer waiting on anyone: all of a session's open ones (a host came in)
        or one guest's arrival's (let in, or gone). The first outcome stands."""
        sql = (
            "update room_messages set outcome = ?, outcome_by = ?"
            " where session_id = ? and kind = 'waiting' and outcome is null"
        )
        params: list[Any] = [outcome, by, session_id]
        if guest is not None:
            sql += " and guest_id = ? and arrival = ?"
            params += list(guest)
        tx.execute(sql, params)

    def owed(self, job_key: str) -> list[RoomMessage]:
        """The DMs `job_key` queued and has not sent: "sending" ones were being sent by an
        attempt that died, and may have reached Slack."""
        rows = self.db.query(
            f"select {_COLUMNS} from room_messages where job_key = ?"
            " and status in ('pending', 'sending') order by created_at, message_key",
            [job_key],
        )
        return [_message(row) for row in rows]

    def stale(self, session_id: str) -> list[RoomMessage]:
        """Sent alerts whose DM no longer says what is so: to update."""
        rows = self.db.query(
            f"select {_COLUMNS} from room_messages where session_id = ? and kind = 'waiting'"
            " and status = 'sent' and outcome is not null"
            " and (shown is null or shown <> outcome) order by created_at, message_key",
            [session_id],
        )
        return [_message(row) for row in rows]

    def messages(self, session_id: str, kind: str | None = None) -> list[RoomMessage]:
        sql = f"select {_COLUMNS} from room_messages where session_id = ?"
        params = [session_id]
        if kind:
            sql += " and kind = ?"
            params.append(kind)
        rows = self.db.query(sql + " order by created_at, message_key", params)
        return [_message(row) for row in rows]

    def sending(self, key: str) -> None:
        self.db.query(
            "update room_messages set status = 'sending', attempts = attempts + 1"
            " where message_key = ?",
            [key],
        )

    def sent(
        self, key: str, channel: str | None, ts: str | None, shown: str | None, now: datetime
    ) -> RoomMessage:
        """Slack took it. Answers the row as it is now: an outcome set meanwhile (a host came
        in while this was being sent) shows as ``outcome != shown``."""
        rows = self.db.query(
            f"update room_messages set status = 'sent', channel = ?, ts = ?, shown = ?,"
            f" sent_at = ? where message_key = ? returning {_COLUMNS}",
            [channel, ts, shown, to_text(now), key],
        )
        return _message(rows[0])

    def shown(self, key: str, shown: str) -> None:
        self.db.query("update room_messages set shown = ? where message_key = ?", [shown, key])

    def failed(self, key: str, error: str) -> None:
        self.db.query(
            "update room_messages set status = 'failed', error = ? where message_key = ?",
            [error, key],
        )

    # -- live cards: the invitations, showing who is in now ------------------------------------

    def invitations(self, session_id: str) -> list[tuple[str, str, str, str, str | None]]:
        """The invitations sent for a session: (message key, participant id, channel, ts,
        the live line it shows now or None)."""
        rows = self.db.query(
            "select m.message_key, m.args, m.channel, m.ts, c.line from messages m"
            " left join live_cards c on c.message_key = m.message_key"
            " where m.session_id = ? and m.kind = 'invite' and m.status = 'sent'"
            " and m.channel is not null and m.ts is not null order by m.message_key",
            [session_id],
        )
        return [
            (
                row["message_key"],
                json.loads(row["args"] or "{}").get("participant_id") or "",
                row["channel"],
                row["ts"],
                row["line"],
            )
            for row in rows
        ]

    def card_shown(self, key: str, line: str, now: datetime) -> None:
        self.db.query(
            "insert into live_cards (message_key, line, updated_at) values (?, ?, ?)"
            " on conflict (message_key) do update set line = excluded.line,"
            " updated_at = excluded.updated_at",
            [key, line, to_text(now)],
        )
