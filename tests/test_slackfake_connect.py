"""The stand-in shows Slack Connect members as Slack does, and keeps Slack's response_url rules.

A person from another organisation, met in a shared channel, is a user the app can look up
(``users.info``: their own organisation's ``team_id``, no email, ``is_stranger`` when no shared
channel is visible to the app, ``enterprise_user`` for a Grid org) but not DM: a post to their
user id finds no conversation. A response_url takes 5 posts within 30 minutes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slackfake import CONNECT_USER, DEMO_USERS, FakeSlack

BOT_TOKEN = "xoxb-test"
STRANGER = replace(CONNECT_USER, id="U0YUKI", name="yuki", real_name="Yuki Sato", stranger=True)
GRID = replace(CONNECT_USER, id="U0ARI", name="ari", real_name="Ari Levi", enterprise_id="E0BIG")


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    users = (*DEMO_USERS, CONNECT_USER, STRANGER, GRID)
    with FakeSlack(bot_token=BOT_TOKEN, team_id="T0CLINIC", users=users) as fake:
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> WebClient:
    return WebClient(BOT_TOKEN, base_url=slack.api_url)


def test_a_member_from_another_organisation_carries_their_own_team(client: WebClient) -> None:
    zoe = client.users_info(user="U0ZOE")["user"]
    alice = client.users_info(user="U0ALICE")["user"]

    assert (zoe["team_id"], zoe["profile"]["team"]) == ("T0KIWI", "T0KIWI")
    assert zoe["profile"]["real_name"] == "Zoe Park"
    assert "email" not in zoe["profile"]  # Slack never shows another org's email addresses
    assert "is_stranger" not in zoe  # she shares a channel the app can see
    assert (alice["team_id"], alice["profile"]["email"]) == ("T0CLINIC", "alice@clinic.example")
    assert "is_stranger" not in alice and "enterprise_user" not in alice


def test_strangers_and_grid_members_look_as_slack_shows_them(client: WebClient) -> None:
    assert client.users_info(user="U0YUKI")["user"]["is_stranger"] is True
    grid = client.users_info(user="U0ARI")["user"]
    assert grid["enterprise_user"]["enterprise_id"] == "E0BIG"
    assert grid["enterprise_user"]["id"] == "U0ARI"


def test_the_app_cannot_dm_someone_from_another_organisation(
    slack: FakeSlack, client: WebClient
) -> None:
    for method in (
        lambda: client.chat_postMessage(channel="U0ZOE", text="Your link"),
        lambda: client.conversations_open(users="U0ZOE"),
        lambda: client.chat_postMessage(channel="D0ZOE", text="Your link"),
    ):
        with pytest.raises(SlackApiError) as refused:
            method()
        assert refused.value.response["error"] == "channel_not_found"
    assert slack.dms("U0ZOE") == []
    # People of the workspace's own organisation are DMed as ever.
    assert client.chat_postMessage(channel="U0BOB", text="Your link")["channel"] == "D0BOB"


def test_a_response_url_takes_five_posts_then_refuses(slack: FakeSlack) -> None:
    url = slack.issue_response_url("U0ALICE", "C0CLINIC")
    for n in range(6):
        requests.post(url, json={"text": f"answer {n}"}, timeout=5)

    answers = slack.response_url_answers(url)
    assert answers == [(200, "ok")] * 5 + [(404, "used_url")]


def test_an_expired_response_url_refuses_every_post(slack: FakeSlack) -> None:
    url = slack.issue_response_url("U0ALICE", "C0CLINIC")
    slack.expire_response_url(url)

    answer = requests.post(url, json={"text": "too late"}, timeout=5)

    assert (answer.status_code, answer.text) == (404, "expired_url")
    assert slack.response_url_answers(url) == [(404, "expired_url")]
    assert slack.ephemerals("U0ALICE") == []
