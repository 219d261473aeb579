"""Slack Connect: people from another organisation can be booked, and the booker is told
clearly that Slack doesn't let the app DM them, with the way to get them their link.

Zoe (Kiwi Physio) shares a channel with the clinic. Slack shows her with her own
organisation's team id and refuses any DM from the app to her; the booking still happens,
nothing is retried and nothing waits in the outbox.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from conftest import ALICE, BOB, BOT_TOKEN, SIGNING_SECRET

from bot.slackfake import CONNECT_USER, DEMO_USERS, FakeSlack

pytestmark = pytest.mark.both_databases

ZOE = CONNECT_USER.id
# "tomorrow 3pm" for Alice (Sydney) is 04:00 UTC on Tuesday 19 March 2030.
START = datetime(2030, 3, 19, 4, 0, tzinfo=UTC)


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    """The clinic's workspace, with Zoe from Kiwi Physio met in a shared channel."""
    fake = FakeSlack(
        bot_token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        team_id="T0CLINIC",
        users=(*DEMO_USERS, CONNECT_USER),
    )
    with fake:
        yield fake


def dms_to(slack: FakeSlack, user: str) -> list:
    return [c for c in slack.calls_to("chat.postMessage") if c.params.get("channel") == user]


def copy_buttons(message) -> list:
    return [b for b in message.buttons() if b.action_id.startswith("copy_link")]


def test_someone_from_another_organisation_is_booked_and_the_booker_told_why_no_dm(
    bot, slack, coviu
):
    bot.command(ALICE, 'book "Physio review" with @bob @zoe tomorrow 3pm')

    [session] = coviu.api.iter_sessions()
    names = {p.display_name for p in session.participants}
    assert names == {"Alice Nguyen", "Bob Smith", "Zoe Park"}  # Coviu gets her real name
    assert len(slack.dms(BOB)) == 1
    assert slack.dms(ZOE) == [] and dms_to(slack, ZOE) == []  # not even tried: Slack refuses

    confirmation = bot.last_reply(ALICE)
    said = confirmation.text_content()
    assert "Booked “Physio review”" in said
    assert "*Zoe Park* is in another organisation" in said
    assert "Slack doesn't let this app DM people outside yours" in said
    assert "Copy link for Zoe Park" in said
    assert "<@U0ZOE>" not in said  # named, not a mention others may see as "private user"
    assert "Everyone else on Slack has been sent their own Join link" in said

    [copy] = copy_buttons(confirmation)
    assert copy.text == "Copy link for Zoe Park"
    bot.click(ALICE, confirmation, copy.action_id, copy.value)
    [zoe] = [p for p in session.participants if p.display_name == "Zoe Park"]
    [modal] = slack.view_stack(ALICE)
    assert zoe.entry_url in str(modal.blocks)
    assert "in another organisation" in modal.text_content()


def test_nothing_waits_or_retries_for_someone_the_app_cannot_dm(bot, slack, clock):
    bot.command(ALICE, 'book "Physio review" with @bob @zoe tomorrow 3pm')
    store = bot.services.store

    assert store.job_counts().get("queued", 0) == 0
    statuses = {m.user_id: m.status for m in store.messages_of(_key(store))}
    assert statuses == {ALICE: "sent", BOB: "sent", ZOE: "failed"}  # failed once, for good
    clock.advance(START - timedelta(minutes=10) - clock.now())
    assert bot.send_reminders() == 2  # Alice and Bob; Zoe has no reminder to fail
    clock.advance(timedelta(minutes=1))
    assert bot.send_reminders() == 0
    assert dms_to(slack, ZOE) == []


def _key(store) -> str:
    [row] = store.db.query("select job_key from jobs where kind = 'command:/coviu'")
    return row["job_key"]


