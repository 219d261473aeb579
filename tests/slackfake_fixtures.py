"""Helpers for the Slack stand-in's own tests (``tests/test_slackfake*.py``).

A real Bolt app, served over HTTP the way production serves it, for the fake to call::

    with serve_bolt(app) as server:
        slack.app_url = server.url + "/slack/events"
        slack.slash_command("U0ALICE", "/coviu", "help")

The fixtures themselves live in the test module: the suite's conftest has a ``slack``
fixture of its own (for the bot's tests), and a module's fixtures take precedence over it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from slack_bolt import App
from slack_bolt.adapter.starlette import SlackRequestHandler
from slack_sdk import WebClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.httpserve import ServerThread
from bot.slackfake import FakeSlack

BOT_TOKEN = "xoxb-test"
SIGNING_SECRET = "s3cret"


@dataclass
class BoltServer:
    """A real Bolt app behind a real HTTP server; register listeners on `app`."""

    app: App
    server: ServerThread

    @property
    def url(self) -> str:
        return self.server.url + "/slack/events"


def serve_bolt(app: App) -> ServerThread:
    """`app` at ``/slack/events`` through Bolt's Starlette adapter, as production serves it."""
    handler = SlackRequestHandler(app)

    async def events(request: Request) -> Response:
        return await handler.handle(request)

    return ServerThread(Starlette(routes=[Route("/slack/events", events, methods=["POST"])]))


@contextmanager
def bolt_app_for(slack: FakeSlack) -> Iterator[BoltServer]:
    """A Bolt app that trusts the fake's signatures and calls the fake's Web API, served."""
    # Bolt takes the token from the client it is given: the token goes to the WebClient.
    app = App(signing_secret=SIGNING_SECRET, client=WebClient(BOT_TOKEN, base_url=slack.api_url))
    with serve_bolt(app) as server:
        slack.app_url = server.url + "/slack/events"
        yield BoltServer(app, server)
