"""Running the app: `serve` (HTTP), `socket` (Socket Mode), `shell`, or whichever fits.

`coviu-slack` with no sub-command picks by what the environment holds: Socket Mode with a bot
and an app token, HTTP with a bot token and a signing secret, otherwise the offline shell.
"""

from __future__ import annotations

import argparse
import logging
import sys

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
        command = {"socket": "socket", "http": "serve", "shell": "shell"}[settings.mode()]
        reasons = {
            "socket": "SLACK_BOT_TOKEN and SLACK_APP_TOKEN are set: running in Socket Mode.",
            "serve": "SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are set: serving HTTP.",
            "shell": "No Slack credentials set: starting the offline shell "
            "(Slack credentials in the environment connect it to Slack; see the README).",
        }
        print(f"coviu-slack: {reasons[command]}", file=sys.stderr)
        args = argparse.Namespace(command=command, host="0.0.0.0", port=None, fresh=False)
    if command == "serve":
        return serve(settings, args.host, args.port or settings.port)
    if command == "socket":
        return socket_mode(settings)
    from bot import shell

    return shell.run(settings, fresh=getattr(args, "fresh", False))


def _setup_problem(settings: Settings, slack: list[str]) -> str | None:
    """What is missing to run connected to Slack: the `slack` variables, and the Coviu
    account's key and secret if one is configured."""
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


def serve(settings: Settings, host: str, port: int) -> int:
    """HTTP mode under uvicorn; the embedded Coviu API shares the server unless configured."""
    import uvicorn

    from bot.app import Services, build_app
    from bot.embedded import embedded_coviu
    from bot.web import create_web_app

    if problem := _setup_problem(settings, ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"]):
        print(problem, file=sys.stderr)
        return 2
    coviu_app = None
    if settings.coviu_api_url:
        client = _coviu_account(settings)
    else:
        local = f"http://127.0.0.1:{port}"
        coviu_app, client = embedded_coviu(settings, public_url=local)
        log.info("no COVIU_API_URL: using the embedded Coviu API at %s/v1", local)
    services = Services.create(settings, client)
    app = build_app(services)
    services.reminders.start()
    try:
        uvicorn.run(create_web_app(app, coviu_app), host=host, port=port, log_level="info")
    finally:
        services.close()
    return 0


def socket_mode(settings: Settings) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

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
    app = build_app(services, socket_mode=True)
    services.reminders.start()
    try:
        SocketModeHandler(app, settings.slack_app_token).start()
    finally:
        services.close()
        if local_coviu:
            local_coviu.stop()
    return 0
