"""Webhooks, sent as Coviu sends them.

Started with a URL and a secret, the local Coviu API POSTs one JSON event per thing that
happened, in the order it happened::

    POST <webhook_url>
    Content-Type: application/json
    X-Coviu-Webhook-Secret: <webhook_secret>

    {"type": "participant:join", "createdAt": 1465358831,
     "payload": {"teamId": "...", "sessionId": "...", "participantId": "...",
                 "role": "GUEST", "status": "waiting"}}

``createdAt`` is the event's time in whole seconds since the epoch. The types (``EVENT_TYPES``):

- ``session:create``, ``session:update``, ``session:cancel``: payload ``teamId``,
  ``sessionId``, ``clientId``;
- ``participant:join``: someone entered through their link; ``status`` is ``in`` (a host) or
  ``waiting`` (a guest in the waiting room);
- ``waitingarea:answer``: a host let a waiting guest in (``byParticipantId``);
- ``participant:leave``: someone left; ``reason`` is ``left``, ``removed`` (by a host,
  ``byParticipantId``), ``timed_out``, ``session_ended``, ``session_cancelled`` or
  ``participant_cancelled``;
- ``call:end``: the last person in the call left, after the session's start.

Participant events carry ``teamId``, ``sessionId``, ``participantId`` and ``role``. As Coviu
documents, a delivery is tried once: any answer other than 2xx, or no answer, is logged (type
and status, never the secret) and dropped. Delivery happens on a background thread fed by a
queue, so the API call that caused an event never waits for the receiver; events are queued
only once the change they report is committed.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import requests

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Coviu-Webhook-Secret"
EVENT_TYPES = (
    "session:create",
    "session:update",
    "session:cancel",
    "participant:join",
    "waitingarea:answer",
    "participant:leave",
    "call:end",
)
# Events waiting to be sent; past this many (a receiver down for long) new ones are dropped.
QUEUE_LIMIT = 10_000
TIMEOUT = (5.0, 10.0)  # connect, read: one slow receiver holds up only the sender thread

_STOP = object()


def event(kind: str, at: datetime, payload: Mapping[str, Any]) -> dict[str, Any]:
    """One event body: ``{"type", "createdAt", "payload"}``."""
    if kind not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {kind!r}")
    return {"type": kind, "createdAt": int(at.timestamp()), "payload": dict(payload)}


class Webhooks:
    """Where events go. This one sends none: the server was started without a webhook URL."""

    enabled = False

    def send(self, body: dict[str, Any]) -> None:
        del body

    def close(self, timeout: float = 10.0) -> None:
        del timeout

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every event queued so far has been delivered or given up on (tests, the
        shell: before looking at what the receiver did). False on timeout."""
        del timeout
        return True


class WebhookSender(Webhooks):
    """Sends events to one URL, in order, from one background thread."""

    enabled = True

    def __init__(self, url: str, secret: str) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError("the webhook URL must start with http:// or https://")
        if not secret:
            raise ValueError("a webhook URL needs a webhook secret")
        self.url = url
        self._secret = secret
        self._queue: queue.Queue[Any] = queue.Queue(QUEUE_LIMIT)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False

    def __repr__(self) -> str:  # the secret stays out of any repr
        return f"WebhookSender(url={self.url!r})"

    def send(self, body: dict[str, Any]) -> None:
        """Queue one event; returns at once."""
        with self._lock:
            if self._closed:
                return
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="coviu-webhooks", daemon=True
                )
                self._thread.start()
        try:
            self._queue.put_nowait(body)
        except queue.Full:
            log.warning("webhook queue full: %s event dropped", body.get("type"))

    def close(self, timeout: float = 10.0) -> None:
        """Send what is queued, then stop the thread (waiting at most ``timeout``)."""
        with self._lock:
            self._closed = True
            thread = self._thread
        if thread is not None:
            self._queue.put(_STOP)
            thread.join(timeout)

    def flush(self, timeout: float = 10.0) -> bool:
        done = self._queue.all_tasks_done
        with done:
            return done.wait_for(lambda: not self._queue.unfinished_tasks, timeout)

    def _run(self) -> None:
        with requests.Session() as http:
            while True:
                body = self._queue.get()
                try:
                    if body is _STOP:
                        return
                    self._deliver(http, body)
                finally:
                    self._queue.task_done()

    def _deliver(self, http: requests.Session, body: dict[str, Any]) -> None:
        try:
            answer = http.post(
                self.url,
                data=json.dumps(body).encode(),
                headers={"Content-Type": "application/json", SECRET_HEADER: self._secret},
                timeout=TIMEOUT,
                allow_redirects=False,
            )
        except requests.RequestException as error:
            # The class only: a message could carry the URL, which may hold a token.
            log.warning("webhook %s not delivered: %s", body["type"], type(error).__name__)
            return
        if not 200 <= answer.status_code < 300:
            log.warning("webhook %s refused: HTTP %d", body["type"], answer.status_code)


def webhooks(url: str | None, secret: str | None) -> Webhooks:
    """The sender for ``url`` and ``secret``, or one that sends nothing when ``url`` is unset."""
    if not url:
        return Webhooks()
    return WebhookSender(url, secret or "")
