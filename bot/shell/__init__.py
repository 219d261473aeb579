"""`coviu-slack shell`: the whole product in a terminal, with no Slack and no Coviu account.

It starts the real pieces on this machine — the Bolt app behind its HTTP endpoint, the
embedded Coviu Session API, the SQLite store — and puts the terminal where Slack would be,
through the same local Slack stand-in the tests use. Requests reach the app signed, over HTTP,
exactly as Slack sends them; nothing in the app knows it is in a shell.

    coviu-slack shell            # interactive
    coviu-slack shell < demo.txt # a script of lines; prints the whole transcript
    coviu-slack shell --fresh    # forget earlier runs

People open their entry links too (`open pat's link`, `leave`, `let pat in`): the embedded
Coviu API then sends its webhooks to the app, so the waiting-room alerts, live cards, nudges
and the after-call summary show in the transcript. The app's port is bound first, so Coviu
knows where to send them; before each prompt the shell waits until Coviu has delivered them
and the app's worker is idle.
"""

from __future__ import annotations

import logging
import secrets
import sys
from dataclasses import replace
from datetime import timedelta
from typing import Any

from bot.config import Settings


def run(settings: Settings, *, fresh: bool = False) -> int:
    from bot.app import Services, build_app
    from bot.clock import Clock
    from bot.embedded import coviu_db_path, start_embedded_coviu, with_webhooks
    from bot.httpserve import ServerThread
    from bot.shell.console import Console
    from bot.shell.pages import Pages
    from bot.slackfake import CONNECT_USER, DEMO_USERS, FakeSlack
    from bot.waiting.webhooks import PATH as WEBHOOKS_PATH
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
    # Zoe is from another organisation (Kiwi Physio), met in a Slack Connect channel: she
    # can be booked, but the app can't DM her.
    people = [*DEMO_USERS, CONNECT_USER]
    slack = FakeSlack(
        bot_token=bot_token, signing_secret=signing_secret, team_id="T0CLINIC", users=people
    ).start()
    settings = replace(
        with_webhooks(settings),  # the secret the embedded Coviu signs its webhooks with
        slack_bot_token=bot_token,
        slack_signing_secret=signing_secret,
        slack_api_url=slack.api_url,
    )
    started: dict[str, Any] = {}

    def make_web_app(app_url: str) -> Any:
        # The app's port is bound by now, so the embedded Coviu can be told where its
        # webhooks go before it starts: people entering their pages reach the app as Coviu's
        # calls would. Entry links are kept between runs, so Coviu keeps one address: $PORT
        # (3000) when it is free, any free port otherwise.
        hooks = app_url + WEBHOOKS_PATH
        try:
            started["coviu"] = start_embedded_coviu(
                settings, port=settings.port, clock=clock, webhooks=hooks
            )
        except OSError:
            started["coviu"] = start_embedded_coviu(settings, clock=clock, webhooks=hooks)
            print(f"(port {settings.port} is busy: entry links from earlier runs won't open)")
        services = Services.create(settings, started["coviu"][1], clock=clock)
        # Reminders go out when `skip` moves the clock, so the transcript shows them in order.
        app = build_app(services, send_reminders=False)
        started["services"], started["app"] = services, app
        return create_web_app(app.intake, webhooks=app.webhooks, calendar=services.calendar)

    app_server = ServerThread.build(make_web_app).start()
    coviu_server, _ = started["coviu"]
    services, app = started["services"], started["app"]
    slack.app_url = app_server.url + "/slack/events"
    # Calendar files come from this server, wherever it found a port.
    services.calendar.base_url = app_server.url
    app.worker.start()
    services.reminders.send_due()  # whatever fell due while the shell was closed
    coviu_webhooks = coviu_server.app.state.coviu.webhooks

    def skip(delta: timedelta) -> int:
        clock.advance(delta)
        services.series.top_up()  # a series' next sessions, as the worker makes them hourly
        return services.reminders.send_due()

    def idle() -> None:
        # Coviu's webhooks first (they become the app's jobs), then the app's work; twice,
        # since work the app does may make Coviu say something more.
        for _ in range(2):
            coviu_webhooks.flush()
            app.worker.wait_idle()

    print(
        "coviu-slack shell: a Slack workspace and Coviu, both on this machine. "
        f"Data in {settings.db_path}.",
        flush=True,
    )
    pages = Pages(services.store, clock)
    console = Console(slack, people, idle, skip, pages=pages)
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
