"""Parsing and error shaping of the Coviu client: lenient in, strict about secrets."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from bot.coviu.auth import Secret
from bot.coviu.errors import (
    AuthError,
    CoviuError,
    NotFound,
    RateLimited,
    ServerError,
    StateConflict,
    ValidationFailed,
    error_from_response,
    parse_retry_after,
    redact,
)
from bot.coviu.models import NewParticipant, Page, Participant, Session

# The seed's example response, verbatim in substance (its trailing commas fixed).
SEED_SESSION: dict[str, Any] = {
    "session_id": "73ef93f1-16a8-4c88-aad8-2dc92ea8bfa6",
    "session_name": "A test session with Dr. Who",
    "start_time": "Wed, 08 Jun 2016 04:07:11 GMT",
    "end_time": "Wed, 08 Jun 2016 04:17:11 GMT",
    "picture": "http://www.fillmurray.com/200/300",
    "team_id": "780af7e5-7737-4ee1-9f91-ec2c86397b01",
    "client_id": "8cc48982-6180-480c-b28f-27dc066b11f4",
    "participants": [
        {
            "client_id": "8cc48982-6180-480c-b28f-27dc066b11f4",
            "display_name": "Dr. Who",
            "entry_url": "https://coviu.com/session/c30aabaa-b9e2-4644-a432-8e78624ead42",
            "participant_id": "c30aabaa-b9e2-4644-a432-8e78624ead42",
            "picture": "http://fillmurray.com/200/300",
            "role": "HOST",
            "session_id": "73ef93f1-16a8-4c88-aad8-2dc92ea8bfa6",
            "state": "drwho1234",
        }
    ],
}


def test_seed_session_parses_into_typed_values() -> None:
    session = Session.from_json(SEED_SESSION)
    assert session.start_time == datetime(2016, 6, 8, 4, 7, 11, tzinfo=UTC)
    assert session.canceled_time is None and not session.canceled
    (host,) = session.participants
    assert host.role == "HOST" and host.state == "drwho1234" and not host.deleted
    assert session.participant(host.participant_id) is host
    assert session.participant("nobody") is None


def test_parsing_is_lenient_about_dates_case_and_extra_fields() -> None:
    data = SEED_SESSION | {
        "start_time": "2016-06-08T14:07:11+10:00",
        "canceled_time": "2016-06-08T00:00:00Z",
        "something_new": [1, 2, 3],
        "participants": [SEED_SESSION["participants"][0] | {"role": "guest", "extra": True}],
    }
    session = Session.from_json(data)
    assert session.start_time == datetime(2016, 6, 8, 4, 7, 11, tzinfo=UTC)
    assert session.canceled_time == datetime(2016, 6, 8, tzinfo=UTC)
    assert session.participants[0].role == "GUEST"


@pytest.mark.parametrize(
    "broken",
    [
        {k: v for k, v in SEED_SESSION.items() if k != "session_id"},
        SEED_SESSION | {"start_time": "yesterday"},
        SEED_SESSION | {"participants": "none"},
        [],
    ],
)
def test_unusable_sessions_are_value_errors(broken: Any) -> None:
    with pytest.raises(ValueError):
        Session.from_json(broken)


def test_entry_url_stays_out_of_repr() -> None:
    session = Session.from_json(SEED_SESSION)
    participant = session.participants[0]
    assert participant.entry_url and participant.entry_url.startswith("https://coviu.com/")
    assert participant.entry_url not in repr(participant)
    assert participant.entry_url not in repr(session)
    assert participant.entry_url not in str(Page((session,), 0, 1, False))


def test_page_parses_and_iterates() -> None:
    page = Page.from_json({"content": [SEED_SESSION], "page": 2, "page_size": 1, "more": True})
    assert (page.page, page.page_size, page.more, len(page)) == (2, 1, True, 1)
    assert [s.session_id for s in page] == [SEED_SESSION["session_id"]]


def test_new_participant_normalises_role_and_sends_what_is_given() -> None:
    assert NewParticipant(role="Host").to_json() == {"role": "host"}
    full = NewParticipant(role="GUEST", display_name="Pat", picture="p.png", state="U1")
    assert full.to_json() == {
        "role": "guest",
        "display_name": "Pat",
        "picture": "p.png",
        "state": "U1",
    }
    with pytest.raises(ValueError):
        NewParticipant(role="moderator")


def test_participant_from_json_needs_ids() -> None:
    with pytest.raises(ValueError):
        Participant.from_json({"role": "HOST"})


# -- errors ------------------------------------------------------------------------------------


def response(status: int, body: Any = None, headers: dict[str, str] | None = None) -> Any:
    """A real requests.Response, filled in by hand (no network needed to shape an error)."""
    answer = requests.Response()
    answer.status_code = status
    answer._content = b"" if body is None else json.dumps(body).encode()
    answer.headers.update(headers or {})
    return answer


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, ValidationFailed),
        (422, ValidationFailed),
        (401, AuthError),
        (403, AuthError),
        (404, NotFound),
        (409, StateConflict),
        (429, RateLimited),
        (500, ServerError),
        (503, ServerError),
        (418, CoviuError),
    ],
)
def test_statuses_map_to_typed_errors(status: int, kind: type[CoviuError]) -> None:
    error = error_from_response(response(status, {"error": {"code": "c", "message": "m"}}), "op")
    assert type(error) is kind
    assert (error.status, error.code, error.server_message) == (status, "c", "m")
    assert str(error) == f"op failed: HTTP {status} c: m"


def test_error_bodies_of_every_shape_are_read() -> None:
    field = error_from_response(
        response(400, {"error": {"code": "invalid_field", "message": "x", "field": "end_time"}}),
        "create_session",
    )
    assert isinstance(field, ValidationFailed) and field.field == "end_time"
    oauth = error_from_response(
        response(400, {"error": "invalid_grant", "error_description": "used"}), "token"
    )
    assert (oauth.code, oauth.server_message) == ("invalid_grant", "used")
    framework = error_from_response(
        response(422, {"detail": [{"loc": ["body", "role"], "msg": "bad", "type": "enum"}]}), "op"
    )
    assert isinstance(framework, ValidationFailed) and framework.field == "role"
    html = error_from_response(response(502), "op")
    assert str(html) == "op failed: HTTP 502" and html.maybe_applied
    limited = error_from_response(response(429, {}, {"Retry-After": "12"}), "op")
    assert isinstance(limited, RateLimited) and limited.retry_after == 12


def test_error_messages_are_scrubbed() -> None:
    body = {
        "error": {
            "code": "oops",
            "message": "token tok-123456789 for https://coviu.test/session/p-42 of p-42",
        }
    }
    error = error_from_response(response(404, body), "get", ["tok-123456789", "p-42"])
    assert "tok-123456789" not in str(error) and "p-42" not in str(error)
    assert "coviu.test/session" not in str(error)


def test_redact_spares_words_that_merely_contain_a_short_secret() -> None:
    assert redact("session started", ["s"]) == "session started"
    assert redact("secret is s", ["s"]) == "secret is [redacted]"


def test_retry_after_forms() -> None:
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("-5") == 0
    assert parse_retry_after("nan") is None
    past = "Wed, 08 Jun 2016 04:07:11 GMT"
    assert parse_retry_after(past, now=datetime(2017, 1, 1, tzinfo=UTC)) == 0


def test_secret_never_prints_itself() -> None:
    secret = Secret("hunter2")
    assert "hunter2" not in f"{secret} {secret!r} {[secret]}"
    assert secret.reveal() == "hunter2"
