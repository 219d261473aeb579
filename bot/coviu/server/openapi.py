"""The OpenAPI document (``/openapi.json``), made to say what the server does.

FastAPI's generated document is a good start; ``install(app)`` corrects what it gets wrong for
this API:

- FastAPI lists a 422 for every operation with parameters; this server never sends one (bad
  input is a 400 in the ``{"error": {...}}`` shape), so the 422s and their schemas go.
- The limits checked before any parsing (body size per call, JSON depth) can refuse any call
  with a body: those calls list 400 and 413.
- The token endpoint's HTTP Basic scheme is defined (FastAPI only defines schemes it sees in
  dependencies, and that endpoint reads its header by hand).
- The description states the limits, revocation, and the webhooks this server sends.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field

from bot.coviu.server.errors import STATUS_TEXT
from bot.coviu.server.limits import MAX_API_BODY, MAX_ENTRY_BODY, MAX_JSON_DEPTH, MAX_TOKEN_BODY
from bot.coviu.server.store import PAGE_MAX, PAGE_SIZE_LIMIT, PAGE_SIZE_MAX
from bot.coviu.server.webhooks import EVENT_TYPES, SECRET_HEADER

DESCRIPTION = f"""A local, faithful implementation of the Coviu Session API.

**Errors.** Every 4xx of the resource calls and of the entry pages' JSON has the body
`{{"error": {{"code", "message", "field"?}}}}`; the token endpoint answers RFC 6749's
`{{"error", "error_description"}}`. Each operation lists the statuses it can send.

**Limits** (checked before anything is parsed): request bodies at most {MAX_TOKEN_BODY} bytes on
`/v1/auth/token`, {MAX_API_BODY} bytes on the other API calls and {MAX_ENTRY_BODY} bytes on
the entry pages' calls (413 `payload_too_large` past them); JSON nested at most
{MAX_JSON_DEPTH} levels deep (400 `json_too_deep`); `page` at most {PAGE_MAX}, `page_size` at
most {PAGE_SIZE_LIMIT} (values over {PAGE_SIZE_MAX} are served as {PAGE_SIZE_MAX}). Dates are
strict: RFC-1123 with the right weekday, or ISO-8601 with an offset.

**Revocation.** The clients given when the server starts are the clients that work: a client
left out at a restart gets its access and refresh tokens refused (401 / `invalid_client`), and
a client started with a new secret loses its refresh tokens (its access tokens run out).

**Webhooks.** Started with a webhook URL and secret, the server POSTs Coviu's events, as JSON
`{{"type", "createdAt", "payload"}}`, with the secret in the `X-Coviu-Webhook-Secret` header,
once each (no retry), from a background thread: see the `webhooks` section.
"""


class WebhookPayload(BaseModel):
    teamId: str
    sessionId: str
    clientId: str | None = Field(None, description="session events: the API client")
    participantId: str | None = Field(None, description="participant and waiting-area events")
    role: Literal["HOST", "GUEST"] | None = Field(None, description="participant events")
    status: Literal["in", "waiting"] | None = Field(
        None, description="participant:join: in (a host) or waiting (a guest)"
    )
    reason: str | None = Field(
        None,
        description="participant:leave: left, removed, timed_out, session_ended, "
        "session_cancelled or participant_cancelled",
    )
    byParticipantId: str | None = Field(
        None, description="waitingarea:answer and removals: the host who acted"
    )


class WebhookEvent(BaseModel):
    """What the server POSTs to the webhook URL, with ``X-Coviu-Webhook-Secret``."""

    type: Literal[EVENT_TYPES]  # type: ignore[valid-type]
    createdAt: int = Field(description="when it happened, in seconds since the epoch")
    payload: WebhookPayload


_WEBHOOK_TEXT = {
    "session:create": "A session was created.",
    "session:update": "A session's name, picture or times changed.",
    "session:cancel": "A session was cancelled.",
    "participant:join": "Someone opened their link and entered: a host is in, a guest waits.",
    "waitingarea:answer": "A host let a waiting guest in.",
    "participant:leave": "Someone left: by the Leave button, removed by a host, silent for two "
    "minutes, or because the session ended or was cancelled or their link was.",
    "call:end": "The last person in the call left, after the session's start.",
}


def _document_webhooks(app: FastAPI) -> None:
    for kind in EVENT_TYPES:

        def receive(body: WebhookEvent) -> None:
            """Answer 2xx to acknowledge; anything else is logged and the event dropped."""
            del body

        app.webhooks.add_api_route(
            kind,
            receive,
            methods=["POST"],
            summary=_WEBHOOK_TEXT[kind],
            operation_id=f"webhook_{kind.replace(':', '_').replace('-', '_')}",
            openapi_extra={
                "parameters": [
                    {
                        "name": SECRET_HEADER,
                        "in": "header",
                        "required": True,
                        "schema": {"type": "string"},
                        "description": "the webhook secret the server was started with",
                    }
                ]
            },
        )


def install(app: FastAPI) -> None:
    """Serve the corrected document at ``/openapi.json`` (built once, on first use)."""
    _document_webhooks(app)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                description=DESCRIPTION,
                routes=app.routes,
                webhooks=app.webhooks.routes,
            )
            app.openapi_schema = correct(document)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def correct(document: dict[str, Any]) -> dict[str, Any]:
    """The corrections above, applied to FastAPI's document in place; returns it."""
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            if method in ("post", "put"):
                oauth = path.endswith("/auth/token")
                for status in ("400", "413"):
                    if status not in responses:
                        responses[status] = _error(int(status), oauth)
    for section in ("paths", "webhooks"):
        for operations in document.get(section, {}).values():
            for operation in operations.values():
                operation.get("responses", {}).pop("422", None)
    schemas = document.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    schemes = document.setdefault("components", {}).setdefault("securitySchemes", {})
    schemes["HTTPBasic"] = {
        "type": "http",
        "scheme": "basic",
        "description": "api_key:key_secret of a client registered at start (--client)",
    }
    # The flow itself, so OAuth2 tools know where tokens come from and are refreshed.
    schemes["OAuth2"] = {
        "type": "oauth2",
        "description": "RFC 6749 client credentials; the access token is sent as a Bearer token",
        "flows": {
            "clientCredentials": {
                "tokenUrl": "/v1/auth/token",
                "refreshUrl": "/v1/auth/token",
                "scopes": {"sessions": "sessions and participants of the client's team"},
            }
        },
    }
    return document


def _error(status: int, oauth: bool) -> dict[str, Any]:
    name = "OAuthErrorBody" if oauth else "ErrorBody"
    return {
        "description": STATUS_TEXT[status],
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}},
    }
