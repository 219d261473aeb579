"""Every Block Kit builder's output is something Slack accepts, whatever people type.

Each builder is run with hostile inputs (titles of 245 and 5,000 characters, ``&<>``, mrkdwn
and mentions in titles and names, 50 people on Slack and 50 without) and its output checked
by the Slack stand-in's validator, the same one its Web API refuses messages with.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk import WebClient

from bot.booking import BookingError
from bot.slack import blocks, reminder_blocks
from bot.slackfake import FakeSlack
from bot.slackfake.blockkit import text_content, validate_message, validate_view
from bot.storage import ParticipantRecord, SessionRecord

START = datetime(2030, 3, 20, 4, 0, tzinfo=UTC)  # 3 pm in Sydney (AEDT)
TITLES = {
    "plain": "Physio review",
    "245 chars": "Long " * 49,
    "5000 chars": "x" * 5000,
    "ampersands": "&" * 3000,
    "angle brackets": "Q&A <urgent>",
    "a broadcast": "<!channel> <@U0ALICE> *now*",
}
HOSTILE_NAME = "Pat & <Sam> " + "N" * 300


def session(title: str = "Physio review") -> SessionRecord:
    return SessionRecord(
        "s1", "T0CLINIC", title, START, START + timedelta(minutes=45), "U0ALICE", 10, "booked"
    )


def participant(i: int, *, slack: bool = True, host: bool = False, name: str = "") -> Any:
    return ParticipantRecord(
        f"p{i}",
        "s1",
        "T0CLINIC",
        f"U0P{i:03d}" if slack else None,
        name or f"Person {i}",
        "HOST" if host else "GUEST",
        f"https://coviu.test/session/p{i}-{'k' * 40}",
        "U0ALICE",
        "active",
    )


def cancelled(s: SessionRecord) -> SessionRecord:
    return replace(s, status="cancelled")


def removed(p: ParticipantRecord) -> ParticipantRecord:
    return replace(p, status="removed")


def crowd() -> list[ParticipantRecord]:
    """A host, 50 people on Slack and 50 guests without, with names that need escaping."""
    return [
        participant(0, host=True),
        *(participant(i) for i in range(1, 51)),
        *(participant(i, slack=False, name=f"{HOSTILE_NAME} {i}") for i in range(51, 101)),
    ]


def messages(title: str) -> dict[str, tuple[str, list[dict[str, Any]]]]:
    """Every message builder's (text, blocks) for a session called `title`."""
    s, people = session(title), crowd()
    host, guest = people[0], people[1]
    many = [session(f"{title} {i}") for i in range(60)]
    by_id = {x.session_id: people for x in many}
    return {
        "invite host": blocks.invite(s, host, people),
        "invite guest": blocks.invite(s, guest, people, tz="Australia/Sydney"),
        "reminder": reminder_blocks.reminder(s, guest),
        "cancelled": blocks.changed(s, guest, "cancelled", "U0ALICE"),
        "rescheduled": blocks.changed(s, guest, "rescheduled", "U0ALICE"),
        "removed": blocks.changed(s, guest, "removed", "U0ALICE"),
        "moved": blocks.moved(s),
        "booked": blocks.booked(s, people, undelivered=people[1:51]),
        "list": ("", blocks.session_list(many, by_id, host.slack_user or "")),
        "picker": (
            "",
            blocks.pick_session(
                "Which one?",
                many,
                "reschedule_to",
                "move",
                {"people": [p.slack_user for p in people[1:51]]},
            ),
        ),
        "error": ("", blocks.error(title)),
        "invite, cancelled": blocks.invite(cancelled(s), guest, people),
        "reminder, removed": reminder_blocks.reminder(s, removed(guest)),
        "reminder, snoozed": reminder_blocks.reminder(s, guest, lead=1440, snoozed_until=START),
        "starting now": reminder_blocks.starting_now(s, guest),
        "morning list": reminder_blocks.morning_list(many, {x.session_id: guest for x in many}),
        "booked, cancelled": blocks.booked(cancelled(s), people),
        "copy link": ("", [{"type": "actions", "elements": [blocks.copy_link_button(people[60])]}]),
    }


def views(title: str) -> dict[str, dict[str, Any]]:
    s, people = session(title), crowd()
    many = [session(f"{title} {i}") for i in range(60)]
    return {
        "booking form": blocks.booking_modal(
            title=title,
            start=START,
            external=[p.display_name for p in people[51:]],
            note="Check the time.",
        ),
        "reschedule form": blocks.reschedule_modal(s, {"channel": "C0GENERAL"}),
        "add person form": blocks.add_person_modal(s, {}),
        "result": blocks.result_modal(f"Booked {title}", blocks.booked(s, people)[1][:-1]),
        "guest link": blocks.link_modal(s, people[60]),
        "home": blocks.home(many, {x.session_id: people for x in many}, "U0P000"),
        "home with reminder settings": {
            **(home := blocks.home(many, {x.session_id: people for x in many}, "U0P000")),
            "blocks": home["blocks"][:-1]
            + reminder_blocks.settings_blocks((1440, 60, 7), 10, "07:30")
            + home["blocks"][-1:],
        },
        "booking form, with reminders": blocks.booking_modal(title=title, reminders=(1440, 7)),
        "booking form, no reminder": blocks.booking_modal(title=title, reminders=()),
    }


