"""Typed values of the Coviu Session API.

Responses are parsed leniently: unknown fields are ignored (Coviu adds fields over time, e.g.
``canceled_time`` and ``deleted_at``), dates may be RFC-1123 or ISO-8601, and every datetime
comes out timezone-aware in UTC::

    >>> p = Participant.from_json({"participant_id": "p1", "session_id": "s1", "role": "host",
    ...                            "entry_url": "https://coviu.com/session/p1"})
    >>> p.role, "entry_url" in repr(p)
    ('HOST', False)

An entry URL is a secret that belongs to one person, so it is left out of every ``repr`` (and
so out of logs and tracebacks that print these objects).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.coviu.dates import parse_date

__all__ = [
    "GUEST",
    "HOST",
    "Attendance",
    "CallSummary",
    "EntryEvent",
    "NewParticipant",
    "Page",
    "Participant",
    "Session",
]

HOST = "HOST"
GUEST = "GUEST"
_ROLES = (HOST, GUEST)


def _str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return None if value is None else str(value)


def _required_str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if value is None or value == "":
        raise ValueError(f"response lacks {key!r}")
    return str(value)


def _date(data: Mapping[str, Any], key: str) -> datetime | None:
    value = data.get(key)
    return None if value in (None, "") else parse_date(value)


def _required_date(data: Mapping[str, Any], key: str) -> datetime:
    moment = _date(data, key)
    if moment is None:
        raise ValueError(f"response lacks {key!r}")
    return moment


def normalize_role(role: str) -> str:
    """``"host"``/``"Guest"``/... -> ``"HOST"``/``"GUEST"``; ValueError for anything else."""
    upper = role.strip().upper() if isinstance(role, str) else ""
    if upper not in _ROLES:
        raise ValueError(f"role must be 'host' or 'guest', not {role!r}")
    return upper


@dataclass(frozen=True)
class Participant:
    """One person's place in a session, with their private ``entry_url``."""

    participant_id: str
    session_id: str
    role: str
    client_id: str | None = None
    display_name: str | None = None
    # The link is the key to the call: keep it out of repr (and so out of logs).
    entry_url: str | None = field(default=None, repr=False)
    picture: str | None = None
    # Free content for the API client's own use (e.g. a Slack user id); opaque to Coviu.
    state: str | None = None
    deleted_at: datetime | None = None

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Participant:
        """Build from one participant object of a response. ValueError if it is unusable."""
        if not isinstance(data, Mapping):
            raise ValueError("participant is not a JSON object")
        role = data.get("role")
        return cls(
            participant_id=_required_str(data, "participant_id"),
            session_id=_required_str(data, "session_id"),
            # Be lenient about case (the server answers HOST/GUEST, older data may not).
            role=role.upper() if isinstance(role, str) else str(role),
            client_id=_str(data, "client_id"),
            display_name=_str(data, "display_name"),
            entry_url=_str(data, "entry_url"),
            picture=_str(data, "picture"),
            state=_str(data, "state"),
            deleted_at=_date(data, "deleted_at"),
        )


@dataclass(frozen=True)
class Session:
    """A booked Coviu call. ``canceled_time`` is set once it has been cancelled."""

    session_id: str
    session_name: str | None
    start_time: datetime
    end_time: datetime
    picture: str | None = None
    team_id: str | None = None
    client_id: str | None = None
    participants: tuple[Participant, ...] = ()
    canceled_time: datetime | None = None

    @property
    def canceled(self) -> bool:
        return self.canceled_time is not None

    @property
    def hosts(self) -> tuple[Participant, ...]:
        return tuple(p for p in self.participants if p.role == HOST)

    @property
    def guests(self) -> tuple[Participant, ...]:
        return tuple(p for p in self.participants if p.role == GUEST)

    def participant(self, participant_id: str) -> Participant | None:
        """The participant with that id, or None."""
        return next((p for p in self.participants if p.participant_id == participant_id), None)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Session:
        """Build from a session object of a response. ValueError if it is unusable."""
        if not isinstance(data, Mapping):
            raise ValueError("session is not a JSON object")
        participants = data.get("participants") or []
        if not isinstance(participants, list):
            raise ValueError("'participants' is not a list")
        return cls(
            session_id=_required_str(data, "session_id"),
            session_name=_str(data, "session_name"),
            start_time=_required_date(data, "start_time"),
            end_time=_required_date(data, "end_time"),
            picture=_str(data, "picture"),
            team_id=_str(data, "team_id"),
            client_id=_str(data, "client_id"),
            participants=tuple(Participant.from_json(p) for p in participants),
            canceled_time=_date(data, "canceled_time"),
        )


@dataclass(frozen=True, kw_only=True)
class NewParticipant:
    """A participant to create: the role is required, the rest optional.

    >>> NewParticipant(role="host", display_name="Dr. Who").role
    'HOST'
    """

    display_name: str | None = None
    role: str
    picture: str | None = None
    state: str | None = None

    def __post_init__(self) -> None:
        # Frozen, so normalise through object.__setattr__; fail here, not in a 400 later.
        object.__setattr__(self, "role", normalize_role(self.role))

    def to_json(self) -> dict[str, str]:
        """The request body: only the fields that were given, role in the seed's lower case."""
        body = {"role": self.role.lower()}
        for key in ("display_name", "picture", "state"):
            value = getattr(self, key)
            if value is not None:
                body[key] = value
        return body


