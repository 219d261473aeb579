"""Entry through a participant's own link, with the seed's "let in" rule.

Each participant's ``entry_url`` is ``<public_url>/session/<participant_id>``. The participant
id is the secret that opens it: whoever holds the link is that participant. The rules:

- **Hosts enter directly; guests wait** in a waiting room until a host who is *in* the session
  lets them in (``admit``). A host can also remove a guest, waiting or in.
- **When the link opens:** from ``EARLY_OPEN`` (10 minutes) before the start until the end.
  Earlier, ``not_open_yet`` (403, with ``Retry-After``); afterwards ``session_ended`` (410).
  A cancelled session or participant answers 410; an unknown link 404.
- **Presence is heard, not assumed:** every call from the page (it polls ``state``) refreshes
  ``last_seen``. Someone not heard from for ``PRESENCE_TIMEOUT`` has left (a closed tab sends
  nothing); when the session ends or is cancelled everyone still there leaves with it. These
  are settled lazily, by ``_sweep``, at the next call that looks at the session.
- **Everything is recorded:** ``entered``, ``admitted``, ``removed`` and ``left`` events with
  their time, in ``entry_events``; ``summary`` shapes them per participant for the API client.
- **No page learns another participant's id:** people are shown by display name and picture;
  hosts act on guests through an opaque token that is new at every entry.

Opening the page (``GET``) changes nothing, so a link unfurler or a prefetch does not put
anyone in the waiting room; the page's script ``enter``\\ s when a person has it open::

    entry = EntryService(store)
    entry.enter(host_id, now)                  # {"status": "in", ...}
    state = entry.enter(guest_id, now)         # {"status": "waiting", ...}
    token = entry.state(host_id, now)["waiting"][0]["token"]
    entry.admit(host_id, token, now)           # the guest's next state() says "in"
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.coviu.dates import to_rfc1123
from bot.coviu.server.auth import Caller
from bot.coviu.server.errors import ApiError, not_found
from bot.coviu.server.store import Row, Store, db_time, from_db_time
from bot.coviu.server.webhooks import Webhooks
from bot.coviu.server.webhooks import event as webhook_event

# How early a link opens before the session's start: time to test a camera and sit down.
EARLY_OPEN = timedelta(minutes=10)
# Silence after which someone counts as gone. Pages poll every ~1.5 s, but browsers slow timers
# in background tabs to once a minute, so anything under a minute would drop a host who merely
# switched tabs.
PRESENCE_TIMEOUT = timedelta(minutes=2)
# How often the page asks for the state, in milliseconds (handed to the page's script).
POLL_MS = 1500

ACTIVE = ("waiting", "in")

# What a page shows for each status (the guest's page says who is waited for, see _message).
_MESSAGES = {
    "in": "You're in the session.",
    "left": "You left the session.",
    "removed": "A host removed you from the session.",
    "timed_out": "You were away for a while, so you were marked as left.",
    "not_entered": "Joining…",
}


@dataclass(frozen=True)
class Entry:
    """A participant looked up by link, with their session."""

    participant: Row
    session: Row

    @property
    def is_host(self) -> bool:
        return self.participant["role"] == "HOST"

    @property
    def display_name(self) -> str:
        return display_name(self.participant)

    @property
    def opens_at(self) -> datetime:
        return from_db_time(self.session["start_time"]) - EARLY_OPEN


def display_name(participant: Row) -> str:
    """The name to show; a role word when the API client gave none."""
    name = (participant.get("display_name") or "").strip()
    return name or ("Host" if participant["role"] == "HOST" else "Guest")


def safe_picture(url: str | None) -> str | None:
    """Only http(s) pictures are shown: a stored ``javascript:`` or ``data:`` URL is dropped."""
    if url and url.lower().startswith(("https://", "http://")):
        return url
    return None


def not_open_yet(entry: Entry, now: datetime) -> ApiError:
    opens = entry.opens_at
    wait = max(1, int((opens - now).total_seconds()))
    return ApiError(
        403,
        "not_open_yet",
        f"This session opens at {to_rfc1123(opens)}, {EARLY_OPEN.seconds // 60} minutes "
        "before it starts.",
        headers={"Retry-After": str(wait)},
    )


class EntryService:
    def __init__(self, store: Store, hooks: Webhooks | None = None) -> None:
        self.store = store
        self.hooks = hooks or Webhooks()

    # -- lookups and the door ------------------------------------------------------------------

    def lookup(self, participant_id: str) -> Entry:
        """The participant behind a link (any team: the id is the secret), or 404."""
        participant = self.store.query_one(
            "SELECT * FROM participants WHERE id = ?", [participant_id]
        )
        if participant is None:
            raise ApiError(404, "unknown_link", "This link does not lead to any session.")
        session = self.store.query_one(
            "SELECT * FROM sessions WHERE id = ?", [participant["session_id"]]
        )
        assert session is not None  # a foreign key guarantees it
        return Entry(participant, session)

    def check_door(self, entry: Entry, now: datetime) -> None:
        """Raise the refusal for this link at ``now``, if any (the order is the page's)."""
        if entry.session["canceled_time"] is not None:
            raise ApiError(410, "session_cancelled", "This session was cancelled.")
        if entry.participant["deleted_at"] is not None:
            raise ApiError(410, "participant_cancelled", "This link was cancelled.")
        if entry.session["end_time"] <= db_time(now):
            raise ApiError(410, "session_ended", "This session has ended.")
        if now < entry.opens_at:
            raise not_open_yet(entry, now)

    def view(self, participant_id: str, now: datetime) -> Entry:
        """For ``GET /session/<id>``: the entry if its door is open, else the refusal. Read-only."""
        entry = self.lookup(participant_id)
        self.check_door(entry, now)
        return entry

    # -- what the page calls -------------------------------------------------------------------

    def enter(self, participant_id: str, now: datetime) -> dict[str, Any]:
        """Come in: a host is in at once, a guest waits. Coming back while present (a reload)
        keeps one's place and records nothing."""
        self._settle(participant_id, now)
        with self.store.transaction() as db:
            entry = self._open(participant_id, now)
            presence = self._presence(participant_id)
            if presence is not None and presence["status"] in ACTIVE:
                db["entry_presence"].update(participant_id, {"last_seen": db_time(now)})
            else:
                status = "in" if entry.is_host else "waiting"
                db["entry_presence"].upsert(
                    {
                        "participant_id": participant_id,
                        "session_id": entry.session["id"],
                        # New at each entry, so a host's click on a stale row cannot act on
                        # the guest's next visit.
                        "token": secrets.token_urlsafe(12),
                        "status": status,
                        "entered_at": db_time(now),
                        "last_seen": db_time(now),
                    },
                    pk="participant_id",
                )
                self._record(entry, "entered", now)
            return self._state(entry, now)

    def state(self, participant_id: str, now: datetime) -> dict[str, Any]:
        """What the page shows now; also the heartbeat that keeps its holder present."""
        self._settle(participant_id, now)
        with self.store.transaction() as db:
            entry = self._open(participant_id, now)
            presence = self._presence(participant_id)
            if presence is not None and presence["status"] in ACTIVE:
                changes = {"last_seen": db_time(now)}
                if presence["status"] == "waiting" and entry.is_host:
                    # Made a host (PUT /v1/participants) while waiting: hosts need no letting in.
                    changes["status"] = "in"
                    self._record(entry, "admitted", now)
                db["entry_presence"].update(participant_id, changes)
            return self._state(entry, now)

    def admit(self, participant_id: str, token: str, now: datetime) -> dict[str, Any]:
        """A host who is in lets a waiting guest in. Answers the host's new state."""
        self._settle(participant_id, now)
        with self.store.transaction() as db:
            host = self._acting_host(participant_id, now)
            target = self._target(host, token)
            if target["status"] != "waiting":
                raise ApiError(409, "not_waiting", "That person is not waiting any more.")
            db["entry_presence"].update(
                target["participant_id"], {"status": "in", "last_seen": db_time(now)}
            )
            self._record_for(host.session["id"], target["participant_id"], "admitted", now,
                             by=participant_id)  # fmt: skip
            return self._state(host, now)

    def remove(self, participant_id: str, token: str, now: datetime) -> dict[str, Any]:
        """A host who is in removes a guest, waiting or in. Opening the link again puts the
        guest back in the waiting room, where a host decides again."""
        self._settle(participant_id, now)
        with self.store.transaction() as db:
            host = self._acting_host(participant_id, now)
            target = self._target(host, token)
            if target["status"] not in ACTIVE:
                raise ApiError(409, "not_present", "That person has already gone.")
            db["entry_presence"].update(target["participant_id"], {"status": "removed"})
            self._record_for(host.session["id"], target["participant_id"], "removed", now,
                             by=participant_id)  # fmt: skip
            self._maybe_call_end(host.session["id"], target["status"] == "in", now)
            return self._state(host, now)

    def leave(self, participant_id: str, now: datetime) -> dict[str, Any]:
        """Leave (the page's Leave button). Leaving twice records one exit."""
        self._settle(participant_id, now)
        with self.store.transaction():
            entry = self._open(participant_id, now)
            presence = self._presence(participant_id)
            if presence is not None and presence["status"] in ACTIVE:
                self._close(entry.session["id"], participant_id, "left", now)
            return self._state(entry, now)

    # -- the API client's view -----------------------------------------------------------------

    def summary(self, caller: Caller, session_id: str, now: datetime) -> dict[str, Any]:
        """``GET /v1/sessions/<id>/summary``: per participant, when they entered and left."""
        with self.store.transaction():
            session = self.store.session(session_id, caller.team_id)
            if session is None:
                raise not_found("session", session_id)
            self._sweep(session, now)
            participants = self.store.participants_of([session_id], include_deleted=True)
            events = self.store.query(
                "SELECT * FROM entry_events WHERE session_id = ? ORDER BY id", [session_id]
            )
            presence = {
                row["participant_id"]: row
                for row in self.store.query(
                    "SELECT * FROM entry_presence WHERE session_id = ?", [session_id]
                )
            }
        by_participant: dict[str, list[Row]] = {}
        for event in events:
            by_participant.setdefault(event["participant_id"], []).append(event)
        roles = {p["id"]: p["role"] for p in participants[session_id]}
        actual_start, actual_end = _call_times(events, roles)
        return {
            "session_id": session["id"],
            "session_name": session["session_name"],
            "start_time": to_rfc1123(from_db_time(session["start_time"])),
            "end_time": to_rfc1123(from_db_time(session["end_time"])),
            "canceled_time": _rfc(session["canceled_time"]),
            "actual_start_time": _rfc(actual_start),
            "actual_end_time": _rfc(actual_end),
            "participants": [
                _participant_summary(p, by_participant.get(p["id"], []), presence.get(p["id"]))
                for p in participants[session_id]
            ],
            "events": [_event_out(event, with_participant=True) for event in events],
        }

    # -- inside a transaction ------------------------------------------------------------------

    def _settle(self, participant_id: str, now: datetime) -> None:
        """Settle the session's presences in a transaction of their own, before the call
        itself: a refusal that follows ("This session has ended.") must not roll back who
        left with the session's end, or its ``participant:leave`` and ``call:end`` webhooks
        would never be sent."""
        with self.store.transaction():
            row = self.store.query_one(
                "SELECT s.* FROM sessions s JOIN participants p ON p.session_id = s.id"
                " WHERE p.id = ?",
                [participant_id],
            )
            if row is not None:
                self._sweep(row, now)

    def _open(self, participant_id: str, now: datetime) -> Entry:
        """Look up, settle the session's presences, then check the door."""
        entry = self.lookup(participant_id)
        self._sweep(entry.session, now)
        self.check_door(entry, now)
        return entry

    def _presence(self, participant_id: str) -> Row | None:
        return self.store.query_one(
            "SELECT * FROM entry_presence WHERE participant_id = ?", [participant_id]
        )

    def _acting_host(self, participant_id: str, now: datetime) -> Entry:
        entry = self._open(participant_id, now)
        if not entry.is_host:
            raise ApiError(403, "not_a_host", "Only a host can let people in or remove them.")
        presence = self._presence(participant_id)
        if presence is None or presence["status"] != "in":
            raise ApiError(409, "not_in_session", "Enter the session first.")
        self.store.db["entry_presence"].update(participant_id, {"last_seen": db_time(now)})
        return entry

    def _target(self, host: Entry, token: str) -> Row:
        row = self.store.query_one(
            "SELECT e.*, p.role FROM entry_presence e JOIN participants p "
            "ON p.id = e.participant_id WHERE e.token = ? AND e.session_id = ?",
            [token, host.session["id"]],
        )
        if row is None:
            raise ApiError(404, "unknown_token", "Nobody in this session has that token.")
        if row["role"] != "GUEST":
            raise ApiError(403, "not_a_guest", "Hosts cannot be let in or removed.")
        return row

    def _sweep(self, session: Row, now: datetime) -> None:
        """Settle who has gone without saying so: anyone silent for ``PRESENCE_TIMEOUT`` (gone
        when last heard from), and everyone still there when the session ended or was
        cancelled or their own link was (gone at that moment)."""
        session_id = session["id"]
        active = self.store.query(
            "SELECT e.participant_id, e.last_seen, p.deleted_at FROM entry_presence e "
            "JOIN participants p ON p.id = e.participant_id "
            "WHERE e.session_id = ? AND e.status IN ('waiting', 'in')",
            [session_id],
        )
        for row in active:
            closings = []  # (when, why), all in the stored text form, so they compare as times
            if session["canceled_time"] is not None:
                closings.append((session["canceled_time"], "session_cancelled"))
            if session["end_time"] <= db_time(now):
                closings.append((session["end_time"], "session_ended"))
            if row["deleted_at"] is not None:
                closings.append((row["deleted_at"], "participant_cancelled"))
            first_close = min(closings)[0] if closings else db_time(now)
            pid = row["participant_id"]
            if _plus(row["last_seen"], PRESENCE_TIMEOUT) < first_close:
                self._close(session_id, pid, "timed_out", row["last_seen"], reason="timed_out")
            elif closings:
                at, reason = min(closings)
                self._close(session_id, pid, "closed", at, reason=reason)

    def _close(
        self,
        session_id: str,
        participant_id: str,
        status: str,
        at: str | datetime,
        reason: str = "left",
    ) -> None:
        before = self._presence(participant_id)
        self.store.db["entry_presence"].update(participant_id, {"status": status})
        self._record_for(session_id, participant_id, "left", at, reason=reason)
        was_in = before is not None and before["status"] == "in"
        self._maybe_call_end(session_id, was_in, at)

    def _maybe_call_end(self, session_id: str, was_in: bool, at: str | datetime) -> None:
        """``call:end`` when the last person in the call has just gone, after the start."""
        if not (was_in and self.hooks.enabled):
            return
        when = at if isinstance(at, str) else db_time(at)
        row = self.store.query_one(
            "SELECT s.team_id, s.start_time, (SELECT COUNT(*) FROM entry_presence e "
            "WHERE e.session_id = s.id AND e.status = 'in') AS still_in "
            "FROM sessions s WHERE s.id = ?",
            [session_id],
        )
        if row is None or row["still_in"] or when < row["start_time"]:
            return
        body = webhook_event(
            "call:end", from_db_time(when), {"teamId": row["team_id"], "sessionId": session_id}
        )
        self.store.after_commit(lambda: self.hooks.send(body))

    def _record(self, entry: Entry, event: str, at: datetime) -> None:
        self._record_for(entry.session["id"], entry.participant["id"], event, at)

    def _record_for(
        self,
        session_id: str,
        participant_id: str,
        event: str,
        at: str | datetime,
        by: str | None = None,
        reason: str | None = None,
    ) -> None:
        when = at if isinstance(at, str) else db_time(at)
        self.store.db["entry_events"].insert(
            {
                "session_id": session_id,
                "participant_id": participant_id,
                "event": event,
                "at": when,
                "by_participant_id": by,
                "reason": reason,
            }
        )
        if self.hooks.enabled:
            self._hook(session_id, participant_id, event, when, by, reason)

    def _hook(
        self,
        session_id: str,
        participant_id: str,
        what: str,
        when: str,
        by: str | None,
        reason: str | None,
    ) -> None:
        """Queue the webhook of one recorded entry event, to go once the change commits."""
        row = self.store.query_one(
            "SELECT p.role, s.team_id FROM participants p JOIN sessions s ON s.id = p.session_id "
            "WHERE p.id = ?",
            [participant_id],
        )
        if row is None:  # pragma: no cover - a foreign key guarantees it
            return
        payload: dict[str, Any] = {
            "teamId": row["team_id"],
            "sessionId": session_id,
            "participantId": participant_id,
            "role": row["role"],
        }
        if what == "entered":
            kind = "participant:join"
            payload["status"] = "in" if row["role"] == "HOST" else "waiting"
        elif what == "admitted":
            kind = "waitingarea:answer"
            payload["byParticipantId"] = by
        else:  # left or removed
            kind = "participant:leave"
            payload["reason"] = "removed" if what == "removed" else reason
            if by is not None:
                payload["byParticipantId"] = by
        body = webhook_event(kind, from_db_time(when), payload)
        self.store.after_commit(lambda: self.hooks.send(body))

    def _state(self, entry: Entry, now: datetime) -> dict[str, Any]:
        """The page's view. Other people appear by name, picture and role only; a host also
        gets each guest's per-entry token to act on, never an id."""
        del now
        session = entry.session
        me = entry.participant["id"]
        rows = self.store.query(
            "SELECT e.participant_id, e.token, e.status, e.entered_at, p.display_name, p.role, "
            "p.picture FROM entry_presence e JOIN participants p ON p.id = e.participant_id "
            "WHERE e.session_id = ? AND e.status IN ('waiting', 'in') "
            # Hosts first, then in order of arrival.
            "ORDER BY p.role = 'GUEST', e.entered_at, e.rowid",
            [session["id"]],
        )
        presence = self._presence(me)
        status = presence["status"] if presence is not None else "not_entered"
        if status == "closed":  # closed by a sweep: the door check has answered already
            status = "left"
        host_in = any(r["role"] == "HOST" and r["status"] == "in" for r in rows)

        def person(row: Row, with_token: bool) -> dict[str, Any]:
            shown: dict[str, Any] = {
                "display_name": display_name(row),
                "role": row["role"],
                "picture": safe_picture(row["picture"]),
                "you": row["participant_id"] == me,
            }
            if with_token and row["role"] == "GUEST" and row["participant_id"] != me:
                shown["token"] = row["token"]
            return shown

        state: dict[str, Any] = {
            "status": status,
            "message": _message(status, entry.is_host, host_in),
            "role": entry.participant["role"],
            "host_in": host_in,
            "poll_ms": POLL_MS,
        }
        in_call = [r for r in rows if r["status"] == "in"]
        if entry.is_host:
            state["waiting"] = [
                person(r, True) | {"since": r["entered_at"]}
                for r in rows
                if r["status"] == "waiting"
            ]
            state["people"] = [person(r, True) for r in in_call]
        else:
            # A waiting guest learns only whether a host is there; who else is in the call is
            # for those in it.
            state["waiting"] = []
            state["people"] = [person(r, False) for r in in_call] if status == "in" else []
        return state


def _message(status: str, is_host: bool, host_in: bool) -> str:
    if status == "waiting":
        if host_in:
            return "You're in the waiting room. Your host knows you're here and will let you in."
        return "You're in the waiting room. Your host will let you in when they arrive."
    if status == "in" and not is_host:
        return "You're in the session. Your host let you in."
    return _MESSAGES.get(status, status)


def _plus(text: str, delta: timedelta) -> str:
    return db_time(from_db_time(text) + delta)


def _rfc(text: str | None) -> str | None:
    return None if text is None else to_rfc1123(from_db_time(text))


def _call_times(events: list[Row], roles: dict[str, str]) -> tuple[str | None, str | None]:
    """When the call really began (the first moment anyone was in it: a host's entry, a
    guest's admission) and ended (the last moment it emptied; None while anyone is in)."""
    inside: set[str] = set()
    began = ended = None
    for event in events:
        who, what = event["participant_id"], event["event"]
        if what == "admitted" or (what == "entered" and roles.get(who) == "HOST"):
            if not inside and began is None:
                began = event["at"]
            inside.add(who)
            ended = None
        elif what in ("left", "removed") and who in inside:
            inside.discard(who)
            if not inside:
                ended = event["at"]
    return began, (ended if not inside else None)


def _event_out(event: Row, with_participant: bool = False) -> dict[str, Any]:
    shown: dict[str, Any] = {}
    if with_participant:
        shown["participant_id"] = event["participant_id"]
    shown |= {
        "event": event["event"],
        "time": _rfc(event["at"]),
        "by_participant_id": event["by_participant_id"],
        "reason": event["reason"],
    }
    return shown


def _participant_summary(
    participant: Row, events: list[Row], presence: Row | None
) -> dict[str, Any]:
    """One participant's line of the summary.

    ``entered_time``: first arrival (for a guest, in the waiting room); ``joined_time``: first
    time in the call itself (a host's entry, a guest's admission); ``left_time``: the last exit
    or removal, ``null`` while still present; ``status``: ``waiting``, ``in``, ``left``,
    ``removed`` or ``never_entered``.
    """
    entered = next((e["at"] for e in events if e["event"] == "entered"), None)
    if participant["role"] == "HOST":
        joined = entered
    else:
        joined = next((e["at"] for e in events if e["event"] == "admitted"), None)
    exits = [e["at"] for e in events if e["event"] in ("left", "removed")]
    status = "never_entered"
    if presence is not None:
        status = presence["status"]
        if status in ("timed_out", "closed"):
            status = "left"
    left = exits[-1] if exits and status not in ACTIVE else None
    return {
        "participant_id": participant["id"],
        "display_name": participant["display_name"],
        "role": participant["role"],
        "picture": participant["picture"],
        "deleted_at": _rfc(participant["deleted_at"]),
        "status": status,
        "entered_time": _rfc(entered),
        "joined_time": _rfc(joined),
        "left_time": _rfc(left),
        "events": [_event_out(e) for e in events],
    }
