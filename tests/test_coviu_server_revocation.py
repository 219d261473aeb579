"""Revoking clients and tokens: the clients given at start are the clients that work.

Each test restarts the local Coviu API on the same SQLite file with a different client list,
as an operator would restart ``coviu-slack coviu-server`` with other ``--client`` options.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.register_assert_rewrite("coviu_fixtures")

from coviu_fixtures import CLIENTS, Api, FakeClock, error_of  # noqa: E402

from bot.coviu.server import ClientRegistration, create_app  # noqa: E402
from bot.httpserve import ServerThread  # noqa: E402

ALICE, BOB = CLIENTS["alice"], CLIENTS["bob"]
REFRESH = "refresh_token"


def refresh(api: Api, token: str) -> tuple[int, str]:
    answer = api.token({"grant_type": REFRESH, REFRESH: token})
    return answer.status_code, answer.json().get("error", "")


def test_a_client_left_out_at_restart_loses_its_tokens(tmp_path: Path) -> None:
    clock, db = FakeClock(), tmp_path / "c.db"
    with ServerThread(create_app(db, [ALICE, BOB], clock=clock)) as first:
        bob = Api(first.url, BOB, clock).login()
        session = bob.create_session()
        access, refresh_token = bob.access_token, bob.refresh_token

    with ServerThread(create_app(db, [ALICE], clock=clock)) as second:
        bob = Api(second.url, BOB, clock)
        bob.access_token = access
        used = bob.get("/v1/sessions")
        refreshed = refresh(bob, refresh_token or "")
        fresh = bob.token({"grant_type": "client_credentials"})
        alice = Api(second.url, ALICE, clock).login()
        # Bob's sessions belong to the team, and stay.
        seen = alice.get(f"/v1/sessions/{session['session_id']}")

    assert used.status_code == 401
    assert error_of(used)["code"] == "invalid_token"
    assert refreshed == (401, "invalid_client")
    assert (fresh.status_code, fresh.json()["error"]) == (401, "invalid_client")
    assert seen.status_code == 200


def test_a_revoked_client_given_again_works_again_with_new_tokens(tmp_path: Path) -> None:
    clock, db = FakeClock(), tmp_path / "c.db"
    with ServerThread(create_app(db, [ALICE, BOB], clock=clock)) as first:
        old = Api(first.url, BOB, clock).login()
    create_app(db, [ALICE], clock=clock)  # a start without bob

    with ServerThread(create_app(db, [ALICE, BOB], clock=clock)) as third:
        bob = Api(third.url, BOB, clock)
        bob.access_token = old.access_token
        stale = bob.get("/v1/sessions")
        bob.login()
        works = bob.get("/v1/sessions")

    assert (stale.status_code, works.status_code) == (401, 200)


def test_rotating_a_secret_ends_the_clients_refresh_tokens(tmp_path: Path) -> None:
    clock, db = FakeClock(), tmp_path / "c.db"
    with ServerThread(create_app(db, [ALICE], clock=clock)) as first:
        before = Api(first.url, ALICE, clock).login()

    rotated = ClientRegistration(ALICE.api_key, "alice-new-secret", ALICE.team_id)
    with ServerThread(create_app(db, [rotated], clock=clock)) as second:
        alice = Api(second.url, rotated, clock)
        refreshed = refresh(alice, before.refresh_token or "")
        old_secret = Api(second.url, ALICE, clock).token({"grant_type": "client_credentials"})
        alice.login()
        again = refresh(alice, alice.refresh_token or "")

    assert refreshed == (400, "invalid_grant")
    assert old_secret.status_code == 401
    assert again[0] == 200  # tokens issued after the rotation refresh as usual


def test_restarting_with_the_same_secret_keeps_refresh_tokens(tmp_path: Path) -> None:
    clock, db = FakeClock(), tmp_path / "c.db"
    with ServerThread(create_app(db, [ALICE], clock=clock)) as first:
        before = Api(first.url, ALICE, clock).login()

    with ServerThread(create_app(db, [ALICE], clock=clock)) as second:
        refreshed = refresh(Api(second.url, ALICE, clock), before.refresh_token or "")

    assert refreshed[0] == 200


def test_the_command_documents_revocation_and_webhooks() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "bot", "coviu-server", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    flat = " ".join(shown.split())

    assert "revoked" in flat and "refresh tokens end" in flat
    assert "--webhook-url" in flat and "X-Coviu-Webhook-Secret" in flat
