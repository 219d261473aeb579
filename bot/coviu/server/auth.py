"""API clients and OAuth2 tokens of the local Coviu Session API.

Clients are registered up front (``--client KEY:SECRET[:TEAM]``)::

    >>> ClientRegistration.parse("key1:s3cret:clinic-a")
    ClientRegistration(api_key='key1', team_id='clinic-a')

Tokens are opaque random strings of 256 bits; only their sha256 is stored, so a copy of the
database does not hand out working tokens. ``POST /v1/auth/token`` follows RFC 6749:
``client_credentials`` with HTTP Basic ``api_key:key_secret``, and ``refresh_token`` with
rotation (the used refresh token stops working). Its errors use RFC 6749 §5.2's shape
(``{"error": "invalid_client"}``), not the ``{"error": {...}}`` of the resource calls, because
OAuth2 client libraries parse that shape.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

from fastapi.responses import JSONResponse

from bot.coviu.server.errors import ApiError
from bot.coviu.server.store import Store, db_time

# Namespace of the default team ids: a client registered without a team gets a team of its own,
# derived from its key, so restarting the server with the same --client keeps its sessions.
TEAM_NAMESPACE = uuid.UUID("5d1f0c62-4b8e-4a0e-9c59-7f2a6c3e1b10")
SCOPE = "sessions"
REFRESH_TOKEN_TTL = 30 * 24 * 3600

_INVALID_TOKEN_HEADERS = {"WWW-Authenticate": 'Bearer realm="coviu", error="invalid_token"'}
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@dataclass(frozen=True)
class ClientRegistration:
    """An API client to register: its key, its secret and (optionally) its team.

    ``repr`` leaves the secret out, so a registration can be logged.
    """

    api_key: str
    api_secret: str = field(repr=False)
    team_id: str | None = None

    @classmethod
    def parse(cls, spec: str) -> ClientRegistration:
        """``"KEY:SECRET"`` or ``"KEY:SECRET:TEAM"`` (the ``--client`` option)."""
        parts = spec.split(":") if isinstance(spec, str) else []
        if len(parts) not in (2, 3) or not all(part.strip() for part in parts):
            # Never echo the spec: it holds a secret.
            raise ValueError(
                "a client must be given as KEY:SECRET or KEY:SECRET:TEAM, "
                f"with no empty part and no other ':' (got {len(parts)} part(s))"
            )
        key, secret, *team = (part.strip() for part in parts)
        return cls(key, secret, team[0] if team else None)

    @property
    def effective_team_id(self) -> str:
        """The named team, or a team of this client's own (deterministic from the key)."""
        return self.team_id or str(uuid.uuid5(TEAM_NAMESPACE, self.api_key))


@dataclass(frozen=True)
class Caller:
    """Who is calling: the authenticated client and its team."""

    client_id: str
    team_id: str