def test_the_host_s_invitation_names_them_and_offers_their_link(bot, slack):
    bot.command(ALICE, 'book "Physio review" with @bob @zoe tomorrow 3pm')

    [alice_invite] = slack.dms(ALICE)
    assert "Zoe Park (another organisation)" in alice_invite.text_content()
    assert [b.text for b in copy_buttons(alice_invite)] == ["Copy link for Zoe Park"]
    # Bob is a guest: he sees her name, and no link of hers.
    [bob_invite] = slack.dms(BOB)
    assert "Zoe Park (another organisation)" in bob_invite.text_content()
    assert copy_buttons(bob_invite) == []


def test_adding_someone_from_another_organisation_says_how_to_reach_them(bot, slack):
    bot.command(ALICE, 'book "Physio review" with @bob tomorrow 3pm')

    bot.command(ALICE, 'add @zoe "Physio review"')

    said = bot.last_reply(ALICE).text_content()
    assert "Added Zoe Park." in said
    assert "*Zoe Park* is in another organisation" in said
    assert "their link is in their DMs" not in said
    assert dms_to(slack, ZOE) == []
    # Alice's invitation, already sent, now offers Zoe's link.
    assert [b.text for b in copy_buttons(slack.dms(ALICE)[0])] == ["Copy link for Zoe Park"]


def test_a_dm_slack_refuses_is_not_retried_and_the_booker_is_told(bot, slack, clock):
    # Slack finds no DM with one of them (as for someone whose organisation it doesn't tell
    # us about): the booking stands, and nothing loops. (The two DMs go out side by side:
    # either may be the one refused.)
    slack.fail_next("chat.postMessage", "channel_not_found")
    bot.command(ALICE, 'book "Physio review" with @bob tomorrow 3pm')

    [missed] = [user for user in (ALICE, BOB) if not slack.dms(user)]
    said = bot.last_reply(ALICE).text_content()
    assert "Booked “Physio review”" in said
    assert f"I couldn't DM <@{missed}>" in said
    clock.advance(START - timedelta(minutes=10) - clock.now())
    assert bot.send_reminders() == 1  # the other one only: no retry for the refused
    assert bot.services.store.reminder_counts().get("dropped") == 1


def test_booked_through_the_form_the_result_says_where_to_get_their_link(bot, slack):
    bot.command(ALICE, "")
    [form] = slack.view_stack(ALICE)

    bot.submit(ALICE, form, {"title": "Physio review", "when": int(START.timestamp()),
                             "guests": [BOB, ZOE]})  # fmt: skip

    [done] = slack.view_stack(ALICE)
    said = done.text_content()
    assert done.title == "Booked"
    assert "*Zoe Park* is in another organisation" in said
    assert "*Copy link for Zoe Park* on your invitation" in said  # the modal has no buttons
    assert [b.text for b in copy_buttons(slack.dms(ALICE)[0])] == ["Copy link for Zoe Park"]


def test_removing_them_asks_the_host_to_tell_them(bot, slack):
    bot.command(ALICE, 'book "Physio review" with @bob @zoe tomorrow 3pm')

    bot.command(ALICE, 'remove @zoe "Physio review"')

    said = bot.last_reply(ALICE).text_content()
    assert "Removed Zoe Park; their link no longer works" in said
    assert "I couldn't tell them: please let them know" in said
    assert dms_to(slack, ZOE) == []
    assert copy_buttons(slack.dms(ALICE)[0]) == []  # no link left to forward


def test_moving_or_cancelling_asks_the_host_to_tell_them(bot, slack):
    bot.command(ALICE, 'book "Physio review" with @bob @zoe tomorrow 3pm')

    bot.command(ALICE, 'reschedule "Physio review" friday 4pm')
    moved = bot.last_reply(ALICE).text_content()
    assert "Everyone else was told. Zoe Park (another organisation) can't be DMed" in moved

    invitation = slack.dms(ALICE)[0]
    bot.click(ALICE, invitation, "cancel_session", invitation.buttons()[-2].value)
    assert "please tell them yourself" in bot.last_reply(ALICE).text_content()
    assert dms_to(slack, ZOE) == []
