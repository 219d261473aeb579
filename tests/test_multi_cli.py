"""The operator's side of many workspaces: `coviu-slack connect-coviu`, `rotate-key`, and what
`coviu-slack serve` says when multi-workspace mode lacks its key."""

from __future__ import annotations

import html
import re
import subprocess
import sys

import requests
from conftest import ALICE, BOB, SIGNING_SECRET
from cryptography.fernet import Fernet
from multi_fixtures import KIWI, KIWI_KEY, KIWI_SECRET
from test_cli import clean_env, coviu_slack, free_port

from bot.config import Settings
from bot.slackfake import FakeSlack
from bot.storage import Store
from bot.workspaces.registry import Workspaces

KEY = Fernet.generate_key().decode()


def kept_account(tmp_path, key: str = KEY):
    settings = Settings(db_path=tmp_path / "bot.db", secret_key=key)
    store = Store.open(settings.database)
    try:
        return Workspaces.open(settings, store).accounts.find(KIWI)
    finally:
        store.close()


def test_connect_coviu_checks_the_account_then_keeps_it_sealed(tmp_path, accounts) -> None:
    env = {"COVIU_SLACK_DB": str(tmp_path / "bot.db"), "COVIU_SLACK_SECRET_KEY": KEY}
    url = accounts.url + "/v1"

    wrong = coviu_slack("connect-coviu", "--team", "T0KIWI", "--key", KIWI_KEY, "--secret",
                        "not-it", "--url", url, cwd=tmp_path, **env)  # fmt: skip
    assert wrong.returncode == 2
    assert "Coviu refused that key and secret" in wrong.stderr and "not-it" not in wrong.stderr
    assert kept_account(tmp_path) is None

    # The secret from standard input keeps it out of the process list.
    done = coviu_slack("connect-coviu", "--team", "T0KIWI", "--key", KIWI_KEY, "--secret", "-",
                       "--url", url, cwd=tmp_path, stdin=KIWI_SECRET + "\n", **env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Connected T0KIWI" in done.stdout and KIWI_SECRET not in done.stdout
    account = kept_account(tmp_path)
    assert (account.api_key, account.api_secret, account.api_url) == (KIWI_KEY, KIWI_SECRET, url)
    assert KIWI_SECRET.encode() not in (tmp_path / "bot.db").read_bytes()

    # Rotation: the new key first, the old after; reseal; the old key can go.
    new = Fernet.generate_key().decode()
    both_keys = {**env, "COVIU_SLACK_SECRET_KEY": f"{new},{KEY}"}
    rotated = coviu_slack("rotate-key", cwd=tmp_path, **both_keys)
    assert rotated.returncode == 0, rotated.stderr
    assert kept_account(tmp_path, new).api_secret == KIWI_SECRET


def test_a_bad_url_is_named_with_one_that_works(tmp_path) -> None:
    args = ["--team", "T0KIWI", "--key", "k", "--secret", "s", "--url", "api.coviu.com"]
    done = coviu_slack("connect-coviu", *args, cwd=tmp_path, COVIU_SLACK_SECRET_KEY=KEY)
    assert done.returncode == 2
    assert "must start with https://" in done.stderr and "https://api.coviu.com/v1" in done.stderr


def test_multi_workspace_mode_without_a_secret_key_says_how_to_make_one(tmp_path) -> None:
    done = coviu_slack("serve", cwd=tmp_path, SLACK_CLIENT_ID="1.2", SLACK_CLIENT_SECRET="s",
                       SLACK_SIGNING_SECRET="x")  # fmt: skip
    assert done.returncode == 2
    assert "COVIU_SLACK_SECRET_KEY" in done.stderr and "Fernet.generate_key" in done.stderr


def test_with_oauth_credentials_coviu_slack_serves_many_workspaces_beside_the_embedded_coviu(
    tmp_path,
) -> None:
    """`coviu-slack` with no arguments, in its own process: the landing page and install flow
    at `/`, the embedded Coviu API's paths still served, and a workspace installed through
    OAuth booking on a local Coviu team of its own."""
    slack = FakeSlack(bot_token=None, signing_secret=SIGNING_SECRET).start()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env=clean_env(
            SLACK_CLIENT_ID=slack.client_id,
            SLACK_CLIENT_SECRET=slack.client_secret,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=slack.api_url,
            COVIU_SLACK_SECRET_KEY=KEY,
            PORT=str(port),
        ),
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    said = process.stderr.readline()
    assert "serving HTTP for many workspaces" in said, said
    for line in process.stderr:
        if "Uvicorn running on" in line:
            break
    slack.app_url = url + "/slack/events"
    try:
        assert "Add to Slack" in requests.get(url + "/", timeout=10).text
        assert requests.get(url + "/healthz", timeout=10).json() == {"status": "ok"}
        assert requests.get(url + "/openapi.json", timeout=10).json()["info"]["title"]

        browser = requests.Session()
        page = browser.get(url + "/slack/install", timeout=10).text
        link = html.unescape(re.search(r'href="(https://slack\.com/oauth/v2/[^"]+)"', page)[1])
        for cookie in browser.cookies:
            cookie.secure = False  # see multi_fixtures.MultiBot.install
        back = slack.oauth_redirect(
            link, "T0CLINIC", ALICE, redirect_uri=url + "/slack/oauth_redirect"
        )
        assert "Coviu is installed" in browser.get(back, timeout=10).text

        slack.slash_command(ALICE, "/coviu", 'book "Physio review" with @bob tomorrow 3pm')
        invite = slack.wait_for(lambda: slack.dms(BOB), what="Bob's invitation DM")[-1]
        [join] = [b for b in invite.buttons() if b.action_id == "join"]
        assert join.url.startswith(url + "/session/")
    finally:
        process.terminate()
        process.wait(timeout=30)
        slack.stop()
