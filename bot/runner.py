"""Running the app: `serve` (HTTP), `worker`, `socket` (Socket Mode), `shell`, or whichever fits.

`coviu-slack` with no sub-command picks by what the environment holds: Socket Mode with a bot
and an app token, HTTP with a bot token and a signing secret, otherwise the offline shell.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

from bot import logsafe
from bot.config import ConfigError, Settings
from bot.coviu.client import CoviuClient

log = logging.getLogger("bot")


def run(args: argparse.Namespace) -> int:
    logsafe.install(logging.INFO)
    try:
        settings = Settings.from_env()
    except ConfigError as error:
        print(f"coviu-slack: {error}", file=sys.stderr)
        return 2
    command = args.command
    if command is None:
        mode = settings.mode()
        command = {"socket": "socket", "http": "serve", "oauth": "serve", "shell": "shell"}[mode]
        reasons = {
            "socket": "SLACK_BOT_TOKEN and SLACK_APP_TOKEN are set: running in Socket Mode.",
            "serve": "SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_SIGNING_SECRET are set "
            "(no SLACK_BOT_TOKEN): serving HTTP for many workspaces, installed at /slack/install."
            if mode == "oauth"
            else "SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are set: serving HTTP.",
            "shell": "No Slack credentials set: starting the offline shell "
            "(Slack credentials in the environment connect it to Slack; see the README).",
        }
        print(f"coviu-slack: {reasons[command]}", file=sys.stderr)
        args = argparse.Namespace(command=command, host="0.0.0.0", port=None, fresh=False)
    if command == "serve":
        return serve(
            settings,
            args.host,
            args.port or settings.port,
            web_only=getattr(args, "web_only", False),
        )
    if command == "worker":
        return worker(settings)
    if command == "socket":
        return socket_mode(settings)
    from bot import shell

    return shell.run(settings, fresh=getattr(args, "fresh", False))


def _setup_problem(settings: Settings, slack: list[str]) -> str | None:
    """What is missing to run connected to Slack: the `slack` variables, and the Coviu
    account's key and secret if one is configured."""
    if settings.multi_workspace and "SLACK_APP_TOKEN" not in slack:
        # Many workspaces (HTTP only: Socket Mode serves one): the app's OAuth credentials
        # instead of one bot token, and a key to seal their tokens with.
        slack = ["SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_SIGNING_SECRET"]
        if not settings.secret_key:
            return (
                "coviu-slack: multi-workspace mode keeps every workspace's token encrypted: "
                "set COVIU_SLACK_SECRET_KEY to a Fernet key, e.g. "
                "COVIU_SLACK_SECRET_KEY=$(python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())')"
            )
    absent = [name for name in slack if not getattr(settings, name.lower())]
    if absent:
        return (
            f"coviu-slack: set {' and '.join(absent)} to connect to Slack (see README: "
            "Installing into a workspace), or run `coviu-slack shell` to try it offline."
        )
    if settings.coviu_api_url and not (settings.coviu_api_key and settings.coviu_api_secret):
        return (
            "coviu-slack: COVIU_API_URL is set, so set COVIU_API_KEY and COVIU_API_SECRET too "
            "(or unset COVIU_API_URL to use the embedded local Coviu API)."
        )
    return None


def _coviu_account(settings: Settings) -> CoviuClient:
    return CoviuClient(
        settings.coviu_api_key or "", settings.coviu_api_secret or "", settings.coviu_api_url or ""
    )


def _coviu(settings: Settings, port: int) -> tuple[Any, CoviuClient]:
    """The configured Coviu account, or the embedded local API (an ASGI app to mount)."""
    if settings.coviu_api_url:
        return None, _coviu_account(settings)
    from bot.embedded import embedded_coviu

    local = f"http://127.0.0.1:{port}"
    log.info("no COVIU_API_URL: using the embedded Coviu API at %s/v1", local)
    return embedded_coviu(settings, public_url=local)


def _stop_on_sigterm(stop: Callable[[], None]) -> None:
    """SIGTERM (a deploy, `docker stop`, a dyno restart) stops gracefully: what is in hand
    is finished or handed back, nothing is dropped."""
    signal.signal(signal.SIGTERM, lambda *_: stop())


