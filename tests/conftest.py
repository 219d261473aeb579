"""The bot, running for real, between a local Slack and a local Coviu.

Every bot test gets:
- `coviu`: the local Coviu Session API on a free port, on its own SQLite file;
- `slack`: the local Slack stand-in, with the demo workspace (alice in Sydney, bob in London,
  carol in New York, dave in Sydney); it signs what it sends to the app, as Slack does;
- `bot`: the real Bolt app behind `coviu-slack serve`'s HTTP face, on the bot's own SQLite
  file, talking to both over HTTP;
- `clock`: the time all three share, frozen at Monday 18 March 2030, 09:00 UTC (20:00 in
  Sydney), moved by hand.

    def test_booking(bot, slack):
        bot.command("U0ALICE", 'book "Physio review" with @bob tomorrow 3pm')
        assert "Physio review" in slack.dms("U0BOB")[-1].text_content()
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from coviu_client_fixtures import Faults

from bot.app import Services, build_app
from bot.clock import Clock
from bot.config import Settings
from bot.coviu.client import CoviuClient
from bot.coviu.server import ClientRegistration, create_app
from bot.httpserve import ServerThread
from bot.slackfake import DEMO_USERS, FakeSlack
from bot.web import create_web_app

# Two clinics on one app (multi-workspace mode): `multi`, `clinic`, `kiwi`, `accounts`.
pytest_plugins = ["pg_fixtures", "multi_fixtures"]

NOW = datetime(2030, 3, 18, 9, 0, tzinfo=UTC)
BOT_TOKEN = "xoxb-test-bot-token"
SIGNING_SECRET = "test-signing-secret"
COVIU_KEY = "clinic-key"
COVIU_SECRET = "clinic-secret"
WEBHOOK_SECRET = "test-webhook-secret"

ALICE, BOB, CAROL, DAVE = "U0ALICE", "U0BOB", "U0CAROL", "U0DAVE"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """`database` is SQLite, and PostgreSQL too for tests marked `both_databases`."""
    if "database" in metafunc.fixturenames:
        both = metafunc.definition.get_closest_marker("both_databases") is not None
        metafunc.parametrize(
            "database", ["sqlite", "postgresql"] if both else ["sqlite"], indirect=True
        )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "both_databases: run on SQLite and on PostgreSQL (COVIU_TEST_DATABASE_URL)"
    )


@pytest.fixture
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where the app's store lives for this test: a SQLite file, or an empty PostgreSQL
    database of its own."""
    if request.param == "postgresql":
        return request.getfixturevalue("fresh_postgres_url")
    return str(tmp_path / "bot.db")


@pytest.fixture
def clock() -> Clock:
    return Clock(frozen_at=NOW)


@dataclass
class LocalCoviu:
    url: str
    api: CoviuClient  # the clinic's own view of Coviu, for asserting what is really booked
    server: ServerThread
    faults: Faults  # to make Coviu fail on purpose, in front of the real app
    # Its webhook sender: the `bot` fixture points it at the bot (`.url`) once that is up.
    webhooks: Any = None


@pytest.fixture
def coviu(tmp_path: Path, clock: Clock) -> Iterator[LocalCoviu]:
    faults: list[Faults] = []
    apps: list[Any] = []

    def make(url: str) -> Faults:
        app = create_app(
            tmp_path / "coviu.db",
            [ClientRegistration(COVIU_KEY, COVIU_SECRET, "clinic")],
            public_url=url,
            clock=clock,
            # Nobody listens here: the `bot` fixture sets the real target when it starts.
            webhook_url=url + "/no-receiver-yet",
            webhook_secret=WEBHOOK_SECRET,
        )
        apps.append(app)
        faults.append(Faults(app))
        return faults[0]

    server = ServerThread.build(make)
    hooks = apps[0].state.coviu.webhooks
    with server, CoviuClient(COVIU_KEY, COVIU_SECRET, server.url + "/v1") as api:
        yield LocalCoviu(server.url, api, server, faults[0], hooks)
    hooks.close()


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    fake = FakeSlack(
        bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, team_id="T0CLINIC", users=DEMO_USERS
    )
    with fake:
        yield fake


class RunningBot:
    """The app as `coviu-slack serve` runs it, plus ways to act as the people using it.

    Each action waits until the app has finished the work it started (lazy listeners
    included) before returning, so tests read top to bottom without sleeps.
    """

    def __init__(self, slack: FakeSlack, coviu: LocalCoviu, database: str, clock: Clock) -> None:
        self.slack = slack
        self.settings = Settings(
            slack_bot_token=BOT_TOKEN,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=slack.api_url,
            coviu_api_url=coviu.url + "/v1",
            coviu_api_key=COVIU_KEY,
            coviu_api_secret=COVIU_SECRET,
            db_path=Path(database),
            database_url=database if database.startswith("postgresql://") else None,
            coviu_webhook_secret=WEBHOOK_SECRET,
        )
        self.clock = clock
        self.coviu_url = coviu.url
        self.coviu_webhooks = coviu.webhooks
        self._start()

    def _start(self) -> None:
        # Short backoff: a test of Coviu being down shouldn't wait out production's pauses.
        client = CoviuClient(COVIU_KEY, COVIU_SECRET, self.coviu_url + "/v1", backoff=0.01)
        self.services = Services.create(self.settings, client, clock=self.clock)
        # Reminders only when a test asks (`send_reminders`), at the clock it has set.
        self.app = build_app(self.services, send_reminders=False)
        self.server = ServerThread(
            create_web_app(
                self.app.intake, None, self.app.webhooks, calendar=self.services.calendar
            )
        )
        self.server.start()
        # Calendar links point at this server, as COVIU_SLACK_PUBLIC_URL points at the app.
        self.services.calendar.base_url = self.server.url
        self.slack.app_url = self.server.url + "/slack/events"
        # Coviu's webhooks come here, as they would to `serve`.
        self.coviu_webhooks.url = self.server.url + "/coviu/webhooks"
        self.app.worker.start()

    def stop(self) -> None:
        self.server.stop()
        self.app.stop()
        self.services.close()

    def restart(self) -> None:
        self.stop()
        self._start()

    def idle(self) -> None:
        """Until Coviu has delivered the webhooks it owes and the app has done all its work."""
        assert self.coviu_webhooks.flush(timeout=30), "Coviu's webhooks were never delivered"
        assert self.app.worker.wait_idle(timeout=30), "the app's work never finished"

    def command(self, user: str, text: str, **options: Any) -> Any:
        result = self.slack.slash_command(user, "/coviu", text, **options)
        self.idle()
        return result

    def click(self, user: str, where: Any, action_id: str, value: str | None = None) -> Any:
        result = self.slack.click(user, where, action_id, value)
        self.idle()
        return result

    def submit(self, user: str, view: Any, values: dict[str, Any] | None = None) -> Any:
        result = self.slack.submit(user, view, values)
        self.idle()
        return result

    def open_home(self, user: str) -> Any:
        result = self.slack.open_home(user)
        self.idle()
        return result

    def send_reminders(self) -> int:
        """One pass of the reminder scheduler at the clock's current time."""
        return self.services.reminders.send_due()

    def last_reply(self, user: str) -> Any:
        """The newest message only `user` can see (an ephemeral answer)."""
        replies = self.slack.ephemerals(user)
        assert replies, f"{user} got no private reply"
        return replies[-1]


@pytest.fixture
def bot(slack: FakeSlack, coviu: LocalCoviu, database: str, clock: Clock) -> Iterator[RunningBot]:
    running = RunningBot(slack, coviu, database, clock)
    yield running
    running.stop()
