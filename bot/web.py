"""The HTTP face of `coviu-slack serve`: Slack's requests, a health check, the embedded Coviu.

Slack posts to `/slack/events`. That path is served by a bare ASGI handler in front of
everything else: it reads the raw bytes (at most `MAX_BODY_BYTES`), hands them to the intake
(verify the signature, record the work, answer: `bot.slack.intake`) and writes the answer,
right on the event loop, with no framework in between: the web process's whole job is this
one request, as fast as it can be. Everything else (`/healthz`, and without `COVIU_API_URL`
the local Coviu Session API under `/v1/...` and the entry pages: "the embedded default") is a
FastAPI app behind it. Coviu's webhooks, `POST /coviu/webhooks`, are served the same bare way
(at most `bot.waiting.webhooks.MAX_BODY_BYTES`, then the receiver checks the shared secret and
records the event as a job).

The access log (`access_log=True`, as `coviu-slack serve` runs it) is written here, once the
answer has gone, rather than by uvicorn, which writes its line before the answer: making a
line and passing it through `bot.logsafe`'s redaction costs tens of µs, a good part of
Slack's whole wait for an ack of a few hundred µs. Same line, same redaction, just after.
And `http_protocol()` is uvicorn's own HTTP protocol sending each answer in one write.

People's calendar files, `GET /calendar/...ics`, are served the same bare way too
(`bot.calendar`).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import unquote

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse

from bot.calendar import PATH_PREFIX as CALENDAR_PREFIX
from bot.calendar import Calendar
from bot.slack.intake import MAX_BODY_BYTES, Intake
from bot.slack.oauth import INSTALL_PATH, REDIRECT_PATH, OAuthPages
from bot.waiting import webhooks as coviu_webhooks

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SLACK_PATH = "/slack/events"

# uvicorn's access line, logged through the app's own logger (uvicorn's is switched off).
access = logging.getLogger("bot.access")


def _log_access(scope: Scope, status: int) -> None:
    client = scope.get("client")
    query = scope.get("query_string") or b""
    path = scope["path"] + (f"?{query.decode('latin-1')}" if query else "")
    who = f"{client[0]}:{client[1]}" if client else "-"
    # Made into one string here: a record with no arguments is redacted once, as a whole,
    # instead of argument by argument and then again as a message.
    line = f'{who} - "{scope["method"]} {path} HTTP/{scope.get("http_version", "1.1")}" {status}'
    access.info(line)


async def _answer(send: Send, status: int, body: dict[str, Any] | None) -> None:
    content = json.dumps(body).encode() if body is not None else b""
    headers = [(b"content-length", str(len(content)).encode())]
    if body is not None:
        headers.append((b"content-type", b"application/json"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": content})


async def _read(receive: Receive, limit: int = MAX_BODY_BYTES) -> bytes | None:
    """The request body, or None past `limit` bytes (not read further)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def _headers(scope: Scope) -> dict[str, str]:
    return {
        name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]
    }


async def _coviu_webhook(
    receiver: coviu_webhooks.WebhookReceiver | None, scope: Scope, receive: Receive, send: Send
) -> None:
    """``POST /coviu/webhooks``: Coviu's events, recorded as jobs (`bot.waiting.webhooks`)."""
    if scope["method"] != "POST":
        await _answer(send, 405, {"error": "POST only"})
        return
    if receiver is None:  # no secret configured: nothing can prove it is Coviu
        await _answer(send, 401, {"error": "webhooks refused: COVIU_WEBHOOK_SECRET is not set"})
        return
    body = await _read(receive, coviu_webhooks.MAX_BODY_BYTES)
    if body is None:
        limit = coviu_webhooks.MAX_BODY_BYTES
        await _answer(send, 413, {"error": f"request larger than {limit} bytes"})
        return
    status, answer = receiver.handle(body, _headers(scope))
    await _answer(send, status, answer)


