"""Entry links over HTTP: the page, the let-in rule, refusals and the session summary.

Each test is one rule of ``bot/coviu/server/entry.py``, read off its name. The page's script is
driven here by hand (``POST …/enter``, ``GET …/state``, …) exactly as the browser drives it;
``test_entry_browser.py`` does the same in Chromium. Times move on the server's clock only.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

pytest.register_assert_rewrite("coviu_fixtures", "entry_fixtures")

import requests  # noqa: E402
from coviu_fixtures import Api, FakeClock, LocalCoviu, error_of  # noqa: E402
from entry_fixtures import Booking, book  # noqa: E402

from bot.coviu.server.entry import EARLY_OPEN, PRESENCE_TIMEOUT  # noqa: E402

pytest_plugins = ["coviu_fixtures", "entry_fixtures"]


# -- helpers ---------------------------------------------------------------------------------------


def page(participant: dict[str, Any]) -> requests.Response:
    return requests.get(participant["entry_url"])


def call(participant: dict[str, Any], action: str, **body: str) -> requests.Response:
    """One of the page's JSON calls: enter, state, admit, remove, leave."""
    url = f"{participant['entry_url']}/{action}"
    if action == "state":
        return requests.get(url)
    return requests.post(url, json=body or None)


def ok(answer: requests.Response) -> dict[str, Any]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["Cache-Control"] == "no-store"
    return answer.json()


def enter(participant: dict[str, Any]) -> dict[str, Any]:
    return ok(call(participant, "enter"))


def state(participant: dict[str, Any]) -> dict[str, Any]:
    return ok(call(participant, "state"))


def waiting_token(host: dict[str, Any], name: str) -> str:
    matches = [p["token"] for p in state(host)["waiting"] if p["display_name"] == name]
    assert len(matches) == 1, state(host)
    return matches[0]


def summary(api: Api, booking: Booking) -> dict[str, Any]:
    answer = api.get(f"/v1/sessions/{booking.session_id}/summary")
    assert answer.status_code == 200, answer.text
    return answer.json()


def line_of(summary_body: dict[str, Any], participant: dict[str, Any]) -> dict[str, Any]:
    (line,) = [
        p
        for p in summary_body["participants"]
        if p["participant_id"] == participant["participant_id"]
    ]
    return line


def events_of(summary_body: dict[str, Any], participant: dict[str, Any]) -> list[tuple[str, ...]]:
    return [(e["event"], e["reason"] or "") for e in line_of(summary_body, participant)["events"]]


# -- the page --------------------------------------------------------------------------------------


def test_page_greets_by_name_and_shows_session_time_and_pictures(entry_clinic: Api) -> None:
    booking = book(entry_clinic, picture="https://pics.test/room.png")
    answer = page(booking.host)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/html")
    html = answer.text
    assert "Hello, Dr. Who" in html
    assert "Physio review" in html
    assert "You are joining as the host." in html
    # Start 04:05 UTC (the clock is at 04:00): an ISO instant for the script, UTC as fallback.
    assert '<time datetime="2016-06-08T04:05:00Z" data-local="datetime">' in html
    assert "Wed, 8 Jun 2016, 04:05 UTC" in html
    assert '<time datetime="2016-06-08T04:35:00Z" data-local="time">04:35 UTC</time>' in html
    assert 'src="https://pics.test/who.png"' in html
    assert 'src="https://pics.test/room.png"' in html
    assert "Session links open 10 minutes before the start time." in html


def test_page_is_small_accessible_and_fits_a_phone(entry_clinic: Api) -> None:
    html = page(book(entry_clinic).guest).text
    assert '<html lang="en">' in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert '<main id="main"' in html and "<header" in html and "<footer" in html
    assert 'role="status" aria-live="polite"' in html
    assert '<button id="leave" type="button"' in html
    assert "Hello, Sam Patient" in html
    assert "You are joining as a guest." in html
    # No picture given: initials, hidden from screen readers (the name is right beside them).
    assert '<span class="avatar initials" aria-hidden="true">SP</span>' in html
    assert "<noscript>" in html
    assert len(html) < 6000


def test_page_headers_keep_the_link_private(entry_clinic: Api) -> None:
    headers = page(book(entry_clinic).guest).headers
    # The URL is the participant's secret: never sent on as a Referer (e.g. to avatar hosts).
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"
    assert headers["X-Robots-Tag"].startswith("noindex")
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp


