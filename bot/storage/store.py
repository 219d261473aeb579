"""The app's own records: one interface over SQLite or PostgreSQL.

The sessions the app booked, who is in them (Slack team + user ↔ Coviu participant id), the
reminders still to send, the DMs it owes people (an outbox), cached Slack user facts, and the
work Slack has been told is accepted (jobs)::

    >>> store = Store.open(":memory:")
    >>> store.schema_version() > 0  # every migration applied
    True
    >>> store.enqueue("command:T1:U1:trigger", "command", "T1", {"text": "list"},
    ...               datetime(2030, 1, 1, tzinfo=UTC))
    True
    >>> store.enqueue("command:T1:U1:trigger", "command", "T1", {"text": "list"},
    ...               datetime(2030, 1, 1, tzinfo=UTC))
    False

Every method is one transaction. A change and the record that it was made (a job step, the
DMs it owes) are written in the same transaction, so a crash leaves either both or neither.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.storage.db import Database, Row, Tx, connect
from bot.storage.migrations import migrate, schema_version
from bot.when.result import Repeat


def to_text(moment: datetime) -> str:
    """An aware datetime as sortable UTC text: ``2026-03-20T04:00:00+00:00``."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def from_text(text: str) -> datetime:
    return datetime.fromisoformat(text)


# A reminder Slack would not take is tried again after this long.
RETRY_AFTER = timedelta(seconds=30)


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
    # The booking's own lead times (minutes before; () for none); None: each person's default.
    reminders: tuple[int, ...] | None = None
    # An occurrence of a series: the series, and the date (on the series' calendar) it stands
    # for, which stays the same when this one occurrence is moved.
    series_id: str | None = None
    occurrence: date | None = None
    # How often the session changed: calendar files' SEQUENCE.
    sequence: int = 0

    @property
    def cancelled(self) -> bool:
        return self.status == "cancelled"


@dataclass(frozen=True)
class SeriesRecord:
    """A recurring series: its rule (wall-clock time and zone), and who is in every session."""

    series_id: str
    team_id: str
    title: str
    booked_by: str
    rule: Repeat
    minutes: int
    first: date
    reminder_minutes: int
    people: tuple[tuple[str, str], ...]  # (Slack user, role)
    status: str = "active"
    # The series' own lead times, given to each session; None: each person's default.
    reminders: tuple[int, ...] | None = None


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
    # Set for a Slack Connect member from another organisation: their own team's id.
    home_team: str | None = None

    @property
    def is_host(self) -> bool:
        return self.role == "HOST"

    @property
    def external(self) -> bool:
        """From another organisation (Slack Connect): Slack doesn't let the app DM them."""
        return self.home_team is not None

    @property
    def active(self) -> bool:
        return self.status == "active"

    def __repr__(self) -> str:  # the entry URL is a secret: keep it out of logs and tracebacks
        return (
            f"ParticipantRecord({self.slack_user or self.display_name!r}, {self.role}, "
            f"{self.status})"
        )


@dataclass(frozen=True)
class DueReminder:
    participant: ParticipantRecord
    session: SessionRecord
    # Claimed before by a sender that died: it may have reached Slack already.
    uncertain: bool = False
    reminder_id: str = ""
    lead_minutes: int = 10  # 0: the "Starting now" DM
    # Snoozed: its DM was sent already and is updated in place (at `channel`, `ts`).
    snoozed: bool = False
    channel: str | None = None
    ts: str | None = None


def reminder_id_of(participant_id: str, lead_minutes: int) -> str:
    """The key of one person's reminder at one lead time."""
    return f"{participant_id}:{int(lead_minutes)}"


def lead_times(session: SessionRecord, own: tuple[int, ...] | None) -> tuple[int, ...]:
    """The lead times a person gets for a session, largest first, 0 (the "Starting now" DM)
    always last: the booking's own, else the person's default (`own`), else the app's.

    >>> s = SessionRecord("S", "T", "x", datetime(2030, 1, 1, tzinfo=UTC),
    ...                   datetime(2030, 1, 2, tzinfo=UTC), "U", 10, "booked")
    >>> lead_times(s, None), lead_times(s, (60, 5)), lead_times(s, ())
    ((10, 0), (60, 5, 0), (0,))
    """
    chosen = session.reminders if session.reminders is not None else own
    if chosen is None:
        chosen = (session.reminder_minutes,) if session.reminder_minutes else ()
    return (*sorted({int(m) for m in chosen if int(m) > 0}, reverse=True), 0)


@dataclass(frozen=True)
class CachedUser:
    name: str | None
    tz: str | None
    dm_channel: str | None
    fetched_at: datetime | None
    home_team: str | None = None  # another organisation's team id (Slack Connect)


@dataclass(frozen=True)
class Confirmation:
    """A booker's private "Booked" answer, updatable through its job's response_url."""

    session_id: str
    team_id: str
    user_id: str
    job_key: str
    uses: int  # posts to the response_url so far (Slack takes 5)
    created_at: datetime  # when Slack issued the response_url (the job's creation)


@dataclass(frozen=True)
class Job:
    """Work Slack was told is accepted: its payload, and how often it has been tried."""

    key: str
    kind: str
    team_id: str | None
    payload: dict[str, Any]
    attempts: int
    created_at: datetime