@dataclass(frozen=True)
class Page:
    """One page of ``GET /sessions``: ``more`` says whether a next page exists."""

    content: tuple[Session, ...]
    page: int
    page_size: int
    more: bool

    def __iter__(self) -> Iterator[Session]:
        return iter(self.content)

    def __len__(self) -> int:
        return len(self.content)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Page:
        if not isinstance(data, Mapping):
            raise ValueError("page is not a JSON object")
        content = data.get("content") or []
        if not isinstance(content, list):
            raise ValueError("'content' is not a list")
        return cls(
            content=tuple(Session.from_json(s) for s in content),
            page=int(data.get("page") or 0),
            page_size=int(data.get("page_size") or len(content)),
            more=bool(data.get("more")),
        )


# Summary events that put someone in the call, and that take them out of it.
_INTO_CALL = {"HOST": ("entered",), "GUEST": ("admitted",)}
_OUT_OF_CALL = ("left", "removed")


@dataclass(frozen=True)
class Attendance:
    """One participant's line of a session summary: when they came, and how long they were in
    the call itself (a guest's wait in the waiting room does not count).

    >>> a = Attendance.from_json({"participant_id": "p1", "role": "GUEST", "status": "left",
    ...     "display_name": "Pat", "events": [
    ...         {"event": "entered", "time": "Mon, 18 Mar 2030 09:00:00 GMT"},
    ...         {"event": "admitted", "time": "Mon, 18 Mar 2030 09:02:00 GMT"},
    ...         {"event": "left", "time": "Mon, 18 Mar 2030 09:32:00 GMT"}]})
    >>> a.attended, a.in_call, "p1" in repr(a)
    (True, datetime.timedelta(seconds=1800), False)
    """

    participant_id: str = field(repr=False)  # the entry link's path: a secret
    role: str
    status: str  # never_entered | waiting | in | left | removed
    display_name: str | None = None
    entered: datetime | None = None
    joined: datetime | None = None
    left: datetime | None = None
    in_call: timedelta = timedelta(0)

    @property
    def attended(self) -> bool:
        """Was in the call itself at some point (not only in the waiting room)."""
        return self.joined is not None or self.in_call > timedelta(0)

    @classmethod
    def from_json(cls, data: Mapping[str, Any], until: datetime | None = None) -> Attendance:
        """`until`: where a stay still open ends (the call's end), if known."""
        if not isinstance(data, Mapping):
            raise ValueError("participant summary is not a JSON object")
        role = normalize_role(_required_str(data, "role"))
        inside: datetime | None = None
        total = timedelta(0)
        for item in data.get("events") or []:
            if not isinstance(item, Mapping):
                raise ValueError("summary event is not a JSON object")
            when = _date(item, "time")
            if when is None:
                continue
            if item.get("event") in _INTO_CALL[role] and inside is None:
                inside = when
            elif item.get("event") in _OUT_OF_CALL and inside is not None:
                total += max(when - inside, timedelta(0))
                inside = None
        if inside is not None and until is not None:
            total += max(until - inside, timedelta(0))
        return cls(
            participant_id=_required_str(data, "participant_id"),
            role=role,
            status=_str(data, "status") or "never_entered",
            display_name=_str(data, "display_name"),
            entered=_date(data, "entered_time"),
            joined=_date(data, "joined_time"),
            left=_date(data, "left_time"),
            in_call=total,
        )


@dataclass(frozen=True)
class EntryEvent:
    """One line of a summary's ``events``: someone ``entered``, was ``admitted`` or
    ``removed`` (``by`` a host), or ``left`` (with a ``reason``), at ``time``."""

    participant_id: str = field(repr=False)  # the entry link's path: a secret
    event: str
    time: datetime
    by: str | None = field(default=None, repr=False)
    reason: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EntryEvent:
        if not isinstance(data, Mapping):
            raise ValueError("summary event is not a JSON object")
        return cls(
            participant_id=_required_str(data, "participant_id"),
            event=_required_str(data, "event"),
            time=_required_date(data, "time"),
            by=_str(data, "by_participant_id"),
            reason=_str(data, "reason"),
        )


@dataclass(frozen=True)
class CallSummary:
    """``GET /sessions/{id}/summary``: when the call really began and ended, and who came."""

    session_id: str
    name: str | None
    start: datetime
    end: datetime
    actual_start: datetime | None
    actual_end: datetime | None
    participants: tuple[Attendance, ...]
    events: tuple[EntryEvent, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CallSummary:
        if not isinstance(data, Mapping):
            raise ValueError("summary is not a JSON object")
        people = data.get("participants") or []
        if not isinstance(people, list):
            raise ValueError("'participants' is not a list")
        actual_end = _date(data, "actual_end_time")
        return cls(
            session_id=_required_str(data, "session_id"),
            name=_str(data, "session_name"),
            start=_required_date(data, "start_time"),
            end=_required_date(data, "end_time"),
            actual_start=_date(data, "actual_start_time"),
            actual_end=actual_end,
            participants=tuple(Attendance.from_json(p, actual_end) for p in people),
            events=tuple(EntryEvent.from_json(e) for e in data.get("events") or []),
        )
