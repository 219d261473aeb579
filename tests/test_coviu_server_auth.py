"""The local Coviu Session API: clients, OAuth2 tokens, bearer checks and team isolation."""

from __future__ import annotations

import base64
import hashlib
import sqlite3
from pathlib import Path

import pytest

pytest.register_assert_rewrite("coviu_fixtures")

import requests  # noqa: E402
from coviu_fixtures import CLIENTS, Api, FakeClock, LocalCoviu, error_of  # noqa: E402

from bot.coviu.server import ClientRegistration, create_app, register_client  # noqa: E402
from bot.httpserve import ServerThread  # noqa: E402

pytest_plugins = ["coviu_fixtures"]

CLIENT_CREDENTIALS = {"grant_type": "client_credentials"}


def oauth_error(answer: requests.Response) -> str:
    body = answer.json()
    assert set(body) <= {"error", "error_description"}, body
    return str(body["error"])


# -- registrations ---------------------------------------------------------------------------------


def test_client_spec_parses_key_secret_and_optional_team() -> None:
    assert ClientRegistration.parse("k:s") == ClientRegistration("k", "s", None)
    assert ClientRegistration.parse("k:s:clinic") == ClientRegistration("k", "s", "clinic")


@pytest.mark.parametrize("spec", ["", "k", "k:", ":s", "k:s:", "a:b:c:d", "k::t"])
def test_client_spec_refuses_anything_else_without_echoing_the_secret(spec: str) -> None:
    with pytest.raises(ValueError, match="KEY:SECRET") as error:
        ClientRegistration.parse(spec)
    assert "b:c" not in str(error.value)


def test_registration_repr_hides_the_secret() -> None:
    assert "hunter2" not in repr(ClientRegistration.parse("k:hunter2:t"))


def test_a_client_without_a_team_gets_its_own_team_from_its_key() -> None:
    one, again, other = (ClientRegistration.parse(s) for s in ("k1:a", "k1:b", "k2:a"))

    assert one.effective_team_id == again.effective_team_id != other.effective_team_id


# -- the token endpoint ----------------------------------------------------------------------------


def test_client_credentials_answers_the_seed_token_shape(local_coviu: LocalCoviu) -> None:
    answer = local_coviu.api(login=False).token(CLIENT_CREDENTIALS)

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.headers["cache-control"] == "no-store"
    token = answer.json()
    assert set(token) == {"access_token", "refresh_token", "expires_in", "token_type", "scope"}
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 7 * 24 * 3600
    assert isinstance(token["scope"], str)


def test_tokens_are_random_and_at_least_128_bits(local_coviu: LocalCoviu) -> None:
    api = local_coviu.api(login=False)
    tokens = [api.token(CLIENT_CREDENTIALS).json() for _ in range(3)]

    values = [t[kind] for t in tokens for kind in ("access_token", "refresh_token")]
    assert len(set(values)) == len(values)
    for value in values:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        assert len(raw) * 8 >= 128


def test_tokens_and_secrets_are_stored_only_as_hashes(local_coviu: LocalCoviu) -> None:
    token = local_coviu.api(login=False).token(CLIENT_CREDENTIALS).json()

    with sqlite3.connect(local_coviu.db_path) as db:
        dump = "\n".join(db.iterdump())
    assert token["access_token"] not in dump and token["refresh_token"] not in dump
    assert "alice-secret" not in dump
    assert hashlib.sha256(token["access_token"].encode()).hexdigest() in dump


def test_the_token_request_may_also_be_json(local_coviu: LocalCoviu) -> None:
    answer = local_coviu.api(login=False).token(json=CLIENT_CREDENTIALS)

    assert answer.status_code == 200


@pytest.mark.parametrize(
    "auth",
    [("alice-key", "wrong"), ("nobody", "alice-secret"), ("", "")],
    ids=["wrong-secret", "unknown-key", "empty"],
)
def test_a_wrong_client_answers_401_invalid_client(
    local_coviu: LocalCoviu, auth: tuple[str, str]
) -> None:
    answer = local_coviu.api(login=False).token(CLIENT_CREDENTIALS, auth=auth)

    assert answer.status_code == 401
    assert oauth_error(answer) == "invalid_client"
    assert answer.headers["www-authenticate"].startswith("Basic")


@pytest.mark.parametrize(
    "header", [None, "Basic !!!not-base64", "Basic " + "bm9jb2xvbg==", "Bearer x"]
)
def test_missing_or_garbled_basic_auth_answers_401_invalid_client(
    local_coviu: LocalCoviu, header: str | None
) -> None:
    headers = {"Authorization": header} if header else {}

    answer = requests.post(
        f"{local_coviu.url}/v1/auth/token", data=CLIENT_CREDENTIALS, headers=headers
    )

    assert answer.status_code == 401
    assert oauth_error(answer) == "invalid_client"


def test_other_grants_answer_400_unsupported_grant_type(local_coviu: LocalCoviu) -> None:
    answer = local_coviu.api(login=False).token({"grant_type": "password"})

    assert answer.status_code == 400
    assert oauth_error(answer) == "unsupported_grant_type"


