"""After booking: list, reschedule, add, remove, cancel, reminders and the App Home."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from conftest import ALICE, BOB, CAROL, DAVE

from bot.booking import BookingError

TOMORROW_3PM_SYDNEY = datetime(2030, 3, 19, 4, 0, tzinfo=UTC)


@pytest.fixture
def physio(bot, coviu):
    """Alice hosts "Physio review" with Bob, tomorrow 3pm Sydney time, for 45 minutes."""
    bot.command(ALICE, 'book "Physio review" with @bob tomorrow 3pm for 45 min')
    [session] = list(coviu.api.iter_sessions())
    return session


def buttons(message, action_id):
    return [b for b in message.buttons() if b.action_id == action_id]


def test_list_shows_upcoming_sessions_with_join_and_host_controls(bot, physio):
    bot.command(ALICE, "list")
    mine = bot.last_reply(ALICE)
    assert "Physio review" in mine.text_content()
    assert buttons(mine, "join") and buttons(mine, "cancel_session")

    bot.command(BOB, "list")
    theirs = bot.last_reply(BOB)
    assert "Physio review" in theirs.text_content()
    assert buttons(theirs, "join") and not buttons(theirs, "cancel_session")
    # Each sees their own link, never the other's.
    assert buttons(mine, "join")[0].url != buttons(theirs, "join")[0].url


def test_list_when_there_is_nothing_says_how_to_book(bot):
    bot.command(CAROL, "list")
    assert "no upcoming sessions" in bot.last_reply(CAROL).text_content()


def test_reschedule_by_text_moves_the_session_and_tells_the_others(bot, slack, coviu, physio):
    bot.command(ALICE, 'reschedule "Physio review" friday 4pm')

    moved = coviu.api.get_session(physio.session_id)
    assert moved.start_time == datetime(2030, 3, 22, 5, 0, tzinfo=UTC)  # Fri 4pm Sydney (AEDT)
    assert moved.end_time - moved.start_time == timedelta(minutes=45)  # keeps its length
    assert "moved “Physio review”" in slack.dms(BOB)[-1].text_content()
    assert "Moved “Physio review”" in bot.last_reply(ALICE).text_content()


def test_reschedule_through_the_button_and_form(bot, slack, coviu, physio):
    confirmation = bot.last_reply(ALICE)
    bot.click(ALICE, confirmation, "reschedule_session")
    [form] = slack.view_stack(ALICE)
    new_start = TOMORROW_3PM_SYDNEY + timedelta(days=2)

    bot.submit(ALICE, form, {"when": int(new_start.timestamp()), "length": "30"})

    moved = coviu.api.get_session(physio.session_id)
    assert moved.start_time == new_start
    assert moved.end_time == new_start + timedelta(minutes=30)


def test_cancel_asks_for_confirmation_then_cancels_for_everyone(bot, slack, coviu, physio):
    bot.command(ALICE, 'cancel "Physio review"')
    picker = bot.last_reply(ALICE)
    [cancel] = buttons(picker, "cancel_session")
    assert cancel.confirm["title"]["text"] == "Cancel this session?"
    assert coviu.api.get_session(physio.session_id).canceled_time is None  # not yet

    bot.click(ALICE, picker, "cancel_session", cancel.value)

    assert coviu.api.get_session(physio.session_id).canceled_time is not None
    assert "was cancelled by <@U0ALICE>" in slack.dms(BOB)[-1].text_content()
    bot.command(BOB, "list")
    assert "no upcoming sessions" in bot.last_reply(BOB).text_content()


def test_a_cancelled_session_cannot_be_changed(bot, slack, physio):
    confirmation = bot.last_reply(ALICE)
    bot.command(ALICE, 'cancel "Physio review"')
    picker = bot.last_reply(ALICE)  # an older answer, still showing its Cancel button
    bot.click(ALICE, confirmation, "cancel_session", physio.session_id)
    assert confirmation.buttons() == []  # the confirmation itself says it was cancelled

    bot.click(ALICE, picker, "cancel_session", physio.session_id)

    reply = bot.last_reply(ALICE).text_content()
    assert "was cancelled, so it can't be changed" in reply
    assert "/coviu book" in reply  # with an example that works


def test_only_a_host_may_cancel(bot, slack, coviu, physio):
    bot.command(BOB, 'cancel "Physio review"')
    assert "don't host any upcoming session" in bot.last_reply(BOB).text_content()

    bot.command(BOB, 'reschedule "Physio review" friday 4pm')
    assert "don't host any upcoming session" in bot.last_reply(BOB).text_content()

    # The rule holds below Slack too, whatever a request claims to be.
    with pytest.raises(BookingError, match="Only a host of “Physio review” can change"):
        bot.services.booking.cancel(physio.session_id, "T0CLINIC", BOB)
    assert coviu.api.get_session(physio.session_id).canceled_time is None


def test_add_and_remove_a_slack_user(bot, slack, coviu, physio):
    bot.command(ALICE, "add @carol")

    assert "Added <@U0CAROL>" in bot.last_reply(ALICE).text_content()
    carol_dm = slack.dms(CAROL)[-1]
    assert "Physio review" in carol_dm.text_content()
    [carol] = [
        p
        for p in coviu.api.get_session(physio.session_id).participants
        if json.loads(p.state)["user"] == CAROL
    ]

    bot.command(ALICE, "remove @carol")

    assert "removed you from “Physio review”" in slack.dms(CAROL)[-1].text_content()
    assert coviu.api.get_participant(carol.participant_id).deleted_at is not None


def test_an_external_guest_link_goes_only_to_the_host_who_added_them(bot, slack, coviu, physio):
    bot.command(ALICE, 'add "Pat Smith"')

    [pat] = [
        p
        for p in coviu.api.get_session(physio.session_id).participants
        if p.display_name == "Pat Smith"
    ]
    assert pat.entry_url in bot.last_reply(ALICE).text_content()
    assert all(pat.entry_url not in m.text_content() for m in slack.dms(BOB))


def test_unknown_person_and_missing_person_are_explained(bot, physio):
    bot.command(ALICE, "remove @dave")
    assert "<@U0DAVE> isn't in “Physio review”" in bot.last_reply(ALICE).text_content()

    bot.command(ALICE, "add")
    assert "/coviu add @dave" in bot.last_reply(ALICE).text_content()


def test_reminders_arrive_before_the_start_exactly_once(bot, slack, clock, physio):
    assert bot.send_reminders() == 0  # nothing due yet

    clock.advance(TOMORROW_3PM_SYDNEY - timedelta(minutes=10) - clock.now())
    assert bot.send_reminders() == 2

    for user in (ALICE, BOB):
        reminder = slack.dms(user)[-1]
        assert "Reminder" in reminder.text_content()
        assert buttons(reminder, "join")
    assert bot.send_reminders() == 0


def test_reminders_survive_a_restart_and_are_not_repeated(bot, slack, clock, physio):
    clock.advance(TOMORROW_3PM_SYDNEY - timedelta(minutes=5) - clock.now())
    bot.restart()  # the app was down while the reminder fell due
    assert bot.send_reminders() == 2  # caught up on start

    bot.restart()
    assert bot.send_reminders() == 0
    assert sum("Reminder" in m.text_content() for m in slack.dms(BOB)) == 1


def test_reminders_move_with_the_session_and_go_when_cancelled(bot, slack, clock, physio):
    confirmation = bot.last_reply(ALICE)
    bot.command(ALICE, 'reschedule "Physio review" friday 4pm')
    clock.advance(TOMORROW_3PM_SYDNEY - clock.now())
    assert bot.send_reminders() == 0  # the old time means nothing now

    bot.click(ALICE, confirmation, "cancel_session", physio.session_id)
    clock.advance(timedelta(days=3))
    assert bot.send_reminders() == 0


def test_a_removed_person_gets_no_reminder(bot, clock, physio):
    bot.command(ALICE, "add @dave")
    bot.command(ALICE, "remove @dave")
    clock.advance(TOMORROW_3PM_SYDNEY - timedelta(minutes=1) - clock.now())

    assert bot.send_reminders() == 2  # Alice and Bob, not Dave
    assert bot.services.store.upcoming_for("T0CLINIC", DAVE, clock.now()) == []


def test_app_home_shows_upcoming_sessions_and_opens_the_form(bot, slack, physio):
    bot.open_home(BOB)

    home = slack.home(BOB)
    assert "Physio review" in json.dumps(home.blocks)
    assert any(b.action_id == "open_booking" for b in home.buttons())

    bot.click(BOB, home, "open_booking")
    [form] = slack.view_stack(BOB)
    assert form.callback_id == "book"


def test_with_several_sessions_a_change_asks_which_one(bot, slack, coviu, physio):
    bot.command(ALICE, 'book "Team sync" with @dave friday 2-3pm')

    bot.command(ALICE, "add @carol")
    picker = bot.last_reply(ALICE)
    assert "Which session should I add them to?" in picker.text_content()
    [to_physio] = [
        b
        for b in buttons(picker, "add_to")
        if json.loads(b.value)["session_id"] == physio.session_id
    ]
    bot.click(ALICE, picker, "add_to", to_physio.value)

    people = coviu.api.get_session(physio.session_id).participants
    assert CAROL in {json.loads(p.state)["user"] for p in people}
    assert "Added <@U0CAROL>" in bot.last_reply(ALICE).text_content()


def test_a_quoted_session_name_picks_the_session(bot, slack, coviu, physio):
    bot.command(ALICE, 'book "Team sync" with @dave friday 2-3pm')

    bot.command(ALICE, 'add "Pat Smith" to "Physio review"')

    names = {p.display_name for p in coviu.api.get_session(physio.session_id).participants}
    assert "Pat Smith" in names


def test_a_guest_without_slack_is_removed_by_name(bot, coviu, physio):
    bot.command(ALICE, 'add "Pat Smith"')
    [pat] = [
        p
        for p in coviu.api.get_session(physio.session_id).participants
        if p.display_name == "Pat Smith"
    ]

    bot.command(ALICE, 'remove "pat smith"')

    assert "Removed *pat smith*; their link no longer works" in bot.last_reply(ALICE).text_content()
    assert coviu.api.get_participant(pat.participant_id).deleted_at is not None


def test_a_long_list_stays_within_what_slack_shows(bot, slack, clock):
    for day in range(1, 21):
        bot.command(ALICE, f'book "Check-in {day}" with @bob in {day} days at 9am')

    bot.command(ALICE, "list")

    reply = bot.last_reply(ALICE)
    assert "*Your upcoming sessions* (20)" in reply.text_content()
    assert "Check-in 15" in reply.text_content() and "Check-in 16" not in reply.text_content()
    assert "…and 5 later sessions not shown." in reply.text_content()


def test_adding_someone_offers_only_the_sessions_they_are_not_in(bot, slack, coviu, physio):
    bot.command(ALICE, 'book "Team sync" with @dave friday 2-3pm')

    # Dave is in "Team sync" already: the only session to add him to is "Physio review".
    bot.command(ALICE, "add @dave")

    people = coviu.api.get_session(physio.session_id).participants
    assert DAVE in {json.loads(p.state)["user"] for p in people}
    assert "Added <@U0DAVE>" in bot.last_reply(ALICE).text_content()


def test_removing_someone_offers_only_the_sessions_they_are_in(bot, slack, coviu, physio):
    bot.command(ALICE, 'book "Team sync" with @dave friday 2-3pm')

    bot.command(ALICE, "remove @bob")

    assert "Removed <@U0BOB>" in bot.last_reply(ALICE).text_content()
    people = coviu.api.list_participants(physio.session_id, include_deleted=True)
    [bob] = [p for p in people if json.loads(p.state or "{}").get("user") == BOB]
    assert bob.deleted_at is not None


def test_coviu_shows_people_by_their_real_names(bot, coviu, physio):
    assert {p.display_name for p in physio.participants} == {"Alice Nguyen", "Bob Smith"}


def test_a_deactivated_person_gets_no_more_reminders(bot, slack, physio, clock):
    slack.send_event({"type": "user_change", "user": {"id": BOB, "deleted": True}})
    bot.idle()

    clock.advance(TOMORROW_3PM_SYDNEY - timedelta(minutes=10) - clock.now())
    assert bot.send_reminders() == 1  # Alice's; Bob's was dropped, not retried
    assert "Reminder" not in slack.dms(BOB)[-1].text_content()


def test_a_reschedule_form_with_a_past_time_stays_open_with_the_reason(bot, slack, coviu, physio):
    bot.click(ALICE, bot.last_reply(ALICE), "reschedule_session")
    [form] = slack.view_stack(ALICE)

    result = bot.submit(
        ALICE, form, {"when": int((TOMORROW_3PM_SYDNEY - timedelta(days=3)).timestamp())}
    )

    assert result.errors == {"when": "Pick a date and time in the future."}
    [still_open] = slack.view_stack(ALICE)
    assert still_open.callback_id == "reschedule"  # not replaced by "Not moved"
    assert coviu.api.get_session(physio.session_id).start_time == TOMORROW_3PM_SYDNEY


def test_an_add_form_left_empty_stays_open_with_the_reason(bot, slack, coviu, physio):
    bot.click(ALICE, bot.last_reply(ALICE), "add_person")
    [form] = slack.view_stack(ALICE)

    result = bot.submit(ALICE, form, {})

    assert result.errors == {"user": "Pick someone on Slack, or type a guest's name below."}
    assert [v.callback_id for v in slack.view_stack(ALICE)] == ["add_person"]
    assert len(coviu.api.get_session(physio.session_id).participants) == 2