@pytest.mark.parametrize("title", TITLES.values(), ids=TITLES.keys())
def test_every_message_fits_slacks_limits(title: str) -> None:
    for name, (_, built) in messages(title).items():
        assert validate_message(built) == [], name


@pytest.mark.parametrize("title", TITLES.values(), ids=TITLES.keys())
def test_every_modal_and_the_home_fit_slacks_limits(title: str) -> None:
    for name, view in views(title).items():
        assert validate_view(view) == [], name


def test_the_stand_in_accepts_every_message_and_view_over_http() -> None:
    title = TITLES["245 chars"] + "Q&A <urgent>"
    with FakeSlack(bot_token="xoxb-test") as slack:
        client = WebClient("xoxb-test", base_url=slack.api_url)
        for name, (text, built) in messages(title).items():
            client.chat_postMessage(channel="U0ALICE", text=text or name, blocks=built)
        for view in views(title).values():
            if view["type"] == "home":
                client.views_publish(user_id="U0ALICE", view=view)
            else:
                client.views_open(trigger_id=slack.new_trigger_id("U0ALICE"), view=view)
        assert all(call.ok for call in slack.calls)


def test_a_long_title_keeps_the_cancel_dialog_within_300_characters() -> None:
    title = "Quarterly multidisciplinary review " * 8  # 280 characters

    button = blocks.cancel_button(session(title))

    dialog = button["confirm"]["text"]["text"]
    assert len(dialog) <= 300
    assert dialog.startswith("“Quarterly multidisciplinary review")
    assert "…”" in dialog and dialog.endswith("This can't be undone.")


@pytest.mark.parametrize(
    "name", ["invite host", "reminder", "cancelled", "rescheduled", "removed", "moved", "booked"]
)
def test_a_title_is_ellipsised_but_the_time_and_what_to_do_stay(name: str) -> None:
    text, _ = messages("x" * 5000)[name]

    assert "x…" in text
    assert f"<!date^{int(START.timestamp())}^" in text
    assert len(text) < 1000
    assert re.search(r"(Join|link|nothing to join|Everyone was told)", text)


@pytest.mark.parametrize(
    "name", ["invite host", "reminder", "cancelled", "rescheduled", "removed", "moved", "booked"]
)
def test_every_messages_text_says_what_when_and_what_to_do(name: str) -> None:
    text, _ = messages("Physio review")[name]

    assert "“Physio review”" in text
    assert f"<!date^{int(START.timestamp())}^" in text
    # What to do, in words a notification can carry.
    assert any(
        words in text
        for words in (
            "Press Join",
            "Join link stays",
            "no longer works",
            "nothing to join",
            "Everyone was told",
            "Join link by DM",
        )
    )


def test_a_readers_zone_gives_a_local_fallback_instead_of_utc() -> None:
    s, guest = session(), participant(1)

    sydney = reminder_blocks.reminder(s, guest, tz="Australia/Sydney")[0]
    unknown = reminder_blocks.reminder(s, guest)[0]
    invited = blocks.invite(s, guest, [guest], tz="Europe/London")[0]
    moved = blocks.moved(s, tz="America/New_York")[0]

    assert "|Wed 20 Mar 2030, 3:00 PM AEDT>" in sydney
    assert "|Wed 20 Mar 2030, 4:00 AM UTC>" in unknown
    assert "|Wed 20 Mar 2030, 4:00 AM GMT>" in invited
    assert "|Wed 20 Mar 2030, 12:00 AM EDT>" in moved


def test_what_people_type_shows_as_typed_in_mrkdwn() -> None:
    s = session("Q&A <urgent>")
    pat = participant(9, slack=False, name="Pat & <Sam>")

    text, built = blocks.booked(s, [participant(0, host=True), pat])

    assert "“Q&amp;A &lt;urgent&gt;”" in text
    shown = text_content("", built)
    assert "Q&amp;A &lt;urgent&gt;" in shown and "Pat &amp; &lt;Sam&gt;" in shown
    assert "<urgent>" not in shown and "<Sam>" not in shown
    # plain_text is shown literally by Slack: the form keeps the title as typed.
    form = blocks.booking_modal(title="Q&A <urgent>")
    assert form["blocks"][0]["element"]["initial_value"] == "Q&A <urgent>"


def test_a_title_cannot_ping_a_channel_or_mention_anyone() -> None:
    for name, (text, built) in messages(TITLES["a broadcast"]).items():
        if name == "error":
            continue  # its message is the app's own words: callers escape what they quote
        everything = text + "\n" + text_content("", built)
        assert "<!channel>" not in everything, name
        assert "<@U0ALICE> *now*" not in everything, name


