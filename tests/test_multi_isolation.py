"""Isolation: a request from one workspace naming another workspace's session, in a button
value, a form's metadata or a command, finds nothing there: "not found", and nothing read or
changed. Every listener that takes a session is tried with a forged id."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import pytest
from conftest import ALICE, BOB
from multi_fixtures import (
    CLINIC,
    CLINIC_KEY,
    CLINIC_SECRET,
    KIWI,
    KIWI_KEY,
    KIWI_SECRET,
    YUSUF,
    ZOE,
)

from bot.slack.blocks import guest_digest
from bot.slackfake import Message

pytestmark = pytest.mark.both_databases

NOT_FOUND = "I can't find that session"


@pytest.fixture
def booked(multi, clinic, kiwi):
    """Alice's session in the clinic; Zoe's in Kiwi Physio (with a guest without Slack).
    Returns (Alice's session id, Zoe's confirmation)."""
    multi.install(clinic, ALICE)
    multi.install(kiwi, ZOE.id)
    multi.connect(CLINIC, CLINIC_KEY, CLINIC_SECRET)
    multi.connect(KIWI, KIWI_KEY, KIWI_SECRET)
    multi.command(clinic, ALICE, 'book "Physio review" with @bob tomorrow 3pm')
    multi.command(clinic, ALICE, 'add "Pat Guest" to "Physio review"')
    multi.command(
        kiwi, ZOE.id, 'book "Kiwi check-in" with @yusuf tomorrow 10am', channel_id="C0KIWI"
    )
    [alice_session] = multi.services.booking.upcoming("T0CLINIC", ALICE)
    assert int(alice_session.start.timestamp()) == 1900123200  # the time that must not leak
    return alice_session.session_id, kiwi.ephemerals(ZOE.id)[-1]


def untouched(multi, accounts, session_id: str, before) -> None:
    """Alice's session is as it was, here and at Coviu."""
    assert multi.services.store.session(session_id) == before
    people = multi.services.store.participants(session_id)
    assert {p.slack_user for p in people} == {ALICE, BOB, None}
    at_coviu = accounts.clinic.get_session(session_id)
    assert not at_coviu.canceled and at_coviu.start_time == before.start


def nothing_leaked(kiwi, alice_id: str) -> None:
    """Nobody in Kiwi Physio saw anything of the clinic's session they did not type: its
    id, its time, its people, its guest's link."""
    secrets = [alice_id, ALICE, BOB, "Pat Guest", "/session/", "1900123200"]
    for user in (ZOE.id, YUSUF.id):
        seen = [m.text_content() + json.dumps(m.blocks) for m in kiwi.dms(user)]
        seen += [m.text_content() + json.dumps(m.blocks) for m in kiwi.ephemerals(user)]
        seen += [json.dumps(view.spec) for view in kiwi.view_stack(user)]
        for text in seen:
            for secret in secrets:
                if secret == "/session/" and "Kiwi check-in" in text:
                    continue  # Zoe's own session's links
                assert secret not in text, (secret, text[:200])


def forged(channel: str, action_id: str, value: str) -> Message:
    """A message whose button carries `value`: what a hand-crafted request would send."""
    button = {"type": "button", "action_id": action_id, "value": value,
              "text": {"type": "plain_text", "text": "Go"}}  # fmt: skip
    return Message(channel, "1900000000.000100", "U0BOT", "forged",
                   [{"type": "actions", "block_id": "forged", "elements": [button]}])  # fmt: skip


def button_values(alice_id: str, guest: str) -> dict[str, str]:
    start = datetime(2030, 3, 22, 1, 0, tzinfo=UTC).isoformat()
    return {
        "cancel_session": alice_id,
        "reschedule_session": alice_id,
        "add_person": alice_id,
        "reschedule_to": json.dumps({"session_id": alice_id, "start": start}),
        "add_to": json.dumps({"session_id": alice_id, "people": [{"user": YUSUF.id}]}),
        "remove_to": json.dumps({"session_id": alice_id, "people": [{"user": BOB}]}),
        "copy_link_0": json.dumps({"session_id": alice_id, "guest": guest}),
    }


ACTIONS = list(button_values("x", "y"))


