"""Slack's front door: one HTTP server for every workspace the stand-in hosts, and OAuth.

Each workspace (`Workspace` + its `WebApi`) has its own tokens; a Web API call is served by the
workspace its token belongs to, so a token from one workspace never reaches another's users,
channels or messages. ``oauth.v2.access`` turns a code from `Hub.authorize` (the person
clicking *Allow* on Slack's install page) into the workspace's bot token::

    code = hub.authorize("T0OTHER", "U0ZOE")
    WebClient(base_url=url).oauth_v2_access(client_id=..., client_secret=..., code=code)
    -> {"ok": true, "access_token": "xoxb-…", "token_type": "bot", "scope": "…",
        "bot_user_id": "U…", "app_id": "A0COVIU", "team": {"id": "T0OTHER", "name": "…"},
        "enterprise": null, "is_enterprise_install": false, "authed_user": {"id": "U0ZOE"}}

With token rotation on, access tokens (``xoxe.xoxb-…``) expire after `token_ttl` seconds of
the workspace clock and come with a single-use ``refresh_token`` (``grant_type=refresh_token``).
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from .api import DEFAULT_SCOPES, ApiError, Grant, Params, WebApi, body_params
from .network import Network

CODE_TTL = 600  # Slack's OAuth codes are good for ten minutes
TOKEN_TTL = 12 * 3600  # rotating access tokens last twelve hours


@dataclass(frozen=True)
class OAuthApp:
    """The app's credentials as Slack's app settings show them."""

    client_id: str = "1111111111.2222222222"
    client_secret: str = "fake-client-secret"
    app_id: str = "A0COVIU"
    scopes: str = DEFAULT_SCOPES
    token_rotation: bool = False
    token_ttl: int = TOKEN_TTL


@dataclass
class _Code:
    code: str
    team_id: str
    user_id: str
    scopes: str
    user_scopes: str
    redirect_uri: str | None
    issued_at: float  # workspace clock
    used: bool = False


@dataclass(frozen=True)
class _Refresh:
    team_id: str
    kind: str
    user_id: str
    scopes: str


class Hub:
    """Routes Web API calls and response_url posts to the right workspace; runs OAuth."""

    def __init__(self, network: Network, oauth: OAuthApp) -> None:
        self.network = network
        self.oauth = oauth
        self.apis: dict[str, WebApi] = {}
        self._codes: dict[str, _Code] = {}
        self._refresh: dict[str, _Refresh] = {}
        self._lock = threading.Lock()

    def add(self, api: WebApi) -> None:
        if api.ws.team_id in self.apis:
            raise ValueError(f"workspace {api.ws.team_id} already exists")
        self.apis[api.ws.team_id] = api

    @property
    def primary(self) -> WebApi:
        return next(iter(self.apis.values()))

    def api_for_token(self, token: str | None) -> WebApi:
        """The workspace `token` belongs to (the first one, to refuse it, when none)."""
        if token:
            # A copy: a test may add a workspace while the server is answering.
            for api in list(self.apis.values()):
                if api.grant(token) is not None:
                    return api
        return self.primary

    # --- install --------------------------------------------------------------------------

    def authorize(
        self,
        team_id: str,
        user_id: str,
        scopes: str | None = None,
        user_scopes: str = "",
        redirect_uri: str | None = None,
    ) -> str:
        """`user_id` of `team_id` allows the app on Slack's install page: a one-use code."""
        api = self.apis.get(team_id)
        if api is None:
            raise KeyError(f"no workspace {team_id!r}; known: {', '.join(self.apis)}")
        if user_id not in api.ws.users or api.ws.users[user_id].is_bot:
            raise KeyError(f"no person {user_id!r} in {team_id}")
        code = f"{team_id[1:]}.{secrets.token_hex(6)}.{secrets.token_hex(16)}"
        with self._lock:
            self._codes[code] = _Code(
                code,
                team_id,
                user_id,
                scopes or self.oauth.scopes,
                user_scopes,
                redirect_uri,
                api.ws.clock(),
            )
        return code

    def uninstall(self, team_id: str) -> None:
        """Revoke every token of `team_id` (they then answer ``token_revoked``)."""
        api = self.apis[team_id]
        with api.ws.lock:
            for grant in api.grants.values():
                grant.revoked = True
        with self._lock:
            for token, refresh in list(self._refresh.items()):
                if refresh.team_id == team_id:
                    del self._refresh[token]

    def _check_client(self, params: Params) -> None:
        if params.get("client_id") != self.oauth.client_id:
            raise ApiError("invalid_client_id")
        if params.get("client_secret") != self.oauth.client_secret:
            raise ApiError("bad_client_secret")

    def _workspace_of(self, params: Params) -> WebApi:
        """Where an oauth.v2.access call is recorded: the workspace its code or refresh
        token is for."""
        with self._lock:
            code = self._codes.get(str(params.get("code") or ""))
            refresh = self._refresh.get(str(params.get("refresh_token") or ""))
        team_id = code.team_id if code else refresh.team_id if refresh else None
        return self.apis.get(team_id or "", self.primary)

    def oauth_v2_access(self, params: Params) -> dict[str, Any]:
        """Slack's ``oauth.v2.access``: a code (or refresh token) for the workspace's tokens."""
        self._check_client(params)
        grant_type = str(params.get("grant_type") or "authorization_code")
        if grant_type == "refresh_token":
            return self._refresh_grant(str(params.get("refresh_token") or ""))
        if grant_type != "authorization_code":
            raise ApiError("invalid_grant_type")
        with self._lock:
            code = self._codes.get(str(params.get("code") or ""))
            if code is None or code.used:
                raise ApiError("invalid_code")
            api = self.apis[code.team_id]
            if api.ws.clock() - code.issued_at > CODE_TTL:
                raise ApiError("invalid_code")
            if code.redirect_uri and params.get("redirect_uri", code.redirect_uri) != (
                code.redirect_uri
            ):
                raise ApiError("bad_redirect_uri")
            code.used = True
        bot = self._issue(api, "bot", api.ws.bot.id, code.scopes)
        body = {
            "app_id": self.oauth.app_id,
            "authed_user": {"id": code.user_id},
            **self._token_fields(bot),
            "bot_user_id": api.ws.bot.id,
            "team": {"id": api.ws.team_id, "name": api.me.team},
            "enterprise": None,
            "is_enterprise_install": False,
        }
        if code.user_scopes:
            person = self._issue(api, "user", code.user_id, code.user_scopes)
            body["authed_user"] = {"id": code.user_id, **self._token_fields(person)}
        return body

    def _refresh_grant(self, refresh_token: str) -> dict[str, Any]:
        with self._lock:
            # Single use: the refresh token is revoked as it is exchanged, as Slack does.
            refresh = self._refresh.pop(refresh_token, None)
        if refresh is None:
            raise ApiError("invalid_refresh_token")
        api = self.apis[refresh.team_id]
        grant = self._issue(api, refresh.kind, refresh.user_id, refresh.scopes)
        body: dict[str, Any] = {"app_id": self.oauth.app_id, **self._token_fields(grant)}
        if refresh.kind == "bot":
            body["bot_user_id"] = api.ws.bot.id
        body.update(
            team={"id": api.ws.team_id, "name": api.me.team},
            enterprise=None,
            is_enterprise_install=False,
        )
        return body

    def _issue(self, api: WebApi, kind: str, user_id: str, scopes: str) -> Grant:
        """A token for `kind` in `api`'s workspace. Without rotation a bot keeps the token
        it has (Slack re-issues the same one on reinstall)."""
        rotating = self.oauth.token_rotation
        if not rotating:
            with api.ws.lock:
                for grant in api.grants.values():
                    if (grant.kind, grant.user_id, grant.revoked) == (kind, user_id, False):
                        grant.scopes = scopes
                        return grant
        prefix = "xoxb" if kind == "bot" else "xoxp"
        secret = f"{api.ws.team_id[1:]}-{secrets.token_hex(5)}-{secrets.token_urlsafe(18)}"
        token = f"xoxe.{prefix}-1-{secret}" if rotating else f"{prefix}-{secret}"
        expires = api.ws.clock() + self.oauth.token_ttl if rotating else None
        grant = Grant(token, api.ws.team_id, kind, user_id, scopes, expires_at=expires)
        api.add_grant(grant)
        return grant

    def _token_fields(self, grant: Grant) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "scope": grant.scopes,
            "token_type": grant.kind,
            "access_token": grant.token,
        }
        if grant.expires_at is not None:
            refresh = f"xoxe-1-{secrets.token_urlsafe(24)}"
            with self._lock:
                self._refresh[refresh] = _Refresh(
                    grant.team_id, grant.kind, grant.user_id, grant.scopes
                )
            fields.update(refresh_token=refresh, expires_in=self.oauth.token_ttl)
        return fields

    # --- HTTP -----------------------------------------------------------------------------

    def asgi(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/api/{method}", self._http_api, methods=["GET", "POST"]),
                Route(
                    "/commands/{team_id}/{number}/{hook_id}", self._http_respond, methods=["POST"]
                ),
            ]
        )

    async def _delay(self) -> None:
        # An async sleep: while one call waits out its latency the server serves others.
        if self.network.latency > 0:
            await asyncio.sleep(self.network.latency)

    async def _http_api(self, request: Request) -> Response:
        started = time.monotonic()
        params: Params = dict(request.query_params)
        params.update(await body_params(request))
        token = params.pop("token", None)
        authorization = request.headers.get("authorization", "")
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() == "bearer":
            token = credentials.strip()
        elif scheme.lower() == "basic":  # how slack_sdk sends oauth.v2.access credentials
            client_id, _, client_secret = _basic(credentials)
            params.setdefault("client_id", client_id)
            params.setdefault("client_secret", client_secret)
        await self._delay()
        method = request.path_params["method"]
        if method == "oauth.v2.access":
            api = self._workspace_of(params)
            status, body, headers = api.call(
                method, params, None, started=started, handler=self.oauth_v2_access
            )
        else:
            api = self.api_for_token(token)
            status, body, headers = api.call(method, params, token, started=started)
        return JSONResponse(body, status_code=status, headers=headers)

    async def _http_respond(self, request: Request) -> Response:
        body = await body_params(request)
        await self._delay()
        api = self.apis.get(request.path_params["team_id"])
        if api is None:
            return PlainTextResponse("no_service", status_code=404)
        return await api.respond_http(request.path_params["hook_id"], body)


def _basic(credentials: str) -> tuple[str, str, str]:
    try:
        return base64.b64decode(credentials.strip()).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return "", "", ""
