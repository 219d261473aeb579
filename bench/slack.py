"""Slack's side of the benches: the local Slack stand-in and signed `/coviu` requests.

Requests are built ahead of the run (each with its own trigger_id and a live response_url
issued by the stand-in, so every one is a distinct booking whose answer has somewhere to go)
and signed at build time; Slack's five-minute freshness window covers every run here.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from bench.common import BOT_TOKEN, SIGNING_SECRET
from bot.slackfake import DEMO_USERS, FakeSlack, FakeUser, escape_mentions, payloads, sign

TEAM = "T0CLINIC"
BOOKER = "U0ALICE"
BOOK_TEXT = 'book "Physio review" with @bob tomorrow 3pm for 45 min'
ZONES = ("Australia/Sydney", "Europe/London", "America/New_York", "Asia/Tokyo")


def guests(count: int) -> list[FakeUser]:
    """`count` extra workspace members (``@guest001`` …) spread over four time zones."""
    return [
        FakeUser(f"U0G{i:03d}", f"guest{i:03d}", f"Guest {i:03d}", ZONES[i % len(ZONES)])
        for i in range(1, count + 1)
    ]


def fake_slack(users: Iterable[FakeUser] = DEMO_USERS) -> FakeSlack:
    """The stand-in with the bench's token and secret (not started)."""
    return FakeSlack(
        bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, team_id=TEAM, users=list(users)
    )


def command_request(
    slack: FakeSlack, text: str, user_id: str = BOOKER, channel_id: str = "C0GENERAL"
) -> dict[str, Any]:
    """One signed `/coviu {text}` request as Slack sends it: headers and form body."""
    user = slack.user(user_id)
    # The stand-in has no public way to mint a response_url without sending the request
    # itself; the bench sends its own (from another process), so it asks the Web API object.
    response_url = slack._api.issue_response_url(user.id, channel_id, None)
    fields = payloads.slash_command_form(
        token=slack.verification_token, team_id=slack.team_id, team_domain=slack.team_domain,
        channel_id=channel_id, channel_name="general", user=user, command="/coviu",
        text=escape_mentions(text, slack.users.values()), api_app_id=slack.app_id,
        response_url=response_url, trigger_id=slack.new_trigger_id(user.id),
    )  # fmt: skip
    body = payloads.form_body(fields)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        **sign(SIGNING_SECRET, body, int(time.time())),
    }
    return {"headers": headers, "body": body.decode()}


def dm_count(slack: FakeSlack) -> int:
    """How many chat.postMessage calls the stand-in has answered so far."""
    return len(slack.calls_to("chat.postMessage"))


def wait_for_dms(slack: FakeSlack, expected: int, timeout: float) -> float | None:
    """Wait until `expected` DMs have been posted; seconds waited, or None on timeout."""
    began = time.monotonic()
    while dm_count(slack) < expected:
        if time.monotonic() - began > timeout:
            return None
        time.sleep(0.05)
    return time.monotonic() - began