@pytest.mark.parametrize("action_id", ACTIONS)
def test_a_button_with_another_workspaces_session_finds_nothing(
    multi, kiwi, accounts, booked, action_id
) -> None:
    alice_id, _ = booked
    before = multi.services.store.session(alice_id)
    [pat] = [p for p in multi.services.store.participants(alice_id) if p.slack_user is None]
    value = button_values(alice_id, guest_digest(pat.participant_id))[action_id]

    multi.click(kiwi, ZOE.id, forged(kiwi.im_channel(ZOE.id), action_id, value), action_id)

    reply = kiwi.ephemerals(ZOE.id)[-1].text_content()
    assert NOT_FOUND in reply, reply
    untouched(multi, accounts, alice_id, before)
    nothing_leaked(kiwi, alice_id)


@pytest.mark.parametrize("callback", ["reschedule", "add_person"])
def test_a_form_with_another_workspaces_session_finds_nothing(
    multi, kiwi, accounts, booked, callback
) -> None:
    alice_id, confirmation = booked
    before = multi.services.store.session(alice_id)
    opener = "reschedule_session" if callback == "reschedule" else "add_person"
    multi.click(kiwi, ZOE.id, confirmation, opener)
    view = kiwi.modal(ZOE.id)
    assert view is not None and view.spec["callback_id"] == callback
    metadata = json.loads(view.spec["private_metadata"])
    view.spec = {**copy.deepcopy(view.spec),
                 "private_metadata": json.dumps({**metadata, "session_id": alice_id})}  # fmt: skip
    values = {"user": YUSUF.id} if callback == "add_person" else None

    multi.submit(kiwi, ZOE.id, view, values)

    # What the app put in the modal (the stand-in may apply the form's "Rescheduling…" answer
    # after the app's refusal, when the refusal is that quick: so the call is read instead).
    [refusal] = kiwi.calls_to("views.update")[-1:]
    assert NOT_FOUND in json.dumps(refusal.params)
    untouched(multi, accounts, alice_id, before)
    nothing_leaked(kiwi, alice_id)


@pytest.mark.parametrize(
    "text",
    [
        'cancel "Physio review"',
        'reschedule "Physio review" friday 4pm',
        'add @yusuf to "Physio review"',
        'remove @bob from "Physio review"',
        "list",
    ],
)
def test_a_command_naming_another_workspaces_session_finds_nothing(
    multi, kiwi, accounts, booked, text
) -> None:
    alice_id, _ = booked
    before = multi.services.store.session(alice_id)

    multi.command(kiwi, ZOE.id, text, channel_id="C0KIWI")

    reply = kiwi.ephemerals(ZOE.id)[-1].text_content()
    assert "Physio review" not in reply.replace("“Physio review”", ""), reply
    untouched(multi, accounts, alice_id, before)
    nothing_leaked(kiwi, alice_id)


def test_the_home_tab_shows_only_the_workspaces_own_sessions(multi, kiwi, accounts, booked):
    multi.open_home(kiwi, ZOE.id)
    home = json.dumps(kiwi.home(ZOE.id).spec)
    assert "Kiwi check-in" in home and "Physio review" not in home


def test_the_same_event_id_from_two_workspaces_is_two_requests(multi, clinic, kiwi) -> None:
    """Slack's ids are its own per workspace to us: one workspace's request never stands in
    for (or is swallowed as a retry of) another's."""
    multi.install(clinic, ALICE)
    multi.install(kiwi, ZOE.id)
    first, second = clinic.event_envelope({}), kiwi.event_envelope({})
    assert first["event_id"] == second["event_id"]  # the stand-in numbers them per workspace

    multi.open_home(clinic, ALICE)
    multi.open_home(kiwi, ZOE.id)

    assert clinic.home(ALICE) is not None and kiwi.home(ZOE.id) is not None


def test_an_event_from_one_workspace_about_anothers_person_changes_nothing_there(
    multi, kiwi, booked
) -> None:
    """`user_change` names a person: Kiwi Physio's event naming the clinic's Alice as
    deactivated drops none of the clinic's reminders."""
    store = multi.services.store
    before = store.reminder_counts()
    assert before.get("pending")  # Alice's and Bob's
    assert store.cached_user("T0CLINIC", ALICE).fetched_at is not None

    kiwi.send_event({"type": "user_change",
                     "user": {"id": ALICE, "team_id": "T0CLINIC", "deleted": True}})  # fmt: skip
    multi.idle()

    assert store.reminder_counts() == before
    assert store.cached_user("T0CLINIC", ALICE).fetched_at is not None  # not marked stale
