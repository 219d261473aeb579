"""The FastAPI application of the local Coviu Session API.

FastAPI gives request validation from type hints and an OpenAPI document (``/openapi.json``)
for free. One ``create_app`` call is one database and one set of clients: nothing is global, so
several apps can live in one process (the tests run many) and the bot can mount one inside its
own app::

    app = create_app("coviu.db", [ClientRegistration.parse("key:secret")])
    with ServerThread(app) as server:
        token = requests.post(f"{server.url}/v1/auth/token", auth=("key", "secret"),
                              data={"grant_type": "client_credentials"}).json()

    outer.mount("/", app)          # paths stay absolute: /v1/..., /healthz

Routes are closures over this app's store, so ``outer.include_router(app.router)`` works too
(then call ``install_error_handlers(outer)`` for the error shape).

Besides the API, the app serves each participant's ``entry_url`` (``GET /session/<id>``, see
``entry.py`` for the rules and ``pages.py`` for the HTML), the JSON that page polls and acts
through (``/session/<id>/enter|state|admit|remove|leave``), its two static files
(``/session-assets/entry.css|js``), and the API client's record of it all,
``GET /v1/sessions/<id>/summary``.
"""

# No `from __future__ import annotations` here: FastAPI evaluates the endpoint signatures, and
# they refer to dependencies that are local to create_app.

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from bot.coviu.dates import parse_date
from bot.coviu.server import openapi
from bot.coviu.server.auth import Caller, ClientRegistration, TokenService, revoke_other_clients
from bot.coviu.server.auth import register_client as _register_client
from bot.coviu.server.entry import EntryService
from bot.coviu.server.errors import (
    STATUS_TEXT,
    AnswerOptions,
    ApiError,
    OAuthErrorBody,
    error_responses,
    install_error_handlers,
    invalid_field,
)
from bot.coviu.server.limits import RequestLimits
from bot.coviu.server.pages import ASSETS_PATH, PAGE_HEADERS, asset, entry_page, refusal_page
from bot.coviu.server.schemas import (
    DATE_PATTERN,
    Ok,
    ParticipantIn,
    ParticipantOut,
    ParticipantUpdate,
    SessionCreate,
    SessionOut,
    SessionPage,
    SessionSummary,
    SessionUpdate,
    TokenIn,
    TokenOut,
)
from bot.coviu.server.service import SessionService
from bot.coviu.server.store import PAGE_MAX, PAGE_SIZE_LIMIT, PAGE_SIZE_MAX, ListQuery, Store
from bot.coviu.server.webhooks import Webhooks, webhooks

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def _real_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class CoviuServer:
    """What one app instance owns; reachable as ``app.state.coviu``."""

    store: Store
    tokens: TokenService
    sessions: SessionService
    clock: Clock
    entry: EntryService
    webhooks: Webhooks

    def now(self) -> datetime:
        moment = self.clock()
        if moment.tzinfo is None:
            raise ValueError("the clock must return an aware datetime")
        return moment.astimezone(UTC)


def register_client(app: FastAPI, registration: ClientRegistration) -> str:
    """Register (or update) an API client on a running app; returns its ``client_id``."""
    server: CoviuServer = app.state.coviu
    return _register_client(server.store, registration, server.now())


