"""The Coviu client against servers that fail on purpose: retries, re-authentication, drops.

The real local API never answers 503 or drops a connection, so these tests use the stand-ins
from ``coviu_client_fixtures`` (real HTTP over loopback, not mocks of the client). Backoff goes
through an injected ``sleep`` that records delays and returns at once.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests
from coviu_client_fixtures import (
    API_KEY,
    API_SECRET,
    FakeClock,
    Fault,
    FlakyCoviu,
    RawSocketServer,
    RecordingSleep,
    free_port,
)

from bot.coviu.client import CoviuClient
from bot.coviu.errors import AuthError, RateLimited, ServerError, StateConflict
from bot.coviu.models import NewParticipant
from bot.httpserve import ServerThread

START = datetime.now(UTC) + timedelta(days=1)
END = START + timedelta(minutes=30)


@pytest.fixture
def flaky() -> Iterator[tuple[FlakyCoviu, str]]:
    fake = FlakyCoviu()
    with ServerThread(fake) as server:
        yield fake, server.url + "/v1"


def make_client(base_url: str, **kwargs: object) -> tuple[CoviuClient, RecordingSleep]:
    sleep = RecordingSleep()
    options: dict[str, object] = {"sleep": sleep, "rng": random.Random(7)}
    options.update(kwargs)
    return CoviuClient(API_KEY, API_SECRET, base_url, **options), sleep  # type: ignore[arg-type]


def posts(fake: FlakyCoviu) -> int:
    return fake.requests.count(("POST", "/v1/sessions"))


# -- retries -----------------------------------------------------------------------------------


def test_get_is_retried_after_503_then_succeeds(flaky: tuple[FlakyCoviu, str]) -> None:
    fake, url = flaky
    fake.plan("GET", 503)
    client, sleep = make_client(url)
    with client:
        assert client.get_session("s-1").session_id == "s-1"
    assert fake.requests.count(("GET", "/v1/sessions/s-1")) == 2
    assert len(sleep.delays) == 1


@pytest.mark.parametrize("status", [502, 504])
def test_get_is_retried_after_gateway_errors(flaky: tuple[FlakyCoviu, str], status: int) -> None:
    fake, url = flaky
    fake.plan("GET", status, status)
    client, sleep = make_client(url)
    with client:
        assert client.list_sessions().content[0].session_id == "s-1"
    assert len(sleep.delays) == 2


def test_create_is_retried_after_503_and_429_which_mean_not_processed(
    flaky: tuple[FlakyCoviu, str],
) -> None:
    fake, url = flaky
    fake.plan("POST", 503, Fault(429, {"Retry-After": "7"}))
    client, sleep = make_client(url)
    with client:
        session = client.create_session(
            start=START, end=END, participants=[NewParticipant(role="host")]
        )
    assert session.session_id == "s-1"
    assert posts(fake) == 3
    assert sleep.delays[1] >= 7  # Retry-After is a floor


@pytest.mark.parametrize("status", [500, 502, 504])
def test_create_is_not_repeated_after_an_answer_that_may_mean_it_happened(
    flaky: tuple[FlakyCoviu, str], status: int
) -> None:
    fake, url = flaky
    fake.plan("POST", status)
    client, sleep = make_client(url)
    with client, pytest.raises(ServerError) as caught:
        client.create_session(start=START, end=END, participants=[NewParticipant(role="host")])
    assert posts(fake) == 1
    assert caught.value.maybe_applied
    assert caught.value.status == status
    assert sleep.delays == []


def test_put_and_delete_are_retried(flaky: tuple[FlakyCoviu, str]) -> None:
    fake, url = flaky
    fake.plan("PUT", 502)
    fake.plan("DELETE", 503)
    client, sleep = make_client(url)
    with client:
        client.update_session("s-1", name="renamed")
        client.cancel_session("s-1")
    assert len(sleep.delays) == 2


def test_conflict_after_a_lost_delete_answer_is_checked_and_accepted(
    flaky: tuple[FlakyCoviu, str],
) -> None:
    fake, url = flaky
    # The first DELETE may have worked (504); the repeat is refused as already cancelled.
    fake.plan("DELETE", 504, 409)
    fake.session_extra = {"canceled_time": "Wed, 08 Jun 2016 04:00:00 GMT"}
    client, _ = make_client(url)
    with client:
        client.cancel_session("s-1")
    assert fake.requests.count(("GET", "/v1/sessions/s-1")) == 1  # it looked


def test_conflict_after_a_lost_delete_answer_is_raised_if_not_cancelled(
    flaky: tuple[FlakyCoviu, str],
) -> None:
    fake, url = flaky
    fake.plan("DELETE", 504, 409)
    client, _ = make_client(url)
    with client, pytest.raises(StateConflict) as caught:
        client.cancel_session("s-1")
    assert caught.value.maybe_applied


def test_conflict_without_a_lost_answer_is_raised_at_once(flaky: tuple[FlakyCoviu, str]) -> None:
    fake, url = flaky
    fake.plan("DELETE", 409, 409)
    client, _ = make_client(url)
    with client:
        with pytest.raises(StateConflict):
            client.cancel_session("s-1")
        with pytest.raises(StateConflict):
            client.cancel_participant("p-1")
    assert not any(method == "GET" for method, _ in fake.requests)


def test_retries_run_out_into_server_error(flaky: tuple[FlakyCoviu, str]) -> None:
    fake, url = flaky
    fake.plan("GET", 503, 503, 503)
    client, sleep = make_client(url, retries=2)
    with client, pytest.raises(ServerError) as caught:
        client.get_session("s-1")
    assert caught.value.status == 503
    assert not caught.value.maybe_applied
    assert fake.requests.count(("GET", "/v1/sessions/s-1")) == 3
    assert len(sleep.delays) == 2


def test_backoff_grows_exponentially_with_jitter(flaky: tuple[FlakyCoviu, str]) -> None:
    fake, url = flaky
    fake.plan("GET", 503, 503, 503, 503)
    client, sleep = make_client(url, retries=4, backoff=1.0, max_backoff=5.0)
    with client:
        client.get_session("s-1")
    # Step n is min(5, 2**(n-1)); the delay lies in [step/2, step].
    for delay, step in zip(sleep.delays, [1, 2, 4, 5], strict=True):
        assert step / 2 <= delay <= step


def test_rate_limit_runs_out_into_rate_limited(flaky: tuple[FlakyCoviu, str]) -> None:
    fake, url = flaky
    fake.plan("GET", *[Fault(429, {"Retry-After": "1"})] * 3)
    client, sleep = make_client(url, retries=2)
    with client, pytest.raises(RateLimited) as caught:
        client.get_session("s-1")
    assert caught.value.retry_after == 1
    assert sleep.delays == [pytest.approx(1, abs=0.5)] * 2


def test_a_long_retry_after_is_not_slept_through(flaky: tuple[FlakyCoviu, str]) -> None:
    fake, url = flaky
    fake.plan("GET", Fault(429, {"Retry-After": "3600"}))
    client, sleep = make_client(url)
    with client, pytest.raises(RateLimited) as caught:
        client.get_session("s-1")
    assert caught.value.retry_after == 3600
    assert sleep.delays == []


def test_a_long_retry_after_on_503_is_a_server_error_at_once(
    flaky: tuple[FlakyCoviu, str],
) -> None:
    fake, url = flaky
    fake.plan("GET", Fault(503, {"Retry-After": "600"}))
    client, sleep = make_client(url)
    with client, pytest.raises(ServerError) as caught:
        client.get_session("s-1")
    assert caught.value.status == 503
    assert sleep.delays == []


def test_retry_after_as_an_http_date_is_honoured(flaky: tuple[FlakyCoviu, str]) -> None:
    fake, url = flaky
    later = datetime.now(UTC) + timedelta(seconds=20)
    fake.plan("GET", Fault(503, {"Retry-After": later.strftime("%a, %d %b %Y %H:%M:%S GMT")}))
    client, sleep = make_client(url)
    with client:
        client.get_session("s-1")
    assert 15 <= sleep.delays[0] <= 21


# -- connections that fail ---------------------------------------------------------------------


def test_connection_refused_create_is_retried_because_nothing_was_sent() -> None:
    fake = FlakyCoviu()
    port = free_port()
    servers: list[ServerThread] = []

    def bring_up(_: float) -> None:
        # The first attempt finds nothing listening; "sleeping" brings the server up.
        if not servers:
            servers.append(ServerThread(fake, port=port).start())

    sleep = RecordingSleep(bring_up)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        with CoviuClient(API_KEY, API_SECRET, url, sleep=sleep) as client:
            client.create_session(start=START, end=END, participants=[NewParticipant(role="host")])
    finally:
        for server in servers:
            server.stop()
    assert posts(fake) == 1
    assert len(sleep.delays) == 1  # the token request was the one refused and retried


def test_connection_refused_before_a_create_is_retried_with_a_token_in_hand() -> None:
    fake = FlakyCoviu()
    http = requests.Session()
    server = ServerThread(fake).start()
    port = server.port
    restarted: list[ServerThread] = []
    sleep = RecordingSleep(lambda _: restarted.append(ServerThread(fake, port=port).start()))
    url = f"http://127.0.0.1:{port}/v1"
    try:
        with CoviuClient(API_KEY, API_SECRET, url, sleep=sleep, session=http) as client:
            client.get_session("s-1")  # token obtained
            server.stop()
            http.close()  # no pooled connection to the old server: the next one is refused
            client.create_session(start=START, end=END, participants=[NewParticipant(role="host")])
    finally:
        for s in restarted:
            s.stop()
    assert posts(fake) == 1
    assert fake.token_requests["client_credentials"] == 1
    assert len(sleep.delays) == 1


def test_connection_refused_runs_out_into_server_error() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    client, sleep = make_client(url, retries=2)
    with client, pytest.raises(ServerError) as caught:
        client.get_session("s-1")
    assert not caught.value.maybe_applied
    assert "ConnectionError" in str(caught.value)
    assert len(sleep.delays) == 2


def test_create_dropped_after_sending_is_not_repeated() -> None:
    with RawSocketServer("drop") as raw:
        client, sleep = make_client(raw.url + "/v1")
        with client, pytest.raises(ServerError) as caught:
            client.create_session(start=START, end=END, participants=[NewParticipant(role="host")])
    assert raw.requests_to("POST", "/v1/sessions") == 1
    assert caught.value.maybe_applied
    assert sleep.delays == []


def test_get_dropped_is_retried() -> None:
    with RawSocketServer("drop") as raw:
        client, sleep = make_client(raw.url + "/v1", retries=2)
        with client, pytest.raises(ServerError):
            client.get_session("s-1")
    assert raw.requests_to("GET", "/v1/sessions/s-1") == 3
    assert len(sleep.delays) == 2


def test_read_timeout_on_create_raises_without_a_second_post() -> None:
    with RawSocketServer("hang") as raw:
        client, sleep = make_client(raw.url + "/v1", timeout=0.3)
        with client, pytest.raises(ServerError) as caught:
            client.create_session(start=START, end=END, participants=[NewParticipant(role="host")])
    assert raw.requests_to("POST", "/v1/sessions") == 1
    assert caught.value.maybe_applied
    assert "ReadTimeout" in str(caught.value)
    assert sleep.delays == []


def test_read_timeout_on_get_is_retried() -> None:
    with RawSocketServer("hang") as raw:
        client, sleep = make_client(raw.url + "/v1", timeout=0.3, retries=1)
        with client, pytest.raises(ServerError):
            client.get_session("s-1")
    assert raw.requests_to("GET", "/v1/sessions/s-1") == 2
    assert len(sleep.delays) == 1


# -- authentication ----------------------------------------------------------------------------


def test_token_is_fetched_lazily_and_reused(flaky: tuple[FlakyCoviu, str]) -> None:
    fake, url = flaky
    client, _ = make_client(url)
    with client:
        assert fake.token_requests == {}
        client.get_session("s-1")
        client.list_sessions()
    assert fake.token_requests == {"client_credentials": 1}


def test_401_reauthenticates_once_and_retries(flaky: tuple[FlakyCoviu, str]) -> None:
    fake, url = flaky
    client, _ = make_client(url)
    with client:
        client.get_session("s-1")
        fake.revoke_all()  # e.g. the server restarted and forgot its tokens
        client.get_session("s-1")
    # The refresh token still works on this server, so re-authentication is one refresh.
    assert fake.token_requests == {"client_credentials": 1, "refresh_token": 1}
    assert fake.bearers[-1] != fake.bearers[0]


def test_a_second_401_is_an_auth_error(flaky: tuple[FlakyCoviu, str]) -> None:
    fake, url = flaky
    fake.plan("GET", 401, 401, 401)
    client, _ = make_client(url)
    with client, pytest.raises(AuthError) as caught:
        client.get_session("s-1")
    assert caught.value.status == 401
    assert fake.requests.count(("GET", "/v1/sessions/s-1")) == 2


def test_wrong_credentials_are_an_auth_error(flaky: tuple[FlakyCoviu, str]) -> None:
    _, url = flaky
    with CoviuClient(API_KEY, "wrong-secret", url) as client, pytest.raises(AuthError) as caught:
        client.get_session("s-1")
    assert caught.value.code == "invalid_client"
    assert "wrong-secret" not in str(caught.value)


def test_refresh_at_half_life_with_rotation() -> None:
    fake = FlakyCoviu(expires_in=100)
    clock = FakeClock()
    with ServerThread(fake) as server:
        client, _ = make_client(server.url + "/v1", clock=clock)
        with client:
            client.get_session("s-1")
            clock.advance(49)
            client.get_session("s-1")
            assert fake.token_requests == {"client_credentials": 1}
            clock.advance(2)  # past half of expires_in
            client.get_session("s-1")
            clock.advance(51)
            client.get_session("s-1")  # refreshes with the *rotated* refresh token
    # The stand-in refuses a reused refresh token, so two refreshes and no fallback prove that
    # the second one used the new refresh token.
    assert fake.token_requests == {"client_credentials": 1, "refresh_token": 2}
    assert len(set(fake.bearers)) == 3


def test_refused_refresh_falls_back_to_client_credentials() -> None:
    fake = FlakyCoviu(expires_in=100)
    clock = FakeClock()
    with ServerThread(fake) as server:
        client, _ = make_client(server.url + "/v1", clock=clock)
        with client:
            client.get_session("s-1")
            fake.refuse_refresh = True
            clock.advance(60)
            client.get_session("s-1")
    assert fake.token_requests == {"client_credentials": 2, "refresh_token": 1}


def test_failed_proactive_refresh_keeps_using_the_valid_token(
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake = FlakyCoviu(expires_in=100)
    clock = FakeClock()
    with ServerThread(fake) as server:
        client, sleep = make_client(server.url + "/v1", clock=clock, retries=1)
        with client:
            client.get_session("s-1")
            fake.token_faults.extend([503, 503])
            clock.advance(60)
            with caplog.at_level(logging.WARNING, logger="bot.coviu"):
                client.get_session("s-1")  # the refresh failed twice; the old token still works
            assert fake.bearers[-1] == fake.bearers[0]
            assert "token refresh failed" in caplog.text
            client.get_session("s-1")  # not retried on every call: next try halfway to expiry
            assert fake.token_requests["refresh_token"] == 2
            clock.advance(21)
            client.get_session("s-1")
    assert fake.token_requests["refresh_token"] == 3
    assert fake.bearers[-1] != fake.bearers[0]
    assert len(sleep.delays) == 1


def test_expired_token_with_failing_refresh_raises() -> None:
    fake = FlakyCoviu(expires_in=100)
    clock = FakeClock()
    with ServerThread(fake) as server:
        client, _ = make_client(server.url + "/v1", clock=clock, retries=0)
        with client:
            client.get_session("s-1")
            fake.token_faults.append(503)
            clock.advance(101)
            with pytest.raises(ServerError):
                client.get_session("s-1")


def test_threads_with_a_valid_token_do_not_wait_for_a_refresh_in_flight() -> None:
    fake = FlakyCoviu(expires_in=100)
    clock = FakeClock()
    with ServerThread(fake) as server:
        client, _ = make_client(server.url + "/v1", clock=clock)
        with client:
            client.get_session("s-1")
            first = fake.bearers[-1]
            clock.advance(60)
            fake.gate = threading.Event()
            fake.token_arrived.clear()
            refresher = threading.Thread(target=client.get_session, args=("s-1",))
            refresher.start()
            assert fake.token_arrived.wait(10)  # the refresh is now held by the server
            client.get_session("s-1")  # goes ahead on the old, still valid token
            assert fake.bearers[-1] == first
            fake.gate.set()
            refresher.join()
    assert fake.bearers[-1] != first
    assert fake.token_requests == {"client_credentials": 1, "refresh_token": 1}


def test_twenty_threads_share_one_token_request(flaky: tuple[FlakyCoviu, str]) -> None:
    fake, url = flaky
    client, _ = make_client(url)
    barrier = threading.Barrier(20)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait()
            client.get_session("s-1")
        except BaseException as error:  # surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(20)]
    with client:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    assert fake.token_requests == {"client_credentials": 1}
    assert len(set(fake.bearers)) == 1