def test_a_picker_button_too_big_for_slack_is_refused_as_a_booking_error() -> None:
    names = [f"Guest with a long name number {i:04d}" for i in range(60)]

    with pytest.raises(BookingError, match="fewer people") as refused:
        blocks.pick_session("Which one?", [session()], "add_to", "add", {"people": names})

    assert isinstance(refused.value, blocks.TooBig)
    # 50 Slack ids fit easily.
    picker = blocks.pick_session(
        "Which one?", [session()], "add_to", "add", {"people": [f"U0P{i:03d}" for i in range(50)]}
    )
    value = json.loads(picker[1]["accessory"]["value"])
    assert value["session_id"] == "s1" and len(value["people"]) == 50


def test_fifty_guests_without_slack_all_get_their_link_in_one_message() -> None:
    people = crowd()

    _, built = blocks.booked(session(), people)

    shown = text_content("", built)
    assert len(built) <= 50
    for guest in people[51:]:
        assert shown.count(guest.entry_url) == 1


def test_a_long_list_of_people_is_counted_not_cut_mid_name() -> None:
    people = crowd()

    summary = blocks.session_summary(session(), people)["text"]["text"]

    assert len(summary) <= 3000
    assert re.search(r" and \d+ more$", summary)


def test_a_result_modal_title_is_ellipsised_to_24() -> None:
    view = blocks.result_modal("Booked Quarterly multidisciplinary review", [])

    assert view["title"]["text"] == "Booked Quarterly multid…"


def test_the_old_call_signatures_still_work() -> None:
    s, host = session(), participant(0, host=True)

    assert blocks.invite(s, host, [host])[0]
    assert reminder_blocks.reminder(s, host)[0]
    assert blocks.changed(s, host, "cancelled", "U0ALICE")[0]
    assert blocks.moved(s)[0]
    assert blocks.booked(s, [host])[0]
    assert blocks.booked(s, [host], [host])[0]
    assert blocks.session_list([s], {"s1": [host]}, "U0P000")
    assert blocks.pick_session("Which?", [s], "x", "move")
    assert blocks.reschedule_modal(s, {})["callback_id"] == "reschedule"
    assert blocks.add_person_modal(s, {})["callback_id"] == "add_person"
    assert blocks.home([s], {"s1": [host]}, "U0P000")["type"] == "home"


def test_a_cancelled_sessions_messages_say_so_and_lose_their_buttons() -> None:
    s, host, guest = cancelled(session()), participant(0, host=True), participant(1)

    for text, built in (
        blocks.invite(s, host, [host, guest]),
        blocks.invite(s, guest, [host, guest], tz="Australia/Sydney"),
        reminder_blocks.reminder(s, guest),
        blocks.booked(s, [host, guest]),
    ):
        assert "“Physio review”" in text and "was cancelled" in text
        assert f"<!date^{int(START.timestamp())}^" in text
        assert not any(b["type"] == "actions" or "accessory" in b for b in built)
        assert "https://coviu.test/" not in text_content(text, built)


def test_a_removed_participants_invitation_loses_its_join_button() -> None:
    s, guest = session(), removed(participant(1))

    text, built = blocks.invite(s, guest, [guest])

    assert "no longer in “Physio review”" in text
    assert all(b["type"] != "actions" for b in built)


def test_a_moved_session_rerenders_the_invitation_with_the_new_time() -> None:
    s, guest = session(), participant(1)
    later = replace(s, start=s.start + timedelta(days=1), end=s.end + timedelta(days=1))

    before, after = blocks.invite(s, guest, [guest])[0], blocks.invite(later, guest, [guest])[0]

    assert f"<!date^{int(later.start.timestamp())}^" in after
    assert f"<!date^{int(s.start.timestamp())}^" not in after
    assert before != after


def test_the_list_text_names_the_next_session_and_when() -> None:
    text = blocks.session_list_text([session("Q&A <urgent>"), session()], tz="Europe/London")

    assert text.startswith("You have 2 upcoming sessions; the next is “Q&amp;A &lt;urgent&gt;”")
    assert "|Wed 20 Mar 2030, 4:00 AM GMT>" in text


def test_a_guests_link_can_be_shown_again_in_a_modal() -> None:
    pat = participant(7, slack=False, name="Pat & <Sam>")

    button = blocks.copy_link_button(pat)
    view = blocks.link_modal(session(), pat)

    assert button["text"]["text"] == "Copy link for Pat & <Sam>"
    # The value names the guest without their participant id (their link's secret).
    assert "p7" not in button["value"]
    assert json.loads(button["value"])["guest"] == blocks.guest_digest("p7")
    assert pat.entry_url in text_content("", view["blocks"])
    assert "Pat &amp; &lt;Sam&gt;" in text_content("", view["blocks"])
    assert validate_view(view) == []


def test_a_form_whose_metadata_slack_would_refuse_is_a_booking_error() -> None:
    with pytest.raises(blocks.TooBig):
        blocks.booking_modal(metadata={"text": "x" * 3000})

    assert validate_view(blocks.booking_modal(metadata={"text": "x" * 2900})) == []