def test_page_escapes_names_and_drops_non_http_pictures(entry_clinic: Api) -> None:
    session = entry_clinic.create_session(
        starts_in=timedelta(minutes=5),
        session_name="<i>Review</i>",
        participants=[
            {"display_name": "<script>alert(1)</script>", "role": "host",
             "picture": "javascript:alert(2)"},
        ],
    )  # fmt: skip
    html = page(session["participants"][0]).text
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<i>Review</i>" not in html and "&lt;i&gt;Review&lt;/i&gt;" in html
    assert "javascript:" not in html


def test_page_without_a_display_name_greets_by_role(entry_clinic: Api) -> None:
    session = entry_clinic.create_session(
        starts_in=timedelta(minutes=5), participants=[{"role": "guest"}]
    )
    assert "Hello, Guest" in page(session["participants"][0]).text


def test_page_assets_are_served_from_the_package(entry_coviu: LocalCoviu) -> None:
    js = requests.get(f"{entry_coviu.url}/session-assets/entry.js")
    css = requests.get(f"{entry_coviu.url}/session-assets/entry.css")
    assert js.status_code == 200 and js.headers["Content-Type"].startswith("text/javascript")
    assert css.status_code == 200 and css.headers["Content-Type"].startswith("text/css")
    assert "localiseTimes" in js.text and "main.entry" in js.text
    assert requests.get(f"{entry_coviu.url}/session-assets/other.js").status_code == 404


def test_opening_the_page_records_nothing(entry_clinic: Api) -> None:
    # A link preview or a prefetch must not put anyone in the waiting room.
    booking = book(entry_clinic)
    assert page(booking.guest).status_code == 200
    assert page(booking.host).status_code == 200
    body = summary(entry_clinic, booking)
    assert body["events"] == []
    assert {p["status"] for p in body["participants"]} == {"never_entered"}


# -- the let-in rule -------------------------------------------------------------------------------


def test_host_enters_directly(entry_clinic: Api) -> None:
    booking = book(entry_clinic)
    answer = enter(booking.host)
    assert answer["status"] == "in"
    assert answer["message"] == "You're in the session."
    assert answer["people"] == [
        {"display_name": "Dr. Who", "role": "HOST", "picture": "https://pics.test/who.png",
         "you": True},
    ]  # fmt: skip


def test_guest_waits_until_a_host_arrives(entry_clinic: Api) -> None:
    booking = book(entry_clinic)
    answer = enter(booking.guest)
    assert answer["status"] == "waiting"
    assert answer["host_in"] is False
    assert "will let you in when they arrive" in answer["message"]
    # Who is in the call is for those in it.
    assert answer["people"] == [] and answer["waiting"] == []

    enter(booking.host)
    later = state(booking.guest)
    assert later["status"] == "waiting" and later["host_in"] is True
    assert "knows you're here" in later["message"]


def test_host_sees_who_waits_and_lets_them_in(entry_clinic: Api) -> None:
    booking = book(entry_clinic)
    enter(booking.host)
    enter(booking.guest)
    waiting = state(booking.host)["waiting"]
    assert [(p["display_name"], p["role"], p["since"]) for p in waiting] == [
        ("Sam Patient", "GUEST", "2016-06-08T04:00:00Z")
    ]
    admitted = ok(call(booking.host, "admit", token=waiting[0]["token"]))
    assert admitted["waiting"] == []
    assert [p["display_name"] for p in admitted["people"]] == ["Dr. Who", "Sam Patient"]

    guest = state(booking.guest)
    assert guest["status"] == "in"
    assert guest["message"] == "You're in the session. Your host let you in."
    assert [(p["display_name"], p["you"]) for p in guest["people"]] == [
        ("Dr. Who", False),
        ("Sam Patient", True),
    ]
    # Guests never get tokens: they cannot act on anyone.
    assert all("token" not in p for p in guest["people"])


def test_only_a_host_can_let_people_in(entry_clinic: Api) -> None:
    booking = book(entry_clinic, more_guests=1)
    enter(booking.host)
    enter(booking.guest)
    enter(booking.others[0])
    token = waiting_token(booking.host, "Guest 0")
    answer = call(booking.guest, "admit", token=token)
    assert answer.status_code == 403
    assert error_of(answer)["code"] == "not_a_host"
    assert state(booking.others[0])["status"] == "waiting"


