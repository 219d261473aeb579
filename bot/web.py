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
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse

from bot.slack.intake import MAX_BODY_BYTES, Intake
from bot.slack.oauth import INSTALL_PATH, REDIRECT_PATH, OAuthPages
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


def create_web_app(
    intake: Intake,
    coviu_app: Any | None = None,
    webhooks: coviu_webhooks.WebhookReceiver | None = None,
    oauth: OAuthPages | None = None,
) -> ASGIApp:
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

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == coviu_webhooks.PATH:
            await _coviu_webhook(webhooks, scope, receive, send)
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
