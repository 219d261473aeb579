"""The embedded default: the local Coviu Session API, for when no Coviu account is configured.

With `COVIU_API_URL` unset the bot talks to a local Coviu Session API whose data sits next to
the bot's own file (``coviu-slack.db`` → ``coviu-slack.coviu.db``). Its API client is
registered in one fixed team, so sessions booked before a restart still belong to it.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.coviu.client import CoviuClient
from bot.httpserve import ServerThread

TEAM = "embedded"


def coviu_db_path(settings: Settings) -> Path:
    path = settings.db_path
    return path.with_name(path.stem + ".coviu" + (path.suffix or ".db"))


def embedded_credentials(settings: Settings) -> tuple[str, str]:
    return (
        settings.coviu_api_key or "coviu-slack-embedded",
        settings.coviu_api_secret or secrets.token_urlsafe(24),
    )


def embedded_coviu_app(settings: Settings, public_url: str, **options: Any) -> tuple[Any, str, str]:
    """(ASGI app, api key, api secret) for the local Coviu API serving entry links at
    `public_url`."""
    from bot.coviu.server import ClientRegistration, create_app

    key, secret = embedded_credentials(settings)
    app = create_app(
        coviu_db_path(settings),
        [ClientRegistration(key, secret, TEAM)],
        public_url=public_url,
        **options,
    )
    return app, key, secret


def start_embedded_coviu(
    settings: Settings, *, port: int = 0, **options: Any
) -> tuple[ServerThread, CoviuClient]:
    """The local Coviu API on its own loopback port (any free one by default), and a client
    of it. Entry links point at that port."""
    made: dict[str, str] = {}

    def make(url: str) -> Any:
        app, made["key"], made["secret"] = embedded_coviu_app(settings, url, **options)
        return app

    server = ServerThread.build(make, port=port).start()
    return server, coviu_client(settings, server.url + "/v1", made["key"], made["secret"])


def coviu_client(
    settings: Settings,
    base_url: str | None = None,
    key: str | None = None,
    secret: str | None = None,
) -> CoviuClient:
    return CoviuClient(
        key or settings.coviu_api_key or "",
        secret or settings.coviu_api_secret or "",
        base_url or settings.coviu_api_url or "",
    )