@dataclass(frozen=True)
class Message:
    """A DM the app owes someone, about a session: sent once, then kept for `chat.update`."""

    key: str
    team_id: str
    user_id: str
    kind: str  # invite | changed
    session_id: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    job_key: str | None = None
    status: str = "pending"  # pending | sending | sent | failed
    channel: str | None = None
    ts: str | None = None


_SESSION_FIELDS = (
    "session_id, team_id, title, start_at, end_at, booked_by, reminder_minutes, status, reminders,"
    " series_id, occurrence, sequence"
)
_PARTICIPANT_FIELDS = (
    "participant_id, session_id, team_id, slack_user, display_name, role, entry_url, added_by,"
    " status, home_team"
)


_ENQUEUE = (
    "insert into jobs (job_key, kind, team_id, payload, status, run_after, created_at)"
    " values (?, ?, ?, ?, 'queued', ?, ?) on conflict (job_key) do nothing"
)
# PostgreSQL: and wake idle workers (`LISTEN coviu_jobs`) in the same round trip.
_ENQUEUE_PG = (
    f"with added as ({_ENQUEUE} returning job_key)"
    " select job_key, pg_notify('coviu_jobs', '') from added"
)


def _session(row: Row) -> SessionRecord:
    return SessionRecord(
        session_id=row["session_id"],
        team_id=row["team_id"],
        title=row["title"],
        start=from_text(row["start_at"]),
        end=from_text(row["end_at"]),
        booked_by=row["booked_by"],
        reminder_minutes=row["reminder_minutes"],
        status=row["status"],
        reminders=_leads(row.get("reminders")),
        series_id=row.get("series_id"),
        occurrence=date.fromisoformat(row["occurrence"]) if row.get("occurrence") else None,
        sequence=row.get("sequence") or 0,
    )


def _series(row: Row) -> SeriesRecord:
    return SeriesRecord(
        series_id=row["series_id"],
        team_id=row["team_id"],
        title=row["title"],
        booked_by=row["booked_by"],
        rule=Repeat(
            row["freq"],
            time=row["wall_time"],
            zone=row["zone"],
            interval=row["step"],
            days=tuple(code for code in row["days"].split(",") if code),
            count=row["count"],
            until=date.fromisoformat(row["until_date"]) if row["until_date"] else None,
        ),
        minutes=row["minutes"],
        first=date.fromisoformat(row["first_date"]),
        reminder_minutes=row["reminder_minutes"],
        people=tuple((user, role) for user, role in json.loads(row["people"])),
        status=row["status"],
        reminders=_leads(row.get("reminders")),
    )


def _leads(text: str | None) -> tuple[int, ...] | None:
    return None if text is None else tuple(int(m) for m in json.loads(text))


def _leads_text(leads: tuple[int, ...] | None) -> str | None:
    return None if leads is None else json.dumps([int(m) for m in leads])


def _participant(row: Row) -> ParticipantRecord:
    return ParticipantRecord(**{name: row[name] for name in ParticipantRecord.__dataclass_fields__})


def _message(row: Row) -> Message:
    return Message(
        key=row["message_key"],
        team_id=row["team_id"],
        user_id=row["user_id"],
        kind=row["kind"],
        session_id=row["session_id"],
        args=json.loads(row["args"] or "{}"),
        job_key=row["job_key"],
        status=row["status"],
        channel=row["channel"],
        ts=row["ts"],
    )


