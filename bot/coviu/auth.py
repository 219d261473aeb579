"""OAuth2 token lifecycle for the Coviu API: one object, shared by every thread of a client.

Coviu's own SDKs (coviu-sdk-oauth2) refresh at half of ``expires_in`` and stop there. This one
also:

- gets the first token lazily, on the first call that needs it;
- lets exactly one grant request be in flight; threads that waited for it reuse its token, and
  threads that still hold a valid token during a proactive refresh keep using it instead of
  queueing;
- keeps the rotated refresh token from every refresh answer;
- falls back to ``client_credentials`` when a refresh is refused (``400 invalid_grant``: a used,
  expired or forgotten refresh token);
- keeps using a still-valid token when a proactive refresh fails, and tries again later;
- ``invalidate(token)`` after a 401, so the next ``token()`` re-authenticates, but only if the
  rejected token is still the current one (twenty threads seeing the same 401 cause one grant).

Usage::

    tokens = TokenManager("https://api.coviu.com/v1/auth/token", api_key, api_secret)
    headers = {"Authorization": f"Bearer {tokens.token()}"}

Tokens and the secret never appear in ``repr``, logs or exception messages.
"""

from __future__ import annotations

import functools
import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import requests

from bot.coviu.errors import AuthError, CoviuError, ServerError, error_from_response

__all__ = ["Secret", "TokenManager", "TokenPost"]

log = logging.getLogger("bot.coviu")


class TokenPost(Protocol):
    """How the manager POSTs to the token endpoint: ``requests.Session.post``'s shape.

    The client passes its own retrying sender here; it returns any response it got (the manager
    reads the status) and raises ``CoviuError`` only when no response could be had.
    """

    def __call__(
        self, url: str, *, data: Mapping[str, str], auth: tuple[str, str]
    ) -> requests.Response: ...


