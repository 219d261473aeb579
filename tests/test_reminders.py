"""Reminders that fit a clinic, with the clock frozen and moved by hand: several lead times
(from the booking text, the form or each person's App Home choice), snooze, the "Starting
now" DM for whoever is not in yet, and the morning list of the day's sessions.

Alice is in Sydney, Bob in London, Carol in New York (the demo workspace); the clock starts
on Monday 18 March 2030, 09:00 UTC.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from conftest import ALICE, BOB, BOT_TOKEN, CAROL, DAVE
from slack_sdk import WebClient

from bot.slack import reminder_blocks

FRIDAY_3PM_SYDNEY = datetime(2030, 3, 22, 4, 0, tzinfo=UTC)
SATURDAY_4PM_SYDNEY = datetime(2030, 3, 23, 5, 0, tzinfo=UTC)
TOMORROW_3PM_SYDNEY = datetime(2030, 3, 19, 4, 0, tzinfo=UTC)


def reminders(slack: Any, user: str) -> list[Any]:
    return [m for m in slack.dms(user) if m.text.startswith("Reminder:")]


def starting(slack: Any, user: str) -> list[Any]:
    return [m for m in slack.dms(user) if "is starting now" in m.text]


def mornings(slack: Any, user: str) -> list[Any]:
    return [m for m in slack.dms(user) if m.text.startswith("Today you have")]


def at(bot: Any, moment: datetime) -> int:
    """Move the clock to `moment` and run the reminder pass there; how many were sent."""
    bot.clock.advance(moment - bot.clock.now())
    return bot.send_reminders()


def button(message: Any, action_id: str) -> Any:
    [found] = [b for b in message.buttons() if b.action_id == action_id]
    return found


# -- several lead times -------------------------------------------------------------------------


@pytest.mark.both_databases
def test_two_lead_times_give_exactly_two_reminders_each_both_moved_by_a_reschedule(bot, slack):
    bot.command(
        ALICE, 'book "Physio review" with @bob friday 3pm for 45 min remind 1 day and 10 min before'
    )
    confirmation = bot.last_reply(ALICE).text_content()
    assert "Reminders for everyone: 1 day and 10 min before." in confirmation
    bot.command(ALICE, 'reschedule "Physio review" saturday 4pm')

    # The old times mean nothing now.
    assert at(bot, FRIDAY_3PM_SYDNEY - timedelta(days=1)) == 0
    assert at(bot, FRIDAY_3PM_SYDNEY - timedelta(minutes=10)) == 0
    # The new ones: a day before, then ten minutes before, for each of them.
    assert at(bot, SATURDAY_4PM_SYDNEY - timedelta(days=1, seconds=1)) == 0
    assert at(bot, SATURDAY_4PM_SYDNEY - timedelta(days=1)) == 2
    assert at(bot, SATURDAY_4PM_SYDNEY - timedelta(minutes=10)) == 2
    assert at(bot, SATURDAY_4PM_SYDNEY - timedelta(minutes=1)) == 0
    for user in (ALICE, BOB):
        got = reminders(slack, user)
        assert len(got) == 2
        assert all(str(int(SATURDAY_4PM_SYDNEY.timestamp())) in m.text for m in got)


def test_the_booking_form_picks_several_lead_times_or_none(bot, slack):
    bot.command(ALICE, "")
    [form] = slack.view_stack(ALICE)
    bot.submit(
        ALICE,
        form,
        {"title": "Knee check", "when": int(FRIDAY_3PM_SYDNEY.timestamp()), "guests": [BOB],
         "reminder": ["60", "5"]},
    )  # fmt: skip
    bot.command(ALICE, "")
    [form] = slack.view_stack(ALICE)
    bot.submit(
        ALICE,
        form,
        {"title": "Quiet one", "when": int(SATURDAY_4PM_SYDNEY.timestamp()), "guests": [BOB],
         "reminder": ["none"]},
    )  # fmt: skip

    assert at(bot, FRIDAY_3PM_SYDNEY - timedelta(minutes=60)) == 2
    assert at(bot, FRIDAY_3PM_SYDNEY - timedelta(minutes=10)) == 0
    assert at(bot, FRIDAY_3PM_SYDNEY - timedelta(minutes=5)) == 2
    assert at(bot, SATURDAY_4PM_SYDNEY - timedelta(minutes=1)) == 0
    assert [len(reminders(slack, u)) for u in (ALICE, BOB)] == [2, 2]
    assert all("Quiet one" not in m.text for m in reminders(slack, BOB))


def test_each_person_s_own_lead_times_from_app_home_and_no_reminder(bot, slack):
    bot.open_home(BOB)
    bot.click(BOB, slack.home(BOB), "set_reminders", ["60", "5"])
    bot.click(ALICE, _home(bot, slack, ALICE), "set_reminders", ["none"])
    assert "1 hr and 5 min before" in json.dumps(slack.home(BOB).blocks)

    bot.command(ALICE, 'book "Physio review" with @bob @carol friday 3pm')

    assert at(bot, FRIDAY_3PM_SYDNEY - timedelta(minutes=60)) == 1  # Bob
    assert at(bot, FRIDAY_3PM_SYDNEY - timedelta(minutes=10)) == 1  # Carol: the app's default
    assert at(bot, FRIDAY_3PM_SYDNEY - timedelta(minutes=5)) == 1  # Bob
    assert [len(reminders(slack, u)) for u in (ALICE, BOB, CAROL)] == [0, 2, 1]


@pytest.mark.both_databases
def test_a_changed_choice_moves_the_reminders_of_sessions_already_booked(bot, slack):
    bot.command(ALICE, 'book "Physio review" with @bob friday 3pm')
    bot.open_home(BOB)
    bot.click(BOB, slack.home(BOB), "set_reminders", ["30"])

    assert at(bot, FRIDAY_3PM_SYDNEY - timedelta(minutes=30)) == 1  # Bob, newly
    assert at(bot, FRIDAY_3PM_SYDNEY - timedelta(minutes=10)) == 1  # Alice only
    assert [len(reminders(slack, u)) for u in (ALICE, BOB)] == [1, 1]


def _home(bot: Any, slack: Any, user: str) -> Any:
    bot.open_home(user)
    return slack.home(user)


# -- snooze -------------------------------------------------------------------------------------


@pytest.mark.both_databases
def test_a_snooze_brings_the_same_reminder_back_once_updated_in_place(bot, slack):
    bot.command(ALICE, 'book "Physio review" with @bob tomorrow 3pm')
    assert at(bot, TOMORROW_3PM_SYDNEY - timedelta(minutes=10)) == 2
    [reminder] = reminders(slack, BOB)
    posted = len(slack.dms(BOB))

    bot.click(BOB, reminder, "snooze_reminder")
    assert "Snoozed: I'll remind you again" in reminder.text_content()
    assert at(bot, TOMORROW_3PM_SYDNEY - timedelta(minutes=5, seconds=1)) == 0
    assert at(bot, TOMORROW_3PM_SYDNEY - timedelta(minutes=5)) == 1

    # One more reminder, and it is the first one, updated: no second copy.
    assert len(slack.dms(BOB)) == posted
    assert [m.ts for m in reminders(slack, BOB)] == [reminder.ts]
    assert "Snoozed" not in reminder.text_content()
    assert button(reminder, "join").url
    assert at(bot, TOMORROW_3PM_SYDNEY - timedelta(minutes=1)) == 0


def test_snoozing_past_the_start_is_refused_with_what_works(bot, slack):
    bot.command(ALICE, 'book "Physio review" with @bob tomorrow 3pm')
    at(bot, TOMORROW_3PM_SYDNEY - timedelta(minutes=3))
    [reminder] = reminders(slack, BOB)

    bot.click(BOB, reminder, "snooze_reminder")

    refusal = slack.ephemerals(BOB)[-1].text_content()
    assert "starts in 3 minutes, before 5 minutes are up" in refusal
    assert "*At the start*" in refusal
    assert "Snoozed" not in reminder.text_content()
    at(bot, TOMORROW_3PM_SYDNEY + timedelta(minutes=1))
    bot.click(BOB, reminder, "snooze_to_start")
    assert "has started" in slack.ephemerals(BOB)[-1].text_content()


@pytest.mark.both_databases
def test_snoozed_to_the_start_it_becomes_the_starting_now_dm(bot, slack):
    bot.command(ALICE, 'book "Physio review" with @bob tomorrow 3pm')
    at(bot, TOMORROW_3PM_SYDNEY - timedelta(minutes=10))
    [reminder] = reminders(slack, BOB)
    bot.click(BOB, reminder, "snooze_to_start")
    assert "again at the start" in reminder.text_content()

    assert at(bot, TOMORROW_3PM_SYDNEY) == 2  # Alice's "Starting now", and Bob's snoozed one
    assert starting(slack, BOB) == [reminder]  # the same message, now saying so
    assert len(starting(slack, ALICE)) == 1


# -- starting now -------------------------------------------------------------------------------


def test_starting_now_goes_only_to_those_not_in_yet(bot, slack, coviu):
    bot.command(ALICE, 'book "Physio review" with @bob host @dave tomorrow 3pm')
    [session] = list(coviu.api.iter_sessions())
    people = {p.slack_user: p for p in bot.services.store.participants(session.session_id)}
    at(bot, TOMORROW_3PM_SYDNEY - timedelta(minutes=1))
    answer = requests.post(people[ALICE].entry_url + "/enter", timeout=10)
    assert answer.status_code == 200
    bot.idle()  # Coviu's webhook says Alice is in

    assert at(bot, TOMORROW_3PM_SYDNEY) == 2
    assert starting(slack, ALICE) == []
    for user in (BOB, DAVE):
        [now] = starting(slack, user)
        assert button(now, "join").url == people[user].entry_url


# -- today's sessions, each morning -------------------------------------------------------------


@pytest.mark.both_databases
def test_the_morning_list_comes_at_8_in_each_person_s_zone_across_a_dst_change(bot, slack):
    # Bob's Friday 29 March is on GMT; Monday 1 April on BST (the clocks went forward on the
    # 31st): 8:00 in London is 08:00 UTC, then 07:00 UTC.
    bot.command(BOB, 'book "Before the change" with @alice friday 29 march 10am')
    bot.command(BOB, 'book "After the change" with @alice monday 1 april 10am')
    bot.command(BOB, 'book "Also after" with @alice monday 1 april 4pm')

    # Alice is in them, in Sydney: her Friday 29 March starts 8:00 AEDT, 21:00 UTC the day
    # before, and lists what is 10am London for Bob (9pm for her).
    at(bot, datetime(2030, 3, 28, 20, 59, tzinfo=UTC))
    assert mornings(slack, ALICE) == []
    at(bot, datetime(2030, 3, 28, 21, 0, tzinfo=UTC))
    assert "Before the change" in mornings(slack, ALICE)[0].text_content()

    at(bot, datetime(2030, 3, 29, 7, 59, tzinfo=UTC))
    assert mornings(slack, BOB) == []
    at(bot, datetime(2030, 3, 29, 8, 0, tzinfo=UTC))
    [friday] = mornings(slack, BOB)
    assert "Before the change" in friday.text_content()
    assert "After the change" not in friday.text_content()
    at(bot, datetime(2030, 3, 29, 9, 0, tzinfo=UTC))
    assert len(mornings(slack, BOB)) == 1  # once a day

    at(bot, datetime(2030, 4, 1, 6, 59, tzinfo=UTC))
    assert len(mornings(slack, BOB)) == 1
    at(bot, datetime(2030, 4, 1, 7, 0, tzinfo=UTC))
    monday = mornings(slack, BOB)[-1]
    assert "Today you have 2 sessions" in monday.text
    assert len([b for b in monday.buttons() if b.action_id == "join"]) == 2
    # Carol has no sessions: she never gets one.
    assert mornings(slack, CAROL) == []


def test_the_morning_list_goes_once_across_a_restart_and_can_be_moved_or_turned_off(bot, slack):
    bot.command(BOB, 'book "Physio review" with @carol friday 29 march 10am')
    bot.click(CAROL, _home(bot, slack, CAROL), "set_morning", "off")
    bot.click(BOB, _home(bot, slack, BOB), "set_morning", "07:00")

    at(bot, datetime(2030, 3, 29, 7, 0, tzinfo=UTC))
    assert len(mornings(slack, BOB)) == 1
    bot.restart()
    at(bot, datetime(2030, 3, 29, 7, 30, tzinfo=UTC))
    assert len(mornings(slack, BOB)) == 1
    at(bot, datetime(2030, 3, 29, 9, 59, tzinfo=UTC))
    assert mornings(slack, CAROL) == []


@pytest.mark.both_databases
def test_a_morning_list_slack_took_before_its_sender_died_is_not_sent_again(bot, slack):
    bot.command(BOB, 'book "Physio review" with @carol friday 29 march 10am')
    mornings_ = bot.services.reminders.mornings
    eight = datetime(2030, 3, 29, 8, 0, tzinfo=UTC)
    bot.clock.advance(eight - bot.clock.now())
    # A sender claims Bob's list, Slack takes it, and the process dies before recording it.
    day = "2030-03-29"
    assert mornings_.personal.claim_morning("T0CLINIC", BOB, day, eight, timedelta(seconds=30))
    sessions = bot.services.store.upcoming_for("T0CLINIC", BOB, eight)
    mine = {
        s.session_id: bot.services.booking.own_participant(s.session_id, "T0CLINIC", BOB)
        for s in sessions
    }
    message = reminder_blocks.morning_list(sessions, mine, tz="Europe/London")
    mornings_.notifier.post_to(BOB, message, f"morning:T0CLINIC:{BOB}:{day}")
    bot.restart()

    at(bot, eight + timedelta(seconds=10))  # its lease still holds: nobody else sends it
    at(bot, eight + timedelta(minutes=2))  # the lease ran out: found in the DM, not resent
    assert len(mornings(slack, BOB)) == 1
    [(sent_day, _)] = bot.services.reminders.mornings.personal.morning_sent("T0CLINIC", BOB)
    assert sent_day == day


@pytest.mark.both_databases
def test_a_reminder_updated_by_a_reschedule_keeps_its_own_lead_time(bot, slack):
    bot.command(ALICE, 'book "Physio review" with @bob friday 3pm remind 1 day and 10 min before')
    assert at(bot, FRIDAY_3PM_SYDNEY - timedelta(days=1)) == 2
    [day_before] = reminders(slack, BOB)
    bot.command(ALICE, 'reschedule "Physio review" saturday 4pm')

    assert str(int(SATURDAY_4PM_SYDNEY.timestamp())) in day_before.text  # updated in place
    assert json.loads(button(day_before, "snooze_reminder").value)["lead"] == 1440
    bot.click(BOB, day_before, "snooze_reminder")  # it is due afresh, not yet sent again
    assert "nothing to snooze" in slack.ephemerals(BOB)[-1].text_content()
    assert at(bot, SATURDAY_4PM_SYDNEY - timedelta(days=1)) == 2


@pytest.mark.both_databases
def test_a_reminder_snoozed_to_the_start_stays_itself_if_the_session_moves(bot, slack):
    bot.command(ALICE, 'book "Physio review" with @bob friday 3pm')
    at(bot, FRIDAY_3PM_SYDNEY - timedelta(minutes=10))
    [reminder] = reminders(slack, BOB)
    bot.click(BOB, reminder, "snooze_to_start")
    bot.command(ALICE, 'reschedule "Physio review" saturday 4pm')

    # The old DM shows the new time, still as a reminder (not "starting now").
    assert str(int(SATURDAY_4PM_SYDNEY.timestamp())) in reminder.text
    assert "starting now" not in reminder.text_content()
    assert at(bot, FRIDAY_3PM_SYDNEY) == 0
    assert at(bot, SATURDAY_4PM_SYDNEY - timedelta(minutes=10)) == 2
    assert at(bot, SATURDAY_4PM_SYDNEY) == 2
    assert len(reminders(slack, BOB)) == 2 and len(starting(slack, BOB)) == 1


def test_someone_added_gets_the_booking_s_lead_times_and_someone_removed_none(bot, slack):
    bot.command(ALICE, 'book "Physio review" with @bob friday 3pm remind 1 day and 10 min before')
    bot.command(ALICE, "add @carol")
    bot.command(ALICE, "remove @bob")

    assert at(bot, FRIDAY_3PM_SYDNEY - timedelta(days=1)) == 2  # Alice and Carol
    assert at(bot, FRIDAY_3PM_SYDNEY - timedelta(minutes=10)) == 2
    assert at(bot, FRIDAY_3PM_SYDNEY) == 2  # "Starting now": neither is in
    assert [len(reminders(slack, u)) for u in (ALICE, BOB, CAROL)] == [2, 0, 2]
    assert starting(slack, BOB) == []


def test_a_snoozed_reminder_whose_dm_was_deleted_comes_as_a_new_one(bot, slack):
    bot.command(ALICE, 'book "Physio review" with @bob tomorrow 3pm')
    at(bot, TOMORROW_3PM_SYDNEY - timedelta(minutes=10))
    [reminder] = reminders(slack, BOB)
    bot.click(BOB, reminder, "snooze_reminder")
    WebClient(token=BOT_TOKEN, base_url=slack.api_url).chat_delete(
        channel=reminder.channel, ts=reminder.ts
    )

    assert at(bot, TOMORROW_3PM_SYDNEY - timedelta(minutes=5)) == 1
    [again] = reminders(slack, BOB)
    assert again.ts != reminder.ts and "Snoozed" not in again.text_content()