async def _calendar_file(calendar: Calendar | None, scope: Scope, send: Send) -> None:
    """``GET /calendar/<team>/<user>/<scope>/<token>.ics``: a person's calendar file. Any
    path, token or method that doesn't fit is the same plain 404: nothing to learn from it."""
    parts = scope["path"][len(CALENDAR_PREFIX) :].split("/")
    found = None
    if (
        calendar is not None
        and scope["method"] in ("GET", "HEAD")
        and len(parts) == 4
        and parts[3].endswith(".ics")
        and all(0 < len(part) <= 200 for part in parts)
    ):
        team, user, which, token = (unquote(part) for part in parts)
        found = await asyncio.to_thread(calendar.file, team, user, which, token[: -len(".ics")])
    if found is None:
        await _answer(send, 404, {"error": "no such calendar"})
        return
    headers = [
        (b"content-type", b"text/calendar; charset=utf-8"),
        (b"content-length", str(len(found)).encode()),
        (b"content-disposition", b'attachment; filename="coviu-session.ics"'),
        # The file holds a Join link: no shared cache may keep it.
        (b"cache-control", b"private, no-store"),
        (b"referrer-policy", b"no-referrer"),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": found if scope["method"] == "GET" else b""})


class _OneWrite:
    """A transport that sends a response's head with its body, in one write.

    uvicorn writes the status line and headers as soon as the app starts its answer, and the
    body after: two sends, two TCP segments, and Slack's side woken twice for an answer of
    a few hundred bytes. Here a write that ends a head (``\\r\\n\\r\\n``) waits for the
    next one, which takes it along; a head with no body after it (an empty answer) goes out
    at the end of the event loop's current step. Everything else is the real transport."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._head = b""

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._head:
            data, self._head = self._head + bytes(data), b""
        elif bytes(data[-4:]) == b"\r\n\r\n":
            self._head = bytes(data)
            self._loop.call_soon(self._flush)
            return
        self._transport.write(data)

    def _flush(self) -> None:
        if self._head:
            head, self._head = self._head, b""
            if not self._transport.is_closing():
                self._transport.write(head)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def http_protocol() -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol (``http="auto"``: httptools if installed, else h11), writing
    each answer in one piece (`_OneWrite`). For ``uvicorn.run(..., http=http_protocol())``."""
    from uvicorn.protocols.http.auto import AutoHTTPProtocol

    class OneWriteProtocol(AutoHTTPProtocol):  # type: ignore[misc,valid-type]
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self.transport = _OneWrite(transport, asyncio.get_running_loop())

    return OneWriteProtocol


def create_web_app(
    intake: Intake,
    coviu_app: Any | None = None,
    webhooks: coviu_webhooks.WebhookReceiver | None = None,
    oauth: OAuthPages | None = None,
    calendar: Calendar | None = None,
    *,
    access_log: bool = False,
) -> ASGIApp:
    """The server's ASGI app. `access_log`: one line per request, after its answer (run
    uvicorn with ``access_log=False`` then, or each request is logged twice)."""
    web = FastAPI(title="coviu-slack", docs_url=None, redoc_url=None, openapi_url=None)

    @web.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    if oauth is not None:
        # Multi-workspace mode: the landing page and Bolt's install flow. Declared before
        # the embedded Coviu API is mounted at `/`, so they come first; its paths (/v1/...,
        # /session/...) are unchanged.
        def page(answer: tuple[int, list[tuple[str, str]], str]) -> Response:
            status, headers, body = answer
            response = HTMLResponse(body, status_code=status)
            for name, value in headers:
                if name == "content-type":
                    continue
                response.headers.append(name, value)
            return response

        @web.get("/", include_in_schema=False)
        def landing() -> Response:
            return page(oauth.landing())

        @web.get(INSTALL_PATH, include_in_schema=False)
        def install(request: Request) -> Response:
            return page(oauth.install(request.url.query, dict(request.headers)))

        @web.get(REDIRECT_PATH, include_in_schema=False)
        def redirect(request: Request) -> Response:
            return page(oauth.redirect(request.url.query, dict(request.headers)))

    if coviu_app is not None:
        web.mount("/", coviu_app)

    async def slack(scope: Scope, receive: Receive, send: Send) -> int:
        """Slack's request: the status answered."""
        if scope["method"] != "POST":
            await _answer(send, 405, {"error": "POST only"})
            return 405
        body = await _read(receive)
        if body is None:
            await _answer(send, 413, {"error": f"request larger than {MAX_BODY_BYTES} bytes"})
            return 413
        status, answer = intake.handle(body, _headers(scope))
        await _answer(send, status, answer)
        return status

    async def other(scope: Scope, receive: Receive, send: Send) -> int:
        """Everything else; the status its app answered (0 if it answered none)."""
        status = 0

        async def sending(message: MutableMapping[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        if scope["path"] == coviu_webhooks.PATH:
            await _coviu_webhook(webhooks, scope, receive, sending)
        elif scope["path"].startswith(CALENDAR_PREFIX):
            await _calendar_file(calendar, scope, sending)
        else:
            await web(scope, receive, sending)
        return status

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan, websockets: FastAPI's business
            await web(scope, receive, send)
            return
        handler = slack if scope["path"] == SLACK_PATH else other
        if not access_log:
            await handler(scope, receive, send)
            return
        status = 500  # what uvicorn answers when the app raises
        try:
            status = await handler(scope, receive, send)
        finally:
            _log_access(scope, status)

    return app
