"""Limits on what a request may carry, checked before anything parses it.

A pure ASGI middleware reads each request body as it arrives and refuses, with the API's error
shape:

- a body larger than its route's limit (``413 payload_too_large``), as soon as the
  ``Content-Length`` says so or the bytes received pass it, so a 10 MB upload is never held;
- a JSON body nested deeper than ``MAX_JSON_DEPTH`` (``400 json_too_deep``), counted on the raw
  bytes without recursion, so no parser ever sees a 1,000-deep document.

The limits (also stated in the OpenAPI document and the README)::

    >>> body_limit("/v1/auth/token"), body_limit("/v1/sessions"), body_limit("/session/x/admit")
    (4096, 262144, 4096)
    >>> json_depth(b'{"a": [1, {"b": "[[[["}]}')
    3
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.responses import JSONResponse

from bot.coviu.server.errors import ApiError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# The token endpoint takes a grant type and a refresh token: a few hundred bytes.
MAX_TOKEN_BODY = 4 * 1024
# A session with its participants: 256 KiB holds hundreds of participants with names and
# pictures (the seed's example is under 1 KiB).
MAX_API_BODY = 256 * 1024
# The entry pages' admit/remove calls carry one short token.
MAX_ENTRY_BODY = 4 * 1024
# No request body of this API needs more than four levels; 32 leaves room for clients' extras.
MAX_JSON_DEPTH = 32

_JSON_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.DOTALL)


def body_limit(path: str) -> int:
    """The largest body, in bytes, accepted on ``path``."""
    if path.rstrip("/").endswith("/auth/token"):
        return MAX_TOKEN_BODY
    if "/session/" in path:
        return MAX_ENTRY_BODY
    return MAX_API_BODY


def json_depth(body: bytes) -> int:
    """The deepest nesting of arrays and objects in ``body`` (brackets in strings ignored).

    Linear in the body's length and without recursion; it does not validate the JSON, which
    the parser does afterwards on bodies that pass.
    """
    depth = deepest = 0
    for token in _JSON_TOKENS.finditer(body):
        char = token.group()[:1]
        if char in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif char in (b"]", b"}"):
            depth -= 1
    return deepest


def _too_large(limit: int) -> ApiError:
    return ApiError(
        413,
        "payload_too_large",
        f"the request body is larger than this call accepts ({limit} bytes at most)",
    )


class RequestLimits:
    """ASGI middleware enforcing ``body_limit`` and ``MAX_JSON_DEPTH``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope.get("path", ""))
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length", b"")
        if length.isdigit() and int(length) > limit:
            # Refused before reading a byte of it.
            await _send(scope, receive, send, _too_large(limit))
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _send(scope, receive, send, _too_large(limit))
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        media = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        form = media == b"application/x-www-form-urlencoded"
        if not form and json_depth(body) > MAX_JSON_DEPTH:
            error = ApiError(
                400,
                "json_too_deep",
                f"the request body nests arrays or objects more than {MAX_JSON_DEPTH} deep",
            )
            await _send(scope, receive, send, error)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _send(scope: Scope, receive: Receive, send: Send, error: ApiError) -> None:
    if scope.get("path", "").rstrip("/").endswith("/auth/token"):
        # The token endpoint speaks RFC 6749 section 5.2, its refusals here included.
        body = {"error": "invalid_request", "error_description": error.message}
        response = JSONResponse(
            body, status_code=error.status, headers={"Cache-Control": "no-store"}
        )
        await response(scope, receive, send)
        return
    await error.response()(scope, receive, send)