def hash_secret(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def register_client(store: Store, registration: ClientRegistration, now: datetime) -> str:
    """Add or update a client (same key: new secret/team, same client_id). Returns client_id.

    A new secret is a rotation: the client's refresh tokens stop working at once (its access
    tokens run out at their expiry), so whoever held the old secret keeps nothing for long.
    A client that was revoked (left out at a restart) works again.
    """
    with store.transaction() as db:
        rows = list(
            db.query(
                "SELECT id, secret_hash FROM clients WHERE api_key = ?", [registration.api_key]
            )
        )
        values = {
            "secret_hash": hash_secret(registration.api_secret),
            "team_id": registration.effective_team_id,
            "revoked_at": None,
        }
        if rows:
            client_id = str(rows[0]["id"])
            if not hmac.compare_digest(rows[0]["secret_hash"], values["secret_hash"]):
                db.execute(
                    "DELETE FROM tokens WHERE client_id = ? AND kind = 'refresh'", [client_id]
                )
            db["clients"].update(client_id, values)
            return client_id
        client_id = str(uuid.uuid4())
        db["clients"].insert(
            {"id": client_id, "api_key": registration.api_key, "created_at": db_time(now)} | values
        )
        return client_id


def revoke_other_clients(store: Store, keep: list[str], now: datetime) -> list[str]:
    """Revoke every client whose key is not in ``keep``: its tokens, access and refresh, are
    deleted and it can get no new ones. Its sessions stay (a client registered again later
    finds them). Returns the keys revoked now."""
    with store.transaction() as db:
        marks = ", ".join("?" for _ in keep) or "NULL"
        rows = list(
            db.query(
                f"SELECT id, api_key FROM clients WHERE revoked_at IS NULL "
                f"AND api_key NOT IN ({marks})",
                keep,
            )
        )
        for row in rows:
            db.execute("DELETE FROM tokens WHERE client_id = ?", [row["id"]])
            db["clients"].update(row["id"], {"revoked_at": db_time(now)})
        return [str(row["api_key"]) for row in rows]


class TokenService:
    """Issues, rotates and checks tokens against one store, on one clock."""

    def __init__(self, store: Store, token_ttl: int, clock: Callable[[], datetime]) -> None:
        if token_ttl <= 0:
            raise ValueError("token_ttl must be a positive number of seconds")
        self.store = store
        self.token_ttl = token_ttl
        self.clock = clock

    # -- the token endpoint ------------------------------------------------------------------------

    def token_response(self, authorization: str | None, content_type: str, body: bytes) -> Any:
        """Answer ``POST /v1/auth/token`` (a JSONResponse, success or RFC 6749 error)."""
        try:
            form = _parse_form(content_type, body)
        except ValueError as error:
            return _oauth_error(400, "invalid_request", str(error))
        client_id = self._authenticate_client(authorization)
        if client_id is None:
            return _oauth_error(
                401,
                "invalid_client",
                "unknown client or wrong secret (send HTTP Basic api_key:key_secret)",
                {"WWW-Authenticate": 'Basic realm="coviu"'},
            )
        grant = form.get("grant_type")
        if not grant:
            return _oauth_error(400, "invalid_request", "grant_type is required")
        if grant == "client_credentials":
            return self._issue(client_id, used_refresh=None)
        if grant == "refresh_token":
            refresh = form.get("refresh_token")
            if not refresh:
                return _oauth_error(400, "invalid_request", "refresh_token is required")
            return self._issue(client_id, used_refresh=refresh)
        return _oauth_error(
            400,
            "unsupported_grant_type",
            "grant_type must be client_credentials or refresh_token",
        )

    def _authenticate_client(self, authorization: str | None) -> str | None:
        credentials = _basic_credentials(authorization)
        if credentials is None:
            return None
        key, secret = credentials
        row = self.store.query_one(
            "SELECT id, secret_hash FROM clients WHERE api_key = ? AND revoked_at IS NULL", [key]
        )
        # Hash first, compare in constant time: no timing hint about the stored hash.
        if row is None or not hmac.compare_digest(row["secret_hash"], hash_secret(secret)):
            return None
        return str(row["id"])

    def _issue(self, client_id: str, used_refresh: str | None) -> JSONResponse:
        now = self.clock()
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self.store.transaction() as db:
            if used_refresh is not None:
                # Rotation: the used token is deleted in the same transaction that issues its
                # successor, so it works exactly once even under concurrent refreshes.
                cursor = db.execute(
                    "DELETE FROM tokens WHERE token_hash = ? AND kind = 'refresh' "
                    "AND client_id = ? AND expires_at > ?",
                    [hash_secret(used_refresh), client_id, db_time(now)],
                )
                if cursor.rowcount != 1:
                    return _oauth_error(
                        400, "invalid_grant", "refresh token is unknown, expired or already used"
                    )
            # Keep the table small: forget this client's expired tokens while we are here.
            db.execute(
                "DELETE FROM tokens WHERE client_id = ? AND expires_at <= ?",
                [client_id, db_time(now)],
            )
            db["tokens"].insert_all(
                [
                    {
                        "token_hash": hash_secret(access),
                        "kind": "access",
                        "client_id": client_id,
                        "expires_at": db_time(now + timedelta(seconds=self.token_ttl)),
                    },
                    {
                        "token_hash": hash_secret(refresh),
                        "kind": "refresh",
                        "client_id": client_id,
                        "expires_at": db_time(now + timedelta(seconds=REFRESH_TOKEN_TTL)),
                    },
                ]
            )
        body = {
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": self.token_ttl,
            "token_type": "Bearer",
            "scope": SCOPE,
        }
        return JSONResponse(body, headers=_NO_STORE)

    # -- bearer check for every other call ---------------------------------------------------------

    def caller(self, bearer: str | None) -> Caller:
        """The caller behind a bearer token, or a 401 ``invalid_token`` ApiError."""
        if not bearer:
            raise ApiError(
                401,
                "invalid_token",
                "missing bearer token (send Authorization: Bearer <access_token>)",
                headers=_INVALID_TOKEN_HEADERS,
            )
        row = self.store.query_one(
            "SELECT t.client_id, t.expires_at, c.team_id FROM tokens t "
            "JOIN clients c ON c.id = t.client_id WHERE t.token_hash = ? AND t.kind = 'access' "
            "AND c.revoked_at IS NULL",
            [hash_secret(bearer)],
        )
        if row is None:
            raise ApiError(
                401, "invalid_token", "unknown access token", headers=_INVALID_TOKEN_HEADERS
            )
        if row["expires_at"] <= db_time(self.clock()):
            raise ApiError(
                401, "invalid_token", "the access token has expired", headers=_INVALID_TOKEN_HEADERS
            )
        return Caller(client_id=row["client_id"], team_id=row["team_id"])


def _oauth_error(
    status: int, error: str, description: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=status,
        headers=_NO_STORE | (headers or {}),
    )


def _basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    if not authorization:
        return None
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    key, colon, secret = decoded.partition(":")
    return (key, secret) if colon else None


def _parse_form(content_type: str, body: bytes) -> dict[str, str]:
    """The token request's parameters: form-encoded (the spec) or a JSON object."""
    media = content_type.split(";")[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        try:
            data = json.loads(body or b"{}")
        except (ValueError, UnicodeDecodeError) as error:
            raise ValueError("the request body is not valid JSON") from error
        if not isinstance(data, dict):
            raise ValueError("the request body must be a JSON object")
        return {str(k): v for k, v in data.items() if isinstance(v, str)}
    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError as error:
        raise ValueError("the request body is not UTF-8 form data") from error
