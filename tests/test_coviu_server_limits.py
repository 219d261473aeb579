"""Hostile input to the local Coviu API: every probe gets a 4xx naming what is wrong.

The probes of issue 12, sent over HTTP to a running server: huge page numbers, deeply nested
JSON, a 10 MB token form, a 9 MB session, dates with junk or the wrong weekday, null where null
is refused; and what the server says about itself (OPTIONS, 405, the OpenAPI document).
"""

from __future__ import annotations

from typing import Any

import pytest

pytest.register_assert_rewrite("coviu_fixtures")

import requests  # noqa: E402
from coviu_fixtures import Api, LocalCoviu, error_of  # noqa: E402

from bot.coviu.server.limits import (  # noqa: E402
    MAX_API_BODY,
    MAX_ENTRY_BODY,
    MAX_JSON_DEPTH,
    MAX_TOKEN_BODY,
)

pytest_plugins = ["coviu_fixtures"]

START = "Wed, 08 Jun 2016 05:00:00 GMT"
END = "Wed, 08 Jun 2016 05:30:00 GMT"


@pytest.mark.parametrize(
    "params",
    [
        {"page": "21330501439383953408"},
        {"page_size": "21330501439383953408"},
        {"page": "1000001"},
        {"page": "-1"},
    ],
)
def test_page_and_page_size_are_bounded(alice: Api, params: dict[str, str]) -> None:
    answer = alice.get("/v1/sessions", params=params)

    assert answer.status_code == 400, answer.text
    assert error_of(answer)["field"] == next(iter(params))


def test_the_last_page_allowed_is_served(alice: Api) -> None:
    answer = alice.get("/v1/sessions", params={"page": 1_000_000, "page_size": 1_000_000})

    assert answer.status_code == 200, answer.text
    assert answer.json()["content"] == []


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_deep_json_at_the_token_endpoint_is_refused_in_oauth_shape(alice: Api) -> None:
    answer = alice.token(nested(1000), headers={"Content-Type": "application/json"})

    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_request"
    assert "32 deep" in answer.json()["error_description"]


def test_deep_json_on_the_api_is_refused_before_parsing(alice: Api) -> None:
    body = '{"start_time": "' + START + '", "end_time": "' + END + '", "x": ' + nested(1000) + "}"
    answer = alice.post("/v1/sessions", data=body, headers={"Content-Type": "application/json"})

    assert answer.status_code == 400
    assert error_of(answer)["code"] == "json_too_deep"


def test_json_at_the_depth_limit_is_read(alice: Api) -> None:
    # Unknown fields are ignored; the nesting of one is what counts: the body object is level 1.
    body = '{"start_time": "' + START + '", "end_time": "' + END + '", "x": '
    body += nested(MAX_JSON_DEPTH - 1) + "}"
    answer = alice.post("/v1/sessions", data=body, headers={"Content-Type": "application/json"})

    assert answer.status_code == 200, answer.text


def test_brackets_inside_strings_do_not_count_as_depth(alice: Api) -> None:
    answer = alice.create_session(session_name="[" * 500 + '\\"' + "{" * 300)

    assert answer["session_name"].startswith("[[[")


def test_a_10_mb_token_form_is_refused(alice: Api) -> None:
    answer = alice.token({"grant_type": "client_credentials", "x": "a" * 10_000_000})

    assert answer.status_code == 413
    assert answer.json()["error"] == "invalid_request"
    assert str(MAX_TOKEN_BODY) in answer.json()["error_description"]


def test_a_9_mb_session_is_refused(alice: Api) -> None:
    participant = {"role": "host", "display_name": "x" * 1000, "picture": "p" * 4096}
    body: dict[str, Any] = {"start_time": START, "end_time": END, "participants": [participant]}
    body["participants"] *= 1000
    answer = alice.post("/v1/sessions", json=body)

    assert answer.status_code == 413
    error = error_of(answer)
    assert error["code"] == "payload_too_large"
    assert str(MAX_API_BODY) in error["message"]


def test_a_body_over_the_limit_without_content_length_is_refused(alice: Api) -> None:
    def chunks() -> Any:  # chunked transfer: the size is learnt only while reading
        for _ in range(100):
            yield b" " * 4096

    answer = alice.post("/v1/sessions", data=chunks(), headers={"Content-Type": "application/json"})

    assert answer.status_code == 413