class Store:
    def __init__(self, db: Database) -> None:
        self.db = db

    @classmethod
    def open(cls, target: str | Path) -> Store:
        """Open (creating and migrating) the store: a SQLite path, ``":memory:"``, or a
        ``postgresql://`` URL."""
        db = connect(target)
        migrate(db)
        return cls(db)

    @property
    def dialect(self) -> str:
        return self.db.dialect

    def close(self) -> None:
        self.db.close()

    def schema_version(self) -> int:
        return schema_version(self.db)

    @contextmanager
    def _change(
        self, now: datetime, messages: Iterable[Message], step: tuple[str, str, Any] | None
    ) -> Iterator[Tx]:
        """One change, the DMs it owes and the record that its job step was done: one
        transaction, so a crash leaves all of them or none."""
        with self.db.transaction() as tx:
            yield tx
            _queue(tx, messages, now)
            _record_step(tx, step)

    # -- jobs: what Slack was told is accepted ------------------------------------------------

    def enqueue(
        self, key: str, kind: str, team_id: str | None, payload: dict[str, Any], now: datetime
    ) -> bool:
        """Record a request as a job, once per `key` (its Slack identity). False when it was
        already recorded: Slack retried, or someone clicked twice."""
        moment = to_text(now)
        # One statement, atomic on its own, on the database's cheapest path (`Database.add`):
        # the web process's whole cost per request.
        return self.db.add(
            _ENQUEUE_PG if self.dialect == "postgresql" else _ENQUEUE,
            [key, kind, team_id, json.dumps(payload, separators=(",", ":")), moment, moment],
        )

    def claim_jobs(self, owner: str, now: datetime, lease: timedelta, limit: int) -> list[Job]:
        """Take up to `limit` runnable jobs under a lease held by `owner`: queued ones, and
        running ones whose worker's lease ran out (it died). Oldest first."""
        moment = to_text(now)
        with self.db.transaction() as tx:
            rows = tx.execute(
                f"""
                select job_key from jobs
                where (status = 'queued' and run_after <= ?)
                   or (status = 'running' and lease_until < ?)
                order by created_at, job_key limit ? {self.db.skip_locked}
                """,
                [moment, moment, limit],
            )
            claimed = []
            for row in rows:
                claimed += tx.execute(
                    """
                    update jobs set status = 'running', attempts = attempts + 1,
                      lease_owner = ?, lease_until = ?
                    where job_key = ?
                    returning job_key, kind, team_id, payload, attempts, created_at
                    """,
                    [owner, to_text(now + lease), row["job_key"]],
                )
        return [
            Job(
                key=row["job_key"],
                kind=row["kind"],
                team_id=row["team_id"],
                payload=json.loads(row["payload"]),
                attempts=row["attempts"],
                created_at=from_text(row["created_at"]),
            )
            for row in claimed
        ]

    def extend_leases(self, owner: str, keys: Sequence[str], until: datetime) -> None:
        """A live worker keeps what it holds."""
        if not keys:
            return
        marks = ", ".join("?" * len(keys))
        with self.db.transaction() as tx:
            tx.execute(
                f"update jobs set lease_until = ? where lease_owner = ? and status = 'running'"
                f" and job_key in ({marks})",
                [to_text(until), owner, *keys],
            )

    def finish_job(self, key: str, owner: str, now: datetime, *, failed: str | None = None) -> None:
        """Done (or failed for good, with why): never run again."""
        with self.db.transaction() as tx:
            tx.execute(
                "update jobs set status = ?, finished_at = ?, error = ?, lease_owner = null,"
                " lease_until = null where job_key = ? and lease_owner = ?",
                ["failed" if failed else "done", to_text(now), failed, key, owner],
            )

    def release_job(self, key: str, owner: str, run_after: datetime) -> None:
        """Hand a job back: to be run again from `run_after` (a retry, or a graceful stop)."""
        with self.db.transaction() as tx:
            tx.execute(
                "update jobs set status = 'queued', run_after = ?, lease_owner = null,"
                " lease_until = null where job_key = ? and lease_owner = ?",
                [to_text(run_after), key, owner],
            )

    def job_counts(self) -> dict[str, int]:
        rows = self.db.query("select status, count(*) as n from jobs group by status")
        return {row["status"]: row["n"] for row in rows}

    def next_job_due(self) -> datetime | None:
        rows = self.db.query("select min(run_after) as due from jobs where status = 'queued'")
        due = rows[0]["due"] if rows else None
        return from_text(due) if due else None

    def step(self, job_key: str, step: str) -> Any | None:
        """What a job's step recorded when it was done; None if it was not (yet)."""
        rows = self.db.query(
            "select result from job_steps where job_key = ? and step = ?", [job_key, step]
        )
        return json.loads(rows[0]["result"]) if rows else None

    def record_step(self, job_key: str, step: str, result: Any = True) -> None:
        with self.db.transaction() as tx:
            _record_step(tx, (job_key, step, result))

    # -- sessions and participants ------------------------------------------------------------

    def add_session(
        self,
        session: SessionRecord,
        participants: Sequence[ParticipantRecord],
        now: datetime,
        *,
        messages: Iterable[Message] = (),
        step: tuple[str, str, Any] | None = None,
    ) -> None:
        """Record a booked session and its participants, each Slack user's reminder, the DMs
        owed and the job step that did it: all or nothing."""
        with self._change(now, messages, step) as tx:
            tx.execute(
                f"insert into sessions ({_SESSION_FIELDS}, created_at)"
                " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    session.session_id,
                    session.team_id,
                    session.title,
                    to_text(session.start),
                    to_text(session.end),
                    session.booked_by,
                    session.reminder_minutes,
                    session.status,
                    _leads_text(session.reminders),
                    session.series_id,
                    session.occurrence.isoformat() if session.occurrence else None,
                    session.sequence,
                    to_text(now),
                ],
            )
            for position, participant in enumerate(participants):
                _insert_participant(tx, participant, session, position, now)

    def add_participant(
        self,
        participant: ParticipantRecord,
        now: datetime,
        *,
        messages: Iterable[Message] = (),
        step: tuple[str, str, Any] | None = None,
    ) -> None:
        session = self.session(participant.session_id)
        if session is None:
            raise KeyError(participant.session_id)
        with self._change(now, messages, step) as tx:
            count = tx.execute(
                "select count(*) as n from participants where session_id = ?",
                [session.session_id],
            )[0]["n"]
            _insert_participant(tx, participant, session, count, now)
            _changed(tx, session.session_id)

    def session(self, session_id: str) -> SessionRecord | None:
        rows = self.db.query(
            f"select {_SESSION_FIELDS} from sessions where session_id = ?", [session_id]
        )
        return _session(rows[0]) if rows else None

    def participants(
        self, session_id: str, *, include_removed: bool = False
    ) -> list[ParticipantRecord]:
        sql = f"select {_PARTICIPANT_FIELDS} from participants where session_id = ?"
        if not include_removed:
            sql += " and status = 'active'"
        sql += " order by position, participant_id"
        return [_participant(row) for row in self.db.query(sql, [session_id])]

    def participants_by_id(self, participant_ids: Iterable[str]) -> list[ParticipantRecord]:
        """These participants, removed ones included, in no particular order."""
        ids = list(participant_ids)
        if not ids:
            return []
        marks = ", ".join("?" * len(ids))
        rows = self.db.query(
            f"select {_PARTICIPANT_FIELDS} from participants where participant_id in ({marks})",
            ids,
        )
        return [_participant(row) for row in rows]

    def upcoming_for(
        self, team_id: str, slack_user: str, now: datetime, *, hosting: bool = False
    ) -> list[SessionRecord]:
        """Booked sessions not yet ended in which this person takes part, soonest first.

        With ``hosting=True``: only those they host that have not started, i.e. the ones they
        may still move or cancel.
        """
        hosted = "and p.role = 'HOST' and s.start_at > ?" if hosting else ""
        rows = self.db.query(
            f"""
            select {_SESSION_FIELDS} from sessions s
            where s.status = 'booked' and s.end_at > ? and exists (
              select 1 from participants p
              where p.session_id = s.session_id and p.team_id = ? and p.slack_user = ?
                and p.status = 'active' {hosted})
            order by s.start_at, s.session_id
            """,
            [to_text(now), team_id, slack_user] + ([to_text(now)] if hosting else []),
        )
        return [_session(row) for row in rows]

    def cancel_session(
        self,
        session_id: str,
        now: datetime,
        *,
        messages: Iterable[Message] = (),
        step: tuple[str, str, Any] | None = None,
    ) -> None:
        with self._change(now, messages, step) as tx:
            tx.execute(
                "update sessions set status = 'cancelled', cancelled_at = ?,"
                " sequence = sequence + 1 where session_id = ?",
                [to_text(now), session_id],
            )
            tx.execute(
                "update reminders set status = 'cancelled'"
                " where session_id = ? and status in ('pending', 'sending')",
                [session_id],
            )

    def move_session(
        self,
        session_id: str,
        start: datetime,
        end: datetime,
        now: datetime,
        *,
        messages: Iterable[Message] = (),
        step: tuple[str, str, Any] | None = None,
    ) -> None:
        """Move a session; every lead time of its active participants' reminders falls due
        again at the new time (a snooze is forgotten: it was about the old time)."""
        with self._change(now, messages, step) as tx:
            tx.execute(
                "update sessions set start_at = ?, end_at = ?, sequence = sequence + 1"
                " where session_id = ?",
                [to_text(start), to_text(end), session_id],
            )
            rows = tx.execute(
                """
                select r.reminder_id, r.participant_id, r.lead_minutes from reminders r
                join participants p on p.participant_id = r.participant_id
                where r.session_id = ? and p.status = 'active'
                  and r.status not in ('dropped', 'unwanted')
                """,
                [session_id],
            )
            by_person: dict[str, list[tuple[str, int]]] = {}
            for row in rows:
                by_person.setdefault(row["participant_id"], []).append(
                    (row["reminder_id"], row["lead_minutes"])
                )
            for leads in by_person.values():
                _plan(tx, leads, start, now)

    def remove_participant(
        self,
        participant_id: str,
        now: datetime,
        *,
        messages: Iterable[Message] = (),
        step: tuple[str, str, Any] | None = None,
    ) -> None:
        with self._change(now, messages, step) as tx:
            tx.execute(
                "update participants set status = 'removed' where participant_id = ?",
                [participant_id],
            )
            tx.execute(
                "update sessions set sequence = sequence + 1 where session_id ="
                " (select session_id from participants where participant_id = ?)",
                [participant_id],
            )
            tx.execute(
                "update reminders set status = 'cancelled' where participant_id = ?"
                " and status in ('pending', 'sending')",
                [participant_id],
            )

    # -- series ---------------------------------------------------------------------------------

    def add_series(
        self, series: SeriesRecord, now: datetime, *, step: tuple[str, str, Any] | None = None
    ) -> None:
        rule = series.rule
        with self._change(now, (), step) as tx:
            tx.execute(
                "insert into series (series_id, team_id, title, booked_by, freq, step, days,"
                " wall_time, zone, minutes, first_date, count, until_date, reminder_minutes,"
                " people, status, created_at, reminders) values"
                " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    series.series_id,
                    series.team_id,
                    series.title,
                    series.booked_by,
                    rule.freq,
                    rule.interval,
                    ",".join(rule.days),
                    rule.time,
                    rule.zone,
                    series.minutes,
                    series.first.isoformat(),
                    rule.count,
                    rule.until.isoformat() if rule.until else None,
                    series.reminder_minutes,
                    json.dumps([list(person) for person in series.people]),
                    series.status,
                    to_text(now),
                    _leads_text(series.reminders),
                ],
            )

    def series(self, series_id: str) -> SeriesRecord | None:
        rows = self.db.query("select * from series where series_id = ?", [series_id])
        return _series(rows[0]) if rows else None

    def active_series(self) -> list[SeriesRecord]:
        rows = self.db.query(
            "select * from series where status = 'active' order by created_at, series_id"
        )
        return [_series(row) for row in rows]

    def occurrences(self, series_id: str) -> list[SessionRecord]:
        """Every session created for the series, cancelled ones too, by the date each is for."""
        rows = self.db.query(
            f"select {_SESSION_FIELDS} from sessions where series_id = ?"
            " order by occurrence, session_id",
            [series_id],
        )
        return [_session(row) for row in rows]

    def end_series(
        self,
        series_id: str,
        last: date | None,
        cancelled: Sequence[str],
        now: datetime,
        *,
        messages: Iterable[Message] = (),
        step: tuple[str, str, Any] | None = None,
    ) -> None:
        """The series stops after `last` (None: before its first date, so it is off); the
        sessions in `cancelled` (those from the cut on) are cancelled with their reminders."""
        with self._change(now, messages, step) as tx:
            if last is None:
                tx.execute(
                    "update series set status = 'cancelled' where series_id = ?", [series_id]
                )
            else:
                tx.execute(
                    "update series set until_date = ? where series_id = ?"
                    " and (until_date is null or until_date > ?)",
                    [last.isoformat(), series_id, last.isoformat()],
                )
            for session_id in cancelled:
                tx.execute(
                    "update sessions set status = 'cancelled', cancelled_at = ?,"
                    " sequence = sequence + 1 where session_id = ? and status = 'booked'",
                    [to_text(now), session_id],
                )
                tx.execute(
                    "update reminders set status = 'cancelled'"
                    " where session_id = ? and status in ('pending', 'sending')",
                    [session_id],
                )

    def retime_series(
        self,
        series_id: str,
        wall_time: str,
        minutes: int,
        now: datetime,
        *,
        messages: Iterable[Message] = (),
        step: tuple[str, str, Any] | None = None,
    ) -> None:
        """The series' sessions not yet created will be at `wall_time`, `minutes` long."""
        with self._change(now, messages, step) as tx:
            tx.execute(
                "update series set wall_time = ?, minutes = ? where series_id = ?",
                [wall_time, minutes, series_id],
            )

    def finish_series(self, series_id: str) -> None:
        """Every occurrence is created: nothing more for the worker to do for it."""
        with self.db.transaction() as tx:
            tx.execute(
                "update series set status = 'complete' where series_id = ? and status = 'active'",
                [series_id],
            )

    def app_key(self, name: str, make: Any) -> str:
        """A secret the app keeps for itself (`make()` makes it the first time): the same in
        every process sharing the database."""
        with self.db.transaction() as tx:
            tx.execute(
                "insert into app_keys (name, secret) values (?, ?) on conflict (name) do nothing",
                [name, make()],
            )
            return tx.execute("select secret from app_keys where name = ?", [name])[0]["secret"]

    # -- the outbox: DMs owed, and where they went --------------------------------------------

    def pending_messages(self, job_key: str) -> list[Message]:
        """The DMs `job_key` still owes, in the order they were queued: "sending" ones were
        being sent by an attempt that died, and may or may not have reached Slack."""
        rows = self.db.query(
            "select * from messages where job_key = ? and status in ('pending', 'sending')"
            " order by created_at, message_key",
            [job_key],
        )
        return [_message(row) for row in rows]

    def messages_of(self, job_key: str) -> list[Message]:
        rows = self.db.query(
            "select * from messages where job_key = ? order by created_at, message_key",
            [job_key],
        )
        return [_message(row) for row in rows]

    def message_sending(self, key: str) -> None:
        """About to ask Slack: should this attempt die, the next one looks before resending."""
        with self.db.transaction() as tx:
            tx.execute(
                "update messages set status = 'sending', attempts = attempts + 1"
                " where message_key = ?",
                [key],
            )

    def message_sent(self, message: Message, channel: str | None, ts: str | None,
                     now: datetime) -> None:  # fmt: skip
        """Slack took it: recorded with where it went, so it can be updated later."""
        with self.db.transaction() as tx:
            tx.execute(
                "update messages set status = 'sent', channel = ?, ts = ?, sent_at = ?"
                " where message_key = ?",
                [channel, ts, to_text(now), message.key],
            )
            _remember_dm(tx, message.team_id, message.user_id, channel)

    def message_failed(self, key: str, error: str) -> None:
        """Slack refused it for good (not a pause): the booker is told; no retry."""
        with self.db.transaction() as tx:
            tx.execute(
                "update messages set status = 'failed', error = ? where message_key = ?",
                [error, key],
            )

    def sent_dms(self, session_id: str) -> list[tuple[str, str, str, str]]:
        """Every invitation and reminder about a session that Slack took, as (kind,
        participant id, channel, ts): the DMs to bring up to date when the session changes.
        (A reminder row keeps where its last DM went, whatever is due next.) A reminder's kind
        names its lead time, ``reminder:1440``, so its snooze buttons stay its own."""
        rows = self.db.query(
            """
            select 'invite' as kind, args, channel, ts, null as participant_id from messages
            where session_id = ? and kind = 'invite' and status = 'sent' and channel is not null
            union all
            select case when lead_minutes = 0 then 'starting'
              else 'reminder:' || lead_minutes end as kind,
              null as args, channel, ts, participant_id from reminders
            where session_id = ? and channel is not null
              and not (lead_minutes = 0 and snoozed = 1)
            """,
            [session_id, session_id],
        )
        return [
            (
                row["kind"],
                row["participant_id"] or json.loads(row["args"])["participant_id"],
                row["channel"],
                row["ts"],
            )
            for row in rows
        ]

    # -- reminders ----------------------------------------------------------------------------

    def next_reminder_due(self) -> datetime | None:
        rows = self.db.query("select min(due_at) as due from reminders where status = 'pending'")
        return from_text(rows[0]["due"]) if rows and rows[0]["due"] else None

    def claim_due_reminders(
        self, now: datetime, *, lease: timedelta = timedelta(seconds=30), limit: int = 100
    ) -> list[DueReminder]:
        """Take pending reminders due by `now` (and any whose claimer died: its lease ran out)
        for sending, each under a lease. A reminder whose session has ended, was cancelled,
        or whose person was removed is marked "missed" instead."""
        moment = to_text(now)
        due: list[DueReminder] = []
        with self.db.transaction() as tx:
            rows = tx.execute(
                f"""
                select reminder_id, participant_id, lead_minutes, status, snoozed, channel, ts
                from reminders
                where (status = 'pending' and due_at <= ?)
                   or (status = 'sending' and lease_until < ?)
                order by due_at, reminder_id limit ? {self.db.skip_locked}
                """,
                [moment, moment, limit],
            )
            for row in rows:
                found = tx.execute(
                    """
                    select p.participant_id, p.session_id, p.team_id, p.slack_user,
                      p.display_name, p.role, p.entry_url, p.added_by, p.status, p.home_team,
                      s.title, s.start_at, s.end_at, s.booked_by, s.reminder_minutes,
                      s.reminders, s.status as session_status
                    from participants p join sessions s on s.session_id = p.session_id
                    where p.participant_id = ?
                    """,
                    [row["participant_id"]],
                )[0]
                participant = _participant(found)
                session = _session({**found, "status": found["session_status"]})
                useful = session.status == "booked" and participant.active and session.end > now
                tx.execute(
                    "update reminders set status = ?, lease_until = ? where reminder_id = ?",
                    [
                        "sending" if useful else "missed",
                        to_text(now + lease) if useful else None,
                        row["reminder_id"],
                    ],
                )
                if useful:
                    due.append(
                        DueReminder(
                            participant,
                            session,
                            row["status"] == "sending",
                            reminder_id=row["reminder_id"],
                            lead_minutes=row["lead_minutes"],
                            snoozed=bool(row["snoozed"]),
                            channel=row["channel"],
                            ts=row["ts"],
                        )
                    )
        return due

    def finish_reminder(
        self,
        reminder_id: str,
        sent: bool,
        now: datetime,
        *,
        channel: str | None = None,
        ts: str | None = None,
    ) -> None:
        """After a send attempt: "sent" with where it went, or tried again after RETRY_AFTER.
        Only a reminder still being sent is touched: one cancelled or moved meanwhile stays so.
        """
        with self.db.transaction() as tx:
            if sent:
                rows = tx.execute(
                    "update reminders set status = 'sent', sent_at = ?, channel = ?, ts = ?,"
                    " snoozed = 0, lease_until = null where reminder_id = ? and status = 'sending'"
                    " returning participant_id",
                    [to_text(now), channel, ts, reminder_id],
                )
                # A reminder snoozed to the start is this DM now: it is the start row's.
                tx.execute(
                    "update reminders set channel = null, ts = null where status = 'folded'"
                    " and channel = ? and ts = ? and participant_id in (select participant_id"
                    " from reminders where reminder_id = ?)",
                    [channel, ts, reminder_id],
                )
                if rows and channel:
                    who = tx.execute(
                        "select team_id, slack_user from participants where participant_id = ?",
                        [rows[0]["participant_id"]],
                    )[0]
                    _remember_dm(tx, who["team_id"], who["slack_user"], channel)
            else:  # still claimed, until the retry: a Slack outage is not a busy loop
                tx.execute(
                    "update reminders set lease_until = ?"
                    " where reminder_id = ? and status = 'sending'",
                    [to_text(now + RETRY_AFTER), reminder_id],
                )

    def drop_reminder(self, reminder_id: str, status: str = "dropped") -> None:
        """Never send this one: its person can't receive DMs (deactivated, say), or, with
        `status` "skipped", they are in the session already."""
        with self.db.transaction() as tx:
            tx.execute(
                "update reminders set status = ?, lease_until = null where reminder_id = ?",
                [status, reminder_id],
            )

    def drop_reminders_of_participant(self, participant_id: str) -> None:
        """Never send any of this person's reminders for this session: Slack won't let us DM
        them (another organisation, a deactivated account)."""
        with self.db.transaction() as tx:
            tx.execute(
                "update reminders set status = 'dropped', lease_until = null"
                " where participant_id = ? and status = 'pending'",
                [participant_id],
            )

    def reminder(self, reminder_id: str) -> Row | None:
        """One reminder's row: its status, when it is due, where its DM went."""
        rows = self.db.query("select * from reminders where reminder_id = ?", [reminder_id])
        return rows[0] if rows else None

    def snooze(self, reminder_id: str, due: datetime, *, at_start: bool) -> bool:
        """Send this reminder again at `due`, by updating the DM already sent, in place.

        Snoozed to the start, it becomes the person's "Starting now" DM (when that is still to
        come): one message at the start, not two. False when there is nothing sent to snooze.
        """
        with self.db.transaction() as tx:
            rows = tx.execute(
                # Sent, or snoozed already (snoozing again); not one due afresh after a move.
                "select participant_id, channel, ts from reminders where reminder_id = ?"
                " and (status = 'sent' or (status = 'pending' and snoozed = 1))"
                " and channel is not null",
                [reminder_id],
            )
            if not rows:
                return False
            row = rows[0]
            start_row = reminder_id_of(row["participant_id"], 0)
            if at_start and start_row != reminder_id:
                folded = tx.execute(
                    "update reminders set channel = ?, ts = ?, snoozed = 1"
                    " where reminder_id = ? and status = 'pending' returning reminder_id",
                    [row["channel"], row["ts"], start_row],
                )
                if folded:
                    # It keeps its DM until the start sends it: a change meanwhile updates it
                    # as the reminder it still is (see `sent_dms`).
                    tx.execute(
                        "update reminders set status = 'folded', snoozed = 0"
                        " where reminder_id = ?",
                        [reminder_id],
                    )
                    return True
            tx.execute(
                "update reminders set status = 'pending', due_at = ?, snoozed = 1,"
                " lease_until = null where reminder_id = ?",
                [to_text(due), reminder_id],
            )
            return True

    def replan_reminders_of(self, team_id: str, user_id: str, now: datetime) -> None:
        """This person chose other default lead times: their sessions still to come that
        name none of their own follow the new choice. Lead times they no longer want are
        dropped unless already sent; new ones are planned as at booking."""
        with self.db.transaction() as tx:
            rows = tx.execute(
                """
                select p.participant_id, s.* from participants p
                join sessions s on s.session_id = p.session_id
                where p.team_id = ? and p.slack_user = ? and p.status = 'active'
                  and s.status = 'booked' and s.start_at > ? and s.reminders is null
                """,
                [team_id, user_id, to_text(now)],
            )
            chosen = tx.execute(
                "select reminders from user_settings where team_id = ? and user_id = ?",
                [team_id, user_id],
            )
            own = _leads(chosen[0]["reminders"]) if chosen else None
            for row in rows:
                session = _session(row)
                wanted = lead_times(session, own)
                have = {
                    r["lead_minutes"]
                    for r in tx.execute(
                        "select lead_minutes from reminders where participant_id = ?"
                        " and status not in ('unwanted')",
                        [row["participant_id"]],
                    )
                }
                tx.execute(
                    "update reminders set status = 'unwanted', lease_until = null"
                    " where participant_id = ? and status = 'pending' and snoozed = 0"
                    f" and lead_minutes not in ({', '.join('?' * len(wanted))})",
                    [row["participant_id"], *wanted],
                )
                added = []
                for lead in wanted:
                    if lead in have:
                        continue
                    key = reminder_id_of(row["participant_id"], lead)
                    tx.execute(
                        "insert into reminders (reminder_id, participant_id, session_id,"
                        " lead_minutes, due_at, status) values (?, ?, ?, ?, ?, 'pending')"
                        " on conflict (reminder_id) do nothing",
                        [key, row["participant_id"], session.session_id, lead,
                         to_text(session.start)],
                    )  # fmt: skip
                    added.append((key, lead))
                _plan(tx, added, session.start, now)

    def drop_reminders_of(self, team_id: str, user_id: str) -> int:
        """Someone who left the workspace gets no more reminders; how many were dropped."""
        with self.db.transaction() as tx:
            rows = tx.execute(
                "update reminders set status = 'dropped', lease_until = null"
                " where status = 'pending' and participant_id in (select participant_id"
                " from participants where team_id = ? and slack_user = ?)"
                " returning participant_id",
                [team_id, user_id],
            )
        return len(rows)

    def reminder_counts(self) -> dict[str, int]:
        rows = self.db.query("select status, count(*) as n from reminders group by status")
        return {row["status"]: row["n"] for row in rows}

    # -- the bookers' confirmations ----------------------------------------------------------

    def keep_confirmation(
        self, session_id: str, team_id: str, user_id: str, job_key: str, uses: int,
        issued_at: datetime,
    ) -> None:  # fmt: skip
        """Remember that `job_key`'s response_url showed the booker their confirmation
        (after `uses` posts to it). A rerun of the job keeps the first record."""
        with self.db.transaction() as tx:
            tx.execute(
                "insert into confirmations (session_id, team_id, user_id, job_key, uses,"
                " status, created_at) values (?, ?, ?, ?, ?, 'live', ?)"
                " on conflict (session_id) do nothing",
                [session_id, team_id, user_id, job_key, uses, to_text(issued_at)],
            )

    def confirmation(self, session_id: str) -> Confirmation | None:
        """The booker's confirmation of this session, while it can still be updated."""
        rows = self.db.query(
            "select session_id, team_id, user_id, job_key, uses, created_at from confirmations"
            " where session_id = ? and status = 'live'",
            [session_id],
        )
        if not rows:
            return None
        row = rows[0]
        return Confirmation(
            row["session_id"], row["team_id"], row["user_id"], row["job_key"], row["uses"],
            from_text(row["created_at"]),
        )  # fmt: skip

    def take_confirmation_use(self, session_id: str, limit: int) -> bool:
        """Claim one more post to the confirmation's response_url; False once `limit` posts
        have been made (or it was given up)."""
        with self.db.transaction() as tx:
            rows = tx.execute(
                "update confirmations set uses = uses + 1"
                " where session_id = ? and status = 'live' and uses < ?"
                " returning uses",
                [session_id, limit],
            )
        return bool(rows)

    def confirmation_gone(self, session_id: str) -> None:
        """Slack no longer takes posts to it: leave it as it is from now on."""
        with self.db.transaction() as tx:
            tx.execute(
                "update confirmations set status = 'gone' where session_id = ?", [session_id]
            )

    def job_payload(self, key: str) -> dict[str, Any] | None:
        rows = self.db.query("select payload from jobs where job_key = ?", [key])
        return json.loads(rows[0]["payload"]) if rows else None

    def failed_invitations(self, session_id: str) -> set[str]:
        """The participants whose invitation Slack would not take (their ids)."""
        rows = self.db.query(
            "select args from messages where session_id = ? and kind = 'invite'"
            " and status = 'failed'",
            [session_id],
        )
        return {json.loads(row["args"])["participant_id"] for row in rows}

    # -- Slack user facts ---------------------------------------------------------------------

    def cached_user(self, team_id: str, user_id: str) -> CachedUser | None:
        rows = self.db.query(
            "select name, tz, dm_channel, fetched_at, home_team from slack_users"
            " where team_id = ? and user_id = ?",
            [team_id, user_id],
        )
        if not rows:
            return None
        row = rows[0]
        fetched = from_text(row["fetched_at"]) if row["fetched_at"] else None
        return CachedUser(row["name"], row["tz"], row["dm_channel"], fetched, row["home_team"])

    def cache_user(self, team_id: str, user_id: str, **facts: Any) -> None:
        """Remember facts about a user (``name``, ``tz``, ``dm_channel``, ``fetched_at``,
        ``home_team``)."""
        if isinstance(facts.get("fetched_at"), datetime):
            facts["fetched_at"] = to_text(facts["fetched_at"])
        known = ("name", "tz", "dm_channel", "fetched_at", "home_team")
        names = [name for name in known if name in facts]
        columns = ", ".join(["team_id", "user_id", *names])
        marks = ", ".join("?" * (len(names) + 2))
        updates = ", ".join(f"{name} = excluded.{name}" for name in names)
        conflict = f"do update set {updates}" if updates else "do nothing"
        with self.db.transaction() as tx:
            tx.execute(
                f"insert into slack_users ({columns}) values ({marks})"
                f" on conflict (team_id, user_id) {conflict}",
                [team_id, user_id, *(facts[name] for name in names)],
            )


