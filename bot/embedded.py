"""The embedded default: the local Coviu Session API, for when no Coviu account is configured.

With `COVIU_API_URL` unset the bot talks to a local Coviu Session API whose data sits next to
the bot's own file (``coviu-slack.db`` → ``coviu-slack.coviu.db``). Its API client is
registered in one fixed team, so sessions booked before a restart still belong to it.

Served by `coviu-slack serve`, it shares the app's address, and sends its webhooks to the app
itself (``<public_url>/coviu/webhooks``) with a secret generated once and kept beside the
database; `with_webhooks` gives the app's settings the same secret. So the waiting-room alerts
work with no configuration::

    settings = with_webhooks(settings)                 # COVIU_WEBHOOK_SECRET, or the kept one
    coviu_app, client = embedded_coviu(settings, "http://127.0.0.1:3000")
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.coviu.client import CoviuClient
from bot.httpserve import ServerThread
from bot.workspaces import Workspace
from bot.workspaces.store import CoviuAccount

TEAM = "embedded"


def coviu_db_path(settings: Settings) -> Path:
    path = settings.db_path
    return path.with_name(path.stem + ".coviu" + (path.suffix or ".db"))


def _kept_secret(settings: Settings, suffix: str = ".secret") -> str:
    """The embedded API client's secret, made once and kept beside the database (mode 600):
    every process started on the same files (a restart, a second `serve`, the shell) registers
    the same one instead of locking the others out with a new one. (`suffix` ``.hook-secret``:
    the webhooks' shared secret, kept the same way.)"""
    path = coviu_db_path(settings).with_suffix(suffix)
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    secret = secrets.token_urlsafe(24)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_text().strip()
    with os.fdopen(fd, "w") as out:
        out.write(secret)
    return secret


def webhook_secret(settings: Settings) -> str:
    """The secret the embedded API signs its webhooks with: `COVIU_WEBHOOK_SECRET` when set,
    else one generated once and kept beside the database."""
    return settings.coviu_webhook_secret or _kept_secret(settings, ".hook-secret")


def with_webhooks(settings: Settings) -> Settings:
    """`settings` with the embedded API's webhook secret, so the app accepts its calls."""
    return replace(settings, coviu_webhook_secret=webhook_secret(settings))


def embedded_coviu(
    settings: Settings,
    public_url: str,
    *,
    webhooks: bool | str = True,
    **options: Any,
) -> tuple[Any, CoviuClient]:
    """The local Coviu API as an ASGI app to be served at `public_url` (its entry links point
    there), and a client of it. `options` go to `create_app` (e.g. a shared `clock`).

    Its webhooks go to the app at the same address (``<public_url>/coviu/webhooks``, as
    `coviu-slack serve` serves both), to another URL when `webhooks` is one, or nowhere when
    it is False (the app is not served over HTTP: Socket Mode)."""
    from bot.coviu.server import ClientRegistration, create_app
    from bot.waiting.webhooks import PATH

    key = settings.coviu_api_key or "coviu-slack-embedded"
    secret = settings.coviu_api_secret or _kept_secret(settings)
    hooks_url = (public_url + PATH if webhooks is True else webhooks) or None
    app = create_app(
        coviu_db_path(settings),
        [ClientRegistration(key, secret, TEAM)],
        public_url=public_url,
        webhook_url=hooks_url,
        webhook_secret=webhook_secret(settings) if hooks_url else None,
        **options,
    )
    return app, CoviuClient(key, secret, public_url + "/v1")


def start_embedded_coviu(
    settings: Settings, *, port: int = 0, **options: Any
) -> tuple[ServerThread, CoviuClient]:
    """The local Coviu API on its own loopback port (any free one by default), and a client
    of it."""
    clients: list[CoviuClient] = []

    options.setdefault("webhooks", False)  # on its own port, the app isn't behind it

    def make(url: str) -> Any:
        app, client = embedded_coviu(settings, url, **options)
        clients.append(client)
        return app

    server = ServerThread.build(make, port=port).start()
    return server, clients[0]


def workspace_accounts(
    coviu_app: Any, public_url: str
) -> tuple[Callable[[Workspace], CoviuAccount], Callable[[CoviuAccount], None]]:
    """Multi-workspace mode on the embedded API: each workspace gets a local Coviu team of
    its own on first use (`provision`: a new API client, its secret kept sealed with the
    workspace), registered again on the local API in each process before first use
    (`register`: the local API revokes, at start, clients it was not started with)."""
    from bot.coviu.server import ClientRegistration
    from bot.coviu.server.app import register_client

    def provision(workspace: Workspace) -> CoviuAccount:
        key = "slack-" + workspace.label.replace("/", "-")
        return CoviuAccount(workspace, public_url + "/v1", key, secrets.token_urlsafe(24), True)

    def register(account: CoviuAccount) -> None:
        register_client(
            coviu_app, ClientRegistration(account.api_key, account.api_secret, account.api_key)
        )

    return provision, register
