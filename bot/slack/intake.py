"""Slack's requests in: verify, record, answer. The work happens later, in a worker.

This is all the web process does (``coviu-slack serve --web-only``), so it is kept to the
least: the signature is checked on the body's bytes before anything reads them, the payload
is parsed, its listener's `ack` decides the answer without the network (a progress line, a
form's inline errors), and when work follows, the request is written as a job under Slack's
own identity of it (trigger id, action ts, view id, event id) in one insert. Slack's retries
and double clicks find that key taken and change nothing. Only then does Slack get its
answer, so what Slack was told is accepted is in the database::

    router = Router()
    router.command("/coviu", ack=acknowledge, work=book_or_list)
    intake = Intake(router, store, signing_secret, on_queued=worker.wake)
    status, body = intake.handle(raw_body, headers)

Why not Bolt's dispatch here? It costs more than the whole answer may (issue: the web
process's ack within 1.5× of bare signature checking); the listeners keep Bolt's shape
(`ack` then lazy work) without its machinery on the hot path.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_to_bytes

from bot.storage import Store

log = logging.getLogger(__name__)

# Slack refuses requests older than this; so do we (replays of a captured request).
MAX_AGE_SECONDS = 300
# A slash command is at most 4,000 characters; interactive payloads with a full modal are
# the largest Slack sends, well under this.
MAX_BODY_BYTES = 256 * 1024

Payload = dict[str, Any]


@dataclass(frozen=True)
class Answer:
    """What Slack gets back at once: a JSON body (or none), and whether work follows."""

    body: dict[str, Any] | None = None
    work: bool = True


NOTHING = Answer(work=False)
ACCEPT = Answer()


@dataclass(frozen=True)
class Route:
    name: str  # the job's kind: "command:/coviu", "action:cancel_session", "view:book", ...
    ack: Callable[[Payload], Answer]
    work: Callable[..., None] | None


@dataclass
class Router:
    """Which listener a payload is for, by its command, action id, view or event type."""

    routes: dict[str, Route] = field(default_factory=dict)

    def _add(
        self,
        name: str,
        ack: Callable[[Payload], Answer] | None,
        work: Callable[..., None] | None,
    ) -> None:
        self.routes[name] = Route(name, ack or (lambda _: ACCEPT if work else NOTHING), work)

    def command(self, command: str, *, ack: Any = None, work: Any = None) -> None:
        self._add(f"command:{command}", ack, work)

    def action(self, action_id: str, *, ack: Any = None, work: Any = None) -> None:
        self._add(f"action:{action_id}", ack, work)

    def view(self, callback_id: str, *, ack: Any = None, work: Any = None) -> None:
        self._add(f"view:{callback_id}", ack, work)

    def event(self, event_type: str, *, work: Any = None) -> None:
        self._add(f"event:{event_type}", None, work)

    def route(self, payload: Payload) -> Route | None:
        name = route_name(payload)
        return self.routes.get(name) if name else None


def route_name(payload: Payload) -> str | None:
    """The route a payload is for; None for what the app doesn't listen to."""
    if "command" in payload:
        return f"command:{payload['command']}"
    kind = payload.get("type")
    if kind == "block_actions":
        actions = payload.get("actions") or [{}]
        return f"action:{actions[0].get('action_id')}"
    if kind == "view_submission":
        return f"view:{(payload.get('view') or {}).get('callback_id')}"
    if kind == "event_callback":
        return f"event:{(payload.get('event') or {}).get('type')}"
    return None


def job_key(payload: Payload) -> str:
    """Slack's identity of a request: the same for its retries and a double click."""
    if "command" in payload:
        return f"command:{payload['team_id']}:{payload['user_id']}:{payload['trigger_id']}"
    kind = payload.get("type")
    if kind == "block_actions":
        action = payload["actions"][0]
        team = (payload.get("team") or {}).get("id")
        return f"action:{team}:{payload['user']['id']}:{action['action_ts']}"
    if kind == "view_submission":
        return f"view:{payload['view']['id']}"
    if kind == "event_callback":
        return f"event:{payload['event_id']}"
    raise KeyError(kind)


def team_of(payload: Payload) -> str | None:
    if "team_id" in payload:
        return payload["team_id"]
    team = payload.get("team")
    if isinstance(team, dict):
        return team.get("id")
    return team if isinstance(team, str) else (payload.get("user") or {}).get("team_id")


