"""Two clinics on one app: the app in multi-workspace (OAuth) mode, for real.

- `accounts`: one local Coviu Session API with two API clients, each its own Coviu team: the
  Coviu Clinic's account and Kiwi Physio's;
- `clinic` and `kiwi`: the Slack stand-in with two workspaces (T0CLINIC: alice, bob...;
  T0KIWI: zoe and yusuf), the app installed in neither until a test goes through OAuth;
- `multi`: the app as `coviu-slack serve` runs it with SLACK_CLIENT_ID/SLACK_CLIENT_SECRET
  and no bot token, on the test's database (SQLite, or PostgreSQL for `both_databases`).

    multi.install(clinic, ALICE)           # Add to Slack → Allow → back to the app
    multi.install(kiwi, ZOE)
    multi.connect(CLINIC, CLINIC_KEY, CLINIC_SECRET)
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import SIGNING_SECRET, WEBHOOK_SECRET
from cryptography.fernet import Fernet

from bot.app import Services, build_app
from bot.clock import Clock
from bot.config import Settings
from bot.coviu.client import CoviuClient
from bot.coviu.server import ClientRegistration, create_app
from bot.embedded import workspace_accounts
from bot.httpserve import ServerThread
from bot.slackfake import DEMO_USERS, Channel, FakeSlack, FakeUser
from bot.web import create_web_app
from bot.workspaces import Workspace
from bot.workspaces.connect import connect

CLINIC_KEY, CLINIC_SECRET = "clinic-key", "clinic-secret"
KIWI_KEY, KIWI_SECRET = "kiwi-key", "kiwi-secret"
SECRET_KEY = Fernet.generate_key().decode()

ZOE = FakeUser("U0ZOE", "zoe", "Zoe Park", "Pacific/Auckland", is_admin=True)
YUSUF = FakeUser("U0YUSUF", "yusuf", "Yusuf Ali", "Pacific/Auckland")
CLINIC, KIWI = Workspace(None, "T0CLINIC"), Workspace(None, "T0KIWI")


@dataclass
class TwoAccounts:
    url: str
    app: Any  # the local Coviu API itself: where an embedded default registers clients
    clinic: CoviuClient  # each clinic's own view of Coviu: what is really booked in it
    kiwi: CoviuClient
    webhooks: Any


@pytest.fixture
def accounts(tmp_path: Path, clock: Clock) -> Iterator[TwoAccounts]:
    apps: list[Any] = []

    def make(url: str) -> Any:
        app = create_app(
            tmp_path / "coviu.db",
            [
                ClientRegistration(CLINIC_KEY, CLINIC_SECRET, "clinic"),
                ClientRegistration(KIWI_KEY, KIWI_SECRET, "kiwi"),
            ],
            public_url=url,
            clock=clock,
            webhook_url=url + "/no-receiver-yet",
            webhook_secret=WEBHOOK_SECRET,
        )
        apps.append(app)
        return app

    server = ServerThread.build(make)
    hooks = apps[0].state.coviu.webhooks
    with (
        server,
        CoviuClient(CLINIC_KEY, CLINIC_SECRET, server.url + "/v1") as clinic,
        CoviuClient(KIWI_KEY, KIWI_SECRET, server.url + "/v1") as kiwi,
    ):
        yield TwoAccounts(server.url, apps[0], clinic, kiwi, hooks)
    hooks.close()


@pytest.fixture
def clinic() -> Iterator[FakeSlack]:
    with FakeSlack(
        bot_token=None,
        signing_secret=SIGNING_SECRET,
        team_id="T0CLINIC",
        users=DEMO_USERS,
        team_name="Coviu Clinic",
    ) as fake:
        yield fake


@pytest.fixture
def kiwi(clinic: FakeSlack) -> FakeSlack:
    return clinic.add_workspace(
        "T0KIWI", [ZOE, YUSUF], team_name="Kiwi Physio", channels=[Channel("C0KIWI", "kiwi")]
    )


class MultiBot:
    def __init__(
        self,
        slack: FakeSlack,
        coviu: TwoAccounts,
        database: str,
        clock: Clock,
        *,
        embedded: bool = False,
        default: tuple[str, str] | None = None,
    ) -> None:
        """`embedded`: no Coviu account is configured, so each workspace gets a local Coviu
        team of its own on the local API, as `coviu-slack serve` does by default. `default`:
        the operator's account (COVIU_API_KEY, COVIU_API_SECRET) for workspaces without one."""
        self.slack = slack
        self.coviu = coviu
        self.settings = Settings(
            slack_signing_secret=SIGNING_SECRET,
            slack_client_id=slack.client_id,
            slack_client_secret=slack.client_secret,
            slack_api_url=slack.api_url,
            secret_key=SECRET_KEY,
            db_path=Path(database),
            database_url=database if database.startswith("postgresql://") else None,
            coviu_webhook_secret=WEBHOOK_SECRET,
        )
        assert self.settings.multi_workspace
        provision = register = None
        if embedded:
            provision, register = workspace_accounts(coviu.app, coviu.url)
        operator = None
        if default is not None:
            operator = CoviuClient(*default, coviu.url + "/v1")
        self.services = Services.create(
            self.settings, operator, clock=clock, provision=provision, register=register
        )
        self.app = build_app(self.services, send_reminders=False)
        self.server = ServerThread(
            create_web_app(self.app.intake, None, self.app.webhooks, oauth=self.app.oauth)
        ).start()
        slack.app_url = self.server.url + "/slack/events"
        coviu.webhooks.url = self.server.url + "/coviu/webhooks"
        self.app.worker.start()

    @property
    def url(self) -> str:
        return self.server.url

    def stop(self) -> None:
        self.server.stop()
        self.app.stop()
        self.services.close()

    def idle(self) -> None:
        assert self.coviu.webhooks.flush(timeout=30), "Coviu's webhooks were never delivered"
        assert self.app.worker.wait_idle(timeout=30), "the app's work never finished"

    def install(self, workspace: FakeSlack, user: str) -> requests.Response:
        """`user` installs the app into `workspace` as a person would, in one browser: the
        install page, Slack's *Allow*, and back to the app's redirect URL."""
        browser = requests.Session()
        page = browser.get(self.url + "/slack/install")
        assert page.status_code == 200, page.text
        link = html.unescape(re.search(r'href="(https://slack\.com/oauth/v2/[^"]+)"', page.text)[1])
        # Bolt's state cookie is `Secure`: browsers send it to http://127.0.0.1 (a secure
        # context), `requests` only over https, so it is carried over by hand.
        for cookie in browser.cookies:
            cookie.secure = False
        back = self.slack.oauth_redirect(
            link, workspace.team_id, user, redirect_uri=self.url + "/slack/oauth_redirect"
        )
        return browser.get(back)

    def connect(self, workspace: Workspace, key: str, secret: str) -> None:
        """The operator's `coviu-slack connect-coviu` (checked against Coviu first)."""
        connect(self.services.workspaces.accounts, workspace, key, secret, self.coviu.url + "/v1")

    def command(self, workspace: FakeSlack, user: str, text: str, **options: Any) -> Any:
        result = workspace.slash_command(user, "/coviu", text, **options)
        self.idle()
        return result

    def click(self, workspace: FakeSlack, user: str, where: Any, action_id: str,
              value: str | None = None) -> Any:  # fmt: skip
        result = workspace.click(user, where, action_id, value)
        self.idle()
        return result

    def submit(self, workspace: FakeSlack, user: str, view: Any, values: Any = None) -> Any:
        result = workspace.submit(user, view, values)
        self.idle()
        return result

    def open_home(self, workspace: FakeSlack, user: str) -> Any:
        result = workspace.open_home(user)
        self.idle()
        return result


@pytest.fixture
def multi(
    clinic: FakeSlack, kiwi: FakeSlack, accounts: TwoAccounts, database: str, clock: Clock
) -> Iterator[MultiBot]:
    running = MultiBot(clinic, accounts, database, clock)
    yield running
    running.stop()


@pytest.fixture
def multi_embedded(
    clinic: FakeSlack, kiwi: FakeSlack, accounts: TwoAccounts, database: str, clock: Clock
) -> Iterator[MultiBot]:
    running = MultiBot(clinic, accounts, database, clock, embedded=True)
    yield running
    running.stop()
