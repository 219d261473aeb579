"""Fuzzing the local Coviu API's request bodies with hypothesis: no 5xx, ever.

Arbitrary JSON (deep, wide, any types), near-valid bodies with one field wrong, and raw bytes
go over HTTP to every call that takes a body; every answer must be below 500, and every 4xx of
the resource calls must have the ``{"error": {"code", "message"}}`` shape.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.coviu.dates import to_rfc1123
from bot.coviu.server import ClientRegistration, create_app
from bot.httpserve import ServerThread

pytest_plugins = ["coviu_fixtures"]

KEY, SECRET = "fuzz-key", "fuzz-secret"
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@dataclass
class Target:
    url: str
    bearer: dict[str, str]
    session_id: str
    host_id: str
    guest_id: str

    def paths(self) -> list[tuple[str, str]]:
        return [
            ("POST", "/v1/sessions"),
            ("PUT", f"/v1/sessions/{self.session_id}"),
            ("POST", f"/v1/sessions/{self.session_id}/participants"),
            ("PUT", f"/v1/participants/{self.guest_id}"),
            ("POST", f"/session/{self.host_id}/admit"),
            ("POST", f"/session/{self.host_id}/remove"),
            ("POST", f"/session/{self.guest_id}/enter"),
        ]


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    db: Path = tmp_path_factory.mktemp("fuzz") / "coviu.db"
    app = create_app(db, [ClientRegistration(KEY, SECRET, "clinic")])
    with ServerThread(app) as server:
        token = requests.post(
            f"{server.url}/v1/auth/token",
            auth=(KEY, SECRET),
            data={"grant_type": "client_credentials"},
        ).json()["access_token"]
        bearer = {"Authorization": f"Bearer {token}"}
        body = {
            "start_time": "Wed, 08 Jun 2039 04:07:11 GMT",
            "end_time": "Wed, 08 Jun 2039 04:52:11 GMT",
            "participants": [{"role": "host"}, {"role": "guest"}],
        }
        session = requests.post(f"{server.url}/v1/sessions", json=body, headers=bearer).json()
        host, guest = (p["participant_id"] for p in session["participants"])
        yield Target(server.url, bearer, session["session_id"], host, guest)


def check(answer: requests.Response, path: str) -> None:
    assert answer.status_code < 500, (path, answer.status_code, answer.text[:500])
    if 400 <= answer.status_code < 500 and path.startswith("/v1/"):
        error = answer.json()["error"]
        assert error["code"] and error["message"], answer.text


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=50),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=30,
)
dates = st.one_of(
    st.datetimes(timezones=st.just(UTC)).map(to_rfc1123),
    st.text(max_size=40),
    st.sampled_from(
        [
            "2026-12-04T12:19:11X+00:00",
            "Thu, 08 Jun 2039 04:07:11 GMT",
            "9999-12-31T23:59:59-23:59",
            "0001-01-01T00:00:00+23:59",
            "2039-02-29T00:00:00Z",
            "",
        ]
    ),
    json_values,
)
participants = st.fixed_dictionaries(
    {"role": st.one_of(st.sampled_from(["host", "GUEST", "Host", " guest", ""]), json_values)},
    optional={
        "display_name": json_values,
        "picture": json_values,
        "state": st.one_of(st.text(max_size=5000), json_values),
    },
)
near_valid = st.fixed_dictionaries(
    {},
    optional={
        "session_name": st.one_of(st.text(max_size=2000), json_values),
        "start_time": dates,
        "end_time": dates,
        "picture": json_values,
        "participants": st.one_of(st.lists(participants, max_size=4), json_values),
        "role": st.one_of(st.sampled_from(["host", "guest"]), json_values),
        "token": st.one_of(st.text(max_size=300), json_values),
    },
)


@FUZZ
@given(body=st.one_of(json_values, near_valid), which=st.integers(0, 6))
def test_json_bodies_never_get_a_5xx(target: Target, body: Any, which: int) -> None:
    method, path = target.paths()[which]
    answer = requests.request(method, target.url + path, json=body, headers=target.bearer)

    check(answer, path)


@FUZZ
@given(
    raw=st.one_of(
        st.binary(max_size=2000),
        st.sampled_from([b'{"start_time": NaN}', b'{"role": Infinity}', b"[" * 5000, b"\xff{"]),
    ),
    media=st.sampled_from(["application/json", "text/plain", ""]),
)
def test_raw_bytes_never_get_a_5xx(target: Target, raw: bytes, media: str) -> None:
    headers = target.bearer | ({"Content-Type": media} if media else {})
    for method, path in target.paths()[:4]:
        answer = requests.request(method, target.url + path, data=raw, headers=headers)
        check(answer, path)


@FUZZ
@given(
    form=st.one_of(
        st.dictionaries(st.text(max_size=20), st.text(max_size=100), max_size=5),
        near_valid,
    ),
    as_json=st.booleans(),
    auth=st.one_of(st.none(), st.tuples(st.text(max_size=20), st.text(max_size=20))),
)
def test_token_requests_never_get_a_5xx(
    target: Target, form: dict[str, Any], as_json: bool, auth: tuple[str, str] | None
) -> None:
    url = f"{target.url}/v1/auth/token"
    try:
        credentials = auth if auth is None else tuple(part.encode("latin-1") for part in auth)
    except UnicodeEncodeError:
        credentials = (b"x", b"y")
    if as_json:
        answer = requests.post(url, data=json.dumps(form), auth=credentials,
                               headers={"Content-Type": "application/json"})  # fmt: skip
    else:
        answer = requests.post(url, data=form, auth=credentials)  # type: ignore[arg-type]

    assert answer.status_code < 500, answer.text
    if answer.status_code >= 400:
        assert answer.json()["error"] in (
            "invalid_request",
            "invalid_client",
            "invalid_grant",
            "unsupported_grant_type",
        )
