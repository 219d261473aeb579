"""Errors of the local Coviu Session API, all in one JSON shape.

Every 4xx (and the rare 5xx) answer of a resource call carries::

    {"error": {"code": "session_ended", "message": "...", "field": "end_time"}}

``code`` names the rule that failed, ``message`` says it in words and names the field, and
``field`` (present when one field is to blame) lets a client point at it. The token endpoint is
the exception: it speaks RFC 6749 §5.2 (``{"error": "invalid_client"}``), see ``auth.py``.

Handlers are installed for our own ``ApiError``, for FastAPI's ``RequestValidationError`` (so a
missing field or malformed JSON never leaks FastAPI's default 422 shape) and for Starlette's
``HTTPException`` (unknown routes, wrong methods)::

    app = FastAPI()
    install_error_handlers(app)
    raise ApiError(409, "session_ended", "the session has ended and cannot be changed")
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

log = logging.getLogger(__name__)

# Status codes Starlette raises by itself, mapped to stable codes a client can switch on.
_HTTP_CODES = {
    # FastAPI raises a bare 400 only when it cannot read the body at all (e.g. not UTF-8).
    400: "malformed_json",
    401: "invalid_token",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


class ErrorDetail(BaseModel):
    code: str = Field(description="the rule that failed, stable: switch on it")
    message: str = Field(description="what is wrong, in words, naming the field")
    field: str | None = Field(
        default=None, description="the field to blame, when one is (e.g. participants[0].role)"
    )


class ErrorBody(BaseModel):
    """The body of every 4xx of the resource calls and the entry pages' JSON."""

    error: ErrorDetail


class OAuthErrorBody(BaseModel):
    """The body of the token endpoint's errors (RFC 6749 section 5.2)."""

    error: str = Field(description="invalid_request, invalid_client, invalid_grant, ...")
    error_description: str


# What each status means on this API, for the OpenAPI document.
STATUS_TEXT = {
    400: "Bad input: malformed or too deeply nested JSON (more than 32 levels), a missing or "
    "invalid field or query parameter (the message and `field` name it), or a rule on the "
    "input (start in the past, end not after start)",
    401: "Missing, unknown or expired bearer token (or a revoked client's token)",
    403: "Refused for this caller now (e.g. the link is not open yet, or not a host)",
    404: "No such id for this caller (another team's ids answer the same)",
    409: "The state forbids it: session started, ended or cancelled, participant cancelled",
    410: "Gone for good: the session or the link was cancelled, or the session has ended",
    413: "The request body is larger than this call accepts",
}


def error_responses(*statuses: int, model: type[BaseModel] = ErrorBody) -> dict[int | str, Any]:
    """``responses=`` for a route: each status with the error schema and what it means."""
    return {status: {"model": model, "description": STATUS_TEXT[status]} for status in statuses}


class ApiError(Exception):
    """A refusal with an HTTP status, a stable code and a human message."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        field: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            error["field"] = self.field
        return {"error": error}

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers)


def not_found(kind: str, ident: str) -> ApiError:
    """The one answer for ids that do not exist *and* ids of another team (no oracle)."""
    return ApiError(404, "not_found", f"no {kind} with id {ident!r}")


def invalid_field(field: str, message: str) -> ApiError:
    return ApiError(400, "invalid_field", f"{field}: {message}", field=field)


def field_path(loc: Sequence[str | int]) -> str:
    """``("body", "participants", 0, "role")`` -> ``participants[0].role``."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "body"


def _validation_error(exc: RequestValidationError) -> ApiError:
    errors = list(exc.errors())
    if not errors:
        return ApiError(400, "invalid_request", "the request is not valid")
    first = errors[0]
    if first.get("type") == "json_invalid":
        detail = (first.get("ctx") or {}).get("error", "")
        suffix = f" ({detail})" if detail else ""
        return ApiError(400, "malformed_json", f"the request body is not valid JSON{suffix}")
    # Name every failing field (a client fixing one at a time is slow), the first one as `field`.
    described = [_describe(error) for error in errors[:10]]
    field = described[0][0]
    message = "; ".join(f"{name}: {text}" for name, text in described)
    code = "missing_field" if first.get("type") == "missing" else "invalid_field"
    return ApiError(400, code, message, field=field)


def _describe(error: Mapping[str, Any]) -> tuple[str, str]:
    field = field_path(error.get("loc", ()))
    if error.get("type") == "missing":
        return field, "required"
    if field == "body" and error.get("type") in ("model_attributes_type", "dict_type"):
        return field, "expected a JSON object (send Content-Type: application/json)"
    # pydantic prefixes messages of our own validators with "Value error, "; drop it.
    return field, str(error.get("msg", "invalid")).removeprefix("Value error, ")


async def _api_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return exc.response()


async def _validation_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return _validation_error(exc).response()


def allowed_methods(app: Any, scope: Mapping[str, Any]) -> list[str]:
    """Every method some route of ``app`` serves at the scope's path (OPTIONS included), or
    none when no route has that path."""
    methods: set[str] = set()
    probe = dict(scope) | {"method": "GET"}
    routes = list(app.router.routes)
    while routes:
        route = routes.pop()
        if hasattr(route, "original_router"):  # FastAPI's wrapper of an included router
            routes.extend(route.original_router.routes)
        elif route.matches(probe)[0] != Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    if methods:
        methods.add("OPTIONS")
    order = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"]
    return sorted(methods, key=lambda m: order.index(m) if m in order else len(order))


async def _http_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        # Starlette names only the first matching route's methods; name them all.
        allow = allowed_methods(request.app, request.scope)
        headers["Allow"] = ", ".join(allow)
        message = f"{request.method} is not served at {request.url.path} (use {', '.join(allow)})"
    elif exc.status_code == 404:
        message = f"{message}: {request.method} {request.url.path}"
    return ApiError(exc.status_code, code, message, headers=headers).response()


async def _unexpected_handler(request: Request, exc: Exception) -> JSONResponse:
    # A bug, never bad input: log it with the traceback, answer in the usual shape.
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return ApiError(500, "internal_error", "unexpected server error").response()


class AnswerOptions:
    """ASGI middleware: ``OPTIONS`` on a served path answers 204 with the true ``Allow``."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "OPTIONS" and "app" in scope:
            allow = allowed_methods(scope["app"], scope)
            if allow:
                await send({"type": "http.response.start", "status": 204,
                            "headers": [(b"allow", ", ".join(allow).encode())]})  # fmt: skip
                await send({"type": "http.response.body", "body": b""})
                return
        await self.app(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    """Make every error answer of ``app`` use the ``{"error": {...}}`` shape."""
    app.add_exception_handler(ApiError, _api_error_handler)
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    app.add_exception_handler(Exception, _unexpected_handler)
