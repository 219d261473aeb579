"""The HTTP face of `coviu-slack serve`: Slack's requests, a health check, the embedded Coviu.

Slack posts to `/slack/events`; the intake verifies the signature on the raw bytes, records
the work and answers (`bot.slack.intake`), right on the event loop: there is nothing to wait
for but one insert. Without `COVIU_API_URL` the local Coviu Session API is mounted under the
same server (`/v1/...` and the entry pages), which is what "the embedded default" means.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from bot.slack.intake import Intake


def create_web_app(intake: Intake, coviu_app: Any | None = None) -> FastAPI:
    web = FastAPI(title="coviu-slack", docs_url=None, redoc_url=None, openapi_url=None)

    @web.post("/slack/events")
    async def slack_events(request: Request) -> Response:
        status, body = intake.handle(await request.body(), request.headers)
        if body is None:
            return Response(status_code=status)
        return JSONResponse(body, status_code=status)

    @web.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    if coviu_app is not None:
        web.mount("/", coviu_app)
    return web