class BadRequest(ValueError):
    """The request is not one Slack would send: 400, with the reason."""


class Unsigned(ValueError):
    """The signature is missing, wrong or stale: 401."""


def verify(secret: str, body: bytes, headers: Mapping[str, str], now: float) -> None:
    """Slack's v0 signature over the raw bytes, within five minutes of `now`."""
    stamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not stamp.isdigit() or abs(now - int(stamp)) > MAX_AGE_SECONDS:
        raise Unsigned("missing or stale request timestamp")
    expected = (
        "v0="
        + hmac.new(
            secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256
        ).hexdigest()
    )
    if not hmac.compare_digest(expected, signature):
        raise Unsigned("invalid request signature")


def parse(body: bytes, content_type: str) -> Payload:
    """The payload Slack sent: a form (commands; interactions in ``payload=``) or JSON
    (events)."""
    try:
        text = body.decode("utf-8")
        if content_type.startswith("application/json"):
            payload = json.loads(text)
        else:
            form = parse_form(text)
            payload = json.loads(form["payload"]) if "payload" in form else form
    except (UnicodeDecodeError, ValueError, KeyError, RecursionError) as error:
        raise BadRequest(f"unreadable body ({type(error).__name__})") from None
    if not isinstance(payload, dict):
        raise BadRequest("the body is not an object")
    return payload


def parse_form(text: str) -> dict[str, str]:
    """A form body's fields, the first of each name kept: what ``parse_qs(text,
    keep_blank_values=True)`` gives (first values), at half its cost, which matters on the
    ack path. Undecodable escapes become U+FFFD, as there::

        >>> parse_form("command=%2Fcoviu&text=book+%22Physio%22&text=again&empty=&bad=%FF")
        {'command': '/coviu', 'text': 'book "Physio"', 'empty': '', 'bad': '\ufffd'}
    """
    form: dict[str, str] = {}
    for pair in text.split("&"):
        if pair:
            name, _, value = pair.partition("=")
            name = _unquote(name)
            if name not in form:
                form[name] = _unquote(value)
    return form


def _unquote(text: str) -> str:
    if "+" in text:
        text = text.replace("+", " ")
    if "%" not in text:
        return text
    return unquote_to_bytes(text).decode("utf-8", "replace")


class Intake:
    def __init__(
        self,
        router: Router,
        store: Store,
        signing_secret: str | None,
        *,
        on_queued: Callable[[], None] = lambda: None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """`signing_secret` None: requests arrive authenticated another way (Socket Mode)."""
        self.router = router
        self.store = store
        self.signing_secret = signing_secret
        self.on_queued = on_queued
        self.clock = clock

    def handle(self, body: bytes, headers: Mapping[str, str]) -> tuple[int, dict[str, Any] | None]:
        """An HTTP request from Slack: (status, JSON body or None)."""
        if len(body) > MAX_BODY_BYTES:
            return 413, {"error": "request too large"}
        try:
            if self.signing_secret is not None:
                verify(self.signing_secret, body, headers, time.time())
            payload = parse(body, headers.get("content-type", ""))
        except Unsigned as error:
            log.warning("refused a Slack request: %s", error)
            return 401, {"error": str(error)}
        except BadRequest as error:
            return 400, {"error": str(error)}
        if payload.get("type") == "url_verification":
            return 200, {"challenge": str(payload.get("challenge", ""))}
        if payload.get("ssl_check"):
            return 200, None
        return self.receive(payload)

    def receive(self, payload: Payload) -> tuple[int, dict[str, Any] | None]:
        """A verified payload: its listener's answer, with its work recorded first."""
        route = self.router.route(payload)
        if route is None:
            return 200, None
        try:
            answer = route.ack(payload)
            key = job_key(payload) if answer.work and route.work else None
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as error:
            log.warning("malformed %s payload (%s)", route.name, type(error).__name__)
            return 400, {"error": "malformed payload"}
        # Slack's verification token (deprecated: the signature is what counts) is a secret
        # no worker needs: it is not kept with the job.
        payload.pop("token", None)
        if key is not None and self.store.enqueue(
            key, route.name, team_of(payload), payload, self.clock()
        ):
            self.on_queued()
        return 200, answer.body
