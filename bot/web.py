"""The HTTP face of `coviu-slack serve`: Slack's requests, a health check, the embedded Coviu.

Slack posts to `/slack/events`. That path is served by a bare ASGI handler in front of
everything else: it reads the raw bytes (at most `MAX_BODY_BYTES`), hands them to the intake
(verify the signature, record the work, answer: `bot.slack.intake`) and writes the answer,
right on the event loop, with no framework in between: the web process's whole job is this
one request, as fast as it can be. Everything else (`/healthz`, and without `COVIU_API_URL`
the local Coviu Session API under `/v1/...` and the entry pages: "the embedded default") is a
FastAPI app behind it. Coviu's webhooks, `POST /coviu/webhooks`, are served the same bare way
(at most `bot.waiting.webhooks.MAX_BODY_BYTES`, then the receiver checks the shared secret and
records the event as a job). People's calendar files, `GET /calendar/...ics`, are served the
same way too (`bot.calendar`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import unquote

from fastapi import FastAPI

from bot.calendar import PATH_PREFIX as CALENDAR_PREFIX
from bot.calendar import Calendar
from bot.slack.intake import MAX_BODY_BYTES, Intake
from bot.waiting import webhooks as coviu_webhooks

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SLACK_PATH = "/slack/events"


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


def create_web_app(
    intake: Intake,
    coviu_app: Any | None = None,
    webhooks: coviu_webhooks.WebhookReceiver | None = None,
    calendar: Calendar | None = None,
) -> ASGIApp:
    web = FastAPI(title="coviu-slack", docs_url=None, redoc_url=None, openapi_url=None)

    @web.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    if coviu_app is not None:
        web.mount("/", coviu_app)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == coviu_webhooks.PATH:
            await _coviu_webhook(webhooks, scope, receive, send)
            return
        if scope["type"] == "http" and scope["path"].startswith(CALENDAR_PREFIX):
            await _calendar_file(calendar, scope, send)
            return
        if scope["type"] != "http" or scope["path"] != SLACK_PATH:
            await web(scope, receive, send)
            return
        if scope["method"] != "POST":
            await _answer(send, 405, {"error": "POST only"})
            return
        body = await _read(receive)
        if body is None:
            await _answer(send, 413, {"error": f"request larger than {MAX_BODY_BYTES} bytes"})
            return
        headers = {
            name.decode("latin-1").lower(): value.decode("latin-1")
            for name, value in scope["headers"]
        }
        status, answer = intake.handle(body, headers)
        await _answer(send, status, answer)

    return app