def _changed(tx: Tx, session_id: str) -> None:
    """The session changed for someone's calendar: its SEQUENCE goes up."""
    tx.execute("update sessions set sequence = sequence + 1 where session_id = ?", [session_id])


def _insert_participant(
    tx: Tx, participant: ParticipantRecord, session: SessionRecord, position: int, now: datetime
) -> None:
    tx.execute(
        f"insert into participants ({_PARTICIPANT_FIELDS}, position)"
        " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            *(getattr(participant, name) for name in ParticipantRecord.__dataclass_fields__),
            position,
        ],
    )
    # No reminder for someone Slack won't let us DM (another organisation's member).
    if participant.slack_user and not participant.external:
        rows = tx.execute(
            "select reminders from user_settings where team_id = ? and user_id = ?",
            [participant.team_id, participant.slack_user],
        )
        own = _leads(rows[0]["reminders"]) if rows else None
        leads = []
        for lead in lead_times(session, own):
            key = reminder_id_of(participant.participant_id, lead)
            tx.execute(
                "insert into reminders (reminder_id, participant_id, session_id, lead_minutes,"
                " due_at, status) values (?, ?, ?, ?, ?, 'pending')"
                " on conflict (reminder_id) do nothing",
                [key, participant.participant_id, session.session_id, lead, to_text(session.start)],
            )
            leads.append((key, lead))
        _plan(tx, leads, session.start, now)


