"""*Add to calendar*: each person's private .ics file, and Google and Outlook links.

The files are fetched over HTTP from the app's web server, as a calendar would, and read with
`icalendar`; the clock is frozen (Monday 18 March 2030, 20:00 in Sydney).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import icalendar
import pytest
import requests
from conftest import ALICE, BOB

pytestmark = pytest.mark.both_databases

SYDNEY = ZoneInfo("Australia/Sydney")


def button(message, action_id: str):
    [found] = [b for b in message.buttons() if b.action_id == action_id]
    return found


def fetch(url: str) -> icalendar.Calendar:
    answer = requests.get(url, timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/calendar")
    assert "no-store" in answer.headers["cache-control"]
    return icalendar.Calendar.from_ical(answer.content)


def events(calendar: icalendar.Calendar) -> list:
    return list(calendar.walk("VEVENT"))


def book_physio(bot) -> None:
    bot.command(ALICE, 'book "Physio review" with @bob tomorrow 3pm for 45 min')


def test_each_invitation_has_its_readers_own_calendar_file(bot, slack):
    book_physio(bot)
    bob_dm, alice_dm = slack.dms(BOB)[-1], slack.dms(ALICE)[-1]
    bob_url = button(bob_dm, "calendar_ics").url
    alice_url = button(alice_dm, "calendar_ics").url
    assert bob_url != alice_url

    bob_file = fetch(bob_url)
    assert bob_file["METHOD"] == "PUBLISH"
    assert bob_file.decoded("REFRESH-INTERVAL") == timedelta(hours=1)
    [event] = events(bob_file)
    assert str(event["SUMMARY"]) == "Physio review"
    assert event.decoded("DTSTART") == datetime(2030, 3, 19, 15, tzinfo=SYDNEY)
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=45)
    assert event["STATUS"] == "CONFIRMED" and event["SEQUENCE"] == 0
    # Bob's file holds Bob's Join link, and nobody else's.
    bob_join = button(bob_dm, "join").url
    alice_join = button(alice_dm, "join").url
    assert bob_join in bob_file.to_ical().decode().replace("\r\n ", "")
    assert alice_join not in bob_file.to_ical().decode().replace("\r\n ", "")
    [alice_event] = events(fetch(alice_url))
    assert alice_event["UID"] == event["UID"]  # one session, one UID, in everyone's file


def test_a_reschedule_and_a_cancel_raise_the_sequence_and_keep_the_uid(bot, slack):
    book_physio(bot)
    url = button(slack.dms(BOB)[-1], "calendar_ics").url
    [before] = events(fetch(url))

    bot.command(ALICE, 'reschedule "Physio review" friday 4pm')
    [moved] = events(fetch(url))
    assert moved["UID"] == before["UID"]
    assert moved["SEQUENCE"] > before["SEQUENCE"]
    assert moved.decoded("DTSTART") == datetime(2030, 3, 22, 16, tzinfo=SYDNEY)

    session = bot.services.booking.upcoming("T0CLINIC", ALICE)[0]
    bot.services.booking.cancel(session.session_id, "T0CLINIC", ALICE)
    [cancelled] = events(fetch(url))
    assert cancelled["UID"] == before["UID"]
    assert cancelled["SEQUENCE"] > moved["SEQUENCE"]
    assert cancelled["STATUS"] == "CANCELLED"
    assert "URL" not in cancelled and "DESCRIPTION" not in cancelled  # no Join link left


def test_someone_removed_finds_the_session_cancelled_in_their_file(bot, slack):
    book_physio(bot)
    url = button(slack.dms(BOB)[-1], "calendar_ics").url

    bot.command(ALICE, "remove @bob")

    [event] = events(fetch(url))
    assert event["STATUS"] == "CANCELLED" and event["SEQUENCE"] >= 1


def test_a_wrong_or_someone_elses_token_finds_nothing(bot, slack):
    book_physio(bot)
    url = button(slack.dms(BOB)[-1], "calendar_ics").url
    alice_url = button(slack.dms(ALICE)[-1], "calendar_ics").url
    head, token = url.rsplit("/", 1)
    alice_token = alice_url.rsplit("/", 1)[1]

    for wrong in (
        f"{head}/{'A' * 32}.ics",
        f"{head}/{alice_token}",  # Alice's token on Bob's path
        url.replace(BOB, ALICE).rsplit("/", 1)[0] + "/" + token,  # Bob's token on Alice's path
        url[: -len(".ics")],
        url.rsplit("/", 2)[0] + "/session-nope/" + token,
        url + "/more",
    ):
        answer = requests.get(wrong, timeout=10)
        assert answer.status_code == 404, wrong
        assert "BEGIN:VCALENDAR" not in answer.text
    assert requests.post(url, timeout=10).status_code == 404


def test_google_and_outlook_links_add_the_session(bot, slack):
    book_physio(bot)
    dm = slack.dms(BOB)[-1]

    google = parse_qs(urlsplit(button(dm, "calendar_google").url).query)
    assert google["action"] == ["TEMPLATE"] and google["text"] == ["Physio review"]
    assert google["dates"] == ["20300319T040000Z/20300319T044500Z"]
    assert button(dm, "join").url in google["details"][0]
    outlook = urlsplit(button(dm, "calendar_outlook").url)
    assert outlook.netloc == "outlook.live.com"
    query = parse_qs(outlook.query)
    assert query["subject"] == ["Physio review"]
    assert datetime.fromisoformat(query["startdt"][0]) == datetime(2030, 3, 19, 4, tzinfo=UTC)


def test_a_series_file_holds_every_session_at_3pm_sydney_and_follows_a_cut(bot, slack):
    bot.command(ALICE, 'book "Physio review" with @bob every tuesday 3pm for 6 weeks')
    dm = slack.dms(BOB)[-1]
    url = button(dm, "calendar_ics").url

    found = events(fetch(url))
    assert len({e["UID"] for e in found}) == 6
    starts = sorted(e.decoded("DTSTART").astimezone(SYDNEY) for e in found)
    assert {(s.hour, s.minute) for s in starts} == {(15, 0)}
    google = parse_qs(urlsplit(button(dm, "calendar_google").url).query)
    assert google["recur"] == ["RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=TU;COUNT=6"]
    assert google["ctz"] == ["Australia/Sydney"]

    bot.command(ALICE, 'cancel "Physio review"')
    fourth = sorted(
        bot.services.booking.upcoming("T0CLINIC", ALICE), key=lambda s: s.start
    )[3]
    bot.click(ALICE, bot.last_reply(ALICE), "cancel_following", fourth.session_id)

    statuses = [
        str(e["STATUS"])
        for e in sorted(events(fetch(url)), key=lambda e: e.decoded("DTSTART"))
    ]
    assert statuses == ["CONFIRMED"] * 3 + ["CANCELLED"] * 3


def test_without_a_web_server_invitations_offer_only_google_and_outlook(bot, slack):
    bot.services.calendar.base_url = None  # as `coviu-slack socket` runs without a public URL

    book_physio(bot)

    links = {b.action_id for b in slack.dms(BOB)[-1].buttons()}
    assert "calendar_ics" not in links
    assert {"calendar_google", "calendar_outlook"} <= links
