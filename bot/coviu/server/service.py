"""The rules of sessions and participants, independent of HTTP.

Each operation takes the caller (its team), the validated input and ``now``; it answers the
seed's response shape as a dict, or raises ``ApiError`` naming the rule::

    sessions = SessionService(store, public_url="http://127.0.0.1:8080")
    created = sessions.create(caller, SessionCreate.model_validate(body), now)
    sessions.cancel(caller, created["session_id"], now)   # {"ok": True}

State rules answer 409 (``session_started``, ``session_ended``, ``session_cancelled``,
``participant_cancelled``); input rules answer 400 with the field; another team's ids answer 404
exactly like ids that do not exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.coviu.dates import to_rfc1123
from bot.coviu.server.auth import Caller
from bot.coviu.server.errors import ApiError, not_found
from bot.coviu.server.schemas import (
    ParticipantIn,
    ParticipantUpdate,
    SessionCreate,
    SessionUpdate,
)
from bot.coviu.server.store import ListQuery, Row, Store, db_time, from_db_time
from bot.coviu.server.webhooks import Webhooks
from bot.coviu.server.webhooks import event as webhook_event


def _out_time(text: str | None) -> str | None:
    return None if text is None else to_rfc1123(from_db_time(text))


def _conflict(code: str, message: str) -> ApiError:
    return ApiError(409, code, message)


class SessionService:
    def __init__(self, store: Store, public_url: str, hooks: Webhooks | None = None) -> None:
        self.store = store
        # Entry links are <public_url>/session/<participant_id>; tolerate a trailing slash.
        self.public_url = public_url.rstrip("/")
        self.hooks = hooks or Webhooks()

    def _hook(self, kind: str, session: Row, now: datetime) -> None:
        """Queue ``session:create|update|cancel``, to go once the change commits."""
        payload = {
            "teamId": session["team_id"],
            "sessionId": session["id"],
            "clientId": session["client_id"],
        }
        body = webhook_event(kind, now, payload)
        self.store.after_commit(lambda: self.hooks.send(body))

    # -- shaping -----------------------------------------------------------------------------------

    def participant_out(self, row: Row) -> dict[str, Any]:
        return {
            "client_id": row["client_id"],
            "display_name": row["display_name"],
            "entry_url": f"{self.public_url}/session/{row['id']}",
            "participant_id": row["id"],
            "picture": row["picture"],
            "role": row["role"],
            "session_id": row["session_id"],
            "state": row["state"],
            "deleted_at": _out_time(row["deleted_at"]),
        }

    def session_out(self, row: Row, participants: Sequence[Row]) -> dict[str, Any]:
        return {
            "session_id": row["id"],
            "session_name": row["session_name"],
            "start_time": _out_time(row["start_time"]),
            "end_time": _out_time(row["end_time"]),
            "picture": row["picture"],
            "team_id": row["team_id"],
            "client_id": row["client_id"],
            "participants": [self.participant_out(p) for p in participants],
            "canceled_time": _out_time(row["canceled_time"]),
        }

    def _session_with_participants(
        self, row: Row, deleted_participants: bool = False
    ) -> dict[str, Any]:
        participants = self.store.participants_of([row["id"]], deleted_participants)
        return self.session_out(row, participants[row["id"]])

    # -- lookups -----------------------------------------------------------------------------------

    def _session(self, caller: Caller, session_id: str) -> Row:
        row = self.store.session(session_id, caller.team_id)
        if row is None:
            raise not_found("session", session_id)
        return row

    def _participant(self, caller: Caller, participant_id: str) -> Row:
        row = self.store.participant(participant_id, caller.team_id)
        if row is None:
            raise not_found("participant", participant_id)
        return row

    @staticmethod
    def _refuse_if_ended_or_cancelled(row: Row, now: datetime, action: str) -> None:
        """A started session may still change; an ended or cancelled one may not."""
        if row["canceled_time"] is not None:
            raise _conflict("session_cancelled", f"the session is cancelled: cannot {action}")
        if row["end_time"] <= db_time(now):
            raise _conflict("session_ended", f"the session has ended: cannot {action}")

    @staticmethod
    def _check_times(start: datetime, end: datetime) -> None:
        if end <= start:
            raise ApiError(
                400, "end_not_after_start", "end_time: must be after start_time", field="end_time"
            )

    def _participant_row(
        self, caller: Caller, session_id: str, data: ParticipantIn, now: datetime
    ) -> Row:
        return {
            "id": str(uuid.uuid4()),
            "session_id": session_id,
            "client_id": caller.client_id,
            "display_name": data.display_name,
            "picture": data.picture,
            "role": data.role,
            "state": data.state,
            "deleted_at": None,
            "created_at": db_time(now),
        }

    # -- sessions ----------------------------------------------------------------------------------

    def create(self, caller: Caller, data: SessionCreate, now: datetime) -> dict[str, Any]:
        if data.start_time <= now:
            raise ApiError(
                400, "start_in_past", "start_time: must be in the future", field="start_time"
            )
        self._check_times(data.start_time, data.end_time)
        session = {
            "id": str(uuid.uuid4()),
            "team_id": caller.team_id,
            "client_id": caller.client_id,
            "session_name": data.session_name,
            "picture": data.picture,
            "start_time": db_time(data.start_time),
            "end_time": db_time(data.end_time),
            "canceled_time": None,
            "created_at": db_time(now),
        }
        participants = [
            self._participant_row(caller, session["id"], p, now) for p in data.participants
        ]
        with self.store.transaction() as db:
            db["sessions"].insert(session)
            if participants:
                db["participants"].insert_all(participants)
            self._hook("session:create", session, now)
        return self.session_out(session, participants)

    def get(self, caller: Caller, session_id: str, deleted_participants: bool) -> dict[str, Any]:
        return self._session_with_participants(
            self._session(caller, session_id), deleted_participants
        )

    def update(
        self, caller: Caller, session_id: str, data: SessionUpdate, now: datetime
    ) -> dict[str, Any]:
        given = data.model_fields_set
        for name in ("start_time", "end_time"):
            if name in given and getattr(data, name) is None:
                raise ApiError(400, "invalid_field", f"{name}: may not be null", field=name)
        with self.store.transaction():
            row = self._session(caller, session_id)
            self._refuse_if_ended_or_cancelled(row, now, "update it")
            start = data.start_time or from_db_time(row["start_time"])
            end = data.end_time or from_db_time(row["end_time"])
            # A start that moves must move to the future; re-sending the current start (a full
            # PUT of a running session) is fine.
            if db_time(start) != row["start_time"] and start <= now:
                raise ApiError(
                    400, "start_in_past", "start_time: must be in the future", field="start_time"
                )
            self._check_times(start, end)
            changes: Row = {"start_time": db_time(start), "end_time": db_time(end)}
            for name in ("session_name", "picture"):
                if name in given:
                    changes[name] = getattr(data, name)
            self.store.db["sessions"].update(session_id, changes)
            row = row | changes
            self._hook("session:update", row, now)
        return self._session_with_participants(row)

    def cancel(self, caller: Caller, session_id: str, now: datetime) -> dict[str, Any]:
        with self.store.transaction():
            row = self._session(caller, session_id)
            if row["canceled_time"] is not None:
                # Cancelling twice is harmless (a client may retry a DELETE); it stays cancelled
                # from the first time.
                return {"ok": True}
            if row["start_time"] <= db_time(now):
                code = "session_ended" if row["end_time"] <= db_time(now) else "session_started"
                raise _conflict(code, "the session has already started: it cannot be cancelled")
            self.store.db["sessions"].update(session_id, {"canceled_time": db_time(now)})
            self._hook("session:cancel", row, now)
        return {"ok": True}

    def list(self, caller: Caller, query: ListQuery) -> dict[str, Any]:
        if query.team_id != caller.team_id:  # pragma: no cover - a programming error
            raise ValueError("query for another team")
        rows, more = self.store.list_sessions(query)
        participants = self.store.participants_of(
            [row["id"] for row in rows], query.deleted_participants
        )
        return {
            "content": [self.session_out(row, participants[row["id"]]) for row in rows],
            "page": query.page,
            "page_size": query.page_size,
            "more": more,
        }

    # -- participants ------------------------------------------------------------------------------

    def add_participant(
        self, caller: Caller, session_id: str, data: ParticipantIn, now: datetime
    ) -> dict[str, Any]:
        with self.store.transaction() as db:
            row = self._session(caller, session_id)
            self._refuse_if_ended_or_cancelled(row, now, "add participants")
            participant = self._participant_row(caller, session_id, data, now)
            db["participants"].insert(participant)
        return self.participant_out(participant)

    def participants(
        self, caller: Caller, session_id: str, deleted_participants: bool
    ) -> list[dict[str, Any]]:
        self._session(caller, session_id)
        rows = self.store.participants_of([session_id], deleted_participants)[session_id]
        return [self.participant_out(row) for row in rows]

    def get_participant(self, caller: Caller, participant_id: str) -> dict[str, Any]:
        return self.participant_out(self._participant(caller, participant_id))

    def update_participant(
        self, caller: Caller, participant_id: str, data: ParticipantUpdate, now: datetime
    ) -> dict[str, Any]:
        del now  # the spec puts no time rule on participant updates
        with self.store.transaction() as db:
            row = self._participant(caller, participant_id)
            if row["session_canceled"] is not None:
                raise _conflict(
                    "session_cancelled", "the session is cancelled: cannot update participants"
                )
            if row["deleted_at"] is not None:
                raise _conflict(
                    "participant_cancelled", "the participant is cancelled: cannot update it"
                )
            changes: Row = {"role": data.role}
            for name in ("display_name", "picture", "state"):
                if name in data.model_fields_set:
                    changes[name] = getattr(data, name)
            db["participants"].update(participant_id, changes)
        return self.participant_out(row | changes)

    def cancel_participant(
        self, caller: Caller, participant_id: str, now: datetime
    ) -> dict[str, Any]:
        with self.store.transaction() as db:
            row = self._participant(caller, participant_id)
            if row["deleted_at"] is not None:
                return {"ok": True}  # already cancelled: a retried DELETE changes nothing
            if row["session_end"] <= db_time(now):
                raise _conflict(
                    "session_ended", "the session has ended: its participants cannot be cancelled"
                )
            if row["session_canceled"] is not None:
                raise _conflict(
                    "session_cancelled", "the session is cancelled: cannot change its participants"
                )
            db["participants"].update(participant_id, {"deleted_at": db_time(now)})
        return {"ok": True}