def _plan(tx: Tx, leads: Sequence[tuple[str, int]], start: datetime, now: datetime) -> None:
    """Make one person's reminders (id, lead minutes) due for a session starting at `start`.

    Lead times already past when booked or moved are skipped while a later one is still to
    come: booked 30 minutes ahead with "1 day and 10 minutes before", only the 10-minute one
    comes. When all are past, the latest of them comes at once (booked 5 minutes ahead with
    "10 minutes before": a reminder now). The "Starting now" DM (lead 0) always stays.
    """
    late = [lead for _, lead in leads if lead > 0 and start - timedelta(minutes=lead) <= now]
    ahead = any(lead > 0 and lead not in late for _, lead in leads)
    keep = None if ahead else min(late, default=None)
    for key, lead in leads:
        skipped = lead in late and lead != keep
        # A "Starting now" that a snoozed reminder was folded into gives that DM back to it.
        tx.execute(
            "update reminders set due_at = ?, status = ?, sent_at = null, lease_until = null,"
            " channel = case when lead_minutes = 0 and snoozed = 1 then null else channel end,"
            " ts = case when lead_minutes = 0 and snoozed = 1 then null else ts end,"
            " snoozed = 0 where reminder_id = ?",
            [to_text(start - timedelta(minutes=lead)), "missed" if skipped else "pending", key],
        )