def test_a_missing_grant_answers_400_invalid_request(local_coviu: LocalCoviu) -> None:
    answer = local_coviu.api(login=False).token({})

    assert answer.status_code == 400
    assert oauth_error(answer) == "invalid_request"


def test_malformed_json_token_request_answers_400_invalid_request(local_coviu: LocalCoviu) -> None:
    answer = local_coviu.api(login=False).token(
        data="{nope", headers={"Content-Type": "application/json"}
    )

    assert answer.status_code == 400
    assert oauth_error(answer) == "invalid_request"


# -- refresh and rotation --------------------------------------------------------------------------


def test_refresh_returns_new_tokens_and_the_used_refresh_token_stops_working(
    local_coviu: LocalCoviu,
) -> None:
    api = local_coviu.api()
    first_refresh = api.refresh_token
    assert first_refresh is not None
    refresh = {"grant_type": "refresh_token", "refresh_token": first_refresh}

    answer = api.token(refresh)

    assert answer.status_code == 200
    renewed = answer.json()
    assert renewed["refresh_token"] != first_refresh
    assert renewed["access_token"] != api.access_token
    fresh = {"Authorization": f"Bearer {renewed['access_token']}"}
    assert api.get("/v1/sessions", headers=fresh).status_code == 200
    reused = api.token(refresh)
    assert reused.status_code == 400
    assert oauth_error(reused) == "invalid_grant"
    chained = api.token({"grant_type": "refresh_token", "refresh_token": renewed["refresh_token"]})
    assert chained.status_code == 200


@pytest.mark.parametrize("token", ["made-up", ""], ids=["unknown", "empty"])
def test_an_unknown_refresh_token_is_refused(local_coviu: LocalCoviu, token: str) -> None:
    answer = local_coviu.api(login=False).token(
        {"grant_type": "refresh_token", "refresh_token": token}
    )

    assert answer.status_code == 400
    assert oauth_error(answer) == ("invalid_grant" if token else "invalid_request")


def test_another_clients_refresh_token_is_refused(local_coviu: LocalCoviu) -> None:
    alices = local_coviu.api("alice").refresh_token
    assert alices is not None

    answer = local_coviu.api("bob", login=False).token(
        {"grant_type": "refresh_token", "refresh_token": alices}
    )

    assert answer.status_code == 400
    assert oauth_error(answer) == "invalid_grant"


def test_a_refresh_still_works_after_the_access_token_expired(tmp_path: Path) -> None:
    coviu_clock = FakeClock()
    app = create_app(tmp_path / "c.db", [CLIENTS["alice"]], token_ttl=60, clock=coviu_clock)
    with ServerThread(app) as server:
        api = Api(server.url, CLIENTS["alice"], coviu_clock).login()
        coviu_clock.advance(seconds=120)

        answer = api.token({"grant_type": "refresh_token", "refresh_token": api.refresh_token})

    assert answer.status_code == 200


# -- bearer tokens on every other call -------------------------------------------------------------


def assert_invalid_token(answer: requests.Response) -> None:
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert 'error="invalid_token"' in answer.headers["www-authenticate"]
    assert error_of(answer)["code"] == "invalid_token"


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic YWxpY2U6eA=="}],
    ids=["missing", "unknown", "not-bearer"],
)
def test_calls_without_a_valid_bearer_token_answer_401_invalid_token(
    local_coviu: LocalCoviu, headers: dict[str, str]
) -> None:
    for method, path in [
        ("GET", "/v1/sessions"),
        ("GET", "/v1/session"),
        ("POST", "/v1/sessions"),
        ("GET", "/v1/sessions/x"),
        ("PUT", "/v1/participants/x"),
        ("DELETE", "/v1/participants/x"),
    ]:
        assert_invalid_token(requests.request(method, local_coviu.url + path, headers=headers))


def test_an_access_token_expires_after_the_token_ttl(tmp_path: Path) -> None:
    coviu_clock = FakeClock()
    app = create_app(tmp_path / "c.db", [CLIENTS["alice"]], token_ttl=60, clock=coviu_clock)
    with ServerThread(app) as server:
        api = Api(server.url, CLIENTS["alice"], coviu_clock).login()
        coviu_clock.advance(seconds=59)
        still_valid = api.get("/v1/sessions")
        coviu_clock.advance(seconds=1)
        expired = api.get("/v1/sessions")

    assert still_valid.status_code == 200
    assert_invalid_token(expired)
    assert "expired" in error_of(expired)["message"]


# -- teams -----------------------------------------------------------------------------------------