def create_app(
    db_path: str | Path,
    clients: Sequence[ClientRegistration],
    token_ttl: int = 3600,
    public_url: str = "http://127.0.0.1:8080",
    clock: Clock | None = None,
    webhook_url: str | None = None,
    webhook_secret: str | None = None,
) -> FastAPI:
    """Build the local Coviu Session API on the SQLite file ``db_path``.

    ``clients`` are registered (again) at start; an existing key gets the new secret and team
    and keeps its ``client_id``. They are the clients that work: a client registered on this
    file before and missing now is revoked (its tokens refused), and a client whose secret
    changed loses its refresh tokens.

    With ``webhook_url`` (and ``webhook_secret``, required with it) every session and entry
    event is POSTed there as Coviu does (see ``webhooks.py``), from a background thread;
    ``app.state.coviu.webhooks.close()`` sends what is queued and stops it.

    ``clock`` returns the aware current time; tests pass one they can move forward to see
    sessions start and end and tokens expire.
    """
    hooks = webhooks(webhook_url, webhook_secret)
    store = Store(db_path)
    tokens = TokenService(store, token_ttl, clock or _real_clock)
    server = CoviuServer(
        store,
        tokens,
        SessionService(store, public_url, hooks),
        clock or _real_clock,
        EntryService(store, hooks),
        hooks,
    )
    for registration in clients:
        _register_client(store, registration, server.now())
    # The clients given now are the clients that work: any other one is revoked.
    revoked = revoke_other_clients(store, [c.api_key for c in clients], server.now())
    if revoked:
        log.info("revoked %d API client(s) not given at start", len(revoked))
    if store.query_one("SELECT 1 AS one FROM clients LIMIT 1") is None:
        log.warning("no API client registered: pass --client KEY:SECRET to get tokens")

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        hooks.close()
        store.close()

    app = FastAPI(title="Coviu Session API (local)", version="1", lifespan=lifespan)
    app.state.coviu = server
    install_error_handlers(app)
    app.add_middleware(RequestLimits)
    app.add_middleware(AnswerOptions)
    app.include_router(_router(server))
    app.include_router(_entry_router(server))
    openapi.install(app)
    return app


