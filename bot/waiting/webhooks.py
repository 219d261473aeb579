"""Coviu's webhook calls in: check the shared secret, record the event as a job, answer 200.

This is all the web process does with them, as with Slack's requests (`bot.slack.intake`):
the Slack side (DMs, updates, summaries) is a worker's job, so a slow Slack never makes Coviu
wait, and a duplicate delivery finds its job key taken and changes nothing::

    receiver = WebhookReceiver(store, secret, on_queued=worker.wake)
    status, body = receiver.handle(raw_body, headers)   # headers with lower-case names

Answers: 401 without the right ``X-Coviu-Webhook-Secret`` (and always when no secret is
configured: webhooks refused), 413 past `MAX_BODY_BYTES`, 400 for a body that is not a Coviu
event, 200 for the rest — including types the app does not act on and sessions it did not
book, which are acknowledged and ignored (Coviu does not retry; a 4xx would only fill its
logs).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.storage import Store

log = logging.getLogger(__name__)

PATH = "/coviu/webhooks"
SECRET_HEADER = "x-coviu-webhook-secret"
# Coviu's events are a few hundred bytes; this leaves room and bounds what a stranger can send.
MAX_BODY_BYTES = 16 * 1024
# The events the waiting room acts on; the job kind is "coviu:" + the type.
HANDLED = ("participant:join", "waitingarea:answer", "participant:leave", "call:end")
JOB_PREFIX = "coviu:"
# The ids Coviu uses are short; anything longer is not one of theirs.
MAX_ID = 200

Reply = tuple[int, dict[str, Any]]


@dataclass(frozen=True)
class Event:
    """One webhook event, checked: its type, when (seconds since the epoch), and payload.

    >>> Event.parse({"type": "call:end", "createdAt": 1, "payload": {"sessionId": "s1"}}).key
    'coviu:call:end:s1:2d082dc7b77a386e'
    """

    type: str
    created_at: int
    session_id: str
    # The participant id is the entry link's path: kept out of repr (logs, tracebacks).
    participant_id: str | None = field(repr=False)
    payload: dict[str, Any] = field(repr=False)

    @classmethod
    def parse(cls, body: Any) -> Event:
        """ValueError if `body` is not shaped as Coviu's events are."""
        if not isinstance(body, dict):
            raise ValueError("the body is not an object")
        kind, created, payload = body.get("type"), body.get("createdAt"), body.get("payload")
        if not isinstance(kind, str) or not kind or len(kind) > 100:
            raise ValueError("no type")
        if isinstance(created, bool) or not isinstance(created, int) or created < 0:
            raise ValueError("no createdAt")
        if not isinstance(payload, dict):
            raise ValueError("no payload")
        session = payload.get("sessionId")
        participant = payload.get("participantId")
        if not _id(session):
            raise ValueError("no sessionId")
        if participant is not None and not _id(participant):
            raise ValueError("bad participantId")
        return cls(kind, created, session, participant, payload)

    @property
    def key(self) -> str:
        """The job key: the same for every delivery of this event. The participant id is a
        secret (it is the entry link's path), so the key holds only a hash of the parts."""
        parts = f"{self.type}\n{self.session_id}\n{self.participant_id or ''}\n{self.created_at}"
        digest = hashlib.sha256(parts.encode()).hexdigest()[:16]
        return f"{JOB_PREFIX}{self.type}:{self.session_id}:{digest}"

    def job_payload(self) -> dict[str, Any]:
        """What the worker gets: only the fields the room reads, so nothing else is stored."""
        kept = (
            "teamId",
            "sessionId",
            "participantId",
            "role",
            "status",
            "reason",
            "byParticipantId",
        )
        payload = {name: self.payload[name] for name in kept if _plain(self.payload.get(name))}
        return {"type": self.type, "createdAt": self.created_at, "payload": payload}


def _id(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_ID


def _plain(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= MAX_ID


def secret_matches(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison; never true when no secret is configured.

    >>> secret_matches("s3cret", "s3cret"), secret_matches("s3cret", "guess"),
    (True, False)
    >>> secret_matches(None, "")
    False
    """
    if not expected or given is None:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


class WebhookReceiver:
    def __init__(
        self,
        store: Store,
        secret: str | None,
        *,
        on_queued: Callable[[], None] = lambda: None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self._secret = secret
        self.on_queued = on_queued
        self.clock = clock

    def __repr__(self) -> str:  # the secret stays out of any repr
        return f"WebhookReceiver(enabled={bool(self._secret)})"

    def handle(self, body: bytes, headers: Mapping[str, str]) -> Reply:
        """One POST from Coviu: (status, JSON body). `headers` have lower-case names."""
        if not self._secret:
            return 401, {"error": "webhooks refused: COVIU_WEBHOOK_SECRET is not set"}
        if not secret_matches(self._secret, headers.get(SECRET_HEADER)):
            log.warning("refused a Coviu webhook: missing or wrong secret")
            return 401, {"error": "missing or wrong X-Coviu-Webhook-Secret"}
        if len(body) > MAX_BODY_BYTES:
            return 413, {"error": f"request larger than {MAX_BODY_BYTES} bytes"}
        try:
            event = Event.parse(json.loads(body.decode("utf-8")))
        except (UnicodeDecodeError, ValueError, RecursionError) as error:
            return 400, {"error": f"not a Coviu event ({_short(error)})"}
        return self.receive(event)

    def receive(self, event: Event) -> Reply:
        """A checked event: recorded as a job if the app acts on it."""
        if event.type not in HANDLED:
            return 200, {"ok": True, "ignored": "type"}
        if self.store.session(event.session_id) is None:
            return 200, {"ok": True, "ignored": "session"}
        self.record(event)
        return 200, {"ok": True}

    def record(self, event: Event) -> bool:
        """Record an event the app acts on, for a session it booked, as a job; False when it
        is not such an event or was recorded already (a duplicate delivery)."""
        session = self.store.session(event.session_id)
        if event.type not in HANDLED or session is None:
            return False
        added = self.store.enqueue(
            event.key, JOB_PREFIX + event.type, session.team_id, event.job_payload(), self.clock()
        )
        if added:
            self.on_queued()
        return added


def _short(error: Exception) -> str:
    # Our own messages name a field; json's say where the text went wrong. A decoding error
    # would quote the bytes: only its kind is told.
    if isinstance(error, UnicodeDecodeError | RecursionError):
        return type(error).__name__
    return str(error)[:80]
