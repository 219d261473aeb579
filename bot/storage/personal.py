"""Each person's own choices (their reminder lead times, when their morning list comes) and
the morning lists sent, one per person per local day::

    personal = PersonalStore(store)
    personal.save("T1", "U1", reminders=(60,), morning="07:30")
    personal.settings("T1", "U1")           # Choices(reminders=(60,), morning='07:30')
    personal.claim_morning("T1", "U1", "2030-03-19", now, lease)   # once per day: True, then False

A morning list is claimed under a lease before it is posted and marked sent with where it
went, like a reminder: a worker that dies holding one loses it when the lease runs out, and
the next one looks in the DM's history (by its mark) before posting again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.storage.store import (
    ParticipantRecord,
    SessionRecord,
    Store,
    _participant,
    _session,
    from_text,
    to_text,
)

# When the morning list comes unless a person chooses otherwise (their own zone's wall clock).
DEFAULT_MORNING = "08:00"


@dataclass(frozen=True)
class Choices:
    # Lead times in minutes, largest first; () for "no reminder"; None: the app's default.
    reminders: tuple[int, ...] | None = None
    # "HH:MM" in the person's zone, or "off".
    morning: str = DEFAULT_MORNING


@dataclass(frozen=True)
class Attendance:
    """One person on Slack in one session, with what their morning list needs."""

    session: SessionRecord
    participant: ParticipantRecord
    tz: str | None
    morning: str


@dataclass(frozen=True)
class MorningClaim:
    # Claimed before by a sender that died: it may have reached Slack already.
    uncertain: bool


class PersonalStore:
    def __init__(self, store: Store) -> None:
        self.db = store.db

    def settings(self, team_id: str, user_id: str) -> Choices:
        rows = self.db.query(
            "select reminders, morning from user_settings where team_id = ? and user_id = ?",
            [team_id, user_id],
        )
        if not rows:
            return Choices()
        leads = rows[0]["reminders"]
        return Choices(
            reminders=None if leads is None else tuple(json.loads(leads)),
            morning=rows[0]["morning"] or DEFAULT_MORNING,
        )

    def save(
        self,
        team_id: str,
        user_id: str,
        *,
        reminders: tuple[int, ...] | None = None,
        morning: str | None = None,
    ) -> Choices:
        """Change what is given; keep the rest. Returns the settings as they are now."""
        now = self.settings(team_id, user_id)
        leads = now.reminders if reminders is None else tuple(sorted(set(reminders), reverse=True))
        with self.db.transaction() as tx:
            tx.execute(
                "insert into user_settings (team_id, user_id, reminders, morning)"
                " values (?, ?, ?, ?) on conflict (team_id, user_id) do update set"
                " reminders = excluded.reminders, morning = excluded.morning",
                [
                    team_id,
                    user_id,
                    None if leads is None else json.dumps(list(leads)),
                    morning or now.morning,
                ],
            )
        return self.settings(team_id, user_id)

    def clear_reminders(self, team_id: str, user_id: str) -> None:
        """Back to the app's default lead time."""
        with self.db.transaction() as tx:
            tx.execute(
                "update user_settings set reminders = null where team_id = ? and user_id = ?",
                [team_id, user_id],
            )

    def sessions_between(self, since: datetime, until: datetime) -> list[Attendance]:
        """Everyone on Slack in a booked session that ends after `since` and starts before
        `until`, with the session, their own participant record, their zone (as last cached)
        and morning time: the only people who may be owed a morning list, in one query."""
        rows = self.db.query(
            f"""
            select {", ".join(f"p.{name}" for name in ParticipantRecord.__dataclass_fields__)},
              s.title, s.start_at, s.end_at, s.booked_by, s.reminder_minutes, s.reminders,
              s.status as session_status, u.tz, us.morning
            from participants p join sessions s on s.session_id = p.session_id
            left join slack_users u on u.team_id = p.team_id and u.user_id = p.slack_user
            left join user_settings us on us.team_id = p.team_id and us.user_id = p.slack_user
            where s.status = 'booked' and p.status = 'active' and p.slack_user is not null
              and p.home_team is null and s.end_at > ? and s.start_at < ?
            order by s.start_at, s.session_id
            """,
            [to_text(since), to_text(until)],
        )
        return [
            Attendance(
                session=_session({**row, "status": row["session_status"]}),
                participant=_participant(row),
                tz=row["tz"],
                morning=row["morning"] or DEFAULT_MORNING,
            )
            for row in rows
        ]

    def mornings_taken(self, since_day: str, now: datetime) -> set[tuple[str, str, str]]:
        """(team, user, day) of the morning lists from `since_day` on that are sent, or being
        sent by a worker still alive: nothing to do for those."""
        rows = self.db.query(
            "select team_id, user_id, day from morning_lists where day >= ?"
            " and (status <> 'sending' or lease_until >= ?)",
            [since_day, to_text(now)],
        )
        return {(row["team_id"], row["user_id"], row["day"]) for row in rows}

    def claim_morning(
        self, team_id: str, user_id: str, day: str, now: datetime, lease: timedelta
    ) -> MorningClaim | None:
        """Take the morning list of `day` (the person's local date) for sending, once: None
        when it was sent, or is being sent by a worker that is alive."""
        with self.db.transaction() as tx:
            taken = tx.execute(
                "insert into morning_lists (team_id, user_id, day, status, lease_until)"
                " values (?, ?, ?, 'sending', ?) on conflict (team_id, user_id, day) do nothing"
                " returning day",
                [team_id, user_id, day, to_text(now + lease)],
            )
            if taken:
                return MorningClaim(uncertain=False)
            retaken = tx.execute(
                "update morning_lists set lease_until = ?"
                " where team_id = ? and user_id = ? and day = ? and status = 'sending'"
                " and lease_until < ? returning day",
                [to_text(now + lease), team_id, user_id, day, to_text(now)],
            )
            return MorningClaim(uncertain=True) if retaken else None

    def finish_morning(
        self,
        team_id: str,
        user_id: str,
        day: str,
        now: datetime,
        *,
        channel: str | None = None,
        ts: str | None = None,
        status: str = "sent",
        retry_after: timedelta | None = None,
    ) -> None:
        """Sent (with where it went), or "empty" (nothing left to list), or — with
        `retry_after` — Slack would not take it: tried again after that long."""
        with self.db.transaction() as tx:
            if retry_after is not None:
                tx.execute(
                    "update morning_lists set lease_until = ?"
                    " where team_id = ? and user_id = ? and day = ? and status = 'sending'",
                    [to_text(now + retry_after), team_id, user_id, day],
                )
                return
            tx.execute(
                "update morning_lists set status = ?, channel = ?, ts = ?, sent_at = ?,"
                " lease_until = null where team_id = ? and user_id = ? and day = ?",
                [status, channel, ts, to_text(now), team_id, user_id, day],
            )

    def morning_sent(self, team_id: str, user_id: str) -> list[tuple[str, datetime]]:
        """The days this person's list went out, and when: for tests and the shell."""
        rows = self.db.query(
            "select day, sent_at from morning_lists where team_id = ? and user_id = ?"
            " and status = 'sent' order by day",
            [team_id, user_id],
        )
        return [(row["day"], from_text(row["sent_at"])) for row in rows]