def test_a_host_must_be_in_to_let_people_in(entry_clinic: Api) -> None:
    booking = book(entry_clinic)
    enter(booking.host)
    enter(booking.guest)
    token = waiting_token(booking.host, "Sam Patient")
    ok(call(booking.host, "leave"))
    answer = call(booking.host, "admit", token=token)
    assert answer.status_code == 409
    assert error_of(answer)["code"] == "not_in_session"
    # A host who left no longer counts for the waiting guest either.
    assert state(booking.guest)["host_in"] is False


def test_admitting_by_a_wrong_or_used_token_is_refused(entry_clinic: Api) -> None:
    booking = book(entry_clinic)
    other = book(entry_clinic)
    enter(booking.host)
    enter(booking.guest)
    enter(other.guest)
    enter(other.host)
    token = waiting_token(booking.host, "Sam Patient")
    assert call(booking.host, "admit", token="nope").status_code == 404
    # Another session's guest is not this host's to let in.
    foreign = waiting_token(other.host, "Sam Patient")
    assert error_of(call(booking.host, "admit", token=foreign))["code"] == "unknown_token"
    ok(call(booking.host, "admit", token=token))
    again = call(booking.host, "admit", token=token)
    assert again.status_code == 409 and error_of(again)["code"] == "not_waiting"
    assert call(booking.host, "admit").status_code == 400  # no token at all


def test_host_removes_a_waiting_guest(entry_clinic: Api) -> None:
    booking = book(entry_clinic)
    enter(booking.host)
    enter(booking.guest)
    token = waiting_token(booking.host, "Sam Patient")
    assert ok(call(booking.host, "remove", token=token))["waiting"] == []
    removed = state(booking.guest)
    assert removed["status"] == "removed"
    assert removed["message"] == "A host removed you from the session."


def test_host_removes_a_guest_who_is_in(entry_clinic: Api) -> None:
    booking = book(entry_clinic)
    enter(booking.host)
    enter(booking.guest)
    token = waiting_token(booking.host, "Sam Patient")
    ok(call(booking.host, "admit", token=token))
    in_call = state(booking.host)["people"]
    assert [p.get("token") for p in in_call] == [None, token]  # only guests can be removed
    after = ok(call(booking.host, "remove", token=token))
    assert [p["display_name"] for p in after["people"]] == ["Dr. Who"]
    assert state(booking.guest)["status"] == "removed"
    again = call(booking.host, "remove", token=token)
    assert again.status_code == 409 and error_of(again)["code"] == "not_present"


def test_a_removed_guest_who_comes_back_waits_again_under_a_new_token(entry_clinic: Api) -> None:
    booking = book(entry_clinic)
    enter(booking.host)
    enter(booking.guest)
    first = waiting_token(booking.host, "Sam Patient")
    ok(call(booking.host, "remove", token=first))
    assert enter(booking.guest)["status"] == "waiting"
    second = waiting_token(booking.host, "Sam Patient")
    assert second != first
    # A click on the old row cannot let the new visit in.
    stale = call(booking.host, "admit", token=first)
    assert stale.status_code == 404 and error_of(stale)["code"] == "unknown_token"
    ok(call(booking.host, "admit", token=second))
    assert state(booking.guest)["status"] == "in"


def test_reopening_the_page_keeps_ones_place(entry_clinic: Api) -> None:
    booking = book(entry_clinic)
    enter(booking.host)
    enter(booking.guest)
    ok(call(booking.host, "admit", token=waiting_token(booking.host, "Sam Patient")))
    assert enter(booking.guest)["status"] == "in"  # a reload does not send them back to wait
    assert events_of(summary(entry_clinic, booking), booking.guest) == [
        ("entered", ""),
        ("admitted", ""),
    ]


def test_leaving_records_one_exit(entry_clinic: Api) -> None:
    booking = book(entry_clinic)
    enter(booking.guest)
    first = ok(call(booking.guest, "leave"))
    assert first["status"] == "left" and first["message"] == "You left the session."
    ok(call(booking.guest, "leave"))
    assert events_of(summary(entry_clinic, booking), booking.guest) == [
        ("entered", ""),
        ("left", "left"),
    ]
    assert state(booking.guest)["status"] == "left"  # polling does not bring one back