def test_another_teams_ids_answer_404_like_unknown_ids(alice: Api, eve: Api) -> None:
    session = alice.create_session()
    sid = session["session_id"]
    pid = session["participants"][0]["participant_id"]

    for method, path, body in [
        ("GET", f"/v1/sessions/{sid}", None),
        ("PUT", f"/v1/sessions/{sid}", {"session_name": "mine now"}),
        ("DELETE", f"/v1/sessions/{sid}", None),
        ("GET", f"/v1/sessions/{sid}/participants", None),
        ("POST", f"/v1/sessions/{sid}/participants", {"role": "host"}),
        ("GET", f"/v1/participants/{pid}", None),
        ("PUT", f"/v1/participants/{pid}", {"role": "guest"}),
        ("DELETE", f"/v1/participants/{pid}", None),
    ]:
        answer = eve.request(method, path, json=body)
        unknown = eve.request(method, path.replace(sid, "nope").replace(pid, "nope"), json=body)
        assert answer.status_code == unknown.status_code == 404, (method, path)
        assert error_of(answer)["code"] == error_of(unknown)["code"] == "not_found"

    assert eve.get("/v1/sessions").json()["content"] == []
    assert alice.get(f"/v1/sessions/{sid}").json() == session  # untouched


def test_clients_of_one_team_share_its_sessions(alice: Api, bob: Api) -> None:
    session = alice.create_session()
    sid = session["session_id"]

    added = bob.post(f"/v1/sessions/{sid}/participants", json={"role": "guest"})

    assert bob.get(f"/v1/sessions/{sid}").status_code == 200
    assert [s["session_id"] for s in bob.get("/v1/sessions").json()["content"]] == [sid]
    # The participant records the client that added it; the session the one that made it.
    assert added.json()["client_id"] != session["client_id"]
    assert bob.get(f"/v1/sessions/{sid}").json()["client_id"] == session["client_id"]


def test_a_client_without_a_team_is_alone_in_its_own(local_coviu: LocalCoviu, alice: Api) -> None:
    alice.create_session()
    solo = local_coviu.api("solo")

    mine = solo.create_session()

    assert mine["team_id"] == CLIENTS["solo"].effective_team_id != "clinic-a"
    assert [s["session_id"] for s in solo.get("/v1/sessions").json()["content"]] == [
        mine["session_id"]
    ]


# -- restarts and several apps ---------------------------------------------------------------------


def test_restarting_on_the_same_database_keeps_clients_and_sessions(tmp_path: Path) -> None:
    coviu_clock = FakeClock()
    db = tmp_path / "c.db"
    with ServerThread(create_app(db, [CLIENTS["alice"]], clock=coviu_clock)) as first:
        before = Api(first.url, CLIENTS["alice"], coviu_clock).login().create_session()

    again = ClientRegistration("alice-key", "new-secret", "clinic-a")
    with ServerThread(create_app(db, [again], clock=coviu_clock)) as second:
        old_secret = Api(second.url, CLIENTS["alice"], coviu_clock).token(CLIENT_CREDENTIALS)
        api = Api(second.url, again, coviu_clock).login()
        after = api.get(f"/v1/sessions/{before['session_id']}").json()
        mine = api.create_session()

    assert old_secret.status_code == 401  # re-registering replaced the secret
    assert after == before
    assert mine["client_id"] == before["client_id"]  # same key, same client id


def test_a_client_can_be_registered_on_a_running_app(local_coviu: LocalCoviu) -> None:
    newcomer = ClientRegistration("late-key", "late-secret", "clinic-a")

    client_id = register_client(local_coviu.app, newcomer)

    api = Api(local_coviu.url, newcomer, local_coviu.clock).login()
    assert api.create_session(participants=[])["client_id"] == client_id


def test_two_apps_in_one_process_do_not_share_anything(tmp_path: Path) -> None:
    coviu_clock = FakeClock()
    one = create_app(tmp_path / "one.db", [CLIENTS["alice"]], clock=coviu_clock)
    two = create_app(tmp_path / "two.db", [CLIENTS["alice"]], clock=coviu_clock)
    with ServerThread(one) as first, ServerThread(two) as second:
        api_one = Api(first.url, CLIENTS["alice"], coviu_clock).login()
        session = api_one.create_session()
        api_two = Api(second.url, CLIENTS["alice"], coviu_clock).login()

        assert api_two.get(f"/v1/sessions/{session['session_id']}").status_code == 404
        assert api_two.get("/v1/sessions").json()["content"] == []
        # A token of one app means nothing to the other.
        token_one = {"Authorization": f"Bearer {api_one.access_token}"}
        assert api_two.get("/v1/sessions", headers=token_one).status_code == 401


def test_the_app_can_be_mounted_inside_another_app(tmp_path: Path) -> None:
    from fastapi import FastAPI

    coviu_clock = FakeClock()
    outer = FastAPI()

    @outer.get("/slack/events")
    def slack() -> dict[str, str]:
        return {"outer": "yes"}

    outer.mount("/", create_app(tmp_path / "c.db", [CLIENTS["alice"]], clock=coviu_clock))
    with ServerThread(outer) as server:
        api = Api(server.url, CLIENTS["alice"], coviu_clock).login()
        created = api.create_session()
        assert api.get(f"/v1/sessions/{created['session_id']}").json() == created
        assert requests.get(f"{server.url}/slack/events").json() == {"outer": "yes"}
        assert requests.get(f"{server.url}/healthz").json() == {"ok": True}
