"""The HTTP face of `coviu-slack serve`: Slack's requests, a health check, the embedded Coviu.

Slack posts to `/slack/events`; Bolt checks the signature and dispatches. The app built by
`bot.app` processes before responding: every listener only acks (pure, sub-millisecond) and
hands its real work to lazy listeners on a thread pool, so dispatch runs right on the event
loop and the answer leaves without a hop to another thread. A Bolt app at its defaults blocks
until a pooled listener acks (polling every 10 ms), so it is dispatched on the server's thread
pool instead. Without
`COVIU_API_URL` the local Coviu Session API is mounted under the same server (`/v1/...` and the
entry pages), which is what "the embedded default" means.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request, Response
from slack_bolt import App, BoltRequest
from starlette.concurrency import run_in_threadpool


def create_web_app(bolt_app: App, coviu_app: Any | None = None) -> FastAPI:
    web = FastAPI(title="coviu-slack", docs_url=None, redoc_url=None, openapi_url=None)

    @web.post("/slack/events")
    async def slack_events(request: Request) -> Response:
        body = (await request.body()).decode("utf-8")
        bolt_request = BoltRequest(
            body=body, query=request.url.query, headers=dict(request.headers.items())
        )
        if bolt_app.process_before_response:
            answer = bolt_app.dispatch(bolt_request)
        else:
            answer = await run_in_threadpool(bolt_app.dispatch, bolt_request)
        return Response(
            status_code=answer.status,
            content=answer.body,
            headers=answer.first_headers_without_set_cookie(),
        )

    @web.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    if coviu_app is not None:
        web.mount("/", coviu_app)
    return web