def _router(server: CoviuServer) -> APIRouter:
    router = APIRouter()
    sessions = server.sessions
    bearer = HTTPBearer(auto_error=False, description="an access token from /v1/auth/token")

    def caller(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Caller:
        return server.tokens.caller(credentials.credentials if credentials else None)

    CallerDep = Annotated[Caller, Depends(caller)]
    date_query: dict[str, Any] = {
        "json_schema_extra": {"pattern": DATE_PATTERN, "maxLength": 64},
        "examples": ["Wed, 08 Jun 2039 04:07:11 GMT", "2039-06-08T04:17:11Z"],
    }
    DeletedParticipants = Annotated[bool, Query(description="also show cancelled participants")]

    @router.get("/healthz", tags=["meta"])
    def healthz() -> dict[str, bool]:
        return {"ok": True}

    @router.post(
        "/v1/auth/token",
        tags=["auth"],
        response_model=TokenOut,
        responses=error_responses(400, 401, model=OAuthErrorBody)
        | error_responses(413, model=OAuthErrorBody),
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/x-www-form-urlencoded": {
                        "schema": {
                            "oneOf": [
                                {
                                    "type": "object",
                                    "required": ["grant_type"],
                                    "properties": {"grant_type": {"const": "client_credentials"}},
                                },
                                {
                                    "type": "object",
                                    "required": ["grant_type", "refresh_token"],
                                    "properties": {
                                        "grant_type": {"const": "refresh_token"},
                                        "refresh_token": {"type": "string", "minLength": 1},
                                    },
                                },
                            ]
                        }
                    }
                },
            },
            "security": [{"HTTPBasic": []}],
        },
    )
    async def token(request: Request) -> Any:
        """OAuth2 token endpoint (RFC 6749): client_credentials or refresh_token."""
        body = await request.body()
        # The body is parsed by hand (form or JSON) so no multipart library is needed; the
        # database work runs in the thread pool like every other endpoint.
        return await run_in_threadpool(
            server.tokens.token_response,
            request.headers.get("authorization"),
            request.headers.get("content-type", ""),
            body,
        )

    @router.post(
        "/v1/sessions", tags=["sessions"], response_model=SessionOut,
        responses=error_responses(400, 401, 413),
    )  # fmt: skip
    def create_session(who: CallerDep, body: SessionCreate) -> dict[str, Any]:
        """Create a session; start in the future, end after start."""
        return sessions.create(who, body, server.now())

    def list_sessions(
        who: CallerDep,
        page: Annotated[
            int, Query(ge=0, le=PAGE_MAX, description=f"zero based, at most {PAGE_MAX}")
        ] = 0,
        page_size: Annotated[
            int,
            Query(
                ge=1,
                le=PAGE_SIZE_LIMIT,
                description=f"sessions per page; values over {PAGE_SIZE_MAX} are capped to "
                f"{PAGE_SIZE_MAX}, values over {PAGE_SIZE_LIMIT} refused",
            ),
        ] = PAGE_SIZE_MAX,
        start_time: Annotated[
            str | None, Query(description="sessions starting at or after", **date_query)
        ] = None,
        end_time: Annotated[
            str | None, Query(description="sessions ending at or before", **date_query)
        ] = None,
        order: Annotated[
            Literal["forward", "reverse"], Query(description="by start_time, then id")
        ] = "forward",
        state: Annotated[
            str | None,
            Query(max_length=4096, description="sessions with a participant of this state"),
        ] = None,
        include_canceled: Annotated[bool, Query()] = False,
        deleted_participants: DeletedParticipants = False,
    ) -> dict[str, Any]:
        """A page of the team's sessions, ordered by start time (then id)."""
        query = ListQuery(
            team_id=who.team_id,
            page=page,
            page_size=min(page_size, PAGE_SIZE_MAX),
            start_time=_query_date("start_time", start_time),
            end_time=_query_date("end_time", end_time),
            reverse=order == "reverse",
            include_canceled=include_canceled,
            deleted_participants=deleted_participants,
            state=state,
        )
        return sessions.list(who, query)

    router.add_api_route(
        "/v1/sessions", list_sessions, methods=["GET"], tags=["sessions"],
        response_model=SessionPage, responses=error_responses(400, 401),
    )  # fmt: skip
    # The seed's heading says /v1/session (a slip from an older API); serve it as well.
    router.add_api_route(
        "/v1/session", list_sessions, methods=["GET"], tags=["sessions"],
        response_model=SessionPage, operation_id="list_sessions_singular_alias",
        responses=error_responses(400, 401),
    )  # fmt: skip

    @router.get(
        "/v1/sessions/{session_id}", tags=["sessions"], response_model=SessionOut,
        responses=error_responses(400, 401, 404),
    )  # fmt: skip
    def get_session(
        who: CallerDep, session_id: str, deleted_participants: DeletedParticipants = False
    ) -> dict[str, Any]:
        return sessions.get(who, session_id, deleted_participants)

    @router.put(
        "/v1/sessions/{session_id}", tags=["sessions"], response_model=SessionOut,
        responses=error_responses(400, 401, 404, 409, 413),
    )  # fmt: skip
    def update_session(who: CallerDep, session_id: str, body: SessionUpdate) -> dict[str, Any]:
        """Change name, picture, start or end of a session that has not ended."""
        return sessions.update(who, session_id, body, server.now())

    @router.delete(
        "/v1/sessions/{session_id}", tags=["sessions"], response_model=Ok,
        responses=error_responses(401, 404, 409),
    )  # fmt: skip
    def cancel_session(who: CallerDep, session_id: str) -> dict[str, Any]:
        """Cancel a session that has not started yet."""
        return sessions.cancel(who, session_id, server.now())

    @router.post(
        "/v1/sessions/{session_id}/participants",
        tags=["participants"],
        response_model=ParticipantOut,
        responses=error_responses(400, 401, 404, 409, 413),
    )
    def add_participant(who: CallerDep, session_id: str, body: ParticipantIn) -> dict[str, Any]:
        """Add a participant to a session that has neither ended nor been cancelled."""
        return sessions.add_participant(who, session_id, body, server.now())

    @router.get(
        "/v1/sessions/{session_id}/participants",
        tags=["participants"],
        response_model=list[ParticipantOut],
        responses=error_responses(400, 401, 404),
    )
    def list_participants(
        who: CallerDep, session_id: str, deleted_participants: DeletedParticipants = False
    ) -> list[dict[str, Any]]:
        return sessions.participants(who, session_id, deleted_participants)

    @router.get(
        "/v1/participants/{participant_id}", tags=["participants"], response_model=ParticipantOut,
        responses=error_responses(401, 404),
    )  # fmt: skip
    def get_participant(who: CallerDep, participant_id: str) -> dict[str, Any]:
        return sessions.get_participant(who, participant_id)

    @router.put(
        "/v1/participants/{participant_id}", tags=["participants"], response_model=ParticipantOut,
        responses=error_responses(400, 401, 404, 409, 413),
    )  # fmt: skip
    def update_participant(
        who: CallerDep, participant_id: str, body: ParticipantUpdate
    ) -> dict[str, Any]:
        """Change name, role (required), picture or state of a participant."""
        return sessions.update_participant(who, participant_id, body, server.now())

    @router.delete(
        "/v1/participants/{participant_id}", tags=["participants"], response_model=Ok,
        responses=error_responses(401, 404, 409),
    )  # fmt: skip
    def cancel_participant(who: CallerDep, participant_id: str) -> dict[str, Any]:
        """Cancel a participant of a session that has not ended."""
        return sessions.cancel_participant(who, participant_id, server.now())

    @router.get(
        "/v1/sessions/{session_id}/summary", tags=["sessions"], response_model=SessionSummary,
        responses=error_responses(401, 404),
    )  # fmt: skip
    def session_summary(who: CallerDep, session_id: str) -> dict[str, Any]:
        """Who entered (through their entry_url), was let in, removed and left, and when:
        per participant, and as one list of events in order."""
        return server.entry.summary(who, session_id, server.now())

    return router


