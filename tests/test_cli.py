"""The `coviu-slack` command: how it picks its mode, and `serve` running for real."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from conftest import ALICE, BOB, BOT_TOKEN, SIGNING_SECRET

from bot.slackfake import FakeSlack


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "COVIU_", "PORT"))}
    return {**env, **extra}


def coviu_slack(*args: str, cwd: Path, stdin: str = "", **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=clean_env(**env),
        timeout=60,
    )


def test_with_no_slack_credentials_it_says_so_and_starts_the_shell(tmp_path):
    done = coviu_slack(cwd=tmp_path, stdin="quit\n")

    assert done.returncode == 0
    assert done.stderr.count("\n") == 1 and "No Slack credentials set" in done.stderr
    assert "coviu-slack shell" in done.stdout


@pytest.mark.parametrize(
    ("command", "needs"),
    [
        ("serve", "SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET"),
        ("socket", "SLACK_BOT_TOKEN and SLACK_APP_TOKEN"),
    ],
)
def test_serve_and_socket_name_the_missing_credentials(tmp_path, command, needs):
    done = coviu_slack(command, cwd=tmp_path)

    assert done.returncode == 2
    assert f"set {needs}" in done.stderr
    assert "coviu-slack shell" in done.stderr  # and what to do instead


def test_a_bad_setting_is_named_with_an_example(tmp_path):
    done = coviu_slack("serve", cwd=tmp_path, COVIU_DEFAULT_MINUTES="half an hour")

    assert done.returncode == 2
    assert (
        "COVIU_DEFAULT_MINUTES must be a whole number, e.g. COVIU_DEFAULT_MINUTES=30" in done.stderr
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[FakeSlack, str]]:
    """`coviu-slack serve` in its own process, with the embedded Coviu API, facing a local Slack."""
    slack = FakeSlack(bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET).start()
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path,
        env=clean_env(
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=slack.api_url,
        ),
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    for line in process.stderr:  # ready when uvicorn says so; EOF means it died
        if "Uvicorn running on" in line:
            break
    url = f"http://127.0.0.1:{port}"
    slack.app_url = url + "/slack/events"
    try:
        yield slack, url
    finally:
        process.terminate()
        process.wait(timeout=30)
        slack.stop()


def test_serve_books_through_the_embedded_coviu_api(served):
    slack, url = served
    assert requests.get(url + "/healthz", timeout=10).json() == {"status": "ok"}

    slack.slash_command(ALICE, "/coviu", 'book "Physio review" with @bob tomorrow 3pm')
    invite = slack.wait_for(lambda: slack.dms(BOB), what="Bob's invitation DM")[-1]

    [join] = [b for b in invite.buttons() if b.action_id == "join"]
    assert join.url.startswith(url + "/session/")  # the entry page is served right here
    assert requests.get(join.url, timeout=10).status_code == 403  # opens 10 minutes early
    assert requests.get(url + "/openapi.json", timeout=10).json()["info"]["title"]


def test_a_coviu_account_without_its_key_is_named(tmp_path):
    done = coviu_slack(
        "serve",
        cwd=tmp_path,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        COVIU_API_URL="https://api.coviu.com/v1",
    )

    assert done.returncode == 2
    assert "set COVIU_API_KEY and COVIU_API_SECRET too" in done.stderr


def test_serve_logs_each_request_once_with_ids_hidden(tmp_path):
    """The access log is the app's own (written after the answer, see `bot.web`): one line a
    request, uvicorn's own switched off, and the entry page's id (its secret) replaced."""
    slack = FakeSlack(bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET).start()
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--web-only", "--port", str(port)],
        cwd=tmp_path,
        env=clean_env(
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=slack.api_url,
        ),
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    lines: list[str] = []
    for line in process.stderr:  # ready when uvicorn says so; EOF means it died
        lines.append(line)
        if "Uvicorn running on" in line:
            break
    rest = threading.Thread(target=lambda: lines.extend(process.stderr or ()))
    rest.start()
    url = f"http://127.0.0.1:{port}"
    slack.app_url = url + "/slack/events"
    entry = "/session/3f2a9c1e-0000-4000-8000-000000000000"
    try:
        assert requests.get(url + "/healthz", timeout=10).status_code == 200
        booked = slack.slash_command(ALICE, "/coviu", "book Physio with @bob tomorrow 3pm")
        assert booked.status == 200
        assert requests.get(url + entry, timeout=10).status_code == 404
    finally:
        process.terminate()
        process.wait(timeout=30)
        rest.join(timeout=30)
        slack.stop()

    assert sum('"GET /healthz HTTP/1.1" 200' in line for line in lines) == 1
    assert sum('"POST /slack/events HTTP/1.1" 200' in line for line in lines) == 1
    assert sum('"GET /session/{id} HTTP/1.1" 404' in line for line in lines) == 1
    assert not any("3f2a9c1e" in line for line in lines)
