"""`coviu-slack shell`: the whole product in a terminal, with no Slack and no Coviu account.

It starts the real pieces on this machine — the Bolt app behind its HTTP endpoint, the
embedded Coviu Session API, the SQLite store — and puts the terminal where Slack would be,
through the same local Slack stand-in the tests use. Requests reach the app signed, over HTTP,
exactly as Slack sends them; nothing in the app knows it is in a shell.

    coviu-slack shell            # interactive
    coviu-slack shell < demo.txt # a script of lines; prints the whole transcript
    coviu-slack shell --fresh    # forget earlier runs
"""

from __future__ import annotations

import logging
import secrets
import sys
from dataclasses import replace
from datetime import timedelta

from bot.config import Settings


def run(settings: Settings, *, fresh: bool = False) -> int:
    from bot.app import Services, build_app
    from bot.clock import Clock
    from bot.embedded import coviu_db_path, start_embedded_coviu
    from bot.httpserve import ServerThread
    from bot.shell.console import Console
    from bot.slackfake import DEMO_USERS, FakeSlack
    from bot.web import create_web_app

    # The shell's own output is the interface; the app's log lines would only get in the way.
    logging.getLogger().setLevel(logging.WARNING)
    if fresh:
        for path in (settings.db_path, coviu_db_path(settings)):
            for suffix in ("", "-wal", "-shm"):
                path.with_name(path.name + suffix).unlink(missing_ok=True)

    clock = Clock()
    bot_token = "xoxb-shell-" + secrets.token_hex(8)
    signing_secret = secrets.token_hex(16)
    slack = FakeSlack(
        bot_token=bot_token, signing_secret=signing_secret, team_id="T0CLINIC", users=DEMO_USERS
    ).start()
    # Entry links are kept between runs, so the embedded Coviu API keeps one address: $PORT
    # (3000) when it is free, any free port otherwise.
    try:
        coviu_server, coviu = start_embedded_coviu(settings, port=settings.port, clock=clock)
    except OSError:
        coviu_server, coviu = start_embedded_coviu(settings, clock=clock)
        print(f"(port {settings.port} is busy: entry links from earlier runs won't open)")
    settings = replace(
        settings,
        slack_bot_token=bot_token,
        slack_signing_secret=signing_secret,
        slack_api_url=slack.api_url,
    )
    services = Services.create(settings, coviu, clock=clock)
    # Reminders go out when `skip` moves the clock, so the transcript shows them in order.
    app = build_app(services, send_reminders=False)
    app_server = ServerThread(create_web_app(app.intake, calendar=services.calendar)).start()
    slack.app_url = app_server.url + "/slack/events"
    # Calendar files come from this server, wherever it found a port.
    services.calendar.base_url = app_server.url
    app.worker.start()
    services.reminders.send_due()  # whatever fell due while the shell was closed

    def skip(delta: timedelta) -> int:
        clock.advance(delta)
        services.series.top_up()  # a series' next sessions, as the worker makes them hourly
        return services.reminders.send_due()

    def idle() -> None:
        app.worker.wait_idle()

    print(
        "coviu-slack shell: a Slack workspace and Coviu, both on this machine. "
        f"Data in {settings.db_path}.",
        flush=True,
    )
    console = Console(slack, list(DEMO_USERS), idle, skip)
    try:
        console.run(iter(sys.stdin), echo=not sys.stdin.isatty())
    except KeyboardInterrupt:
        print()
    finally:
        app_server.stop()
        app.stop()
        services.close()
        coviu_server.stop()
        slack.stop()
    return 0
