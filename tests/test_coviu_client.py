"""The Coviu client driving the real local Coviu API over HTTP.

Every call, typed results and errors, paging, token expiry and rotation with a short
``token_ttl`` on a hand-moved clock, 20 threads on one token, team isolation, 503 then 200 and
secrets kept out of repr, logs and messages. The server runs behind ``Faults`` (see
``coviu_client_fixtures``), which counts token requests and can inject a status.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterator
from datetime import timedelta, timezone
from pathlib import Path

import pytest
from coviu_client_fixtures import SERVER_START, LocalApi, all_text, local_api

from bot.coviu.client import CoviuClient
from bot.coviu.errors import CoviuError, NotFound, ServerError, StateConflict, ValidationFailed
from bot.coviu.models import GUEST, HOST, NewParticipant, Participant, Session

START = SERVER_START + timedelta(hours=2)
END = START + timedelta(minutes=45)
RFC1123 = re.compile(r"^[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT$")


@pytest.fixture
def api(tmp_path: Path) -> Iterator[LocalApi]:
    with local_api(tmp_path / "coviu.db") as running:
        yield running


@pytest.fixture
def alpha(api: LocalApi) -> Iterator[CoviuClient]:
    with api.client("alpha") as client:
        yield client


def book(client: CoviuClient, offset_hours: float = 0, name: str = "Physio review") -> Session:
    start = START + timedelta(hours=offset_hours)
    return client.create_session(
        start=start,
        end=start + timedelta(minutes=30),
        name=name,
        participants=[
            NewParticipant(role="host", display_name="Dr. Who", state="U-HOST"),
            NewParticipant(role="guest", display_name="Pat", state="U-GUEST"),
        ],
    )


# -- every call --------------------------------------------------------------------------------


def test_create_get_update_cancel_session(alpha: CoviuClient, api: LocalApi) -> None:
    created = alpha.create_session(
        start=START,
        end=END,
        name="Physio review",
        picture="https://example.test/room.png",
        participants=[
            NewParticipant(role="host", display_name="Dr. Who", state="U1"),
            NewParticipant(role="Guest", display_name="Pat", picture="https://example.test/p"),
        ],
    )
    assert isinstance(created, Session)
    assert (created.session_name, created.start_time, created.end_time) == (
        "Physio review",
        START,
        END,
    )
    assert created.picture == "https://example.test/room.png"
    assert created.team_id and created.client_id and not created.canceled
    assert [p.role for p in created.participants] == [HOST, GUEST]
    host, guest = created.participants
    assert host.state == "U1" and guest.picture == "https://example.test/p"
    assert host.entry_url == f"https://coviu.test/session/{host.participant_id}"
    assert created.hosts == (host,) and created.guests == (guest,)

    assert alpha.get_session(created.session_id) == created

    later = START + timedelta(days=1)
    updated = alpha.update_session(
        created.session_id, name="Renamed", start=later, end=later + timedelta(hours=1)
    )
    assert (updated.session_name, updated.start_time, updated.end_time) == (
        "Renamed",
        later,
        later + timedelta(hours=1),
    )
    assert updated.picture == created.picture  # not given, not changed
    picture_only = alpha.update_session(created.session_id, picture="https://example.test/2")
    assert picture_only.session_name == "Renamed"

    alpha.cancel_session(created.session_id)
    cancelled = alpha.get_session(created.session_id)
    assert cancelled.canceled and cancelled.canceled_time == SERVER_START

    # Dates went out as RFC-1123, and only the fields given were sent.
    method, path, body = api.faults.bodies[0]
    assert (method, path) == ("POST", "/v1/sessions")
    sent = json.loads(body)
    assert RFC1123.match(sent["start_time"]) and RFC1123.match(sent["end_time"])
    assert sent["participants"][1]["role"] == "guest"
    assert json.loads(api.faults.bodies[2][2]) == {"picture": "https://example.test/2"}


def test_participant_calls(alpha: CoviuClient) -> None:
    session = book(alpha)
    added = alpha.add_participant(
        session.session_id, NewParticipant(role="guest", display_name="Sam", state="U-SAM")
    )
    assert isinstance(added, Participant)
    assert (added.role, added.display_name, added.state) == (GUEST, "Sam", "U-SAM")
    assert added.session_id == session.session_id and added.entry_url

    assert alpha.get_participant(added.participant_id) == added
    listed = alpha.list_participants(session.session_id)
    assert [p.participant_id for p in listed] == [
        *(p.participant_id for p in session.participants),
        added.participant_id,
    ]

    changed = alpha.update_participant(added.participant_id, role="HOST", display_name="Dr. Sam")
    assert (changed.role, changed.display_name, changed.state) == (HOST, "Dr. Sam", "U-SAM")

    alpha.cancel_participant(added.participant_id)
    assert added.participant_id not in {
        p.participant_id for p in alpha.list_participants(session.session_id)
    }
    everyone = alpha.list_participants(session.session_id, include_deleted=True)
    gone = next(p for p in everyone if p.participant_id == added.participant_id)
    assert gone.deleted and gone.deleted_at == SERVER_START
    assert alpha.get_participant(added.participant_id).deleted


def test_cancelled_sessions_leave_lists_unless_asked_for(alpha: CoviuClient) -> None:
    kept, dropped = book(alpha, 0), book(alpha, 1)
    alpha.cancel_session(dropped.session_id)
    assert [s.session_id for s in alpha.iter_sessions()] == [kept.session_id]
    with_cancelled = list(alpha.iter_sessions(include_canceled=True))
    assert {s.session_id for s in with_cancelled} == {kept.session_id, dropped.session_id}


# -- paging and filters ------------------------------------------------------------------------


def test_pages_and_iterator_walk_every_page(alpha: CoviuClient) -> None:
    booked = [book(alpha, hour).session_id for hour in range(7)]

    first = alpha.list_sessions(page_size=3)
    assert (first.page, first.page_size, first.more, len(first)) == (0, 3, True, 3)
    last = alpha.list_sessions(page=2, page_size=3)
    assert (last.page, last.more, [s.session_id for s in last]) == (2, False, booked[6:])

    assert [s.session_id for s in alpha.iter_sessions(page_size=3)] == booked
    assert [s.session_id for s in alpha.iter_sessions(page_size=2, order="reverse")] == booked[
        ::-1
    ]
    window = alpha.iter_sessions(
        page_size=2, start=START + timedelta(hours=2), end=START + timedelta(hours=5, minutes=30)
    )
    assert [s.session_id for s in window] == booked[2:6]
    by_state = list(alpha.iter_sessions(state="U-HOST", page_size=5))
    assert len(by_state) == 7


def test_aware_dates_in_any_zone_and_naive_ones_refused(alpha: CoviuClient, api: LocalApi) -> None:
    brisbane = timezone(timedelta(hours=10))
    session = alpha.create_session(
        start=START.astimezone(brisbane), end=END.astimezone(brisbane), participants=[]
    )
    assert session.start_time == START and session.start_time.tzinfo is not None
    sent_before = len(api.faults.bodies)
    naive = START.replace(tzinfo=None)
    with pytest.raises(ValueError, match="naive"):
        alpha.create_session(start=naive, end=END, participants=[])
    with pytest.raises(ValueError, match="naive"):
        alpha.update_session(session.session_id, end=naive)
    with pytest.raises(ValueError, match="naive"):
        alpha.list_sessions(start=naive)
    assert len(api.faults.bodies) == sent_before  # refused before anything was sent


# -- typed errors ------------------------------------------------------------------------------


def test_rule_violations_map_to_typed_errors(alpha: CoviuClient, api: LocalApi) -> None:
    with pytest.raises(ValidationFailed) as invalid:
        alpha.create_session(start=SERVER_START - timedelta(hours=1), end=END, participants=[])
    assert invalid.value.status == 400 and invalid.value.field == "start_time"
    with pytest.raises(ValidationFailed):
        alpha.create_session(start=END, end=START, participants=[])
    with pytest.raises(NotFound):
        alpha.get_session("00000000-0000-0000-0000-000000000000")
    with pytest.raises(NotFound):
        alpha.get_participant("no-such-participant")

    session = book(alpha)
    api.clock.advance(3 * 3600)  # the session has started and ended
    with pytest.raises(StateConflict) as conflict:
        alpha.cancel_session(session.session_id)
    assert conflict.value.status == 409 and conflict.value.code
    with pytest.raises(StateConflict):
        alpha.update_session(session.session_id, name="too late")
    with pytest.raises(StateConflict):
        alpha.add_participant(session.session_id, NewParticipant(role="guest"))
    with pytest.raises(StateConflict):
        alpha.cancel_participant(session.participants[0].participant_id)
    assert all(isinstance(e, CoviuError) for e in (invalid.value, conflict.value))


def test_bad_arguments_fail_before_any_request(alpha: CoviuClient) -> None:
    with pytest.raises(ValueError):
        NewParticipant(role="observer")
    with pytest.raises(ValueError):
        alpha.update_participant("p", role="boss")
    with pytest.raises(ValueError):
        alpha.get_session("../participants/x")
    with pytest.raises(ValueError):
        alpha.list_sessions(order="sideways")


# -- teams -------------------------------------------------------------------------------------


def test_other_teams_ids_answer_not_found(api: LocalApi, alpha: CoviuClient) -> None:
    session = book(alpha)
    participant = session.participants[0]
    with api.client("gamma") as gamma:
        for call in (
            lambda: gamma.get_session(session.session_id),
            lambda: gamma.update_session(session.session_id, name="mine now"),
            lambda: gamma.cancel_session(session.session_id),
            lambda: gamma.list_participants(session.session_id),
            lambda: gamma.add_participant(session.session_id, NewParticipant(role="guest")),
            lambda: gamma.get_participant(participant.participant_id),
            lambda: gamma.update_participant(participant.participant_id, role="guest"),
            lambda: gamma.cancel_participant(participant.participant_id),
        ):
            with pytest.raises(NotFound):
                call()
        assert list(gamma.iter_sessions(include_canceled=True)) == []
    with api.client("beta") as beta:  # same team, other API client: visible
        assert beta.get_session(session.session_id).session_id == session.session_id
    assert alpha.get_session(session.session_id).session_name == "Physio review"


# -- tokens ------------------------------------------------------------------------------------


def test_short_token_ttl_refresh_rotation_and_expiry(tmp_path: Path) -> None:
    with local_api(tmp_path / "coviu.db", token_ttl=60) as api, api.client() as client:
        client.list_sessions()
        api.clock.advance(29)
        client.list_sessions()
        assert api.faults.token_requests == {"client_credentials": 1}
        api.clock.advance(2)  # past half of the 60 s lifetime: refresh
        client.list_sessions()
        api.clock.advance(31)
        client.list_sessions()  # the server refuses used refresh tokens: this used the new one
        assert api.faults.token_requests == {"client_credentials": 1, "refresh_token": 2}

        # The server's time runs ahead of the client's: the token expires unnoticed, the call
        # gets a 401, and the client re-authenticates once and carries on.
        api.clock.advance(120, client=False)
        client.list_sessions()
        assert api.faults.token_requests == {"client_credentials": 1, "refresh_token": 3}

        # Refresh tokens expire too (30 days here): the refresh is refused, credentials work.
        api.clock.advance(31 * 24 * 3600)
        client.list_sessions()
    assert api.faults.token_requests == {"client_credentials": 2, "refresh_token": 4}


def test_twenty_threads_share_one_token_request(api: LocalApi) -> None:
    client = api.client()
    barrier = threading.Barrier(20)
    failures: list[BaseException] = []
    booked: list[Session] = []

    def work(n: int) -> None:
        try:
            barrier.wait()
            booked.append(book(client, n, name=f"thread {n}"))
            client.list_sessions(page_size=1)
        except BaseException as error:  # reported by the assertion below
            failures.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(20)]
    with client:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert failures == []
        assert api.faults.token_requests == {"client_credentials": 1}
        assert len({s.session_id for s in client.iter_sessions(page_size=7)}) == 20


# -- a server that answers 503 then 200 --------------------------------------------------------


def test_503_then_200_is_retried(api: LocalApi, alpha: CoviuClient) -> None:
    session = book(alpha)
    api.faults.plan("GET", "/v1/sessions/", 503)
    assert alpha.get_session(session.session_id) == session
    api.faults.plan("POST", "/v1/sessions", 503)
    book(alpha, 1)  # 503 says "not processed": safe to send again, once it succeeds
    assert api.faults.passed[("POST", "/v1/sessions")] == 2  # one per booking, none doubled
    assert len(list(alpha.iter_sessions())) == 2
    assert len(api.sleep.delays) == 2


def test_create_is_not_blindly_repeated_after_a_gateway_error(
    api: LocalApi, alpha: CoviuClient
) -> None:
    api.faults.plan("POST", "/v1/sessions", 502)
    with pytest.raises(ServerError) as caught:
        book(alpha)
    assert caught.value.maybe_applied  # the caller must look before booking again
    assert api.faults.passed[("POST", "/v1/sessions")] == 0
    assert list(alpha.iter_sessions()) == []
    assert api.sleep.delays == []


def test_cancel_whose_answer_was_lost_is_repeated_safely(
    api: LocalApi, alpha: CoviuClient
) -> None:
    session = book(alpha)
    participant = session.participants[1]
    # The first DELETE goes through but its answer is lost (the gateway says 504); repeating
    # it is safe (the local API answers ok again; a 409 would be checked, see the fault tests).
    api.faults.lose_answer("DELETE", "/v1/participants/", 504)
    alpha.cancel_participant(participant.participant_id)
    assert alpha.get_participant(participant.participant_id).deleted
    api.faults.lose_answer("DELETE", "/v1/sessions/", 504)
    alpha.cancel_session(session.session_id)
    assert alpha.get_session(session.session_id).canceled
    assert api.faults.passed[("DELETE", f"/v1/sessions/{session.session_id}")] == 2


# -- secrets -----------------------------------------------------------------------------------


def test_secrets_stay_out_of_repr_logs_and_errors(
    api: LocalApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[BaseException] = []
    client = api.client()
    with client:
        session = book(client)
        added = client.add_participant(session.session_id, NewParticipant(role="guest"))
        api.faults.plan("GET", "/v1/participants/", 503)
        client.get_participant(added.participant_id)
        api.clock.advance(100_000, client=False)  # token expires unnoticed: 401, re-auth
        client.get_session(session.session_id)
        for call in (
            lambda: client.get_participant("missing-" + added.participant_id),
            lambda: client.create_session(
                start=SERVER_START - timedelta(hours=1), end=END, participants=[]
            ),
        ):
            try:
                call()
            except CoviuError as error:
                errors.append(error)
        api.faults.plan("GET", "/v1/sessions/", 503, 503, 503, 503)
        try:
            client.get_session(session.session_id)
        except CoviuError as error:
            errors.append(error)
    with CoviuClient("key-alpha", "wrong-secret-value", api.base_url) as wrong:
        try:
            wrong.list_sessions()
        except CoviuError as error:
            errors.append(error)
    assert len(errors) == 4

    entry_urls = [p.entry_url for p in session.participants] + [added.entry_url]
    tokens = api.faults.issued_tokens
    assert len(tokens) >= 4
    secrets = [s for s in (*tokens, *entry_urls, "s3cret-alpha-DO-NOT-LOG", "wrong-secret-value")]
    shown = "\n".join(
        [
            repr(client),
            str(client),
            repr(session),
            repr(added),
            all_text(caplog.records),
            *(f"{e!s} {e!r} {e.args}" for e in errors),
        ]
    )
    for secret in secrets:
        assert secret and secret not in shown
    # Our own log lines and messages do not name participants either (the id is the end of
    # the link).
    ours = all_text(r for r in caplog.records if r.name.startswith("bot.coviu"))
    assert added.participant_id not in ours
    assert all(added.participant_id not in f"{e!r}" for e in errors)
    assert "re-authenticating" in ours and "retry 1 of 3" in ours
    assert repr(client) == f"CoviuClient(base_url={api.base_url!r}, api_key='key-alpha')"
