"""The HTTP face of `coviu-slack serve`: Slack's requests, a health check, the embedded Coviu.

Slack posts to `/slack/events`; Bolt checks the signature and dispatches. Dispatch blocks until
the listener acks, so it runs on the server's thread pool, never on the event loop. Without
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