def _queue(tx: Tx, messages: Iterable[Message], now: datetime) -> None:
    for message in messages:
        tx.execute(
            "insert into messages (message_key, job_key, team_id, user_id, session_id, kind,"
            " args, status, created_at) values (?, ?, ?, ?, ?, ?, ?, 'pending', ?)"
            " on conflict (message_key) do nothing",
            [
                message.key,
                message.job_key,
                message.team_id,
                message.user_id,
                message.session_id,
                message.kind,
                json.dumps(message.args),
                to_text(now),
            ],
        )


def _remember_dm(tx: Tx, team_id: str, user_id: str, channel: str | None) -> None:
    """The D… channel of our DM with this person: where to look for a DM an attempt that
    died may have sent."""
    if channel and channel.startswith("D"):
        tx.execute(
            "insert into slack_users (team_id, user_id, dm_channel) values (?, ?, ?)"
            " on conflict (team_id, user_id) do update set dm_channel = excluded.dm_channel",
            [team_id, user_id, channel],
        )


def _record_step(tx: Tx, step: tuple[str, str, Any] | None) -> None:
    if step is not None:
        job_key, name, result = step
        tx.execute(
            "insert into job_steps (job_key, step, result) values (?, ?, ?)",
            [job_key, name, json.dumps(result)],
        )
