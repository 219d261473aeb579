"""`bot.logsafe`: every record of every logger is cleaned, whichever handler prints it."""

from __future__ import annotations

import io
import json
import logging
import time
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from slack_bolt import App, BoltRequest

from bot import logsafe

pytest_plugins = ["coviu_fixtures"]

PARTICIPANT = "c30aabaa-b9e2-4644-a432-8e78624ead42"
RESPONSE_URL = "https://hooks.slack.com/actions/T0CLINIC/1234/Zx9secretpart"


@pytest.fixture
def stream() -> io.StringIO:
    return io.StringIO()


def own_logger(name: str, stream: io.StringIO) -> logging.Logger:
    """A logger with its own handler that does not propagate (as uvicorn's access log)."""
    logger = logging.getLogger(name)
    logger.handlers = [logging.StreamHandler(stream)]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger


@pytest.mark.usefixtures("redacting_logs")
def test_a_logger_that_does_not_propagate_is_cleaned_too(stream: io.StringIO) -> None:
    access = own_logger("test.access", stream)
    # uvicorn's access format: its formatter reads these arguments one by one.
    access.info(
        '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", f"/session/{PARTICIPANT}", "1.1", 200
    )
    access.info("DELETE /v1/participants/%s by token=%s", PARTICIPANT, "abc123")

    assert stream.getvalue().splitlines() == [
        '127.0.0.1:5000 - "GET /session/{id} HTTP/1.1" 200',
        "DELETE /v1/participants/{id} by token=[redacted]",
    ]


@pytest.mark.usefixtures("redacting_logs")
def test_secrets_in_objects_and_tracebacks_are_cleaned(stream: io.StringIO) -> None:
    logger = own_logger("test.objects", stream)
    logger.info("body %s", {"participant_id": PARTICIPANT, "response_url": RESPONSE_URL})
    try:
        raise ValueError(f"cannot reach {RESPONSE_URL} for {PARTICIPANT}")
    except ValueError:
        logger.exception("failed")

    logged = stream.getvalue()
    assert PARTICIPANT not in logged and "Zx9secretpart" not in logged
    assert "hooks.slack.com/[redacted]" in logged and "ValueError" in logged


@pytest.mark.usefixtures("redacting_logs")
def test_bolt_signature_failure_logs_no_body(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    app = App(
        signing_secret="bolt-signing-secret",
        token="xoxb-bolt-test-token",
        token_verification_enabled=False,
    )
    payload = {"type": "block_actions", "response_url": RESPONSE_URL, "token": "verif-123"}
    body = urlencode({"payload": json.dumps(payload)})
    answer = app.dispatch(
        BoltRequest(
            body=body,
            headers={
                "content-type": "application/x-www-form-urlencoded",
                "x-slack-request-timestamp": str(int(time.time())),
                "x-slack-signature": "v0=forged",
            },
        )
    )

    assert answer.status == 401
    assert "Invalid request signature detected" in caplog.text  # the line was written...
    assert "body: [redacted])" in caplog.text  # ...without the body
    for secret in ("Zx9secretpart", "hooks.slack.com%2F", "verif-123", "v0=forged"):
        assert secret not in caplog.text


def test_install_is_idempotent_and_keeps_the_factory() -> None:
    before = logging.getLogRecordFactory()
    try:
        logsafe.install_record_factory()
        installed = logging.getLogRecordFactory()
        logsafe.install_record_factory()
        assert logging.getLogRecordFactory() is installed is not before
    finally:
        logging.setLogRecordFactory(before)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("GET /v1/sessions/abc/participants", "GET /v1/sessions/{id}/participants"),
        ("GET /session-assets/entry.js", "GET /session-assets/entry.js"),
        ("X-Coviu-Webhook-Secret: s3cr3t", "X-Coviu-Webhook-Secret: [redacted]"),
        ('{"refresh_token": "abc", "token_type": "Bearer"}',
         '{"refresh_token": "[redacted]", "token_type": "Bearer"}'),
        ('"response_url":"https:\\/\\/hooks.slack.com\\/actions\\/T\\/1\\/x"',
         '"response_url":"https:\\/\\/hooks.slack.com/[redacted]"'),
        (f"state for {PARTICIPANT}", "state for [id]"),
    ],
)  # fmt: skip
def test_redact(text: str, shown: str) -> None:
    assert logsafe.redact(text) == shown


# Pieces of log lines: what each pattern looks for, near misses, and ordinary text.
PIECES = [
    "Invalid request signature detected", "body: ", "xoxb-123-abc", "xapp-1-A", "Bearer x.y",
    "Basic dXNlcg==", "https://hooks.slack.com/commands/T1/2/abc", "hooks%2Eslack", "%2F",
    "/commands/T0CLINIC/", "/actions/T1/", "/session/", "/sessions/", "/participants/", PARTICIPANT,
    "3f2a9c1e-0000", "token=", "TOKEN: ", '"refresh_token": "', "secret", "PassWord=",
    "Authorization: ", "signature", "-", " ", "=", '"', "POST /slack/events HTTP/1.1", "200",
    "booked S1", "127.0.0.1:5555", "abc", "\\/", "\n",
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=8))
def test_the_shortcut_for_lines_with_nothing_to_hide_never_changes_a_line(pieces):
    text = "".join(pieces)
    assert logsafe.redact(text) == logsafe.redact_always(text)
