"""The local Coviu Session API: sessions and participants, over real HTTP.

Each test is one rule of the seed spec (or of what Coviu's docs add), read off its name.
Auth and teams: ``test_coviu_server_auth.py``; listing: ``test_coviu_server_list.py``; bad
input: ``test_coviu_server_errors.py``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

# The fixture module also holds helpers imported below: let pytest rewrite its asserts first.
pytest.register_assert_rewrite("coviu_fixtures")

from coviu_fixtures import (  # noqa: E402
    PARTICIPANT_FIELDS,
    PUBLIC_URL,
    SEED_FIELDS_PARTICIPANT,
    SEED_FIELDS_SESSION,
    SESSION_FIELDS,
    Api,
    FakeClock,
    LocalCoviu,
    error_of,
)

from bot.coviu.dates import to_rfc1123  # noqa: E402

pytest_plugins = ["coviu_fixtures"]

# The seed's example request bodies, verbatim.
SEED_CREATE = """{
  "session_name": "A test session with Dr. Who",
  "start_time": "Wed, 08 Jun 2016 04:07:11 GMT",
  "end_time": "Wed, 08 Jun 2016 04:17:11 GMT",
  "picture": "http://www.fillmurray.com/200/300",
  "participants": [
    {
      "display_name": "Dr. Who",
      "role": "host",
      "picture": "http://fillmurray.com/200/300",
      "state": "drwho1234"
    },
    {
      "display_name": "Dr. Who",
      "role": "guest",
      "picture": "http://fillmurray.com/200/300",
      "state": "drwho1234"
    }
  ]
}"""
SEED_UPDATE = """{
  "start_time": "Wed, 08 Jun 2016 04:32:27 GMT",
  "end_time": "Wed, 08 Jun 2016 04:42:27 GMT",
  "picture": "http://fillmurray.com/400/600",
  "session_name": "new session name"
}"""
SEED_PARTICIPANT = """{
  "display_name": "Dr. Who",
  "role": "host",
  "picture": "http://fillmurray.com/200/300",
  "state": "drwho1234"
}"""
JSON = {"Content-Type": "application/json"}


def is_uuid4(text: str) -> bool:
    import uuid

    return uuid.UUID(text).version == 4 and str(uuid.UUID(text)) == text


def assert_participant_shape(participant: dict, session_id: str, client_id: str) -> None:
    assert set(participant) == PARTICIPANT_FIELDS
    assert set(participant) >= SEED_FIELDS_PARTICIPANT
    assert is_uuid4(participant["participant_id"])
    assert participant["session_id"] == session_id
    assert participant["client_id"] == client_id
    assert participant["entry_url"] == f"{PUBLIC_URL}/session/{participant['participant_id']}"
    assert participant["role"] in ("HOST", "GUEST")


# -- the seed's examples --------------------------------------------------------------------------


def test_seed_create_example_is_accepted_and_answered_field_by_field(alice: Api) -> None:
    answer = alice.post("/v1/sessions", data=SEED_CREATE, headers=JSON)

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    session = answer.json()
    assert set(session) == SESSION_FIELDS and set(session) >= SEED_FIELDS_SESSION
    assert is_uuid4(session["session_id"])
    assert session["session_name"] == "A test session with Dr. Who"
    assert session["start_time"] == "Wed, 08 Jun 2016 04:07:11 GMT"
    assert session["end_time"] == "Wed, 08 Jun 2016 04:17:11 GMT"
    assert session["picture"] == "http://www.fillmurray.com/200/300"
    assert session["team_id"] == "clinic-a"
    assert is_uuid4(session["client_id"])
    assert session["canceled_time"] is None
    host, guest = session["participants"]
    for participant in (host, guest):
        assert_participant_shape(participant, session["session_id"], session["client_id"])
        assert participant["display_name"] == "Dr. Who"
        assert participant["picture"] == "http://fillmurray.com/200/300"
        assert participant["state"] == "drwho1234"
        assert participant["deleted_at"] is None
    assert (host["role"], guest["role"]) == ("HOST", "GUEST")
    assert host["participant_id"] != guest["participant_id"]


def test_seed_update_example_is_accepted_and_changes_exactly_those_fields(alice: Api) -> None:
    created = alice.post("/v1/sessions", data=SEED_CREATE, headers=JSON).json()

    answer = alice.put(f"/v1/sessions/{created['session_id']}", data=SEED_UPDATE, headers=JSON)

    assert answer.status_code == 200
    updated = answer.json()
    assert set(updated) == SESSION_FIELDS
    assert updated["start_time"] == "Wed, 08 Jun 2016 04:32:27 GMT"
    assert updated["end_time"] == "Wed, 08 Jun 2016 04:42:27 GMT"
    assert updated["picture"] == "http://fillmurray.com/400/600"
    assert updated["session_name"] == "new session name"
    assert updated["participants"] == created["participants"]
    assert alice.get(f"/v1/sessions/{created['session_id']}").json() == updated


def test_seed_participant_example_is_accepted_by_add_and_by_update(alice: Api) -> None:
    session = alice.post("/v1/sessions", data=SEED_CREATE, headers=JSON).json()
    sid = session["session_id"]

    added = alice.post(f"/v1/sessions/{sid}/participants", data=SEED_PARTICIPANT, headers=JSON)
    assert added.status_code == 200
    participant = added.json()
    assert_participant_shape(participant, sid, session["client_id"])
    assert (participant["display_name"], participant["role"]) == ("Dr. Who", "HOST")
    assert participant["picture"] == "http://fillmurray.com/200/300"
    assert participant["state"] == "drwho1234"

    pid = participant["participant_id"]
    updated = alice.put(f"/v1/participants/{pid}", data=SEED_PARTICIPANT, headers=JSON)
    assert updated.status_code == 200
    assert updated.json() == participant


def test_get_session_answers_what_create_answered(alice: Api) -> None:
    created = alice.create_session()

    answer = alice.get(f"/v1/sessions/{created['session_id']}")

    assert answer.status_code == 200
    assert answer.json() == created


# -- create ----------------------------------------------------------------------------------------


def test_roles_are_accepted_in_any_case_and_answered_in_upper_case(alice: Api) -> None:
    session = alice.create_session(
        participants=[{"role": "Host"}, {"role": "GUEST"}, {"role": "gUeSt"}]
    )

    assert [p["role"] for p in session["participants"]] == ["HOST", "GUEST", "GUEST"]


def test_dates_are_accepted_as_iso_8601_and_answered_as_rfc_1123(alice: Api) -> None:
    answer = alice.post(
        "/v1/sessions",
        json={
            "start_time": "2016-06-08T15:00:00+10:00",
            "end_time": "2016-06-08T05:30:00Z",
            "participants": [],
        },
    )

    assert answer.status_code == 200
    assert answer.json()["start_time"] == "Wed, 08 Jun 2016 05:00:00 GMT"
    assert answer.json()["end_time"] == "Wed, 08 Jun 2016 05:30:00 GMT"


def test_optional_fields_may_be_left_out_and_come_back_null(alice: Api) -> None:
    answer = alice.post(
        "/v1/sessions",
        json={
            "start_time": "Wed, 08 Jun 2016 05:00:00 GMT",
            "end_time": "Wed, 08 Jun 2016 05:30:00 GMT",
            "participants": [{"role": "guest"}],
        },
    )

    session = answer.json()
    assert session["session_name"] is None and session["picture"] is None
    (guest,) = session["participants"]
    assert guest["display_name"] is None and guest["picture"] is None and guest["state"] is None


def test_participants_may_be_left_out_of_create(alice: Api) -> None:
    answer = alice.post(
        "/v1/sessions",
        json={"start_time": "2016-06-08T05:00:00Z", "end_time": "2016-06-08T05:30:00Z"},
    )

    assert answer.status_code == 200
    assert answer.json()["participants"] == []


def test_each_participant_gets_its_own_entry_url_under_the_public_url(alice: Api) -> None:
    session = alice.create_session(participants=[{"role": "host"}, {"role": "guest"}])

    urls = [p["entry_url"] for p in session["participants"]]
    assert len(set(urls)) == 2
    assert all(url.startswith(f"{PUBLIC_URL}/session/") for url in urls)


def test_start_must_be_in_the_future(alice: Api, coviu_clock: FakeClock) -> None:
    body = {
        "start_time": to_rfc1123(coviu_clock.now),
        "end_time": to_rfc1123(coviu_clock.now + timedelta(1)),
    }

    answer = alice.post("/v1/sessions", json=body)

    assert answer.status_code == 400
    assert error_of(answer)["code"] == "start_in_past"
    assert error_of(answer)["field"] == "start_time"


def test_end_must_be_after_start(alice: Api) -> None:
    same = "Wed, 08 Jun 2016 05:00:00 GMT"

    answer = alice.post("/v1/sessions", json={"start_time": same, "end_time": same})

    assert answer.status_code == 400
    assert error_of(answer)["code"] == "end_not_after_start"
    assert "end_time" in error_of(answer)["message"]


# -- update ----------------------------------------------------------------------------------------


def test_update_keeps_fields_it_is_not_given(alice: Api) -> None:
    session = alice.create_session(picture="http://example.com/a.png")

    answer = alice.put(f"/v1/sessions/{session['session_id']}", json={"session_name": "Renamed"})

    assert answer.status_code == 200
    updated = answer.json()
    assert updated["session_name"] == "Renamed"
    assert {k: v for k, v in updated.items() if k != "session_name"} == {
        k: v for k, v in session.items() if k != "session_name"
    }


def test_update_can_clear_the_name_and_picture_with_null(alice: Api) -> None:
    session = alice.create_session(picture="http://example.com/a.png")

    updated = alice.put(
        f"/v1/sessions/{session['session_id']}", json={"session_name": None, "picture": None}
    ).json()

    assert updated["session_name"] is None and updated["picture"] is None


def test_update_keeps_end_after_start(alice: Api) -> None:
    session = alice.create_session(starts_in=timedelta(hours=1), length=timedelta(minutes=30))
    later_start = to_rfc1123(datetime(2016, 6, 8, 6, 0, tzinfo=UTC))  # after the current end

    answer = alice.put(f"/v1/sessions/{session['session_id']}", json={"start_time": later_start})

    assert answer.status_code == 400
    assert error_of(answer)["code"] == "end_not_after_start"


def test_update_cannot_move_the_start_into_the_past(alice: Api, coviu_clock: FakeClock) -> None:
    session = alice.create_session()

    answer = alice.put(
        f"/v1/sessions/{session['session_id']}",
        json={"start_time": to_rfc1123(coviu_clock.now - timedelta(minutes=1))},
    )

    assert answer.status_code == 400
    assert error_of(answer)["code"] == "start_in_past"


def test_a_started_session_can_still_be_extended(alice: Api, coviu_clock: FakeClock) -> None:
    session = alice.create_session(starts_in=timedelta(minutes=5), length=timedelta(minutes=30))
    coviu_clock.advance(minutes=10)  # running now
    new_end = to_rfc1123(coviu_clock.now + timedelta(hours=1))

    # A full PUT re-sends the (now past) start unchanged: that is not "moving" it.
    answer = alice.put(
        f"/v1/sessions/{session['session_id']}",
        json={"start_time": session["start_time"], "end_time": new_end},
    )

    assert answer.status_code == 200
    assert answer.json()["end_time"] == new_end


def test_an_ended_session_cannot_be_updated(alice: Api, coviu_clock: FakeClock) -> None:
    session = alice.create_session(starts_in=timedelta(minutes=5), length=timedelta(minutes=30))
    coviu_clock.advance(minutes=35)  # exactly at the end: ended

    answer = alice.put(f"/v1/sessions/{session['session_id']}", json={"session_name": "late"})

    assert answer.status_code == 409
    assert error_of(answer)["code"] == "session_ended"


# -- cancel ----------------------------------------------------------------------------------------


def test_cancel_answers_ok_and_the_session_still_answers_get_with_canceled_time(
    alice: Api, coviu_clock: FakeClock
) -> None:
    session = alice.create_session()

    answer = alice.delete(f"/v1/sessions/{session['session_id']}")

    assert answer.status_code == 200
    assert answer.json() == {"ok": True}
    again = alice.get(f"/v1/sessions/{session['session_id']}")
    assert again.status_code == 200
    assert again.json()["canceled_time"] == to_rfc1123(coviu_clock.now)
    assert again.json() | {"canceled_time": None} == session


def test_a_cancelled_session_cannot_be_updated(alice: Api) -> None:
    session = alice.create_session()
    alice.delete(f"/v1/sessions/{session['session_id']}")

    answer = alice.put(f"/v1/sessions/{session['session_id']}", json={"session_name": "x"})

    assert answer.status_code == 409
    assert error_of(answer)["code"] == "session_cancelled"


def test_a_cancelled_session_gets_no_new_participants(alice: Api) -> None:
    session = alice.create_session()
    alice.delete(f"/v1/sessions/{session['session_id']}")

    answer = alice.post(f"/v1/sessions/{session['session_id']}/participants", json={"role": "x"})
    assert answer.status_code == 400  # bad input is named first...
    answer = alice.post(
        f"/v1/sessions/{session['session_id']}/participants", json={"role": "guest"}
    )
    assert answer.status_code == 409  # ...then the state rule
    assert error_of(answer)["code"] == "session_cancelled"


def test_cancelling_twice_is_harmless_and_keeps_the_first_canceled_time(
    alice: Api, coviu_clock: FakeClock
) -> None:
    session = alice.create_session()
    alice.delete(f"/v1/sessions/{session['session_id']}")
    first = alice.get(f"/v1/sessions/{session['session_id']}").json()["canceled_time"]
    coviu_clock.advance(minutes=1)

    answer = alice.delete(f"/v1/sessions/{session['session_id']}")

    assert answer.json() == {"ok": True}
    assert alice.get(f"/v1/sessions/{session['session_id']}").json()["canceled_time"] == first


def test_a_started_session_cannot_be_cancelled(alice: Api, coviu_clock: FakeClock) -> None:
    session = alice.create_session(starts_in=timedelta(minutes=5))
    coviu_clock.advance(minutes=5)  # exactly at the start: started

    answer = alice.delete(f"/v1/sessions/{session['session_id']}")

    assert answer.status_code == 409
    assert error_of(answer)["code"] == "session_started"
    assert alice.get(f"/v1/sessions/{session['session_id']}").json()["canceled_time"] is None


def test_an_ended_session_cannot_be_cancelled(alice: Api, coviu_clock: FakeClock) -> None:
    session = alice.create_session(starts_in=timedelta(minutes=5), length=timedelta(minutes=10))
    coviu_clock.advance(hours=1)

    answer = alice.delete(f"/v1/sessions/{session['session_id']}")

    assert answer.status_code == 409
    assert error_of(answer)["code"] == "session_ended"


# -- participants ----------------------------------------------------------------------------------


def test_added_participants_appear_in_the_session_and_its_participant_list(alice: Api) -> None:
    session = alice.create_session(participants=[{"role": "host", "display_name": "Dr. Who"}])
    sid = session["session_id"]

    added = alice.post(
        f"/v1/sessions/{sid}/participants", json={"role": "guest", "display_name": "Pat"}
    ).json()

    listed = alice.get(f"/v1/sessions/{sid}/participants")
    assert listed.status_code == 200
    assert isinstance(listed.json(), list)  # a bare array, not a page
    assert listed.json() == [*session["participants"], added]
    assert alice.get(f"/v1/sessions/{sid}").json()["participants"] == listed.json()


def test_get_participant_by_id(alice: Api) -> None:
    session = alice.create_session()
    host = session["participants"][0]

    answer = alice.get(f"/v1/participants/{host['participant_id']}")

    assert answer.status_code == 200
    assert answer.json() == host


def test_participants_can_be_added_to_a_running_session(alice: Api, coviu_clock: FakeClock) -> None:
    session = alice.create_session(starts_in=timedelta(minutes=5), length=timedelta(minutes=30))
    coviu_clock.advance(minutes=10)

    sid = session["session_id"]
    answer = alice.post(f"/v1/sessions/{sid}/participants", json={"role": "GUEST"})

    assert answer.status_code == 200


def test_participants_cannot_be_added_to_an_ended_session(
    alice: Api, coviu_clock: FakeClock
) -> None:
    session = alice.create_session(starts_in=timedelta(minutes=5), length=timedelta(minutes=30))
    coviu_clock.advance(hours=1)

    answer = alice.post(f"/v1/sessions/{session['session_id']}/participants", json={"role": "host"})

    assert answer.status_code == 409
    assert error_of(answer)["code"] == "session_ended"


def test_update_participant_changes_name_role_picture_and_state(alice: Api) -> None:
    session = alice.create_session(participants=[{"role": "guest", "display_name": "Pat"}])
    pid = session["participants"][0]["participant_id"]

    answer = alice.put(
        f"/v1/participants/{pid}",
        json={"role": "host", "display_name": "Dr. Pat", "picture": "http://p/x", "state": "u1"},
    )

    assert answer.status_code == 200
    updated = answer.json()
    assert (updated["role"], updated["display_name"]) == ("HOST", "Dr. Pat")
    assert (updated["picture"], updated["state"]) == ("http://p/x", "u1")
    assert alice.get(f"/v1/participants/{pid}").json() == updated


def test_update_participant_requires_the_role_and_keeps_what_it_is_not_given(alice: Api) -> None:
    session = alice.create_session(participants=[{"role": "guest", "display_name": "Pat"}])
    pid = session["participants"][0]["participant_id"]

    missing = alice.put(f"/v1/participants/{pid}", json={"display_name": "Dr. Pat"})
    assert missing.status_code == 400
    assert error_of(missing)["code"] == "missing_field"
    assert error_of(missing)["field"] == "role"

    kept = alice.put(f"/v1/participants/{pid}", json={"role": "host"}).json()
    assert (kept["role"], kept["display_name"]) == ("HOST", "Pat")


def test_cancel_participant_sets_deleted_at_and_hides_it_unless_asked(
    alice: Api, coviu_clock: FakeClock
) -> None:
    session = alice.create_session(participants=[{"role": "host"}, {"role": "guest"}])
    sid = session["session_id"]
    host, guest = session["participants"]

    answer = alice.delete(f"/v1/participants/{guest['participant_id']}")

    assert answer.status_code == 200 and answer.json() == {"ok": True}
    cancelled = alice.get(f"/v1/participants/{guest['participant_id']}").json()
    assert cancelled["deleted_at"] == to_rfc1123(coviu_clock.now)
    assert alice.get(f"/v1/sessions/{sid}/participants").json() == [host]
    assert alice.get(f"/v1/sessions/{sid}").json()["participants"] == [host]
    deleted_too = {"deleted_participants": "true"}
    everyone = alice.get(f"/v1/sessions/{sid}/participants", params=deleted_too)
    assert everyone.json() == [host, cancelled]
    with_deleted = alice.get(f"/v1/sessions/{sid}", params=deleted_too)
    assert with_deleted.json()["participants"] == [host, cancelled]


def test_a_cancelled_participant_cannot_be_updated(alice: Api) -> None:
    session = alice.create_session()
    pid = session["participants"][1]["participant_id"]
    alice.delete(f"/v1/participants/{pid}")

    answer = alice.put(f"/v1/participants/{pid}", json={"role": "host"})

    assert answer.status_code == 409
    assert error_of(answer)["code"] == "participant_cancelled"


def test_cancelling_a_participant_twice_is_harmless(alice: Api, coviu_clock: FakeClock) -> None:
    session = alice.create_session()
    pid = session["participants"][1]["participant_id"]
    alice.delete(f"/v1/participants/{pid}")
    first = alice.get(f"/v1/participants/{pid}").json()["deleted_at"]
    coviu_clock.advance(minutes=1)

    assert alice.delete(f"/v1/participants/{pid}").json() == {"ok": True}
    assert alice.get(f"/v1/participants/{pid}").json()["deleted_at"] == first


def test_participants_of_an_ended_session_cannot_be_cancelled(
    alice: Api, coviu_clock: FakeClock
) -> None:
    session = alice.create_session(starts_in=timedelta(minutes=5), length=timedelta(minutes=30))
    coviu_clock.advance(hours=1)

    answer = alice.delete(f"/v1/participants/{session['participants'][0]['participant_id']}")

    assert answer.status_code == 409
    assert error_of(answer)["code"] == "session_ended"


def test_participants_of_a_running_session_can_be_cancelled(
    alice: Api, coviu_clock: FakeClock
) -> None:
    session = alice.create_session(starts_in=timedelta(minutes=5), length=timedelta(minutes=30))
    coviu_clock.advance(minutes=10)

    answer = alice.delete(f"/v1/participants/{session['participants'][1]['participant_id']}")

    assert answer.status_code == 200


def test_participants_of_a_cancelled_session_cannot_be_changed(alice: Api) -> None:
    session = alice.create_session()
    pid = session["participants"][0]["participant_id"]
    alice.delete(f"/v1/sessions/{session['session_id']}")

    updated = alice.put(f"/v1/participants/{pid}", json={"role": "guest"})
    cancelled = alice.delete(f"/v1/participants/{pid}")

    assert (updated.status_code, error_of(updated)["code"]) == (409, "session_cancelled")
    assert (cancelled.status_code, error_of(cancelled)["code"]) == (409, "session_cancelled")


# -- ids that do not exist, and the service around the API --------------------------------------


def test_unknown_ids_answer_404_on_every_call(alice: Api) -> None:
    ghost = "00000000-0000-4000-8000-000000000000"
    calls = [
        ("GET", f"/v1/sessions/{ghost}", None),
        ("PUT", f"/v1/sessions/{ghost}", {"session_name": "x"}),
        ("DELETE", f"/v1/sessions/{ghost}", None),
        ("GET", f"/v1/sessions/{ghost}/participants", None),
        ("POST", f"/v1/sessions/{ghost}/participants", {"role": "host"}),
        ("GET", f"/v1/participants/{ghost}", None),
        ("PUT", f"/v1/participants/{ghost}", {"role": "host"}),
        ("DELETE", f"/v1/participants/{ghost}", None),
        ("GET", "/v1/sessions/not-even-a-uuid", None),
    ]
    for method, path, body in calls:
        answer = alice.request(method, path, json=body)
        assert answer.status_code == 404, (method, path)
        assert error_of(answer)["code"] == "not_found"


def test_healthz_answers_without_a_token(local_coviu: LocalCoviu) -> None:
    answer = local_coviu.api(login=False).get("/healthz")

    assert answer.status_code == 200 and answer.json() == {"ok": True}


def test_openapi_document_describes_every_call(local_coviu: LocalCoviu) -> None:
    document = local_coviu.api(login=False).get("/openapi.json").json()

    paths = document["paths"]
    assert set(paths["/v1/sessions"]) == {"get", "post"}
    assert set(paths["/v1/sessions/{session_id}"]) == {"get", "put", "delete"}
    assert set(paths["/v1/sessions/{session_id}/participants"]) == {"get", "post"}
    assert set(paths["/v1/participants/{participant_id}"]) == {"get", "put", "delete"}
    assert "post" in paths["/v1/auth/token"] and "get" in paths["/v1/session"]
    json.dumps(document)  # serialisable as a whole
