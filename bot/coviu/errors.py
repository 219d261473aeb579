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

__all__ = [
    "AuthError",
    "CoviuError",
    "NotFound",
    "RateLimited",
    "ServerError",
    "StateConflict",
    "ValidationFailed",
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


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Remove entry URLs and every given secret (token, API secret, participant id) from text.

    >>> redact("see https://x/session/abc for tok123", ["tok123"])
    'see [redacted] for [redacted]'
    """
    text = _ENTRY_URL.sub(_REDACTED, text)
    # Longest first, so a secret that contains another is removed whole.
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, _REDACTED)
    return text
