"""Reference servers, each run the way `coviu-slack serve` runs (``uvicorn.run``, log level info)::

    python -m bench.servers floor --port 3001 --secret S
    python -m bench.servers bolt  --port 3002 --secret S --token xoxb-... --slack-api URL
    python -m bench.servers hello --port 3003

- ``floor``: a bare ASGI handler that checks the Slack signature (and the timestamp's
  freshness, as Bolt does) and answers 200 with an empty body: nothing can be faster.
- ``bolt``: a bare Bolt ``App`` at its defaults, one ``/coviu`` listener that only calls
  ``ack()``, behind a Starlette route (as the first release served Bolt).
- ``bolt-inline``: the same with ``process_before_response=True`` (the listener runs in the
  request's thread; no waiting for the ack on another thread), as the product sets it.
- ``hello``: a FastAPI hello-world (``GET /hello``), the reference for the local Coviu API.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def floor_app(secret: str) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    key = secret.encode()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = dict(scope["headers"])
        stamp = headers.get(b"x-slack-request-timestamp", b"0").decode()
        given = headers.get(b"x-slack-signature", b"").decode()
        expected = "v0=" + hmac.new(key, b"v0:" + stamp.encode() + b":" + body,
                                    hashlib.sha256).hexdigest()  # fmt: skip
        fresh = stamp.isdigit() and abs(time.time() - int(stamp)) <= 300
        status = 200 if fresh and hmac.compare_digest(expected, given) else 401
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-length", b"0")]})  # fmt: skip
        await send({"type": "http.response.body", "body": b""})

    return app


def bolt_app(secret: str, token: str, slack_api: str, inline: bool = False) -> Any:
    from slack_bolt import Ack, App, BoltRequest
    from slack_sdk import WebClient
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    app = App(
        signing_secret=secret,
        client=WebClient(token=token, base_url=slack_api),
        process_before_response=inline,
    )

    @app.command("/coviu")
    def no_op(ack: Ack) -> None:
        ack()

    # Bolt behind an ASGI route, as the first release served it: inline when Bolt answers
    # before processing, on the thread pool when it waits for the ack on another thread.
    async def slack_events(request: Request) -> Response:
        bolt_request = BoltRequest(
            body=(await request.body()).decode("utf-8"),
            query=request.url.query,
            headers=dict(request.headers.items()),
        )
        if inline:
            answer = app.dispatch(bolt_request)
        else:
            answer = await run_in_threadpool(app.dispatch, bolt_request)
        return Response(status_code=answer.status, content=answer.body)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/slack/events", slack_events, methods=["POST"]),
            Route("/healthz", healthz),
        ]
    )


def hello_app() -> Any:
    from fastapi import FastAPI

    web = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @web.get("/hello")
    def hello() -> dict[str, str]:
        return {"hello": "world"}

    return web


def main(argv: list[str] | None = None) -> int:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["floor", "bolt", "bolt-inline", "hello"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret", default="")
    parser.add_argument("--token", default="")
    parser.add_argument("--slack-api", default="")
    args = parser.parse_args(argv)
    if args.kind == "floor":
        app = floor_app(args.secret)
    elif args.kind.startswith("bolt"):
        app = bolt_app(args.secret, args.token, args.slack_api, inline=args.kind == "bolt-inline")
    else:
        app = hello_app()
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="info")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
