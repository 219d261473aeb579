"""Hostile input at the app's door: every bad request gets a 4xx, never a 5xx; any command
text gets an answer, never a crash; and nothing secret reaches the logs.
"""

from __future__ import annotations

import json
import logging
import time

import pytest
import requests
from conftest import ALICE, BOB, BOT_TOKEN, SIGNING_SECRET
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import logsafe
from bot.slack.listeners.common import SORRY
from bot.slackfake import sign


def post(bot, body: bytes, headers: dict[str, str]) -> requests.Response:
    return requests.post(bot.slack.app_url, data=body, headers=headers, timeout=10)


def signed(body: bytes, content_type: str = "application/x-www-form-urlencoded") -> dict:
    return {"Content-Type": content_type, **sign(SIGNING_SECRET, body, int(time.time()))}


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        # Signed, but not text: refused before anything decodes it.
        (b"command=%2Fcoviu&text=\xff\xfe", None, 400),
        (b'{"type": "event_callback", "event": ', "application/json", 400),
        (b'["not", "an", "object"]', "application/json", 400),
        (b"[" * 5000 + b"]" * 5000, "application/json", 400),
        # A click on a real button, but with no user or action ts: Slack never sends that.
        (
            b"payload=%7B%22type%22%3A%22block_actions%22%2C%22actions%22%3A%5B%7B"
            b"%22action_id%22%3A%22cancel_session%22%7D%5D%7D",
            None,
            400,
        ),
    ],
)
def test_signed_junk_gets_a_400(bot, body, headers, status):
    answer = post(bot, body, signed(body, headers or "application/x-www-form-urlencoded"))
    assert answer.status_code == status


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=00"},
        {"X-Slack-Request-Timestamp": "1", "X-Slack-Signature": "v0=00"},  # stale
        {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=00"},
    ],
)
def test_unsigned_requests_get_a_401(bot, headers):
    answer = post(bot, b"command=%2Fcoviu&text=list\xff", headers)
    assert answer.status_code == 401


def test_a_body_too_large_is_refused_unread(bot):
    body = b"x" * (300 * 1024)
    assert post(bot, body, signed(body)).status_code == 413


def test_only_post_is_served_at_the_slack_endpoint(bot):
    assert requests.get(bot.slack.app_url, timeout=10).status_code == 405


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    text=st.text(
        alphabet=st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=300
    ).map(lambda t: "book " + t)
    | st.sampled_from(["book", "list", "cancel", "reschedule", "add", "remove"]).flatmap(
        lambda verb: st.text(max_size=80).map(lambda t: f"{verb} {t}")
    )
)
def test_any_command_text_gets_an_answer_and_never_a_crash(bot, slack, text):
    result = bot.command(ALICE, text)
    assert result.status == 200
    for reply in slack.ephemerals(ALICE):
        assert SORRY not in reply.text_content()


def test_no_secret_reaches_the_logs_of_a_booking_and_a_forged_request(
    bot, slack, coviu, caplog
):
    before = logging.getLogRecordFactory()
    logsafe.install_record_factory()
    caplog.set_level(logging.DEBUG)
    try:
        _book_with_a_forged_request_in_between(bot, slack, coviu, caplog)
    finally:
        logging.setLogRecordFactory(before)


def _book_with_a_forged_request_in_between(bot, slack, coviu, caplog) -> None:
    forged = b"command=%2Fcoviu&text=list&response_url=http%3A%2F%2Fhooks.slack.com%2Fx%2Fy"
    post(bot, forged, {"X-Slack-Request-Timestamp": str(int(time.time())),
                       "X-Slack-Signature": "v0=" + "0" * 64})  # fmt: skip

    bot.command(ALICE, 'book "Physio review" with @bob tomorrow 3pm for 45 min')

    logged = "\n".join(
        record.getMessage() + json.dumps(record.__dict__, default=str)
        for record in caplog.records
    )
    secrets = [BOT_TOKEN, SIGNING_SECRET, "hooks.slack.com/x/y"]
    for session in coviu.api.iter_sessions():
        for participant in session.participants:
            secrets += [participant.participant_id, participant.entry_url]
    for call in slack.calls:
        if url := call.params.get("response_url"):
            secrets.append(str(url))
    for message in slack.ephemerals(ALICE) + slack.dms(BOB):
        secrets += [b.url for b in message.buttons() if b.url]
    assert len(secrets) > 5
    assert caplog.records, "nothing was logged: the test would prove nothing"
    leaked = [secret for secret in secrets if secret and secret in logged]
    assert leaked == []