def test_a_guest_made_host_while_waiting_is_in(entry_clinic: Api) -> None:
    booking = book(entry_clinic)
    enter(booking.guest)
    answer = entry_clinic.put(
        f"/v1/participants/{booking.guest['participant_id']}", json={"role": "host"}
    )
    assert answer.status_code == 200
    assert state(booking.guest)["status"] == "in"


def test_silence_counts_as_leaving(entry_clinic: Api, coviu_clock: FakeClock) -> None:
    booking = book(entry_clinic, length=timedelta(hours=1))
    enter(booking.host)
    enter(booking.guest)
    coviu_clock.advance(seconds=PRESENCE_TIMEOUT.total_seconds() - 1)
    assert state(booking.host)["waiting"] != []
    coviu_clock.advance(seconds=2)  # the guest's tab has said nothing for too long
    assert state(booking.host)["waiting"] == []
    body = summary(entry_clinic, booking)
    assert events_of(body, booking.guest) == [("entered", ""), ("left", "timed_out")]
    assert line_of(body, booking.guest)["left_time"] == "Wed, 08 Jun 2016 04:00:00 GMT"
    # The page, when it wakes, is told so and enters again (the script does it by itself).
    assert state(booking.guest)["status"] == "timed_out"
    assert enter(booking.guest)["status"] == "waiting"


# -- refusals --------------------------------------------------------------------------------------


def refused(answer: requests.Response, status: int, heading: str) -> str:
    assert answer.status_code == status, answer.text[:300]
    assert answer.headers["Content-Type"].startswith("text/html")
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    html = answer.text
    assert f'<h1 id="refusal-heading">{heading}</h1>' in html
    assert 'role="status"' in html
    return html


def test_unknown_link_is_404(entry_coviu: LocalCoviu) -> None:
    link = {"entry_url": f"{entry_coviu.url}/session/no-such-participant"}
    html = refused(page(link), 404, "Link not found")
    assert "does not lead to any session" in html
    for action in ("enter", "state", "leave"):
        assert error_of(call(link, action))["code"] == "unknown_link"


def test_cancelled_participant_is_410_and_learns_nothing_of_the_session(entry_clinic: Api) -> None:
    booking = book(entry_clinic)
    assert (
        entry_clinic.delete(f"/v1/participants/{booking.guest['participant_id']}").status_code
        == 200
    )
    html = refused(page(booking.guest), 410, "Link cancelled")
    assert "no longer lets anyone in" in html
    assert "Physio review" not in html and "Sam Patient" not in html
    assert call(booking.guest, "enter").status_code == 410
    assert page(booking.host).status_code == 200  # the others still enter


def test_cancelled_session_is_410(entry_clinic: Api) -> None:
    booking = book(entry_clinic)
    assert entry_clinic.delete(f"/v1/sessions/{booking.session_id}").status_code == 200
    for participant in (booking.host, booking.guest):
        html = refused(page(participant), 410, "Session cancelled")
        assert "was cancelled" in html
        assert error_of(call(participant, "enter"))["code"] == "session_cancelled"


def test_ended_session_is_410(entry_clinic: Api, coviu_clock: FakeClock) -> None:
    booking = book(entry_clinic)
    coviu_clock.advance(minutes=35)  # 04:35, the end
    html = refused(page(booking.host), 410, "Session ended")
    assert "has ended" in html and "Physio review" in html
    assert error_of(call(booking.guest, "enter"))["code"] == "session_ended"


def test_before_opening_the_page_says_when_it_opens(
    entry_clinic: Api, coviu_clock: FakeClock
) -> None:
    assert timedelta(minutes=10) == EARLY_OPEN
    booking = book(entry_clinic, starts_in=timedelta(hours=1))  # 05:00; opens 04:50; now 04:00
    answer = page(booking.guest)
    html = refused(answer, 403, "Not open yet")
    assert answer.headers["Retry-After"] == str(50 * 60)
    assert "Hello, Sam Patient" in html
    assert "It opens 10 minutes before" in html
    assert '<time datetime="2016-06-08T04:50:00Z" data-local="datetime">' in html
    assert "Wed, 8 Jun 2016, 04:50 UTC" in html
    # Within the hour the page reloads itself when the door opens; no script needed.
    assert '<meta http-equiv="refresh" content="3000">' in html
    assert error_of(call(booking.guest, "enter"))["code"] == "not_open_yet"

    coviu_clock.advance(minutes=50, seconds=-1)
    assert page(booking.guest).status_code == 403
    coviu_clock.advance(seconds=1)
    assert page(booking.guest).status_code == 200
    assert enter(booking.guest)["status"] == "waiting"