def _entry_router(server: CoviuServer) -> APIRouter:
    """The pages behind the entry links and the JSON they use.

    The JSON calls are authorised by the participant id in the path: holding the link is
    being that participant, exactly as for the page. Errors use the API's ``{"error": ...}``
    shape with the page's statuses (404 unknown link, 410 cancelled or ended, 403 not open
    yet or not a host, 409 for a stale click).
    """
    router = APIRouter(tags=["entry"])
    entry = server.entry
    # Read once: the files are package data and do not change while the app runs.
    assets = {
        "entry.css": (asset("entry.css"), "text/css; charset=utf-8"),
        "entry.js": (asset("entry.js"), "text/javascript; charset=utf-8"),
    }

    def page(html: str, status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
        return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS | (headers or {}))

    def state(body: dict[str, Any]) -> JSONResponse:
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    html_refusals: dict[int | str, Any] = {
        status: {"description": STATUS_TEXT[status] + " (an HTML page)",
                 "content": {"text/html": {"schema": {"type": "string"}}}}
        for status in (403, 404, 410)
    }  # fmt: skip
    door = error_responses(403, 404, 410)

    @router.get("/session/{participant_id}", response_class=HTMLResponse, responses=html_refusals)
    def entry_link(participant_id: str, request: Request) -> HTMLResponse:
        """The participant's page. Opening it changes nothing (a link preview must not put
        anyone in the waiting room): its script enters."""
        try:
            found = entry.lookup(participant_id)
        except ApiError as error:
            return page(refusal_page(error), error.status)
        try:
            entry.check_door(found, server.now())
        except ApiError as error:
            # A cancelled participant learns nothing of the session; the others may.
            shown = found if error.code in ("not_open_yet", "session_ended") else None
            return page(refusal_page(error, shown), error.status, error.headers)
        base = f"{request.scope.get('root_path', '')}/session/{participant_id}"
        return page(entry_page(found, base))

    @router.post("/session/{participant_id}/enter", responses=door)
    def enter(participant_id: str) -> JSONResponse:
        """Come in: a host is in, a guest waits. Answers the page's state."""
        return state(entry.enter(participant_id, server.now()))

    @router.get("/session/{participant_id}/state", responses=door)
    def poll(participant_id: str) -> JSONResponse:
        """The page's state; each call also says its holder is still here."""
        return state(entry.state(participant_id, server.now()))

    @router.post(
        "/session/{participant_id}/admit", responses=error_responses(400, 403, 404, 409, 410, 413)
    )
    def admit(participant_id: str, body: TokenIn) -> JSONResponse:
        """A host who is in lets the waiting guest with this token in."""
        return state(entry.admit(participant_id, body.token, server.now()))

    @router.post(
        "/session/{participant_id}/remove", responses=error_responses(400, 403, 404, 409, 410, 413)
    )
    def remove(participant_id: str, body: TokenIn) -> JSONResponse:
        """A host who is in removes the guest with this token."""
        return state(entry.remove(participant_id, body.token, server.now()))

    @router.post("/session/{participant_id}/leave", responses=door)
    def leave(participant_id: str) -> JSONResponse:
        return state(entry.leave(participant_id, server.now()))

    @router.get(ASSETS_PATH + "/{name}", include_in_schema=False)
    def static_file(name: str) -> Response:
        if name not in assets:
            raise ApiError(404, "not_found", f"no asset {name!r}")
        content, media_type = assets[name]
        return Response(content, media_type=media_type, headers={"Cache-Control": "no-cache"})

    return router


def _query_date(name: str, text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_date(text)
    except (ValueError, OverflowError) as error:
        raise invalid_field(name, str(error)) from None


__all__ = ["ApiError", "CoviuServer", "create_app", "register_client"]
