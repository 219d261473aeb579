"""Typed errors raised by the Coviu API client.

Callers branch on the class, not on status codes::

    try:
        session = client.get_session(session_id)
    except NotFound:
        ...  # deleted, never existed, or another team's: the API does not say which
    except StateConflict as error:
        ...  # e.g. the session has already started; error.code names the rule

Every message is built by the client from the operation name, the HTTP status and the server's
error code and message, scrubbed of secrets. Messages never carry the API secret, access or
refresh tokens, entry URLs or participant ids (an entry URL is ``<public-url>/session/<participant
id>``, so a participant id is as good as the link itself).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from bot.coviu.dates import parse_date

__all__ = [
    "AuthError",
    "CoviuError",
    "NotFound",
    "RateLimited",
    "ServerError",
    "StateConflict",
    "ValidationFailed",
    "error_from_response",
    "parse_retry_after",
    "redact",
]


class CoviuError(Exception):
    """Base class of every error the client raises about the API.

    ``status`` is the HTTP status (None when no response arrived); ``code`` and ``message`` are
    the server's ``{"error": {"code", "message"}}`` (or OAuth2's ``{"error": ...}``) when it sent
    one. ``maybe_applied`` is True when the request may have taken effect on the server even
    though no success was seen (e.g. a read timeout after a create was sent): the caller should
    look before repeating it.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        server_message: str | None = None,
        maybe_applied: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.server_message = server_message
        self.maybe_applied = maybe_applied


class NotFound(CoviuError):
    """404: no such session or participant *for this team* (other teams' ids look absent)."""


class ValidationFailed(CoviuError):
    """400/422: the request broke a rule about its content; ``field`` names it when known."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        status: int | None = None,
        code: str | None = None,
        server_message: str | None = None,
        maybe_applied: bool = False,
    ) -> None:
        super().__init__(
            message,
            status=status,
            code=code,
            server_message=server_message,
            maybe_applied=maybe_applied,
        )
        self.field = field


class StateConflict(CoviuError):
    """409: the session's or participant's state forbids it (started, ended, cancelled)."""


class AuthError(CoviuError):
    """401/403: the credentials were refused, or a fresh token was refused too."""


class RateLimited(CoviuError):
    """429 after the retries ran out; ``retry_after`` is the server's hint in seconds."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        status: int | None = 429,
        code: str | None = None,
        server_message: str | None = None,
        maybe_applied: bool = False,
    ) -> None:
        super().__init__(
            message,
            status=status,
            code=code,
            server_message=server_message,
            maybe_applied=maybe_applied,
        )
        self.retry_after = retry_after


class ServerError(CoviuError):
    """5xx, a connection failure or a timeout, after the retries the call allowed ran out."""


# An entry URL ends in /session/<participant id>; scrub any URL of that shape wherever it turns up.
_ENTRY_URL = re.compile(r"\S*/session/[^\s\"'<>]+", re.IGNORECASE)
_REDACTED = "[redacted]"
_SUBSTRING_MIN = 8


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Remove entry URLs and every given secret (token, API secret, participant id) from text.

    Long secrets are removed wherever they occur; short ones only as whole words, so that a
    test secret like ``"s"`` does not shred the message.

    >>> redact("see https://x/session/abc for tok123", ["tok123", "s"])
    'see [redacted] for [redacted]'
    """
    text = _ENTRY_URL.sub(_REDACTED, text)
    # Longest first, so a secret that contains another is removed whole.
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        if len(secret) >= _SUBSTRING_MIN:
            text = text.replace(secret, _REDACTED)
        else:
            pattern = rf"(?<![A-Za-z0-9]){re.escape(secret)}(?![A-Za-z0-9])"
            text = re.sub(pattern, _REDACTED, text)
    return text


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date), or None.

    >>> parse_retry_after("3")
    3.0
    >>> parse_retry_after("Wed, 08 Jun 2016 04:07:15 GMT",
    ...                   now=datetime(2016, 6, 8, 4, 7, 11, tzinfo=UTC))
    4.0
    """
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parse_date(value)
        except ValueError:
            return None
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds or seconds == float("inf"):  # NaN or infinite: ignore the hint
        return None
    return max(0.0, seconds)


_MAX_MESSAGE = 300


def _details(response: Any) -> tuple[str | None, str | None, str | None]:
    """(code, message, field) from any of the error bodies the API may send."""
    try:
        body = response.json()
    except ValueError:
        return None, None, None
    if not isinstance(body, dict):
        return None, None, None
    code = message = field = None
    error = body.get("error")
    if isinstance(error, dict):  # the API's {"error": {"code", "message"}}
        code, message = error.get("code"), error.get("message")
        field = error.get("field") or error.get("param")
    elif isinstance(error, str):  # OAuth2 (RFC 6749 §5.2): {"error", "error_description"}
        code, message = error, body.get("error_description")
    detail = body.get("detail")  # a framework's default validation body
    if code is None and isinstance(detail, list) and detail and isinstance(detail[0], dict):
        first = detail[0]
        loc = first.get("loc")
        if isinstance(loc, list) and loc:
            field = str(loc[-1])
        code, message = first.get("type"), first.get("msg")
    elif code is None and isinstance(detail, str):
        message = detail
    return (
        None if code is None else str(code),
        None if message is None else str(message),
        None if field is None else str(field),
    )


def error_from_response(
    response: Any, operation: str, secrets: Iterable[str | None] = ()
) -> CoviuError:
    """The typed error for a failed response (``requests.Response``-like).

    The message names the operation, the status and the server's code and message, with entry
    URLs and the given secrets removed.
    """
    status: int = response.status_code
    code, message, field = _details(response)
    secrets = tuple(secrets)
    if code is not None:
        code = redact(code, secrets)[:_MAX_MESSAGE]
    if message is not None:
        message = redact(message, secrets)[:_MAX_MESSAGE]
    text = f"{operation} failed: HTTP {status}"
    if code:
        text += f" {code}"
    if message:
        text += f": {message}"
    common: dict[str, Any] = {"status": status, "code": code, "server_message": message}
    if status in (400, 422):
        return ValidationFailed(text, field=field, **common)
    if status in (401, 403):
        return AuthError(text, **common)
    if status == 404:
        return NotFound(text, **common)
    if status == 409:
        return StateConflict(text, **common)
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return RateLimited(text, retry_after=retry_after, **common)
    if status >= 500:
        # 502/504 mean a gateway lost track of the request: it may have been applied.
        return ServerError(text, maybe_applied=status in (500, 502, 504), **common)
    return CoviuError(text, **common)
