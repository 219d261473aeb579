"""The Coviu Session API client: ten calls, typed results, typed errors, safe retries.

::

    from datetime import UTC, datetime, timedelta
    from bot.coviu.client import CoviuClient
    from bot.coviu.models import NewParticipant

    with CoviuClient(key, secret, "https://api.coviu.com/v1") as coviu:
        start = datetime.now(UTC) + timedelta(hours=1)
        session = coviu.create_session(
            start=start,
            end=start + timedelta(minutes=30),
            name="Physio review",
            participants=[NewParticipant(role="host", display_name="Dr. Who", state="U123")],
        )
        for s in coviu.iter_sessions(start=start):
            print(s.session_id, s.start_time)

What it does beyond Coviu's SDKs:

- Tokens: fetched lazily, refreshed at half-life, one grant in flight across threads, fallback
  from a refused refresh to ``client_credentials`` (see ``auth.py``). On a 401 it
  re-authenticates once and repeats the call.
- Retries with exponential backoff and jitter: 429 (``Retry-After`` honoured), 503, and for
  calls that are safe to repeat (GET, PUT, DELETE) also 502/504, timeouts and dropped
  connections. A create (POST) is repeated only when the server cannot have acted on it: the
  connection was never established, or the answer was 429/503. Otherwise the error says
  ``maybe_applied=True`` and the caller decides (look before booking again).
- Every request has a timeout. Dates go out as RFC-1123; naive datetimes are refused.
- The API secret, tokens, entry URLs and participant ids (an entry URL is
  ``<public-url>/session/<participant id>``) never appear in ``repr``, logs or error messages.
  Logs name the route template (``GET /participants/{id}``), not the concrete path.

The retry loop is ours rather than urllib3's ``Retry``: that one cannot tell a 401 (re-auth)
from other statuses, cannot vary the policy per request on a shared session (POST vs GET), has
no injectable sleep, and would hide whether a failed create may have been applied.

Thread-safe: one client may be shared by many threads (urllib3's pool is thread-safe; token
state is behind locks).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter

from bot.coviu.auth import TokenManager
from bot.coviu.dates import to_rfc1123
from bot.coviu.errors import (
    CoviuError,
    ServerError,
    StateConflict,
    error_from_response,
    parse_retry_after,
    redact,
)
from bot.coviu.models import (
    CallSummary,
    NewParticipant,
    Page,
    Participant,
    Session,
    normalize_role,
)

__all__ = ["CoviuClient"]

log = logging.getLogger("bot.coviu")

PRODUCTION_URL = "https://api.coviu.com/v1"

# Statuses that say the request was not processed: repeatable even for a create.
_NOT_PROCESSED = frozenset({429, 503})
# Gateway failures: the request may or may not have reached the API.
_MAYBE_PROCESSED = frozenset({502, 504})

Timeout = float | tuple[float, float]


def _aware(name: str, moment: datetime) -> str:
    if not isinstance(moment, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} is a naive datetime; pass a timezone-aware one")
    return to_rfc1123(moment)


def _never_sent(error: requests.ConnectionError) -> bool:
    """True when the connection failed before a byte of the request went out.

    Connection refused, DNS failure and connect timeouts surface as a ``MaxRetryError`` whose
    reason is a ``NewConnectionError``/``ConnectTimeoutError``; a connection dropped after the
    request was written is a ``ProtocolError`` instead, and the server may have acted on it.
    """
    if isinstance(error, requests.ConnectTimeout):
        return True
    reason: object = error.args[0] if error.args else None
    if isinstance(reason, urllib3.exceptions.MaxRetryError):
        reason = reason.reason
    return isinstance(reason, urllib3.exceptions.ConnectTimeoutError)  # NewConnectionError too


class CoviuClient:
    """A client of one Coviu API client registration (an ``api_key`` and its secret).

    ``base_url`` includes the version: ``https://api.coviu.com/v1`` or, for the local API,
    ``http://127.0.0.1:8080/v1``. ``timeout`` (seconds, or ``(connect, read)``) applies to every
    request; ``retries`` is how many times one call may be repeated after a retryable failure.
    ``session`` lets the caller supply a ``requests.Session`` (it is then not closed by
    ``close()``). ``clock`` (monotonic seconds), ``sleep`` and ``rng`` are injectable for tests.
    """

    def __init__(
        self,
        api_key: str,
        api_secret: str,
        base_url: str = PRODUCTION_URL,
        *,
        timeout: Timeout = 10.0,
        retries: int = 3,
        session: requests.Session | None = None,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        max_retry_after: float = 60.0,
        rng: random.Random | None = None,
    ) -> None:
        if not api_key or not api_secret:
            raise ValueError("api_key and api_secret are required")
        if retries < 0:
            raise ValueError("retries must be 0 or more")
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        # A longer Retry-After than this is not slept through: RateLimited is raised at once.
        self.max_retry_after = max_retry_after
        self._sleep = sleep or time.sleep
        self._rng = rng or random.Random()
        self._owns_http = session is None
        if session is None:
            session = requests.Session()
            # Room for many threads sharing the client without discarding connections.
            adapter = HTTPAdapter(pool_connections=4, pool_maxsize=32)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
        self._http = session
        self._tokens = TokenManager(
            f"{self.base_url}/auth/token",
            api_key,
            api_secret,
            post=self._post_token,
            clock=clock,
        )

    def __repr__(self) -> str:
        return f"CoviuClient(base_url={self.base_url!r}, api_key={self.api_key!r})"

    # -- lifecycle ---------------------------------------------------------------------------

    def warm(self) -> None:
        """Get a token now, if none is held, so the next call doesn't wait for one: a caller
        about to do other slow work (Slack look-ups) overlaps the two."""
        self._tokens.token()

    def close(self) -> None:
        """Close pooled connections (only of a session this client created)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> CoviuClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- sessions ----------------------------------------------------------------------------

    def create_session(
        self,
        *,
        start: datetime,
        end: datetime,
        name: str | None = None,
        picture: str | None = None,
        participants: Sequence[NewParticipant] = (),
    ) -> Session:
        """``POST /sessions``: book a session (start in the future, end after start).

        Not repeated blindly: if the outcome is unknown the ``ServerError`` has
        ``maybe_applied=True``; list sessions (e.g. by a participant's ``state``) before retrying.
        """
        body: dict[str, Any] = {
            "start_time": _aware("start", start),
            "end_time": _aware("end", end),
            "participants": [self._participant_body(p) for p in participants],
        }
        if name is not None:
            body["session_name"] = name
        if picture is not None:
            body["picture"] = picture
        data = self._call("POST", "/sessions", "create_session", json=body)
        return self._parse(Session.from_json, data, "create_session")

    def get_session(self, session_id: str) -> Session:
        """``GET /sessions/{id}``; also answers for a cancelled session (``canceled_time``)."""
        data = self._call("GET", f"/sessions/{_segment(session_id)}", "get_session")
        return self._parse(Session.from_json, data, "get_session")

    def update_session(
        self,
        session_id: str,
        *,
        name: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        picture: str | None = None,
    ) -> Session:
        """``PUT /sessions/{id}``: change what is given (None leaves a field as it is)."""
        body: dict[str, Any] = {}
        if name is not None:
            body["session_name"] = name
        if start is not None:
            body["start_time"] = _aware("start", start)
        if end is not None:
            body["end_time"] = _aware("end", end)
        if picture is not None:
            body["picture"] = picture
        data = self._call("PUT", f"/sessions/{_segment(session_id)}", "update_session", json=body)
        return self._parse(Session.from_json, data, "update_session")

    def cancel_session(self, session_id: str) -> None:
        """``DELETE /sessions/{id}``: only before it starts; cannot be undone."""
        path = f"/sessions/{_segment(session_id)}"
        try:
            self._call("DELETE", path, "cancel_session")
        except StateConflict as error:
            # A repeated DELETE whose first attempt went through (answer lost) is refused as
            # "already cancelled"; that is the outcome asked for, so look and accept it.
            if not error.maybe_applied or not self.get_session(session_id).canceled:
                raise

    def list_sessions(
        self,
        *,
        page: int = 0,
        page_size: int | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        order: str | None = None,
        include_canceled: bool | None = None,
        state: str | None = None,
        deleted_participants: bool | None = None,
    ) -> Page:
        """``GET /sessions``: one page. ``start``: sessions starting at or after it; ``end``:
        ending at or before it; ``order``: ``"forward"`` or ``"reverse"``; ``state``: only
        sessions with a participant of that ``state``."""
        params = self._list_params(
            page_size=page_size,
            start=start,
            end=end,
            order=order,
            include_canceled=include_canceled,
            state=state,
            deleted_participants=deleted_participants,
        )
        if page < 0:
            raise ValueError("page counts from 0")
        params["page"] = str(page)
        data = self._call("GET", "/sessions", "list_sessions", params=params)
        return self._parse(Page.from_json, data, "list_sessions")

    def iter_sessions(
        self,
        *,
        page_size: int | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        order: str | None = None,
        include_canceled: bool | None = None,
        state: str | None = None,
        deleted_participants: bool | None = None,
    ) -> Iterator[Session]:
        """Every session matching the filters, page after page while the server says ``more``.

        Pages are fetched lazily. A session that moves to a later page while iterating (one
        was booked in front of it) is yielded once only.
        """
        seen: set[str] = set()
        page = 0
        while True:
            result = self.list_sessions(
                page=page,
                page_size=page_size,
                start=start,
                end=end,
                order=order,
                include_canceled=include_canceled,
                state=state,
                deleted_participants=deleted_participants,
            )
            for session in result.content:
                if session.session_id not in seen:
                    seen.add(session.session_id)
                    yield session
            # An empty page that claims "more" would loop for ever; stop.
            if not result.more or not result.content:
                return
            page += 1

    def summary(self, session_id: str) -> CallSummary:
        """``GET /sessions/{id}/summary``: the call's actual start and end, and each
        participant's entries and exits."""
        data = self._call("GET", f"/sessions/{_segment(session_id)}/summary", "summary")
        return self._parse(CallSummary.from_json, data, "summary")

    # -- participants ------------------------------------------------------------------------

    def add_participant(self, session_id: str, participant: NewParticipant) -> Participant:
        """``POST /sessions/{id}/participants``: not to an ended or cancelled session."""
        data = self._call(
            "POST",
            f"/sessions/{_segment(session_id)}/participants",
            "add_participant",
            json=self._participant_body(participant),
        )
        return self._parse(Participant.from_json, data, "add_participant")

    def list_participants(
        self, session_id: str, *, include_deleted: bool = False
    ) -> list[Participant]:
        """``GET /sessions/{id}/participants``; cancelled ones only with ``include_deleted``."""
        params = {"deleted_participants": "true"} if include_deleted else None
        data = self._call(
            "GET",
            f"/sessions/{_segment(session_id)}/participants",
            "list_participants",
            params=params,
        )
        # The seed answers a bare array; tolerate a page-shaped object as well.
        if isinstance(data, dict) and isinstance(data.get("content"), list):
            data = data["content"]
        if not isinstance(data, list):
            raise self._bad_response("list_participants", "expected a list")
        return [self._parse(Participant.from_json, item, "list_participants") for item in data]

    def get_participant(self, participant_id: str) -> Participant:
        """``GET /participants/{id}``."""
        data = self._call(
            "GET",
            f"/participants/{_segment(participant_id)}",
            "get_participant",
            secret_ids=(participant_id,),
        )
        return self._parse(Participant.from_json, data, "get_participant")

    def update_participant(
        self,
        participant_id: str,
        *,
        role: str,
        display_name: str | None = None,
        picture: str | None = None,
        state: str | None = None,
    ) -> Participant:
        """``PUT /participants/{id}``: role is required; None leaves a field as it is."""
        body: dict[str, Any] = {"role": normalize_role(role).lower()}
        if display_name is not None:
            body["display_name"] = display_name
        if picture is not None:
            body["picture"] = picture
        if state is not None:
            body["state"] = state
        data = self._call(
            "PUT",
            f"/participants/{_segment(participant_id)}",
            "update_participant",
            json=body,
            secret_ids=(participant_id,),
        )
        return self._parse(Participant.from_json, data, "update_participant")

    def cancel_participant(self, participant_id: str) -> None:
        """``DELETE /participants/{id}``: their link stops working; not in an ended session."""
        path = f"/participants/{_segment(participant_id)}"
        try:
            self._call("DELETE", path, "cancel_participant", secret_ids=(participant_id,))
        except StateConflict as error:
            # As for sessions: a repeated DELETE may find its own first attempt's result.
            if not error.maybe_applied or not self.get_participant(participant_id).deleted:
                raise

    # -- plumbing ----------------------------------------------------------------------------

    @staticmethod
    def _participant_body(participant: NewParticipant) -> dict[str, str]:
        if not isinstance(participant, NewParticipant):
            raise TypeError("participants must be NewParticipant values")
        return participant.to_json()

    @staticmethod
    def _list_params(
        *,
        page_size: int | None,
        start: datetime | None,
        end: datetime | None,
        order: str | None,
        include_canceled: bool | None,
        state: str | None,
        deleted_participants: bool | None,
    ) -> dict[str, str]:
        params: dict[str, str] = {}
        if page_size is not None:
            if page_size < 1:
                raise ValueError("page_size must be at least 1")
            params["page_size"] = str(page_size)
        if start is not None:
            params["start_time"] = _aware("start", start)
        if end is not None:
            params["end_time"] = _aware("end", end)
        if order is not None:
            if order not in ("forward", "reverse"):
                raise ValueError("order must be 'forward' or 'reverse'")
            params["order"] = order
        if include_canceled is not None:
            params["include_canceled"] = "true" if include_canceled else "false"
        if state is not None:
            params["state"] = state
        if deleted_participants is not None:
            params["deleted_participants"] = "true" if deleted_participants else "false"
        return params

    def _parse(self, build: Callable[[Any], Any], data: Any, operation: str) -> Any:
        try:
            return build(data)
        except (ValueError, TypeError) as error:
            raise self._bad_response(operation, str(error)) from None

    def _bad_response(self, operation: str, why: str) -> CoviuError:
        return ServerError(
            f"{operation} failed: unexpected response ({redact(why, self._tokens.secrets())})",
            status=200,
        )

    def _post_token(
        self, url: str, *, data: Mapping[str, str], auth: tuple[str, str]
    ) -> requests.Response:
        # Grant requests are safe to repeat: a lost client_credentials answer only wastes a
        # token, and a lost refresh answer ends in invalid_grant, then client_credentials.
        return self._send("POST", url, "auth/token", safe=True, data=data, auth=auth)

    def _call(
        self,
        method: str,
        path: str,
        operation: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        secret_ids: Sequence[str] = (),
    ) -> Any:
        """One authenticated call: re-authenticates once on a 401; returns the parsed JSON."""
        url = self.base_url + path
        safe = method in ("GET", "PUT", "DELETE", "HEAD", "OPTIONS")
        reauthenticated = False
        ambiguous = False
        while True:
            token = self._tokens.token()
            response, lost = self._send_tracked(
                method,
                url,
                operation,
                safe=safe,
                json=json,
                params=params,
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                secret_ids=secret_ids,
            )
            ambiguous = ambiguous or lost
            if response.status_code == 401 and not reauthenticated:
                # Expired early, revoked, or the server forgot it (restart): once, with a new one.
                log.info("%s: token refused (401); re-authenticating once", operation)
                self._tokens.invalidate(token)
                reauthenticated = True
                continue
            if response.status_code >= 400:
                error = error_from_response(
                    response, operation, (*self._tokens.secrets(), *secret_ids)
                )
                # An earlier attempt of this call may have gone through (lost answer).
                error.maybe_applied = error.maybe_applied or ambiguous
                raise error
            if not response.content:
                return None
            try:
                return response.json()
            except ValueError:
                raise self._bad_response(operation, "body is not JSON") from None

    def _send(self, method: str, url: str, operation: str, **kwargs: Any) -> requests.Response:
        response, _ = self._send_tracked(method, url, operation, **kwargs)
        return response

    def _send_tracked(
        self,
        method: str,
        url: str,
        operation: str,
        *,
        safe: bool,
        secret_ids: Sequence[str] = (),
        **kwargs: Any,
    ) -> tuple[requests.Response, bool]:
        """Send with retries; returns the last response and whether an earlier attempt's
        outcome is unknown (so a 4xx now may be the echo of our own success). Raises
        ``ServerError`` when no response could be had."""
        ambiguous = False
        attempt = 0
        while True:
            try:
                response = self._http.request(method, url, timeout=self.timeout, **kwargs)
            except requests.RequestException as error:
                never_sent = isinstance(error, requests.ConnectionError) and _never_sent(error)
                retryable = not isinstance(error, requests.exceptions.SSLError) and (
                    never_sent
                    or (safe and isinstance(error, requests.ConnectionError | requests.Timeout))
                )
                if retryable and attempt < self.retries:
                    ambiguous = ambiguous or not never_sent
                    attempt += 1
                    self._wait(operation, type(error).__name__, attempt, None)
                    continue
                raise ServerError(
                    f"{operation} failed: {type(error).__name__} talking to {self.base_url}",
                    maybe_applied=ambiguous or not never_sent,
                ) from None
            status = response.status_code
            retryable = status in _NOT_PROCESSED or (safe and status in _MAYBE_PROCESSED)
            if not retryable or attempt >= self.retries:
                return response, ambiguous
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if retry_after is not None and retry_after > self.max_retry_after:
                # Too long to block a caller (a Slack handler has seconds): give up now; the
                # caller maps the answer (429 -> RateLimited with retry_after, 503 -> ServerError).
                return response, ambiguous
            ambiguous = ambiguous or status in _MAYBE_PROCESSED
            response.close()  # hand the connection back to the pool before sleeping
            attempt += 1
            self._wait(operation, f"HTTP {status}", attempt, retry_after)

    def _wait(self, operation: str, why: str, attempt: int, retry_after: float | None) -> None:
        # Exponential backoff with "equal jitter": at least half the step, so retries spread
        # out without ever collapsing to zero; Retry-After is a floor, never shortened.
        step = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
        delay = step / 2 + self._rng.uniform(0, step / 2)
        if retry_after is not None:
            delay = max(delay, retry_after)
        log.warning("%s: %s; retry %d of %d in %.2fs", operation, why, attempt, self.retries, delay)
        self._sleep(delay)


def _segment(ident: str) -> str:
    """An id as one path segment: refuse anything that would change the route."""
    if (
        not isinstance(ident, str)
        or not ident
        or any(c in ident for c in "/?#%")
        or ident
        in (
            ".",
            "..",
        )
    ):
        raise ValueError("not a valid Coviu id")
    return ident
