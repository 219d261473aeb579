"""What a listener's work gets when a worker runs it: the Web API, a way to answer, the job.

A job runs a listener's `work(payload, ctx)` — the lazy half of Bolt's ack/lazy pair — with
the payload Slack sent. Answers go through the request's ``response_url`` while Slack keeps
it (30 minutes); after that, or if Slack no longer takes it, the answer comes as a DM, so a
booker never waits on a progress line that can't change::

    def work(payload, ctx):
        ctx.respond(text="Booked", replace_original=True)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from slack_bolt.context.respond import Respond
from slack_sdk import WebClient

from bot.slack.intake import Router
from bot.storage.store import Job

if TYPE_CHECKING:
    from bot.app import Services

log = logging.getLogger(__name__)

RESPONSE_URL_LIFETIME = timedelta(minutes=30)


@dataclass
class _Sent:
    """What `Responder` returns: the status the caller checks, as Slack's webhook answer."""

    status_code: int
    body: str = ""


class Responder:
    """``response_url`` while it lives; the person's DM after. Private answers only: this
    never posts in a channel."""

    def __init__(
        self, client: WebClient, url: str | None, user_id: str | None, expires: datetime,
        now: datetime,
    ) -> None:  # fmt: skip
        self.client = client
        self.url = url if now < expires else None
        self.user_id = user_id
        self.posts = 0  # posts to the response_url (Slack takes 5)

    @property
    def live(self) -> bool:
        """Answers still go through the response_url (not by DM)."""
        return self.url is not None

    def __call__(self, text: str = "", blocks: Any = None, **options: Any) -> Any:
        if self.url:
            self.posts += 1
            answer = Respond(response_url=self.url)(text=text, blocks=blocks, **options)
            if answer.status_code != 404:
                return answer
            self.url = None  # Slack forgot it: carry on by DM
        if options.get("delete_original") or not self.user_id:
            return _Sent(200)
        reply = self.client.chat_postMessage(channel=self.user_id, text=text, blocks=blocks)
        return _Sent(200 if reply.get("ok") else 500)


@dataclass
class Context:
    services: Services
    client: WebClient
    respond: Responder
    job: Job

    @property
    def key(self) -> str:
        """The job's key: what booking steps are recorded under."""
        return self.job.key


def user_of(payload: dict[str, Any]) -> str | None:
    if "user_id" in payload:
        return payload["user_id"]
    user = payload.get("user")
    if isinstance(user, dict):
        return user.get("id")
    return (payload.get("event") or {}).get("user")


def job_runner(router: Router, services: Services) -> Any:
    """The worker's `run`: a job back to its listener's work."""

    def run(job: Job) -> None:
        route = router.routes.get(job.kind)
        if route is None or route.work is None:
            log.warning("no listener for a job of kind %s; dropped", job.kind)
            return
        payload = job.payload
        responder = Responder(
            services.slack,
            payload.get("response_url") or _first_response_url(payload),
            user_of(payload),
            job.created_at + RESPONSE_URL_LIFETIME,
            services.clock(),
        )
        route.work(payload, Context(services, services.slack, responder, job))

    return run


def _first_response_url(payload: dict[str, Any]) -> str | None:
    urls = payload.get("response_urls") or []
    return urls[0].get("response_url") if urls else None