def test_a_link_opened_days_early_does_not_reload_itself(entry_clinic: Api) -> None:
    booking = book(entry_clinic, starts_in=timedelta(days=2))
    html = refused(page(booking.host), 403, "Not open yet")
    assert "http-equiv" not in html
    assert "come back then." in html


def test_the_end_closes_everyones_presence(entry_clinic: Api, coviu_clock: FakeClock) -> None:
    booking = book(entry_clinic, starts_in=timedelta(minutes=1), length=timedelta(minutes=2))
    enter(booking.host)  # 04:00; the session runs 04:01 to 04:03
    enter(booking.guest)
    coviu_clock.advance(minutes=2)
    state(booking.host)  # the host's page is heard at 04:02; the guest's tab went quiet at 04:00
    coviu_clock.advance(minutes=10)
    gone = call(booking.host, "state")
    assert gone.status_code == 410 and error_of(gone)["code"] == "session_ended"
    body = summary(entry_clinic, booking)
    # Still there at the end: left at the end. Silent for long before it: left when last heard.
    assert line_of(body, booking.host)["left_time"] == "Wed, 08 Jun 2016 04:03:00 GMT"
    assert events_of(body, booking.host)[-1] == ("left", "session_ended")
    assert line_of(body, booking.guest)["left_time"] == "Wed, 08 Jun 2016 04:00:00 GMT"
    assert events_of(body, booking.guest)[-1] == ("left", "timed_out")


def test_a_participant_cancelled_while_waiting_is_let_go(entry_clinic: Api) -> None:
    booking = book(entry_clinic)
    enter(booking.host)
    enter(booking.guest)
    entry_clinic.delete(f"/v1/participants/{booking.guest['participant_id']}")
    assert state(booking.host)["waiting"] == []
    assert error_of(call(booking.guest, "state"))["code"] == "participant_cancelled"
    assert events_of(summary(entry_clinic, booking), booking.guest)[-1] == (
        "left",
        "participant_cancelled",
    )


# -- the summary -----------------------------------------------------------------------------------


def test_summary_says_when_each_participant_entered_and_left(
    entry_clinic: Api, coviu_clock: FakeClock
) -> None:
    booking = book(entry_clinic, more_guests=1)
    enter(booking.guest)  # 04:00, waits
    coviu_clock.advance(minutes=1)
    state(booking.guest)  # 04:01, still waiting (the page polls)
    coviu_clock.advance(minutes=1)
    enter(booking.host)  # 04:02
    coviu_clock.advance(minutes=1)
    ok(call(booking.host, "admit", token=waiting_token(booking.host, "Sam Patient")))  # 04:03
    coviu_clock.advance(minutes=1)
    ok(call(booking.guest, "leave"))  # 04:04

    body = summary(entry_clinic, booking)
    assert set(body) == {
        "session_id", "session_name", "start_time", "end_time", "canceled_time",
        "actual_start_time", "actual_end_time", "participants", "events",
    }  # fmt: skip
    # The call began when the host came in; it goes on (the host is still in).
    assert (body["actual_start_time"], body["actual_end_time"]) == (
        "Wed, 08 Jun 2016 04:02:00 GMT", None,
    )  # fmt: skip
    host, guest, absent = (line_of(body, p) for p in booking.everyone)
    assert (host["status"], host["entered_time"], host["joined_time"], host["left_time"]) == (
        "in", "Wed, 08 Jun 2016 04:02:00 GMT", "Wed, 08 Jun 2016 04:02:00 GMT", None,
    )  # fmt: skip
    assert (guest["status"], guest["entered_time"], guest["joined_time"], guest["left_time"]) == (
        "left",
        "Wed, 08 Jun 2016 04:00:00 GMT",
        "Wed, 08 Jun 2016 04:03:00 GMT",
        "Wed, 08 Jun 2016 04:04:00 GMT",
    )
    assert guest["events"][1] == {
        "event": "admitted",
        "time": "Wed, 08 Jun 2016 04:03:00 GMT",
        "by_participant_id": booking.host["participant_id"],
        "reason": None,
    }
    assert (absent["status"], absent["entered_time"], absent["events"]) == (
        "never_entered", None, [],
    )  # fmt: skip
    assert [(e["participant_id"], e["event"]) for e in body["events"]] == [
        (booking.guest["participant_id"], "entered"),
        (booking.host["participant_id"], "entered"),
        (booking.guest["participant_id"], "admitted"),
        (booking.guest["participant_id"], "left"),
    ]


