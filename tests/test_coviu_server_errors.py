"""The local Coviu Session API: bad input answers a 4xx naming the field, never a 500."""

from __future__ import annotations

from typing import Any

import pytest

pytest.register_assert_rewrite("coviu_fixtures")

import requests  # noqa: E402
from coviu_fixtures import Api, LocalCoviu, error_of  # noqa: E402

pytest_plugins = ["coviu_fixtures"]

START = "Wed, 08 Jun 2016 05:00:00 GMT"
END = "Wed, 08 Jun 2016 05:30:00 GMT"
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def session(alice: Api) -> dict[str, Any]:
    return alice.create_session()


def body_paths(session: dict[str, Any]) -> list[tuple[str, str]]:
    sid, pid = session["session_id"], session["participants"][0]["participant_id"]
    return [
        ("POST", "/v1/sessions"),
        ("PUT", f"/v1/sessions/{sid}"),
        ("POST", f"/v1/sessions/{sid}/participants"),
        ("PUT", f"/v1/participants/{pid}"),
    ]


@pytest.mark.parametrize("text", ["{", '{"role": }', "not json", '{"a": 1,}', "\xff"])
def test_malformed_json_answers_400_malformed_json_on_every_call_with_a_body(
    alice: Api, session: dict[str, Any], text: str
) -> None:
    for method, path in body_paths(session):
        answer = alice.request(method, path, data=text.encode("latin-1"), headers=JSON)
        assert answer.status_code == 400, (method, path, answer.text)
        assert error_of(answer)["code"] == "malformed_json"


@pytest.mark.parametrize("body", ["[]", '"text"', "42", "null"])
def test_a_body_that_is_not_an_object_answers_400(
    alice: Api, session: dict[str, Any], body: str
) -> None:
    for method, path in body_paths(session):
        answer = alice.request(method, path, data=body, headers=JSON)
        assert answer.status_code == 400, (method, path, answer.text)
        assert error_of(answer)["field"] == "body"


def test_a_missing_body_answers_400_missing_field(alice: Api) -> None:
    answer = alice.post("/v1/sessions", headers=JSON)

    assert answer.status_code == 400
    assert error_of(answer)["code"] == "missing_field"


BAD_CREATES: list[tuple[dict[str, Any], str, str]] = [
    ({"end_time": END}, "missing_field", "start_time"),
    ({"start_time": START}, "missing_field", "end_time"),
    ({"start_time": "tomorrow", "end_time": END}, "invalid_field", "start_time"),
    ({"start_time": START, "end_time": 1465362000}, "invalid_field", "end_time"),
    ({"start_time": "2016-06-08T05:00:00", "end_time": END}, "invalid_field", "start_time"),
    ({"start_time": START, "end_time": "9999-12-31T23:59:59-01:00"}, "invalid_field", "end_time"),
    ({"start_time": START, "end_time": END, "session_name": 7}, "invalid_field", "session_name"),
    ({"start_time": START, "end_time": END, "picture": ["x"]}, "invalid_field", "picture"),
    ({"start_time": START, "end_time": END, "participants": {}}, "invalid_field", "participants"),
    ({"start_time": START, "end_time": END, "participants": [{}]}, "missing_field",
     "participants[0].role"),
    ({"start_time": START, "end_time": END, "participants": [{"role": "doctor"}]},
     "invalid_field", "participants[0].role"),
    ({"start_time": START, "end_time": END, "participants": [{"role": None}]},
     "invalid_field", "participants[0].role"),
    ({"start_time": START, "end_time": END, "participants": [{"role": "host"}, "x"]},
     "invalid_field", "participants[1]"),
    ({"start_time": START, "end_time": END, "participants": [{"role": "host", "state": {}}]},
     "invalid_field", "participants[0].state"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "code", "field"), BAD_CREATES)
def test_bad_create_bodies_answer_400_naming_the_field(
    alice: Api, body: dict[str, Any], code: str, field: str
) -> None:
    answer = alice.post("/v1/sessions", json=body)

    assert answer.status_code == 400
    error = error_of(answer)
    assert (error["code"], error["field"]) == (code, field)
    assert error["message"].startswith(f"{field}: ")


def test_every_failing_field_is_named_in_the_message(alice: Api) -> None:
    answer = alice.post(
        "/v1/sessions", json={"start_time": "soon", "participants": [{"role": "boss"}]}
    )

    message = error_of(answer)["message"]
    for field in ("start_time", "end_time", "participants[0].role"):
        assert field in message


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"start_time": None}, "start_time"),
        ({"end_time": None}, "end_time"),
        ({"end_time": "later"}, "end_time"),
        ({"end_time": "9999-12-31T23:59:59-01:00"}, "end_time"),
        ({"session_name": False}, "session_name"),
    ],
)
def test_bad_session_updates_answer_400_naming_the_field(
    alice: Api, session: dict[str, Any], body: dict[str, Any], field: str
) -> None:
    answer = alice.put(f"/v1/sessions/{session['session_id']}", json=body)

    assert answer.status_code == 400
    assert error_of(answer)["field"] == field


def test_an_unknown_path_answers_404_in_the_error_shape(alice: Api) -> None:
    answer = alice.get("/v1/nothing-here")

    assert answer.status_code == 404
    assert error_of(answer)["code"] == "not_found"


def test_a_wrong_method_answers_405_in_the_error_shape(alice: Api) -> None:
    answer = alice.request("PATCH", "/v1/sessions")

    assert answer.status_code == 405
    assert error_of(answer)["code"] == "method_not_allowed"


ODD_VALUES: list[Any] = [None, True, 0, -1, 1e308, "", "\u0000", "x" * 5000, [], {}, [{}]]


@pytest.mark.parametrize("value", ODD_VALUES)
def test_odd_values_in_any_field_never_cause_a_server_error(
    local_coviu: LocalCoviu, alice: Api, session: dict[str, Any], value: Any
) -> None:
    fields = ["session_name", "start_time", "end_time", "picture", "participants", "role",
              "display_name", "state"]  # fmt: skip
    for method, path in body_paths(session):
        for name in fields:
            body = {"start_time": START, "end_time": END, "role": "host", name: value}
            answer = alice.request(method, path, json=body)
            assert answer.status_code < 500, (method, path, name, value, answer.text)
            if answer.status_code >= 400:
                error_of(answer)
    for params in ({"page": value}, {"page_size": value}, {"start_time": value}, {"state": value}):
        answer = alice.get("/v1/sessions", params=params)
        assert answer.status_code < 500, (params, answer.text)
    answer = requests.post(f"{local_coviu.url}/v1/auth/token", json={"grant_type": value})
    assert answer.status_code < 500
