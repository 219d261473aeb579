"""Fixtures for the local Coviu Session API tests (``tests/test_coviu_server*.py``).

Load with ``pytest_plugins = ["coviu_fixtures"]``. Every test gets a real server on a free
loopback port, a fresh SQLite file and a clock it moves by hand::

    def test_something(local_coviu, alice, coviu_clock):
        session = alice.create_session(starts_in=timedelta(hours=1))
        coviu_clock.advance(hours=2)              # now the session has ended; no sleeping
        assert alice.put(f"/v1/sessions/{session['session_id']}", json={}).status_code == 409

The names do not clash with ``tests/conftest.py`` (whose ``coviu`` and ``clock`` serve the bot's
tests, and would win over a plugin's fixtures of the same name).

Clients: ``alice`` and ``bob`` share team ``clinic-a``; ``eve`` is in ``clinic-b``; ``solo`` has
no team named and so gets one of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from fastapi import FastAPI

from bot.coviu.dates import to_rfc1123
from bot.coviu.server import ClientRegistration, create_app
from bot.httpserve import ServerThread

# The seed's examples are dated 2016-06-08 04:07 GMT onwards; the clock starts just before, so
# they can be sent verbatim as sessions in the future.
START = datetime(2016, 6, 8, 4, 0, 0, tzinfo=UTC)
# Long enough that moving the clock by hours keeps tokens valid; expiry tests pick their own.
TOKEN_TTL = 7 * 24 * 3600
PUBLIC_URL = "https://coviu.test"

CLIENTS = {
    "alice": ClientRegistration("alice-key", "alice-secret", "clinic-a"),
    "bob": ClientRegistration("bob-key", "bob-secret", "clinic-a"),
    "eve": ClientRegistration("eve-key", "eve-secret", "clinic-b"),
    "solo": ClientRegistration("solo-key", "solo-secret"),
}

SEED_FIELDS_SESSION = {
    "session_id",
    "session_name",
    "start_time",
    "end_time",
    "picture",
    "team_id",
    "client_id",
    "participants",
}
SEED_FIELDS_PARTICIPANT = {
    "client_id",
    "display_name",
    "entry_url",
    "participant_id",
    "picture",
    "role",
    "session_id",
    "state",
}
# What newer Coviu docs add, always present (null unless cancelled).
SESSION_FIELDS = SEED_FIELDS_SESSION | {"canceled_time"}
PARTICIPANT_FIELDS = SEED_FIELDS_PARTICIPANT | {"deleted_at"}


class FakeClock:
    """The server's clock, moved by the test: ``clock.advance(minutes=5)``."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


class Api:
    """One API client talking HTTP to the server: ``api.get("/v1/sessions").json()``."""

    def __init__(self, base_url: str, registration: ClientRegistration, clock: FakeClock) -> None:
        self.base_url = base_url
        self.registration = registration
        self.clock = clock
        self.access_token: str | None = None
        self.refresh_token: str | None = None

    def token(
        self,
        data: dict[str, str] | str | None = None,
        auth: tuple[str, str] | None = None,
        **kw: Any,
    ) -> requests.Response:
        """POST /v1/auth/token with this client's Basic credentials (unless ``auth`` says else)."""
        credentials = auth or (self.registration.api_key, self.registration.api_secret)
        return requests.post(f"{self.base_url}/v1/auth/token", data=data, auth=credentials, **kw)

    def login(self) -> Api:
        answer = self.token({"grant_type": "client_credentials"})
        assert answer.status_code == 200, answer.text
        self.access_token = answer.json()["access_token"]
        self.refresh_token = answer.json()["refresh_token"]
        return self

    def request(self, method: str, path: str, **kw: Any) -> requests.Response:
        headers = dict(kw.pop("headers", None) or {})
        if self.access_token and "Authorization" not in headers:
            headers["Authorization"] = f"Bearer {self.access_token}"
        # A new connection per call: on a kept-alive loopback connection each answer waits
        # ~40 ms for a delayed ACK, which made the suite ten times slower.
        return requests.request(method, f"{self.base_url}{path}", headers=headers, **kw)

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> requests.Response:
        return self.request("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> requests.Response:
        return self.request("PUT", path, **kw)

    def delete(self, path: str, **kw: Any) -> requests.Response:
        return self.request("DELETE", path, **kw)

    def create_session(
        self,
        starts_in: timedelta = timedelta(hours=1),
        length: timedelta = timedelta(minutes=30),
        participants: list[dict[str, Any]] | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Create a session relative to the server's clock; asserts success, returns the body."""
        start = self.clock.now + starts_in
        body = {
            "session_name": "Physio review",
            "start_time": to_rfc1123(start),
            "end_time": to_rfc1123(start + length),
            "participants": participants
            if participants is not None
            else [{"display_name": "Dr. Who", "role": "host"}, {"role": "guest"}],
        } | fields
        answer = self.post("/v1/sessions", json=body)
        assert answer.status_code == 200, answer.text
        return answer.json()


@dataclass
class LocalCoviu:
    """A running local API: its URL, app, database file and clock."""

    url: str
    app: FastAPI
    db_path: Path
    clock: FakeClock

    def api(self, name: str = "alice", login: bool = True) -> Api:
        api = Api(self.url, CLIENTS[name], self.clock)
        return api.login() if login else api


def error_of(answer: requests.Response) -> dict[str, Any]:
    """The ``{"code", "message"}`` of a resource-call error, checking the shape on the way."""
    body = answer.json()
    assert set(body) == {"error"}, body
    assert {"code", "message"} <= set(body["error"]), body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


@pytest.fixture
def redacting_logs() -> Iterator[None]:
    """``bot.logsafe``'s record factory for the test, as `coviu-slack` installs it; the
    process's previous factory is back afterwards."""
    import logging

    from bot import logsafe

    before = logging.getLogRecordFactory()
    logsafe.install_record_factory()
    try:
        yield
    finally:
        logging.setLogRecordFactory(before)


@pytest.fixture
def coviu_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def local_coviu(tmp_path: Path, coviu_clock: FakeClock) -> Iterator[LocalCoviu]:
    db_path = tmp_path / "coviu.db"
    app = create_app(
        db_path,
        list(CLIENTS.values()),
        token_ttl=TOKEN_TTL,
        public_url=PUBLIC_URL,
        clock=coviu_clock,
    )
    with ServerThread(app) as server:
        yield LocalCoviu(server.url, app, db_path, coviu_clock)


@pytest.fixture
def alice(local_coviu: LocalCoviu) -> Api:
    return local_coviu.api("alice")


@pytest.fixture
def bob(local_coviu: LocalCoviu) -> Api:
    return local_coviu.api("bob")


@pytest.fixture
def eve(local_coviu: LocalCoviu) -> Api:
    return local_coviu.api("eve")