def test_entry_page_calls_take_small_bodies_only(alice: Api) -> None:
    session = alice.create_session()
    link = session["participants"][0]["entry_url"].removeprefix("https://coviu.test")
    answer = requests.post(f"{alice.base_url}{link}/admit", json={"token": "t" * MAX_ENTRY_BODY})

    assert answer.status_code == 413


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("2026-12-04T12:19:11X+00:00", "not an RFC-1123 or ISO-8601 date"),
        ("Thu, 08 Jun 2016 05:00:00 GMT", "wrong weekday"),
        ("2016-06-08T05:00:00", "not an RFC-1123 or ISO-8601 date"),
        ("2016-02-30T05:00:00Z", "not a valid date"),
        ("Wed, 08 Jun 2016 05:00:00 GMT trailing", "not an RFC-1123 or ISO-8601 date"),
        ("2016-06-08 05:00:00Z", "not an RFC-1123 or ISO-8601 date"),
        ("x" * 10_000, "too long"),
    ],
)
def test_dates_are_parsed_strictly(alice: Api, value: str, words: str) -> None:
    created = alice.post("/v1/sessions", json={"start_time": value, "end_time": END})
    listed = alice.get("/v1/sessions", params={"start_time": value})

    for answer in (created, listed):
        assert answer.status_code == 400, answer.text
        error = error_of(answer)
        assert error["field"] == "start_time"
        assert words in error["message"]


def test_start_time_null_is_refused_and_documented_as_not_nullable(
    alice: Api, local_coviu: LocalCoviu
) -> None:
    session = alice.create_session()
    answer = alice.put(f"/v1/sessions/{session['session_id']}", json={"start_time": None})
    document = requests.get(f"{local_coviu.url}/openapi.json").json()
    update = document["components"]["schemas"]["SessionUpdate"]["properties"]["start_time"]

    assert answer.status_code == 400
    error = error_of(answer)
    assert (error["field"], error["message"]) == (
        "start_time",
        "start_time: may not be null: send a date string, or leave the field out",
    )
    assert "null" not in str(update) and update["type"] == "string"


def test_order_is_an_enum_in_the_document_and_the_server(
    alice: Api, local_coviu: LocalCoviu
) -> None:
    document = requests.get(f"{local_coviu.url}/openapi.json").json()
    params = document["paths"]["/v1/sessions"]["get"]["parameters"]
    order = next(p for p in params if p["name"] == "order")

    assert order["schema"]["enum"] == ["forward", "reverse"]
    for value in ("", "sideways"):
        answer = alice.get("/v1/sessions", params={"order": value})
        assert answer.status_code == 400
        assert error_of(answer)["field"] == "order"


def test_the_document_lists_the_statuses_sent_and_never_422(local_coviu: LocalCoviu) -> None:
    document = requests.get(f"{local_coviu.url}/openapi.json").json()
    statuses = {
        (method.upper(), path): set(operation["responses"])
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    }

    assert all("422" not in found for found in statuses.values())
    assert statuses[("PUT", "/v1/sessions/{session_id}")] >= {"400", "401", "404", "409", "413"}
    assert statuses[("DELETE", "/v1/participants/{participant_id}")] >= {"401", "404", "409"}
    assert statuses[("GET", "/session/{participant_id}")] >= {"403", "404", "410"}
    schemes = document["components"]["securitySchemes"]
    token = document["paths"]["/v1/auth/token"]["post"]
    assert token["security"] == [{"HTTPBasic": []}]
    assert schemes["HTTPBasic"] == schemes["HTTPBasic"] | {"type": "http", "scheme": "basic"}
    assert "413" in token["responses"] and str(MAX_API_BODY) in document["info"]["description"]


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        ("/v1/auth/token", "POST, OPTIONS"),
        ("/v1/sessions", "GET, POST, OPTIONS"),
        ("/v1/sessions/some-id", "GET, PUT, DELETE, OPTIONS"),
        ("/session/some-id", "GET, OPTIONS"),
    ],
)
def test_options_and_405_name_every_method_served(
    local_coviu: LocalCoviu, path: str, allow: str
) -> None:
    options = requests.options(f"{local_coviu.url}{path}")
    wrong = requests.patch(f"{local_coviu.url}{path}")

    assert (options.status_code, options.headers["Allow"]) == (204, allow)
    assert (wrong.status_code, wrong.headers["Allow"]) == (405, allow)
    assert error_of(wrong)["code"] == "method_not_allowed"


def test_options_on_an_unknown_path_is_a_404(local_coviu: LocalCoviu) -> None:
    answer = requests.options(f"{local_coviu.url}/v2/nothing")

    assert answer.status_code == 404