def test_summary_says_when_the_call_really_began_and_ended(
    entry_clinic: Api, coviu_clock: FakeClock
) -> None:
    booking = book(entry_clinic)
    enter(booking.guest)  # 04:00, waiting: the call has not begun
    coviu_clock.advance(minutes=1)
    before = summary(entry_clinic, booking)
    enter(booking.host)  # 04:01: it begins
    ok(call(booking.host, "admit", token=waiting_token(booking.host, "Sam Patient")))
    coviu_clock.advance(minutes=1)
    ok(call(booking.host, "leave"))  # 04:02, the guest is still in
    coviu_clock.advance(minutes=1)
    ok(call(booking.guest, "leave"))  # 04:03: it ends

    after = summary(entry_clinic, booking)

    assert (before["actual_start_time"], before["actual_end_time"]) == (None, None)
    assert (after["actual_start_time"], after["actual_end_time"]) == (
        "Wed, 08 Jun 2016 04:01:00 GMT", "Wed, 08 Jun 2016 04:03:00 GMT",
    )  # fmt: skip


def test_summary_records_removals_by_whom(entry_clinic: Api) -> None:
    booking = book(entry_clinic)
    enter(booking.host)
    enter(booking.guest)
    ok(call(booking.host, "remove", token=waiting_token(booking.host, "Sam Patient")))
    guest = line_of(summary(entry_clinic, booking), booking.guest)
    assert guest["status"] == "removed"
    assert guest["left_time"] == "Wed, 08 Jun 2016 04:00:00 GMT"
    assert guest["events"][-1]["by_participant_id"] == booking.host["participant_id"]


def test_summary_keeps_to_the_team(entry_coviu: LocalCoviu, entry_clinic: Api) -> None:
    booking = book(entry_clinic)
    path = f"/v1/sessions/{booking.session_id}/summary"
    assert entry_coviu.api("bob").get(path).status_code == 200  # same team
    other_team = entry_coviu.api("eve").get(path)
    assert other_team.status_code == 404 and error_of(other_team)["code"] == "not_found"
    assert entry_coviu.api("alice", login=False).get(path).status_code == 401
    assert entry_clinic.get("/v1/sessions/nope/summary").status_code == 404


# -- secrecy ---------------------------------------------------------------------------------------


def test_nobody_is_shown_anothers_link_or_id(entry_clinic: Api, coviu_clock: FakeClock) -> None:
    """Every page and every JSON answer a participant gets, through a whole visit, mentions no
    participant id but their own (an id *is* a link)."""
    booking = book(entry_clinic, more_guests=2)
    received: dict[str, list[str]] = {p["participant_id"]: [] for p in booking.everyone}

    def got(participant: dict[str, Any], answer: requests.Response) -> requests.Response:
        received[participant["participant_id"]].append(answer.text)
        received[participant["participant_id"]].append(repr(dict(answer.headers)))
        return answer

    for participant in booking.everyone:
        got(participant, page(participant))
        got(participant, call(participant, "enter"))
    host, guest, second, _third = booking.everyone
    tokens = {
        p["display_name"]: p["token"] for p in got(host, call(host, "state")).json()["waiting"]
    }
    got(host, call(host, "admit", token=tokens["Sam Patient"]))
    got(host, call(host, "remove", token=tokens["Guest 1"]))
    for participant in booking.everyone:
        got(participant, call(participant, "state"))
    got(second, call(second, "admit", token=tokens["Guest 0"]))  # refused, and says no more
    got(guest, call(guest, "leave"))
    coviu_clock.advance(hours=1)
    for participant in booking.everyone:
        got(participant, page(participant))
        got(participant, call(participant, "state"))

    for participant in booking.everyone:
        mine = participant["participant_id"]
        text = "\n".join(received[mine])
        assert mine in text  # the page's own calls go to its own link
        for other in booking.everyone:
            if other["participant_id"] != mine:
                assert other["participant_id"] not in text, (participant, other)
        assert not re.search(r"participant_id", text)