def serve(settings: Settings, host: str, port: int, *, web_only: bool = False) -> int:
    """HTTP mode under uvicorn; the embedded Coviu API shares the server unless configured.
    With `web_only` this process only verifies, records and answers: workers do the rest."""
    import uvicorn

    from bot.app import Services, build_app
    from bot.web import create_web_app, http_protocol

    if problem := _setup_problem(settings, ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"]):
        print(problem, file=sys.stderr)
        return 2
    if not settings.coviu_api_url:
        from bot.embedded import with_webhooks

        # The embedded Coviu API's webhooks come to this server: accept them with its secret.
        settings = with_webhooks(settings)
    coviu_app, client = _coviu(settings, port)
    provision = register = None
    if settings.multi_workspace and coviu_app is not None:
        from bot.embedded import workspace_accounts

        # Each workspace its own local Coviu team, rather than all sharing the embedded one.
        provision, register = workspace_accounts(coviu_app, f"http://127.0.0.1:{port}")
        client.close()
        client = None
    services = Services.create(settings, client, provision=provision, register=register)
    app = build_app(services)
    if not web_only:
        app.worker.start()
    try:
        # uvicorn handles SIGTERM itself: it stops serving, then we stop the worker.
        # The access log is the app's own, written after each answer (see `bot.web`).
        web = create_web_app(
            app.intake, coviu_app, app.webhooks, app.oauth, services.calendar, access_log=True
        )
        uvicorn.run(
            web, host=host, port=port, log_level="info", access_log=False, http=http_protocol()
        )
    finally:
        app.stop()
        services.close()
    return 0


def worker(settings: Settings) -> int:
    """A worker process: runs queued work and due reminders from the shared database."""
    from bot.app import Services

    if problem := _setup_problem(settings, ["SLACK_BOT_TOKEN"]):
        print(problem, file=sys.stderr)
        return 2
    if settings.multi_workspace and not settings.coviu_api_url:
        # Workspaces' own Coviu accounts only (connected from App Home or the CLI).
        return _run_worker(Services.create(settings, None))
    if not settings.coviu_api_url:
        print(
            "coviu-slack: a worker needs COVIU_API_URL, COVIU_API_KEY and COVIU_API_SECRET "
            "(the embedded Coviu API lives in `coviu-slack serve`; run that instead for one "
            "process).",
            file=sys.stderr,
        )
        return 2
    return _run_worker(Services.create(settings, _coviu_account(settings)))


def _run_worker(services: Any) -> int:
    from bot.app import build_app

    app = build_app(services)
    stopped = threading.Event()
    _stop_on_sigterm(stopped.set)
    app.worker.start()
    log.info("worker %s running", app.worker.name)
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        app.stop()
        services.close()
    return 0


def socket_mode(settings: Settings) -> int:
    from slack_sdk.socket_mode import SocketModeClient
    from slack_sdk.socket_mode.request import SocketModeRequest
    from slack_sdk.socket_mode.response import SocketModeResponse

    from bot.app import Services, build_app
    from bot.embedded import start_embedded_coviu

    if problem := _setup_problem(settings, ["SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"]):
        print(problem, file=sys.stderr)
        return 2
    local_coviu = None
    if settings.coviu_api_url:
        client = _coviu_account(settings)
    else:
        # On $PORT, so the entry links already sent keep working after a restart.
        local_coviu, client = start_embedded_coviu(settings, port=settings.port)
    services = Services.create(settings, client)
    if not settings.public_url:
        # No web server here to serve calendar files: invitations offer Google and Outlook.
        services.calendar.base_url = None
    app = build_app(services, socket_mode=True)
    socket = SocketModeClient(app_token=settings.slack_app_token or "", web_client=services.slack)
    # No public URL for Coviu's webhooks: read the open sessions' summaries instead.
    from bot.waiting.polling import SummaryPoller

    assert app.webhooks is not None
    poller = SummaryPoller(services.store, client, app.webhooks, services.clock)

    def on_request(client: SocketModeClient, request: SocketModeRequest) -> None:
        _, body = app.intake.receive(request.payload)
        client.send_socket_mode_response(
            SocketModeResponse(envelope_id=request.envelope_id, payload=body)
        )

    socket.socket_mode_request_listeners.append(on_request)
    stopped = threading.Event()
    _stop_on_sigterm(stopped.set)
    app.worker.start()
    poller.start()
    try:
        socket.connect()
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        socket.close()
        poller.stop()
        app.stop()
        services.close()
        if local_coviu:
            local_coviu.stop()
    return 0