class Secret:
    """A string that will not print itself: ``repr`` and ``str`` show a placeholder.

    >>> s = Secret("hunter2"); (repr(s), s.reveal())
    ("Secret('***')", 'hunter2')
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__


@dataclass(frozen=True)
class _Grant:
    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    # Both on the manager's monotonic clock, measured from just before the request was sent,
    # so network time only makes us refresh early, never late.
    refresh_at: float
    expires_at: float


def _default_post(timeout: float) -> TokenPost:
    return functools.partial(requests.post, timeout=timeout)  # type: ignore[return-value]


class TokenManager:
    """Hands out a valid bearer token; thread-safe. See the module docstring."""

    def __init__(
        self,
        token_url: str,
        api_key: str,
        api_secret: str,
        *,
        post: TokenPost | None = None,
        clock: Callable[[], float] | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.token_url = token_url
        self.api_key = api_key
        self._secret = Secret(api_secret)
        self._post: TokenPost = post or _default_post(timeout)
        self._clock = clock or time.monotonic
        self._grant: _Grant | None = None
        # _state guards _grant (held for microseconds); _fetching is held for a whole grant
        # request so that only one is ever in flight.
        self._state = threading.Lock()
        self._fetching = threading.Lock()

    def __repr__(self) -> str:
        return f"TokenManager(token_url={self.token_url!r}, api_key={self.api_key!r})"

    def token(self) -> str:
        """A bearer token that is valid now, fetching or refreshing one if needed."""
        with self._state:
            grant = self._grant
        now = self._clock()
        if grant is not None and now < grant.refresh_at:
            return grant.access_token
        still_valid = grant is not None and now < grant.expires_at
        if still_valid:
            assert grant is not None
            # Past half-life but not expired: refresh, unless another thread already is, in
            # which case this call goes ahead on the old token rather than waiting.
            if not self._fetching.acquire(blocking=False):
                return grant.access_token
        else:
            self._fetching.acquire()
        try:
            with self._state:
                latest = self._grant
            now = self._clock()
            if latest is not None and now < latest.refresh_at:
                return latest.access_token  # another thread fetched it while we waited
            try:
                fresh = self._obtain(latest)
            except CoviuError:
                if latest is not None and now < latest.expires_at:
                    # Keep working on the valid token; try again halfway to its expiry.
                    log.warning("token refresh failed; using the current token until it expires")
                    retry_at = now + (latest.expires_at - now) / 2
                    with self._state:
                        if self._grant is latest:
                            self._grant = replace(latest, refresh_at=retry_at)
                    return latest.access_token
                raise
            with self._state:
                self._grant = fresh
            return fresh.access_token
        finally:
            self._fetching.release()

    def invalidate(self, token: str) -> None:
        """Mark ``token`` as refused (the API answered 401), if it is still the current one.

        The next ``token()`` then re-authenticates, trying the refresh token first. A stale
        token (one already replaced) is ignored, so many threads reporting the same 401 cause
        one new grant, not many.
        """
        with self._state:
            if self._grant is not None and self._grant.access_token == token:
                self._grant = replace(self._grant, refresh_at=-math.inf, expires_at=-math.inf)

    def secrets(self) -> tuple[str, ...]:
        """Strings that must never be shown (for scrubbing messages): the secret and tokens."""
        with self._state:
            grant = self._grant
        values = [self._secret.reveal()]
        if grant is not None:
            values.append(grant.access_token)
            if grant.refresh_token:
                values.append(grant.refresh_token)
        return tuple(values)

    # -- grants ------------------------------------------------------------------------------

    def _obtain(self, previous: _Grant | None) -> _Grant:
        if previous is not None and previous.refresh_token:
            started = self._clock()
            response = self._request(
                {"grant_type": "refresh_token", "refresh_token": previous.refresh_token}
            )
            if response.status_code == 200:
                log.debug("refreshed the access token")
                return self._parse(response, started)
            if response.status_code != 400:
                raise self._error(response, "refresh token")
            # 400 invalid_grant: the refresh token was used, expired or forgotten (a server
            # restart). The client credentials still work, so start over with them.
            log.info("refresh token refused; authenticating with client credentials")
        started = self._clock()
        response = self._request({"grant_type": "client_credentials"})
        if response.status_code != 200:
            raise self._error(response, "authenticate")
        log.debug("obtained an access token with client credentials")
        return self._parse(response, started)

    def _request(self, data: Mapping[str, str]) -> requests.Response:
        try:
            return self._post(self.token_url, data=data, auth=(self.api_key, self._secret.reveal()))
        except CoviuError:
            raise
        except requests.RequestException as error:
            # Only reached with the default poster; the client's own sender raises CoviuError.
            raise ServerError(
                f"token request failed: {type(error).__name__}", maybe_applied=True
            ) from None

    def _error(self, response: requests.Response, operation: str) -> CoviuError:
        error = error_from_response(response, operation, self.secrets())
        if response.status_code in (400, 401, 403) and not isinstance(error, AuthError):
            # A refused grant is an authentication failure whatever the status.
            return AuthError(
                str(error),
                status=error.status,
                code=error.code,
                server_message=error.server_message,
            )
        return error

    def _parse(self, response: requests.Response, started: float) -> _Grant:
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            raise AuthError("authenticate failed: token response lacks an access_token", status=200)
        token_type = body.get("token_type", "Bearer")
        if not isinstance(token_type, str) or token_type.lower() != "bearer":
            raise AuthError("authenticate failed: token type is not Bearer", status=200)
        refresh = body.get("refresh_token")
        try:
            lifetime = float(body["expires_in"])
        except (KeyError, TypeError, ValueError):
            # No lifetime given: no proactive refresh; a 401 will tell us when it is gone.
            lifetime = math.inf
        lifetime = max(0.0, lifetime)
        return _Grant(
            access_token=body["access_token"],
            refresh_token=refresh if isinstance(refresh, str) and refresh else None,
            refresh_at=started + lifetime / 2,
            expires_at=started + lifetime,
        )
